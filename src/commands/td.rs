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
