//! Group and channel administration: `messages.createChat`,
//! `editChatTitle`, `editChatPhoto`, `addChatUser`, `deleteChatUser`,
//! `migrateChat`, and `channels.editTitle`, `editPhoto`,
//! `inviteToChannel`, `editBanned`, `leaveChannel`. The rules and the service messages are
//! the world's (`world::chat_admin`); this module reads the requests and
//! shapes the answers.

use std::sync::MutexGuard;

use grammers_tl_types as tl;

use crate::rpc::{CallContext, Peer, Router, RpcError};
use crate::world::chat_admin::{self, Changed};
use crate::world::{FileKind, WorldState};

/// Sends a change's pushes (after the lock is released) and returns its answer.
fn deliver(
    ctx: &CallContext<'_>,
    state: MutexGuard<'_, WorldState>,
    changed: Changed,
) -> tl::enums::Updates {
    drop(state);
    ctx.world.push(changed.pushes);
    changed.answer
}

/// `messages.invitedUsers`: the change (an empty `updates` when nobody was
/// added) and the users privacy kept out.
fn invited_users(
    ctx: &CallContext<'_>,
    state: MutexGuard<'_, WorldState>,
    changed: Option<Changed>,
    missing: Vec<i64>,
) -> tl::enums::messages::InvitedUsers {
    let updates = match changed {
        Some(changed) => deliver(ctx, state, changed),
        None => tl::types::Updates {
            updates: Vec::new(),
            users: Vec::new(),
            chats: Vec::new(),
            date: ctx.world.now(),
            seq: 0,
        }
        .into(),
    };
    tl::types::messages::InvitedUsers {
        updates,
        missing_invitees: missing
            .into_iter()
            .map(|user_id| {
                tl::types::MissingInvitee {
                    premium_would_allow_invite: false,
                    premium_required_for_pm: false,
                    user_id,
                }
                .into()
            })
            .collect(),
    }
    .into()
}

/// The users of `inputs`, each checked (`USER_ID_INVALID`).
fn users_of(
    ctx: &CallContext<'_>,
    state: &WorldState,
    inputs: &[tl::enums::InputUser],
) -> Result<Vec<i64>, RpcError> {
    inputs
        .iter()
        .map(|input| ctx.resolve_input_user(state, input))
        .collect()
}

/// The photo an `InputChatPhoto` sets: a new upload, an existing photo, or
/// none (`inputChatPhotoEmpty` removes it).
fn chat_photo(
    ctx: &CallContext<'_>,
    state: &mut WorldState,
    user: i64,
    input: &tl::enums::InputChatPhoto,
) -> Result<Option<i64>, RpcError> {
    match input {
        tl::enums::InputChatPhoto::Empty => Ok(None),
        tl::enums::InputChatPhoto::InputChatUploadedPhoto(p) => {
            let Some(file) = &p.file else {
                // Video avatars are not modelled.
                return Err(RpcError::bad_request("PHOTO_INVALID"));
            };
            let max_parts = ctx.world.limits().max_parts(state.is_premium(user));
            state
                .files
                .store_uploaded_photo(ctx.auth_key_id, ctx.dc_id, file, max_parts)
                .map(Some)
                .map_err(|e| RpcError::bad_request(e.name()))
        }
        tl::enums::InputChatPhoto::Photo(p) => match &p.id {
            tl::enums::InputPhoto::Photo(photo) => state
                .files
                .get(photo.id)
                .filter(|f| f.kind == FileKind::Photo && f.access_hash == photo.access_hash)
                .map(|f| Some(f.id))
                .ok_or_else(|| RpcError::bad_request("PHOTO_INVALID")),
            tl::enums::InputPhoto::Empty => Err(RpcError::bad_request("PHOTO_INVALID")),
        },
    }
}

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::messages::CreateChat, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let users = users_of(ctx, &state, &request.users)?;
        let (_, changed, missing) = chat_admin::create_group(
            ctx.world,
            &mut state,
            viewer,
            &request.title,
            &users,
            ctx.session,
        )?;
        Ok(invited_users(ctx, state, Some(changed), missing))
    });

    router.add::<tl::functions::messages::EditChatTitle, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let changed = chat_admin::edit_title(
            ctx.world,
            &mut state,
            viewer,
            Peer::Chat(request.chat_id),
            &request.title,
            ctx.session,
        )?;
        Ok(deliver(ctx, state, changed))
    });

    router.add::<tl::functions::channels::EditTitle, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let channel = ctx.resolve_input_channel(&state, &request.channel)?;
        let changed = chat_admin::edit_title(
            ctx.world,
            &mut state,
            viewer,
            Peer::Channel(channel),
            &request.title,
            ctx.session,
        )?;
        Ok(deliver(ctx, state, changed))
    });

    router.add::<tl::functions::messages::EditChatPhoto, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        // Rights first: a refused call stores no upload.
        chat_admin::require_admin(&state, viewer, Peer::Chat(request.chat_id))?;
        let photo = chat_photo(ctx, &mut state, viewer, &request.photo)?;
        let changed = chat_admin::edit_photo(
            ctx.world,
            &mut state,
            viewer,
            Peer::Chat(request.chat_id),
            photo,
            ctx.session,
        )?;
        Ok(deliver(ctx, state, changed))
    });

    router.add::<tl::functions::channels::EditPhoto, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let channel = ctx.resolve_input_channel(&state, &request.channel)?;
        chat_admin::require_admin(&state, viewer, Peer::Channel(channel))?;
        let photo = chat_photo(ctx, &mut state, viewer, &request.photo)?;
        let changed = chat_admin::edit_photo(
            ctx.world,
            &mut state,
            viewer,
            Peer::Channel(channel),
            photo,
            ctx.session,
        )?;
        Ok(deliver(ctx, state, changed))
    });

    router.add::<tl::functions::messages::AddChatUser, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let user = ctx.resolve_input_user(&state, &request.user_id)?;
        let (changed, missing) = chat_admin::add_group_member(
            ctx.world,
            &mut state,
            viewer,
            request.chat_id,
            user,
            request.fwd_limit,
            ctx.session,
        )?;
        Ok(invited_users(ctx, state, changed, missing))
    });

    router.add::<tl::functions::messages::DeleteChatUser, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let user = ctx.resolve_input_user(&state, &request.user_id)?;
        let changed = chat_admin::remove_group_member(
            ctx.world,
            &mut state,
            viewer,
            request.chat_id,
            user,
            ctx.session,
        )?;
        Ok(deliver(ctx, state, changed))
    });

    router.add::<tl::functions::messages::MigrateChat, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let (_, changed) = chat_admin::migrate_group(
            ctx.world,
            &mut state,
            viewer,
            request.chat_id,
            ctx.dc_id,
            ctx.session,
        )?;
        Ok(deliver(ctx, state, changed))
    });

    router.add::<tl::functions::channels::InviteToChannel, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let channel = ctx.resolve_input_channel(&state, &request.channel)?;
        if request.users.is_empty() {
            return Err(RpcError::bad_request("USERS_TOO_FEW"));
        }
        let users = users_of(ctx, &state, &request.users)?;
        let (changed, missing) = chat_admin::invite_to_channel(
            ctx.world,
            &mut state,
            viewer,
            channel,
            &users,
            ctx.session,
        )?;
        Ok(invited_users(ctx, state, changed, missing))
    });

    router.add::<tl::functions::channels::LeaveChannel, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let channel = ctx.resolve_input_channel(&state, &request.channel)?;
        let changed =
            chat_admin::leave_channel(ctx.world, &mut state, viewer, channel, ctx.session)?;
        Ok(deliver(ctx, state, changed))
    });

    router.add::<tl::functions::channels::EditBanned, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let channel = ctx.resolve_input_channel(&state, &request.channel)?;
        let user = match ctx.resolve_input_peer(&state, &request.participant)? {
            Peer::User(user) => user,
            _ => return Err(RpcError::bad_request("PARTICIPANT_ID_INVALID")),
        };
        let tl::enums::ChatBannedRights::Rights(rights) = &request.banned_rights;
        let changed = chat_admin::ban_from_channel(
            ctx.world,
            &mut state,
            viewer,
            channel,
            user,
            rights.view_messages,
            ctx.session,
        )?;
        Ok(deliver(ctx, state, changed))
    });
}
