//! The bootstrap half of the profile & bootstrap group
//! (`shared/spec/commands-profile-bootstrap.txt`): finding a public chat,
//! opening a private chat, creating a supergroup or channel, and importing
//! contacts. The profile half is in [`super::profile`].
//!
//! # Errors invented here
//!
//! Besides the spec's "`<field>` is required" strings, these are refused
//! before anything is sent:
//!
//! | Command | Message | When |
//! |---|---|---|
//! | `create_private_chat` | `user_id must be an integer` | neither a number nor a string of digits |
//! | `create_private_chat` | `user not found` | an id ≤ 0, or a user neither the session nor Telegram knows |
//! | `create_supergroup_chat` | `title must be at most 128 characters` | Telegram's `chat_title_length_max` |
//! | `create_supergroup_chat` | `description must be at most 255 characters` | Telegram's `chat_about_length_max` |
//! | `create_supergroup_chat` | `description must be a string` | any other JSON type but `null` |
//! | `import_contacts` | `contact_user_id must be an integer` | neither a number nor a string of digits |

use grammers_tl_types as tl;
use serde::Deserialize;
use serde_json::Value;
use tracing::warn;

use super::ids;
use super::td;
use super::{Command, CommandError};
use crate::client::Client;
use crate::error::Error;

/// Telegram's `chat_title_length_max`.
pub const MAX_TITLE_LEN: usize = 128;
/// Telegram's `chat_about_length_max`.
pub const MAX_DESCRIPTION_LEN: usize = 255;

fn protocol(message: &str) -> CommandError {
    CommandError::Failed(Error::Protocol(message.into()))
}

// ---------------------------------------------------------------------------
// search_user

/// The username `search_user` resolves for `query`: spaces trimmed, every
/// `@` and `.` dropped, lowercased (TDLib's `clean_username`).
///
/// ```
/// assert_eq!(tgcmd::commands::bootstrap::clean_query(" @Ihor.Petrenko "), "ihorpetrenko");
/// ```
pub fn clean_query(query: &str) -> String {
    query
        .trim()
        .chars()
        .filter(|c| *c != '@' && *c != '.')
        .collect::<String>()
        .to_lowercase()
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
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchUser {
    /// A username, with or without `@`.
    #[serde(default)]
    pub query: Option<String>,
}

impl Command for SearchUser {
    const ACTION: &'static str = "search_user";
    type Response = td::Chat;

    async fn run(self, client: &Client) -> Result<td::Chat, CommandError> {
        let username = clean_query(self.query.as_deref().unwrap_or_default());
        if username.is_empty() {
            return Err(CommandError::invalid("query is required"));
        }
        let tl::enums::contacts::ResolvedPeer::Peer(resolved) = client
            .invoke(&tl::functions::contacts::ResolveUsername {
                username,
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
/// client already knows, with an empty title for a user it never met (as
/// TDLib's `force` warns, only the type is then certain).
/// `user_id is required` when `user_id` is missing; `user not found` when
/// the user cannot be resolved.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreatePrivateChat {
    /// The user (a number or a string of digits).
    #[serde(default)]
    pub user_id: Option<Value>,
    /// Build the chat without asking Telegram.
    #[serde(default)]
    pub force: Option<bool>,
}

impl Command for CreatePrivateChat {
    const ACTION: &'static str = "create_private_chat";
    type Response = td::Chat;

    async fn run(self, client: &Client) -> Result<td::Chat, CommandError> {
        let user_id = ids::required_id(self.user_id.as_ref(), "user_id")?;
        if user_id <= 0 {
            return Err(CommandError::invalid("user not found"));
        }
        if self.force == Some(true) {
            return Ok(client.known_user(user_id).map_or_else(
                || td::Chat::private_unknown(user_id),
                |u| td::Chat::private(&u),
            ));
        }
        let input = client.input_user(user_id).await?;
        let users = client
            .invoke(&tl::functions::users::GetUsers { id: vec![input] })
            .await?;
        client.remember_users(&users).await?;
        users
            .iter()
            .find_map(|user| match user {
                tl::enums::User::User(u) if u.id == user_id => Some(td::Chat::private(u)),
                _ => None,
            })
            // The request was sent, so this is not a validation error.
            .ok_or_else(|| CommandError::aborted("user not found"))
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
/// Answers with the new `chat` (`chatTypeSupergroup`). `title is required`
/// when `title` is missing or blank; the length limits are checked locally
/// (see the module docs). Telegram's errors come through by name
/// (`CHANNELS_TOO_MUCH`, `USER_RESTRICTED`, `FLOOD_WAIT_X`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreateSupergroupChat {
    /// Required; at most 128 characters.
    #[serde(default)]
    pub title: Option<String>,
    /// A broadcast channel instead of a supergroup.
    #[serde(default)]
    pub is_channel: Option<bool>,
    /// A string, or `null` for none.
    #[serde(default)]
    pub description: Option<Value>,
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
    type Response = td::Chat;

    async fn run(self, client: &Client) -> Result<td::Chat, CommandError> {
        let title = self
            .title
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| CommandError::invalid("title is required"))?
            .to_string();
        if title.chars().count() > MAX_TITLE_LEN {
            return Err(CommandError::invalid(format!(
                "title must be at most {MAX_TITLE_LEN} characters"
            )));
        }
        let about = match self.description {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => text,
            Some(_) => return Err(CommandError::invalid("description must be a string")),
        };
        if about.chars().count() > MAX_DESCRIPTION_LEN {
            return Err(CommandError::invalid(format!(
                "description must be at most {MAX_DESCRIPTION_LEN} characters"
            )));
        }
        let is_channel = self.is_channel.unwrap_or(false);
        let updates = client
            .invoke(&tl::functions::channels::CreateChannel {
                broadcast: is_channel,
                megagroup: !is_channel,
                for_import: false,
                forum: false,
                title,
                about,
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
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImportContacts {
    /// The phone number, in international format.
    #[serde(default)]
    pub phone: Option<String>,
    /// First name to save the contact under.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name to save the contact under.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Accepted and not sent: MTProto has no field for it.
    #[serde(default)]
    pub vcard: Option<Value>,
    /// A number or a string of digits, checked and not sent.
    #[serde(default)]
    pub contact_user_id: Option<Value>,
}

async fn import(
    client: &Client,
    contacts: &[PhoneContact],
) -> Result<td::ImportedContacts, CommandError> {
    if contacts.iter().any(|c| c.phone.trim().is_empty()) {
        return Err(CommandError::invalid("phone is required"));
    }
    let mut answer = td::ImportedContacts {
        kind: "importedContacts",
        user_ids: vec![0; contacts.len()],
        importer_count: vec![0; contacts.len()],
    };
    if contacts.is_empty() {
        return Ok(answer);
    }
    let input = contacts
        .iter()
        .enumerate()
        .map(|(index, contact)| {
            tl::types::InputPhoneContact {
                client_id: index as i64,
                phone: contact.phone.trim().to_string(),
                first_name: contact.first_name.clone(),
                last_name: contact.last_name.clone(),
                note: None,
            }
            .into()
        })
        .collect();
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

impl Command for ImportContacts {
    const ACTION: &'static str = "import_contacts";
    type Response = td::ImportedContacts;

    async fn run(self, client: &Client) -> Result<td::ImportedContacts, CommandError> {
        let phone = self
            .phone
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| CommandError::invalid("phone is required"))?;
        if let Some(value) = self.contact_user_id.as_ref().filter(|v| !v.is_null())
            && ids::id_from_value(value).is_none()
        {
            return Err(CommandError::invalid("contact_user_id must be an integer"));
        }
        import(
            client,
            &[PhoneContact {
                phone,
                first_name: self.first_name.unwrap_or_default(),
                last_name: self.last_name.unwrap_or_default(),
            }],
        )
        .await
    }
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
        SearchUser {
            query: Some(query.to_string()),
        }
        .run(self)
        .await
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
        CreatePrivateChat {
            user_id: Some(user_id.into()),
            force: Some(force),
        }
        .run(self)
        .await
    }

    /// Creates a supergroup, or a broadcast channel with `is_channel`. See
    /// [`CreateSupergroupChat`].
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
        CreateSupergroupChat {
            title: Some(title.to_string()),
            is_channel: Some(is_channel),
            description: description.map(Value::from),
        }
        .run(self)
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
        import(self, contacts).await
    }
}
