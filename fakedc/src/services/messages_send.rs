//! `messages.sendMessage` and `messages.forwardMessages`. The copies, the
//! answer shapes and the pushes are the world's (`world::sending`).

use grammers_tl_types as tl;

use crate::rpc::{Peer, Router, RpcError};
use crate::world::sending::{Draft, Stored, answer_and_pushes, store_message};

/// The most messages one `forwardMessages` call may carry (Telegram's limit).
const MAX_FORWARD: usize = 100;

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::messages::SendMessage, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let target = ctx.resolve_input_peer(&state, &request.peer)?;
        let reply_to_msg_id = match request.reply_to {
            Some(tl::enums::InputReplyTo::Message(r)) => Some(r.reply_to_msg_id),
            _ => None,
        };
        let draft = Draft {
            text: request.message,
            entities: request.entities,
            media: None,
            reply_to_msg_id,
            fwd_from: None,
            no_webpage: request.no_webpage,
            silent: request.silent,
        };
        let stored = store_message(ctx.world, &mut state, viewer, target, draft)?;
        let (answer, pushes) = answer_and_pushes(
            ctx.world,
            &mut state,
            &[stored],
            &[request.random_id],
            false,
            ctx.session,
        );
        drop(state);
        ctx.world.push(pushes);
        Ok(answer)
    });

    router.add::<tl::functions::messages::ForwardMessages, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        if request.id.is_empty() || request.id.len() > MAX_FORWARD {
            return Err(RpcError::bad_request("MESSAGE_ID_INVALID"));
        }
        if request.random_id.len() != request.id.len() {
            return Err(RpcError::bad_request("RANDOM_ID_INVALID"));
        }
        let mut state = ctx.world.lock();
        let source = ctx.resolve_input_peer(&state, &request.from_peer)?;
        let target = ctx.resolve_input_peer(&state, &request.to_peer)?;
        // Every source message first: a missing one fails the whole call.
        let mut originals = Vec::new();
        for id in &request.id {
            let original = match source {
                Peer::Channel(c) => state
                    .mailboxes
                    .channel_ref(c)
                    .and_then(|b| b.messages.get(id))
                    .filter(|_| {
                        state
                            .chats
                            .channel(c)
                            .is_some_and(|ch| ch.visible_to(viewer))
                    }),
                _ => state
                    .mailboxes
                    .user_ref(viewer)
                    .and_then(|b| b.messages.get(id))
                    .filter(|m| m.dialog() == source),
            }
            .ok_or_else(|| RpcError::bad_request("MESSAGE_ID_INVALID"))?;
            let restricted = matches!(source, Peer::Channel(c)
                if state.chats.channel(c).is_some_and(|ch| ch.noforwards));
            if restricted {
                return Err(RpcError::bad_request("CHAT_FORWARDS_RESTRICTED"));
            }
            originals.push(original.clone());
        }
        let mut stored: Vec<Stored> = Vec::new();
        for original in originals {
            let message = &original.message;
            let fwd_from = if request.drop_author {
                None
            } else {
                // A forward keeps the first header of a message forwarded again.
                Some(message.fwd_from.clone().unwrap_or_else(|| {
                    let from_id = match source {
                        Peer::Channel(c) if message.post => {
                            tl::types::PeerChannel { channel_id: c }.into()
                        }
                        _ => tl::types::PeerUser {
                            user_id: original.sender,
                        }
                        .into(),
                    };
                    tl::types::MessageFwdHeader {
                        imported: false,
                        saved_out: false,
                        from_id: Some(from_id),
                        from_name: None,
                        date: message.date,
                        channel_post: message.post.then_some(message.id),
                        post_author: None,
                        saved_from_peer: None,
                        saved_from_msg_id: None,
                        saved_from_id: None,
                        saved_from_name: None,
                        saved_date: None,
                        psa_type: None,
                    }
                    .into()
                }))
            };
            let drop_caption = request.drop_media_captions && message.media.is_some();
            let draft = Draft {
                text: if drop_caption {
                    String::new()
                } else {
                    message.message.clone()
                },
                entities: if drop_caption {
                    None
                } else {
                    message.entities.clone()
                },
                media: message.media.clone(),
                reply_to_msg_id: None,
                fwd_from,
                // The preview is the original's, not made again.
                no_webpage: true,
                silent: request.silent,
            };
            stored.push(store_message(ctx.world, &mut state, viewer, target, draft)?);
        }
        let (answer, pushes) = answer_and_pushes(
            ctx.world,
            &mut state,
            &stored,
            &request.random_id,
            true,
            ctx.session,
        );
        drop(state);
        ctx.world.push(pushes);
        Ok(answer)
    });
}
