//! Result objects shaped like TDLib's td_api JSON (same field names, with
//! `"@type"`), built from MTProto constructors.

use grammers_tl_types as tl;
use serde::Serialize;

use super::ids;

/// `usernames`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Usernames {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// Active usernames; the first one is shown as the primary username.
    pub active_usernames: Vec<String>,
    /// Usernames the owner has disabled (they can be activated again).
    pub disabled_usernames: Vec<String>,
    /// The username that can be changed (`setUsername` / `setSupergroupUsername`); empty if none.
    pub editable_username: String,
}

/// `profilePhoto` (without the file objects: see `id` and the DC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfilePhoto {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// int64, written as a string like TDLib does.
    #[serde(serialize_with = "ids::as_string")]
    pub id: i64,
    /// True, if the photo has an animated variant.
    pub has_animation: bool,
    /// True, if the photo is visible only to the current user (a personal photo).
    pub is_personal: bool,
}

/// `userType*`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserType {
    /// The td_api type name: `userTypeRegular`, `userTypeBot` or `userTypeDeleted`.
    #[serde(rename = "@type")]
    pub kind: &'static str,
}

/// `user`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
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
        let mut active: Vec<String> = u.username.iter().cloned().collect();
        let mut disabled = Vec::new();
        for tl::enums::Username::Username(name) in u.usernames.iter().flatten() {
            if name.active {
                if !active.contains(&name.username) {
                    active.push(name.username.clone());
                }
            } else {
                disabled.push(name.username.clone());
            }
        }
        let usernames = (!active.is_empty() || !disabled.is_empty()).then(|| Usernames {
            kind: "usernames",
            editable_username: u.username.clone().unwrap_or_default(),
            active_usernames: active,
            disabled_usernames: disabled,
        });
        let profile_photo = match &u.photo {
            Some(tl::enums::UserProfilePhoto::Photo(p)) => Some(ProfilePhoto {
                kind: "profilePhoto",
                id: p.photo_id,
                has_animation: p.has_video,
                is_personal: p.personal,
            }),
            _ => None,
        };
        Some(Self {
            kind: "user",
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
            user_type: UserType {
                kind: if u.bot {
                    "userTypeBot"
                } else if u.deleted {
                    "userTypeDeleted"
                } else {
                    "userTypeRegular"
                },
            },
            language_code: u.lang_code.clone().unwrap_or_default(),
        })
    }
}

/// `ok`: the request succeeded and has nothing else to return. (Named
/// `Done` so that it never shadows the prelude's `Ok`.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Done {
    /// The td_api type name, always `"ok"`.
    #[serde(rename = "@type")]
    pub kind: &'static str,
}

impl Done {
    /// The `ok` object.
    pub const fn new() -> Self {
        Self { kind: "ok" }
    }
}

impl Default for Done {
    fn default() -> Self {
        Self::new()
    }
}

/// `sessionType*`, guessed from the device and app like TDLib does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionType {
    /// The td_api type name, e.g. `sessionTypeAndroid`, or `sessionTypeUnknown`.
    #[serde(rename = "@type")]
    pub kind: &'static str,
}

/// `session`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// The authorization hash (0 for the current session), int64 as a string.
    #[serde(serialize_with = "ids::as_string")]
    pub id: i64,
    /// True, if this session is the current session.
    pub is_current: bool,
    /// True, if a 2-step verification password is needed to complete authorization of the session.
    pub is_password_pending: bool,
    /// True, if the session wasn't confirmed from another session yet.
    pub is_unconfirmed: bool,
    /// True, if incoming secret chats can be accepted by the session.
    pub can_accept_secret_chats: bool,
    /// True, if incoming calls can be accepted by the session.
    pub can_accept_calls: bool,
    /// Session type based on the system and application, for choosing an icon (`type` in JSON).
    #[serde(rename = "type")]
    pub session_type: SessionType,
    /// Telegram API identifier, as provided by the application.
    pub api_id: i32,
    /// Name of the application, as provided by the application.
    pub application_name: String,
    /// Version of the application, as provided by the application.
    pub application_version: String,
    /// True, if the application is an official one or uses the `api_id` of an official one.
    pub is_official_application: bool,
    /// Model of the device the application runs or ran on, as provided by the application.
    pub device_model: String,
    /// Operating system the application runs or ran on, as provided by the application.
    pub platform: String,
    /// Version of that operating system, as provided by the application.
    pub system_version: String,
    /// Point in time (Unix timestamp) when the user logged in.
    pub log_in_date: i32,
    /// Point in time (Unix timestamp) when the session was last used.
    pub last_active_date: i32,
    /// IP address from which the session was created, in human-readable form.
    pub ip_address: String,
    /// Human-readable location the session was created from (`"region, country"`), based on the IP address.
    pub location: String,
}

fn session_type(auth: &tl::types::Authorization) -> &'static str {
    let text = format!("{} {} {}", auth.app_name, auth.device_model, auth.platform).to_lowercase();
    let known = [
        ("android", "sessionTypeAndroid"),
        ("iphone", "sessionTypeIphone"),
        ("ipad", "sessionTypeIpad"),
        ("mac", "sessionTypeMac"),
        ("windows", "sessionTypeWindows"),
        ("linux", "sessionTypeLinux"),
        ("ubuntu", "sessionTypeUbuntu"),
        ("chrome", "sessionTypeChrome"),
        ("firefox", "sessionTypeFirefox"),
        ("safari", "sessionTypeSafari"),
        ("edge", "sessionTypeEdge"),
        ("opera", "sessionTypeOpera"),
        ("brave", "sessionTypeBrave"),
        ("vivaldi", "sessionTypeVivaldi"),
    ];
    known
        .iter()
        .find(|(needle, _)| text.contains(needle))
        .map_or("sessionTypeUnknown", |(_, kind)| kind)
}

impl Session {
    /// Converts an `authorization`, with the flags negated as TDLib does
    /// (`can_accept_calls = !call_requests_disabled`).
    pub fn from_tl(auth: &tl::enums::Authorization) -> Self {
        let tl::enums::Authorization::Authorization(a) = auth;
        Self {
            kind: "session",
            id: a.hash,
            is_current: a.current,
            is_password_pending: a.password_pending,
            is_unconfirmed: a.unconfirmed,
            can_accept_secret_chats: !a.encrypted_requests_disabled,
            can_accept_calls: !a.call_requests_disabled,
            session_type: SessionType {
                kind: session_type(a),
            },
            api_id: a.api_id,
            application_name: a.app_name.clone(),
            application_version: a.app_version.clone(),
            is_official_application: a.official_app,
            device_model: a.device_model.clone(),
            platform: a.platform.clone(),
            system_version: a.system_version.clone(),
            log_in_date: a.date_created,
            last_active_date: a.date_active,
            ip_address: a.ip.clone(),
            location: [a.region.as_str(), a.country.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// `sessions`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sessions {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// List of sessions.
    pub sessions: Vec<Session>,
    /// Days of inactivity after which sessions are terminated automatically.
    pub inactive_session_ttl_days: i32,
}

/// `messageSender*` (only users can be blocked from here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageSender {
    /// The td_api type name: `messageSenderUser` or `messageSenderChat`.
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// Identifier of the user, for `messageSenderUser`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// Identifier of the chat (TDLib chat id), for `messageSenderChat`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<i64>,
}

/// `messageSenders`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageSenders {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// Approximate total number of message senders found.
    pub total_count: i32,
    /// List of message senders.
    pub senders: Vec<MessageSender>,
}

// ---------------------------------------------------------------------------
// Profiles, chats and full info (the profile & bootstrap group)

/// `birthdate`: `year` is 0 when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Birthdate {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
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
        Self {
            kind: "birthdate",
            day,
            month,
            year,
        }
    }

    /// Converts a `birthday`.
    pub fn from_tl(birthday: &tl::enums::Birthday) -> Self {
        let tl::enums::Birthday::Birthday(b) = birthday;
        Self::new(b.day, b.month, b.year.unwrap_or(0))
    }
}

/// `formattedText` (plain text: entities are not converted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormattedText {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// The text.
    pub text: String,
    /// Text entities; always empty here.
    pub entities: Vec<serde_json::Value>,
}

impl FormattedText {
    /// Plain text.
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            kind: "formattedText",
            text: text.into(),
            entities: Vec::new(),
        }
    }
}

/// `photoSize` (without the `photo` file object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhotoSize {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// The size's letter (`type` in JSON).
    #[serde(rename = "type")]
    pub size_type: String,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
}

/// `chatPhoto`: a full profile or chat photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatPhoto {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// int64, written as a string.
    #[serde(serialize_with = "ids::as_string")]
    pub id: i64,
    /// Unix time the photo was set.
    pub added_date: i32,
    /// The available sizes.
    pub sizes: Vec<PhotoSize>,
}

impl ChatPhoto {
    /// Converts a `photo`; `None` for `photoEmpty`.
    pub fn from_tl(photo: &tl::enums::Photo) -> Option<Self> {
        let tl::enums::Photo::Photo(p) = photo else {
            return None;
        };
        let sizes = p
            .sizes
            .iter()
            .filter_map(|size| match size {
                tl::enums::PhotoSize::Size(s) => Some(PhotoSize {
                    kind: "photoSize",
                    size_type: s.r#type.clone(),
                    width: s.w,
                    height: s.h,
                }),
                tl::enums::PhotoSize::Progressive(s) => Some(PhotoSize {
                    kind: "photoSize",
                    size_type: s.r#type.clone(),
                    width: s.w,
                    height: s.h,
                }),
                _ => None,
            })
            .collect();
        Some(Self {
            kind: "chatPhoto",
            id: p.id,
            added_date: p.date,
            sizes,
        })
    }
}

/// `chatPhotoInfo` (without the file objects: `id` names the photo instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatPhotoInfo {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// int64, written as a string.
    #[serde(serialize_with = "ids::as_string")]
    pub id: i64,
    /// The DC the photo lives on.
    pub dc_id: i32,
    /// Whether the photo is animated.
    pub has_animation: bool,
    /// Whether the photo is one the account set for this user.
    pub is_personal: bool,
}

impl ChatPhotoInfo {
    fn from_user(photo: Option<&tl::enums::UserProfilePhoto>) -> Option<Self> {
        match photo {
            Some(tl::enums::UserProfilePhoto::Photo(p)) => Some(Self {
                kind: "chatPhotoInfo",
                id: p.photo_id,
                dc_id: p.dc_id,
                has_animation: p.has_video,
                is_personal: p.personal,
            }),
            _ => None,
        }
    }

    fn from_chat(photo: &tl::enums::ChatPhoto) -> Option<Self> {
        match photo {
            tl::enums::ChatPhoto::Photo(p) => Some(Self {
                kind: "chatPhotoInfo",
                id: p.photo_id,
                dc_id: p.dc_id,
                has_animation: p.has_video,
                is_personal: false,
            }),
            tl::enums::ChatPhoto::Empty => None,
        }
    }
}

/// `blockList*`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockListType {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
}

/// `userFullInfo` (bot and business details are not converted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserFullInfo {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// A photo the account set for this user.
    pub personal_photo: Option<ChatPhoto>,
    /// The photo, `null` when there is none.
    pub photo: Option<ChatPhoto>,
    /// The photo shown to those the main photo is hidden from.
    pub public_photo: Option<ChatPhoto>,
    /// The block list the user is in, `null` when not blocked.
    pub block_list: Option<BlockListType>,
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
            Some(BlockListType {
                kind: "blockListMain",
            })
        } else if f.blocked_my_stories_from {
            Some(BlockListType {
                kind: "blockListStories",
            })
        } else {
            None
        };
        let tl::enums::PeerSettings::Settings(settings) = &f.settings;
        Self {
            kind: "userFullInfo",
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
            gift_count: f.stargifts_count.unwrap_or(0),
            group_in_common_count: f.common_chats_count,
            incoming_paid_message_star_count: f.send_paid_messages_stars.unwrap_or(0),
            outgoing_paid_message_star_count: settings.charge_paid_message_stars.unwrap_or(0),
        }
    }
}

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
pub struct ChatPermissions {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
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
            kind: "chatPermissions",
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
            kind: "chatPermissions",
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
pub struct Chat {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
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
            kind: "chat",
            id: ids::ChatRef::User(user.id).chat_id(),
            chat_type: ChatType::Private { user_id: user.id },
            title: user_title(user),
            photo: ChatPhotoInfo::from_user(user.photo.as_ref()),
            permissions: ChatPermissions::all(),
            has_protected_content: false,
            message_auto_delete_time: 0,
        }
    }

    /// The private chat with a user known only by id (title empty).
    pub fn private_unknown(user_id: i64) -> Self {
        Self {
            kind: "chat",
            id: ids::ChatRef::User(user_id).chat_id(),
            chat_type: ChatType::Private { user_id },
            title: String::new(),
            photo: None,
            permissions: ChatPermissions::all(),
            has_protected_content: false,
            message_auto_delete_time: 0,
        }
    }

    /// The chat of a group or channel; `None` for `chatEmpty` and kinds TDLib
    /// does not show.
    pub fn from_tl(chat: &tl::enums::Chat) -> Option<Self> {
        let make = |chat_type, id, title: &str, photo, permissions, protected| Self {
            kind: "chat",
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
                ids::ChatRef::BasicGroup(c.id).chat_id(),
                &c.title,
                ChatPhotoInfo::from_chat(&c.photo),
                ChatPermissions::from_banned(c.default_banned_rights.as_ref()),
                c.noforwards,
            ),
            tl::enums::Chat::Forbidden(c) => make(
                ChatType::BasicGroup {
                    basic_group_id: c.id,
                },
                ids::ChatRef::BasicGroup(c.id).chat_id(),
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
                ids::ChatRef::Channel(c.id).chat_id(),
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
                ids::ChatRef::Channel(c.id).chat_id(),
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
pub struct Supergroup {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
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
        let mut active: Vec<String> = c.username.iter().cloned().collect();
        let mut disabled = Vec::new();
        for tl::enums::Username::Username(name) in c.usernames.iter().flatten() {
            if name.active {
                if !active.contains(&name.username) {
                    active.push(name.username.clone());
                }
            } else {
                disabled.push(name.username.clone());
            }
        }
        let usernames = (!active.is_empty() || !disabled.is_empty()).then(|| Usernames {
            kind: "usernames",
            editable_username: c.username.clone().unwrap_or_default(),
            active_usernames: active,
            disabled_usernames: disabled,
        });
        Self {
            kind: "supergroup",
            id: c.id,
            usernames,
            date: c.date,
            status: ChatMemberStatus::of(c.creator, c.admin_rights.is_some(), c.left),
            member_count: c.participants_count.unwrap_or(0),
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
pub struct BasicGroup {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
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
            kind: "basicGroup",
            id: c.id,
            member_count: c.participants_count,
            status: ChatMemberStatus::of(c.creator, c.admin_rights.is_some(), c.left),
            is_active: !c.deactivated && upgraded == 0,
            upgraded_to_supergroup_id: upgraded,
        }
    }
}

/// `supergroupFullInfo` (bot commands, invite links and sticker sets are not
/// converted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupergroupFullInfo {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
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
            kind: "supergroupFullInfo",
            photo: ChatPhoto::from_tl(&f.chat_photo),
            description: f.about.clone(),
            member_count: f.participants_count.unwrap_or(0),
            administrator_count: f.admins_count.unwrap_or(0),
            restricted_count: f.banned_count.unwrap_or(0),
            banned_count: f.kicked_count.unwrap_or(0),
            linked_chat_id: f
                .linked_chat_id
                .map_or(0, |id| ids::ChatRef::Channel(id).chat_id()),
            slow_mode_delay: f.slowmode_seconds.unwrap_or(0),
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
pub struct ChatMember {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
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
pub struct BasicGroupFullInfo {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
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
                        kind: "chatMember",
                        member_id: MessageSender {
                            kind: "messageSenderUser",
                            user_id: Some(user_id),
                            chat_id: None,
                        },
                        inviter_user_id: inviter,
                        joined_chat_date: date,
                        status,
                    }
                })
                .collect(),
            tl::enums::ChatParticipants::Forbidden(_) => Vec::new(),
        };
        Self {
            kind: "basicGroupFullInfo",
            photo: f.chat_photo.as_ref().and_then(ChatPhoto::from_tl),
            description: f.about.clone(),
            creator_user_id,
            members,
            can_hide_members: false,
            can_toggle_aggressive_anti_spam: false,
        }
    }
}

/// `importedContacts`: per contact, the user id (0 when the number has no
/// account) and how many people imported the number (0 for registered ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedContacts {
    /// The td_api type name (`"@type"`).
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// Per contact, the user found for the number (0 if none).
    pub user_ids: Vec<i64>,
    /// Per contact, how many people imported the number (0 for registered ones).
    pub importer_count: Vec<i32>,
}
