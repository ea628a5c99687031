//! Invite links: `messages.exportChatInvite`, `editExportedChatInvite`
//! (revoking), `checkChatInvite`, `importChatInvite` and
//! `hideChatJoinRequest` (join requests). Links are created, used, expire,
//! run out of uses, are revoked, and may need an admin's approval; the
//! rules are the world's (`world::chat_admin`).

use grammers_tl_types as tl;

use crate::rpc::{CallContext, Peer, Router, RpcError};
use crate::world::WorldState;
use crate::world::chat_admin::{self, InviteLookup, Joined};

/// The hash of a link as clients send it: the bare hash, or any of
/// `t.me/+HASH`, `t.me/joinchat/HASH` (Telegram accepts both).
fn hash_of(link: &str) -> &str {
    let link = link.trim();
    let tail = link.rsplit('/').next().unwrap_or(link);
    tail.strip_prefix('+').unwrap_or(tail)
}

/// The chat constructor of `chat` as `viewer` sees it.
fn chat_tl(
    ctx: &CallContext<'_>,
    state: &WorldState,
    viewer: i64,
    chat: Peer,
) -> Option<tl::enums::Chat> {
    match chat {
        Peer::Chat(id) => state.chats.group(id).map(|g| g.to_tl(ctx.world, viewer)),
        Peer::Channel(id) => state.chats.channel(id).map(|c| c.to_tl(ctx.world, viewer)),
        Peer::User(_) => None,
    }
}

/// `chatInvite`: what a link opens, for someone not yet in it.
fn chat_invite(
    ctx: &CallContext<'_>,
    state: &WorldState,
    viewer: i64,
    invite: &crate::world::Invite,
) -> tl::enums::ChatInvite {
    let (title, about, photo_id, members, channel, broadcast) = match invite.chat {
        Peer::Chat(id) => state.chats.group(id).map_or_else(Default::default, |g| {
            let members: Vec<i64> = g.members.iter().map(|m| m.user_id).collect();
            (
                g.title.clone(),
                g.about.clone(),
                g.photo_id,
                members,
                false,
                false,
            )
        }),
        Peer::Channel(id) => state.chats.channel(id).map_or_else(Default::default, |c| {
            let members: Vec<i64> = c.members.iter().copied().collect();
            (
                c.title.clone(),
                c.about.clone(),
                c.photo_id,
                members,
                true,
                c.broadcast,
            )
        }),
        Peer::User(_) => Default::default(),
    };
    let photo = photo_id
        .and_then(|id| state.files.get(id))
        .map_or(tl::types::PhotoEmpty { id: 0 }.into(), |f| f.to_photo());
    tl::types::ChatInvite {
        channel,
        broadcast,
        public: false,
        megagroup: channel && !broadcast,
        request_needed: invite.request_needed,
        verified: false,
        scam: false,
        fake: false,
        can_refulfill_subscription: false,
        title,
        about: (!about.is_empty()).then_some(about),
        photo,
        participants_count: members.len() as i32,
        // Telegram shows a few members of groups, never of channels.
        participants: (!broadcast).then(|| {
            members
                .iter()
                .take(10)
                .filter_map(|&id| state.users.get(id).map(|u| u.to_tl(ctx.world, viewer)))
                .collect()
        }),
        color: 0,
        subscription_pricing: None,
        subscription_form_id: None,
        bot_verification: None,
    }
    .into()
}

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::messages::ExportChatInvite, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let chat = ctx.resolve_input_peer(&state, &request.peer)?;
        let invite = chat_admin::export_invite(
            ctx.world,
            &mut state,
            viewer,
            chat,
            request.expire_date,
            request.usage_limit,
            request.request_needed,
            request.title,
        )?;
        Ok(invite.to_tl())
    });

    router.add::<tl::functions::messages::EditExportedChatInvite, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let chat = ctx.resolve_input_peer(&state, &request.peer)?;
        chat_admin::require_admin(&state, viewer, chat)?;
        let hash = hash_of(&request.link).to_string();
        let invite = state
            .chats
            .invites
            .get_mut(&hash)
            .filter(|i| i.chat == chat)
            .ok_or_else(|| RpcError::bad_request("INVITE_HASH_INVALID"))?;
        if request.revoked {
            invite.revoked = true;
        }
        if let Some(date) = request.expire_date {
            invite.expire_date = (date != 0).then_some(date);
        }
        if let Some(limit) = request.usage_limit {
            invite.usage_limit = (limit != 0).then_some(limit);
        }
        if let Some(needed) = request.request_needed {
            invite.request_needed = needed;
        }
        if request.title.is_some() {
            invite.title = request.title;
        }
        let invite = invite.to_tl();
        let users = state
            .users
            .get(viewer)
            .map(|u| u.to_tl(ctx.world, viewer))
            .into_iter()
            .collect();
        Ok(tl::types::messages::ExportedChatInvite { invite, users }.into())
    });

    router.add::<tl::functions::messages::CheckChatInvite, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let state = ctx.world.lock();
        let hash = hash_of(&request.hash);
        match chat_admin::lookup_invite(&state, hash, viewer, ctx.world.now())? {
            InviteLookup::Member(chat) => {
                let chat = chat_tl(ctx, &state, viewer, chat)
                    .ok_or_else(|| RpcError::bad_request("INVITE_HASH_EXPIRED"))?;
                Ok(tl::types::ChatInviteAlready { chat }.into())
            }
            InviteLookup::Usable(invite) => Ok(chat_invite(ctx, &state, viewer, invite)),
        }
    });

    router.add::<tl::functions::messages::ImportChatInvite, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let hash = hash_of(&request.hash).to_string();
        let joined = chat_admin::join_by_invite(ctx.world, &mut state, viewer, &hash, ctx.session)?;
        drop(state);
        match joined {
            Joined::Joined(changed) => {
                let changed = *changed;
                ctx.world.push(changed.pushes);
                Ok(tl::types::messages::ChatInviteJoinResultOk {
                    updates: changed.answer,
                }
                .into())
            }
            Joined::Requested(pushes) => {
                ctx.world.push(pushes);
                Err(RpcError::bad_request("INVITE_REQUEST_SENT"))
            }
        }
    });

    router.add::<tl::functions::messages::HideChatJoinRequest, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let chat = ctx.resolve_input_peer(&state, &request.peer)?;
        let user = ctx.resolve_input_user(&state, &request.user_id)?;
        let changed = chat_admin::answer_join_request(
            ctx.world,
            &mut state,
            viewer,
            chat,
            user,
            request.approved,
            ctx.session,
        )?;
        drop(state);
        ctx.world.push(changed.pushes);
        Ok(changed.answer)
    });
}
