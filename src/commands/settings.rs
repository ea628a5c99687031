//! The sessions & privacy group (`shared/spec/commands-sessions-privacy.txt`).
//!
//! Errors decided locally use TDLib's words where TDLib decides the same
//! (`Can't block self`, `Parameter offset must be non-negative`, `Parameter
//! limit must be positive`) and the spec's strings otherwise.

use grammers_tl_types as tl;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::ids::{self, ChatRef};
use super::td;
use super::{Command, CommandError, CommandInfo, Method, SpecRef};
use crate::client::Client;

const CURRENT_SESSION_ERROR: &str = "current session can't be terminated via terminate_session";
const UNSUPPORTED_SETTING: &str = "unsupported privacy setting";
const BAD_BLOCK_LIST: &str = "block_list must be a TDLib block list type";
const BAD_MODE: &str = "mode must be one of: all, contacts, nobody";
/// The pseudo-setting for who may start new chats (global privacy settings).
const NEW_CHAT_SETTING: &str = "newChatPrivacySettings";

/// A session id: a number, a numeric string, or `"current"`.
fn session_id(value: Option<&Value>) -> Result<i64, CommandError> {
    match value {
        None | Some(Value::Null) => Err(CommandError::invalid("session_id is required")),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("current") => Ok(0),
        Some(value) => ids::id_from_value(value)
            .ok_or_else(|| CommandError::invalid("session_id must be an integer")),
    }
}

// ---------------------------------------------------------------------------
// Sessions

/// `get_active_sessions`: the account's sessions (`account.getAuthorizations`),
/// current first, then those waiting for a password, then by last activity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GetActiveSessions {}

impl Command for GetActiveSessions {
    const ACTION: &'static str = "get_active_sessions";
    const SPEC: SpecRef = SpecRef::sessions_privacy("Command: get_active_sessions");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::account::GetAuthorizations>("account.getAuthorizations");
    type Json = Self;
    type Response = td::Sessions;

    fn validate(json: Self) -> Result<Self, CommandError> {
        Ok(json)
    }

    fn sample() -> Value {
        json!({})
    }

    async fn run(self, client: &Client) -> Result<td::Sessions, CommandError> {
        let tl::enums::account::Authorizations::Authorizations(list) = client
            .invoke(&tl::functions::account::GetAuthorizations {})
            .await?;
        let mut sessions: Vec<td::Session> = list
            .authorizations
            .iter()
            .map(td::Session::from_tl)
            .collect();
        sessions.sort_by_key(|s| {
            (
                !s.is_current,
                !s.is_password_pending,
                std::cmp::Reverse(s.last_active_date),
            )
        });
        Ok(td::Sessions {
            sessions,
            inactive_session_ttl_days: list.authorization_ttl_days,
        })
    }
}

/// `terminate_session`: ends another session (`account.resetAuthorization`).
/// The current session (id 0 or `"current"`) is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminateSession {
    session_id: i64,
}

/// The JSON form of [`TerminateSession`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TerminateSessionJson {
    /// The session to end: its id (number or string of digits); `0`/`"current"` is refused.
    pub session_id: Option<Value>,
}

impl TerminateSession {
    /// The request; the current session (0) is refused.
    pub fn new(session_id: i64) -> Result<Self, CommandError> {
        if session_id == 0 {
            return Err(CommandError::invalid(CURRENT_SESSION_ERROR));
        }
        Ok(Self { session_id })
    }
}

impl Command for TerminateSession {
    const ACTION: &'static str = "terminate_session";
    const SPEC: SpecRef = SpecRef::sessions_privacy("Command: terminate_session");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::account::ResetAuthorization>("account.resetAuthorization");
    type Json = TerminateSessionJson;
    type Response = td::Done;

    fn validate(json: TerminateSessionJson) -> Result<Self, CommandError> {
        Self::new(session_id(json.session_id.as_ref())?)
    }

    fn sample() -> Value {
        json!({"session_id": 12345})
    }

    async fn run(self, client: &Client) -> Result<td::Done, CommandError> {
        client
            .invoke(&tl::functions::account::ResetAuthorization {
                hash: self.session_id,
            })
            .await?;
        Ok(td::Done::new())
    }
}

/// `set_session_settings`: whether a session accepts calls and secret chats
/// (`account.changeAuthorizationSettings`, only the flags given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetSessionSettings {
    session_id: i64,
    can_accept_calls: Option<bool>,
    can_accept_secret_chats: Option<bool>,
}

/// The JSON form of [`SetSessionSettings`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SetSessionSettingsJson {
    /// The session to change: its id (number or string of digits), or `0`/`"current"` for this one.
    pub session_id: Option<Value>,
    /// Whether the session may accept incoming calls; unchanged if `None`.
    pub can_accept_calls: Option<bool>,
    /// Whether the session may accept incoming secret chats; unchanged if `None`.
    pub can_accept_secret_chats: Option<bool>,
}

impl SetSessionSettings {
    /// The request; at least one of the two settings must be given.
    pub fn new(
        session_id: i64,
        can_accept_calls: Option<bool>,
        can_accept_secret_chats: Option<bool>,
    ) -> Result<Self, CommandError> {
        if can_accept_calls.is_none() && can_accept_secret_chats.is_none() {
            return Err(CommandError::invalid(
                "at least one of can_accept_calls or can_accept_secret_chats is required",
            ));
        }
        Ok(Self {
            session_id,
            can_accept_calls,
            can_accept_secret_chats,
        })
    }
}

impl Command for SetSessionSettings {
    const ACTION: &'static str = "set_session_settings";
    const SPEC: SpecRef = SpecRef::sessions_privacy("Command: set_session_settings");
    const FIRST_METHOD: Method = Method::of::<tl::functions::account::ChangeAuthorizationSettings>(
        "account.changeAuthorizationSettings",
    );
    type Json = SetSessionSettingsJson;
    type Response = td::Done;

    fn validate(json: SetSessionSettingsJson) -> Result<Self, CommandError> {
        Self::new(
            session_id(json.session_id.as_ref())?,
            json.can_accept_calls,
            json.can_accept_secret_chats,
        )
    }

    fn sample() -> Value {
        json!({"session_id": 12345, "can_accept_calls": false})
    }

    async fn run(self, client: &Client) -> Result<td::Done, CommandError> {
        client
            .invoke(&tl::functions::account::ChangeAuthorizationSettings {
                confirmed: false,
                hash: self.session_id,
                encrypted_requests_disabled: self.can_accept_secret_chats.map(|can| !can),
                call_requests_disabled: self.can_accept_calls.map(|can| !can),
            })
            .await?;
        Ok(td::Done::new())
    }
}

/// `terminate_all_other_sessions` (`auth.resetAuthorizations`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TerminateAllOtherSessions {}

impl Command for TerminateAllOtherSessions {
    const ACTION: &'static str = "terminate_all_other_sessions";
    const SPEC: SpecRef = SpecRef::sessions_privacy("Command: terminate_all_other_sessions");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::auth::ResetAuthorizations>("auth.resetAuthorizations");
    type Json = Self;
    type Response = td::Done;

    fn validate(json: Self) -> Result<Self, CommandError> {
        Ok(json)
    }

    fn sample() -> Value {
        json!({})
    }

    async fn run(self, client: &Client) -> Result<td::Done, CommandError> {
        client
            .invoke(&tl::functions::auth::ResetAuthorizations {})
            .await?;
        Ok(td::Done::new())
    }
}

// ---------------------------------------------------------------------------
// Block lists

pub use super::td::BlockList;

impl BlockList {
    /// Parses `"blockListMain"`, `{"@type": "blockListStories"}`, or nothing (main).
    fn parse(value: Option<&Value>) -> Result<Self, CommandError> {
        let name = match value {
            None | Some(Value::Null) => return Ok(BlockList::Main),
            Some(Value::String(name)) => name.as_str(),
            Some(Value::Object(object)) => match object.get("@type") {
                Some(Value::String(name)) => name.as_str(),
                _ => return Err(CommandError::invalid(BAD_BLOCK_LIST)),
            },
            Some(_) => return Err(CommandError::invalid(BAD_BLOCK_LIST)),
        };
        match name {
            "blockListMain" => Ok(BlockList::Main),
            "blockListStories" => Ok(BlockList::Stories),
            _ => Err(CommandError::invalid(BAD_BLOCK_LIST)),
        }
    }

    /// `my_stories_from` of the MTProto calls.
    fn stories(self) -> bool {
        self == BlockList::Stories
    }
}

/// TDLib's answer to blocking the account itself.
pub const CANT_BLOCK_SELF: &str = "Can't block self";

async fn set_blocked(
    client: &Client,
    user_id: i64,
    blocked: bool,
    list: BlockList,
) -> Result<td::Done, CommandError> {
    if blocked && user_id == client.self_id().await? {
        return Err(CommandError::invalid(CANT_BLOCK_SELF));
    }
    let id = client.input_peer_user(user_id).await?;
    let my_stories_from = list.stories();
    if blocked {
        client
            .invoke(&tl::functions::contacts::Block {
                my_stories_from,
                id,
            })
            .await?;
    } else {
        client
            .invoke(&tl::functions::contacts::Unblock {
                my_stories_from,
                id,
            })
            .await?;
    }
    Ok(td::Done::new())
}

/// `block_user`: blocks (or, with `is_blocked: false`, unblocks) a user in
/// the main or stories block list (`contacts.block` / `contacts.unblock`).
///
/// Blocking the account itself is `Can't block self`, as in TDLib. That
/// check needs the account's own id, which the client asks Telegram for
/// once (`users.getUsers`) if it does not know it yet; nothing else is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockUser {
    user_id: i64,
    blocked: bool,
    list: BlockList,
}

/// The JSON form of [`BlockUser`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlockUserJson {
    /// The user to block or unblock (number or string of digits); required.
    pub user_id: Option<Value>,
    /// `false` unblocks; blocks when absent.
    pub is_blocked: Option<bool>,
    /// `blockListMain` (the default) or `blockListStories`, as a name or an `{"@type": …}` object.
    pub block_list: Option<Value>,
}

impl BlockUser {
    /// Blocks (`blocked`) or unblocks `user_id` in `list`.
    pub fn new(user_id: i64, blocked: bool, list: BlockList) -> Self {
        Self {
            user_id,
            blocked,
            list,
        }
    }
}

impl Command for BlockUser {
    const ACTION: &'static str = "block_user";
    const SPEC: SpecRef = SpecRef::sessions_privacy("Command: block_user");
    const FIRST_METHOD: Method = Method::of::<tl::functions::contacts::Block>("contacts.block");
    type Json = BlockUserJson;
    type Response = td::Done;

    fn validate(json: BlockUserJson) -> Result<Self, CommandError> {
        let user_id = ids::required_id(json.user_id.as_ref(), "user_id")?;
        let list = BlockList::parse(json.block_list.as_ref())?;
        Ok(Self::new(user_id, json.is_blocked.unwrap_or(true), list))
    }

    fn sample() -> Value {
        json!({"user_id": "$FRIEND"})
    }

    async fn run(self, client: &Client) -> Result<td::Done, CommandError> {
        set_blocked(client, self.user_id, self.blocked, self.list).await
    }
}

/// `unblock_user` (`contacts.unblock`, main list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnblockUser {
    user_id: i64,
}

/// The JSON form of [`UnblockUser`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UnblockUserJson {
    /// The user to unblock (number or string of digits); required.
    pub user_id: Option<Value>,
}

impl UnblockUser {
    /// Unblocks `user_id` in the main list.
    pub fn new(user_id: i64) -> Self {
        Self { user_id }
    }
}

impl Command for UnblockUser {
    const ACTION: &'static str = "unblock_user";
    const SPEC: SpecRef = SpecRef::sessions_privacy("Command: unblock_user");
    const FIRST_METHOD: Method = Method::of::<tl::functions::contacts::Unblock>("contacts.unblock");
    type Json = UnblockUserJson;
    type Response = td::Done;

    fn validate(json: UnblockUserJson) -> Result<Self, CommandError> {
        Ok(Self::new(ids::required_id(
            json.user_id.as_ref(),
            "user_id",
        )?))
    }

    fn sample() -> Value {
        json!({"user_id": "$FRIEND"})
    }

    async fn run(self, client: &Client) -> Result<td::Done, CommandError> {
        set_blocked(client, self.user_id, false, BlockList::Main).await
    }
}

/// `get_blocked_users` (`contacts.getBlocked`), as `messageSenders`.
///
/// `offset` defaults to 0 and `limit` to 50; TDLib's words for bad ones:
/// `Parameter offset must be non-negative`, `Parameter limit must be
/// positive`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetBlockedUsers {
    list: BlockList,
    offset: i32,
    limit: i32,
}

/// The JSON form of [`GetBlockedUsers`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GetBlockedUsersJson {
    /// Which list to read: `blockListMain` (the default) or `blockListStories`.
    pub block_list: Option<Value>,
    /// How many blocked users to skip; 0 when absent.
    pub offset: Option<i32>,
    /// How many to return at most; 50 when absent.
    pub limit: Option<i32>,
}

impl GetBlockedUsers {
    /// `limit` blocked users of `list`, from `offset`.
    pub fn new(list: BlockList, offset: i32, limit: i32) -> Result<Self, CommandError> {
        if offset < 0 {
            return Err(CommandError::invalid(
                "Parameter offset must be non-negative",
            ));
        }
        if limit <= 0 {
            return Err(CommandError::invalid("Parameter limit must be positive"));
        }
        Ok(Self {
            list,
            offset,
            limit,
        })
    }
}

impl Command for GetBlockedUsers {
    const ACTION: &'static str = "get_blocked_users";
    const SPEC: SpecRef = SpecRef::sessions_privacy("Command: get_blocked_users");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::contacts::GetBlocked>("contacts.getBlocked");
    type Json = GetBlockedUsersJson;
    type Response = td::MessageSenders;

    fn validate(json: GetBlockedUsersJson) -> Result<Self, CommandError> {
        Self::new(
            BlockList::parse(json.block_list.as_ref())?,
            json.offset.unwrap_or(0),
            json.limit.unwrap_or(50),
        )
    }

    fn sample() -> Value {
        json!({})
    }

    async fn run(self, client: &Client) -> Result<td::MessageSenders, CommandError> {
        let answer = client
            .invoke(&tl::functions::contacts::GetBlocked {
                my_stories_from: self.list.stories(),
                offset: self.offset,
                limit: self.limit,
            })
            .await?;
        let (total, blocked, users, chats) = match answer {
            tl::enums::contacts::Blocked::Blocked(b) => (
                i32::try_from(b.blocked.len()).unwrap_or(i32::MAX),
                b.blocked,
                b.users,
                b.chats,
            ),
            tl::enums::contacts::Blocked::Slice(b) => (b.count, b.blocked, b.users, b.chats),
        };
        client.remember_users(&users).await?;
        client.remember_chats(&chats).await?;
        let senders = blocked
            .iter()
            .map(|tl::enums::PeerBlocked::Blocked(b)| sender(&b.peer_id))
            .collect();
        Ok(td::MessageSenders {
            total_count: total,
            senders,
        })
    }
}

fn sender(peer: &tl::enums::Peer) -> td::MessageSender {
    match peer {
        tl::enums::Peer::User(u) => td::MessageSender::User { user_id: u.user_id },
        tl::enums::Peer::Chat(c) => td::MessageSender::Chat {
            chat_id: ChatRef::BasicGroup(c.chat_id).chat_id(),
        },
        tl::enums::Peer::Channel(c) => td::MessageSender::Chat {
            chat_id: ChatRef::Channel(c.channel_id).chat_id(),
        },
    }
}

// ---------------------------------------------------------------------------
// Privacy

/// The privacy settings TDLib names, with the MTProto key of each.
const PRIVACY_KEYS: &[(&str, tl::enums::InputPrivacyKey)] = &[
    (
        "userPrivacySettingShowStatus",
        tl::enums::InputPrivacyKey::StatusTimestamp,
    ),
    (
        "userPrivacySettingAllowChatInvites",
        tl::enums::InputPrivacyKey::ChatInvite,
    ),
    (
        "userPrivacySettingAllowCalls",
        tl::enums::InputPrivacyKey::PhoneCall,
    ),
    (
        "userPrivacySettingAllowPeerToPeerCalls",
        tl::enums::InputPrivacyKey::PhoneP2P,
    ),
    (
        "userPrivacySettingShowLinkInForwardedMessages",
        tl::enums::InputPrivacyKey::Forwards,
    ),
    (
        "userPrivacySettingShowProfilePhoto",
        tl::enums::InputPrivacyKey::ProfilePhoto,
    ),
    (
        "userPrivacySettingShowPhoneNumber",
        tl::enums::InputPrivacyKey::PhoneNumber,
    ),
    (
        "userPrivacySettingAllowFindingByPhoneNumber",
        tl::enums::InputPrivacyKey::AddedByPhone,
    ),
    (
        "userPrivacySettingAllowPrivateVoiceAndVideoNoteMessages",
        tl::enums::InputPrivacyKey::VoiceMessages,
    ),
    (
        "userPrivacySettingShowBio",
        tl::enums::InputPrivacyKey::About,
    ),
    (
        "userPrivacySettingShowBirthdate",
        tl::enums::InputPrivacyKey::Birthday,
    ),
];

/// A privacy setting the commands understand.
#[derive(Debug, Clone, PartialEq)]
pub enum PrivacySetting {
    /// One of the `userPrivacySetting*` keys.
    User {
        /// The TDLib name, e.g. `userPrivacySettingShowStatus`.
        name: &'static str,
        /// The MTProto key the setting maps to.
        key: tl::enums::InputPrivacyKey,
    },
    /// `newChatPrivacySettings`: who may start new chats.
    NewChats,
}

impl PrivacySetting {
    /// Parses a setting name or an object with `@type`.
    pub fn parse(value: &Value) -> Result<Self, CommandError> {
        let name = match value {
            Value::String(name) => name.as_str(),
            Value::Object(object) => match object.get("@type") {
                Some(Value::String(name)) => name.as_str(),
                _ => return Err(CommandError::invalid(UNSUPPORTED_SETTING)),
            },
            _ => return Err(CommandError::invalid(UNSUPPORTED_SETTING)),
        };
        if name == NEW_CHAT_SETTING {
            return Ok(PrivacySetting::NewChats);
        }
        PRIVACY_KEYS
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(name, key)| PrivacySetting::User {
                name,
                key: key.clone(),
            })
            .ok_or_else(|| CommandError::invalid(UNSUPPORTED_SETTING))
    }

    /// The TDLib name.
    pub fn name(&self) -> &'static str {
        match self {
            PrivacySetting::User { name, .. } => name,
            PrivacySetting::NewChats => NEW_CHAT_SETTING,
        }
    }

    /// Every supported setting: the `userPrivacySetting*` keys of the
    /// table above, then `newChatPrivacySettings`.
    pub fn all() -> Vec<PrivacySetting> {
        PRIVACY_KEYS
            .iter()
            .map(|(name, key)| PrivacySetting::User {
                name,
                key: key.clone(),
            })
            .chain([PrivacySetting::NewChats])
            .collect()
    }
}

pub use crate::td::privacy::{NewChatPrivacySettings, PrivacyRule, PrivacyRules, PrivacyValue};

/// Drops a trailing restrict-all: Telegram's lists end with one, TDLib's
/// don't (an empty list already means "nobody").
fn without_trailing_restrict_all(mut rules: Vec<PrivacyRule>) -> Vec<PrivacyRule> {
    while rules.last() == Some(&PrivacyRule::RestrictAll) {
        rules.pop();
    }
    rules
}

fn rules_from_tl(rules: &[tl::enums::PrivacyRule], chats: &[tl::enums::Chat]) -> PrivacyRules {
    use tl::enums::PrivacyRule as R;
    let is_channel = |id: i64| {
        chats
            .iter()
            .any(|c| matches!(c, tl::enums::Chat::Channel(ch) if ch.id == id))
    };
    let chat_ids = |bare: &[i64]| -> Vec<i64> {
        bare.iter()
            .map(|&id| {
                if is_channel(id) {
                    ChatRef::Channel(id).chat_id()
                } else {
                    ChatRef::BasicGroup(id).chat_id()
                }
            })
            .collect()
    };
    let converted = rules
        .iter()
        .filter_map(|rule| {
            Some(match rule {
                R::PrivacyValueAllowAll => PrivacyRule::AllowAll,
                R::PrivacyValueAllowContacts => PrivacyRule::AllowContacts,
                R::PrivacyValueAllowBots => PrivacyRule::AllowBots,
                R::PrivacyValueAllowPremium => PrivacyRule::AllowPremiumUsers,
                R::PrivacyValueAllowUsers(r) => PrivacyRule::AllowUsers {
                    user_ids: r.users.clone(),
                },
                R::PrivacyValueAllowChatParticipants(r) => PrivacyRule::AllowChatMembers {
                    chat_ids: chat_ids(&r.chats),
                },
                R::PrivacyValueDisallowAll => PrivacyRule::RestrictAll,
                R::PrivacyValueDisallowContacts => PrivacyRule::RestrictContacts,
                R::PrivacyValueDisallowBots => PrivacyRule::RestrictBots,
                R::PrivacyValueDisallowUsers(r) => PrivacyRule::RestrictUsers {
                    user_ids: r.users.clone(),
                },
                R::PrivacyValueDisallowChatParticipants(r) => PrivacyRule::RestrictChatMembers {
                    chat_ids: chat_ids(&r.chats),
                },
                // TDLib has no rule for close friends in these settings.
                R::PrivacyValueAllowCloseFriends => return None,
            })
        })
        .collect();
    PrivacyRules {
        rules: without_trailing_restrict_all(converted),
    }
}

/// The bare MTProto ids of TDLib chat ids (groups and channels only).
fn bare_chat_ids(chat_ids: &[i64]) -> Result<Vec<i64>, CommandError> {
    chat_ids
        .iter()
        .map(|&id| match ChatRef::from_chat_id(id) {
            Some(ChatRef::BasicGroup(bare) | ChatRef::Channel(bare)) => Ok(bare),
            _ => Err(CommandError::invalid(format!("chat {id} is not a group"))),
        })
        .collect()
}

async fn input_users(
    client: &Client,
    ids: &[i64],
) -> Result<Vec<tl::enums::InputUser>, CommandError> {
    let mut users = Vec::with_capacity(ids.len());
    for &id in ids {
        users.push(client.input_user(id).await?);
    }
    Ok(users)
}

async fn rules_to_tl(
    client: &Client,
    rules: Vec<PrivacyRule>,
) -> Result<Vec<tl::enums::InputPrivacyRule>, CommandError> {
    use tl::enums::InputPrivacyRule as I;
    let mut out = Vec::with_capacity(rules.len());
    for rule in without_trailing_restrict_all(rules) {
        out.push(match rule {
            PrivacyRule::AllowAll => I::InputPrivacyValueAllowAll,
            PrivacyRule::AllowContacts => I::InputPrivacyValueAllowContacts,
            PrivacyRule::AllowBots => I::InputPrivacyValueAllowBots,
            PrivacyRule::AllowPremiumUsers => I::InputPrivacyValueAllowPremium,
            PrivacyRule::AllowUsers { user_ids } => tl::types::InputPrivacyValueAllowUsers {
                users: input_users(client, &user_ids).await?,
            }
            .into(),
            PrivacyRule::AllowChatMembers { chat_ids } => {
                tl::types::InputPrivacyValueAllowChatParticipants {
                    chats: bare_chat_ids(&chat_ids)?,
                }
                .into()
            }
            PrivacyRule::RestrictAll => I::InputPrivacyValueDisallowAll,
            PrivacyRule::RestrictContacts => I::InputPrivacyValueDisallowContacts,
            PrivacyRule::RestrictBots => I::InputPrivacyValueDisallowBots,
            PrivacyRule::RestrictUsers { user_ids } => tl::types::InputPrivacyValueDisallowUsers {
                users: input_users(client, &user_ids).await?,
            }
            .into(),
            PrivacyRule::RestrictChatMembers { chat_ids } => {
                tl::types::InputPrivacyValueDisallowChatParticipants {
                    chats: bare_chat_ids(&chat_ids)?,
                }
                .into()
            }
        });
    }
    Ok(out)
}

async fn read_setting(
    client: &Client,
    setting: &PrivacySetting,
) -> Result<PrivacyValue, CommandError> {
    match setting {
        PrivacySetting::User { key, .. } => {
            let tl::enums::account::PrivacyRules::Rules(answer) = client
                .invoke(&tl::functions::account::GetPrivacy { key: key.clone() })
                .await?;
            client.remember_users(&answer.users).await?;
            client.remember_chats(&answer.chats).await?;
            Ok(PrivacyValue::Rules(rules_from_tl(
                &answer.rules,
                &answer.chats,
            )))
        }
        PrivacySetting::NewChats => {
            let tl::enums::GlobalPrivacySettings::Settings(settings) = client
                .invoke(&tl::functions::account::GetGlobalPrivacySettings {})
                .await?;
            Ok(PrivacyValue::NewChats(new_chat_settings(&settings)))
        }
    }
}

fn new_chat_settings(settings: &tl::types::GlobalPrivacySettings) -> NewChatPrivacySettings {
    NewChatPrivacySettings {
        allow_new_chats_from_unknown_users: !settings.new_noncontact_peers_require_premium,
        incoming_paid_message_star_count: settings.noncontact_peers_paid_stars.unwrap_or(0),
    }
}

/// `get_privacy_setting` (`account.getPrivacy`, or the global settings for
/// `newChatPrivacySettings`).
#[derive(Debug, Clone, PartialEq)]
pub struct GetPrivacySetting {
    setting: PrivacySetting,
}

/// The JSON form of [`GetPrivacySetting`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GetPrivacySettingJson {
    /// The setting to read: a TDLib name or an object with `@type`; required.
    pub setting: Option<Value>,
}

impl GetPrivacySetting {
    /// Reads `setting`.
    pub fn new(setting: PrivacySetting) -> Self {
        Self { setting }
    }
}

impl Command for GetPrivacySetting {
    const ACTION: &'static str = "get_privacy_setting";
    const SPEC: SpecRef = SpecRef::sessions_privacy("Command: get_privacy_setting");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::account::GetPrivacy>("account.getPrivacy");
    type Json = GetPrivacySettingJson;
    type Response = PrivacyValue;

    fn validate(json: GetPrivacySettingJson) -> Result<Self, CommandError> {
        Ok(Self::new(PrivacySetting::parse(
            json.setting.as_ref().unwrap_or(&Value::Null),
        )?))
    }

    fn sample() -> Value {
        json!({"setting": "userPrivacySettingShowBio"})
    }

    async fn run(self, client: &Client) -> Result<PrivacyValue, CommandError> {
        read_setting(client, &self.setting).await
    }
}

/// One entry of [`GetPrivacySettings`]' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrivacySettingValue {
    /// The setting's TDLib name.
    pub setting: &'static str,
    /// The setting's value.
    pub value: PrivacyValue,
}

/// What [`GetPrivacySettings`] answers: the settings read, and the names of
/// those that could not be read with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrivacySettings {
    /// The settings that were read.
    pub settings: Vec<PrivacySettingValue>,
    /// The settings that could not be read.
    pub failed: Vec<FailedSetting>,
}

/// A setting [`GetPrivacySettings`] could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedSetting {
    /// The setting's TDLib name.
    pub setting: &'static str,
    /// Why reading it failed.
    pub error: String,
}

/// `get_privacy_settings`: several settings, one `account.getPrivacy` per key.
/// Without `settings`, reads every supported one. Fails with
/// `failed to get privacy settings` only when none could be read.
#[derive(Debug, Clone, PartialEq)]
pub struct GetPrivacySettings {
    settings: Vec<PrivacySetting>,
}

/// The JSON form of [`GetPrivacySettings`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GetPrivacySettingsJson {
    /// The settings to read: a list of names (or `@type` objects), or one name; all supported ones when absent.
    pub settings: Option<Value>,
}

impl GetPrivacySettings {
    /// Reads `settings`, one request each.
    pub fn new(settings: Vec<PrivacySetting>) -> Self {
        Self { settings }
    }
}

impl Command for GetPrivacySettings {
    const ACTION: &'static str = "get_privacy_settings";
    const SPEC: SpecRef = SpecRef::sessions_privacy("Command: get_privacy_settings");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::account::GetPrivacy>("account.getPrivacy");
    type Json = GetPrivacySettingsJson;
    type Response = PrivacySettings;

    fn validate(json: GetPrivacySettingsJson) -> Result<Self, CommandError> {
        let settings = match &json.settings {
            None | Some(Value::Null) => PrivacySetting::all(),
            Some(Value::Array(items)) => items
                .iter()
                .map(PrivacySetting::parse)
                .collect::<Result<_, _>>()?,
            Some(item @ Value::String(_)) => vec![PrivacySetting::parse(item)?],
            Some(_) => return Err(CommandError::invalid("settings must be a list or string")),
        };
        Ok(Self::new(settings))
    }

    fn sample() -> Value {
        json!({"settings": ["userPrivacySettingShowBio"]})
    }

    async fn run(self, client: &Client) -> Result<PrivacySettings, CommandError> {
        read_settings(client, &self.settings).await
    }
}

/// Reads `wanted` one key at a time; a key that fails is listed in
/// `failed` with its error, and only when every key fails is the command an
/// error (`failed to get privacy settings`).
async fn read_settings(
    client: &Client,
    wanted: &[PrivacySetting],
) -> Result<PrivacySettings, CommandError> {
    let mut answer = PrivacySettings {
        settings: Vec::new(),
        failed: Vec::new(),
    };
    for setting in wanted {
        match read_setting(client, setting).await {
            Ok(value) => answer.settings.push(PrivacySettingValue {
                setting: setting.name(),
                value,
            }),
            Err(error) => answer.failed.push(FailedSetting {
                setting: setting.name(),
                error: error.message(),
            }),
        }
    }
    if answer.settings.is_empty() && !answer.failed.is_empty() {
        // Requests were sent, so this is not a validation error.
        return Err(CommandError::failed_after_send(
            "failed to get privacy settings",
        ));
    }
    Ok(answer)
}

/// What `set_privacy_setting` changes.
#[derive(Debug, Clone, PartialEq)]
enum PrivacyChange {
    /// New rules for a `userPrivacySetting*` key.
    Rules {
        key: tl::enums::InputPrivacyKey,
        rules: Vec<PrivacyRule>,
    },
    /// Whether non-contacts may start chats (`newChatPrivacySettings`).
    NewChats(bool),
}

/// `set_privacy_setting`: rules for a `userPrivacySetting*` from a `mode`
/// (`all`, `contacts`, `nobody`) with exceptions, or from raw `rules`; or,
/// for `newChatPrivacySettings`, whether unknown users may start chats.
///
/// Every rule is checked before anything is sent (a chat id that names no
/// group is `chat <id> is not a group`); the users a rule names are then
/// resolved, which may ask Telegram for a user the session never met.
#[derive(Debug, Clone, PartialEq)]
pub struct SetPrivacySetting {
    change: PrivacyChange,
}

/// The JSON form of [`SetPrivacySetting`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SetPrivacySettingJson {
    /// The setting to change: a TDLib name or an object with `@type`; required.
    pub setting: Option<Value>,
    /// The base rule: `"all"`, `"contacts"` or `"nobody"`; required unless `rules` is given.
    pub mode: Option<Value>,
    /// Users allowed despite `mode`.
    #[serde(deserialize_with = "ids::flexible_ids")]
    pub allow_user_ids: Vec<i64>,
    /// Users restricted despite `mode`.
    #[serde(deserialize_with = "ids::flexible_ids")]
    pub restrict_user_ids: Vec<i64>,
    /// TDLib chat ids of groups whose members are allowed despite `mode`.
    #[serde(deserialize_with = "ids::flexible_ids")]
    pub allow_chat_ids: Vec<i64>,
    /// TDLib chat ids of groups whose members are restricted despite `mode`.
    #[serde(deserialize_with = "ids::flexible_ids")]
    pub restrict_chat_ids: Vec<i64>,
    /// Also allow all Telegram Premium users.
    pub allow_premium_users: bool,
    /// Raw rules (a `userPrivacySettingRules` object or a list), used instead of `mode` and the lists.
    pub rules: Option<Value>,
    /// For `newChatPrivacySettings`: whether non-contacts may start chats; must be a boolean.
    pub allow_new_chats_from_unknown_users: Option<Value>,
}

impl SetPrivacySettingJson {
    /// The rules from `rules` or from `mode` and the exception lists.
    fn rules(self) -> Result<Vec<PrivacyRule>, CommandError> {
        if let Some(raw) = self.rules {
            let items = match raw {
                Value::Array(items) => items,
                Value::Object(mut object) => match object.remove("rules") {
                    Some(Value::Array(items)) => items,
                    _ => {
                        return Err(CommandError::invalid(
                            "rules must be a userPrivacySettingRules object or a list",
                        ));
                    }
                },
                _ => {
                    return Err(CommandError::invalid(
                        "rules must be a userPrivacySettingRules object or a list",
                    ));
                }
            };
            return items
                .into_iter()
                .map(|item| {
                    serde_json::from_value(item)
                        .map_err(|e| CommandError::invalid(format!("invalid privacy rule: {e}")))
                })
                .collect();
        }
        let base = match self.mode.as_ref().and_then(Value::as_str) {
            Some("all") => Some(PrivacyRule::AllowAll),
            Some("contacts") => Some(PrivacyRule::AllowContacts),
            Some("nobody") => None,
            _ => return Err(CommandError::invalid(BAD_MODE)),
        };
        // Exceptions first: Telegram applies the first rule that matches.
        let mut rules = Vec::new();
        if !self.restrict_user_ids.is_empty() {
            rules.push(PrivacyRule::RestrictUsers {
                user_ids: self.restrict_user_ids,
            });
        }
        if !self.restrict_chat_ids.is_empty() {
            rules.push(PrivacyRule::RestrictChatMembers {
                chat_ids: self.restrict_chat_ids,
            });
        }
        if !self.allow_user_ids.is_empty() {
            rules.push(PrivacyRule::AllowUsers {
                user_ids: self.allow_user_ids,
            });
        }
        if !self.allow_chat_ids.is_empty() {
            rules.push(PrivacyRule::AllowChatMembers {
                chat_ids: self.allow_chat_ids,
            });
        }
        if self.allow_premium_users {
            rules.push(PrivacyRule::AllowPremiumUsers);
        }
        rules.extend(base);
        Ok(rules)
    }
}

impl SetPrivacySetting {
    /// Replaces the rules of a `userPrivacySetting*` (not
    /// `newChatPrivacySettings`: use [`SetPrivacySetting::new_chats`]).
    pub fn rules(setting: &PrivacySetting, rules: Vec<PrivacyRule>) -> Result<Self, CommandError> {
        let PrivacySetting::User { key, .. } = setting else {
            return Err(CommandError::invalid(UNSUPPORTED_SETTING));
        };
        // Checked here so that a bad chat id sends nothing.
        for rule in &rules {
            if let PrivacyRule::AllowChatMembers { chat_ids }
            | PrivacyRule::RestrictChatMembers { chat_ids } = rule
            {
                bare_chat_ids(chat_ids)?;
            }
        }
        Ok(Self {
            change: PrivacyChange::Rules {
                key: key.clone(),
                rules,
            },
        })
    }

    /// Sets whether users who are not contacts may start chats.
    pub fn new_chats(allow_new_chats_from_unknown_users: bool) -> Self {
        Self {
            change: PrivacyChange::NewChats(allow_new_chats_from_unknown_users),
        }
    }
}

impl Command for SetPrivacySetting {
    const ACTION: &'static str = "set_privacy_setting";
    const SPEC: SpecRef = SpecRef::sessions_privacy("Command: set_privacy_setting");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::account::SetPrivacy>("account.setPrivacy");
    type Json = SetPrivacySettingJson;
    type Response = PrivacyValue;

    fn validate(json: SetPrivacySettingJson) -> Result<Self, CommandError> {
        let setting = PrivacySetting::parse(json.setting.as_ref().unwrap_or(&Value::Null))?;
        match setting {
            PrivacySetting::NewChats => match json.allow_new_chats_from_unknown_users {
                Some(Value::Bool(allow)) => Ok(Self::new_chats(allow)),
                _ => Err(CommandError::invalid(
                    "allow_new_chats_from_unknown_users must be a boolean",
                )),
            },
            user @ PrivacySetting::User { .. } => Self::rules(&user, json.rules()?),
        }
    }

    fn sample() -> Value {
        json!({"setting": "userPrivacySettingShowBio", "mode": "contacts"})
    }

    async fn run(self, client: &Client) -> Result<PrivacyValue, CommandError> {
        match self.change {
            PrivacyChange::NewChats(allow) => set_new_chat_privacy(client, allow).await,
            PrivacyChange::Rules { key, rules } => {
                let rules = rules_to_tl(client, rules).await?;
                let tl::enums::account::PrivacyRules::Rules(answer) = client
                    .invoke(&tl::functions::account::SetPrivacy { key, rules })
                    .await?;
                Ok(PrivacyValue::Rules(rules_from_tl(
                    &answer.rules,
                    &answer.chats,
                )))
            }
        }
    }
}

/// `newChatPrivacySettings`: a read-modify-write of the global privacy
/// settings, so every other global setting is kept.
async fn set_new_chat_privacy(client: &Client, allow: bool) -> Result<PrivacyValue, CommandError> {
    let tl::enums::GlobalPrivacySettings::Settings(mut settings) = client
        .invoke(&tl::functions::account::GetGlobalPrivacySettings {})
        .await?;
    settings.new_noncontact_peers_require_premium = !allow;
    let tl::enums::GlobalPrivacySettings::Settings(saved) = client
        .invoke(&tl::functions::account::SetGlobalPrivacySettings {
            settings: settings.into(),
        })
        .await?;
    Ok(PrivacyValue::NewChats(new_chat_settings(&saved)))
}

// ---------------------------------------------------------------------------
// Registry

/// This group's commands, for [`super::Registry`].
pub(super) fn commands() -> Vec<CommandInfo> {
    vec![
        CommandInfo::of::<GetActiveSessions>(),
        CommandInfo::of::<TerminateSession>(),
        CommandInfo::of::<SetSessionSettings>(),
        CommandInfo::of::<TerminateAllOtherSessions>(),
        CommandInfo::of::<BlockUser>(),
        CommandInfo::of::<UnblockUser>(),
        CommandInfo::of::<GetBlockedUsers>(),
        CommandInfo::of::<GetPrivacySetting>(),
        CommandInfo::of::<GetPrivacySettings>(),
        CommandInfo::of::<SetPrivacySetting>(),
    ]
}

// ---------------------------------------------------------------------------
// Typed methods

impl Client {
    /// The account's sessions. See [`GetActiveSessions`].
    pub async fn get_active_sessions(&self) -> Result<td::Sessions, CommandError> {
        self.run(GetActiveSessions {}).await
    }

    /// Ends another session by its id. See [`TerminateSession`].
    pub async fn terminate_session(&self, session_id: i64) -> Result<td::Done, CommandError> {
        self.run(TerminateSession::new(session_id)?).await
    }

    /// Sets whether a session accepts calls and secret chats. See
    /// [`SetSessionSettings`].
    pub async fn set_session_settings(
        &self,
        session_id: i64,
        can_accept_calls: Option<bool>,
        can_accept_secret_chats: Option<bool>,
    ) -> Result<td::Done, CommandError> {
        self.run(SetSessionSettings::new(
            session_id,
            can_accept_calls,
            can_accept_secret_chats,
        )?)
        .await
    }

    /// Ends every session but this one. See [`TerminateAllOtherSessions`].
    pub async fn terminate_all_other_sessions(&self) -> Result<td::Done, CommandError> {
        self.run(TerminateAllOtherSessions {}).await
    }

    /// Blocks or unblocks a user in a block list. See [`BlockUser`].
    pub async fn block_user(
        &self,
        user_id: i64,
        blocked: bool,
        list: BlockList,
    ) -> Result<td::Done, CommandError> {
        self.run(BlockUser::new(user_id, blocked, list)).await
    }

    /// Unblocks a user in the main block list. See [`UnblockUser`].
    pub async fn unblock_user(&self, user_id: i64) -> Result<td::Done, CommandError> {
        self.run(UnblockUser::new(user_id)).await
    }

    /// The blocked users of a list, `limit` from `offset`. See
    /// [`GetBlockedUsers`].
    pub async fn get_blocked_users(
        &self,
        list: BlockList,
        offset: i32,
        limit: i32,
    ) -> Result<td::MessageSenders, CommandError> {
        self.run(GetBlockedUsers::new(list, offset, limit)?).await
    }

    /// Reads one privacy setting. See [`GetPrivacySetting`].
    pub async fn get_privacy_setting(
        &self,
        setting: &PrivacySetting,
    ) -> Result<PrivacyValue, CommandError> {
        self.run(GetPrivacySetting::new(setting.clone())).await
    }

    /// Reads several privacy settings, one request each; pass
    /// [`PrivacySetting::all`] for every supported one. See
    /// [`GetPrivacySettings`].
    pub async fn get_privacy_settings(
        &self,
        settings: &[PrivacySetting],
    ) -> Result<PrivacySettings, CommandError> {
        self.run(GetPrivacySettings::new(settings.to_vec())).await
    }

    /// Sets whether users who are not contacts may start chats
    /// (`newChatPrivacySettings`), keeping the other global settings.
    pub async fn set_new_chat_privacy(
        &self,
        allow_new_chats_from_unknown_users: bool,
    ) -> Result<PrivacyValue, CommandError> {
        self.run(SetPrivacySetting::new_chats(
            allow_new_chats_from_unknown_users,
        ))
        .await
    }

    /// Replaces the rules of a `userPrivacySetting*`. TDLib's `mode` and
    /// exception lists are rules too: `mode: contacts` with one allowed user
    /// is `[AllowUsers { .. }, AllowContacts]`, and `nobody` is an empty list.
    pub async fn set_privacy_rules(
        &self,
        setting: &PrivacySetting,
        rules: Vec<PrivacyRule>,
    ) -> Result<PrivacyValue, CommandError> {
        self.run(SetPrivacySetting::rules(setting, rules)?).await
    }
}
