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

use crate::rpc::{CallContext, Peer, Router};
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
            return Ok(tl::types::updates::DifferenceEmpty {
                date: ctx.world.now(),
                seq: user_box.seq,
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
        let (new_messages, other_updates) = contents(user_box, user, &entries);
        let reached = entries.last().map_or(current, |e| e.pts);
        let (users, chats) = peers_of_messages(ctx.world, &state, user, &new_messages);
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
        let state = ctx.world.lock();
        let channel_id = ctx.resolve_input_channel(&state, &request.channel)?;
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
            let (users, mut chats) = peers_of_messages(ctx.world, &state, user, &messages);
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
        let (users, mut chats) = peers_of_messages(ctx.world, &state, user, &new_messages);
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
    });
}
