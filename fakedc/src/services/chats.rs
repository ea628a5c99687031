//! Groups and channels: `messages.getFullChat`, `channels.getFullChannel`
//! and `channels.createChannel`, with Telegram's errors.

use grammers_tl_types as tl;

use crate::rpc::{CallContext, Router, RpcError};
use crate::world::{BasicGroup, Channel, StoredFile, WorldState, empty_notify_settings};

/// `chat_title_length_max`: longer titles are cut, as Telegram does.
const MAX_TITLE_LEN: usize = 128;
/// `chat_about_length_max`: longer descriptions are `CHAT_ABOUT_TOO_LONG`.
const MAX_ABOUT_LEN: usize = 255;
/// `channels_limit_default`: channels and supergroups one account may be in.
const MAX_CHANNELS_JOINED: usize = 500;

fn photo_of(state: &WorldState, photo_id: Option<i64>) -> Option<tl::enums::Photo> {
    photo_id
        .and_then(|id| state.files.get(id))
        .map(StoredFile::to_photo)
}

fn users_tl(
    ctx: &CallContext<'_>,
    state: &WorldState,
    viewer: i64,
    ids: impl IntoIterator<Item = i64>,
) -> Vec<tl::enums::User> {
    ids.into_iter()
        .filter_map(|id| state.users.get(id))
        .map(|u| u.to_tl(ctx.world, viewer))
        .collect()
}

fn full_chat(
    ctx: &CallContext<'_>,
    state: &WorldState,
    viewer: i64,
    group: &BasicGroup,
) -> tl::enums::messages::ChatFull {
    let full = tl::types::ChatFull {
        can_set_username: group.creator == viewer,
        has_scheduled: false,
        translations_disabled: false,
        has_welcome_messages: false,
        id: group.id,
        about: group.about.clone(),
        participants: group.participants_tl(),
        chat_photo: photo_of(state, group.photo_id),
        notify_settings: empty_notify_settings(),
        exported_invite: None,
        bot_info: None,
        pinned_msg_id: None,
        folder_id: None,
        call: None,
        ttl_period: None,
        groupcall_default_join_as: None,
        theme_emoticon: None,
        requests_pending: None,
        recent_requesters: None,
        available_reactions: None,
        reactions_limit: None,
    };
    tl::types::messages::ChatFull {
        full_chat: full.into(),
        chats: vec![group.to_tl(ctx.world, viewer)],
        users: users_tl(ctx, state, viewer, group.members.iter().map(|m| m.user_id)),
    }
    .into()
}

fn full_channel(
    ctx: &CallContext<'_>,
    state: &WorldState,
    viewer: i64,
    channel: &Channel,
) -> tl::enums::messages::ChatFull {
    let creator = channel.creator == viewer;
    let admin = creator || channel.admins.contains(&viewer);
    // Members of a broadcast channel are listed to its admins only.
    let can_view_participants = admin || !channel.broadcast;
    let full = tl::types::ChannelFull {
        can_view_participants,
        can_set_username: creator,
        can_set_stickers: admin && !channel.broadcast,
        hidden_prehistory: false,
        can_set_location: false,
        has_scheduled: false,
        can_view_stats: false,
        blocked: false,
        can_delete_channel: creator,
        antispam: false,
        participants_hidden: false,
        translations_disabled: false,
        stories_pinned_available: false,
        view_forum_as_messages: false,
        restricted_sponsored: false,
        can_view_revenue: false,
        paid_media_allowed: false,
        can_view_stars_revenue: false,
        paid_reactions_available: false,
        stargifts_available: false,
        paid_messages_available: false,
        has_welcome_messages: false,
        id: channel.id,
        about: channel.about.clone(),
        participants_count: Some(channel.members.len() as i32),
        admins_count: can_view_participants.then_some(channel.admins.len() as i32 + 1),
        kicked_count: admin.then_some(0),
        banned_count: admin.then_some(0),
        online_count: None,
        read_inbox_max_id: 0,
        read_outbox_max_id: 0,
        unread_count: 0,
        chat_photo: photo_of(state, channel.photo_id)
            .unwrap_or_else(|| tl::types::PhotoEmpty { id: 0 }.into()),
        notify_settings: empty_notify_settings(),
        exported_invite: None,
        bot_info: Vec::new(),
        migrated_from_chat_id: None,
        migrated_from_max_id: None,
        pinned_msg_id: None,
        stickerset: None,
        available_min_id: None,
        folder_id: None,
        linked_chat_id: None,
        location: None,
        slowmode_seconds: channel.slowmode_seconds,
        slowmode_next_send_date: None,
        stats_dc: None,
        pts: 1,
        call: None,
        ttl_period: None,
        pending_suggestions: None,
        groupcall_default_join_as: None,
        theme_emoticon: None,
        requests_pending: None,
        recent_requesters: None,
        default_send_as: None,
        available_reactions: None,
        reactions_limit: None,
        stories: None,
        wallpaper: None,
        boosts_applied: None,
        boosts_unrestrict: None,
        emojiset: None,
        bot_verification: None,
        stargifts_count: None,
        send_paid_messages_stars: None,
        main_tab: None,
        guard_bot_id: None,
    };
    tl::types::messages::ChatFull {
        full_chat: full.into(),
        chats: vec![channel.to_tl(ctx.world, viewer)],
        users: users_tl(ctx, state, viewer, [channel.creator]),
    }
    .into()
}

/// The channel an `InputChannel` names, with the access hash checked.
fn resolve_channel<'s>(
    ctx: &CallContext<'_>,
    state: &'s WorldState,
    viewer: i64,
    input: &tl::enums::InputChannel,
) -> Result<&'s Channel, RpcError> {
    let tl::enums::InputChannel::Channel(input) = input else {
        return Err(RpcError::bad_request("CHANNEL_INVALID"));
    };
    let channel = state
        .chats
        .channel(input.channel_id)
        .filter(|_| input.access_hash == ctx.world.access_hash(viewer, input.channel_id))
        .ok_or_else(|| RpcError::bad_request("CHANNEL_INVALID"))?;
    if !channel.visible_to(viewer) {
        return Err(RpcError::new(406, "CHANNEL_PRIVATE"));
    }
    Ok(channel)
}

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::messages::GetFullChat, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let state = ctx.world.lock();
        let group = state
            .chats
            .group(request.chat_id)
            .filter(|g| g.has_member(viewer))
            .ok_or_else(|| RpcError::bad_request("CHAT_ID_INVALID"))?;
        Ok(full_chat(ctx, &state, viewer, group))
    });

    router.add::<tl::functions::channels::GetFullChannel, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let state = ctx.world.lock();
        let channel = resolve_channel(ctx, &state, viewer, &request.channel)?;
        Ok(full_channel(ctx, &state, viewer, channel))
    });

    router.add::<tl::functions::channels::CreateChannel, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let title: String = request.title.trim().chars().take(MAX_TITLE_LEN).collect();
        if title.is_empty() {
            return Err(RpcError::bad_request("CHAT_TITLE_EMPTY"));
        }
        if request.about.chars().count() > MAX_ABOUT_LEN {
            return Err(RpcError::bad_request("CHAT_ABOUT_TOO_LONG"));
        }
        if request.ttl_period.is_some_and(|ttl| ttl < 0) {
            return Err(RpcError::bad_request("TTL_PERIOD_INVALID"));
        }
        let mut state = ctx.world.lock();
        if state.chats.channels_joined(viewer) >= MAX_CHANNELS_JOINED {
            return Err(RpcError::bad_request("CHANNELS_TOO_MUCH"));
        }
        let date = ctx.world.now();
        let id = state.chats.insert_channel(Channel {
            title,
            about: request.about,
            // Without `megagroup`, Telegram makes a broadcast channel.
            broadcast: !request.megagroup,
            creator: viewer,
            date,
            dc_id: ctx.dc_id,
            ..Channel::default()
        });
        let chat = state
            .chats
            .channel(id)
            .map(|c| c.to_tl(ctx.world, viewer))
            .ok_or_else(|| RpcError::internal("CHANNEL_ID_GENERATE_FAILED"))?;
        Ok(tl::types::Updates {
            updates: vec![tl::types::UpdateChannel { channel_id: id }.into()],
            users: users_tl(ctx, &state, viewer, [viewer]),
            chats: vec![chat],
            date,
            seq: 0,
        }
        .into())
    });
}
