//! The contact list and presence: `get_contact_list`, `add_contact`,
//! `rename_contact`, `del_contact`, `status_online` and `status_offline`
//! from tg-cli's Python bindings (`shared/spec/tg-cli-python-bindings.txt`),
//! each a command whose JSON action is the tg-cli name.
//!
//! The client keeps the last contact list Telegram sent and its hash
//! (Telegram's documented one: the usual hash over `saved_count`, then the
//! contacts' user ids in ascending order). `get_contact_list` sends the
//! hash, so an unchanged list is answered `contacts.contactsNotModified`
//! and the kept list is returned; only the statuses, which the hash does
//! not cover, are refreshed (`contacts.getStatuses`). `add_contact`,
//! `rename_contact` and `del_contact` drop the kept list, since a rename
//! does not change the hash.
//!
//! Contacts are [`Peer`]s with `phone` (digits, as Telegram sends them),
//! `user_status`, `username` and the names the account saved them under.
//!
//! # Errors invented here
//!
//! Besides `<field> is required`, refused before anything is sent:
//!
//! | Command | Message | When |
//! |---|---|---|
//! | `add_contact`, `rename_contact` | `phone must not be empty` | blank |
//! | `add_contact`, `rename_contact` | `phone must be digits, with an optional leading +, spaces and dashes` | any other character, or a `+` not at the start |
//! | `add_contact`, `rename_contact` | `phone must be at most 32 characters`, `phone must have at most 15 digits` | longer (E.164 has at most 15 digits) |
//! | `add_contact`, `rename_contact` | `first_name must not be empty` | blank once cleaned as TDLib cleans names (names are cut to 64 characters, as TDLib does) |
//! | `del_contact` | `chat_id is invalid` | 0, or outside TDLib's id ranges |
//! | `del_contact` | `chat_id is a basic group, not a user: only users can be contacts`, `chat_id is a channel, not a user: only users can be contacts` | a group or channel id |
//!
//! After sending:
//!
//! | Command | Message | When |
//! |---|---|---|
//! | `add_contact`, `rename_contact` | `phone number is not on Telegram: +<digits>` | Telegram imported nothing for it (no account has that number, or it hides it) |
//! | `add_contact`, `rename_contact` | `phone number cannot be imported now, try later: +<digits>` | Telegram put it in `retry_contacts` (too many unknown numbers imported) |
//! | `rename_contact` | `phone number is not in the contact list: +<digits>` | no contact has that phone; nothing is imported |
//! | `del_contact` | `User not found` (TDLib's) | a user the session never met |
//!
//! Telegram's errors come through by name: `FLOOD_WAIT_X`,
//! `CONTACT_ID_INVALID`, `FIRSTNAME_INVALID`, …

use grammers_tl_types as tl;
use serde::Deserialize;
use serde_json::{Value, json};

use super::chat_access::{directory, protocol};
use super::ids::{self, ChatRef};
use super::limits;
use super::{Command, CommandError, CommandInfo, Method, SpecRef};
use crate::client::{Client, ContactListCache};
use crate::td::Done;
use crate::tgl::Peer;

/// The most digits a phone number has (E.164).
pub const PHONE_DIGITS_MAX: usize = 15;

/// The error for a phone no Telegram account has (`+<digits>` follows).
pub const NOT_ON_TELEGRAM: &str = "phone number is not on Telegram";
/// The error for a phone Telegram asked to import later.
pub const RETRY_LATER: &str = "phone number cannot be imported now, try later";
/// `rename_contact` of a phone no contact has.
pub const NOT_A_CONTACT: &str = "phone number is not in the contact list";

/// A phone number as typed: digits with an optional leading `+`, spaces
/// and dashes. Returns the digits only, as Telegram stores numbers.
pub fn contact_phone(phone: &str) -> Result<String, CommandError> {
    let phone = phone.trim();
    if phone.is_empty() {
        return Err(CommandError::invalid("phone must not be empty"));
    }
    limits::check_max("phone", phone, limits::PHONE_MAX)?;
    let body = phone.strip_prefix('+').unwrap_or(phone);
    let well_formed = body
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
    let digits: String = body.chars().filter(char::is_ascii_digit).collect();
    if !well_formed || digits.is_empty() {
        return Err(CommandError::invalid(
            "phone must be digits, with an optional leading +, spaces and dashes",
        ));
    }
    if digits.len() > PHONE_DIGITS_MAX {
        return Err(CommandError::invalid(format!(
            "phone must have at most {PHONE_DIGITS_MAX} digits"
        )));
    }
    Ok(digits)
}

/// A contact's first name (required) and last name, cleaned as TDLib
/// cleans names.
fn contact_names(first: &str, last: &str) -> Result<(String, String), CommandError> {
    let first = limits::clean_name(first, limits::CONTACT_NAME_MAX);
    if first.is_empty() {
        return Err(CommandError::invalid("first_name must not be empty"));
    }
    Ok((first, limits::clean_name(last, limits::CONTACT_NAME_MAX)))
}

/// The `contacts.getContacts` hash of a list, as Telegram documents it:
/// the usual hash over `saved_count`, then the user ids in ascending order.
fn contacts_hash(saved_count: i32, contacts: &[tl::enums::Contact]) -> i64 {
    let mut ids: Vec<i64> = contacts
        .iter()
        .map(|tl::enums::Contact::Contact(c)| c.user_id)
        .collect();
    ids.sort_unstable();
    let mut hash: u64 = 0;
    for id in std::iter::once(i64::from(saved_count)).chain(ids) {
        hash ^= hash >> 21;
        hash ^= hash << 35;
        hash ^= hash >> 4;
        hash = hash.wrapping_add(id as u64);
    }
    hash as i64
}

/// Drops the kept contact list (its names or members are about to change).
pub(super) fn forget_contact_list(client: &Client) {
    *client
        .inner
        .contact_list
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = None;
}

fn kept_contact_list(client: &Client) -> Option<ContactListCache> {
    client
        .inner
        .contact_list
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// The contact list: from Telegram, or the kept one when Telegram says it
/// is unchanged (with fresh statuses).
async fn contact_list(client: &Client) -> Result<ContactListCache, CommandError> {
    let kept = kept_contact_list(client);
    let answer = client
        .invoke(&tl::functions::contacts::GetContacts {
            hash: kept.as_ref().map_or(0, |k| k.hash),
        })
        .await?;
    let list = match answer {
        tl::enums::contacts::Contacts::Contacts(c) => ContactListCache {
            hash: contacts_hash(c.saved_count, &c.contacts),
            contacts: c.contacts,
            users: c.users,
        },
        tl::enums::contacts::Contacts::NotModified => {
            let mut list = kept
                .ok_or_else(|| protocol("contactsNotModified answered a request without a hash"))?;
            let statuses = client
                .invoke(&tl::functions::contacts::GetStatuses {})
                .await?;
            let mut statuses: std::collections::HashMap<i64, tl::enums::UserStatus> = statuses
                .into_iter()
                .map(|tl::enums::ContactStatus::Status(s)| (s.user_id, s.status))
                .collect();
            for user in &mut list.users {
                if let tl::enums::User::User(u) = user
                    && let Some(status) = statuses.remove(&u.id)
                {
                    u.status = Some(status);
                }
            }
            list
        }
    };
    *client
        .inner
        .contact_list
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(list.clone());
    Ok(list)
}

/// The peers of a contact list, in its order.
async fn contact_peers(
    client: &Client,
    list: &ContactListCache,
) -> Result<Vec<Peer>, CommandError> {
    let named = list
        .contacts
        .iter()
        .map(|tl::enums::Contact::Contact(c)| c.user_id);
    let directory = directory(client, &list.users, &[], named).await?;
    Ok(list
        .contacts
        .iter()
        .map(|tl::enums::Contact::Contact(c)| directory.peer(ChatRef::User(c.user_id)))
        .collect())
}

/// The JSON form of commands without fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NoFieldsJson {}

// ---------------------------------------------------------------------------
// get_contact_list

/// `get_contact_list`: the account's contacts (`contacts.getContacts` with
/// the kept list's hash; see the [module docs](self)).
///
/// ```json
/// {"action": "get_contact_list", "userbot_id": 1}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetContactList;

impl Command for GetContactList {
    const ACTION: &'static str = "get_contact_list";
    const SPEC: SpecRef = SpecRef::tg_cli("tgl.get_contact_list");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::contacts::GetContacts>("contacts.getContacts");
    type Json = NoFieldsJson;
    type Response = Vec<Peer>;

    fn validate(_json: NoFieldsJson) -> Result<Self, CommandError> {
        Ok(Self)
    }

    fn sample() -> Value {
        json!({})
    }

    async fn run(self, client: &Client) -> Result<Vec<Peer>, CommandError> {
        let list = contact_list(client).await?;
        contact_peers(client, &list).await
    }
}

// ---------------------------------------------------------------------------
// add_contact, rename_contact

/// `add_contact`: saves the phone number as a contact under the names
/// (`contacts.importContacts`). Answers with the contact's entry, as
/// Telegram now shows it to the account.
///
/// ```json
/// {"action": "add_contact", "userbot_id": 1, "phone": "+1 555 123-4567", "first_name": "Ada", "last_name": "Lovelace"}
/// ```
///
/// `last_name` is optional. A number no account has is
/// `phone number is not on Telegram: +<digits>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddContact {
    phone: String,
    first_name: String,
    last_name: String,
}

/// The JSON form of [`AddContact`] and [`RenameContact`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ContactJson {
    /// The phone number: digits, an optional leading `+`, spaces, dashes.
    pub phone: Option<String>,
    /// The first name (required).
    pub first_name: Option<String>,
    /// The last name (optional).
    pub last_name: Option<String>,
}

impl ContactJson {
    fn request(self) -> Result<AddContact, CommandError> {
        let phone = self
            .phone
            .ok_or_else(|| CommandError::invalid("phone is required"))?;
        let first = self
            .first_name
            .ok_or_else(|| CommandError::invalid("first_name is required"))?;
        AddContact::new(&phone, &first, self.last_name.as_deref().unwrap_or(""))
    }
}

impl AddContact {
    /// Saves `phone` as `first_name last_name`.
    pub fn new(phone: &str, first_name: &str, last_name: &str) -> Result<Self, CommandError> {
        let phone = contact_phone(phone)?;
        let (first_name, last_name) = contact_names(first_name, last_name)?;
        Ok(Self {
            phone,
            first_name,
            last_name,
        })
    }

    /// `+<digits>`, as the errors name the number.
    fn shown_phone(&self) -> String {
        format!("+{}", self.phone)
    }

    async fn import(&self, client: &Client) -> Result<Peer, CommandError> {
        // The list changes (or its names do, which its hash does not show).
        forget_contact_list(client);
        let client_id = super::chat_access::random_id()?;
        let tl::enums::contacts::ImportedContacts::Contacts(answer) = client
            .invoke(&tl::functions::contacts::ImportContacts {
                contacts: vec![
                    tl::types::InputPhoneContact {
                        client_id,
                        phone: self.phone.clone(),
                        first_name: self.first_name.clone(),
                        last_name: self.last_name.clone(),
                        note: None,
                    }
                    .into(),
                ],
            })
            .await?;
        if answer.retry_contacts.contains(&client_id) {
            return Err(CommandError::failed_after_send(format!(
                "{RETRY_LATER}: {}",
                self.shown_phone()
            )));
        }
        let user_id = answer.imported.iter().find_map(|imported| {
            let tl::enums::ImportedContact::Contact(imported) = imported;
            (imported.client_id == client_id).then_some(imported.user_id)
        });
        let Some(user_id) = user_id else {
            return Err(CommandError::failed_after_send(format!(
                "{NOT_ON_TELEGRAM}: {}",
                self.shown_phone()
            )));
        };
        let directory = directory(client, &answer.users, &[], [user_id]).await?;
        if directory.user(user_id).is_none() {
            return Err(protocol(
                "the imported contact's user was not in the answer",
            ));
        }
        Ok(directory.peer(ChatRef::User(user_id)))
    }
}

impl Command for AddContact {
    const ACTION: &'static str = "add_contact";
    const SPEC: SpecRef = SpecRef::tg_cli("tgl.add_contact");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::contacts::ImportContacts>("contacts.importContacts");
    type Json = ContactJson;
    type Response = Peer;

    fn validate(json: ContactJson) -> Result<Self, CommandError> {
        json.request()
    }

    fn sample() -> Value {
        json!({"phone": "+1 555 765-4321", "first_name": "Friend", "last_name": "Contact"})
    }

    async fn run(self, client: &Client) -> Result<Peer, CommandError> {
        self.import(client).await
    }
}

/// `rename_contact`: saves new names for an existing contact, by its phone
/// number (`contacts.importContacts` with the known phone). Answers with
/// the renamed entry.
///
/// ```json
/// {"action": "rename_contact", "userbot_id": 1, "phone": "15551234567", "first_name": "Ada", "last_name": "King"}
/// ```
///
/// The contact list is read first (`contacts.getContacts`, with its hash);
/// a phone no contact has is `phone number is not in the contact list:
/// +<digits>` and nothing is imported, so a rename never adds a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameContact(AddContact);

impl RenameContact {
    /// Renames the contact with `phone` to `first_name last_name`.
    pub fn new(phone: &str, first_name: &str, last_name: &str) -> Result<Self, CommandError> {
        AddContact::new(phone, first_name, last_name).map(Self)
    }
}

impl Command for RenameContact {
    const ACTION: &'static str = "rename_contact";
    const SPEC: SpecRef = SpecRef::tg_cli("tgl.rename_contact");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::contacts::GetContacts>("contacts.getContacts");
    type Json = ContactJson;
    type Response = Peer;

    fn validate(json: ContactJson) -> Result<Self, CommandError> {
        json.request().map(Self)
    }

    fn sample() -> Value {
        json!({"phone": "+1 555 765-4321", "first_name": "Renamed"})
    }

    async fn run(self, client: &Client) -> Result<Peer, CommandError> {
        let list = contact_list(client).await?;
        let known = list.users.iter().any(|user| match user {
            tl::enums::User::User(u) => u.phone.as_deref() == Some(self.0.phone.as_str()),
            tl::enums::User::Empty(_) => false,
        });
        if !known {
            return Err(CommandError::failed_after_send(format!(
                "{NOT_A_CONTACT}: {}",
                self.0.shown_phone()
            )));
        }
        self.0.import(client).await
    }
}

// ---------------------------------------------------------------------------
// del_contact

/// `del_contact`: removes a user from the contact list
/// (`contacts.deleteContacts`).
///
/// ```json
/// {"action": "del_contact", "userbot_id": 1, "chat_id": 123456789}
/// ```
///
/// Only users can be contacts: a group or channel id is refused with the
/// reason, with nothing sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelContact {
    user_id: i64,
}

/// The JSON form of [`DelContact`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelContactJson {
    /// The user's TDLib chat id (a user's id).
    pub chat_id: Option<Value>,
}

impl DelContact {
    /// Removes the user `chat_id` from the contacts.
    pub fn new(chat_id: i64) -> Result<Self, CommandError> {
        let kind = match super::chat_access::chat_ref(chat_id)? {
            ChatRef::User(user_id) => return Ok(Self { user_id }),
            ChatRef::BasicGroup(_) => "a basic group",
            ChatRef::Channel(_) => "a channel",
        };
        Err(CommandError::invalid(format!(
            "chat_id is {kind}, not a user: only users can be contacts"
        )))
    }
}

impl Command for DelContact {
    const ACTION: &'static str = "del_contact";
    const SPEC: SpecRef = SpecRef::tg_cli("tgl.del_contact");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::contacts::DeleteContacts>("contacts.deleteContacts");
    type Json = DelContactJson;
    type Response = Done;

    fn validate(json: DelContactJson) -> Result<Self, CommandError> {
        DelContact::new(ids::required_id(json.chat_id.as_ref(), "chat_id")?)
    }

    fn sample() -> Value {
        json!({"chat_id": "$FRIEND"})
    }

    async fn run(self, client: &Client) -> Result<Done, CommandError> {
        let user = client.input_user(self.user_id).await?;
        forget_contact_list(client);
        let updates = client
            .invoke(&tl::functions::contacts::DeleteContacts { id: vec![user] })
            .await?;
        // The users as they now look (profile names, no phone).
        let (_, users, chats) = super::chat_access::updates_parts(&updates);
        client.remember_users(users).await?;
        client.remember_chats(chats).await?;
        Ok(Done::default())
    }
}

// ---------------------------------------------------------------------------
// status_online, status_offline

/// `status_online`: shows the account as online (`account.updateStatus`
/// with `offline: false`). Telegram keeps it online for a few minutes
/// unless it is renewed.
///
/// ```json
/// {"action": "status_online", "userbot_id": 1}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusOnline;

/// `status_offline`: shows the account as offline, last seen now
/// (`account.updateStatus` with `offline: true`).
///
/// ```json
/// {"action": "status_offline", "userbot_id": 1}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusOffline;

async fn update_status(client: &Client, offline: bool) -> Result<Done, CommandError> {
    client
        .invoke(&tl::functions::account::UpdateStatus { offline })
        .await?;
    Ok(Done::default())
}

/// The `Command` of a status command: `account.updateStatus` with
/// `offline`.
macro_rules! status_command {
    ($name:ident, $action:literal, $spec:literal, $offline:literal) => {
        impl Command for $name {
            const ACTION: &'static str = $action;
            const SPEC: SpecRef = SpecRef::tg_cli($spec);
            const FIRST_METHOD: Method =
                Method::of::<tl::functions::account::UpdateStatus>("account.updateStatus");
            type Json = NoFieldsJson;
            type Response = Done;

            fn validate(_json: NoFieldsJson) -> Result<Self, CommandError> {
                Ok(Self)
            }

            fn sample() -> Value {
                json!({})
            }

            async fn run(self, client: &Client) -> Result<Done, CommandError> {
                update_status(client, $offline).await
            }
        }
    };
}

status_command!(StatusOnline, "status_online", "tgl.status_online", false);
status_command!(StatusOffline, "status_offline", "tgl.status_offline", true);

pub(super) fn commands() -> Vec<CommandInfo> {
    vec![
        CommandInfo::of::<GetContactList>(),
        CommandInfo::of::<AddContact>(),
        CommandInfo::of::<RenameContact>(),
        CommandInfo::of::<DelContact>(),
        CommandInfo::of::<StatusOnline>(),
        CommandInfo::of::<StatusOffline>(),
    ]
}

// ---------------------------------------------------------------------------
// Typed methods

impl Client {
    /// The account's contacts (see [`GetContactList`]).
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// for contact in client.get_contact_list().await? {
    ///     println!("{} {:?}", contact.name, contact.phone);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_contact_list(&self) -> Result<Vec<Peer>, CommandError> {
        self.run(GetContactList).await
    }

    /// Saves `phone` as a contact (see [`AddContact`]).
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// let ada = client.add_contact("+1 555 123-4567", "Ada", "Lovelace").await?;
    /// # Ok(()) }
    /// ```
    pub async fn add_contact(
        &self,
        phone: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<Peer, CommandError> {
        self.run(AddContact::new(phone, first_name, last_name)?)
            .await
    }

    /// Saves new names for the contact with `phone` (see [`RenameContact`]).
    pub async fn rename_contact(
        &self,
        phone: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<Peer, CommandError> {
        self.run(RenameContact::new(phone, first_name, last_name)?)
            .await
    }

    /// Removes the user `chat_id` from the contacts (see [`DelContact`]).
    pub async fn del_contact(&self, chat_id: i64) -> Result<Done, CommandError> {
        self.run(DelContact::new(chat_id)?).await
    }

    /// Shows the account as online (see [`StatusOnline`]).
    pub async fn status_online(&self) -> Result<Done, CommandError> {
        self.run(StatusOnline).await
    }

    /// Shows the account as offline (see [`StatusOffline`]).
    pub async fn status_offline(&self) -> Result<Done, CommandError> {
        self.run(StatusOffline).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_digits_with_a_leading_plus_spaces_and_dashes() {
        assert_eq!(
            contact_phone("+1 555 123-4567").ok().as_deref(),
            Some("15551234567")
        );
        assert_eq!(
            contact_phone(" 15551234567 ").ok().as_deref(),
            Some("15551234567")
        );
        let shape = "phone must be digits, with an optional leading +, spaces and dashes";
        for bad in [
            "1-555+1234",
            "(555) 1234",
            "++1555",
            "abc",
            "+",
            "- -",
            "1555\u{0663}",
        ] {
            assert_eq!(contact_phone(bad).unwrap_err().message(), shape, "{bad}");
        }
        assert_eq!(
            contact_phone("  ").unwrap_err().message(),
            "phone must not be empty"
        );
        assert_eq!(
            contact_phone("1234567890123456").unwrap_err().message(),
            "phone must have at most 15 digits"
        );
        assert_eq!(
            contact_phone(&"1".repeat(33)).unwrap_err().message(),
            "phone must be at most 32 characters"
        );
    }

    #[test]
    fn names_are_cleaned_and_the_first_is_required() {
        let request = AddContact::new("1555", "  Ada \n ", &"x".repeat(70)).expect("valid");
        assert_eq!(request.first_name, "Ada");
        assert_eq!(request.last_name.chars().count(), limits::CONTACT_NAME_MAX);
        assert_eq!(
            AddContact::new("1555", "\u{200B} ", "Lovelace")
                .unwrap_err()
                .message(),
            "first_name must not be empty"
        );
    }

    #[test]
    fn only_users_can_be_deleted_from_contacts() {
        assert!(DelContact::new(42).is_ok());
        assert_eq!(
            DelContact::new(-42).unwrap_err().message(),
            "chat_id is a basic group, not a user: only users can be contacts"
        );
        assert_eq!(
            DelContact::new(-1_000_000_000_042).unwrap_err().message(),
            "chat_id is a channel, not a user: only users can be contacts"
        );
        assert_eq!(
            DelContact::new(0).unwrap_err().message(),
            "chat_id is invalid"
        );
    }

    #[test]
    fn the_hash_is_telegrams_over_saved_count_and_sorted_ids() {
        let contact = |user_id| {
            tl::enums::Contact::Contact(tl::types::Contact {
                user_id,
                mutual: false,
            })
        };
        // Order does not matter: the ids are sorted first.
        assert_eq!(
            contacts_hash(0, &[contact(2), contact(1)]),
            contacts_hash(0, &[contact(1), contact(2)])
        );
        // 0, then 1: 0 + 1 = 1; then 1 → 2^35 + 2^31 + 1, + 2.
        assert_eq!(contacts_hash(0, &[contact(1), contact(2)]), {
            let h: i64 = 1;
            (h << 35) + (1 << 31) + 1 + 2
        });
        assert_ne!(contacts_hash(0, &[contact(1)]), contacts_hash(0, &[]));
    }
}
