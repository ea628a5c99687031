//! Groups and their administration: `create_group_chat`, `rename_chat`,
//! `chat_set_photo`, `chat_add_user`, `chat_del_user`, `import_chat_link`
//! and `set_profile_photo` from tg-cli's Python bindings
//! (`shared/spec/tg-cli-python-bindings.txt`), each a command whose JSON
//! action is the tg-cli name. Beside them, [`Client::export_chat_link`]
//! makes invite links (tg-cli has no function for it, so it is a typed
//! method only).
//!
//! Basic groups and channels differ on the wire, and each command picks
//! the right call: `messages.editChatTitle` / `channels.editTitle`,
//! `messages.editChatPhoto` / `channels.editPhoto`, `messages.addChatUser`
//! / `channels.inviteToChannel`, `messages.deleteChatUser` /
//! `channels.editBanned`. A basic group that became a supergroup is
//! followed: its old id reaches the supergroup
//! ([`super::chat_access::follow_migration`]).
//!
//! # Errors invented here
//!
//! Besides `<field> is required` and `<field> is invalid`, refused before
//! anything is sent:
//!
//! | Command | Message | When |
//! |---|---|---|
//! | `create_group_chat` | `peer_list must name at least 2 users` | fewer distinct users (tg-cli: "must be more than 1 peer") |
//! | `create_group_chat` | `peer_list may name at most 199 users` | a basic group holds 200 members |
//! | `create_group_chat` | `peer_list must name users only: <id> is a group or channel` | |
//! | `create_group_chat`, `rename_chat` | `name must not be empty` / `new_name must not be empty` | blank once cleaned; longer names are cut to 128 characters, as Telegram does |
//! | `rename_chat`, `chat_set_photo`, `chat_add_user`, `chat_del_user` | `chat_id is a user: <command> needs a basic group or a channel` | a private chat |
//! | `chat_add_user`, `chat_del_user` | `user_id is a group or channel: only users can be members` | |
//! | `chat_set_photo`, `set_profile_photo` | `file not found: <path>`, `file is empty: <path>`, `file is not an image: <path>`, `photo is larger than 10485760 bytes: <path>` | checked on the magic bytes, before the upload |
//! | `import_chat_link` | `link is not an invite link: <link>` | none of the forms below |
//!
//! After sending:
//!
//! | Command | Message | When |
//! |---|---|---|
//! | `chat_add_user` | `USER_PRIVACY_RESTRICTED` | the user's privacy settings keep them out (`missing_invitees`) |
//! | `import_chat_link` | `INVITE_HASH_EXPIRED`, `INVITE_HASH_INVALID` | Telegram's: revoked, expired or used up; never made |
//!
//! `create_group_chat` reports the users privacy kept out in
//! `missing_invitees` rather than failing. `import_chat_link` answers one
//! of three outcomes: `joined`, `already_participant` or `request_sent`
//! (the link needs an admin's approval).

use std::path::{Path, PathBuf};

use grammers_tl_types as tl;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::chat_access::{self, directory, follow_migration, input_channel, protocol};
use super::ids::{self, ChatRef};
use super::limits;
use super::media_send::check_photo_file;
use super::{Command, CommandError, CommandInfo, Method, SpecRef};
use crate::client::Client;
use crate::media::ChatPhotoTarget;
use crate::media::UploadSource;
use crate::td::Done;
use crate::tgl::{Msg, Peer};
use crate::transfer::UploadOptions;

/// Members a basic group may have (Telegram's `chat_size_max`), the
/// creator included.
pub const BASIC_GROUP_MAX_MEMBERS: usize = 200;
/// Messages of the recent history a user added to a basic group sees
/// (`messages.addChatUser`'s `fwd_limit`), as tg-cli sends it.
pub const ADD_USER_FWD_LIMIT: i32 = 100;
/// Telegram's name for a user whose privacy keeps them out of groups.
pub const USER_PRIVACY_RESTRICTED: &str = "USER_PRIVACY_RESTRICTED";

/// A group title as Telegram takes it: trimmed, cut to 128 characters,
/// not empty.
fn chat_title(field: &str, title: &str) -> Result<String, CommandError> {
    let title = limits::clean_name(title, limits::TITLE_MAX);
    if title.is_empty() {
        return Err(CommandError::invalid(format!("{field} must not be empty")));
    }
    Ok(title)
}

/// The group or channel a command administers; a user id is refused with
/// the reason.
fn group_ref(chat_id: i64, command: &str) -> Result<ChatRef, CommandError> {
    match chat_access::chat_ref(chat_id)? {
        ChatRef::User(_) => Err(CommandError::invalid(format!(
            "chat_id is a user: {command} needs a basic group or a channel"
        ))),
        chat => Ok(chat),
    }
}

/// A user id among a command's fields; groups and channels are refused.
fn member_ref(user_id: i64, field: &str) -> Result<i64, CommandError> {
    match ChatRef::from_chat_id(user_id) {
        Some(ChatRef::User(id)) => Ok(id),
        Some(_) => Err(CommandError::invalid(format!(
            "{field} is a group or channel: only users can be members"
        ))),
        None => Err(CommandError::invalid(format!("{field} is invalid"))),
    }
}

/// The Peer of `chat` from an `Updates` answer (remembering its peers).
async fn chat_peer(
    client: &Client,
    updates: &tl::enums::Updates,
    chat: ChatRef,
) -> Result<Peer, CommandError> {
    let (_, users, chats) = chat_access::updates_parts(updates);
    let directory = directory(client, users, chats, []).await?;
    Ok(directory.peer(chat))
}

/// The id of the chat an `Updates` answer created (the first of its kind).
fn created_chat(updates: &tl::enums::Updates, channel: bool) -> Option<ChatRef> {
    let (_, _, chats) = chat_access::updates_parts(updates);
    chats.iter().find_map(|chat| match chat {
        tl::enums::Chat::Chat(c) if !channel => Some(ChatRef::BasicGroup(c.id)),
        tl::enums::Chat::Channel(c) if channel => Some(ChatRef::Channel(c.id)),
        _ => None,
    })
}

/// The first new message of an `Updates` answer, as a [`Msg`].
async fn service_msg(client: &Client, updates: &tl::enums::Updates) -> Result<Msg, CommandError> {
    let (list, users, chats) = chat_access::updates_parts(updates);
    let message = list
        .iter()
        .find_map(|update| match update {
            tl::enums::Update::NewMessage(u) => Some(&u.message),
            tl::enums::Update::NewChannelMessage(u) => Some(&u.message),
            _ => None,
        })
        .ok_or_else(|| protocol("the answer did not contain the service message"))?;
    let named = crate::tgl::users_of_message(message);
    let directory = directory(client, users, chats, named).await?;
    Msg::from_tl(message, &directory, None)
        .ok_or_else(|| protocol("the answer did not contain the service message"))
}

fn missing_of(invited: &tl::enums::messages::InvitedUsers) -> Vec<i64> {
    let tl::enums::messages::InvitedUsers::Users(invited) = invited;
    invited
        .missing_invitees
        .iter()
        .map(|tl::enums::MissingInvitee::Invitee(m)| m.user_id)
        .collect()
}

// ---------------------------------------------------------------------------
// create_group_chat

/// `create_group_chat`: a basic group of the account and `peer_list`
/// (`messages.createChat`), or with `"supergroup": true` a supergroup
/// (`channels.createChannel` with `megagroup`, then
/// `channels.inviteToChannel`).
///
/// ```json
/// {"action": "create_group_chat", "userbot_id": 1, "peer_list": [111, 222], "name": "Team"}
/// ```
///
/// The answer is the new chat and the users whose privacy settings kept
/// them out:
///
/// ```json
/// {"@type": "group_chat_created", "chat": {…Peer…}, "missing_invitees": [222]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateGroupChat {
    users: Vec<i64>,
    title: String,
    supergroup: bool,
}

/// The JSON form of [`CreateGroupChat`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CreateGroupChatJson {
    /// The users to add (TDLib chat ids of users).
    pub peer_list: Option<Vec<Value>>,
    /// The title.
    pub name: Option<String>,
    /// A supergroup instead of a basic group.
    pub supergroup: bool,
}

/// What `create_group_chat` answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "@type", rename = "group_chat_created")]
pub struct GroupChatCreated {
    /// The new chat (`type` chat for a basic group, channel for a supergroup).
    pub chat: Peer,
    /// Users their privacy settings kept out.
    pub missing_invitees: Vec<i64>,
}

impl CreateGroupChat {
    /// A basic group named `name` with `users` (at least 2 distinct).
    pub fn new(users: &[i64], name: &str) -> Result<Self, CommandError> {
        let mut distinct = Vec::with_capacity(users.len());
        for &user in users {
            let id = match ChatRef::from_chat_id(user) {
                Some(ChatRef::User(id)) => id,
                Some(_) => {
                    return Err(CommandError::invalid(format!(
                        "peer_list must name users only: {user} is a group or channel"
                    )));
                }
                None => return Err(CommandError::invalid("peer_list is invalid")),
            };
            if !distinct.contains(&id) {
                distinct.push(id);
            }
        }
        if distinct.len() < 2 {
            return Err(CommandError::invalid(
                "peer_list must name at least 2 users",
            ));
        }
        if distinct.len() >= BASIC_GROUP_MAX_MEMBERS {
            return Err(CommandError::invalid(format!(
                "peer_list may name at most {} users",
                BASIC_GROUP_MAX_MEMBERS - 1
            )));
        }
        Ok(Self {
            users: distinct,
            title: chat_title("name", name)?,
            supergroup: false,
        })
    }

    /// A supergroup instead of a basic group.
    pub fn supergroup(mut self) -> Self {
        self.supergroup = true;
        self
    }

    async fn create_basic(self, client: &Client) -> Result<GroupChatCreated, CommandError> {
        let mut users = Vec::with_capacity(self.users.len());
        for &user in &self.users {
            users.push(client.input_user(user).await?);
        }
        let invited = client
            .invoke(&tl::functions::messages::CreateChat {
                users,
                title: self.title,
                ttl_period: None,
            })
            .await?;
        let missing_invitees = missing_of(&invited);
        let tl::enums::messages::InvitedUsers::Users(invited) = invited;
        let chat = created_chat(&invited.updates, false)
            .ok_or_else(|| protocol("createChat's answer names no group"))?;
        Ok(GroupChatCreated {
            chat: chat_peer(client, &invited.updates, chat).await?,
            missing_invitees,
        })
    }

    async fn create_supergroup(self, client: &Client) -> Result<GroupChatCreated, CommandError> {
        let mut users = Vec::with_capacity(self.users.len());
        for &user in &self.users {
            users.push(client.input_user(user).await?);
        }
        let created = client
            .invoke(&tl::functions::channels::CreateChannel {
                broadcast: false,
                megagroup: true,
                for_import: false,
                forum: false,
                title: self.title,
                about: String::new(),
                geo_point: None,
                address: None,
                ttl_period: None,
            })
            .await?;
        let chat = created_chat(&created, true)
            .ok_or_else(|| protocol("createChannel's answer names no channel"))?;
        let (_, _, chats) = chat_access::updates_parts(&created);
        client.remember_chats(chats).await?;
        let ChatRef::Channel(channel_id) = chat else {
            return Err(protocol("createChannel's answer names no channel"));
        };
        // The supergroup exists from here on: a failure is after sending.
        let invited = client
            .invoke(&tl::functions::channels::InviteToChannel {
                channel: input_channel(client, channel_id).await?,
                users,
            })
            .await
            .map_err(|e| {
                CommandError::failed_after_send(format!(
                    "the supergroup {} was created, but inviting failed: {}",
                    chat.chat_id(),
                    CommandError::Failed(e).message()
                ))
            })?;
        let missing_invitees = missing_of(&invited);
        let tl::enums::messages::InvitedUsers::Users(invited) = invited;
        Ok(GroupChatCreated {
            chat: chat_peer(client, &invited.updates, chat).await?,
            missing_invitees,
        })
    }
}

impl Command for CreateGroupChat {
    const ACTION: &'static str = "create_group_chat";
    const SPEC: SpecRef = SpecRef::tg_cli("tgl.create_group_chat");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::CreateChat>("messages.createChat");
    type Json = CreateGroupChatJson;
    type Response = GroupChatCreated;

    fn validate(json: CreateGroupChatJson) -> Result<Self, CommandError> {
        let list = json
            .peer_list
            .ok_or_else(|| CommandError::invalid("peer_list is required"))?;
        let users = list
            .iter()
            .map(|value| {
                crate::td::ids::id_from_value(value)
                    .ok_or_else(|| CommandError::invalid("peer_list is invalid"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let name = json
            .name
            .ok_or_else(|| CommandError::invalid("name is required"))?;
        let request = Self::new(&users, &name)?;
        Ok(if json.supergroup {
            request.supergroup()
        } else {
            request
        })
    }

    fn sample() -> Value {
        json!({"peer_list": ["$FRIEND", 1_000_000_001], "name": "Team", "supergroup": false})
    }

    async fn run(self, client: &Client) -> Result<GroupChatCreated, CommandError> {
        if self.supergroup {
            self.create_supergroup(client).await
        } else {
            self.create_basic(client).await
        }
    }
}

// ---------------------------------------------------------------------------
// rename_chat

/// `peer.rename_chat(new_name)`: a new title (`messages.editChatTitle`, or
/// `channels.editTitle` for channels and supergroups).
///
/// ```json
/// {"action": "rename_chat", "userbot_id": 1, "chat_id": -4000001, "new_name": "Renamed"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameChat {
    chat: ChatRef,
    title: String,
}

/// The JSON form of [`RenameChat`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RenameChatJson {
    /// The group or channel (TDLib chat id).
    pub chat_id: Option<Value>,
    /// The new title.
    pub new_name: Option<String>,
}

impl RenameChat {
    /// Renames `chat_id` to `new_name`.
    pub fn new(chat_id: i64, new_name: &str) -> Result<Self, CommandError> {
        Ok(Self {
            chat: group_ref(chat_id, "rename_chat")?,
            title: chat_title("new_name", new_name)?,
        })
    }
}

impl Command for RenameChat {
    const ACTION: &'static str = "rename_chat";
    const SPEC: SpecRef = SpecRef::tg_cli("peer.rename_chat");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::EditChatTitle>("messages.editChatTitle");
    type Json = RenameChatJson;
    type Response = Done;

    fn validate(json: RenameChatJson) -> Result<Self, CommandError> {
        let chat_id = ids::required_id(json.chat_id.as_ref(), "chat_id")?;
        let name = json
            .new_name
            .ok_or_else(|| CommandError::invalid("new_name is required"))?;
        Self::new(chat_id, &name)
    }

    fn sample() -> Value {
        json!({"chat_id": -4_000_001, "new_name": "Renamed"})
    }

    async fn run(self, client: &Client) -> Result<Done, CommandError> {
        let updates = match follow_migration(client, self.chat) {
            ChatRef::BasicGroup(chat_id) => {
                client
                    .invoke(&tl::functions::messages::EditChatTitle {
                        chat_id,
                        title: self.title,
                    })
                    .await?
            }
            ChatRef::Channel(channel_id) => {
                client
                    .invoke(&tl::functions::channels::EditTitle {
                        channel: input_channel(client, channel_id).await?,
                        title: self.title,
                    })
                    .await?
            }
            ChatRef::User(_) => return Err(CommandError::invalid("chat_id is a user")),
        };
        let (_, users, chats) = chat_access::updates_parts(&updates);
        client.remember_users(users).await?;
        client.remember_chats(chats).await?;
        Ok(Done::default())
    }
}

// ---------------------------------------------------------------------------
// chat_set_photo

/// `peer.chat_set_photo(file)`: uploads a picture through the transfer
/// engine and makes it the chat's photo (`messages.editChatPhoto` or
/// `channels.editPhoto` with `inputChatUploadedPhoto`). Answers the
/// service message (tg-cli's `msg_cb`).
///
/// ```json
/// {"action": "chat_set_photo", "userbot_id": 1, "chat_id": -4000001, "file": "/tmp/logo.jpg"}
/// ```
///
/// The file is checked first (it exists, is not empty, is an image by its
/// magic bytes, at most 10 MiB); otherwise nothing is uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSetPhoto {
    chat: ChatRef,
    file: PathBuf,
}

/// The JSON form of [`ChatSetPhoto`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ChatSetPhotoJson {
    /// The group or channel (TDLib chat id).
    pub chat_id: Option<Value>,
    /// The picture's path.
    pub file: Option<String>,
}

/// A path field: required, not blank.
fn path_field(value: Option<String>, field: &str) -> Result<PathBuf, CommandError> {
    match value {
        Some(path) if !path.trim().is_empty() => Ok(PathBuf::from(path)),
        Some(_) => Err(CommandError::invalid(format!("{field} must not be empty"))),
        None => Err(CommandError::invalid(format!("{field} is required"))),
    }
}

impl ChatSetPhoto {
    /// Sets the picture at `file` as the photo of `chat_id`.
    pub fn new(chat_id: i64, file: impl AsRef<Path>) -> Result<Self, CommandError> {
        Ok(Self {
            chat: group_ref(chat_id, "chat_set_photo")?,
            file: file.as_ref().to_path_buf(),
        })
    }
}

impl Command for ChatSetPhoto {
    const ACTION: &'static str = "chat_set_photo";
    const SPEC: SpecRef = SpecRef::tg_cli("peer.chat_set_photo");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::upload::SaveFilePart>("upload.saveFilePart");
    type Json = ChatSetPhotoJson;
    type Response = Msg;

    fn validate(json: ChatSetPhotoJson) -> Result<Self, CommandError> {
        let chat_id = ids::required_id(json.chat_id.as_ref(), "chat_id")?;
        Self::new(chat_id, path_field(json.file, "file")?)
    }

    fn sample() -> Value {
        json!({"chat_id": -4_000_001, "file": "/tmp/logo.jpg"})
    }

    async fn run(self, client: &Client) -> Result<Msg, CommandError> {
        check_photo_file(&self.file).await?;
        let target = match follow_migration(client, self.chat) {
            ChatRef::BasicGroup(chat_id) => ChatPhotoTarget::BasicGroup(chat_id),
            ChatRef::Channel(channel_id) => {
                ChatPhotoTarget::Channel(input_channel(client, channel_id).await?)
            }
            ChatRef::User(_) => return Err(CommandError::invalid("chat_id is a user")),
        };
        let source = UploadSource::Path(self.file.clone());
        let updates = client
            .set_chat_photo(target, &source, UploadOptions::default())
            .await?;
        service_msg(client, &updates).await
    }
}

// ---------------------------------------------------------------------------
// chat_add_user, chat_del_user

/// `peer.chat_add_user(user)`: adds a user to a basic group
/// (`messages.addChatUser`, who then sees the last 100 messages) or a
/// channel (`channels.inviteToChannel`).
///
/// ```json
/// {"action": "chat_add_user", "userbot_id": 1, "chat_id": -4000001, "user_id": 222}
/// ```
///
/// A user whose privacy settings keep them out is `USER_PRIVACY_RESTRICTED`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatAddUser {
    chat: ChatRef,
    user_id: i64,
}

/// `peer.chat_del_user(user)`: removes a user from a basic group
/// (`messages.deleteChatUser`) or a channel (`channels.editBanned` with
/// `view_messages`, so they cannot come back by a link until an admin
/// adds them). The account's own id leaves the chat (in channels,
/// `channels.leaveChannel`).
///
/// ```json
/// {"action": "chat_del_user", "userbot_id": 1, "chat_id": -4000001, "user_id": 222}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatDelUser {
    chat: ChatRef,
    user_id: i64,
}

/// The JSON form of [`ChatAddUser`] and [`ChatDelUser`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ChatMemberJson {
    /// The group or channel (TDLib chat id).
    pub chat_id: Option<Value>,
    /// The user.
    pub user_id: Option<Value>,
}

fn member_request(json: &ChatMemberJson, command: &str) -> Result<(ChatRef, i64), CommandError> {
    let chat_id = ids::required_id(json.chat_id.as_ref(), "chat_id")?;
    let user_id = ids::required_id(json.user_id.as_ref(), "user_id")?;
    Ok((
        group_ref(chat_id, command)?,
        member_ref(user_id, "user_id")?,
    ))
}

impl ChatAddUser {
    /// Adds `user_id` to `chat_id`.
    pub fn new(chat_id: i64, user_id: i64) -> Result<Self, CommandError> {
        Ok(Self {
            chat: group_ref(chat_id, "chat_add_user")?,
            user_id: member_ref(user_id, "user_id")?,
        })
    }
}

impl ChatDelUser {
    /// Removes `user_id` from `chat_id`.
    pub fn new(chat_id: i64, user_id: i64) -> Result<Self, CommandError> {
        Ok(Self {
            chat: group_ref(chat_id, "chat_del_user")?,
            user_id: member_ref(user_id, "user_id")?,
        })
    }
}

/// Remembers the peers of an `Updates` answer.
async fn remember_updates(
    client: &Client,
    updates: &tl::enums::Updates,
) -> Result<(), CommandError> {
    let (_, users, chats) = chat_access::updates_parts(updates);
    client.remember_users(users).await?;
    client.remember_chats(chats).await?;
    Ok(())
}

impl Command for ChatAddUser {
    const ACTION: &'static str = "chat_add_user";
    const SPEC: SpecRef = SpecRef::tg_cli("peer.chat_add_user");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::AddChatUser>("messages.addChatUser");
    type Json = ChatMemberJson;
    type Response = Done;

    fn validate(json: ChatMemberJson) -> Result<Self, CommandError> {
        let (chat, user_id) = member_request(&json, "chat_add_user")?;
        Ok(Self { chat, user_id })
    }

    fn sample() -> Value {
        json!({"chat_id": -4_000_001, "user_id": "$FRIEND"})
    }

    async fn run(self, client: &Client) -> Result<Done, CommandError> {
        let user = client.input_user(self.user_id).await?;
        let invited = match follow_migration(client, self.chat) {
            ChatRef::BasicGroup(chat_id) => {
                client
                    .invoke(&tl::functions::messages::AddChatUser {
                        chat_id,
                        user_id: user,
                        fwd_limit: ADD_USER_FWD_LIMIT,
                    })
                    .await?
            }
            ChatRef::Channel(channel_id) => {
                client
                    .invoke(&tl::functions::channels::InviteToChannel {
                        channel: input_channel(client, channel_id).await?,
                        users: vec![user],
                    })
                    .await?
            }
            ChatRef::User(_) => return Err(CommandError::invalid("chat_id is a user")),
        };
        let missing = missing_of(&invited);
        let tl::enums::messages::InvitedUsers::Users(invited) = invited;
        remember_updates(client, &invited.updates).await?;
        if missing.contains(&self.user_id) {
            return Err(CommandError::failed_after_send(USER_PRIVACY_RESTRICTED));
        }
        Ok(Done::default())
    }
}

impl Command for ChatDelUser {
    const ACTION: &'static str = "chat_del_user";
    const SPEC: SpecRef = SpecRef::tg_cli("peer.chat_del_user");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::DeleteChatUser>("messages.deleteChatUser");
    type Json = ChatMemberJson;
    type Response = Done;

    fn validate(json: ChatMemberJson) -> Result<Self, CommandError> {
        let (chat, user_id) = member_request(&json, "chat_del_user")?;
        Ok(Self { chat, user_id })
    }

    fn sample() -> Value {
        json!({"chat_id": -4_000_001, "user_id": "$FRIEND"})
    }

    async fn run(self, client: &Client) -> Result<Done, CommandError> {
        let updates = match follow_migration(client, self.chat) {
            ChatRef::BasicGroup(chat_id) => {
                let user = client.input_user(self.user_id).await?;
                client
                    .invoke(&tl::functions::messages::DeleteChatUser {
                        revoke_history: false,
                        chat_id,
                        user_id: user,
                    })
                    .await?
            }
            ChatRef::Channel(channel_id) if self.user_id == client.self_id().await? => {
                client
                    .invoke(&tl::functions::channels::LeaveChannel {
                        channel: input_channel(client, channel_id).await?,
                    })
                    .await?
            }
            ChatRef::Channel(channel_id) => {
                let participant = client.input_peer_user(self.user_id).await?;
                client
                    .invoke(&tl::functions::channels::EditBanned {
                        channel: input_channel(client, channel_id).await?,
                        participant,
                        banned_rights: banned_for_good(),
                    })
                    .await?
            }
            ChatRef::User(_) => return Err(CommandError::invalid("chat_id is a user")),
        };
        remember_updates(client, &updates).await?;
        Ok(Done::default())
    }
}

/// `chatBannedRights` that remove a member for good (`view_messages`, no
/// end date).
fn banned_for_good() -> tl::enums::ChatBannedRights {
    tl::types::ChatBannedRights {
        view_messages: true,
        send_messages: true,
        send_media: true,
        send_stickers: true,
        send_gifs: true,
        send_games: true,
        send_inline: true,
        embed_links: true,
        send_polls: true,
        change_info: true,
        invite_users: true,
        pin_messages: true,
        manage_topics: true,
        send_photos: true,
        send_videos: true,
        send_roundvideos: true,
        send_audios: true,
        send_voices: true,
        send_docs: true,
        send_plain: true,
        edit_rank: true,
        send_reactions: true,
        manage_linked_peers: true,
        until_date: 0,
    }
    .into()
}

// ---------------------------------------------------------------------------
// import_chat_link

/// `tgl.import_chat_link(link)`: joins a group or channel by its invite
/// link. `messages.checkChatInvite` first (so a chat the account is in
/// already is an outcome, not an error), then `messages.importChatInvite`.
///
/// ```json
/// {"action": "import_chat_link", "userbot_id": 1, "link": "https://t.me/+AbCdEf012345"}
/// ```
///
/// Accepted forms: `https://t.me/+HASH`, `t.me/joinchat/HASH` (with or
/// without `https://`, also on `telegram.me`), `tg://join?invite=HASH` and
/// the bare hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportChatLink {
    hash: String,
}

/// The JSON form of [`ImportChatLink`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ImportChatLinkJson {
    /// The invite link.
    pub link: Option<String>,
}

/// How `import_chat_link` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinOutcome {
    /// The account joined the chat.
    Joined,
    /// The account was a member already; nothing changed.
    AlreadyParticipant,
    /// The link needs an admin's approval: a join request was sent
    /// (Telegram's `INVITE_REQUEST_SENT`).
    RequestSent,
}

/// What `import_chat_link` answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "@type", rename = "chat_link_imported")]
pub struct ChatLinkImported {
    /// How it ended.
    pub outcome: JoinOutcome,
    /// The chat's title, as the link shows it.
    pub title: String,
    /// The chat, once the account is in it (`None` for a join request).
    pub chat: Option<Peer>,
}

/// The hash of an invite link in any of its forms.
pub fn invite_hash(link: &str) -> Result<String, CommandError> {
    let trimmed = link.trim();
    let refused = || {
        let shown: String = trimmed.chars().take(200).collect();
        CommandError::invalid(format!("link is not an invite link: {shown}"))
    };
    let hash = if let Some(query) = trimmed.strip_prefix("tg://join?") {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("invite="))
            .ok_or_else(refused)?
    } else {
        let without_scheme = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"))
            .unwrap_or(trimmed);
        let path = ["t.me/", "telegram.me/", "telegram.dog/"]
            .iter()
            .find_map(|host| without_scheme.strip_prefix(host));
        match path {
            Some(path) => path
                .strip_prefix('+')
                .or_else(|| path.strip_prefix("joinchat/"))
                .ok_or_else(refused)?,
            None if without_scheme == trimmed => trimmed,
            None => return Err(refused()),
        }
    };
    let hash = hash.trim_end_matches('/');
    let well_formed = !hash.is_empty()
        && hash.len() <= 64
        && hash
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !well_formed {
        return Err(refused());
    }
    Ok(hash.to_string())
}

impl ImportChatLink {
    /// Joins by `link`.
    pub fn new(link: &str) -> Result<Self, CommandError> {
        Ok(Self {
            hash: invite_hash(link)?,
        })
    }
}

fn invite_title(invite: &tl::enums::ChatInvite) -> String {
    match invite {
        tl::enums::ChatInvite::Invite(i) => i.title.clone(),
        tl::enums::ChatInvite::Already(a) => chat_title_of(&a.chat),
        tl::enums::ChatInvite::Peek(p) => chat_title_of(&p.chat),
    }
}

fn chat_title_of(chat: &tl::enums::Chat) -> String {
    match chat {
        tl::enums::Chat::Chat(c) => c.title.clone(),
        tl::enums::Chat::Forbidden(c) => c.title.clone(),
        tl::enums::Chat::Channel(c) => c.title.clone(),
        tl::enums::Chat::ChannelForbidden(c) => c.title.clone(),
        _ => String::new(),
    }
}

fn chat_ref_of_chat(chat: &tl::enums::Chat) -> Option<ChatRef> {
    match chat {
        tl::enums::Chat::Chat(c) => Some(ChatRef::BasicGroup(c.id)),
        tl::enums::Chat::Forbidden(c) => Some(ChatRef::BasicGroup(c.id)),
        tl::enums::Chat::Channel(c) => Some(ChatRef::Channel(c.id)),
        tl::enums::Chat::ChannelForbidden(c) => Some(ChatRef::Channel(c.id)),
        _ => None,
    }
}

impl Command for ImportChatLink {
    const ACTION: &'static str = "import_chat_link";
    const SPEC: SpecRef = SpecRef::tg_cli("tgl.import_chat_link");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::CheckChatInvite>("messages.checkChatInvite");
    type Json = ImportChatLinkJson;
    type Response = ChatLinkImported;

    fn validate(json: ImportChatLinkJson) -> Result<Self, CommandError> {
        let link = json
            .link
            .ok_or_else(|| CommandError::invalid("link is required"))?;
        Self::new(&link)
    }

    fn sample() -> Value {
        json!({"link": "https://t.me/+AbCdEf012345"})
    }

    async fn run(self, client: &Client) -> Result<ChatLinkImported, CommandError> {
        let invite = client
            .invoke(&tl::functions::messages::CheckChatInvite {
                hash: self.hash.clone(),
            })
            .await?;
        let title = invite_title(&invite);
        if let tl::enums::ChatInvite::Already(already) = &invite {
            client
                .remember_chats(std::slice::from_ref(&already.chat))
                .await?;
            let chat = chat_ref_of_chat(&already.chat)
                .ok_or_else(|| protocol("chatInviteAlready names no chat"))?;
            let directory = directory(client, &[], std::slice::from_ref(&already.chat), []).await?;
            return Ok(ChatLinkImported {
                outcome: JoinOutcome::AlreadyParticipant,
                title,
                chat: Some(directory.peer(chat)),
            });
        }
        let joined = client
            .invoke(&tl::functions::messages::ImportChatInvite { hash: self.hash })
            .await;
        let updates = match joined {
            Ok(tl::enums::messages::ChatInviteJoinResult::Ok(joined)) => joined.updates,
            Ok(tl::enums::messages::ChatInviteJoinResult::WebView(_)) => {
                return Err(CommandError::Unavailable(
                    "the link needs a paid subscription, which tgcmd does not support".into(),
                ));
            }
            Err(error) => {
                let error = CommandError::Failed(error);
                return match error.message().as_str() {
                    "INVITE_REQUEST_SENT" => Ok(ChatLinkImported {
                        outcome: JoinOutcome::RequestSent,
                        title,
                        chat: None,
                    }),
                    _ => Err(error),
                };
            }
        };
        let (_, _, chats) = chat_access::updates_parts(&updates);
        let chat = chats
            .iter()
            .find_map(chat_ref_of_chat)
            .ok_or_else(|| protocol("importChatInvite's answer names no chat"))?;
        Ok(ChatLinkImported {
            outcome: JoinOutcome::Joined,
            title,
            chat: Some(chat_peer(client, &updates, chat).await?),
        })
    }
}

// ---------------------------------------------------------------------------
// set_profile_photo

/// `tgl.set_profile_photo(file_path)`: uploads a picture through the
/// transfer engine and makes it the account's profile photo
/// (`photos.uploadProfilePhoto`).
///
/// ```json
/// {"action": "set_profile_photo", "userbot_id": 1, "file_path": "/tmp/me.jpg"}
/// ```
///
/// The file is checked first (it exists, is not empty, is an image by its
/// magic bytes, at most 10 MiB); otherwise nothing is uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetProfilePhoto {
    file: PathBuf,
}

/// The JSON form of [`SetProfilePhoto`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SetProfilePhotoJson {
    /// The picture's path.
    pub file_path: Option<String>,
}

impl SetProfilePhoto {
    /// Sets the picture at `file` as the profile photo.
    pub fn new(file: impl AsRef<Path>) -> Self {
        Self {
            file: file.as_ref().to_path_buf(),
        }
    }
}

impl Command for SetProfilePhoto {
    const ACTION: &'static str = "set_profile_photo";
    const SPEC: SpecRef = SpecRef::tg_cli("tgl.set_profile_photo");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::upload::SaveFilePart>("upload.saveFilePart");
    type Json = SetProfilePhotoJson;
    type Response = Done;

    fn validate(json: SetProfilePhotoJson) -> Result<Self, CommandError> {
        Ok(Self::new(path_field(json.file_path, "file_path")?))
    }

    fn sample() -> Value {
        json!({"file_path": "/tmp/me.jpg"})
    }

    async fn run(self, client: &Client) -> Result<Done, CommandError> {
        check_photo_file(&self.file).await?;
        let source = UploadSource::Path(self.file.clone());
        client
            .set_profile_photo(&source, UploadOptions::default())
            .await?;
        Ok(Done::default())
    }
}

pub(super) fn commands() -> Vec<CommandInfo> {
    vec![
        CommandInfo::of::<CreateGroupChat>(),
        CommandInfo::of::<RenameChat>(),
        CommandInfo::of::<ChatSetPhoto>(),
        CommandInfo::of::<ChatAddUser>(),
        CommandInfo::of::<ChatDelUser>(),
        CommandInfo::of::<ImportChatLink>(),
        CommandInfo::of::<SetProfilePhoto>(),
    ]
}

// ---------------------------------------------------------------------------
// Typed methods

/// An invite link [`Client::export_chat_link`] made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatLink {
    /// The link, `https://t.me/+HASH`.
    pub link: String,
    /// Unix time it stops working, if it does.
    pub expire_date: Option<i32>,
    /// How many may join through it, if limited.
    pub usage_limit: Option<i32>,
    /// Joining needs an admin's approval.
    pub request_needed: bool,
}

/// How a link made by [`Client::export_chat_link`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChatLinkOptions {
    /// Unix time it stops working.
    pub expire_date: Option<i32>,
    /// How many may join through it (1 to 99,999).
    pub usage_limit: Option<i32>,
    /// Joining needs an admin's approval (no usage limit then).
    pub request_needed: bool,
}

impl Client {
    /// Creates a basic group with `users` (see [`CreateGroupChat`]).
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// let created = client.create_group_chat(&[111, 222], "Team").await?;
    /// assert!(created.missing_invitees.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn create_group_chat(
        &self,
        users: &[i64],
        name: &str,
    ) -> Result<GroupChatCreated, CommandError> {
        self.run(CreateGroupChat::new(users, name)?).await
    }

    /// Creates a supergroup with `users` (see [`CreateGroupChat`]; the
    /// backend's `create_supergroup_chat` makes one without members).
    pub async fn create_supergroup_with_users(
        &self,
        users: &[i64],
        name: &str,
    ) -> Result<GroupChatCreated, CommandError> {
        self.run(CreateGroupChat::new(users, name)?.supergroup())
            .await
    }

    /// Renames a group or channel (see [`RenameChat`]).
    pub async fn rename_chat(&self, chat_id: i64, new_name: &str) -> Result<Done, CommandError> {
        self.run(RenameChat::new(chat_id, new_name)?).await
    }

    /// Sets a group's or channel's photo (see [`ChatSetPhoto`]).
    pub async fn chat_set_photo(
        &self,
        chat_id: i64,
        file: impl AsRef<Path>,
    ) -> Result<Msg, CommandError> {
        self.run(ChatSetPhoto::new(chat_id, file)?).await
    }

    /// Adds a user to a group or channel (see [`ChatAddUser`]).
    pub async fn chat_add_user(&self, chat_id: i64, user_id: i64) -> Result<Done, CommandError> {
        self.run(ChatAddUser::new(chat_id, user_id)?).await
    }

    /// Removes a user from a group or channel (see [`ChatDelUser`]).
    pub async fn chat_del_user(&self, chat_id: i64, user_id: i64) -> Result<Done, CommandError> {
        self.run(ChatDelUser::new(chat_id, user_id)?).await
    }

    /// Joins a chat by its invite link (see [`ImportChatLink`]).
    pub async fn import_chat_link(&self, link: &str) -> Result<ChatLinkImported, CommandError> {
        self.run(ImportChatLink::new(link)?).await
    }

    /// Makes a new invite link of a group or channel the account
    /// administers (`messages.exportChatInvite`).
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// use tgcmd::commands::chats::ChatLinkOptions;
    /// let link = client.export_chat_link(-4000001, ChatLinkOptions::default()).await?;
    /// println!("{}", link.link);
    /// # Ok(()) }
    /// ```
    pub async fn export_chat_link(
        &self,
        chat_id: i64,
        options: ChatLinkOptions,
    ) -> Result<ChatLink, CommandError> {
        let chat = group_ref(chat_id, "export_chat_link")?;
        if options
            .usage_limit
            .is_some_and(|l| !(1..=99_999).contains(&l))
        {
            return Err(CommandError::invalid(
                "usage_limit must be between 1 and 99999",
            ));
        }
        if options.request_needed && options.usage_limit.is_some() {
            return Err(CommandError::invalid(
                "a link that needs approval cannot have a usage limit",
            ));
        }
        let peer = chat_access::input_peer(self, chat).await?;
        let exported = self
            .invoke(&tl::functions::messages::ExportChatInvite {
                legacy_revoke_permanent: false,
                request_needed: options.request_needed,
                peer,
                expire_date: options.expire_date,
                usage_limit: options.usage_limit,
                title: None,
                subscription_pricing: None,
            })
            .await?;
        match exported {
            tl::enums::ExportedChatInvite::ChatInviteExported(invite) => Ok(ChatLink {
                link: invite.link,
                expire_date: invite.expire_date,
                usage_limit: invite.usage_limit,
                request_needed: invite.request_needed,
            }),
            _ => Err(protocol("exportChatInvite answered no link")),
        }
    }

    /// Revokes an invite link made by [`Client::export_chat_link`]
    /// (`messages.editExportedChatInvite` with `revoked`).
    pub async fn revoke_chat_link(&self, chat_id: i64, link: &str) -> Result<Done, CommandError> {
        let chat = group_ref(chat_id, "revoke_chat_link")?;
        let peer = chat_access::input_peer(self, chat).await?;
        self.invoke(&tl::functions::messages::EditExportedChatInvite {
            revoked: true,
            peer,
            link: link.to_string(),
            expire_date: None,
            usage_limit: None,
            request_needed: None,
            title: None,
        })
        .await?;
        Ok(Done::default())
    }

    /// Upgrades a basic group the account created to a supergroup
    /// (`messages.migrateChat`); returns the supergroup's TDLib chat id.
    /// Later calls naming the old group go to the supergroup.
    pub async fn migrate_chat(&self, chat_id: i64) -> Result<i64, CommandError> {
        let ChatRef::BasicGroup(group) = group_ref(chat_id, "migrate_chat")? else {
            return Err(CommandError::invalid(
                "chat_id is a channel: only basic groups are migrated",
            ));
        };
        let updates = self
            .invoke(&tl::functions::messages::MigrateChat { chat_id: group })
            .await?;
        remember_updates(self, &updates).await?;
        self.migrated_to(group)
            .map(|channel| ChatRef::Channel(channel).chat_id())
            .ok_or_else(|| protocol("migrateChat's answer names no supergroup"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_links_are_read_in_every_form() {
        for link in [
            "https://t.me/+AbC_d-9",
            "http://t.me/+AbC_d-9",
            "t.me/+AbC_d-9",
            "https://t.me/joinchat/AbC_d-9",
            "t.me/joinchat/AbC_d-9/",
            "https://telegram.me/joinchat/AbC_d-9",
            "tg://join?invite=AbC_d-9",
            "  AbC_d-9  ",
        ] {
            assert_eq!(invite_hash(link).expect(link), "AbC_d-9", "{link}");
        }
        for link in [
            "",
            "https://t.me/durov",
            "https://example.com/+AbC",
            "tg://join?other=1",
            "hash with spaces",
            "https://t.me/+",
            "t.me/+ab$cd",
        ] {
            let error = invite_hash(link).expect_err(link);
            assert!(
                error.message().starts_with("link is not an invite link"),
                "{link}: {}",
                error.message()
            );
        }
    }

    #[test]
    fn group_requests_are_checked_before_anything_is_sent() {
        let refused = |r: Result<CreateGroupChat, CommandError>| r.expect_err("refused").message();
        assert_eq!(
            refused(CreateGroupChat::new(&[5], "Team")),
            "peer_list must name at least 2 users"
        );
        assert_eq!(
            refused(CreateGroupChat::new(&[5, 5], "Team")),
            "peer_list must name at least 2 users"
        );
        assert_eq!(
            refused(CreateGroupChat::new(&[5, -4_000_001], "Team")),
            "peer_list must name users only: -4000001 is a group or channel"
        );
        assert_eq!(
            refused(CreateGroupChat::new(&[5, 6], " \u{200b} ")),
            "name must not be empty"
        );
        let long = "x".repeat(300);
        let created = CreateGroupChat::new(&[5, 6, 5], &long).expect("valid");
        assert_eq!(created.users, vec![5, 6]);
        assert_eq!(created.title.chars().count(), limits::TITLE_MAX);
        assert_eq!(
            RenameChat::new(5, "x").expect_err("user").message(),
            "chat_id is a user: rename_chat needs a basic group or a channel"
        );
        assert_eq!(
            ChatAddUser::new(-4_000_001, -4_000_002)
                .expect_err("group")
                .message(),
            "user_id is a group or channel: only users can be members"
        );
    }
}
