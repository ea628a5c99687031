//! `tgl.Peer`: a user, a basic group, a channel or a secret chat.

use std::collections::HashMap;

use grammers_tl_types as tl;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::td::ids::ChatRef;

/// What kind of peer a [`Peer`] is. Serialized as tgl's integer
/// (`tgl.PEER_USER` 1, `PEER_CHAT` 2, `PEER_ENCR_CHAT` 4, `PEER_CHANNEL` 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerType {
    /// A user (`tgl.PEER_USER`).
    User,
    /// A basic group (`tgl.PEER_CHAT`).
    Chat,
    /// A channel or supergroup (`tgl.PEER_CHANNEL`).
    Channel,
    /// An end-to-end encrypted chat with one user (`tgl.PEER_ENCR_CHAT`).
    SecretChat,
}

impl PeerType {
    /// tgl's number for the type.
    pub const fn tgl_number(self) -> u8 {
        match self {
            PeerType::User => 1,
            PeerType::Chat => 2,
            PeerType::SecretChat => 4,
            PeerType::Channel => 5,
        }
    }

    /// The type for tgl's number.
    pub const fn from_tgl_number(number: u8) -> Option<Self> {
        match number {
            1 => Some(PeerType::User),
            2 => Some(PeerType::Chat),
            4 => Some(PeerType::SecretChat),
            5 => Some(PeerType::Channel),
            _ => None,
        }
    }

    /// The spec's `type_name`: `user`, `chat`, `channel` or `secret_chat`.
    pub const fn name(self) -> &'static str {
        match self {
            PeerType::User => "user",
            PeerType::Chat => "chat",
            PeerType::Channel => "channel",
            PeerType::SecretChat => "secret_chat",
        }
    }
}

impl Serialize for PeerType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.tgl_number())
    }
}

impl<'de> Deserialize<'de> for PeerType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = u8::deserialize(deserializer)?;
        PeerType::from_tgl_number(number)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown peer type {number}")))
    }
}

/// `user_status`: whether a user is online, and since or until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserStatus {
    /// Whether the user is online now.
    pub online: bool,
    /// Unix time: until when an online user counts as online, or when an
    /// offline one was last seen. `None` when the user hides it.
    pub when: Option<i32>,
    /// What Telegram says instead of a time when it is hidden: `recently`,
    /// `last_week` or `last_month`; `None` otherwise.
    pub seen: Option<String>,
}

impl UserStatus {
    /// From MTProto's `UserStatus`.
    pub fn from_tl(status: &tl::enums::UserStatus) -> Self {
        let hidden = |seen: &str| UserStatus {
            online: false,
            when: None,
            seen: Some(seen.to_string()),
        };
        match status {
            tl::enums::UserStatus::Online(s) => UserStatus {
                online: true,
                when: Some(s.expires),
                seen: None,
            },
            tl::enums::UserStatus::Offline(s) => UserStatus {
                online: false,
                when: Some(s.was_online),
                seen: None,
            },
            tl::enums::UserStatus::Recently(_) => hidden("recently"),
            tl::enums::UserStatus::LastWeek(_) => hidden("last_week"),
            tl::enums::UserStatus::LastMonth(_) => hidden("last_month"),
            tl::enums::UserStatus::Empty => UserStatus {
                online: false,
                when: None,
                seen: None,
            },
        }
    }
}

/// `tgl.Peer`, with the spec's attributes.
///
/// `user_list` is `None` when the members were not asked for: a peer built
/// from a message or an update never carries them (that would cost a
/// `getFullChat` per message). `peer.info()` (the `info` command) fills
/// it, and the fields after `title`, which appear in JSON only when set:
/// `about`, `members_count`, `user_list_complete` and `members_hidden`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "@type", rename = "peer")]
pub struct Peer {
    /// TDLib's marked chat id (for a secret chat, its own id).
    pub id: i64,
    /// What kind of peer this is (tgl's number in JSON).
    #[serde(rename = "type")]
    pub kind: PeerType,
    /// `user`, `chat`, `channel` or `secret_chat`.
    pub type_name: String,
    /// tg's print name: `FirstName_LastName` for a user, the title with
    /// spaces replaced by `_` for a chat.
    pub name: String,
    /// For a secret chat, the user at the other end.
    pub user_id: Option<i64>,
    /// For a basic group or supergroup, its members, from `info` (see
    /// `user_list_complete`); `None` elsewhere.
    pub user_list: Option<Vec<Peer>>,
    /// For a user, whether and when they are online.
    pub user_status: Option<UserStatus>,
    /// For a user, the phone number, when Telegram shows it (contacts).
    pub phone: Option<String>,
    /// For a user, the username; `None` if there is none.
    pub username: Option<String>,
    /// For a user, the first name.
    pub first_name: Option<String>,
    /// For a user, the last name.
    pub last_name: Option<String>,
    /// For a basic group or channel, its title.
    pub title: Option<String>,
    /// From `info`: a user's bio, a group's or channel's description
    /// (`None` when there is none). Absent from JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// From `info` of a group or channel: how many members Telegram says
    /// it has (which may be more than `user_list` holds). Absent when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members_count: Option<i32>,
    /// From `info` of a group or channel: whether `user_list` holds every
    /// member (`false` when it was cut at the cap or the members are
    /// hidden). Absent when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_list_complete: Option<bool>,
    /// From `info` of a channel: `true` when Telegram shows its members
    /// only to admins (a broadcast channel), so `user_list` is empty.
    /// Absent when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members_hidden: Option<bool>,
}

/// tg's print name: words joined by `_`, spaces replaced by `_`.
fn print_name(parts: &[&str], fallback: impl FnOnce() -> String) -> String {
    let joined = parts
        .iter()
        .map(|part| part.trim())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if joined.is_empty() {
        fallback()
    } else {
        joined.replace(char::is_whitespace, "_")
    }
}

impl Peer {
    fn bare(id: i64, kind: PeerType, name: String) -> Self {
        Peer {
            id,
            kind,
            type_name: kind.name().to_string(),
            name,
            user_id: None,
            user_list: None,
            user_status: None,
            phone: None,
            username: None,
            first_name: None,
            last_name: None,
            title: None,
            about: None,
            members_count: None,
            user_list_complete: None,
            members_hidden: None,
        }
    }

    /// A user known only by id (Telegram did not send the user with the
    /// message). Its name is `user#<id>`.
    pub fn unknown_user(user_id: i64) -> Self {
        Peer::bare(user_id, PeerType::User, format!("user#{user_id}"))
    }

    /// A chat known only by what its TDLib id names.
    pub fn unknown(chat: ChatRef) -> Self {
        match chat {
            ChatRef::User(id) => Peer::unknown_user(id),
            ChatRef::BasicGroup(id) => {
                Peer::bare(chat.chat_id(), PeerType::Chat, format!("chat#{id}"))
            }
            ChatRef::Channel(id) => {
                Peer::bare(chat.chat_id(), PeerType::Channel, format!("channel#{id}"))
            }
        }
    }

    /// A user from MTProto's `user`.
    pub fn from_user(user: &tl::types::User) -> Self {
        let first = user.first_name.as_deref().unwrap_or_default();
        let last = user.last_name.as_deref().unwrap_or_default();
        let username = user.username.clone().or_else(|| {
            user.usernames.as_ref().and_then(|names| {
                names.iter().find_map(|name| {
                    let tl::enums::Username::Username(name) = name;
                    name.active.then(|| name.username.clone())
                })
            })
        });
        Peer {
            user_status: user.status.as_ref().map(UserStatus::from_tl),
            phone: user.phone.clone().filter(|phone| !phone.is_empty()),
            username,
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            ..Peer::bare(
                user.id,
                PeerType::User,
                print_name(&[first, last], || format!("user#{}", user.id)),
            )
        }
    }

    /// A basic group or channel from MTProto's `Chat`; `None` for `chatEmpty`.
    pub fn from_chat(chat: &tl::enums::Chat) -> Option<Self> {
        let (chat_ref, title) = match chat {
            tl::enums::Chat::Chat(c) => (ChatRef::BasicGroup(c.id), c.title.as_str()),
            tl::enums::Chat::Forbidden(c) => (ChatRef::BasicGroup(c.id), c.title.as_str()),
            tl::enums::Chat::Channel(c) => (ChatRef::Channel(c.id), c.title.as_str()),
            tl::enums::Chat::ChannelForbidden(c) => (ChatRef::Channel(c.id), c.title.as_str()),
            // Empty chats, and communities, which tg-cli has no peer type for.
            _ => return None,
        };
        let fallback = Peer::unknown(chat_ref);
        Some(Peer {
            name: print_name(&[title], || fallback.name.clone()),
            title: Some(title.to_string()),
            ..fallback
        })
    }

    /// The TDLib chat id's meaning, for users, basic groups and channels.
    pub fn chat_ref(&self) -> Option<ChatRef> {
        match self.kind {
            PeerType::SecretChat => None,
            _ => ChatRef::from_chat_id(self.id),
        }
    }
}

/// The users and chats that came with an answer (and the client's own id),
/// to turn the `Peer` references inside messages into [`Peer`]s.
#[derive(Debug, Clone, Default)]
pub struct PeerDirectory {
    self_id: i64,
    users: HashMap<i64, tl::types::User>,
    chats: HashMap<i64, tl::enums::Chat>,
}

impl PeerDirectory {
    /// A directory for the account `self_id`.
    pub fn new(self_id: i64) -> Self {
        PeerDirectory {
            self_id,
            ..Default::default()
        }
    }

    /// The directory for an answer of account `self_id`: the users the
    /// client remembered for it (which the answer's own users override when
    /// they are fuller), then the answer's users and chats.
    pub fn for_answer(
        self_id: i64,
        remembered: &[tl::enums::User],
        users: &[tl::enums::User],
        chats: &[tl::enums::Chat],
    ) -> Self {
        let mut directory = PeerDirectory::new(self_id);
        directory.add_users(remembered);
        directory.add_users(users);
        directory.add_chats(chats);
        directory
    }

    /// The account's own id.
    pub fn self_id(&self) -> i64 {
        self.self_id
    }

    /// Adds the users of an answer; a full user replaces a `min` one, never
    /// the other way round.
    pub fn add_users<'a>(&mut self, users: impl IntoIterator<Item = &'a tl::enums::User>) {
        for user in users {
            if let tl::enums::User::User(u) = user {
                let keep_old = u.min && self.users.get(&u.id).is_some_and(|old| !old.min);
                if !keep_old {
                    self.users.insert(u.id, u.clone());
                }
            }
        }
    }

    /// Adds the chats of an answer, by their TDLib chat id.
    pub fn add_chats<'a>(&mut self, chats: impl IntoIterator<Item = &'a tl::enums::Chat>) {
        for chat in chats {
            let chat_ref = match chat {
                tl::enums::Chat::Chat(c) => ChatRef::BasicGroup(c.id),
                tl::enums::Chat::Forbidden(c) => ChatRef::BasicGroup(c.id),
                tl::enums::Chat::Channel(c) => ChatRef::Channel(c.id),
                tl::enums::Chat::ChannelForbidden(c) => ChatRef::Channel(c.id),
                _ => continue,
            };
            self.chats.insert(chat_ref.chat_id(), chat.clone());
        }
    }

    /// The user `user_id`, if the directory has it.
    pub fn user(&self, user_id: i64) -> Option<&tl::types::User> {
        self.users.get(&user_id)
    }

    /// The peer for a TDLib chat id: what Telegram sent, or a bare one.
    pub fn peer(&self, chat: ChatRef) -> Peer {
        match chat {
            ChatRef::User(id) => self
                .users
                .get(&id)
                .map(Peer::from_user)
                .unwrap_or_else(|| Peer::unknown_user(id)),
            _ => self
                .chats
                .get(&chat.chat_id())
                .and_then(Peer::from_chat)
                .unwrap_or_else(|| Peer::unknown(chat)),
        }
    }

    /// The peer MTProto's `Peer` names.
    pub fn peer_of(&self, peer: &tl::enums::Peer) -> Peer {
        self.peer(chat_ref_of(peer))
    }
}

/// What MTProto's `Peer` names, as a TDLib chat reference.
pub fn chat_ref_of(peer: &tl::enums::Peer) -> ChatRef {
    match peer {
        tl::enums::Peer::User(p) => ChatRef::User(p.user_id),
        tl::enums::Peer::Chat(p) => ChatRef::BasicGroup(p.chat_id),
        tl::enums::Peer::Channel(p) => ChatRef::Channel(p.channel_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(first: Option<&str>, last: Option<&str>) -> tl::types::User {
        let mut u = tl::types::User {
            is_self: false,
            contact: false,
            mutual_contact: false,
            deleted: false,
            bot: false,
            bot_chat_history: false,
            bot_nochats: false,
            verified: false,
            restricted: false,
            min: false,
            bot_inline_geo: false,
            support: false,
            scam: false,
            apply_min_photo: false,
            fake: false,
            bot_attach_menu: false,
            premium: false,
            attach_menu_enabled: false,
            bot_can_edit: false,
            close_friend: false,
            stories_hidden: false,
            stories_unavailable: false,
            contact_require_premium: false,
            bot_business: false,
            bot_has_main_app: false,
            bot_forum_view: false,
            bot_forum_can_manage_topics: false,
            bot_can_manage_bots: false,
            bot_guestchat: false,
            bot_guard: false,
            id: 7,
            access_hash: Some(1),
            first_name: None,
            last_name: None,
            username: None,
            phone: None,
            photo: None,
            status: None,
            bot_info_version: None,
            restriction_reason: None,
            bot_inline_placeholder: None,
            lang_code: None,
            emoji_status: None,
            usernames: None,
            stories_max_id: None,
            color: None,
            profile_color: None,
            bot_active_users: None,
            bot_verification_icon: None,
            send_paid_messages_stars: None,
            linked_community_id: None,
        };
        u.first_name = first.map(str::to_string);
        u.last_name = last.map(str::to_string);
        u
    }

    #[test]
    fn print_name_joins_first_and_last_with_underscores() {
        assert_eq!(
            Peer::from_user(&user(Some("Ada"), Some("Love lace"))).name,
            "Ada_Love_lace"
        );
        assert_eq!(Peer::from_user(&user(Some("Ada"), None)).name, "Ada");
        assert_eq!(Peer::from_user(&user(None, None)).name, "user#7");
    }

    #[test]
    fn peer_types_keep_tgl_numbers_in_json() {
        let peer = Peer::unknown(ChatRef::Channel(5));
        let json = serde_json::to_value(&peer).unwrap();
        assert_eq!(json["type"], 5);
        assert_eq!(json["type_name"], "channel");
        assert_eq!(json["id"], -1_000_000_000_005_i64);
        let back: Peer = serde_json::from_value(json).unwrap();
        assert_eq!(back, peer);
    }

    #[test]
    fn statuses_map_to_online_and_when() {
        let online = UserStatus::from_tl(&tl::types::UserStatusOnline { expires: 10 }.into());
        assert_eq!((online.online, online.when), (true, Some(10)));
        let hidden = UserStatus::from_tl(&tl::types::UserStatusRecently { by_me: false }.into());
        assert_eq!(
            (hidden.online, hidden.when, hidden.seen.as_deref()),
            (false, None, Some("recently"))
        );
    }

    #[test]
    fn a_min_user_never_replaces_a_full_one() {
        let mut directory = PeerDirectory::new(1);
        let full = user(Some("Full"), None);
        let mut min = user(Some("Min"), None);
        min.min = true;
        directory.add_users(&[full.into()]);
        directory.add_users(&[min.into()]);
        assert_eq!(directory.peer(ChatRef::User(7)).name, "Full");
    }
}
