//! Sending messages: the copies in every box, and what the sender's call
//! answers and every other session gets pushed, as Telegram shapes them.
//!
//! - private chats and basic groups: each participant gets a copy with an
//!   id and `pts` of their own box. `messages.sendMessage` answers
//!   `updateShortSentMessage`; the receivers and the sender's other
//!   sessions get `updateShortMessage` / `updateShortChatMessage` (the
//!   sender's with `out`), or `updates` with `updateNewMessage` when the
//!   message has media (a web-page preview included).
//! - channels: one copy, the channel's id and `pts`; the answer is
//!   `updates` with `updateMessageID` + `updateNewChannelMessage`, and
//!   members get `updates` with `updateNewChannelMessage` (`seq` 0).
//! - `sendMedia` and `forwardMessages` answer `updates` with
//!   `updateMessageID` + `updateNewMessage`/`updateNewChannelMessage`.
//!
//! `seq`: an `updates` container with updates of a user's box takes the
//! next `seq` of that user when every session of the user sees one (the
//! caller's answer and the pushes to its other sessions share it);
//! channel-only containers, and containers only the other sessions get,
//! carry 0.

use grammers_tl_types as tl;

use super::messages::{PeerTarget, StoredMessage, blank_message, mentions, webpage_preview};
use super::push::Delivery;
use super::{World, WorldState};

/// A refused call: Telegram's code and error name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// 400, 403 …
    pub code: i32,
    /// e.g. `PEER_ID_INVALID`.
    pub name: &'static str,
}

impl Refusal {
    /// A 400 refusal.
    pub fn bad(name: &'static str) -> Self {
        Self { code: 400, name }
    }
    /// A 403 refusal.
    pub fn forbidden(name: &'static str) -> Self {
        Self { code: 403, name }
    }
}

/// A message to send.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// The text (the caption for media).
    pub text: String,
    /// Formatting entities.
    pub entities: Option<Vec<tl::enums::MessageEntity>>,
    /// Media, if any.
    pub media: Option<tl::enums::MessageMedia>,
    /// The message it replies to, in the sender's view of the chat.
    pub reply_to_msg_id: Option<i32>,
    /// The forward header, for forwarded messages.
    pub fwd_from: Option<tl::enums::MessageFwdHeader>,
    /// No web-page preview.
    pub no_webpage: bool,
    /// Sent without sound.
    pub silent: bool,
}

impl Draft {
    /// A plain text message.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }
}

/// One stored message: the sender's copy and everyone else's.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Where it was sent.
    pub target: PeerTarget,
    /// The sender.
    pub sender: i64,
    /// The sender's copy (in the channel for channels).
    pub message: tl::types::Message,
    /// What it records, for a service message.
    pub action: Option<tl::enums::MessageAction>,
    /// The `pts` after it, of the sender's box or the channel.
    pub pts: i32,
    /// Every other user's copy (private chats and groups) with their `pts`,
    /// or each member's view with the channel's `pts`.
    pub recipients: Vec<(i64, tl::types::Message, i32)>,
}

/// The users and chats a container for `viewer` names.
fn peers_for(
    world: &World,
    state: &WorldState,
    viewer: i64,
    stored: &[&Stored],
) -> (Vec<tl::enums::User>, Vec<tl::enums::Chat>) {
    let mut user_ids = vec![viewer];
    let mut chats = Vec::new();
    let mut seen = Vec::new();
    for s in stored {
        user_ids.push(s.sender);
        user_ids.extend(s.action.as_ref().map(users_of_action).unwrap_or_default());
        if let Some(tl::enums::MessageFwdHeader::Header(h)) = &s.message.fwd_from
            && let Some(tl::enums::Peer::User(u)) = &h.from_id
        {
            user_ids.push(u.user_id);
        }
        if seen.contains(&s.target) {
            continue;
        }
        seen.push(s.target);
        match s.target {
            PeerTarget::User(id) => user_ids.push(id),
            PeerTarget::Chat(id) => {
                if let Some(group) = state.chats.group(id) {
                    chats.push(group.to_tl(world, viewer));
                }
            }
            PeerTarget::Channel(id) => {
                if let Some(channel) = state.chats.channel(id) {
                    chats.push(channel.to_tl(world, viewer));
                }
            }
        }
    }
    user_ids.sort_unstable();
    user_ids.dedup();
    let users = user_ids
        .into_iter()
        .filter_map(|id| state.users.get(id).map(|u| u.to_tl(world, viewer)))
        .collect();
    (users, chats)
}

/// The users a service action names (added, removed, inviter).
pub fn users_of_action(action: &tl::enums::MessageAction) -> Vec<i64> {
    use tl::enums::MessageAction as A;
    match action {
        A::ChatCreate(a) => a.users.clone(),
        A::ChatAddUser(a) => a.users.clone(),
        A::ChatDeleteUser(a) => vec![a.user_id],
        A::ChatJoinedByLink(a) => vec![a.inviter_id],
        _ => Vec::new(),
    }
}

/// Checks that `from` may write to `to`.
fn check_can_write(state: &WorldState, from: i64, to: PeerTarget) -> Result<(), Refusal> {
    match to {
        PeerTarget::User(id) => {
            if state.users.get(id).is_none() {
                return Err(Refusal::bad("PEER_ID_INVALID"));
            }
            if id != from && state.blocks.is_blocked(from, id) {
                return Err(Refusal::bad("YOU_BLOCKED_USER"));
            }
        }
        PeerTarget::Chat(id) => {
            let group = state
                .chats
                .group(id)
                .ok_or(Refusal::bad("PEER_ID_INVALID"))?;
            if group.deactivated || !group.has_member(from) {
                return Err(Refusal::forbidden("CHAT_WRITE_FORBIDDEN"));
            }
        }
        PeerTarget::Channel(id) => {
            let channel = state
                .chats
                .channel(id)
                .ok_or(Refusal::bad("CHANNEL_INVALID"))?;
            if !channel.visible_to(from) {
                return Err(Refusal {
                    code: 406,
                    name: "CHANNEL_PRIVATE",
                });
            }
            let admin = channel.creator == from || channel.admins.contains(&from);
            if channel.broadcast && !admin {
                return Err(Refusal::bad("CHAT_ADMIN_REQUIRED"));
            }
            if !channel.members.contains(&from) {
                return Err(Refusal::forbidden("CHAT_WRITE_FORBIDDEN"));
            }
        }
    }
    Ok(())
}

fn reply_header(reply_to_msg_id: i32) -> tl::enums::MessageReplyHeader {
    tl::types::MessageReplyHeader {
        reply_to_scheduled: false,
        forum_topic: false,
        quote: false,
        reply_to_ephemeral: false,
        reply_to_msg_id: Some(reply_to_msg_id),
        reply_to_peer_id: None,
        reply_from: None,
        reply_media: None,
        reply_to_top_id: None,
        quote_text: None,
        quote_entities: None,
        quote_offset: None,
        todo_item_id: None,
        poll_option: None,
    }
    .into()
}

/// Stores a message from `from` to `to` in every box it goes to. Checks
/// the text and rights first; a reply to a message that does not exist is
/// sent as a plain message, as Telegram does.
pub fn store_message(
    world: &World,
    state: &mut WorldState,
    from: i64,
    to: PeerTarget,
    mut draft: Draft,
) -> Result<Stored, Refusal> {
    if draft.text.encode_utf16().count() > super::messages::MAX_MESSAGE_LEN {
        return Err(Refusal::bad("MESSAGE_TOO_LONG"));
    }
    if draft.media.is_none() && draft.text.trim().is_empty() {
        return Err(Refusal::bad("MESSAGE_EMPTY"));
    }
    check_can_write(state, from, to)?;
    if draft.media.is_none() && !draft.no_webpage {
        draft.media = webpage_preview(&draft.text);
    }
    let date = world.now();
    let mut base = blank_message(0, to.to_tl(), date);
    base.message = draft.text.clone();
    base.entities = draft.entities.clone();
    base.media = draft.media.clone();
    base.fwd_from = draft.fwd_from.clone();
    base.silent = draft.silent;
    // The reply, in the sender's view; other boxes map it to their copy.
    let reply_origin = draft.reply_to_msg_id.and_then(|id| match to {
        PeerTarget::Channel(c) => state
            .mailboxes
            .channel_ref(c)
            .and_then(|b| b.messages.get(&id))
            .map(|m| m.origin),
        _ => state
            .mailboxes
            .user_ref(from)
            .and_then(|b| b.messages.get(&id))
            .filter(|m| m.dialog() == to)
            .map(|m| m.origin),
    });
    let reply = reply_origin.zip(draft.reply_to_msg_id);
    store_copies(state, from, to, base, None, reply, &draft.text, &[])
}

/// Stores a service message from `from` recording `action` in `to`: a copy
/// in every member's box (or the channel's), and in the box of each of
/// `also`, who are no longer members but must see it (a removed member).
/// Rights are the caller's to check.
pub fn store_service(
    world: &World,
    state: &mut WorldState,
    from: i64,
    to: PeerTarget,
    action: tl::enums::MessageAction,
    also: &[i64],
) -> Result<Stored, Refusal> {
    let base = blank_message(0, to.to_tl(), world.now());
    store_copies(state, from, to, base, Some(action), None, "", also)
}

/// Puts `base` into every box it goes to. `reply` is the origin and the
/// sender's id of the message it answers; `text` is checked for mentions.
#[allow(clippy::too_many_arguments)]
fn store_copies(
    state: &mut WorldState,
    from: i64,
    to: PeerTarget,
    base: tl::types::Message,
    action: Option<tl::enums::MessageAction>,
    reply: Option<(u64, i32)>,
    text: &str,
    also: &[i64],
) -> Result<Stored, Refusal> {
    let reply_origin = reply.map(|(origin, _)| origin);
    let origin = state.mailboxes.new_origin();

    if let PeerTarget::Channel(channel_id) = to {
        let (broadcast, members) = match state.chats.channel(channel_id) {
            Some(c) => (c.broadcast, c.members.clone()),
            None => return Err(Refusal::bad("CHANNEL_INVALID")),
        };
        let channel_box = state.mailboxes.channel(channel_id);
        let mut message = base;
        message.id = channel_box.take_id();
        message.post = broadcast;
        message.from_id = (!broadcast).then(|| tl::types::PeerUser { user_id: from }.into());
        if reply_origin.is_some() {
            message.reply_to = reply.map(|(_, id)| reply_header(id));
        }
        let stored = StoredMessage {
            sender: from,
            origin,
            message: message.clone(),
            action: action.clone(),
        };
        let pts = channel_box.add_message(stored);
        let recipients = members
            .into_iter()
            .chain(also.iter().copied())
            .filter(|&m| m != from)
            .map(|m| {
                let mut view = message.clone();
                view.out = false;
                view.mentioned = username_mentioned(state, m, text);
                (m, view, pts)
            })
            .collect();
        message.out = true;
        return Ok(Stored {
            target: to,
            sender: from,
            message,
            action,
            pts,
            recipients,
        });
    }

    // Private chats and basic groups: one copy per participant.
    let mut participants: Vec<i64> = match to {
        PeerTarget::User(id) if id == from => vec![from],
        // A receiver who blocked the sender never gets the message.
        PeerTarget::User(id) if state.blocks.is_blocked(id, from) => vec![from],
        PeerTarget::User(id) => vec![from, id],
        PeerTarget::Chat(id) => {
            let mut members: Vec<i64> = state
                .chats
                .group(id)
                .map(|g| g.members.iter().map(|m| m.user_id).collect())
                .unwrap_or_default();
            members.retain(|&m| m != from);
            members.insert(0, from);
            members
        }
        PeerTarget::Channel(_) => unreachable!("channels are handled above"),
    };
    for &extra in also {
        if !participants.contains(&extra) {
            participants.push(extra);
        }
    }
    let mut sender_copy = None;
    let mut recipients = Vec::new();
    for owner in participants {
        let mut copy = base.clone();
        let out = owner == from;
        copy.out = out;
        copy.peer_id = match to {
            PeerTarget::User(id) if out => PeerTarget::User(id).to_tl(),
            PeerTarget::User(_) => PeerTarget::User(from).to_tl(),
            other => other.to_tl(),
        };
        // Private chats carry no `from_id` (the peer is the sender), except
        // Saved Messages; groups name the sender.
        copy.from_id = match to {
            PeerTarget::User(id) if id != from => None,
            _ => Some(tl::types::PeerUser { user_id: from }.into()),
        };
        if !out {
            copy.mentioned = username_mentioned(state, owner, text);
            copy.media_unread = copy.mentioned;
        }
        let user_box = state.mailboxes.user(owner);
        copy.id = user_box.take_id();
        let reply_in_box = reply_origin.and_then(|o| {
            user_box
                .messages
                .values()
                .rev()
                .find(|m| m.origin == o)
                .map(|m| m.message.id)
        });
        copy.reply_to = reply_in_box.map(reply_header);
        let pts = user_box.add_message(StoredMessage {
            sender: from,
            origin,
            message: copy.clone(),
            action: action.clone(),
        });
        state.mailboxes.link(origin, owner, copy.id);
        if to == PeerTarget::User(from) {
            let mirror = state.accounts.entry(from).or_default();
            mirror
                .saved_messages
                .push(super::messages::to_wire(copy.clone(), action.as_ref()));
            mirror.pts = pts;
        }
        if out {
            sender_copy = Some((copy, pts));
        } else {
            recipients.push((owner, copy, pts));
        }
    }
    let (message, pts) = sender_copy.ok_or(Refusal::bad("PEER_ID_INVALID"))?;
    Ok(Stored {
        target: to,
        sender: from,
        message,
        action,
        pts,
        recipients,
    })
}

fn username_mentioned(state: &WorldState, user_id: i64, text: &str) -> bool {
    state
        .users
        .get(user_id)
        .and_then(|u| u.username.as_deref())
        .is_some_and(|name| mentions(text, name))
}

fn new_message_update(
    target: PeerTarget,
    message: &tl::types::Message,
    action: Option<&tl::enums::MessageAction>,
    pts: i32,
) -> tl::enums::Update {
    let message = super::messages::to_wire(message.clone(), action);
    match target {
        PeerTarget::Channel(_) => tl::types::UpdateNewChannelMessage {
            message,
            pts,
            pts_count: 1,
        }
        .into(),
        _ => tl::types::UpdateNewMessage {
            message,
            pts,
            pts_count: 1,
        }
        .into(),
    }
}

/// The short form of a private or group text message for `owner`'s copy.
fn short_update(stored: &Stored, copy: &tl::types::Message, pts: i32) -> tl::enums::Updates {
    match stored.target {
        PeerTarget::User(peer) => tl::types::UpdateShortMessage {
            out: copy.out,
            mentioned: copy.mentioned,
            media_unread: copy.media_unread,
            silent: copy.silent,
            id: copy.id,
            user_id: if copy.out { peer } else { stored.sender },
            message: copy.message.clone(),
            pts,
            pts_count: 1,
            date: copy.date,
            fwd_from: copy.fwd_from.clone(),
            via_bot_id: None,
            reply_to: copy.reply_to.clone(),
            entities: copy.entities.clone(),
            ttl_period: None,
        }
        .into(),
        PeerTarget::Chat(chat_id) | PeerTarget::Channel(chat_id) => {
            tl::types::UpdateShortChatMessage {
                out: copy.out,
                mentioned: copy.mentioned,
                media_unread: copy.media_unread,
                silent: copy.silent,
                id: copy.id,
                from_id: stored.sender,
                chat_id,
                message: copy.message.clone(),
                pts,
                pts_count: 1,
                date: copy.date,
                fwd_from: copy.fwd_from.clone(),
                via_bot_id: None,
                reply_to: copy.reply_to.clone(),
                entities: copy.entities.clone(),
                ttl_period: None,
            }
            .into()
        }
    }
}

/// The next `seq` of `user_id`.
pub fn next_seq(state: &mut WorldState, user_id: i64) -> i32 {
    let user_box = state.mailboxes.user(user_id);
    user_box.seq += 1;
    user_box.seq
}

/// What the sender's call answers, and what every other session gets.
/// `full` is the `updates` answer of `sendMedia` / `forwardMessages`;
/// otherwise the answer is `sendMessage`'s (one message). `random_ids`
/// pair with `stored` for `updateMessageID`.
pub fn answer_and_pushes(
    world: &World,
    state: &mut WorldState,
    stored: &[Stored],
    random_ids: &[i64],
    full: bool,
    caller: Option<u64>,
) -> (tl::enums::Updates, Vec<Delivery>) {
    let date = world.now();
    let Some(first) = stored.first() else {
        return (tl::enums::Updates::TooLong, Vec::new());
    };
    let sender = first.sender;
    let in_user_box = stored
        .iter()
        .any(|s| !matches!(s.target, PeerTarget::Channel(_)));
    let mut deliveries = Vec::new();
    let all: Vec<&Stored> = stored.iter().collect();
    let new_updates: Vec<tl::enums::Update> = stored
        .iter()
        .map(|s| new_message_update(s.target, &s.message, s.action.as_ref(), s.pts))
        .collect();

    // The caller's answer, and the sender's other sessions.
    let short_sent = !full && in_user_box;
    let answer_seq = if full && in_user_box {
        next_seq(state, sender)
    } else {
        0
    };
    let answer: tl::enums::Updates = if short_sent {
        tl::types::UpdateShortSentMessage {
            out: true,
            id: first.message.id,
            pts: first.pts,
            pts_count: 1,
            date: first.message.date,
            media: first.message.media.clone(),
            entities: first.message.entities.clone(),
            ttl_period: None,
        }
        .into()
    } else {
        let (users, chats) = peers_for(world, state, sender, &all);
        let mut updates: Vec<tl::enums::Update> = stored
            .iter()
            .zip(random_ids)
            .map(|(s, &random_id)| {
                tl::types::UpdateMessageId {
                    id: s.message.id,
                    random_id,
                }
                .into()
            })
            .collect();
        updates.extend(new_updates.iter().cloned());
        tl::types::Updates {
            updates,
            users,
            chats,
            date,
            seq: answer_seq,
        }
        .into()
    };
    let own_push = if short_sent && first.message.media.is_none() {
        short_update(first, &first.message, first.pts)
    } else {
        let (users, chats) = peers_for(world, state, sender, &all);
        tl::types::Updates {
            updates: new_updates,
            users,
            chats,
            date,
            seq: answer_seq,
        }
        .into()
    };
    deliveries.push(Delivery {
        user_id: sender,
        except_session: caller,
        updates: own_push,
    });

    // Everyone else, one push per message.
    for s in stored {
        for (owner, copy, pts) in &s.recipients {
            let channel = matches!(s.target, PeerTarget::Channel(_));
            let updates = if !full && !channel && copy.media.is_none() {
                short_update(s, copy, *pts)
            } else {
                let (users, chats) = peers_for(world, state, *owner, &[s]);
                let seq = if channel { 0 } else { next_seq(state, *owner) };
                tl::types::Updates {
                    updates: vec![new_message_update(s.target, copy, s.action.as_ref(), *pts)],
                    users,
                    chats,
                    date,
                    seq,
                }
                .into()
            };
            deliveries.push(Delivery {
                user_id: *owner,
                except_session: None,
                updates,
            });
        }
    }
    (answer, deliveries)
}

/// The `updates` container `viewer` gets for updates of its own box
/// (reads, deletions), with the next `seq`.
pub fn box_updates(
    state: &mut WorldState,
    viewer: i64,
    date: i32,
    updates: Vec<tl::enums::Update>,
) -> tl::enums::Updates {
    let seq = next_seq(state, viewer);
    tl::types::Updates {
        updates,
        users: Vec::new(),
        chats: Vec::new(),
        date,
        seq,
    }
    .into()
}

/// An `updateShort` (no `pts`, no `seq`): typing and channel reads.
pub fn short(update: tl::enums::Update, date: i32) -> tl::enums::Updates {
    tl::types::UpdateShort { update, date }.into()
}

/// The users and chats `viewer` needs to show `messages`.
pub fn peers_of_messages(
    world: &World,
    state: &WorldState,
    viewer: i64,
    messages: &[tl::enums::Message],
) -> (Vec<tl::enums::User>, Vec<tl::enums::Chat>) {
    let mut user_ids = vec![viewer];
    let mut targets = Vec::new();
    for message in messages {
        let tl::enums::Message::Message(m) = message else {
            continue;
        };
        targets.push(PeerTarget::from_tl(&m.peer_id));
        for peer in [m.from_id.as_ref()].into_iter().flatten() {
            targets.push(PeerTarget::from_tl(peer));
        }
        if let Some(tl::enums::MessageFwdHeader::Header(h)) = &m.fwd_from
            && let Some(peer) = &h.from_id
        {
            targets.push(PeerTarget::from_tl(peer));
        }
    }
    targets.sort_unstable();
    targets.dedup();
    let mut chats = Vec::new();
    for target in targets {
        match target {
            PeerTarget::User(id) => user_ids.push(id),
            PeerTarget::Chat(id) => {
                chats.extend(state.chats.group(id).map(|g| g.to_tl(world, viewer)))
            }
            PeerTarget::Channel(id) => {
                chats.extend(state.chats.channel(id).map(|c| c.to_tl(world, viewer)))
            }
        }
    }
    user_ids.sort_unstable();
    user_ids.dedup();
    let users = user_ids
        .into_iter()
        .filter_map(|id| state.users.get(id).map(|u| u.to_tl(world, viewer)))
        .collect();
    (users, chats)
}
