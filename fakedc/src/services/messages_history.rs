//! Reading messages back: `messages.getHistory`, `messages.search`,
//! `messages.searchGlobal`, `messages.getMessages` and
//! `channels.getMessages`, with Telegram's paging (newest first;
//! `offset_id`, `offset_date`, `add_offset`, `limit` clamped to 100,
//! `max_id` and `min_id` exclusive).

use grammers_tl_types as tl;

use crate::rpc::{CallContext, Peer, Router, RpcError};
use crate::world::sending::peers_of_messages;
use crate::world::{StoredMessage, WorldState};

/// The most messages one answer carries.
const MAX_LIMIT: i32 = 100;
/// What a `limit` of 0 or less means.
const DEFAULT_LIMIT: i32 = 20;

/// A dialog's messages for `viewer`, newest first.
fn dialog_messages(state: &WorldState, viewer: i64, dialog: Peer) -> Vec<&StoredMessage> {
    match dialog {
        Peer::Channel(c) => state
            .mailboxes
            .channel_ref(c)
            .map(|b| b.messages.values().rev().collect())
            .unwrap_or_default(),
        _ => state
            .mailboxes
            .user_ref(viewer)
            .map(|b| {
                b.messages
                    .values()
                    .rev()
                    .filter(|m| m.dialog() == dialog)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Where a page starts and what it holds.
struct Page<'s> {
    messages: Vec<&'s StoredMessage>,
    count: usize,
    start: usize,
}

struct Paging {
    offset_id: i32,
    offset_date: i32,
    add_offset: i32,
    limit: i32,
    max_id: i32,
    min_id: i32,
}

fn page<'s>(mut list: Vec<&'s StoredMessage>, paging: &Paging) -> (Page<'s>, usize) {
    list.retain(|m| {
        let id = m.message.id;
        (paging.max_id <= 0 || id < paging.max_id) && (paging.min_id <= 0 || id > paging.min_id)
    });
    let count = list.len();
    let anchor = if paging.offset_id > 0 {
        list.partition_point(|m| m.message.id >= paging.offset_id)
    } else if paging.offset_date > 0 {
        list.partition_point(|m| m.message.date >= paging.offset_date)
    } else {
        0
    };
    let start = (anchor as i64 + i64::from(paging.add_offset)).clamp(0, count as i64) as usize;
    let limit = if paging.limit <= 0 {
        DEFAULT_LIMIT
    } else {
        paging.limit.min(MAX_LIMIT)
    } as usize;
    let messages: Vec<_> = list.into_iter().skip(start).take(limit).collect();
    (
        Page {
            messages,
            count,
            start,
        },
        limit,
    )
}

/// The answer for a page: `messages.channelMessages` for channels, else
/// `messages.messages` when everything fit (unless `always_slice`), else
/// `messages.messagesSlice`.
fn answer(
    ctx: &CallContext<'_>,
    state: &WorldState,
    viewer: i64,
    dialog: Peer,
    page: Page<'_>,
    limit: usize,
    always_slice: bool,
) -> tl::enums::messages::Messages {
    let messages: Vec<tl::enums::Message> = page.messages.iter().map(|m| m.view(viewer)).collect();
    let (users, chats) = peers_of_messages(ctx.world, state, viewer, &messages);
    let count = i32::try_from(page.count).unwrap_or(i32::MAX);
    let offset = i32::try_from(page.start).unwrap_or(i32::MAX);
    if let Peer::Channel(c) = dialog {
        let pts = state.mailboxes.channel_ref(c).map_or(1, |b| b.pts);
        let chats = if chats.is_empty() {
            state
                .chats
                .channel(c)
                .map(|ch| vec![ch.to_tl(ctx.world, viewer)])
                .unwrap_or_default()
        } else {
            chats
        };
        return tl::types::messages::ChannelMessages {
            inexact: false,
            pts,
            count,
            offset_id_offset: Some(offset),
            messages,
            topics: Vec::new(),
            chats,
            users,
        }
        .into();
    }
    if !always_slice && page.start == 0 && page.count <= limit {
        return tl::types::messages::Messages {
            messages,
            topics: Vec::new(),
            chats,
            users,
        }
        .into();
    }
    tl::types::messages::MessagesSlice {
        inexact: false,
        count,
        next_rate: None,
        offset_id_offset: Some(offset),
        search_flood: None,
        messages,
        topics: Vec::new(),
        chats,
        users,
    }
    .into()
}

/// A marked peer id (users as is, groups negative, channels -100…), to
/// order messages of different dialogs.
fn marked(peer: Peer) -> i64 {
    match peer {
        Peer::User(id) => id,
        Peer::Chat(id) => -id,
        Peer::Channel(id) => -1_000_000_000_000 - id,
    }
}

fn matches_query(message: &StoredMessage, q: &str) -> bool {
    // Telegram's search finds service messages only when nothing is asked.
    q.is_empty() || (!message.is_service() && message.message.message.to_lowercase().contains(q))
}

fn message_or_empty(viewer: i64, found: Option<&StoredMessage>, id: i32) -> tl::enums::Message {
    match found {
        Some(m) => m.view(viewer),
        None => tl::types::MessageEmpty { id, peer_id: None }.into(),
    }
}

/// The message ids an `InputMessage` list names, in a box looked up by `get`.
fn lookup<'s>(
    viewer: i64,
    ids: &[tl::enums::InputMessage],
    get: impl Fn(i32) -> Option<&'s StoredMessage>,
) -> Vec<tl::enums::Message> {
    ids.iter()
        .map(|input| match input {
            tl::enums::InputMessage::Id(m) => message_or_empty(viewer, get(m.id), m.id),
            tl::enums::InputMessage::ReplyTo(m) => {
                let replied = get(m.id).and_then(|msg| match &msg.message.reply_to {
                    Some(tl::enums::MessageReplyHeader::Header(h)) => h.reply_to_msg_id,
                    _ => None,
                });
                match replied {
                    Some(id) => message_or_empty(viewer, get(id), id),
                    None => message_or_empty(viewer, None, m.id),
                }
            }
            _ => message_or_empty(viewer, None, 0),
        })
        .collect()
}

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::messages::GetHistory, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let state = ctx.world.lock();
        let dialog = ctx.resolve_input_peer(&state, &request.peer)?;
        let paging = Paging {
            offset_id: request.offset_id,
            offset_date: request.offset_date,
            add_offset: request.add_offset,
            limit: request.limit,
            max_id: request.max_id,
            min_id: request.min_id,
        };
        let (page, limit) = page(dialog_messages(&state, viewer, dialog), &paging);
        Ok(answer(ctx, &state, viewer, dialog, page, limit, false))
    });

    router.add::<tl::functions::messages::Search, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let state = ctx.world.lock();
        let dialog = ctx.resolve_input_peer(&state, &request.peer)?;
        let from = match &request.from_id {
            Some(peer) => Some(ctx.resolve_input_peer(&state, peer)?),
            None => None,
        };
        let q = request.q.to_lowercase();
        let filter_empty = matches!(
            request.filter,
            tl::enums::MessagesFilter::InputMessagesFilterEmpty
        );
        let list = dialog_messages(&state, viewer, dialog)
            .into_iter()
            .filter(|m| filter_empty && matches_query(m, &q))
            .filter(|m| from.is_none_or(|f| f == Peer::User(m.sender)))
            .filter(|m| request.min_date <= 0 || m.message.date >= request.min_date)
            .filter(|m| request.max_date <= 0 || m.message.date <= request.max_date)
            .collect();
        let paging = Paging {
            offset_id: request.offset_id,
            offset_date: 0,
            add_offset: request.add_offset,
            limit: request.limit,
            max_id: request.max_id,
            min_id: request.min_id,
        };
        let (page, limit) = page(list, &paging);
        Ok(answer(ctx, &state, viewer, dialog, page, limit, true))
    });

    router.add::<tl::functions::messages::SearchGlobal, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let state = ctx.world.lock();
        let q = request.q.to_lowercase();
        if q.is_empty() {
            return Err(RpcError::bad_request("SEARCH_QUERY_EMPTY"));
        }
        let cursor_peer = match &request.offset_peer {
            tl::enums::InputPeer::Empty => i64::MAX,
            peer => marked(ctx.resolve_input_peer(&state, peer)?),
        };
        let mut found: Vec<&StoredMessage> = state
            .mailboxes
            .user_ref(viewer)
            .map(|b| b.messages.values().collect())
            .unwrap_or_default();
        for channel_id in state.chats.channels_of(viewer) {
            if let Some(b) = state.mailboxes.channel_ref(channel_id) {
                found.extend(b.messages.values());
            }
        }
        let key = |m: &StoredMessage| (m.message.date, marked(m.dialog()), m.message.id);
        found.retain(|m| {
            let users = matches!(m.dialog(), Peer::User(_));
            let groups = matches!(m.dialog(), Peer::Chat(_))
                || (!m.message.post && matches!(m.dialog(), Peer::Channel(_)));
            let kind_ok = (!request.users_only || users)
                && (!request.groups_only || groups)
                && (!request.broadcasts_only || m.message.post);
            kind_ok && matches_query(m, &q)
        });
        found.sort_by_key(|m| std::cmp::Reverse(key(m)));
        let count = found.len();
        if request.offset_rate > 0 {
            let cursor = (request.offset_rate, cursor_peer, request.offset_id);
            found.retain(|m| key(m) < cursor);
        }
        let limit = if request.limit <= 0 {
            DEFAULT_LIMIT
        } else {
            request.limit.min(MAX_LIMIT)
        } as usize;
        let more = found.len() > limit;
        found.truncate(limit);
        let next_rate = more.then(|| found.last().map(|m| m.message.date)).flatten();
        let messages: Vec<tl::enums::Message> = found.iter().map(|m| m.view(viewer)).collect();
        let (users, chats) = peers_of_messages(ctx.world, &state, viewer, &messages);
        Ok(tl::types::messages::MessagesSlice {
            inexact: false,
            count: i32::try_from(count).unwrap_or(i32::MAX),
            next_rate,
            offset_id_offset: None,
            search_flood: None,
            messages,
            topics: Vec::new(),
            chats,
            users,
        }
        .into())
    });

    router.add::<tl::functions::messages::GetMessages, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let state = ctx.world.lock();
        let user_box = state.mailboxes.user_ref(viewer);
        let messages = lookup(viewer, &request.id, |id| {
            user_box.and_then(|b| b.messages.get(&id))
        });
        let (users, chats) = peers_of_messages(ctx.world, &state, viewer, &messages);
        Ok(tl::types::messages::Messages {
            messages,
            topics: Vec::new(),
            chats,
            users,
        }
        .into())
    });

    router.add::<tl::functions::channels::GetMessages, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let state = ctx.world.lock();
        let channel_id = ctx.resolve_input_channel(&state, &request.channel)?;
        let channel_box = state.mailboxes.channel_ref(channel_id);
        let messages = lookup(viewer, &request.id, |id| {
            channel_box.and_then(|b| b.messages.get(&id))
        });
        let (users, mut chats) = peers_of_messages(ctx.world, &state, viewer, &messages);
        if chats.is_empty()
            && let Some(channel) = state.chats.channel(channel_id)
        {
            chats.push(channel.to_tl(ctx.world, viewer));
        }
        Ok(tl::types::messages::ChannelMessages {
            inexact: false,
            pts: channel_box.map_or(1, |b| b.pts),
            count: i32::try_from(messages.len()).unwrap_or(i32::MAX),
            offset_id_offset: None,
            messages,
            topics: Vec::new(),
            chats,
            users,
        }
        .into())
    });
}
