//! Dialogs: which chats a user has, in what order, pinned and archived, and
//! how one looks on the wire (`dialog`).
//!
//! A user has a dialog with a peer when a message of that dialog is in the
//! user's box, or when the user is a member of the group or channel. The
//! list is ordered as Telegram orders it: pinned dialogs first, in their
//! pinned order, then the rest by their top message, newest first (a
//! dialog without messages counts from the chat's date). Ties within a
//! second are broken by the order the messages were sent in, so paging by
//! `offset_date` / `offset_id` / `offset_peer` returns each dialog once.

use std::collections::HashMap;

use grammers_tl_types as tl;

use super::messages::{PeerTarget, StoredMessage};
use super::{World, WorldState, empty_notify_settings};

/// The main dialog list.
pub const MAIN_FOLDER: i32 = 0;
/// The archive.
pub const ARCHIVE_FOLDER: i32 = 1;
/// How many dialogs the main list may pin (`pinned_dialogs_count_max`).
pub const MAX_PINNED_MAIN: usize = 5;
/// How many dialogs the archive may pin (`pinned_infolder_count_max`).
pub const MAX_PINNED_ARCHIVE: usize = 100;

/// Per user: pinned dialogs and the folder each dialog is in.
#[derive(Debug, Default)]
pub struct DialogPrefs {
    /// (user, folder) → pinned dialogs, top first.
    pinned: HashMap<(i64, i32), Vec<PeerTarget>>,
    /// (user, dialog) → folder, for dialogs not in the main list.
    folders: HashMap<(i64, PeerTarget), i32>,
}

impl DialogPrefs {
    /// The folder `user` keeps `dialog` in.
    pub fn folder_of(&self, user: i64, dialog: PeerTarget) -> i32 {
        self.folders
            .get(&(user, dialog))
            .copied()
            .unwrap_or(MAIN_FOLDER)
    }

    /// The pinned dialogs of a folder, top first.
    pub fn pinned(&self, user: i64, folder: i32) -> &[PeerTarget] {
        self.pinned.get(&(user, folder)).map_or(&[], Vec::as_slice)
    }

    /// Pins `dialog` at the top of its folder's pinned list (no-op if it is
    /// pinned already); false if the folder is full.
    pub fn pin(&mut self, user: i64, dialog: PeerTarget) -> bool {
        let folder = self.folder_of(user, dialog);
        let max = if folder == ARCHIVE_FOLDER {
            MAX_PINNED_ARCHIVE
        } else {
            MAX_PINNED_MAIN
        };
        let list = self.pinned.entry((user, folder)).or_default();
        if list.contains(&dialog) {
            return true;
        }
        if list.len() >= max {
            return false;
        }
        list.insert(0, dialog);
        true
    }

    /// Unpins `dialog`.
    pub fn unpin(&mut self, user: i64, dialog: PeerTarget) {
        for folder in [MAIN_FOLDER, ARCHIVE_FOLDER] {
            if let Some(list) = self.pinned.get_mut(&(user, folder)) {
                list.retain(|&d| d != dialog);
            }
        }
    }

    /// Moves `dialog` to `folder`; a pinned dialog is unpinned on the way,
    /// as Telegram does.
    pub fn move_to(&mut self, user: i64, dialog: PeerTarget, folder: i32) {
        if self.folder_of(user, dialog) == folder {
            return;
        }
        self.unpin(user, dialog);
        if folder == MAIN_FOLDER {
            self.folders.remove(&(user, dialog));
        } else {
            self.folders.insert((user, dialog), folder);
        }
    }
}

/// Where a dialog sits in the list: the date of its top message, then the
/// order messages were sent in (0 for a dialog without messages).
pub type DialogKey = (i32, u64);

/// One dialog of a user, before it is put on the wire.
#[derive(Debug, Clone)]
pub struct DialogEntry<'s> {
    /// The peer.
    pub peer: PeerTarget,
    /// The newest message, in the user's box or the channel.
    pub top: Option<&'s StoredMessage>,
    /// Its place in the list.
    pub key: DialogKey,
    /// Its place among the pinned dialogs of its folder, if pinned.
    pub pinned: Option<usize>,
    /// Its folder.
    pub folder: i32,
}

fn key_of(message: &StoredMessage) -> DialogKey {
    (message.message.date, message.origin)
}

/// The newest message of `peer` that `viewer` sees.
pub fn top_message(state: &WorldState, viewer: i64, peer: PeerTarget) -> Option<&StoredMessage> {
    match peer {
        PeerTarget::Channel(c) => state
            .mailboxes
            .channel_ref(c)
            .and_then(|b| b.messages.values().next_back()),
        _ => state
            .mailboxes
            .user_ref(viewer)
            .and_then(|b| b.messages.values().rev().find(|m| m.dialog() == peer)),
    }
}

/// The message `id` of `peer` as `viewer` sees it.
pub fn message_in(
    state: &WorldState,
    viewer: i64,
    peer: PeerTarget,
    id: i32,
) -> Option<&StoredMessage> {
    match peer {
        PeerTarget::Channel(c) => state
            .mailboxes
            .channel_ref(c)
            .and_then(|b| b.messages.get(&id)),
        _ => state
            .mailboxes
            .user_ref(viewer)
            .and_then(|b| b.messages.get(&id))
            .filter(|m| m.dialog() == peer),
    }
}

/// The dialog of `viewer` with `peer`, whether or not it has messages.
pub fn entry<'s>(state: &'s WorldState, viewer: i64, peer: PeerTarget) -> DialogEntry<'s> {
    let top = top_message(state, viewer, peer);
    let key = top.map_or_else(
        || {
            let date = match peer {
                PeerTarget::Chat(id) => state.chats.group(id).map_or(0, |g| g.date),
                PeerTarget::Channel(id) => state.chats.channel(id).map_or(0, |c| c.date),
                PeerTarget::User(_) => 0,
            };
            (date, 0)
        },
        key_of,
    );
    let folder = state.dialogs.folder_of(viewer, peer);
    let pinned = state
        .dialogs
        .pinned(viewer, folder)
        .iter()
        .position(|&p| p == peer);
    DialogEntry {
        peer,
        top,
        key,
        pinned,
        folder,
    }
}

/// Whether `viewer` has a dialog with `peer`.
pub fn exists(state: &WorldState, viewer: i64, peer: PeerTarget) -> bool {
    let member = match peer {
        PeerTarget::Chat(id) => state.chats.group(id).is_some_and(|g| g.has_member(viewer)),
        PeerTarget::Channel(id) => state
            .chats
            .channel(id)
            .is_some_and(|c| c.members.contains(&viewer)),
        PeerTarget::User(_) => false,
    };
    member || top_message(state, viewer, peer).is_some()
}

/// Every dialog of `viewer` in `folder`, in list order: pinned first.
pub fn list(state: &WorldState, viewer: i64, folder: i32) -> Vec<DialogEntry<'_>> {
    let mut peers: Vec<PeerTarget> = state
        .mailboxes
        .user_ref(viewer)
        .map(|b| b.messages.values().map(StoredMessage::dialog).collect())
        .unwrap_or_default();
    peers.extend(
        state
            .chats
            .groups_of(viewer)
            .into_iter()
            .map(PeerTarget::Chat),
    );
    peers.extend(
        state
            .chats
            .channels_of(viewer)
            .into_iter()
            .map(PeerTarget::Channel),
    );
    peers.sort_unstable();
    peers.dedup();
    let mut entries: Vec<DialogEntry<'_>> = peers
        .into_iter()
        .map(|peer| entry(state, viewer, peer))
        .filter(|e| e.folder == folder)
        .collect();
    entries.sort_by(|a, b| match (a.pinned, b.pinned) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => b.key.cmp(&a.key).then(b.peer.cmp(&a.peer)),
    });
    entries
}

/// The `dialog` constructor of an entry, as `viewer` sees it.
pub fn to_tl(state: &WorldState, viewer: i64, entry: &DialogEntry<'_>) -> tl::enums::Dialog {
    let top_message = entry.top.map_or(0, |m| m.message.id);
    let (read_inbox_max_id, read_outbox_max_id, unread_count, pts) = match entry.peer {
        PeerTarget::Channel(c) => match state.mailboxes.channel_ref(c) {
            Some(b) => (
                b.read_inbox.get(&viewer).copied().unwrap_or(0),
                b.read_by_anyone,
                b.unread_count(viewer),
                Some(b.pts),
            ),
            None => (0, 0, 0, Some(1)),
        },
        peer => match state.mailboxes.user_ref(viewer) {
            Some(b) => {
                let read = b.reads.get(&peer).copied().unwrap_or_default();
                (
                    read.inbox_max_id,
                    read.outbox_max_id,
                    b.unread_count(peer),
                    None,
                )
            }
            None => (0, 0, 0, None),
        },
    };
    tl::types::Dialog {
        pinned: entry.pinned.is_some(),
        unread_mark: false,
        view_forum_as_messages: false,
        peer: entry.peer.to_tl(),
        top_message,
        read_inbox_max_id,
        read_outbox_max_id,
        unread_count,
        unread_mentions_count: 0,
        unread_reactions_count: 0,
        unread_poll_votes_count: 0,
        notify_settings: empty_notify_settings(),
        pts,
        draft: None,
        folder_id: (entry.folder != MAIN_FOLDER).then_some(entry.folder),
        ttl_period: None,
    }
    .into()
}

/// The dialogs, their top messages and the users and chats they name, as
/// `messages.dialogs` and `messages.peerDialogs` carry them.
pub fn render(
    world: &World,
    state: &WorldState,
    viewer: i64,
    entries: &[DialogEntry<'_>],
) -> (
    Vec<tl::enums::Dialog>,
    Vec<tl::enums::Message>,
    Vec<tl::enums::Chat>,
    Vec<tl::enums::User>,
) {
    let dialogs = entries.iter().map(|e| to_tl(state, viewer, e)).collect();
    let messages: Vec<tl::enums::Message> = entries
        .iter()
        .filter_map(|e| e.top.map(|m| m.view(viewer)))
        .collect();
    let (mut users, mut chats) = super::sending::peers_of_messages(world, state, viewer, &messages);
    // Every dialog's peer comes along, with or without a top message.
    for entry in entries {
        match entry.peer {
            PeerTarget::User(id) => {
                let known = users
                    .iter()
                    .any(|u| matches!(u, tl::enums::User::User(u) if u.id == id));
                if !known && let Some(user) = state.users.get(id) {
                    users.push(user.to_tl(world, viewer));
                }
            }
            PeerTarget::Chat(id) | PeerTarget::Channel(id) => {
                let known = chats.iter().any(|c| chat_id(c) == Some(id));
                if known {
                    continue;
                }
                let chat = match entry.peer {
                    PeerTarget::Chat(_) => state.chats.group(id).map(|g| g.to_tl(world, viewer)),
                    _ => state.chats.channel(id).map(|c| c.to_tl(world, viewer)),
                };
                chats.extend(chat);
            }
        }
    }
    (dialogs, messages, chats, users)
}

fn chat_id(chat: &tl::enums::Chat) -> Option<i64> {
    match chat {
        tl::enums::Chat::Chat(c) => Some(c.id),
        tl::enums::Chat::Channel(c) => Some(c.id),
        tl::enums::Chat::Forbidden(c) => Some(c.id),
        tl::enums::Chat::ChannelForbidden(c) => Some(c.id),
        tl::enums::Chat::Empty(c) => Some(c.id),
        _ => None,
    }
}

/// The `updates.state` of `viewer`'s box now.
pub fn updates_state(
    world: &World,
    state: &mut WorldState,
    viewer: i64,
) -> tl::enums::updates::State {
    let user_box = state.mailboxes.user(viewer);
    tl::types::updates::State {
        pts: user_box.pts,
        qts: user_box.qts,
        date: world.now(),
        seq: user_box.seq,
        unread_count: user_box.total_unread(),
    }
    .into()
}

/// Combines ids into one hash, as core.telegram.org/api/offsets#hash-generation
/// documents it: for each id, `hash ^= hash >> 21; hash ^= hash << 35;
/// hash ^= hash >> 4; hash += id`, on 64-bit unsigned integers that wrap.
pub fn combine_hash(ids: impl IntoIterator<Item = i64>) -> i64 {
    let mut hash: u64 = 0;
    for id in ids {
        hash ^= hash >> 21;
        hash ^= hash << 35;
        hash ^= hash >> 4;
        hash = hash.wrapping_add(id as u64);
    }
    hash as i64
}

/// A marked peer id (users as is, groups negative, channels -100…).
pub fn marked_id(peer: &tl::enums::Peer) -> i64 {
    match peer {
        tl::enums::Peer::User(p) => p.user_id,
        tl::enums::Peer::Chat(p) => -p.chat_id,
        tl::enums::Peer::Channel(p) => -1_000_000_000_000 - p.channel_id,
    }
}

/// The hash of a `messages.getDialogs` answer, for its `hash` parameter:
/// [`combine_hash`] over, per dialog in order, whether it is pinned, its
/// marked peer id, top message id, read maxima, unread count and the top
/// message's date (its `edit_date` once edited), so any change a client
/// would show changes the hash. Telegram documents the algorithm, not
/// which fields it feeds for dialogs; these are the fake DC's.
pub fn dialogs_hash(dialogs: &[tl::enums::Dialog], messages: &[tl::enums::Message]) -> i64 {
    let mut ids = Vec::new();
    for dialog in dialogs {
        let tl::enums::Dialog::Dialog(d) = dialog else {
            continue;
        };
        let date = messages
            .iter()
            .find_map(|m| match m {
                tl::enums::Message::Message(m) if m.id == d.top_message && m.peer_id == d.peer => {
                    Some(m.edit_date.unwrap_or(m.date))
                }
                _ => None,
            })
            .unwrap_or(0);
        ids.extend([
            i64::from(d.pinned),
            marked_id(&d.peer),
            i64::from(d.top_message),
            i64::from(d.read_inbox_max_id),
            i64::from(d.read_outbox_max_id),
            i64::from(d.unread_count),
            i64::from(date),
        ]);
    }
    combine_hash(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_follows_telegrams_steps() {
        assert_eq!(combine_hash([]), 0);
        assert_eq!(combine_hash([7]), 7);
        // 1 → 1 ^ (1 << 35) → ^ (>> 4) gives 2^35 + 2^31 + 1, then + 2.
        assert_eq!(combine_hash([1, 2]), (1 << 35) + (1 << 31) + 3);
        assert_ne!(combine_hash([1, 2]), combine_hash([2, 1]));
    }

    #[test]
    fn the_hash_wraps_instead_of_overflowing() {
        let hash = combine_hash([i64::MAX, i64::MAX, -1, i64::MIN]);
        assert_eq!(hash, combine_hash([i64::MAX, i64::MAX, -1, i64::MIN]));
        assert_ne!(hash, combine_hash([i64::MAX, i64::MAX, -1]));
    }

    #[test]
    fn pinning_keeps_the_newest_on_top_and_archiving_unpins() {
        let mut prefs = DialogPrefs::default();
        let (a, b) = (PeerTarget::User(2), PeerTarget::Chat(3));
        assert!(prefs.pin(1, a));
        assert!(prefs.pin(1, b));
        assert_eq!(prefs.pinned(1, MAIN_FOLDER), [b, a]);
        prefs.move_to(1, a, ARCHIVE_FOLDER);
        assert_eq!(prefs.pinned(1, MAIN_FOLDER), [b]);
        assert_eq!(prefs.folder_of(1, a), ARCHIVE_FOLDER);
        for i in 10..14 {
            assert!(prefs.pin(1, PeerTarget::User(i)));
        }
        assert!(!prefs.pin(1, PeerTarget::User(99)), "five at most");
        assert!(prefs.pin(1, b), "pinning again is a no-op");
    }
}
