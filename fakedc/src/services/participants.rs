//! `channels.getParticipants`: a channel's or supergroup's members, paged
//! by `offset` and `limit`, with Telegram's rules.
//!
//! - `limit` is cut to [`MAX_LIMIT`] (200); 0 answers the count only;
//!   negative offsets and limits count as 0.
//! - Filters: `channelParticipantsRecent` (every member; the world keeps no
//!   join dates, so members come in id order), `Admins` (the creator, then
//!   the admins), `Search` (first name, last name or username containing
//!   `q`, case-insensitive; an empty `q` is everyone), `Bots`, `Contacts`
//!   (the caller's contacts among the members, matching `q`). `Kicked`,
//!   `Banned` and `Mentions` list nobody: the world keeps no bans.
//! - The members of a broadcast channel are listed to its creator and
//!   admins only; anyone else gets `CHAT_ADMIN_REQUIRED`.
//! - A channel the caller's access hash does not name is `CHANNEL_INVALID`,
//!   a private one the caller is not in `CHANNEL_PRIVATE`
//!   ([`CallContext::resolve_input_channel`]).
//! - `hash` is [`combine_hash`] over the listed user ids; when it matches,
//!   the answer is `channels.channelParticipantsNotModified`.

use grammers_tl_types as tl;

use crate::rpc::{CallContext, Router, RpcError};
use crate::world::chats::creator_rights;
use crate::world::dialogs::combine_hash;
use crate::world::{Channel, WorldState};

/// The most members one answer carries.
pub const MAX_LIMIT: i32 = 200;

/// Whether user `id` matches the search text `q` (already lowercased).
fn matches(state: &WorldState, id: i64, q: &str) -> bool {
    if q.is_empty() {
        return true;
    }
    state.users.get(id).is_some_and(|u| {
        [
            Some(u.first_name.as_str()),
            Some(u.last_name.as_str()),
            u.username.as_deref(),
        ]
        .into_iter()
        .flatten()
        .any(|field| field.to_lowercase().contains(q))
    })
}

/// The members `filter` selects, in list order.
fn selected(
    state: &WorldState,
    viewer: i64,
    channel: &Channel,
    filter: &tl::enums::ChannelParticipantsFilter,
) -> Vec<i64> {
    use tl::enums::ChannelParticipantsFilter as F;
    let members = || channel.members.iter().copied();
    match filter {
        F::ChannelParticipantsRecent => members().collect(),
        F::ChannelParticipantsAdmins => std::iter::once(channel.creator)
            .chain(channel.admins.iter().copied())
            .filter(|id| channel.members.contains(id))
            .collect(),
        F::ChannelParticipantsSearch(s) => {
            let q = s.q.to_lowercase();
            members().filter(|&id| matches(state, id, &q)).collect()
        }
        F::ChannelParticipantsBots => members()
            .filter(|&id| state.users.get(id).is_some_and(|u| u.bot))
            .collect(),
        F::ChannelParticipantsContacts(c) => {
            let q = c.q.to_lowercase();
            let contacts = state.users.get(viewer).map(|u| &u.contacts);
            members()
                .filter(|id| contacts.is_some_and(|c| c.contains(id)))
                .filter(|&id| matches(state, id, &q))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// How `member` of `channel` looks to `viewer`.
fn participant(channel: &Channel, viewer: i64, member: i64) -> tl::enums::ChannelParticipant {
    if member == channel.creator {
        return tl::types::ChannelParticipantCreator {
            user_id: member,
            admin_rights: creator_rights(),
            rank: None,
        }
        .into();
    }
    if channel.admins.contains(&member) {
        return tl::types::ChannelParticipantAdmin {
            can_edit: viewer == channel.creator,
            is_self: member == viewer,
            user_id: member,
            inviter_id: (member == viewer).then_some(channel.creator),
            promoted_by: channel.creator,
            date: channel.date,
            admin_rights: creator_rights(),
            rank: None,
        }
        .into();
    }
    if member == viewer {
        return tl::types::ChannelParticipantSelf {
            via_request: false,
            user_id: member,
            inviter_id: channel.creator,
            date: channel.date,
            subscription_until_date: None,
            rank: None,
        }
        .into();
    }
    tl::types::ChannelParticipant {
        user_id: member,
        date: channel.date,
        subscription_until_date: None,
        rank: None,
    }
    .into()
}

fn get_participants(
    ctx: &CallContext<'_>,
    request: tl::functions::channels::GetParticipants,
) -> Result<tl::enums::channels::ChannelParticipants, RpcError> {
    let viewer = ctx.require_user()?;
    let state = ctx.world.lock();
    let channel_id = ctx.resolve_input_channel(&state, &request.channel)?;
    let channel = state
        .chats
        .channel(channel_id)
        .ok_or_else(|| RpcError::bad_request("CHANNEL_INVALID"))?;
    let admin = channel.creator == viewer || channel.admins.contains(&viewer);
    if channel.broadcast && !admin {
        return Err(RpcError::bad_request("CHAT_ADMIN_REQUIRED"));
    }
    let all = selected(&state, viewer, channel, &request.filter);
    let offset = usize::try_from(request.offset).unwrap_or(0);
    let limit = usize::try_from(request.limit.min(MAX_LIMIT)).unwrap_or(0);
    let page: Vec<i64> = all.iter().copied().skip(offset).take(limit).collect();
    if request.hash != 0 && request.hash == combine_hash(page.iter().copied()) {
        return Ok(tl::enums::channels::ChannelParticipants::NotModified);
    }
    Ok(tl::types::channels::ChannelParticipants {
        count: i32::try_from(all.len()).unwrap_or(i32::MAX),
        participants: page
            .iter()
            .map(|&member| participant(channel, viewer, member))
            .collect(),
        chats: Vec::new(),
        users: page
            .iter()
            .filter_map(|&id| state.users.get(id))
            .map(|u| u.to_tl(ctx.world, viewer))
            .collect(),
    }
    .into())
}

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::channels::GetParticipants, _>(get_participants);
}
