//! `updates.getState`, `updates.getDifference` and
//! `updates.getChannelDifference`, served from the update logs.
//!
//! A difference carries at most [`DIFFERENCE_SLICE`] `pts` (or the
//! request's `pts_limit`, if smaller) and is a `differenceSlice` with an
//! `intermediate_state` when more is left. `pts_total_limit` is honoured as
//! Telegram documents it: a gap bigger than it is `differenceTooLong`, as
//! is a gap older than the log. Channel differences carry at most 100
//! `pts` (`limit`, if smaller and positive) and are `final` once caught up.

use grammers_tl_types as tl;

use crate::rpc::{CallContext, Peer, Router, RpcError};
use crate::world::WorldState;
use crate::world::messages::{ChannelBox, LogEntry, Logged, MessageBox};
use crate::world::sending::peers_of_messages;

/// The most `pts` one `updates.difference(Slice)` covers.
pub const DIFFERENCE_SLICE: i32 = 100;
/// The most `pts` one `updates.channelDifference` covers.
const CHANNEL_DIFFERENCE_SLICE: i32 = 100;
/// The `timeout` a channel difference suggests before polling again (seconds).
const CHANNEL_TIMEOUT: i32 = 30;

fn state_of(
    ctx: &CallContext<'_>,
    state: &mut WorldState,
    user: i64,
    pts: i32,
) -> tl::enums::updates::State {
    let user_box = state.mailboxes.user(user);
    tl::types::updates::State {
        pts,
        qts: user_box.qts,
        date: ctx.world.now(),
        seq: user_box.seq,
        unread_count: user_box.total_unread(),
    }
    .into()
}

/// The entries after `pts`, up to `limit` `pts` (at least one entry), and
/// whether more are left; `None` if the log no longer reaches back.
fn slice_of(log_box: &dyn MessageBox, pts: i32, limit: i32) -> Option<(Vec<LogEntry>, bool)> {
    let mut taken = Vec::new();
    let mut covered = 0;
    let mut more = false;
    for entry in log_box.log().since(pts)? {
        if !taken.is_empty() && covered + entry.pts_count > limit {
            more = true;
            break;
        }
        covered += entry.pts_count;
        taken.push(entry.clone());
    }
    Some((taken, more))
}

/// The messages and other updates of log entries, as `viewer` sees them now.
fn contents(
    log_box: &dyn MessageBox,
    viewer: i64,
    entries: &[LogEntry],
) -> (Vec<tl::enums::Message>, Vec<tl::enums::Update>) {
    let mut messages = Vec::new();
    let mut others = Vec::new();
    for entry in entries {
        match &entry.what {
            // A message deleted since is left out; its deletion follows.
            Logged::NewMessage(id) => {
                messages.extend(log_box.messages().get(id).map(|m| m.view(viewer)))
            }
            Logged::Edited(id) => {
                let Some(message) = log_box.messages().get(id).map(|m| m.view(viewer)) else {
                    continue;
                };
                let (pts, pts_count) = (entry.pts, entry.pts_count);
                others.push(if log_box.is_channel() {
                    tl::types::UpdateEditChannelMessage {
                        message,
                        pts,
                        pts_count,
                    }
                    .into()
                } else {
                    tl::types::UpdateEditMessage {
                        message,
                        pts,
                        pts_count,
                    }
                    .into()
                });
            }
            Logged::Other(update) => others.push((**update).clone()),
        }
    }
    (messages, others)
}

/// The most `pts` of one channel a common difference carries as the
/// channel's own updates; more become one `updateChannelTooLong`.
/// Telegram documents the two shapes, not where it draws the line.
pub const CHANNEL_UPDATES_INLINE: i32 = 10;

/// What the common difference says about `user`'s channels.
///
/// Channel updates have their own `pts` and are not part of the common
/// box (core.telegram.org/api/updates: "each channel has its own pts";
/// they are fetched with `updates.getChannelDifference`). For a channel
/// with updates `user` did not get (pushed while no session of it was
/// subscribed), `other_updates` carries either those few updates
/// (`updateNewChannelMessage` and the like, with the channel's `pts`),
/// or, when there are many, `updateChannelTooLong{channel_id, pts}`,
/// which per core.telegram.org/constructor/updateChannelTooLong tells the
/// client to call `updates.getChannelDifference`, starting from `pts` if
/// it has none stored: `pts` is where the user was left. Either way the
/// user counts as brought up to date.
fn channel_news(
    ctx: &CallContext<'_>,
    state: &mut WorldState,
    user: i64,
) -> (
    Vec<tl::enums::Update>,
    Vec<tl::enums::User>,
    Vec<tl::enums::Chat>,
) {
    let mut updates = Vec::new();
    let mut messages = Vec::new();
    let mut touched = Vec::new();
    for channel_id in state.chats.channels_of(user) {
        let Some(channel_box) = state.mailboxes.channel_ref(channel_id) else {
            continue;
        };
        let from = channel_box.delivered(user);
        if channel_box.pts <= from {
            continue;
        }
        touched.push((channel_id, channel_box.pts));
        let entries: Option<Vec<LogEntry>> = (channel_box.pts - from <= CHANNEL_UPDATES_INLINE)
            .then(|| channel_box.log.since(from).map(|it| it.cloned().collect()))
            .flatten();
        let Some(entries) = entries else {
            updates.push(
                tl::types::UpdateChannelTooLong {
                    channel_id,
                    pts: Some(from),
                }
                .into(),
            );
            continue;
        };
        for entry in &entries {
            let (pts, pts_count) = (entry.pts, entry.pts_count);
            match &entry.what {
                Logged::NewMessage(id) => {
                    let Some(message) = channel_box.messages.get(id).map(|m| m.view(user)) else {
                        continue;
                    };
                    messages.push(message.clone());
                    updates.push(
                        tl::types::UpdateNewChannelMessage {
                            message,
                            pts,
                            pts_count,
                        }
                        .into(),
                    );
                }
                Logged::Edited(id) => {
                    let Some(message) = channel_box.messages.get(id).map(|m| m.view(user)) else {
                        continue;
                    };
                    messages.push(message.clone());
                    updates.push(
                        tl::types::UpdateEditChannelMessage {
                            message,
                            pts,
                            pts_count,
                        }
                        .into(),
                    );
                }
                Logged::Other(update) => updates.push((**update).clone()),
            }
        }
    }
    let (users, mut chats) = peers_of_messages(ctx.world, state, user, &messages);
    for &(channel_id, pts) in &touched {
        if let Some(channel) = state.chats.channel(channel_id) {
            merge_chats(&mut chats, vec![channel.to_tl(ctx.world, user)]);
        }
        state
            .mailboxes
            .channel(channel_id)
            .mark_delivered(user, pts);
    }
    (updates, users, chats)
}

fn merge_users(into: &mut Vec<tl::enums::User>, more: Vec<tl::enums::User>) {
    let id = |u: &tl::enums::User| match u {
        tl::enums::User::User(u) => u.id,
        tl::enums::User::Empty(u) => u.id,
    };
    for user in more {
        if !into.iter().any(|u| id(u) == id(&user)) {
            into.push(user);
        }
    }
}

fn merge_chats(into: &mut Vec<tl::enums::Chat>, more: Vec<tl::enums::Chat>) {
    let id = |c: &tl::enums::Chat| match c {
        tl::enums::Chat::Chat(c) => c.id,
        tl::enums::Chat::Channel(c) => c.id,
        tl::enums::Chat::Forbidden(c) => c.id,
        tl::enums::Chat::ChannelForbidden(c) => c.id,
        tl::enums::Chat::Empty(c) => c.id,
        _ => 0,
    };
    for chat in more {
        if !into.iter().any(|c| id(c) == id(&chat)) {
            into.push(chat);
        }
    }
}

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::updates::GetState, _>(|ctx, _| {
        let user = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let pts = state.mailboxes.user(user).pts;
        Ok(state_of(ctx, &mut state, user, pts))
    });

    router.add::<tl::functions::updates::GetDifference, _>(|ctx, request| {
        let user = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let user_box = state.mailboxes.user(user);
        let current = user_box.pts;
        if request.pts >= current {
            let (channel_updates, users, chats) = channel_news(ctx, &mut state, user);
            if channel_updates.is_empty() {
                let user_box = state.mailboxes.user(user);
                return Ok(tl::types::updates::DifferenceEmpty {
                    date: ctx.world.now(),
                    seq: user_box.seq,
                }
                .into());
            }
            return Ok(tl::types::updates::Difference {
                new_messages: Vec::new(),
                new_encrypted_messages: Vec::new(),
                other_updates: channel_updates,
                chats,
                users,
                state: state_of(ctx, &mut state, user, current),
            }
            .into());
        }
        let over_total = request
            .pts_total_limit
            .is_some_and(|total| total > 0 && current - request.pts > total);
        let limit = request
            .pts_limit
            .filter(|&l| l > 0)
            .map_or(DIFFERENCE_SLICE, |l| l.min(DIFFERENCE_SLICE));
        let slice = slice_of(user_box, request.pts, limit);
        let (entries, more) = match slice {
            Some(slice) if !over_total && !ctx.world.faults().take_too_long_difference() => slice,
            _ => return Ok(tl::types::updates::DifferenceTooLong { pts: current }.into()),
        };
        let (new_messages, mut other_updates) = contents(user_box, user, &entries);
        let reached = entries.last().map_or(current, |e| e.pts);
        let (mut users, mut chats) = peers_of_messages(ctx.world, &state, user, &new_messages);
        if more {
            return Ok(tl::types::updates::DifferenceSlice {
                new_messages,
                new_encrypted_messages: Vec::new(),
                other_updates,
                chats,
                users,
                intermediate_state: state_of(ctx, &mut state, user, reached),
            }
            .into());
        }
        // Channels come last, with the final part of the difference.
        let (channel_updates, channel_users, channel_chats) = channel_news(ctx, &mut state, user);
        other_updates.extend(channel_updates);
        merge_users(&mut users, channel_users);
        merge_chats(&mut chats, channel_chats);
        Ok(tl::types::updates::Difference {
            new_messages,
            new_encrypted_messages: Vec::new(),
            other_updates,
            chats,
            users,
            state: state_of(ctx, &mut state, user, current),
        }
        .into())
    });

    router.add::<tl::functions::updates::GetChannelDifference, _>(|ctx, request| {
        let user = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let channel_id = ctx.resolve_input_channel(&state, &request.channel)?;
        let answer = channel_difference(ctx, &state, user, request)?;
        // What the answer brings the user to, it need not hear of again.
        let reached = match &answer {
            tl::enums::updates::ChannelDifference::Empty(e) => Some(e.pts),
            tl::enums::updates::ChannelDifference::Difference(d) => Some(d.pts),
            tl::enums::updates::ChannelDifference::TooLong(t) => match &t.dialog {
                tl::enums::Dialog::Dialog(d) => d.pts,
                _ => None,
            },
        };
        if let Some(pts) = reached {
            state
                .mailboxes
                .channel(channel_id)
                .mark_delivered(user, pts);
        }
        Ok(answer)
    });
}

fn channel_difference(
    ctx: &CallContext<'_>,
    state: &WorldState,
    user: i64,
    request: tl::functions::updates::GetChannelDifference,
) -> Result<tl::enums::updates::ChannelDifference, RpcError> {
    let channel_id = ctx.resolve_input_channel(state, &request.channel)?;
    let empty = ChannelBox::default();
    let channel_box = state.mailboxes.channel_ref(channel_id).unwrap_or(&empty);
    let current = channel_box.pts;
    if request.pts >= current {
        return Ok(tl::types::updates::ChannelDifferenceEmpty {
            r#final: true,
            pts: current,
            timeout: Some(CHANNEL_TIMEOUT),
        }
        .into());
    }
    let limit = if request.limit <= 0 {
        CHANNEL_DIFFERENCE_SLICE
    } else {
        request.limit.min(CHANNEL_DIFFERENCE_SLICE)
    };
    let slice = slice_of(channel_box, request.pts, limit)
        .filter(|_| !ctx.world.faults().take_too_long_difference());
    let Some((entries, more)) = slice else {
        // Too far behind: the dialog as it is now and its latest messages.
        let messages: Vec<tl::enums::Message> = channel_box
            .messages
            .values()
            .rev()
            .take(limit as usize)
            .map(|m| m.view(user))
            .collect();
        let (users, mut chats) = peers_of_messages(ctx.world, state, user, &messages);
        if chats.is_empty()
            && let Some(channel) = state.chats.channel(channel_id)
        {
            chats.push(channel.to_tl(ctx.world, user));
        }
        let read_inbox_max_id = channel_box.read_inbox.get(&user).copied().unwrap_or(0);
        let dialog = tl::types::Dialog {
            pinned: false,
            unread_mark: false,
            view_forum_as_messages: false,
            peer: Peer::Channel(channel_id).to_tl(),
            top_message: channel_box
                .messages
                .keys()
                .next_back()
                .copied()
                .unwrap_or(0),
            read_inbox_max_id,
            read_outbox_max_id: channel_box.read_by_anyone,
            unread_count: channel_box.unread_count(user),
            unread_mentions_count: 0,
            unread_reactions_count: 0,
            unread_poll_votes_count: 0,
            notify_settings: crate::world::empty_notify_settings(),
            pts: Some(current),
            draft: None,
            folder_id: None,
            ttl_period: None,
        };
        return Ok(tl::types::updates::ChannelDifferenceTooLong {
            r#final: true,
            timeout: Some(CHANNEL_TIMEOUT),
            dialog: dialog.into(),
            messages,
            chats,
            users,
        }
        .into());
    };
    let (new_messages, other_updates) = contents(channel_box, user, &entries);
    let (users, mut chats) = peers_of_messages(ctx.world, state, user, &new_messages);
    if chats.is_empty()
        && let Some(channel) = state.chats.channel(channel_id)
    {
        chats.push(channel.to_tl(ctx.world, user));
    }
    Ok(tl::types::updates::ChannelDifference {
        r#final: !more,
        pts: entries.last().map_or(current, |e| e.pts),
        timeout: Some(CHANNEL_TIMEOUT),
        new_messages,
        other_updates,
        chats,
        users,
    }
    .into())
}
