//! Read state, deletion and typing: `messages.readHistory`,
//! `channels.readHistory`, `messages.deleteMessages`,
//! `channels.deleteMessages` and `messages.setTyping`. What they log and
//! push is the world's (`world::reading`).

use grammers_tl_types as tl;

use crate::rpc::{Peer, Router, RpcError};
use crate::world::reading::{
    Affected, delete_channel_messages, delete_messages, read_channel, read_history, typing,
};

fn affected(a: Affected) -> tl::enums::messages::AffectedMessages {
    tl::types::messages::AffectedMessages {
        pts: a.pts,
        pts_count: a.pts_count,
    }
    .into()
}

/// The most ids one delete call may name.
const MAX_DELETE: usize = 100;

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::messages::ReadHistory, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let dialog = ctx.resolve_input_peer(&state, &request.peer)?;
        if let Peer::Channel(_) = dialog {
            // Channels are read with `channels.readHistory`.
            return Err(RpcError::bad_request("PEER_ID_INVALID"));
        }
        let (result, pushes) = read_history(
            ctx.world,
            &mut state,
            viewer,
            dialog,
            request.max_id,
            ctx.session,
        );
        drop(state);
        ctx.world.push(pushes);
        Ok(affected(result))
    });

    router.add::<tl::functions::channels::ReadHistory, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let channel_id = ctx.resolve_input_channel(&state, &request.channel)?;
        let pushes = read_channel(
            ctx.world,
            &mut state,
            viewer,
            channel_id,
            request.max_id,
            ctx.session,
        );
        drop(state);
        ctx.world.push(pushes);
        Ok(true)
    });

    router.add::<tl::functions::messages::DeleteMessages, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        if request.id.len() > MAX_DELETE {
            return Err(RpcError::bad_request("MESSAGE_ID_INVALID"));
        }
        let mut state = ctx.world.lock();
        let (result, pushes) = delete_messages(
            ctx.world,
            &mut state,
            viewer,
            &request.id,
            request.revoke,
            ctx.session,
        );
        drop(state);
        ctx.world.push(pushes);
        Ok(affected(result))
    });

    router.add::<tl::functions::channels::DeleteMessages, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        if request.id.len() > MAX_DELETE {
            return Err(RpcError::bad_request("MESSAGE_ID_INVALID"));
        }
        let mut state = ctx.world.lock();
        let channel_id = ctx.resolve_input_channel(&state, &request.channel)?;
        let (result, pushes) = delete_channel_messages(
            ctx.world,
            &mut state,
            viewer,
            channel_id,
            &request.id,
            ctx.session,
        )?;
        drop(state);
        ctx.world.push(pushes);
        Ok(affected(result))
    });

    router.add::<tl::functions::messages::SetTyping, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let state = ctx.world.lock();
        let dialog = ctx.resolve_input_peer(&state, &request.peer)?;
        let member = match dialog {
            Peer::User(_) => true,
            Peer::Chat(id) => state.chats.group(id).is_some_and(|g| g.has_member(viewer)),
            Peer::Channel(id) => state
                .chats
                .channel(id)
                .is_some_and(|c| c.members.contains(&viewer)),
        };
        if !member {
            return Err(RpcError::forbidden("CHAT_WRITE_FORBIDDEN"));
        }
        let pushes = typing(
            ctx.world,
            &state,
            viewer,
            dialog,
            request.top_msg_id,
            request.action,
        );
        drop(state);
        ctx.world.push(pushes);
        Ok(true)
    });
}
