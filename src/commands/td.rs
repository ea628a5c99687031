//! Result objects shaped like TDLib's td_api JSON (same field names, with
//! `"@type"`), built from MTProto constructors.

use grammers_tl_types as tl;
use serde::Serialize;

use super::ids;

/// `usernames`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Usernames {
    #[serde(rename = "@type")]
    pub kind: &'static str,
    pub active_usernames: Vec<String>,
    pub disabled_usernames: Vec<String>,
    pub editable_username: String,
}

/// `profilePhoto` (without the file objects: see `id` and the DC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfilePhoto {
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// int64, written as a string like TDLib does.
    #[serde(serialize_with = "ids::as_string")]
    pub id: i64,
    pub has_animation: bool,
    pub is_personal: bool,
}

/// `userType*`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserType {
    #[serde(rename = "@type")]
    pub kind: &'static str,
}

/// `user`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    #[serde(rename = "@type")]
    pub kind: &'static str,
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub usernames: Option<Usernames>,
    pub phone_number: String,
    pub profile_photo: Option<ProfilePhoto>,
    pub is_contact: bool,
    pub is_mutual_contact: bool,
    pub is_premium: bool,
    pub is_support: bool,
    pub is_scam: bool,
    pub is_fake: bool,
    pub have_access: bool,
    #[serde(rename = "type")]
    pub user_type: UserType,
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

/// `ok`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ok {
    #[serde(rename = "@type")]
    pub kind: &'static str,
}

impl Ok {
    /// The `ok` object.
    pub const fn new() -> Self {
        Self { kind: "ok" }
    }
}

impl Default for Ok {
    fn default() -> Self {
        Self::new()
    }
}

/// `sessionType*`, guessed from the device and app like TDLib does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionType {
    #[serde(rename = "@type")]
    pub kind: &'static str,
}

/// `session`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    #[serde(rename = "@type")]
    pub kind: &'static str,
    /// The authorization hash (0 for the current session), int64 as a string.
    #[serde(serialize_with = "ids::as_string")]
    pub id: i64,
    pub is_current: bool,
    pub is_password_pending: bool,
    pub is_unconfirmed: bool,
    pub can_accept_secret_chats: bool,
    pub can_accept_calls: bool,
    #[serde(rename = "type")]
    pub session_type: SessionType,
    pub api_id: i32,
    pub application_name: String,
    pub application_version: String,
    pub is_official_application: bool,
    pub device_model: String,
    pub platform: String,
    pub system_version: String,
    pub log_in_date: i32,
    pub last_active_date: i32,
    pub ip_address: String,
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
    #[serde(rename = "@type")]
    pub kind: &'static str,
    pub sessions: Vec<Session>,
    pub inactive_session_ttl_days: i32,
}

/// `messageSender*` (only users can be blocked from here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageSender {
    #[serde(rename = "@type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<i64>,
}

/// `messageSenders`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageSenders {
    #[serde(rename = "@type")]
    pub kind: &'static str,
    pub total_count: i32,
    pub senders: Vec<MessageSender>,
}
