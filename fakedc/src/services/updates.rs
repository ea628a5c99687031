//! `updates.*`: enough of the update state for clients to finish connecting.

use grammers_tl_types as tl;

use crate::rpc::Router;

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::updates::GetState, _>(|ctx, _| {
        let user = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let account = state.account(user);
        Ok(tl::types::updates::State {
            pts: account.pts,
            qts: account.qts,
            date: ctx.world.now(),
            seq: account.seq,
            unread_count: 0,
        }
        .into())
    });
    router.add::<tl::functions::updates::GetDifference, _>(|ctx, request| {
        let user = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let account = state.account(user);
        if request.pts >= account.pts {
            return Ok(tl::types::updates::DifferenceEmpty {
                date: ctx.world.now(),
                seq: account.seq,
            }
            .into());
        }
        // The fake world does not keep an update log: a client that is
        // behind is moved to the current state without the missed updates.
        Ok(tl::types::updates::Difference {
            new_messages: Vec::new(),
            new_encrypted_messages: Vec::new(),
            other_updates: Vec::new(),
            chats: Vec::new(),
            users: Vec::new(),
            state: tl::types::updates::State {
                pts: account.pts,
                qts: account.qts,
                date: ctx.world.now(),
                seq: account.seq,
                unread_count: 0,
            }
            .into(),
        }
        .into())
    });
}
