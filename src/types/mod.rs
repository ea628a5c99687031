//! Plain data types of the library's own API: what the client returns
//! ([`User`]) and what a caller keeps between calls ([`UploadHandle`]).
//!
//! This module sits at the bottom of the crate: it imports nothing else of
//! it, so [`crate::error`] can carry these types.

mod upload_handle;

pub use upload_handle::{ChangedPart, UploadHandle, part_fingerprint};

use grammers_tl_types as tl;
use serde::Serialize;

/// A Telegram user as tgcmd reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// The user id.
    pub id: i64,
    /// What other calls need to name this user; absent for "min" users.
    pub access_hash: Option<i64>,
    /// First name (empty for deleted accounts).
    pub first_name: String,
    /// Last name, possibly empty.
    pub last_name: String,
    /// The main username, without `@`.
    pub username: Option<String>,
    /// The phone number in international format without `+`, when visible.
    pub phone: Option<String>,
    /// Whether this is a bot.
    pub is_bot: bool,
    /// Whether the account has Telegram Premium.
    pub is_premium: bool,
    /// Whether this is the signed-in account itself.
    pub is_self: bool,
}

impl User {
    /// Converts a `user` constructor; `None` for `userEmpty`.
    pub fn from_tl(user: &tl::enums::User) -> Option<Self> {
        match user {
            tl::enums::User::Empty(_) => None,
            tl::enums::User::User(u) => Some(Self {
                id: u.id,
                access_hash: u.access_hash,
                first_name: u.first_name.clone().unwrap_or_default(),
                last_name: u.last_name.clone().unwrap_or_default(),
                username: u.username.clone(),
                phone: u.phone.clone(),
                is_bot: u.bot,
                is_premium: u.premium,
                is_self: u.is_self,
            }),
        }
    }
}
