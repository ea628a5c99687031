//! The command layer: every command of the spec as a typed request with a
//! typed response, and a JSON dispatcher that speaks the spec's envelopes.
//!
//! Rust callers use the typed methods on [`crate::Client`] (`client.set_bio(…)`)
//! or run a request struct directly. A backend that drove TDLib with JSON
//! hands each line to a [`Dispatcher`]:
//!
//! ```text
//! → {"action": "set_bio", "userbot_id": 1, "bio": "Backend engineer"}
//! ← {"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"set_bio","result":{…}}}
//! ← {"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"set_bio_error","error":"bio is required"}}
//! ```
//!
//! # Errors
//!
//! Validation failures carry the spec's exact string (`bio is required`) and
//! send nothing to Telegram. RPC errors carry Telegram's name as Telegram
//! spells it (`USERNAME_OCCUPIED`, `FLOOD_WAIT_30`). Failures the spec
//! reports with a fixed sentence carry that sentence
//! (`Unexpected error during self profile refresh.`), and the cause goes to
//! the log.
//!
//! # Ids in JSON
//!
//! Requests accept every id as a JSON number or as a string of digits.
//! Results follow TDLib's JSON: 53-bit ids (users, chats, supergroups,
//! messages) are numbers; 64-bit values that can exceed 2^53 (session ids,
//! access hashes) are decimal strings, so JavaScript consumers keep them
//! exact. Chat ids use TDLib's marking: a user is its id, a basic group
//! `-id`, a channel or supergroup `-1000000000000 - id`.

pub mod bootstrap;
pub mod ids;
pub mod profile;
pub mod profile_store;
pub mod settings;
pub mod td;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, RwLock};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::{Error, telegram_error_name};
use crate::transfer::BoxFuture;

/// Why a command failed, as the error event reports it.
#[derive(Debug)]
#[non_exhaustive]
pub enum CommandError {
    /// The request was refused before anything was sent; the message is the
    /// spec's exact string.
    Invalid(String),
    /// Telegram or the connection failed.
    Failed(Error),
    /// The command failed after it started, for a reason the spec reports
    /// with a fixed string (`Unexpected error during self profile refresh.`);
    /// the cause is logged, not returned.
    Aborted(String),
}

impl CommandError {
    /// A validation error with the spec's exact message.
    pub fn invalid(message: impl Into<String>) -> Self {
        CommandError::Invalid(message.into())
    }

    /// A failure the spec reports with a fixed message.
    pub fn aborted(message: impl Into<String>) -> Self {
        CommandError::Aborted(message.into())
    }

    /// The `error` string of the `<action>_error` event: the spec's message
    /// for validation errors, Telegram's error name for RPC errors.
    pub fn message(&self) -> String {
        match self {
            CommandError::Invalid(message) | CommandError::Aborted(message) => message.clone(),
            CommandError::Failed(Error::Rpc(rpc)) => telegram_error_name(rpc),
            CommandError::Failed(Error::InvalidInput(message)) => message.clone(),
            CommandError::Failed(other) => other.to_string(),
        }
    }

    /// Whether nothing was sent (a validation error).
    pub fn is_invalid(&self) -> bool {
        matches!(self, CommandError::Invalid(_))
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for CommandError {}

impl From<Error> for CommandError {
    fn from(error: Error) -> Self {
        CommandError::Failed(error)
    }
}

/// One command: a request type with its action name and response type.
///
/// Requests deserialize from the spec's JSON (without `action` and
/// `userbot_id`), validate themselves, and run on a client.
pub trait Command: DeserializeOwned + Send + 'static {
    /// The JSON `action`, and the event type of the success event.
    const ACTION: &'static str;
    /// What a successful run returns; serialized as the event's `result`.
    type Response: Serialize + Send;

    /// Runs the command. Validation happens first, and a validation error
    /// returns before anything is sent.
    fn run(
        self,
        client: &Client,
    ) -> impl Future<Output = Result<Self::Response, CommandError>> + Send;
}

type Handler = for<'a> fn(&'a Client, Value) -> BoxFuture<'a, Result<Value, CommandError>>;

fn handler<C: Command>() -> Handler
where
    for<'a> C::Response: 'a,
{
    |client, payload| {
        Box::pin(async move {
            let request = C::deserialize(&payload)
                .map_err(|e| CommandError::invalid(request_error::<C>(&payload, &e)))?;
            let response = request.run(client).await?;
            serde_json::to_value(response)
                .map_err(|e| CommandError::Failed(Error::Protocol(e.to_string())))
        })
    }
}

/// Turns a serde error into a message that names the field, without the
/// serde position noise ("at line 1 column 20"): `bio: invalid type:
/// integer `5`, expected a string`.
///
/// serde does not say which field failed, so on this (rare) path the
/// request is tried again without each field in turn: the field whose
/// absence makes it parse is the one to blame.
fn request_error<C: DeserializeOwned>(payload: &Value, error: &serde_json::Error) -> String {
    let text = without_position(error);
    if let Value::Object(fields) = payload {
        for name in fields.keys() {
            let mut without = fields.clone();
            without.remove(name);
            if C::deserialize(&Value::Object(without)).is_ok() {
                return format!("{name}: {text}");
            }
        }
    }
    text
}

/// A serde error's message without "at line 1 column 20".
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.find(" at line ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// Every command this library implements, by action name.
pub struct Registry {
    handlers: HashMap<&'static str, Handler>,
}

macro_rules! register {
    ($($command:ty),* $(,)?) => {{
        let mut handlers: HashMap<&'static str, Handler> = HashMap::new();
        $(handlers.insert(<$command as Command>::ACTION, handler::<$command>());)*
        handlers
    }};
}

impl Registry {
    /// The registry with every implemented command.
    pub fn new() -> Self {
        Self {
            handlers: register![
                profile::RefreshSelfProfile,
                profile::GetUser,
                profile::SetName,
                profile::SetBio,
                profile::SetUsername,
                profile::SetBirthdate,
                profile::GetChatProfile,
                bootstrap::SearchUser,
                bootstrap::CreatePrivateChat,
                bootstrap::CreateSupergroupChat,
                bootstrap::ImportContacts,
                settings::GetActiveSessions,
                settings::TerminateSession,
                settings::SetSessionSettings,
                settings::TerminateAllOtherSessions,
                settings::BlockUser,
                settings::UnblockUser,
                settings::GetBlockedUsers,
                settings::GetPrivacySetting,
                settings::GetPrivacySettings,
                settings::SetPrivacySetting,
            ],
        }
    }

    /// Whether `action` is implemented.
    pub fn contains(&self, action: &str) -> bool {
        self.handlers.contains_key(action)
    }

    /// Every implemented action, sorted.
    pub fn actions(&self) -> Vec<&'static str> {
        let mut actions: Vec<_> = self.handlers.keys().copied().collect();
        actions.sort_unstable();
        actions
    }

    /// Runs `action` with its JSON `payload` on `client`.
    pub async fn run(
        &self,
        client: &Client,
        action: &str,
        payload: Value,
    ) -> Result<Value, CommandError> {
        let handler = self
            .handlers
            .get(action)
            .ok_or_else(|| CommandError::invalid(format!("unknown action: {action}")))?;
        handler(client, payload).await
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

/// The signed-in accounts a dispatcher serves, by `userbot_id`.
#[derive(Clone, Default)]
pub struct AccountPool {
    clients: Arc<RwLock<HashMap<i64, Client>>>,
}

impl fmt::Debug for AccountPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<i64> = self
            .clients
            .read()
            .map(|c| c.keys().copied().collect())
            .unwrap_or_default();
        f.debug_struct("AccountPool")
            .field("userbot_ids", &ids)
            .finish()
    }
}

impl AccountPool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the account served as `userbot_id`.
    pub fn insert(&self, userbot_id: i64, client: Client) {
        self.clients
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(userbot_id, client);
    }

    /// Removes an account; its connection closes when the last handle is dropped.
    pub fn remove(&self, userbot_id: i64) -> Option<Client> {
        self.clients
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&userbot_id)
    }

    /// The account served as `userbot_id`.
    pub fn get(&self, userbot_id: i64) -> Option<Client> {
        self.clients
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&userbot_id)
            .cloned()
    }
}

/// An outbound event, exactly as the spec's backend emits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Always `"chat_update"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The request's `userbot_id`, echoed; `None` if it had none (or it was unreadable).
    pub userbot_id: Option<i64>,
    /// What happened: the action's result or its error.
    pub payload: EventPayload,
}

/// The payload of an [`Event`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventPayload {
    /// The request's `userbot_id`, as in [`Event::userbot_id`].
    pub userbot_id: Option<i64>,
    /// The action, or `<action>_error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The action's result on success; absent from the JSON on error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The error message on failure; absent from the JSON on success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Event {
    fn new(
        userbot_id: Option<i64>,
        kind: String,
        result: Option<Value>,
        error: Option<String>,
    ) -> Self {
        Self {
            kind: "chat_update".into(),
            userbot_id,
            payload: EventPayload {
                userbot_id,
                kind,
                result,
                error,
            },
        }
    }

    /// The success event of `action`.
    pub fn success(userbot_id: Option<i64>, action: &str, result: Value) -> Self {
        Self::new(userbot_id, action.to_string(), Some(result), None)
    }

    /// The `<action>_error` event.
    pub fn error(userbot_id: Option<i64>, action: &str, message: impl Into<String>) -> Self {
        Self::new(
            userbot_id,
            format!("{action}_error"),
            None,
            Some(message.into()),
        )
    }

    /// Whether this is an error event.
    pub fn is_error(&self) -> bool {
        self.payload.error.is_some()
    }

    /// The event as one JSON line.
    pub fn to_json(&self) -> String {
        // An Event is plain strings, numbers and serde_json values: it always serializes.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

/// The event type used when a line is not even a JSON object with an action.
pub const INVALID_REQUEST_ACTION: &str = "invalid_request";

/// Turns JSON requests into events, never panicking on bad input.
#[derive(Debug, Clone, Default)]
pub struct Dispatcher {
    accounts: AccountPool,
    registry: Arc<RegistryHandle>,
}

#[derive(Default)]
struct RegistryHandle(Registry);

impl fmt::Debug for RegistryHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("actions", &self.0.actions().len())
            .finish()
    }
}

/// Reads `userbot_id` as a number or a string of digits.
fn userbot_id_of(object: &Map<String, Value>) -> Result<Option<i64>, String> {
    match object.get("userbot_id") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => ids::id_from_value(value)
            .map(Some)
            .ok_or_else(|| "userbot_id must be an integer".to_string()),
    }
}

impl Dispatcher {
    /// A dispatcher serving the accounts in `accounts`.
    pub fn new(accounts: AccountPool) -> Self {
        Self {
            accounts,
            registry: Arc::default(),
        }
    }

    /// The accounts served.
    pub fn accounts(&self) -> &AccountPool {
        &self.accounts
    }

    /// Handles one line of JSON.
    pub async fn dispatch_line(&self, line: &str) -> Event {
        match serde_json::from_str::<Value>(line) {
            Ok(value) => self.dispatch(value).await,
            Err(e) => Event::error(
                None,
                INVALID_REQUEST_ACTION,
                format!("malformed JSON: {}", without_position(&e)),
            ),
        }
    }

    /// Handles one request object.
    pub async fn dispatch(&self, request: Value) -> Event {
        let Value::Object(mut object) = request else {
            return Event::error(
                None,
                INVALID_REQUEST_ACTION,
                "the request must be a JSON object",
            );
        };
        let userbot_id = userbot_id_of(&object);
        let action = match object.remove("action") {
            Some(Value::String(action)) if !action.is_empty() => action,
            Some(_) => {
                return Event::error(
                    userbot_id.ok().flatten(),
                    INVALID_REQUEST_ACTION,
                    "action must be a non-empty string",
                );
            }
            None => {
                return Event::error(
                    userbot_id.ok().flatten(),
                    INVALID_REQUEST_ACTION,
                    "action is required",
                );
            }
        };
        let userbot_id = match userbot_id {
            Ok(Some(id)) => id,
            Ok(None) => return Event::error(None, &action, "userbot_id is required"),
            Err(message) => return Event::error(None, &action, message),
        };
        if !self.registry.0.contains(&action) {
            return Event::error(
                Some(userbot_id),
                &action,
                format!("unknown action: {action}"),
            );
        }
        let Some(client) = self.accounts.get(userbot_id) else {
            return Event::error(
                Some(userbot_id),
                &action,
                format!("unknown userbot_id: {userbot_id}"),
            );
        };
        object.remove("userbot_id");
        match self
            .registry
            .0
            .run(&client, &action, Value::Object(object))
            .await
        {
            Ok(result) => Event::success(Some(userbot_id), &action, result),
            Err(error) => Event::error(Some(userbot_id), &action, error.message()),
        }
    }
}
