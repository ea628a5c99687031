//! Users, and how each one looks to a given viewer on the wire.

use std::collections::{BTreeMap, BTreeSet};

use grammers_tl_types as tl;

use super::World;

/// The longest username Telegram accepts.
pub const MAX_USERNAME_LEN: usize = 32;
/// The shortest username an account may take (shorter ones are collectible).
pub const MIN_USERNAME_LEN: usize = 5;

/// Telegram's rules for a username an account or channel takes: 5–32
/// characters of `[A-Za-z0-9_]`, starting with a letter, not ending with
/// `_`, and no `__`. Several services check names, so the rule lives here.
pub fn is_valid_username(name: &str) -> bool {
    let bytes = name.as_bytes();
    (MIN_USERNAME_LEN..=MAX_USERNAME_LEN).contains(&bytes.len())
        && bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        && bytes.last() != Some(&b'_')
        && !name.contains("__")
}

/// A user of the fake world.
#[derive(Clone, Default)]
pub struct User {
    /// The user id; 0 asks [`Users::insert`] to assign one.
    pub id: i64,
    /// The first name.
    pub first_name: String,
    /// The last name (may be empty).
    pub last_name: String,
    /// The public username, without the `@`.
    pub username: Option<String>,
    /// Digits only, as Telegram stores it.
    pub phone: Option<String>,
    /// Whether this is a bot account.
    pub bot: bool,
    /// The token `auth.importBotAuthorization` accepts (bots only).
    pub bot_token: Option<String>,
    /// Whether the user has Telegram Premium (raises its upload part limit).
    pub premium: bool,
    /// The profile bio (`about`), if set.
    pub about: Option<String>,
    /// The DC the account lives on; sign-in elsewhere is told to migrate.
    pub home_dc: i32,
    /// The 2FA password, if one is set.
    pub password: Option<std::sync::Arc<crate::srp::SrpPassword>>,
    /// The id of the current profile photo (a stored file of kind photo).
    pub photo_id: Option<i64>,
    /// The birthday shown in the full profile (`account.updateBirthday`).
    pub birthday: Option<Birthday>,
    /// The users this one has in its contact list.
    pub contacts: BTreeSet<i64>,
    /// The users that have this one in their contact list.
    pub contact_of: BTreeSet<i64>,
    /// The name each user in [`User::contact_of`] saved this one under
    /// (`contacts.importContacts`), by that user: what they see instead of
    /// the profile name, as on Telegram. Absent: the profile name.
    pub named_by: BTreeMap<i64, ContactName>,
    /// Whether the user is online (`account.updateStatus`).
    pub presence: Presence,
}

/// The name an account gave one of its contacts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactName {
    /// The first name.
    pub first_name: String,
    /// The last name (may be empty).
    pub last_name: String,
}

/// A user's presence, as `account.updateStatus` sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Presence {
    /// Never set: no `status` on the wire.
    #[default]
    Unknown,
    /// Online until this Unix time.
    Online {
        /// When the online status lapses.
        expires: i32,
    },
    /// Offline, last seen at this Unix time.
    Offline {
        /// When the user was last online.
        was_online: i32,
    },
}

/// How long `account.updateStatus(offline=false)` keeps a user online
/// (Telegram's clients renew it about every minute; the server lets it
/// lapse after five).
pub const ONLINE_FOR_SECONDS: i32 = 300;

impl Presence {
    /// The `UserStatus` constructor, or `None` when never set.
    pub fn to_tl(self) -> Option<tl::enums::UserStatus> {
        match self {
            Presence::Unknown => None,
            Presence::Online { expires } => Some(tl::types::UserStatusOnline { expires }.into()),
            Presence::Offline { was_online } => {
                Some(tl::types::UserStatusOffline { was_online }.into())
            }
        }
    }
}

/// A birthday as `account.updateBirthday` stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Birthday {
    /// Day of the month.
    pub day: i32,
    /// Month, 1–12.
    pub month: i32,
    /// Year, when given.
    pub year: Option<i32>,
}

impl Birthday {
    /// The `birthday` constructor.
    pub fn to_tl(self) -> tl::enums::Birthday {
        tl::types::Birthday {
            day: self.day,
            month: self.month,
            year: self.year,
        }
        .into()
    }
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password settings are secret; say only whether there is one.
        f.debug_struct("User")
            .field("id", &self.id)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .field("username", &self.username)
            .field("phone", &self.phone)
            .field("bot", &self.bot)
            .field("premium", &self.premium)
            .field("home_dc", &self.home_dc)
            .field("has_password", &self.password.is_some())
            .finish_non_exhaustive()
    }
}

/// All users, by id.
#[derive(Debug, Default)]
pub struct Users {
    by_id: BTreeMap<i64, User>,
    next_id: i64,
}

impl Users {
    /// Adds `user`, giving it the next free id if its id is 0. Returns the id.
    pub fn insert(&mut self, mut user: User) -> i64 {
        if user.id == 0 {
            self.next_id = self.next_id.max(1_000_000_000) + 1;
            user.id = self.next_id;
        }
        self.next_id = self.next_id.max(user.id);
        let id = user.id;
        self.by_id.insert(id, user);
        id
    }

    /// The user with this id.
    pub fn get(&self, id: i64) -> Option<&User> {
        self.by_id.get(&id)
    }

    /// The user with this id, mutably.
    pub fn get_mut(&mut self, id: i64) -> Option<&mut User> {
        self.by_id.get_mut(&id)
    }

    /// The user with this phone number (digits only).
    pub fn by_phone(&self, phone: &str) -> Option<&User> {
        self.by_id
            .values()
            .find(|u| u.phone.as_deref() == Some(phone))
    }

    /// The user with this username, compared case-insensitively as Telegram does.
    pub fn by_username(&self, username: &str) -> Option<&User> {
        self.by_id.values().find(|u| {
            u.username
                .as_deref()
                .is_some_and(|name| name.eq_ignore_ascii_case(username))
        })
    }

    /// Every user, by id.
    pub fn iter(&self) -> impl Iterator<Item = &User> {
        self.by_id.values()
    }

    /// The `contacts.getContacts` hash of `owner`'s list, as Telegram
    /// documents it: the usual [`combine_hash`](super::dialogs::combine_hash)
    /// over `saved_count` (always 0 here) and then the contacts' user ids in
    /// ascending order. Names and statuses do not enter it.
    pub fn contacts_hash(&self, owner: i64) -> i64 {
        let ids = self.get(owner).map(|u| u.contacts.iter().copied());
        super::dialogs::combine_hash(std::iter::once(0).chain(ids.into_iter().flatten()))
    }

    /// Sets `user_id`'s presence; the users who should hear of it (those
    /// with `user_id` in their contact list), or none if the user is unknown.
    pub fn set_presence(&mut self, user_id: i64, presence: Presence) -> Vec<i64> {
        match self.get_mut(user_id) {
            Some(user) => {
                user.presence = presence;
                user.contact_of.iter().copied().collect()
            }
            None => Vec::new(),
        }
    }

    /// The bot with this token.
    pub fn by_bot_token(&self, token: &str) -> Option<&User> {
        self.by_id
            .values()
            .find(|u| u.bot && u.bot_token.as_deref() == Some(token))
    }
}

impl User {
    /// The `user` constructor as `viewer` sees this user.
    pub fn to_tl(&self, world: &World, viewer: i64) -> tl::enums::User {
        let is_self = viewer == self.id;
        // `viewer` has this user as a contact; mutual when this user has
        // `viewer` too.
        let contact = !is_self && self.contact_of.contains(&viewer);
        let saved_name = contact.then(|| self.named_by.get(&viewer)).flatten();
        let (first_name, last_name) = match saved_name {
            Some(name) => (&name.first_name, &name.last_name),
            None => (&self.first_name, &self.last_name),
        };
        tl::types::User {
            is_self,
            contact,
            mutual_contact: contact && self.contacts.contains(&viewer),
            deleted: false,
            bot: self.bot,
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
            premium: self.premium,
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
            id: self.id,
            access_hash: Some(world.access_hash(viewer, self.id)),
            first_name: Some(first_name.clone()),
            last_name: (!last_name.is_empty()).then(|| last_name.clone()),
            username: self.username.clone(),
            // Telegram shows the phone to the account itself and to those
            // who added it by that number.
            phone: if is_self || contact {
                self.phone.clone()
            } else {
                None
            },
            photo: self.photo_id.map(|photo_id| {
                tl::types::UserProfilePhoto {
                    has_video: false,
                    personal: false,
                    photo_id,
                    stripped_thumb: None,
                    dc_id: self.home_dc,
                }
                .into()
            }),
            status: self.presence.to_tl(),
            bot_info_version: self.bot.then_some(1),
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
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid_username;

    #[test]
    fn username_rules() {
        for good in ["abcde", "Ihor_P", "a2345", &"a".repeat(32)] {
            assert!(is_valid_username(good), "{good}");
        }
        for bad in [
            "abcd",
            "1abcde",
            "_abcde",
            "abcde_",
            "ab__cde",
            "ab-cde",
            "abcdé",
            &"a".repeat(33),
        ] {
            assert!(!is_valid_username(bad), "{bad}");
        }
    }
}
