//! Messages and update logs, as Telegram keeps them.
//!
//! Each user has one message box for private chats and basic groups: every
//! participant gets a copy of a message with an id from their own box, and
//! the box has its own `pts` and update log. A channel (or supergroup) keeps
//! one copy of each message, with ids, `pts` and a log of its own. The logs
//! are bounded ([`UPDATE_LOG_CAPACITY`]); a client further behind than the
//! oldest kept entry gets `differenceTooLong`.

use std::collections::{BTreeMap, HashMap, VecDeque};

use grammers_tl_types as tl;

/// How many entries an update log keeps by default, per user and per
/// channel (`Limits::update_log_capacity`).
pub const UPDATE_LOG_CAPACITY: usize = 100_000;
/// The longest message text, in UTF-16 code units (Telegram's `message_length_max`).
pub const MAX_MESSAGE_LEN: usize = 4096;
/// The one URL the fake world has a web-page preview for.
pub const EXAMPLE_WEBPAGE_URL: &str = "https://example.com/";

/// Whom a message is addressed to: a user (private chat), a basic group or
/// a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeerTarget {
    /// A user (the caller itself for `inputPeerSelf`).
    User(i64),
    /// A basic group.
    Chat(i64),
    /// A channel or supergroup.
    Channel(i64),
}

impl PeerTarget {
    /// The `Peer` constructor for it.
    pub fn to_tl(self) -> tl::enums::Peer {
        match self {
            PeerTarget::User(user_id) => tl::types::PeerUser { user_id }.into(),
            PeerTarget::Chat(chat_id) => tl::types::PeerChat { chat_id }.into(),
            PeerTarget::Channel(channel_id) => tl::types::PeerChannel { channel_id }.into(),
        }
    }

    /// What a `Peer` names.
    pub fn from_tl(peer: &tl::enums::Peer) -> Self {
        match peer {
            tl::enums::Peer::User(p) => PeerTarget::User(p.user_id),
            tl::enums::Peer::Chat(p) => PeerTarget::Chat(p.chat_id),
            tl::enums::Peer::Channel(p) => PeerTarget::Channel(p.channel_id),
        }
    }
}

/// A message as one box holds it.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    /// Who sent it.
    pub sender: i64,
    /// Links the copies of one message in different boxes (for `revoke`
    /// and read receipts).
    pub origin: u64,
    /// The message as the box owner sees it (for channels: `out` unset).
    /// For a service message, its id, peer, sender, date and `out`.
    pub message: tl::types::Message,
    /// What a service message records (a title change, a member added …);
    /// `None` for ordinary messages.
    pub action: Option<tl::enums::MessageAction>,
}

impl StoredMessage {
    /// The dialog the message is in, from its box owner's side.
    pub fn dialog(&self) -> PeerTarget {
        PeerTarget::from_tl(&self.message.peer_id)
    }

    /// The message as `viewer` sees it (channel messages get `out` here).
    pub fn view(&self, viewer: i64) -> tl::enums::Message {
        let mut message = self.message.clone();
        if matches!(message.peer_id, tl::enums::Peer::Channel(_)) {
            message.out = self.sender == viewer;
        }
        to_wire(message, self.action.as_ref())
    }

    /// Whether this is a service message (they cannot be edited or searched).
    pub fn is_service(&self) -> bool {
        self.action.is_some()
    }
}

/// The wire form of a stored message: `messageService` when it records an
/// action, `message` otherwise.
pub fn to_wire(
    message: tl::types::Message,
    action: Option<&tl::enums::MessageAction>,
) -> tl::enums::Message {
    match action {
        None => message.into(),
        Some(action) => tl::types::MessageService {
            out: message.out,
            mentioned: message.mentioned,
            media_unread: message.media_unread,
            reactions_are_possible: false,
            silent: message.silent,
            post: message.post,
            legacy: false,
            id: message.id,
            from_id: message.from_id,
            peer_id: message.peer_id,
            saved_peer_id: None,
            reply_to: None,
            date: message.date,
            action: action.clone(),
            reactions: None,
            ttl_period: None,
        }
        .into(),
    }
}

/// What one log entry records.
#[derive(Debug, Clone)]
pub enum Logged {
    /// A new message with this id (in the log's box), shown as it is now.
    NewMessage(i32),
    /// The message with this id (in the log's box) was edited: an
    /// `updateEditMessage` / `updateEditChannelMessage`, shown as it is now.
    Edited(i32),
    /// Any other update that moves `pts` (reads, deletions); boxed, since
    /// an `Update` is kilobytes and the log holds many entries.
    Other(Box<tl::enums::Update>),
}

/// One entry of an update log.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// The `pts` after this entry.
    pub pts: i32,
    /// How much it moved `pts`.
    pub pts_count: i32,
    /// What happened.
    pub what: Logged,
}

/// A bounded log of `pts` updates.
#[derive(Debug, Clone)]
pub struct UpdateLog {
    entries: VecDeque<LogEntry>,
    capacity: usize,
    /// The `pts` before the oldest kept entry: a client behind it is too far behind.
    floor: i32,
}

impl UpdateLog {
    fn new(pts: i32, capacity: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            floor: pts,
        }
    }

    fn push(&mut self, entry: LogEntry) {
        if self.entries.len() >= self.capacity
            && let Some(oldest) = self.entries.pop_front()
        {
            self.floor = oldest.pts;
        }
        self.entries.push_back(entry);
    }

    /// The entries after `pts`, oldest first; `None` if some of them were
    /// already dropped from the log.
    pub fn since(&self, pts: i32) -> Option<impl Iterator<Item = &LogEntry>> {
        if pts < self.floor {
            return None;
        }
        let start = self.entries.partition_point(|e| e.pts <= pts);
        Some(self.entries.range(start..))
    }
}

/// How far a dialog has been read, from one user's side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadState {
    /// The newest incoming message the user has read.
    pub inbox_max_id: i32,
    /// The newest outgoing message the other side has read.
    pub outbox_max_id: i32,
}

/// A user's message box: private chats and basic groups.
#[derive(Debug, Clone)]
pub struct UserBox {
    /// The box's `pts`.
    pub pts: i32,
    /// The account's `qts` (secret chats; never moves here).
    pub qts: i32,
    /// The `seq` of the `updates` containers every session of the user saw.
    pub seq: i32,
    next_id: i32,
    /// Messages by id.
    pub messages: BTreeMap<i32, StoredMessage>,
    /// The update log.
    pub log: UpdateLog,
    /// Read state per dialog.
    pub reads: HashMap<PeerTarget, ReadState>,
}

impl Default for UserBox {
    fn default() -> Self {
        Self::with_log_capacity(UPDATE_LOG_CAPACITY)
    }
}

impl UserBox {
    fn with_log_capacity(capacity: usize) -> Self {
        Self {
            pts: 1,
            qts: 0,
            seq: 0,
            next_id: 1,
            messages: BTreeMap::new(),
            log: UpdateLog::new(1, capacity),
            reads: HashMap::new(),
        }
    }
}

/// A channel's (or supergroup's) messages.
#[derive(Debug, Clone)]
pub struct ChannelBox {
    /// The channel's `pts`.
    pub pts: i32,
    next_id: i32,
    /// Messages by id (one copy for every member).
    pub messages: BTreeMap<i32, StoredMessage>,
    /// The update log.
    pub log: UpdateLog,
    /// The newest message each member has read.
    pub read_inbox: HashMap<i64, i32>,
    /// The newest message anyone has read (what senders see as read).
    pub read_by_anyone: i32,
    /// The `pts` each member was brought up to (by a push that reached
    /// one of its sessions, or a difference); members not in it were
    /// brought nowhere yet (the channel's first `pts`, 1).
    delivered: HashMap<i64, i32>,
}

impl Default for ChannelBox {
    fn default() -> Self {
        Self::with_log_capacity(UPDATE_LOG_CAPACITY)
    }
}

impl ChannelBox {
    fn with_log_capacity(capacity: usize) -> Self {
        Self {
            pts: 1,
            next_id: 1,
            messages: BTreeMap::new(),
            log: UpdateLog::new(1, capacity),
            read_inbox: HashMap::new(),
            read_by_anyone: 0,
            delivered: HashMap::new(),
        }
    }
}

/// A box that assigns ids and logs `pts` updates: a user's or a channel's.
pub trait MessageBox {
    /// The messages by id.
    fn messages(&self) -> &BTreeMap<i32, StoredMessage>;
    /// The log.
    fn log(&self) -> &UpdateLog;
    /// The current `pts`.
    fn pts(&self) -> i32;
    /// Whether this is a channel's box (its updates are the channel kind).
    fn is_channel(&self) -> bool;
}

macro_rules! message_box {
    ($t:ty, $channel:expr) => {
        impl $t {
            /// Takes the next message id of this box.
            pub fn take_id(&mut self) -> i32 {
                let id = self.next_id;
                self.next_id += 1;
                id
            }

            /// Moves `pts` by `pts_count` and logs what did it; returns the new `pts`.
            pub fn log_update(&mut self, pts_count: i32, what: Logged) -> i32 {
                self.pts += pts_count;
                self.log.push(LogEntry {
                    pts: self.pts,
                    pts_count,
                    what,
                });
                self.pts
            }

            /// Stores a message and logs it as new; returns the new `pts`.
            pub fn add_message(&mut self, stored: StoredMessage) -> i32 {
                let id = stored.message.id;
                self.messages.insert(id, stored);
                self.log_update(1, Logged::NewMessage(id))
            }

            /// The newest message of a dialog, if any.
            pub fn top_message(&self, dialog: PeerTarget) -> Option<&StoredMessage> {
                self.messages.values().rev().find(|m| m.dialog() == dialog)
            }
        }

        impl MessageBox for $t {
            fn messages(&self) -> &BTreeMap<i32, StoredMessage> {
                &self.messages
            }
            fn log(&self) -> &UpdateLog {
                &self.log
            }
            fn pts(&self) -> i32 {
                self.pts
            }
            fn is_channel(&self) -> bool {
                $channel
            }
        }
    };
}

message_box!(UserBox, false);
message_box!(ChannelBox, true);

impl UserBox {
    /// Incoming messages of `dialog` newer than what the user has read.
    pub fn unread_count(&self, dialog: PeerTarget) -> i32 {
        let read = self.reads.get(&dialog).copied().unwrap_or_default();
        let unread = self
            .messages
            .range(read.inbox_max_id + 1..)
            .filter(|(_, m)| !m.message.out && m.dialog() == dialog)
            .count();
        i32::try_from(unread).unwrap_or(i32::MAX)
    }

    /// Unread incoming messages over every dialog of the box.
    pub fn total_unread(&self) -> i32 {
        let unread = self
            .messages
            .values()
            .filter(|m| {
                let read = self.reads.get(&m.dialog()).copied().unwrap_or_default();
                !m.message.out && m.message.id > read.inbox_max_id
            })
            .count();
        i32::try_from(unread).unwrap_or(i32::MAX)
    }
}

impl ChannelBox {
    /// The `pts` up to which `user_id` got this channel's updates.
    pub fn delivered(&self, user_id: i64) -> i32 {
        self.delivered.get(&user_id).copied().unwrap_or(1)
    }

    /// Notes that `user_id` got this channel's updates up to `pts`.
    pub fn mark_delivered(&mut self, user_id: i64, pts: i32) {
        let at = self.delivered.entry(user_id).or_insert(1);
        *at = (*at).max(pts);
    }

    /// Messages from others newer than what `user_id` has read.
    pub fn unread_count(&self, user_id: i64) -> i32 {
        let read = self.read_inbox.get(&user_id).copied().unwrap_or(0);
        let unread = self
            .messages
            .range(read + 1..)
            .filter(|(_, m)| m.sender != user_id)
            .count();
        i32::try_from(unread).unwrap_or(i32::MAX)
    }
}

/// Every message box of the world, and which copies belong together.
#[derive(Debug)]
pub struct Mailboxes {
    log_capacity: usize,
    users: HashMap<i64, UserBox>,
    channels: HashMap<i64, ChannelBox>,
    /// origin → every copy (box owner, id); channel messages have none.
    copies: HashMap<u64, Vec<(i64, i32)>>,
    next_origin: u64,
}

impl Default for Mailboxes {
    fn default() -> Self {
        Self::with_log_capacity(UPDATE_LOG_CAPACITY)
    }
}

impl Mailboxes {
    /// No boxes yet; their logs will keep `capacity` entries each.
    pub fn with_log_capacity(capacity: usize) -> Self {
        Self {
            log_capacity: capacity,
            users: HashMap::new(),
            channels: HashMap::new(),
            copies: HashMap::new(),
            next_origin: 0,
        }
    }

    /// The box of `user_id`, created empty on first use.
    pub fn user(&mut self, user_id: i64) -> &mut UserBox {
        let capacity = self.log_capacity;
        self.users
            .entry(user_id)
            .or_insert_with(|| UserBox::with_log_capacity(capacity))
    }

    /// The box of `user_id`, if it has one yet.
    pub fn user_ref(&self, user_id: i64) -> Option<&UserBox> {
        self.users.get(&user_id)
    }

    /// The box of a channel, created empty on first use.
    pub fn channel(&mut self, channel_id: i64) -> &mut ChannelBox {
        let capacity = self.log_capacity;
        self.channels
            .entry(channel_id)
            .or_insert_with(|| ChannelBox::with_log_capacity(capacity))
    }

    /// The box of a channel, if it has one yet.
    pub fn channel_ref(&self, channel_id: i64) -> Option<&ChannelBox> {
        self.channels.get(&channel_id)
    }

    /// A fresh origin for a new message's copies.
    pub fn new_origin(&mut self) -> u64 {
        self.next_origin += 1;
        self.next_origin
    }

    /// Records that `owner`'s message `id` is a copy of `origin`.
    pub fn link(&mut self, origin: u64, owner: i64, id: i32) {
        self.copies.entry(origin).or_default().push((owner, id));
    }

    /// Every copy of `origin` (box owner, id).
    pub fn copies(&self, origin: u64) -> &[(i64, i32)] {
        self.copies.get(&origin).map_or(&[], Vec::as_slice)
    }

    /// Forgets the links of `origin` once none of its copies is left.
    pub fn unlink(&mut self, origin: u64, owner: i64, id: i32) {
        if let Some(list) = self.copies.get_mut(&origin) {
            list.retain(|&copy| copy != (owner, id));
            if list.is_empty() {
                self.copies.remove(&origin);
            }
        }
    }
}

/// A `message` with everything optional unset.
pub fn blank_message(id: i32, peer_id: tl::enums::Peer, date: i32) -> tl::types::Message {
    tl::types::Message {
        out: false,
        mentioned: false,
        media_unread: false,
        silent: false,
        post: false,
        from_scheduled: false,
        legacy: false,
        edit_hide: false,
        pinned: false,
        noforwards: false,
        invert_media: false,
        offline: false,
        video_processing_pending: false,
        paid_suggested_post_stars: false,
        paid_suggested_post_ton: false,
        id,
        from_id: None,
        from_boosts_applied: None,
        from_rank: None,
        peer_id,
        saved_peer_id: None,
        fwd_from: None,
        via_bot_id: None,
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to: None,
        date,
        message: String::new(),
        media: None,
        reply_markup: None,
        entities: None,
        views: None,
        forwards: None,
        replies: None,
        edit_date: None,
        post_author: None,
        grouped_id: None,
        reactions: None,
        restriction_reason: None,
        ttl_period: None,
        quick_reply_shortcut_id: None,
        effect: None,
        factcheck: None,
        report_delivery_until_date: None,
        paid_message_stars: None,
        suggested_post: None,
        schedule_repeat_period: None,
        summary_from_language: None,
        rich_message: None,
    }
}

/// The preview of [`EXAMPLE_WEBPAGE_URL`], if `text` links to it.
pub fn webpage_preview(text: &str) -> Option<tl::enums::MessageMedia> {
    if !text.contains(EXAMPLE_WEBPAGE_URL) {
        return None;
    }
    let webpage = tl::types::WebPage {
        has_large_media: false,
        video_cover_photo: false,
        id: 7_000_000_001,
        url: EXAMPLE_WEBPAGE_URL.into(),
        display_url: "example.com".into(),
        hash: 0,
        r#type: Some("article".into()),
        site_name: Some("Example".into()),
        title: Some("Example Domain".into()),
        description: Some("This domain is for use in illustrative examples in documents.".into()),
        photo: None,
        embed_url: None,
        embed_type: None,
        embed_width: None,
        embed_height: None,
        duration: None,
        author: None,
        document: None,
        cached_page: None,
        attributes: None,
    };
    Some(
        tl::types::MessageMediaWebPage {
            force_large_media: false,
            force_small_media: false,
            manual: false,
            safe: false,
            webpage: webpage.into(),
        }
        .into(),
    )
}

/// Whether `text` mentions `@username` (case-insensitive, as a whole word).
pub fn mentions(text: &str, username: &str) -> bool {
    let wanted = username.to_ascii_lowercase();
    text.split('@').skip(1).any(|rest| {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        name.to_ascii_lowercase() == wanted
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_forgets_its_oldest_entries() {
        let mut log = UpdateLog::new(1, UPDATE_LOG_CAPACITY);
        for pts in 2..(UPDATE_LOG_CAPACITY as i32 + 12) {
            log.push(LogEntry {
                pts,
                pts_count: 1,
                what: Logged::NewMessage(pts),
            });
        }
        assert!(log.since(1).is_none());
        assert!(log.since(10).is_none());
        assert_eq!(
            log.since(11).map(|it| it.count()),
            Some(UPDATE_LOG_CAPACITY)
        );
    }

    #[test]
    fn mentions_need_the_whole_username() {
        assert!(mentions("hi @Bob_2!", "bob_2"));
        assert!(!mentions("hi @bob_22", "bob_2"));
        assert!(!mentions("mail bob_2", "bob_2"));
    }
}
