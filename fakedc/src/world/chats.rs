//! Basic groups and channels (broadcast channels and supergroups), and how
//! each one looks to a given viewer on the wire.

use std::collections::{BTreeMap, BTreeSet};

use grammers_tl_types as tl;

use super::World;

/// The first id handed to a basic group (Telegram's are small numbers).
const FIRST_GROUP_ID: i64 = 4_000_000;
/// The first id handed to a channel: far from user and group ids, so a
/// marked chat id can never name two things.
const FIRST_CHANNEL_ID: i64 = 1_800_000_000;

/// A channel or supergroup.
#[derive(Debug, Clone, Default)]
pub struct Channel {
    /// 0 asks [`Chats::insert_channel`] for the next free id.
    pub id: i64,
    /// The title.
    pub title: String,
    /// The description.
    pub about: String,
    /// The public username; a channel without one is private.
    pub username: Option<String>,
    /// A broadcast channel; otherwise a supergroup (megagroup).
    pub broadcast: bool,
    /// The owner's user id.
    pub creator: i64,
    /// Administrators other than the creator.
    pub admins: BTreeSet<i64>,
    /// Every member, the creator included.
    pub members: BTreeSet<i64>,
    /// Unix time of creation (0: now, through `FakeDc::add_channel`).
    pub date: i32,
    /// A stored photo file, if the channel has a picture.
    pub photo_id: Option<i64>,
    /// The DC the channel lives on (its photo's DC).
    pub dc_id: i32,
    /// Content may not be forwarded or saved.
    pub noforwards: bool,
    /// Verified by Telegram.
    pub verified: bool,
    /// Slow mode delay, if on.
    pub slowmode_seconds: Option<i32>,
    /// The basic group this supergroup was migrated from.
    pub migrated_from: Option<i64>,
    /// Members removed by an admin (`channels.editBanned` with
    /// `view_messages`): they cannot come back through a link.
    pub kicked: BTreeSet<i64>,
}

/// A member of a basic group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupMember {
    /// The member.
    pub user_id: i64,
    /// Who added them.
    pub inviter_id: i64,
    /// Unix time they joined.
    pub date: i32,
    /// An administrator.
    pub admin: bool,
}

/// A basic group.
#[derive(Debug, Clone, Default)]
pub struct BasicGroup {
    /// 0 asks [`Chats::insert_group`] for the next free id.
    pub id: i64,
    /// The title.
    pub title: String,
    /// The description.
    pub about: String,
    /// The owner's user id.
    pub creator: i64,
    /// Every member, the creator included (added if missing).
    pub members: Vec<GroupMember>,
    /// Unix time of creation (0: now, through `FakeDc::add_basic_group`).
    pub date: i32,
    /// A stored photo file, if the group has a picture.
    pub photo_id: Option<i64>,
    /// The DC the group's photo lives on.
    pub dc_id: i32,
    /// Deactivated (e.g. after an upgrade).
    pub deactivated: bool,
    /// The supergroup it was migrated to.
    pub migrated_to: Option<i64>,
    /// The participants list's version: moves on every change of members
    /// or admins, as `chatParticipants.version` does.
    pub version: i32,
}

/// An invite link of a group or channel (`chatInviteExported`).
#[derive(Debug, Clone)]
pub struct Invite {
    /// The hash in `https://t.me/+HASH`.
    pub hash: String,
    /// The group (`Chat`) or channel it opens.
    pub chat: super::PeerTarget,
    /// Who made it.
    pub admin_id: i64,
    /// Unix time it was made.
    pub date: i32,
    /// Unix time it stops working.
    pub expire_date: Option<i32>,
    /// How many may join through it.
    pub usage_limit: Option<i32>,
    /// How many joined through it.
    pub usage: i32,
    /// Joining needs an admin's approval.
    pub request_needed: bool,
    /// Revoked: it no longer works.
    pub revoked: bool,
    /// The chat's primary link.
    pub permanent: bool,
    /// Its name for admins.
    pub title: Option<String>,
    /// Users waiting for approval, with the date they asked.
    pub requests: Vec<(i64, i32)>,
}

impl Invite {
    /// Whether the link can still be used at `now`.
    pub fn usable(&self, now: i32) -> bool {
        !self.revoked
            && self.expire_date.is_none_or(|date| now < date)
            && self.usage_limit.is_none_or(|limit| self.usage < limit)
    }

    /// The `chatInviteExported` constructor.
    pub fn to_tl(&self) -> tl::enums::ExportedChatInvite {
        tl::types::ChatInviteExported {
            revoked: self.revoked,
            permanent: self.permanent,
            request_needed: self.request_needed,
            link: format!("https://t.me/+{}", self.hash),
            admin_id: self.admin_id,
            date: self.date,
            start_date: None,
            expire_date: self.expire_date,
            usage_limit: self.usage_limit,
            usage: (self.usage > 0).then_some(self.usage),
            requested: (!self.requests.is_empty()).then_some(self.requests.len() as i32),
            subscription_expired: None,
            title: self.title.clone(),
            subscription_pricing: None,
        }
        .into()
    }
}

/// Every group and channel, by id.
#[derive(Debug, Default)]
pub struct Chats {
    channels: BTreeMap<i64, Channel>,
    groups: BTreeMap<i64, BasicGroup>,
    next_channel: i64,
    next_group: i64,
    /// Invite links by hash.
    pub invites: BTreeMap<String, Invite>,
}

impl Chats {
    /// Adds a channel (with the next free id if its id is 0) and returns the id.
    /// The creator is made a member.
    pub fn insert_channel(&mut self, mut channel: Channel) -> i64 {
        if channel.id == 0 {
            self.next_channel = self.next_channel.max(FIRST_CHANNEL_ID) + 1;
            channel.id = self.next_channel;
        }
        self.next_channel = self.next_channel.max(channel.id);
        if channel.creator != 0 {
            channel.members.insert(channel.creator);
        }
        let id = channel.id;
        self.channels.insert(id, channel);
        id
    }

    /// Adds a basic group (with the next free id if its id is 0) and returns
    /// the id. The creator is made a member.
    pub fn insert_group(&mut self, mut group: BasicGroup) -> i64 {
        if group.id == 0 {
            self.next_group = self.next_group.max(FIRST_GROUP_ID) + 1;
            group.id = self.next_group;
        }
        self.next_group = self.next_group.max(group.id);
        group.version = group.version.max(1);
        if group.creator != 0 && !group.members.iter().any(|m| m.user_id == group.creator) {
            group.members.insert(
                0,
                GroupMember {
                    user_id: group.creator,
                    inviter_id: group.creator,
                    date: group.date,
                    admin: true,
                },
            );
        }
        let id = group.id;
        self.groups.insert(id, group);
        id
    }

    /// The channel with this id.
    pub fn channel(&self, id: i64) -> Option<&Channel> {
        self.channels.get(&id)
    }

    /// The channel with this id, to change it.
    pub fn channel_mut(&mut self, id: i64) -> Option<&mut Channel> {
        self.channels.get_mut(&id)
    }

    /// The basic group with this id.
    pub fn group(&self, id: i64) -> Option<&BasicGroup> {
        self.groups.get(&id)
    }

    /// The basic group with this id, to change it.
    pub fn group_mut(&mut self, id: i64) -> Option<&mut BasicGroup> {
        self.groups.get_mut(&id)
    }

    /// The channel with this public username (case-insensitive).
    pub fn channel_by_username(&self, username: &str) -> Option<&Channel> {
        self.channels.values().find(|c| {
            c.username
                .as_deref()
                .is_some_and(|name| name.eq_ignore_ascii_case(username))
        })
    }

    /// The channels and supergroups `user_id` is a member of.
    pub fn channels_of(&self, user_id: i64) -> Vec<i64> {
        self.channels
            .values()
            .filter(|c| c.members.contains(&user_id))
            .map(|c| c.id)
            .collect()
    }

    /// The basic groups `user_id` is a member of.
    pub fn groups_of(&self, user_id: i64) -> Vec<i64> {
        self.groups
            .values()
            .filter(|g| g.has_member(user_id))
            .map(|g| g.id)
            .collect()
    }

    /// How many channels and supergroups `user_id` is a member of.
    pub fn channels_joined(&self, user_id: i64) -> usize {
        self.channels
            .values()
            .filter(|c| c.members.contains(&user_id))
            .count()
    }
}

/// The rights of a channel's or group's creator.
pub fn creator_rights() -> tl::enums::ChatAdminRights {
    tl::types::ChatAdminRights {
        change_info: true,
        post_messages: true,
        edit_messages: true,
        delete_messages: true,
        ban_users: true,
        invite_users: true,
        pin_messages: true,
        add_admins: true,
        anonymous: false,
        manage_call: true,
        other: true,
        manage_topics: true,
        post_stories: true,
        edit_stories: true,
        delete_stories: true,
        manage_direct_messages: true,
        manage_ranks: true,
        manage_linked_peers: true,
        manage_welcome_messages: true,
    }
    .into()
}

/// The default restrictions of a new group: none.
pub fn no_restrictions() -> tl::enums::ChatBannedRights {
    tl::types::ChatBannedRights {
        view_messages: false,
        send_messages: false,
        send_media: false,
        send_stickers: false,
        send_gifs: false,
        send_games: false,
        send_inline: false,
        embed_links: false,
        send_polls: false,
        change_info: true,
        invite_users: false,
        pin_messages: true,
        manage_topics: true,
        send_photos: false,
        send_videos: false,
        send_roundvideos: false,
        send_audios: false,
        send_voices: false,
        send_docs: false,
        send_plain: false,
        edit_rank: false,
        send_reactions: false,
        manage_linked_peers: false,
        until_date: 0,
    }
    .into()
}

fn chat_photo(photo_id: Option<i64>, dc_id: i32) -> tl::enums::ChatPhoto {
    match photo_id {
        Some(photo_id) => tl::types::ChatPhoto {
            has_video: false,
            photo_id,
            stripped_thumb: None,
            dc_id,
        }
        .into(),
        None => tl::enums::ChatPhoto::Empty,
    }
}

impl Channel {
    /// Whether `user_id` may see the channel's content: members always,
    /// everyone for public channels.
    pub fn visible_to(&self, user_id: i64) -> bool {
        self.members.contains(&user_id) || self.username.is_some()
    }

    /// The `channel` constructor as `viewer` sees it.
    pub fn to_tl(&self, world: &World, viewer: i64) -> tl::enums::Chat {
        let creator = self.creator == viewer;
        let admin = creator || self.admins.contains(&viewer);
        tl::types::Channel {
            creator,
            left: !self.members.contains(&viewer),
            broadcast: self.broadcast,
            verified: self.verified,
            megagroup: !self.broadcast,
            restricted: false,
            signatures: false,
            min: false,
            scam: false,
            has_link: false,
            has_geo: false,
            slowmode_enabled: self.slowmode_seconds.is_some(),
            call_active: false,
            call_not_empty: false,
            fake: false,
            gigagroup: false,
            noforwards: self.noforwards,
            join_to_send: false,
            join_request: false,
            forum: false,
            stories_hidden: false,
            stories_hidden_min: false,
            stories_unavailable: false,
            signature_profiles: false,
            autotranslation: false,
            broadcast_messages_allowed: false,
            monoforum: false,
            forum_tabs: false,
            id: self.id,
            access_hash: Some(world.access_hash(viewer, self.id)),
            title: self.title.clone(),
            username: self.username.clone(),
            photo: chat_photo(self.photo_id, self.dc_id),
            date: self.date,
            restriction_reason: None,
            admin_rights: admin.then(creator_rights),
            banned_rights: None,
            default_banned_rights: (!self.broadcast).then(no_restrictions),
            participants_count: Some(self.members.len() as i32),
            usernames: None,
            stories_max_id: None,
            color: None,
            profile_color: None,
            emoji_status: None,
            level: None,
            subscription_until_date: None,
            bot_verification_icon: None,
            send_paid_messages_stars: None,
            linked_monoforum_id: None,
            linked_community_id: None,
        }
        .into()
    }
}

impl BasicGroup {
    /// Whether `user_id` is a member.
    pub fn has_member(&self, user_id: i64) -> bool {
        self.members.iter().any(|m| m.user_id == user_id)
    }

    /// The member `user_id`, if they are one.
    pub fn member(&self, user_id: i64) -> Option<&GroupMember> {
        self.members.iter().find(|m| m.user_id == user_id)
    }

    /// Whether `user_id` is the creator or an admin.
    pub fn is_admin(&self, user_id: i64) -> bool {
        self.creator == user_id || self.member(user_id).is_some_and(|m| m.admin)
    }

    /// The `chatParticipants` constructor (everyone sees the same list).
    pub fn participants_tl(&self) -> tl::enums::ChatParticipants {
        let participants = self
            .members
            .iter()
            .map(|m| {
                if m.user_id == self.creator {
                    tl::types::ChatParticipantCreator {
                        user_id: m.user_id,
                        rank: None,
                    }
                    .into()
                } else if m.admin {
                    tl::types::ChatParticipantAdmin {
                        user_id: m.user_id,
                        inviter_id: m.inviter_id,
                        date: m.date,
                        rank: None,
                    }
                    .into()
                } else {
                    tl::types::ChatParticipant {
                        user_id: m.user_id,
                        inviter_id: m.inviter_id,
                        date: m.date,
                        rank: None,
                    }
                    .into()
                }
            })
            .collect();
        tl::types::ChatParticipants {
            chat_id: self.id,
            participants,
            version: self.version,
        }
        .into()
    }

    /// The `chat` constructor as `viewer` sees it (`left` once they are no
    /// longer a member).
    pub fn to_tl(&self, world: &World, viewer: i64) -> tl::enums::Chat {
        let creator = self.creator == viewer;
        let admin = creator || self.members.iter().any(|m| m.user_id == viewer && m.admin);
        tl::types::Chat {
            creator,
            left: !self.has_member(viewer),
            deactivated: self.deactivated,
            call_active: false,
            call_not_empty: false,
            noforwards: false,
            id: self.id,
            title: self.title.clone(),
            photo: chat_photo(self.photo_id, self.dc_id),
            participants_count: self.members.len() as i32,
            date: self.date,
            version: self.version,
            migrated_to: self.migrated_to.map(|channel_id| {
                tl::types::InputChannel {
                    channel_id,
                    access_hash: world.access_hash(viewer, channel_id),
                }
                .into()
            }),
            admin_rights: admin.then(creator_rights),
            default_banned_rights: Some(no_restrictions()),
        }
        .into()
    }
}
