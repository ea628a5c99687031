//! The bootstrap half of the profile & bootstrap group
//! (`shared/spec/commands-profile-bootstrap.txt`): finding a public chat,
//! opening a private chat, creating a supergroup or channel, and importing
//! contacts. The profile half is in [`super::profile`].
//!
//! # Errors invented here
//!
//! Besides the spec's "`<field>` is required" strings, these are refused
//! before anything is sent (TDLib's words where TDLib decides the same):
//!
//! | Command | Message | When |
//! |---|---|---|
//! | `search_user` | `query must be at most 4096 characters` | longer than any username could be |
//! | `create_private_chat` | `user_id must be an integer` | neither a number nor a string of digits |
//! | `create_private_chat` | `User not found` (TDLib's) | an id ≤ 0 |
//! | `create_private_chat` | `Chat info not found` (TDLib's) | `force: true` for a user the client never met |
//! | `create_supergroup_chat` | `description must be a string` | any other JSON type but `null` |
//! | `create_supergroup_chat` (strict) | `title must be at most 128 characters`, `description must be at most 255 characters` | see [`CreateSupergroupChat::strict`] |
//! | `import_contacts` | `contact_user_id must be an integer` | neither a number nor a string of digits |
//! | `import_contacts` | `phone must be at most 32 characters`, `first_name must be at most 64 characters`, `last_name must be at most 64 characters` | |
//!
//! `create_supergroup_chat` cleans the title as TDLib's `clean_name` does
//! and cuts it to 128 characters, and cuts the description to 255, as TDLib
//! does; `create_private_chat` without `force` answers `User not found`
//! after asking Telegram when Telegram does not know the user either.

use grammers_tl_types as tl;
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::warn;

use super::ids;
use super::limits::{self, TextPolicy};
use super::profile::USER_NOT_FOUND;
use super::td;
use super::{Command, CommandError, CommandInfo, Method, SpecRef};
use crate::client::Client;
use crate::error::Error;

/// Telegram's `chat_title_length_max`.
pub const MAX_TITLE_LEN: usize = limits::TITLE_MAX;
/// Telegram's `chat_about_length_max`.
pub const MAX_DESCRIPTION_LEN: usize = limits::DESCRIPTION_MAX;

fn protocol(message: &str) -> CommandError {
    CommandError::Failed(Error::Protocol(message.into()))
}

// ---------------------------------------------------------------------------
// search_user

/// The username `search_user` resolves for `query`, cleaned as TDLib's
/// `searchPublicChat` cleans it: surrounding spaces trimmed, dots dropped,
/// lowercased, and one leading `@` dropped.
///
/// ```
/// use tgcmd::commands::bootstrap::clean_query;
/// assert_eq!(clean_query(" @Ihor.Petrenko "), "ihorpetrenko");
/// assert_eq!(clean_query("@@twice"), "@twice");
/// ```
pub fn clean_query(query: &str) -> String {
    let cleaned: String = query
        .trim()
        .chars()
        .filter(|c| *c != '.')
        .collect::<String>()
        .to_lowercase();
    match cleaned.strip_prefix('@') {
        Some(rest) => rest.to_string(),
        None => cleaned,
    }
}

/// `search_user`: finds a public chat by username
/// (`contacts.resolveUsername`).
///
/// ```json
/// {"action": "search_user", "userbot_id": 1, "query": "@invoice_bot"}
/// ```
///
/// The name says "user", but, as in the spec's backend (which calls TDLib's
/// `searchPublicChat`), this resolves a public username of any kind: a user,
/// a bot, a supergroup or a channel. The query is cleaned first (see
/// [`clean_query`]). Answers with the `chat`: a private chat for a user, a
/// supergroup chat for a channel. `query is required` when `query` is
/// missing or cleans to nothing; an unknown name is `USERNAME_NOT_OCCUPIED`,
/// a malformed one `USERNAME_INVALID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchUser {
    username: String,
}

/// The JSON form of [`SearchUser`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SearchUserJson {
    /// A username, with or without `@`.
    pub query: Option<String>,
}

impl SearchUser {
    /// The request for `query` (cleaned with [`clean_query`]).
    pub fn new(query: &str) -> Result<Self, CommandError> {
        limits::check_max("query", query, limits::SHORT_STRING_MAX)?;
        let username = clean_query(query);
        if username.is_empty() {
            return Err(CommandError::invalid("query is required"));
        }
        Ok(Self { username })
    }
}

impl Command for SearchUser {
    const ACTION: &'static str = "search_user";
    const SPEC: SpecRef = SpecRef::profile_bootstrap("Command: search_user");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::contacts::ResolveUsername>("contacts.resolveUsername");
    type Json = SearchUserJson;
    type Response = td::Chat;

    fn validate(json: SearchUserJson) -> Result<Self, CommandError> {
        Self::new(json.query.as_deref().unwrap_or_default())
    }

    fn sample() -> Value {
        json!({"query": "@friend_user"})
    }

    async fn run(self, client: &Client) -> Result<td::Chat, CommandError> {
        let tl::enums::contacts::ResolvedPeer::Peer(resolved) = client
            .invoke(&tl::functions::contacts::ResolveUsername {
                username: self.username,
                referer: None,
            })
            .await?;
        client.remember_users(&resolved.users).await?;
        client.remember_chats(&resolved.chats).await?;
        let chat = match &resolved.peer {
            tl::enums::Peer::User(peer) => resolved.users.iter().find_map(|user| match user {
                tl::enums::User::User(u) if u.id == peer.user_id => Some(td::Chat::private(u)),
                _ => None,
            }),
            tl::enums::Peer::Chat(peer) => resolved
                .chats
                .iter()
                .find(|chat| chat.id() == peer.chat_id)
                .and_then(td::Chat::from_tl),
            tl::enums::Peer::Channel(peer) => resolved
                .chats
                .iter()
                .find(|chat| chat.id() == peer.channel_id)
                .and_then(td::Chat::from_tl),
        };
        chat.ok_or_else(|| protocol("contacts.resolveUsername named a peer it did not send"))
    }
}

// ---------------------------------------------------------------------------
// create_private_chat

/// TDLib's answer to `force: true` for a user it knows nothing about.
pub const CHAT_INFO_NOT_FOUND: &str = "Chat info not found";

/// `create_private_chat`: the private chat with a user.
///
/// ```json
/// {"action": "create_private_chat", "userbot_id": 1, "user_id": 123456789}
/// ```
///
/// No MTProto call creates a private chat: it exists as soon as the user can
/// be named. So this resolves the user (`users.getUsers`, with the access
/// hash the session remembers, or found for it) and answers with the `chat`.
/// With `force: true` nothing is sent: the chat is built from what the
/// client already knows, and a user it never met is `Chat info not found`,
/// as in TDLib. `user_id is required` when `user_id` is missing; `User not
/// found` when the user cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePrivateChat {
    user_id: i64,
    force: bool,
}

/// The JSON form of [`CreatePrivateChat`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CreatePrivateChatJson {
    /// The user (a number or a string of digits).
    pub user_id: Option<Value>,
    /// Build the chat without asking Telegram.
    pub force: Option<bool>,
}

impl CreatePrivateChat {
    /// The request; `force` builds the chat from what the client knows.
    pub fn new(user_id: i64, force: bool) -> Result<Self, CommandError> {
        if user_id <= 0 {
            return Err(CommandError::invalid(USER_NOT_FOUND));
        }
        Ok(Self { user_id, force })
    }
}

impl Command for CreatePrivateChat {
    const ACTION: &'static str = "create_private_chat";
    const SPEC: SpecRef = SpecRef::profile_bootstrap("Command: create_private_chat");
    const FIRST_METHOD: Method = Method::of::<tl::functions::users::GetUsers>("users.getUsers");
    type Json = CreatePrivateChatJson;
    type Response = td::Chat;

    fn validate(json: CreatePrivateChatJson) -> Result<Self, CommandError> {
        Self::new(
            ids::required_id(json.user_id.as_ref(), "user_id")?,
            json.force.unwrap_or(false),
        )
    }

    fn sample() -> Value {
        json!({"user_id": "$FRIEND", "force": false})
    }

    async fn run(self, client: &Client) -> Result<td::Chat, CommandError> {
        if self.force {
            return client
                .known_user(self.user_id)
                .map(|u| td::Chat::private(&u))
                .ok_or_else(|| CommandError::invalid(CHAT_INFO_NOT_FOUND));
        }
        let input = client.input_user(self.user_id).await?;
        let users = client
            .invoke(&tl::functions::users::GetUsers { id: vec![input] })
            .await?;
        client.remember_users(&users).await?;
        users
            .iter()
            .find_map(|user| match user {
                tl::enums::User::User(u) if u.id == self.user_id => Some(td::Chat::private(u)),
                _ => None,
            })
            // The request was sent, so this is not a validation error.
            .ok_or_else(|| CommandError::failed_after_send(USER_NOT_FOUND))
    }
}

// ---------------------------------------------------------------------------
// create_supergroup_chat

/// `create_supergroup_chat`: creates a supergroup, or with `is_channel: true`
/// a broadcast channel (`channels.createChannel` with `megagroup =
/// !is_channel`, `broadcast = is_channel`).
///
/// ```json
/// {"action": "create_supergroup_chat", "userbot_id": 1, "title": "Product Team",
///  "description": "Internal coordination chat"}
/// ```
///
/// Answers with the new `chat` (`chatTypeSupergroup`). The title is cleaned
/// as TDLib cleans it and cut to 128 characters, the description cut to
/// 255; `title is required` when `title` is missing or cleans to nothing.
/// Telegram's errors come through by name (`CHANNELS_TOO_MUCH`,
/// `USER_RESTRICTED`, `FLOOD_WAIT_X`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSupergroupChat {
    title: String,
    is_channel: bool,
    description: String,
}

/// The JSON form of [`CreateSupergroupChat`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CreateSupergroupChatJson {
    /// Required; cut to 128 characters.
    pub title: Option<String>,
    /// A broadcast channel instead of a supergroup.
    pub is_channel: Option<bool>,
    /// A string, or `null` for none.
    pub description: Option<Value>,
}

impl CreateSupergroupChat {
    /// The request, with the title and description cleaned and cut as
    /// TDLib does.
    pub fn new(title: &str, is_channel: bool, description: &str) -> Result<Self, CommandError> {
        Self::with_policy(title, is_channel, description, TextPolicy::Clean)
    }

    /// Like [`CreateSupergroupChat::new`], but a title over 128 characters
    /// or a description over 255 is refused instead of cut.
    pub fn strict(title: &str, is_channel: bool, description: &str) -> Result<Self, CommandError> {
        Self::with_policy(title, is_channel, description, TextPolicy::Strict)
    }

    fn with_policy(
        title: &str,
        is_channel: bool,
        description: &str,
        policy: TextPolicy,
    ) -> Result<Self, CommandError> {
        let title = limits::fit("title", title, MAX_TITLE_LEN, policy, limits::clean_name)?;
        if title.is_empty() {
            return Err(CommandError::invalid("title is required"));
        }
        let description = limits::fit(
            "description",
            description,
            MAX_DESCRIPTION_LEN,
            policy,
            limits::strip_empty_characters,
        )?;
        Ok(Self {
            title,
            is_channel,
            description,
        })
    }
}

/// The new channel among the chats of `createChannel`'s updates.
fn created_channel(updates: &tl::enums::Updates) -> Option<&tl::enums::Chat> {
    let chats = match updates {
        tl::enums::Updates::Updates(u) => &u.chats,
        tl::enums::Updates::Combined(u) => &u.chats,
        _ => return None,
    };
    chats
        .iter()
        .find(|chat| matches!(chat, tl::enums::Chat::Channel(c) if c.creator))
}

impl Command for CreateSupergroupChat {
    const ACTION: &'static str = "create_supergroup_chat";
    const SPEC: SpecRef = SpecRef::profile_bootstrap("Command: create_supergroup_chat");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::channels::CreateChannel>("channels.createChannel");
    type Json = CreateSupergroupChatJson;
    type Response = td::Chat;

    fn validate(json: CreateSupergroupChatJson) -> Result<Self, CommandError> {
        let title = json
            .title
            .ok_or_else(|| CommandError::invalid("title is required"))?;
        let description = match json.description {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => text,
            Some(_) => return Err(CommandError::invalid("description must be a string")),
        };
        Self::new(&title, json.is_channel.unwrap_or(false), &description)
    }

    fn sample() -> Value {
        json!({"title": "Group", "is_channel": false})
    }

    async fn run(self, client: &Client) -> Result<td::Chat, CommandError> {
        let updates = client
            .invoke(&tl::functions::channels::CreateChannel {
                broadcast: self.is_channel,
                megagroup: !self.is_channel,
                for_import: false,
                forum: false,
                title: self.title,
                about: self.description,
                geo_point: None,
                address: None,
                ttl_period: None,
            })
            .await?;
        if let tl::enums::Updates::Updates(u) = &updates {
            client.remember_users(&u.users).await?;
            client.remember_chats(&u.chats).await?;
        } else if let tl::enums::Updates::Combined(u) = &updates {
            client.remember_users(&u.users).await?;
            client.remember_chats(&u.chats).await?;
        }
        created_channel(&updates)
            .and_then(td::Chat::from_tl)
            .ok_or_else(|| protocol("channels.createChannel returned no channel"))
    }
}

// ---------------------------------------------------------------------------
// import_contacts

/// One contact to import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhoneContact {
    /// The phone number, in international format (`+15551234567`).
    pub phone: String,
    /// First name to save the contact under.
    pub first_name: String,
    /// Last name to save the contact under.
    pub last_name: String,
}

/// `import_contacts`: adds a phone number to the account's contacts
/// (`contacts.importContacts` with one `inputPhoneContact`).
///
/// ```json
/// {"action": "import_contacts", "userbot_id": 1, "phone": "+15551234567",
///  "first_name": "Ihor", "last_name": "Petrenko"}
/// ```
///
/// Answers with TDLib's `importedContacts`: `user_ids` holds the account
/// found for the number (0 when there is none) and `importer_count` how many
/// people imported the number (0 for registered ones).
///
/// `vcard` is accepted and not sent: MTProto's `inputPhoneContact` has no
/// field for it (TDLib drops it too). `contact_user_id` is accepted and not
/// sent either: Telegram finds the user by the number. When Telegram asks to
/// retry a number later (`retry_contacts`), its `user_ids` entry is 0 and a
/// warning is logged. `phone is required` when `phone` is missing or blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportContacts {
    contacts: Vec<PhoneContact>,
}

/// The JSON form of [`ImportContacts`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ImportContactsJson {
    /// The phone number, in international format.
    pub phone: Option<String>,
    /// First name to save the contact under.
    pub first_name: Option<String>,
    /// Last name to save the contact under.
    pub last_name: Option<String>,
    /// Accepted and not sent: MTProto has no field for it.
    pub vcard: Option<Value>,
    /// A number or a string of digits, checked and not sent.
    pub contact_user_id: Option<Value>,
}

impl ImportContacts {
    /// The request for `contacts`, in order; phones are trimmed.
    pub fn new(contacts: &[PhoneContact]) -> Result<Self, CommandError> {
        let contacts = contacts
            .iter()
            .map(|contact| {
                let phone = contact.phone.trim();
                if phone.is_empty() {
                    return Err(CommandError::invalid("phone is required"));
                }
                limits::check_max("phone", phone, limits::PHONE_MAX)?;
                limits::check_max("first_name", &contact.first_name, limits::CONTACT_NAME_MAX)?;
                limits::check_max("last_name", &contact.last_name, limits::CONTACT_NAME_MAX)?;
                Ok(PhoneContact {
                    phone: phone.to_string(),
                    ..contact.clone()
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { contacts })
    }
}

impl Command for ImportContacts {
    const ACTION: &'static str = "import_contacts";
    const SPEC: SpecRef = SpecRef::profile_bootstrap("Command: import_contacts");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::contacts::ImportContacts>("contacts.importContacts");
    type Json = ImportContactsJson;
    type Response = td::ImportedContacts;

    fn validate(json: ImportContactsJson) -> Result<Self, CommandError> {
        let phone = json
            .phone
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| CommandError::invalid("phone is required"))?;
        if let Some(value) = json.contact_user_id.as_ref().filter(|v| !v.is_null())
            && ids::id_from_value(value).is_none()
        {
            return Err(CommandError::invalid("contact_user_id must be an integer"));
        }
        Self::new(&[PhoneContact {
            phone,
            first_name: json.first_name.unwrap_or_default(),
            last_name: json.last_name.unwrap_or_default(),
        }])
    }

    fn sample() -> Value {
        json!({"phone": "+15550001111", "first_name": "A", "last_name": "B"})
    }

    async fn run(self, client: &Client) -> Result<td::ImportedContacts, CommandError> {
        let contacts = &self.contacts;
        let mut answer = td::ImportedContacts {
            user_ids: vec![0; contacts.len()],
            importer_count: vec![0; contacts.len()],
        };
        if contacts.is_empty() {
            return Ok(answer);
        }
        let input = contacts
            .iter()
            .zip(0i64..)
            .map(|(contact, index)| {
                tl::types::InputPhoneContact {
                    client_id: index,
                    phone: contact.phone.clone(),
                    first_name: contact.first_name.clone(),
                    last_name: contact.last_name.clone(),
                    note: None,
                }
                .into()
            })
            .collect();
        // A re-import renames, which the contact list's hash does not show.
        super::contacts::forget_contact_list(client);
        let tl::enums::contacts::ImportedContacts::Contacts(result) = client
            .invoke(&tl::functions::contacts::ImportContacts { contacts: input })
            .await?;
        client.remember_users(&result.users).await?;
        let slot = |client_id: i64| {
            usize::try_from(client_id)
                .ok()
                .filter(|&i| i < contacts.len())
        };
        for tl::enums::ImportedContact::Contact(imported) in &result.imported {
            if let Some(i) = slot(imported.client_id) {
                answer.user_ids[i] = imported.user_id;
            }
        }
        for tl::enums::PopularContact::Contact(popular) in &result.popular_invites {
            if let Some(i) = slot(popular.client_id) {
                answer.importer_count[i] = popular.importers;
            }
        }
        if !result.retry_contacts.is_empty() {
            warn!(
                count = result.retry_contacts.len(),
                "Telegram asked to import some contacts again later"
            );
        }
        Ok(answer)
    }
}

// ---------------------------------------------------------------------------
// Registry

/// This group's commands, for [`super::Registry`].
pub(super) fn commands() -> Vec<CommandInfo> {
    vec![
        CommandInfo::of::<SearchUser>(),
        CommandInfo::of::<CreatePrivateChat>(),
        CommandInfo::of::<CreateSupergroupChat>(),
        CommandInfo::of::<ImportContacts>(),
    ]
}

// ---------------------------------------------------------------------------
// Typed methods

impl Client {
    /// Resolves a public username to its chat. See [`SearchUser`].
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// let chat = client.search_user("@durov").await?;
    /// println!("{} is chat {}", chat.title, chat.id);
    /// # Ok(()) }
    /// ```
    pub async fn search_user(&self, query: &str) -> Result<td::Chat, CommandError> {
        self.run(SearchUser::new(query)?).await
    }

    /// The private chat with a user; `force` skips the server check. See
    /// [`CreatePrivateChat`].
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// let chat = client.create_private_chat(123456789, false).await?;
    /// assert_eq!(chat.id, 123456789);
    /// # Ok(()) }
    /// ```
    pub async fn create_private_chat(
        &self,
        user_id: i64,
        force: bool,
    ) -> Result<td::Chat, CommandError> {
        self.run(CreatePrivateChat::new(user_id, force)?).await
    }

    /// Creates a supergroup, or a broadcast channel with `is_channel`, with
    /// the title and description cleaned and cut as TDLib does (see
    /// [`CreateSupergroupChat::strict`] to refuse instead).
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// let chat = client
    ///     .create_supergroup_chat("Product Team", false, Some("Internal coordination chat"))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_supergroup_chat(
        &self,
        title: &str,
        is_channel: bool,
        description: Option<&str>,
    ) -> Result<td::Chat, CommandError> {
        self.run(CreateSupergroupChat::new(
            title,
            is_channel,
            description.unwrap_or_default(),
        )?)
        .await
    }

    /// Imports contacts in one `contacts.importContacts` call; the answer's
    /// lists follow `contacts`' order. See [`ImportContacts`].
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// use tgcmd::commands::bootstrap::PhoneContact;
    /// let result = client
    ///     .import_contacts(&[PhoneContact {
    ///         phone: "+15551234567".into(),
    ///         first_name: "Ihor".into(),
    ///         last_name: "Petrenko".into(),
    ///     }])
    ///     .await?;
    /// if result.user_ids[0] != 0 {
    ///     println!("on Telegram as {}", result.user_ids[0]);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn import_contacts(
        &self,
        contacts: &[PhoneContact],
    ) -> Result<td::ImportedContacts, CommandError> {
        self.run(ImportContacts::new(contacts)?).await
    }
}
