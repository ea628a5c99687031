//! The dialog list and what a peer is: `get_dialog_list` (`tgl.get_dialog_list`)
//! and `info` (`peer.info()`) from tg-cli's Python bindings
//! (`shared/spec/tg-cli-python-bindings.txt`).
//!
//! # `get_dialog_list`
//!
//! Every dialog of the account: the main list, then the archive (Telegram's
//! folder 1), each paged to its end with `messages.getDialogs` (100 a page,
//! the next page after the last dialog's top message date, id and peer).
//! Within a folder the order is Telegram's: pinned dialogs first in their
//! pinned order, then by top message, newest first. Each item says its
//! folder (`folder_id`: 0 the main list, 1 the archive) and whether it is
//! pinned; the archive's own entry in the main list (`dialogFolder`) is not
//! an item, since its dialogs are listed themselves. A dialog Telegram
//! repeats at a page edge, or that moved to the other folder meanwhile, is
//! listed once, where it was seen first.
//!
//! ```json
//! {"@type": "dialog_list", "unread_dialogs": 1, "unread_messages": 3, "dialogs": [
//!   {"@type": "dialog", "peer": {"@type": "peer", …}, "message": {"@type": "msg", …},
//!    "unread_count": 3, "pinned": true, "folder_id": 0}]}
//! ```
//!
//! `message` is the dialog's top message as a [`Msg`] (with `unread` from
//! the dialog's read state), `null` for a dialog without messages.
//!
//! # `info`
//!
//! The peer of a TDLib chat id, in full:
//!
//! - a user (`users.getFullUser`): names, username, phone (when Telegram
//!   shows it), status, and the bio as `about`;
//! - a basic group (`messages.getFullChat`): `user_list` holds every
//!   member, `about` the description;
//! - a channel or supergroup (`channels.getFullChannel`): `about`,
//!   `members_count`; when Telegram lets the account see the members
//!   (`can_view_participants`), `user_list` holds them, read with
//!   `channels.getParticipants` (`channelParticipantsRecent`, 200 a page)
//!   up to [`MAX_MEMBERS`]. A broadcast channel shows its members to its
//!   admins only: anyone else gets an empty `user_list` and
//!   `members_hidden: true`, not an error.
//!
//! `user_list_complete` says whether `user_list` holds every member
//! Telegram counts (`false` when cut at the cap or hidden).
//!
//! # Errors invented here
//!
//! | Command | Message | When |
//! |---|---|---|
//! | `info` | `chat_id is required`, `chat_id must be an integer`, `chat_id is invalid` | before sending |
//! | `info` | `User not found`, `Chat not found` (TDLib's) | a user or channel the session never met |
//! | `get_dialog_list` | `messages.getDialogs did not advance: …` | a page of only dialogs already listed |
//! | `get_dialog_list` | `messages.getDialogs went on for more than 1000 pages` | [`MAX_DIALOG_PAGES`] per folder |
//! | `get_dialog_list` | `dialogsNotModified answered a request without a hash` | |
//!
//! Telegram's errors come through by name (`CHANNEL_PRIVATE`,
//! `CHAT_ID_INVALID`, `FLOOD_WAIT_X`, …).

use std::collections::{HashMap, HashSet};

use grammers_tl_types as tl;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::chat_access::{
    chat_ref, directory, input_channel, input_peer_in, protocol, users_named,
};
use super::contacts::NoFieldsJson;
use super::ids::{self, ChatRef};
use super::{Command, CommandError, CommandInfo, Method, SpecRef};
use crate::client::Client;
use crate::tgl::{Msg, Peer, PeerDirectory, ReadState, chat_ref_of};

/// Dialogs asked for per `messages.getDialogs` page (Telegram's most).
pub const DIALOG_PAGE: i32 = 100;
/// The most `messages.getDialogs` pages read per folder (100,000 dialogs)
/// before the listing is given up as a server that never ends.
pub const MAX_DIALOG_PAGES: usize = 1000;
/// The archive's folder id (the main list is 0).
pub const ARCHIVE_FOLDER: i32 = 1;
/// Members asked for per `channels.getParticipants` page (Telegram's most).
pub const MEMBER_PAGE: usize = 200;
/// The most members `info` lists for a channel or supergroup.
pub const MAX_MEMBERS: usize = 10_000;

// ---------------------------------------------------------------------------
// get_dialog_list

/// One dialog of [`DialogList`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "@type", rename = "dialog")]
pub struct Dialog {
    /// Who or what the dialog is with.
    pub peer: Peer,
    /// The top (newest) message; `None` for a dialog without messages.
    pub message: Option<Msg>,
    /// Incoming messages not read yet.
    pub unread_count: i32,
    /// Whether the dialog is pinned in its folder.
    pub pinned: bool,
    /// 0 for the main list, 1 for the archive.
    pub folder_id: i32,
}

/// What `get_dialog_list` answers: every dialog, main list first (see the
/// [module docs](self)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "@type", rename = "dialog_list")]
pub struct DialogList {
    /// The dialogs, in list order.
    pub dialogs: Vec<Dialog>,
    /// How many dialogs have unread messages (or are marked unread).
    pub unread_dialogs: usize,
    /// The unread messages of all dialogs together.
    pub unread_messages: i64,
}

/// `get_dialog_list`: every dialog with its top message (see the
/// [module docs](self)).
///
/// ```json
/// {"action": "get_dialog_list", "userbot_id": 1}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetDialogList;

/// The raw dialogs of both folders, each with the folder it was asked in.
#[derive(Default)]
struct RawDialogs {
    dialogs: Vec<(tl::types::Dialog, i32)>,
    messages: Vec<tl::enums::Message>,
    users: Vec<tl::enums::User>,
    chats: Vec<tl::enums::Chat>,
    /// TDLib chat ids already listed.
    seen: HashSet<i64>,
}

/// The date of `dialog`'s top message in the page, or, for a dialog
/// without one, the chat's date (where Telegram places such dialogs).
fn dialog_date(
    dialog: &tl::types::Dialog,
    messages: &[tl::enums::Message],
    chats: &[tl::enums::Chat],
) -> i32 {
    let top = messages.iter().find_map(|m| match m {
        tl::enums::Message::Message(m)
            if m.id == dialog.top_message && m.peer_id == dialog.peer =>
        {
            Some(m.date)
        }
        tl::enums::Message::Service(m)
            if m.id == dialog.top_message && m.peer_id == dialog.peer =>
        {
            Some(m.date)
        }
        _ => None,
    });
    let chat = || {
        let id = match dialog.peer {
            tl::enums::Peer::Chat(ref p) => p.chat_id,
            tl::enums::Peer::Channel(ref p) => p.channel_id,
            tl::enums::Peer::User(_) => return None,
        };
        chats.iter().find_map(|c| match c {
            tl::enums::Chat::Chat(c) if c.id == id => Some(c.date),
            tl::enums::Chat::Channel(c) if c.id == id => Some(c.date),
            _ => None,
        })
    };
    top.or_else(chat).unwrap_or(0)
}

impl RawDialogs {
    /// Reads every page of `folder` (`None`: the main list).
    async fn read_folder(
        &mut self,
        client: &Client,
        folder: Option<i32>,
    ) -> Result<(), CommandError> {
        let folder_id = folder.unwrap_or(0);
        let mut offset_date = 0;
        let mut offset_id = 0;
        let mut offset_peer = tl::enums::InputPeer::Empty;
        let mut listed = 0usize;
        for page_number in 0..MAX_DIALOG_PAGES {
            let answer = client
                .invoke(&tl::functions::messages::GetDialogs {
                    exclude_pinned: false,
                    folder_id: folder,
                    offset_date,
                    offset_id,
                    offset_peer: offset_peer.clone(),
                    limit: DIALOG_PAGE,
                    hash: 0,
                })
                .await?;
            let (page, count) = match answer {
                tl::enums::messages::Dialogs::Dialogs(d) => (d, None),
                tl::enums::messages::Dialogs::Slice(s) => (
                    tl::types::messages::Dialogs {
                        dialogs: s.dialogs,
                        messages: s.messages,
                        chats: s.chats,
                        users: s.users,
                    },
                    Some(usize::try_from(s.count).unwrap_or(0)),
                ),
                tl::enums::messages::Dialogs::NotModified(_) => {
                    return Err(protocol(
                        "dialogsNotModified answered a request without a hash",
                    ));
                }
            };
            let mut last = None;
            let mut new = 0;
            for dialog in &page.dialogs {
                // The archive's own entry (`dialogFolder`) is read as a folder.
                let tl::enums::Dialog::Dialog(d) = dialog else {
                    continue;
                };
                last = Some(d);
                if self.seen.insert(chat_ref_of(&d.peer).chat_id()) {
                    new += 1;
                    self.dialogs
                        .push((d.clone(), d.folder_id.unwrap_or(folder_id)));
                }
            }
            listed += new;
            let next = last.map(|d| {
                (
                    dialog_date(d, &page.messages, &page.chats),
                    d.top_message,
                    input_peer_in(&d.peer, &page.users, &page.chats),
                )
            });
            self.messages.extend(page.messages);
            self.users.extend(page.users);
            self.chats.extend(page.chats);
            let Some(next) = next else {
                return Ok(());
            };
            if count.is_none_or(|count| listed >= count) {
                return Ok(());
            }
            if new == 0 {
                return Err(protocol(format!(
                    "messages.getDialogs did not advance: page {} of folder {folder_id} \
                     held only dialogs already listed",
                    page_number + 1
                )));
            }
            (offset_date, offset_id, offset_peer) = next;
        }
        Err(protocol(format!(
            "messages.getDialogs went on for more than {MAX_DIALOG_PAGES} pages"
        )))
    }

    /// The dialogs as tg-cli shows them.
    fn into_list(self, directory: &PeerDirectory) -> DialogList {
        let tops: HashMap<(i64, i32), &tl::enums::Message> = self
            .messages
            .iter()
            .filter_map(|m| {
                let (peer, id) = match m {
                    tl::enums::Message::Message(m) => (&m.peer_id, m.id),
                    tl::enums::Message::Service(m) => (&m.peer_id, m.id),
                    tl::enums::Message::Empty(_) => return None,
                };
                Some(((chat_ref_of(peer).chat_id(), id), m))
            })
            .collect();
        let dialogs: Vec<Dialog> = self
            .dialogs
            .iter()
            .map(|(d, folder_id)| {
                let chat = chat_ref_of(&d.peer);
                let read = ReadState {
                    inbox_max_id: d.read_inbox_max_id,
                    outbox_max_id: d.read_outbox_max_id,
                };
                Dialog {
                    peer: directory.peer(chat),
                    message: tops
                        .get(&(chat.chat_id(), d.top_message))
                        .and_then(|m| Msg::from_tl(m, directory, Some(read))),
                    unread_count: d.unread_count,
                    pinned: d.pinned,
                    folder_id: *folder_id,
                }
            })
            .collect();
        let unread = |i: usize| {
            let (d, _) = &self.dialogs[i];
            d.unread_count > 0 || d.unread_mark
        };
        DialogList {
            unread_dialogs: (0..dialogs.len()).filter(|&i| unread(i)).count(),
            unread_messages: dialogs.iter().map(|d| i64::from(d.unread_count)).sum(),
            dialogs,
        }
    }
}

impl Command for GetDialogList {
    const ACTION: &'static str = "get_dialog_list";
    const SPEC: SpecRef = SpecRef::tg_cli("tgl.get_dialog_list");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::GetDialogs>("messages.getDialogs");
    type Json = NoFieldsJson;
    type Response = DialogList;

    fn validate(_json: NoFieldsJson) -> Result<Self, CommandError> {
        Ok(Self)
    }

    fn sample() -> Value {
        json!({})
    }

    async fn run(self, client: &Client) -> Result<DialogList, CommandError> {
        let mut raw = RawDialogs::default();
        raw.read_folder(client, None).await?;
        raw.read_folder(client, Some(ARCHIVE_FOLDER)).await?;
        let dialog_users = raw.dialogs.iter().filter_map(|(d, _)| match d.peer {
            tl::enums::Peer::User(ref u) => Some(u.user_id),
            _ => None,
        });
        let named: Vec<i64> = users_named(&raw.messages)
            .into_iter()
            .chain(dialog_users)
            .collect();
        let directory = directory(client, &raw.users, &raw.chats, named).await?;
        Ok(raw.into_list(&directory))
    }
}

// ---------------------------------------------------------------------------
// info

/// `info`: the peer of `chat_id` in full, with the members of a group or
/// supergroup in `user_list` (see the [module docs](self)).
///
/// ```json
/// {"action": "info", "userbot_id": 1, "chat_id": -1001234567890}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    chat: ChatRef,
}

/// The JSON form of [`Info`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InfoJson {
    /// The TDLib chat id: a user, a basic group or a channel.
    pub chat_id: Option<Value>,
}

impl Info {
    /// The full peer of `chat_id`.
    pub fn new(chat_id: i64) -> Result<Self, CommandError> {
        Ok(Self {
            chat: chat_ref(chat_id)?,
        })
    }
}

/// The members of a channel, as far as `info` reads them.
struct Members {
    ids: Vec<i64>,
    users: Vec<tl::enums::User>,
    chats: Vec<tl::enums::Chat>,
    complete: bool,
    hidden: bool,
}

/// Every member of a channel (up to [`MAX_MEMBERS`]), by
/// `channels.getParticipants` pages; `hidden` when Telegram requires an
/// admin to list them.
async fn channel_members(
    client: &Client,
    channel: &tl::enums::InputChannel,
) -> Result<Members, CommandError> {
    let mut members = Members {
        ids: Vec::new(),
        users: Vec::new(),
        chats: Vec::new(),
        complete: false,
        hidden: false,
    };
    let mut seen = HashSet::new();
    let mut offset = 0usize;
    // One page more than the cap needs, for a server that repeats itself.
    for _ in 0..=MAX_MEMBERS / MEMBER_PAGE {
        let limit = MEMBER_PAGE.min(MAX_MEMBERS - members.ids.len());
        let answer = client
            .invoke(&tl::functions::channels::GetParticipants {
                channel: channel.clone(),
                filter: tl::enums::ChannelParticipantsFilter::ChannelParticipantsRecent,
                offset: i32::try_from(offset).unwrap_or(i32::MAX),
                limit: i32::try_from(limit).unwrap_or(0),
                hash: 0,
            })
            .await;
        let page = match answer {
            Ok(tl::enums::channels::ChannelParticipants::Participants(page)) => page,
            // Only without a hash: nothing changed, and nothing is kept.
            Ok(tl::enums::channels::ChannelParticipants::NotModified) => {
                return Err(protocol(
                    "channelParticipantsNotModified answered a request without a hash",
                ));
            }
            Err(e) if e.is_rpc("CHAT_ADMIN_REQUIRED") => {
                members.hidden = true;
                return Ok(members);
            }
            Err(e) => return Err(e.into()),
        };
        let count = usize::try_from(page.count).unwrap_or(0);
        let mut new = 0;
        for participant in &page.participants {
            use tl::enums::ChannelParticipant as P;
            let user_id = match participant {
                P::Participant(p) => p.user_id,
                P::ParticipantSelf(p) => p.user_id,
                P::Creator(p) => p.user_id,
                P::Admin(p) => p.user_id,
                // Banned and left users are not members.
                _ => continue,
            };
            if seen.insert(user_id) {
                new += 1;
                members.ids.push(user_id);
            }
        }
        offset += page.participants.len();
        members.users.extend(page.users);
        members.chats.extend(page.chats);
        if members.ids.len() >= count || offset >= count {
            members.complete = members.ids.len() >= count;
            return Ok(members);
        }
        if page.participants.is_empty() || new == 0 || members.ids.len() >= MAX_MEMBERS {
            return Ok(members);
        }
    }
    Ok(members)
}

async fn user_info(client: &Client, user_id: i64) -> Result<Peer, CommandError> {
    let user = client.input_user(user_id).await?;
    let tl::enums::users::UserFull::Full(answer) = client
        .invoke(&tl::functions::users::GetFullUser { id: user })
        .await?;
    let directory = directory(client, &answer.users, &answer.chats, [user_id]).await?;
    let tl::enums::UserFull::Full(full) = &answer.full_user;
    Ok(Peer {
        about: full.about.clone().filter(|about| !about.is_empty()),
        ..directory.peer(ChatRef::User(user_id))
    })
}

async fn group_info(client: &Client, chat_id: i64) -> Result<Peer, CommandError> {
    let tl::enums::messages::ChatFull::Full(answer) = client
        .invoke(&tl::functions::messages::GetFullChat { chat_id })
        .await?;
    let tl::enums::ChatFull::Full(full) = &answer.full_chat else {
        return Err(protocol("getFullChat answered with a channel"));
    };
    let (ids, complete): (Vec<i64>, bool) = match &full.participants {
        tl::enums::ChatParticipants::Participants(p) => {
            (p.participants.iter().map(|p| p.user_id()).collect(), true)
        }
        tl::enums::ChatParticipants::Forbidden(p) => (
            p.self_participant.iter().map(|p| p.user_id()).collect(),
            false,
        ),
    };
    let directory = directory(client, &answer.users, &answer.chats, ids.clone()).await?;
    let mut peer = directory.peer(ChatRef::BasicGroup(chat_id));
    let mut seen = HashSet::new();
    peer.user_list = Some(
        ids.into_iter()
            .filter(|id| seen.insert(*id))
            .map(|id| directory.peer(ChatRef::User(id)))
            .collect(),
    );
    peer.members_count = peer
        .user_list
        .as_ref()
        .map(|list| i32::try_from(list.len()).unwrap_or(i32::MAX));
    peer.user_list_complete = Some(complete);
    peer.about = Some(full.about.clone()).filter(|about| !about.is_empty());
    Ok(peer)
}

async fn channel_info(client: &Client, channel_id: i64) -> Result<Peer, CommandError> {
    let channel = input_channel(client, channel_id).await?;
    let tl::enums::messages::ChatFull::Full(answer) = client
        .invoke(&tl::functions::channels::GetFullChannel {
            channel: channel.clone(),
        })
        .await?;
    let tl::enums::ChatFull::ChannelFull(full) = &answer.full_chat else {
        return Err(protocol("getFullChannel answered with a basic group"));
    };
    let members = if full.can_view_participants {
        channel_members(client, &channel).await?
    } else {
        Members {
            ids: Vec::new(),
            users: Vec::new(),
            chats: Vec::new(),
            complete: false,
            hidden: true,
        }
    };
    let mut users = answer.users.clone();
    users.extend(members.users);
    let mut chats = answer.chats.clone();
    chats.extend(members.chats);
    let directory = directory(client, &users, &chats, members.ids.clone()).await?;
    let mut peer = directory.peer(ChatRef::Channel(channel_id));
    peer.user_list = Some(
        members
            .ids
            .iter()
            .map(|&id| directory.peer(ChatRef::User(id)))
            .collect(),
    );
    peer.members_count = full.participants_count;
    peer.user_list_complete = Some(members.complete && !members.hidden);
    peer.members_hidden = Some(members.hidden);
    peer.about = Some(full.about.clone()).filter(|about| !about.is_empty());
    Ok(peer)
}

impl Command for Info {
    const ACTION: &'static str = "info";
    const SPEC: SpecRef = SpecRef::tg_cli("peer.info");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::users::GetFullUser>("users.getFullUser");
    type Json = InfoJson;
    type Response = Peer;

    fn validate(json: InfoJson) -> Result<Self, CommandError> {
        Info::new(ids::required_id(json.chat_id.as_ref(), "chat_id")?)
    }

    fn sample() -> Value {
        json!({"chat_id": "$FRIEND"})
    }

    async fn run(self, client: &Client) -> Result<Peer, CommandError> {
        match self.chat {
            ChatRef::User(id) => user_info(client, id).await,
            ChatRef::BasicGroup(id) => group_info(client, id).await,
            ChatRef::Channel(id) => channel_info(client, id).await,
        }
    }
}

pub(super) fn commands() -> Vec<CommandInfo> {
    vec![
        CommandInfo::of::<GetDialogList>(),
        CommandInfo::of::<Info>(),
    ]
}

// ---------------------------------------------------------------------------
// Typed methods

impl Client {
    /// Every dialog with its top message, main list then archive (see
    /// [`GetDialogList`]).
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// let list = client.get_dialog_list().await?;
    /// for dialog in &list.dialogs {
    ///     println!("{} ({} unread)", dialog.peer.name, dialog.unread_count);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_dialog_list(&self) -> Result<DialogList, CommandError> {
        self.run(GetDialogList).await
    }

    /// The peer of `chat_id` in full, with a group's members (see [`Info`]).
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// let group = client.info(-4000001).await?;
    /// println!("{} members", group.user_list.map_or(0, |list| list.len()));
    /// # Ok(()) }
    /// ```
    pub async fn info(&self, chat_id: i64) -> Result<Peer, CommandError> {
        self.run(Info::new(chat_id)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_needs_a_valid_chat_id() {
        assert_eq!(Info::new(0).unwrap_err().message(), "chat_id is invalid");
        assert!(Info::new(42).is_ok());
        assert!(Info::new(-42).is_ok());
        assert!(Info::new(-1_000_000_000_042).is_ok());
    }

    #[test]
    fn a_dialog_without_messages_is_paged_by_its_chats_date() {
        let dialog = tl::types::Dialog {
            pinned: false,
            unread_mark: false,
            view_forum_as_messages: false,
            peer: tl::types::PeerChat { chat_id: 5 }.into(),
            top_message: 0,
            read_inbox_max_id: 0,
            read_outbox_max_id: 0,
            unread_count: 0,
            unread_mentions_count: 0,
            unread_reactions_count: 0,
            unread_poll_votes_count: 0,
            notify_settings: tl::types::PeerNotifySettings {
                show_previews: None,
                silent: None,
                mute_until: None,
                ios_sound: None,
                android_sound: None,
                other_sound: None,
                stories_muted: None,
                stories_hide_sender: None,
                stories_ios_sound: None,
                stories_android_sound: None,
                stories_other_sound: None,
            }
            .into(),
            pts: None,
            draft: None,
            folder_id: None,
            ttl_period: None,
        };
        let chat = tl::types::Chat {
            creator: false,
            left: false,
            deactivated: false,
            call_active: false,
            call_not_empty: false,
            noforwards: false,
            id: 5,
            title: "Group".into(),
            photo: tl::enums::ChatPhoto::Empty,
            participants_count: 1,
            date: 1234,
            version: 1,
            migrated_to: None,
            admin_rights: None,
            default_banned_rights: None,
        };
        assert_eq!(dialog_date(&dialog, &[], &[chat.into()]), 1234);
        assert_eq!(dialog_date(&dialog, &[], &[]), 0);
    }
}
