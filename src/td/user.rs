//! Users: `user`, `userFullInfo` and what they are made of (usernames, profile photos, birthdates, block lists).

use grammers_tl_types as tl;
use serde::Serialize;

use super::common::FormattedText;
use super::ids;
use super::photo::ChatPhoto;

/// `usernames`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "usernames")]
pub struct Usernames {
    /// Active usernames; the first one is shown as the primary username.
    pub active_usernames: Vec<String>,
    /// Usernames the owner has disabled (they can be activated again).
    pub disabled_usernames: Vec<String>,
    /// The username that can be changed (`setUsername` / `setSupergroupUsername`); empty if none.
    pub editable_username: String,
}

impl Usernames {
    /// The usernames of a user or channel: its main `username` first, then
    /// the other active ones of `usernames`, and the disabled ones apart;
    /// `None` when it has none.
    pub fn from_tl(
        username: Option<&String>,
        usernames: Option<&[tl::enums::Username]>,
    ) -> Option<Self> {
        let mut active: Vec<String> = username.into_iter().cloned().collect();
        let mut disabled = Vec::new();
        for tl::enums::Username::Username(name) in usernames.into_iter().flatten() {
            if name.active {
                if !active.contains(&name.username) {
                    active.push(name.username.clone());
                }
            } else {
                disabled.push(name.username.clone());
            }
        }
        (!active.is_empty() || !disabled.is_empty()).then(|| Usernames {
            editable_username: username.cloned().unwrap_or_default(),
            active_usernames: active,
            disabled_usernames: disabled,
        })
    }
}

/// `profilePhoto` (without the file objects: see `id` and the DC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "profilePhoto")]
pub struct ProfilePhoto {
    /// int64, written as a string like TDLib does.
    #[serde(serialize_with = "ids::as_string")]
    pub id: i64,
    /// True, if the photo has an animated variant.
    pub has_animation: bool,
    /// True, if the photo is visible only to the current user (a personal photo).
    pub is_personal: bool,
}

/// `userType*` (bot details are not converted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "@type")]
pub enum UserType {
    /// `userTypeRegular`
    #[serde(rename = "userTypeRegular")]
    Regular,
    /// `userTypeBot`
    #[serde(rename = "userTypeBot")]
    Bot,
    /// `userTypeDeleted`: a deleted account.
    #[serde(rename = "userTypeDeleted")]
    Deleted,
}

/// `user`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "user")]
pub struct User {
    /// User identifier.
    pub id: i64,
    /// First name of the user.
    pub first_name: String,
    /// Last name of the user (may be empty).
    pub last_name: String,
    /// Usernames of the user; `None` (null) if the user has none.
    pub usernames: Option<Usernames>,
    /// Phone number of the user, digits only; empty if not visible.
    pub phone_number: String,
    /// Profile photo of the user; `None` (null) if there is none.
    pub profile_photo: Option<ProfilePhoto>,
    /// The user is a contact of the current user.
    pub is_contact: bool,
    /// The user is a contact of the current user, and the current user is a contact of the user.
    pub is_mutual_contact: bool,
    /// True, if the user is a Telegram Premium user.
    pub is_premium: bool,
    /// True, if the user is a Telegram support account.
    pub is_support: bool,
    /// True, if many users reported this user as a scam.
    pub is_scam: bool,
    /// True, if many users reported this user as a fake account.
    pub is_fake: bool,
    /// If false, the user is inaccessible (a "min" user): only what is in this object is known.
    pub have_access: bool,
    /// Type of the user (`type` in JSON).
    #[serde(rename = "type")]
    pub user_type: UserType,
    /// IETF language tag of the user's language; only available to bots.
    pub language_code: String,
}

impl User {
    /// Converts a `user` constructor; `None` for `userEmpty`.
    pub fn from_tl(user: &tl::enums::User) -> Option<Self> {
        let tl::enums::User::User(u) = user else {
            return None;
        };
        let usernames = Usernames::from_tl(u.username.as_ref(), u.usernames.as_deref());
        let profile_photo = match &u.photo {
            Some(tl::enums::UserProfilePhoto::Photo(p)) => Some(ProfilePhoto {
                id: p.photo_id,
                has_animation: p.has_video,
                is_personal: p.personal,
            }),
            _ => None,
        };
        Some(Self {
            id: u.id,
            first_name: u.first_name.clone().unwrap_or_default(),
            last_name: u.last_name.clone().unwrap_or_default(),
            usernames,
            phone_number: u.phone.clone().unwrap_or_default(),
            profile_photo,
            is_contact: u.contact,
            is_mutual_contact: u.mutual_contact,
            is_premium: u.premium,
            is_support: u.support,
            is_scam: u.scam,
            is_fake: u.fake,
            have_access: !u.min,
            user_type: if u.bot {
                UserType::Bot
            } else if u.deleted {
                UserType::Deleted
            } else {
                UserType::Regular
            },
            language_code: u.lang_code.clone().unwrap_or_default(),
        })
    }
}

/// `birthdate`: `year` is 0 when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "birthdate")]
pub struct Birthdate {
    /// Day of the month, 1–31.
    pub day: i32,
    /// Month, 1–12.
    pub month: i32,
    /// Year, 0 when unknown.
    pub year: i32,
}

impl Birthdate {
    /// A birthdate; `year` 0 means unknown.
    pub const fn new(day: i32, month: i32, year: i32) -> Self {
        Self { day, month, year }
    }

    /// Converts a `birthday`.
    pub fn from_tl(birthday: &tl::enums::Birthday) -> Self {
        let tl::enums::Birthday::Birthday(b) = birthday;
        Self::new(b.day, b.month, b.year.unwrap_or(0))
    }
}

/// `blockList*`: TDLib's block lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "@type")]
pub enum BlockList {
    /// `blockListMain`: the main block list, for messages and everything else.
    #[default]
    #[serde(rename = "blockListMain")]
    Main,
    /// `blockListStories`: users who can't see the account's stories.
    #[serde(rename = "blockListStories")]
    Stories,
}

/// `userFullInfo` (bot and business details are not converted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "userFullInfo")]
pub struct UserFullInfo {
    /// A photo the account set for this user.
    pub personal_photo: Option<ChatPhoto>,
    /// The photo, `null` when there is none.
    pub photo: Option<ChatPhoto>,
    /// The photo shown to those the main photo is hidden from.
    pub public_photo: Option<ChatPhoto>,
    /// The block list the user is in, `null` when not blocked.
    pub block_list: Option<BlockList>,
    /// Whether the user can be called.
    pub can_be_called: bool,
    /// Whether the user accepts video calls.
    pub supports_video_calls: bool,
    /// Whether calls are restricted by privacy settings.
    pub has_private_calls: bool,
    /// Whether forwarded messages do not link to the user.
    pub has_private_forwards: bool,
    /// Whether voice and video notes are refused.
    pub has_restricted_voice_and_video_note_messages: bool,
    /// Whether stories are posted to the profile.
    pub has_posted_to_profile_stories: bool,
    /// Whether sponsored messages are shown.
    pub has_sponsored_messages_enabled: bool,
    /// Whether adding the user as a contact should offer to share the phone number.
    pub need_phone_number_privacy_exception: bool,
    /// Whether the user set a background for the chat.
    pub set_chat_background: bool,
    /// The bio, `null` when empty.
    pub bio: Option<FormattedText>,
    /// The birthdate, `null` when not set or hidden.
    pub birthdate: Option<Birthdate>,
    /// The user's personal channel, as a TDLib chat id (0 if none).
    pub personal_chat_id: i64,
    /// Number of gifts on the profile.
    pub gift_count: i32,
    /// Number of groups shared with the account.
    pub group_in_common_count: i32,
    /// Stars the user charges for a message.
    pub incoming_paid_message_star_count: i64,
    /// Stars the account pays per message to the user.
    pub outgoing_paid_message_star_count: i64,
}

impl UserFullInfo {
    /// Converts a `userFull`.
    pub fn from_tl(full: &tl::enums::UserFull) -> Self {
        let tl::enums::UserFull::Full(f) = full;
        let photo = |p: &Option<tl::enums::Photo>| p.as_ref().and_then(ChatPhoto::from_tl);
        let block_list = if f.blocked {
            Some(BlockList::Main)
        } else if f.blocked_my_stories_from {
            Some(BlockList::Stories)
        } else {
            None
        };
        let tl::enums::PeerSettings::Settings(settings) = &f.settings;
        Self {
            personal_photo: photo(&f.personal_photo),
            photo: photo(&f.profile_photo),
            public_photo: photo(&f.fallback_photo),
            block_list,
            can_be_called: f.phone_calls_available && !f.phone_calls_private,
            supports_video_calls: f.video_calls_available,
            has_private_calls: f.phone_calls_private,
            has_private_forwards: f.private_forward_name.is_some(),
            has_restricted_voice_and_video_note_messages: f.voice_messages_forbidden,
            has_posted_to_profile_stories: f.stories_pinned_available,
            has_sponsored_messages_enabled: f.sponsored_enabled,
            need_phone_number_privacy_exception: settings.need_contacts_exception,
            set_chat_background: f.wallpaper_overridden,
            bio: f
                .about
                .as_ref()
                .filter(|about| !about.is_empty())
                .map(FormattedText::plain),
            birthdate: f.birthday.as_ref().map(Birthdate::from_tl),
            personal_chat_id: f
                .personal_channel_id
                .map_or(0, |id| ids::ChatRef::Channel(id).chat_id()),
            gift_count: super::count(f.stargifts_count.unwrap_or(0)),
            group_in_common_count: super::count(f.common_chats_count),
            incoming_paid_message_star_count: super::count(f.send_paid_messages_stars.unwrap_or(0)),
            outgoing_paid_message_star_count: super::count(
                settings.charge_paid_message_stars.unwrap_or(0),
            ),
        }
    }
}
