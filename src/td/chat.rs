//! Chats: `chat` and its type, permissions and members; basic groups and supergroups with their full info.

use grammers_tl_types as tl;
use serde::Serialize;

use super::ids;
use super::message::MessageSender;
use super::photo::{ChatPhoto, ChatPhotoInfo};
use super::user::Usernames;

/// `chatType*`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "@type")]
pub enum ChatType {
    /// `chatTypePrivate`: a chat with a user.
    #[serde(rename = "chatTypePrivate")]
    Private {
        /// The other user.
        user_id: i64,
    },
    /// `chatTypeBasicGroup`
    #[serde(rename = "chatTypeBasicGroup")]
    BasicGroup {
        /// The basic group's (unmarked) id.
        basic_group_id: i64,
    },
    /// `chatTypeSupergroup`: a supergroup or a broadcast channel.
    #[serde(rename = "chatTypeSupergroup")]
    Supergroup {
        /// The channel's (unmarked) id.
        supergroup_id: i64,
        /// Whether it is a broadcast channel.
        is_channel: bool,
    },
}

/// `chatPermissions`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "chatPermissions")]
pub struct ChatPermissions {
    /// Whether members may send text, contacts, locations and the like.
    pub can_send_basic_messages: bool,
    /// Whether members may send music.
    pub can_send_audios: bool,
    /// Whether members may send documents.
    pub can_send_documents: bool,
    /// Whether members may send photos.
    pub can_send_photos: bool,
    /// Whether members may send videos.
    pub can_send_videos: bool,
    /// Whether members may send video notes.
    pub can_send_video_notes: bool,
    /// Whether members may send voice notes.
    pub can_send_voice_notes: bool,
    /// Whether members may send polls.
    pub can_send_polls: bool,
    /// Whether members may send stickers, GIFs, games and inline results.
    pub can_send_other_messages: bool,
    /// Whether members may add link previews.
    pub can_add_link_previews: bool,
    /// Whether members may change the title, photo and description.
    pub can_change_info: bool,
    /// Whether members may invite others.
    pub can_invite_users: bool,
    /// Whether members may pin messages.
    pub can_pin_messages: bool,
    /// Whether members may create forum topics.
    pub can_create_topics: bool,
}

impl ChatPermissions {
    /// Everything allowed (private chats).
    pub const fn all() -> Self {
        Self {
            can_send_basic_messages: true,
            can_send_audios: true,
            can_send_documents: true,
            can_send_photos: true,
            can_send_videos: true,
            can_send_video_notes: true,
            can_send_voice_notes: true,
            can_send_polls: true,
            can_send_other_messages: true,
            can_add_link_previews: true,
            can_change_info: true,
            can_invite_users: true,
            can_pin_messages: true,
            can_create_topics: true,
        }
    }

    /// The permissions a group's default restrictions leave.
    pub fn from_banned(rights: Option<&tl::enums::ChatBannedRights>) -> Self {
        let Some(tl::enums::ChatBannedRights::Rights(r)) = rights else {
            return Self::all();
        };
        Self {
            can_send_basic_messages: !(r.send_messages || r.send_plain),
            can_send_audios: !(r.send_media || r.send_audios),
            can_send_documents: !(r.send_media || r.send_docs),
            can_send_photos: !(r.send_media || r.send_photos),
            can_send_videos: !(r.send_media || r.send_videos),
            can_send_video_notes: !(r.send_media || r.send_roundvideos),
            can_send_voice_notes: !(r.send_media || r.send_voices),
            can_send_polls: !r.send_polls,
            can_send_other_messages: !(r.send_stickers
                || r.send_gifs
                || r.send_games
                || r.send_inline),
            can_add_link_previews: !r.embed_links,
            can_change_info: !r.change_info,
            can_invite_users: !r.invite_users,
            can_pin_messages: !r.pin_messages,
            can_create_topics: !r.manage_topics,
        }
    }
}

/// `chat` (the fields the server's objects determine; message lists,
/// positions and notification settings are not filled in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "chat")]
pub struct Chat {
    /// The id (int64 ids are written as strings).
    pub id: i64,
    /// What the chat is (`type` in JSON).
    #[serde(rename = "type")]
    pub chat_type: ChatType,
    /// The title.
    pub title: String,
    /// The photo, `null` when there is none.
    pub photo: Option<ChatPhotoInfo>,
    /// Default member permissions.
    pub permissions: ChatPermissions,
    /// Whether content may not be forwarded or saved.
    pub has_protected_content: bool,
    /// Auto-delete timer in seconds (0 if off).
    pub message_auto_delete_time: i32,
}

/// A user's display name as TDLib makes chat titles from it.
fn user_title(user: &tl::types::User) -> String {
    if user.deleted {
        return "Deleted Account".into();
    }
    let first = user.first_name.as_deref().unwrap_or_default();
    let last = user.last_name.as_deref().unwrap_or_default();
    format!("{first} {last}").trim().to_string()
}

impl Chat {
    /// The private chat with `user`.
    pub fn private(user: &tl::types::User) -> Self {
        Self {
            id: ids::ChatRef::User(user.id).chat_id(),
            chat_type: ChatType::Private { user_id: user.id },
            title: user_title(user),
            photo: ChatPhotoInfo::from_user(user.photo.as_ref()),
            permissions: ChatPermissions::all(),
            has_protected_content: false,
            message_auto_delete_time: 0,
        }
    }

    /// The chat of a group or channel; `None` for `chatEmpty`, kinds TDLib
    /// does not show, and ids that have no TDLib chat id
    /// ([`ids::ChatRef::checked_chat_id`]).
    pub fn from_tl(chat: &tl::enums::Chat) -> Option<Self> {
        let make = |chat_type, id, title: &str, photo, permissions, protected| Self {
            id,
            chat_type,
            title: title.to_string(),
            photo,
            permissions,
            has_protected_content: protected,
            message_auto_delete_time: 0,
        };
        Some(match chat {
            tl::enums::Chat::Chat(c) => make(
                ChatType::BasicGroup {
                    basic_group_id: c.id,
                },
                ids::ChatRef::BasicGroup(c.id).checked_chat_id()?,
                &c.title,
                ChatPhotoInfo::from_chat(&c.photo),
                ChatPermissions::from_banned(c.default_banned_rights.as_ref()),
                c.noforwards,
            ),
            tl::enums::Chat::Forbidden(c) => make(
                ChatType::BasicGroup {
                    basic_group_id: c.id,
                },
                ids::ChatRef::BasicGroup(c.id).checked_chat_id()?,
                &c.title,
                None,
                ChatPermissions::from_banned(None),
                false,
            ),
            tl::enums::Chat::Channel(c) => make(
                ChatType::Supergroup {
                    supergroup_id: c.id,
                    is_channel: c.broadcast,
                },
                ids::ChatRef::Channel(c.id).checked_chat_id()?,
                &c.title,
                ChatPhotoInfo::from_chat(&c.photo),
                ChatPermissions::from_banned(c.default_banned_rights.as_ref()),
                c.noforwards,
            ),
            tl::enums::Chat::ChannelForbidden(c) => make(
                ChatType::Supergroup {
                    supergroup_id: c.id,
                    is_channel: c.broadcast,
                },
                ids::ChatRef::Channel(c.id).checked_chat_id()?,
                &c.title,
                None,
                ChatPermissions::from_banned(None),
                false,
            ),
            _ => return None,
        })
    }
}

/// `chatMemberStatus*`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type")]
pub enum ChatMemberStatus {
    /// The owner.
    #[serde(rename = "chatMemberStatusCreator")]
    Creator {
        /// The title shown instead of "owner".
        custom_title: String,
        /// Whether the owner posts anonymously.
        is_anonymous: bool,
        /// Whether the owner is (still) a member.
        is_member: bool,
    },
    /// An administrator.
    #[serde(rename = "chatMemberStatusAdministrator")]
    Administrator {
        /// The title shown instead of "admin".
        custom_title: String,
        /// Whether the account may change this admin's rights.
        can_be_edited: bool,
    },
    /// A plain member.
    #[serde(rename = "chatMemberStatusMember")]
    Member {
        /// When a temporary membership ends (0: never).
        member_until_date: i32,
    },
    /// Not a member.
    #[serde(rename = "chatMemberStatusLeft")]
    Left {},
    /// Banned.
    #[serde(rename = "chatMemberStatusBanned")]
    Banned {
        /// When the ban ends (0: never).
        banned_until_date: i32,
    },
}

impl ChatMemberStatus {
    fn of(creator: bool, admin: bool, left: bool) -> Self {
        if creator {
            ChatMemberStatus::Creator {
                custom_title: String::new(),
                is_anonymous: false,
                is_member: !left,
            }
        } else if left {
            ChatMemberStatus::Left {}
        } else if admin {
            ChatMemberStatus::Administrator {
                custom_title: String::new(),
                can_be_edited: false,
            }
        } else {
            ChatMemberStatus::Member {
                member_until_date: 0,
            }
        }
    }
}

/// `supergroup`: the basic info of a channel or supergroup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "supergroup")]
pub struct Supergroup {
    /// The id (int64 ids are written as strings).
    pub id: i64,
    /// The public usernames, `null` without one.
    pub usernames: Option<Usernames>,
    /// Unix time the chat was created or joined.
    pub date: i32,
    /// The account's status in the chat.
    pub status: ChatMemberStatus,
    /// Number of members.
    pub member_count: i32,
    /// Whether a discussion group or channel is linked.
    pub has_linked_chat: bool,
    /// Whether the chat has a location.
    pub has_location: bool,
    /// Whether posts are signed.
    pub sign_messages: bool,
    /// Whether one must join to send messages.
    pub join_to_send_messages: bool,
    /// Whether joining needs an admin's approval.
    pub join_by_request: bool,
    /// Whether slow mode is on.
    pub is_slow_mode_enabled: bool,
    /// Whether this is a broadcast channel rather than a supergroup.
    pub is_channel: bool,
    /// Whether this is a broadcast group (gigagroup).
    pub is_broadcast_group: bool,
    /// Whether the supergroup is a forum.
    pub is_forum: bool,
    /// Whether Telegram verified it.
    pub is_verified: bool,
    /// Whether Telegram marked it as a scam.
    pub is_scam: bool,
    /// Whether Telegram marked it as fake.
    pub is_fake: bool,
}

impl Supergroup {
    /// Converts a `channel`.
    pub fn from_tl(c: &tl::types::Channel) -> Self {
        let usernames = Usernames::from_tl(c.username.as_ref(), c.usernames.as_deref());
        Self {
            id: c.id,
            usernames,
            date: c.date,
            status: ChatMemberStatus::of(c.creator, c.admin_rights.is_some(), c.left),
            member_count: super::count(c.participants_count.unwrap_or(0)),
            has_linked_chat: c.has_link,
            has_location: c.has_geo,
            sign_messages: c.signatures,
            join_to_send_messages: c.join_to_send,
            join_by_request: c.join_request,
            is_slow_mode_enabled: c.slowmode_enabled,
            is_channel: c.broadcast,
            is_broadcast_group: c.gigagroup,
            is_forum: c.forum,
            is_verified: c.verified,
            is_scam: c.scam,
            is_fake: c.fake,
        }
    }
}

/// `basicGroup`: the basic info of a basic group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "basicGroup")]
pub struct BasicGroup {
    /// The id (int64 ids are written as strings).
    pub id: i64,
    /// Number of members.
    pub member_count: i32,
    /// The account's status in the chat.
    pub status: ChatMemberStatus,
    /// Whether the group is active (not deactivated or upgraded).
    pub is_active: bool,
    /// The supergroup this group was upgraded to (0 if none).
    pub upgraded_to_supergroup_id: i64,
}

impl BasicGroup {
    /// Converts a `chat`.
    pub fn from_tl(c: &tl::types::Chat) -> Self {
        let upgraded = match &c.migrated_to {
            Some(tl::enums::InputChannel::Channel(to)) => to.channel_id,
            _ => 0,
        };
        Self {
            id: c.id,
            member_count: super::count(c.participants_count),
            status: ChatMemberStatus::of(c.creator, c.admin_rights.is_some(), c.left),
            is_active: !c.deactivated && upgraded == 0,
            upgraded_to_supergroup_id: upgraded,
        }
    }
}

/// `supergroupFullInfo` (bot commands, invite links and sticker sets are not
/// converted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "supergroupFullInfo")]
pub struct SupergroupFullInfo {
    /// The photo, `null` when there is none.
    pub photo: Option<ChatPhoto>,
    /// The description (`about`).
    pub description: String,
    /// Number of members.
    pub member_count: i32,
    /// Number of administrators.
    pub administrator_count: i32,
    /// Number of restricted members.
    pub restricted_count: i32,
    /// Number of users banned from the chat.
    pub banned_count: i32,
    /// The linked chat's TDLib id (0 if none).
    pub linked_chat_id: i64,
    /// Slow mode delay in seconds (0 if off).
    pub slow_mode_delay: i32,
    /// Whether the member list can be read.
    pub can_get_members: bool,
    /// Whether the member list is hidden.
    pub has_hidden_members: bool,
    /// Whether the sticker set can be set.
    pub can_set_sticker_set: bool,
    /// Whether the location can be set.
    pub can_set_location: bool,
    /// Whether statistics are available.
    pub can_get_statistics: bool,
    /// Whether new members see the earlier history.
    pub is_all_history_available: bool,
    /// Whether aggressive anti-spam is on.
    pub has_aggressive_anti_spam_enabled: bool,
    /// Whether stories are pinned to the profile.
    pub has_pinned_stories: bool,
    /// The basic group this supergroup was upgraded from (0 if none).
    pub upgraded_from_basic_group_id: i64,
    /// The last message of that basic group (0 if none).
    pub upgraded_from_max_message_id: i64,
}

impl SupergroupFullInfo {
    /// Converts a `channelFull`.
    pub fn from_tl(f: &tl::types::ChannelFull) -> Self {
        Self {
            photo: ChatPhoto::from_tl(&f.chat_photo),
            description: f.about.clone(),
            member_count: super::count(f.participants_count.unwrap_or(0)),
            administrator_count: super::count(f.admins_count.unwrap_or(0)),
            restricted_count: super::count(f.banned_count.unwrap_or(0)),
            banned_count: super::count(f.kicked_count.unwrap_or(0)),
            linked_chat_id: f
                .linked_chat_id
                .map_or(0, |id| ids::ChatRef::Channel(id).chat_id()),
            slow_mode_delay: super::count(f.slowmode_seconds.unwrap_or(0)),
            can_get_members: f.can_view_participants,
            has_hidden_members: f.participants_hidden,
            can_set_sticker_set: f.can_set_stickers,
            can_set_location: f.can_set_location,
            can_get_statistics: f.can_view_stats,
            is_all_history_available: !f.hidden_prehistory,
            has_aggressive_anti_spam_enabled: f.antispam,
            has_pinned_stories: f.stories_pinned_available,
            upgraded_from_basic_group_id: f.migrated_from_chat_id.unwrap_or(0),
            upgraded_from_max_message_id: f.migrated_from_max_id.map_or(0, i64::from),
        }
    }
}

/// `chatMember`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "chatMember")]
pub struct ChatMember {
    /// Who the member is.
    pub member_id: MessageSender,
    /// Who added the member (0 if unknown).
    pub inviter_user_id: i64,
    /// Unix time the member joined.
    pub joined_chat_date: i32,
    /// The account's status in the chat.
    pub status: ChatMemberStatus,
}

/// `basicGroupFullInfo` (bot commands and invite links are not converted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "basicGroupFullInfo")]
pub struct BasicGroupFullInfo {
    /// The photo, `null` when there is none.
    pub photo: Option<ChatPhoto>,
    /// The description (`about`).
    pub description: String,
    /// The creator's user id (0 if unknown).
    pub creator_user_id: i64,
    /// The members.
    pub members: Vec<ChatMember>,
    /// Whether the member list can be hidden.
    pub can_hide_members: bool,
    /// Whether aggressive anti-spam can be toggled.
    pub can_toggle_aggressive_anti_spam: bool,
}

impl BasicGroupFullInfo {
    /// Converts a `chatFull`.
    pub fn from_tl(f: &tl::types::ChatFull) -> Self {
        let mut creator_user_id = 0;
        let members = match &f.participants {
            tl::enums::ChatParticipants::Participants(list) => list
                .participants
                .iter()
                .map(|p| {
                    let (user_id, inviter, date, status) = match p {
                        tl::enums::ChatParticipant::Creator(c) => {
                            creator_user_id = c.user_id;
                            (c.user_id, 0, 0, ChatMemberStatus::of(true, true, false))
                        }
                        tl::enums::ChatParticipant::Admin(a) => (
                            a.user_id,
                            a.inviter_id,
                            a.date,
                            ChatMemberStatus::of(false, true, false),
                        ),
                        tl::enums::ChatParticipant::Participant(m) => (
                            m.user_id,
                            m.inviter_id,
                            m.date,
                            ChatMemberStatus::of(false, false, false),
                        ),
                    };
                    ChatMember {
                        member_id: MessageSender::User { user_id },
                        inviter_user_id: inviter,
                        joined_chat_date: date,
                        status,
                    }
                })
                .collect(),
            tl::enums::ChatParticipants::Forbidden(_) => Vec::new(),
        };
        Self {
            photo: f.chat_photo.as_ref().and_then(ChatPhoto::from_tl),
            description: f.about.clone(),
            creator_user_id,
            members,
            can_hide_members: false,
            can_toggle_aggressive_anti_spam: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `channel` as the fake DC builds it, with the fields under test set.
    fn channel(id: i64, participants: Option<i32>) -> tl::enums::Chat {
        let world = fakedc::World::new(fakedc::Limits::default(), fakedc::Shaping::default());
        let seed = fakedc::Channel {
            id,
            title: "c".into(),
            ..fakedc::Channel::default()
        };
        match seed.to_tl(&world, 1) {
            tl::enums::Chat::Channel(mut c) => {
                c.participants_count = participants;
                c.into()
            }
            other => panic!("not a channel: {other:?}"),
        }
    }

    fn basic_group(id: i64, participants: i32) -> tl::enums::Chat {
        let seed = fakedc::BasicGroup {
            id,
            title: "g".into(),
            ..fakedc::BasicGroup::default()
        };
        let world = fakedc::World::new(fakedc::Limits::default(), fakedc::Shaping::default());
        match seed.to_tl(&world, 1) {
            tl::enums::Chat::Chat(mut c) => {
                c.participants_count = participants;
                c.into()
            }
            other => panic!("not a basic group: {other:?}"),
        }
    }

    #[test]
    fn chats_with_ids_that_cannot_be_marked_are_not_shown() {
        for id in [
            i64::MAX,
            i64::MAX - ids::CHANNEL_CHAT_ID_OFFSET + 2,
            0,
            -1,
            i64::MIN,
        ] {
            assert_eq!(Chat::from_tl(&channel(id, Some(3))), None, "channel {id}");
        }
        for id in [i64::MAX, ids::CHANNEL_CHAT_ID_OFFSET, 0, -1, i64::MIN] {
            assert_eq!(Chat::from_tl(&basic_group(id, 3)), None, "basic group {id}");
        }
        let largest = i64::MAX - ids::CHANNEL_CHAT_ID_OFFSET + 1;
        let chat = Chat::from_tl(&channel(largest, Some(3))).expect("the largest channel id");
        assert_eq!(chat.id, i64::MIN);
        let chat = Chat::from_tl(&basic_group(7, 3)).expect("a basic group");
        assert_eq!(chat.id, -7);
    }

    #[test]
    fn negative_counts_from_the_server_are_shown_as_zero() {
        let tl::enums::Chat::Channel(c) = channel(1_800_000_000, Some(i32::MIN)) else {
            unreachable!()
        };
        assert_eq!(Supergroup::from_tl(&c).member_count, 0);
        let tl::enums::Chat::Channel(c) = channel(1_800_000_000, Some(i32::MAX)) else {
            unreachable!()
        };
        assert_eq!(Supergroup::from_tl(&c).member_count, i32::MAX);
        let tl::enums::Chat::Chat(g) = basic_group(5, -1) else {
            unreachable!()
        };
        assert_eq!(BasicGroup::from_tl(&g).member_count, 0);
    }

    #[test]
    fn a_private_chat_with_an_invalid_user_id_has_no_chat_id() {
        let world = fakedc::World::new(fakedc::Limits::default(), fakedc::Shaping::default());
        for (id, chat_id) in [(i64::MAX, i64::MAX), (0, 0), (-1, 0), (i64::MIN, 0)] {
            let seed = fakedc::User {
                id,
                first_name: "u".into(),
                ..fakedc::User::default()
            };
            let tl::enums::User::User(user) = seed.to_tl(&world, 1) else {
                panic!("not a user")
            };
            assert_eq!(Chat::private(&user).id, chat_id, "user {id}");
        }
    }
}
