//! `messages.editMessage`: new text (and entities, `no_webpage`) for a
//! message the caller wrote. The copies, the log entries and the pushes are
//! the world's (`world::editing`); media, markup and scheduled edits are
//! not served.

use grammers_tl_types as tl;

use crate::rpc::{Router, RpcError};
use crate::world::editing::{Edit, edit_message};

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::messages::EditMessage, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        if request.media.is_some()
            || request.schedule_date.is_some()
            || request.quick_reply_shortcut_id.is_some()
        {
            // Not modelled by the fake world; refused rather than ignored.
            return Err(RpcError::bad_request("MEDIA_INVALID"));
        }
        let mut state = ctx.world.lock();
        let dialog = ctx.resolve_input_peer(&state, &request.peer)?;
        let edit = Edit {
            text: request.message,
            entities: request.entities,
            no_webpage: request.no_webpage,
        };
        let (answer, pushes) = edit_message(
            ctx.world,
            &mut state,
            viewer,
            dialog,
            request.id,
            &edit,
            ctx.session,
        )?;
        drop(state);
        ctx.world.push(pushes);
        Ok(answer)
    });
}
