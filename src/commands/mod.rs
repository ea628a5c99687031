//! The command layer: every command of the spec as a typed request with a
//! typed response, and a JSON dispatcher that speaks the spec's envelopes.
//!
//! # The pattern
//!
//! A command is a [`Command`]: a really typed request struct (no
//! `Option<Value>` left in it) with
//!
//! - a **JSON form** ([`Command::Json`]): a serde struct in the spec's shape,
//!   read with one shared mapping of serde errors ([`parse_json_form`]);
//! - a pure, synchronous **validation** ([`Command::validate`]) from the
//!   JSON form to the request. It needs no [`Client`], sends nothing, and
//!   returns the spec's exact strings, so it can be tested over thousands
//!   of generated inputs without a server;
//! - **`run`** ([`Command::run`]), which sends. Checks that need the network
//!   (the account's own id, a limit the server reports) happen there and are
//!   documented on the command;
//! - what the tests need: the MTProto method it sends first
//!   ([`Command::FIRST_METHOD`]), a sample valid request
//!   ([`Command::sample`]) and where the spec defines it ([`Command::SPEC`]).
//!
//! Rust callers run any request with [`Client::run`], or use the one-line
//! typed methods (`client.set_bio("…")`). A backend that drove TDLib with
//! JSON hands each line to a [`Dispatcher`]:
//!
//! ```text
//! → {"action": "set_bio", "userbot_id": 1, "bio": "Backend engineer"}
//! ← {"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"set_bio","result":{…}}}
//! ← {"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"set_bio_error","error":"bio is required"}}
//! ```
//!
//! Adding a command means writing its struct, JSON form and `impl Command`
//! in its group file, adding it to [`Registry::new`], and writing its tests;
//! the registry and RPC-error tests pick it up from the registry.
//!
//! # Errors
//!
//! Validation failures carry the spec's exact string (`bio is required`) and
//! send nothing to Telegram. RPC errors carry Telegram's name as Telegram
//! spells it (`USERNAME_OCCUPIED`, `FLOOD_WAIT_30`). Where the library
//! decides locally what TDLib would have decided, it uses TDLib's wording
//! (`User not found`, `Can't block self`). Failures the spec reports with a
//! fixed sentence carry that sentence
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
pub mod chat_access;
pub mod chats;
pub mod contacts;
pub mod dialogs;
pub mod history;
pub mod ids;
pub mod limits;
pub mod media_load;
pub mod media_send;
pub mod messages;
pub mod profile;
pub mod profile_store;
pub mod settings;

/// The td_api objects commands return (see [`crate::td`]).
pub use crate::td;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, RwLock};

use grammers_tl_types::Identifiable;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::{Error, RpcError, telegram_error_name};
use crate::transfer::BoxFuture;

/// Why a command failed, as the error event reports it.
///
/// Typed callers ask with the accessors ([`CommandError::is_invalid`],
/// [`CommandError::rpc`], [`CommandError::is_rpc`],
/// [`CommandError::flood_wait_seconds`]) rather than comparing strings.
#[derive(Debug)]
#[non_exhaustive]
pub enum CommandError {
    /// The request was refused before anything was sent; the message is the
    /// spec's exact string (or TDLib's, where TDLib would have refused it).
    Invalid(String),
    /// Telegram or the connection failed.
    Failed(Error),
    /// The command failed after its requests went out, for a reason the
    /// spec reports with a fixed sentence (`failed to get privacy
    /// settings`); the cause is logged, not returned.
    FailedAfterSend(String),
    /// A local resource the command needs (the profile store) failed; the
    /// message is the spec's fixed sentence
    /// (`Database connection is unavailable. …`) and the cause is logged.
    Unavailable(String),
}

impl CommandError {
    /// A validation error with the spec's exact message.
    pub fn invalid(message: impl Into<String>) -> Self {
        CommandError::Invalid(message.into())
    }

    /// A failure after sending, reported with the spec's fixed message.
    pub fn failed_after_send(message: impl Into<String>) -> Self {
        CommandError::FailedAfterSend(message.into())
    }

    /// The `error` string of the `<action>_error` event: the spec's message
    /// for validation errors, Telegram's error name for RPC errors.
    pub fn message(&self) -> String {
        match self {
            CommandError::Invalid(message)
            | CommandError::FailedAfterSend(message)
            | CommandError::Unavailable(message) => message.clone(),
            CommandError::Failed(Error::Rpc(rpc)) => telegram_error_name(rpc),
            CommandError::Failed(Error::InvalidInput(message)) => message.clone(),
            CommandError::Failed(other) => other.to_string(),
        }
    }

    /// Whether the request was refused before anything was sent: a
    /// validation error, or a request too large for MTProto.
    pub fn is_invalid(&self) -> bool {
        matches!(
            self,
            CommandError::Invalid(_)
                | CommandError::Failed(Error::InvalidInput(_) | Error::RequestTooLarge { .. })
        )
    }

    /// The library error underneath, for RPC and connection failures.
    pub fn error(&self) -> Option<&Error> {
        match self {
            CommandError::Failed(error) => Some(error),
            _ => None,
        }
    }

    /// The RPC error, if Telegram answered with one.
    pub fn rpc(&self) -> Option<&RpcError> {
        self.error().and_then(Error::rpc)
    }

    /// Whether this is the RPC error `name` (without the number, e.g.
    /// `"FLOOD_WAIT"`; a trailing `*` matches a prefix).
    pub fn is_rpc(&self, name: &str) -> bool {
        self.error().is_some_and(|e| e.is_rpc(name))
    }

    /// Telegram's name for the error (`FLOOD_WAIT_30`), if it is an RPC error.
    pub fn telegram_name(&self) -> Option<String> {
        self.error().and_then(Error::telegram_name)
    }

    /// `FLOOD_WAIT_X`: the seconds to wait.
    pub fn flood_wait_seconds(&self) -> Option<u32> {
        self.error().and_then(Error::flood_wait_seconds)
    }

    /// Whether the connection failed rather than the request.
    pub fn is_network(&self) -> bool {
        self.error().is_some_and(Error::is_network)
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for CommandError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CommandError::Failed(error) => Some(error),
            _ => None,
        }
    }
}

impl From<Error> for CommandError {
    fn from(error: Error) -> Self {
        CommandError::Failed(error)
    }
}

/// Where the spec defines a command: the file under `shared/spec/` and the
/// section heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecRef {
    /// The spec file, e.g. `commands-profile-bootstrap.txt`.
    pub file: &'static str,
    /// The section heading in it, e.g. `Command: set_bio`.
    pub section: &'static str,
}

impl SpecRef {
    /// The profile & bootstrap group's spec.
    pub const fn profile_bootstrap(section: &'static str) -> Self {
        SpecRef {
            file: "commands-profile-bootstrap.txt",
            section,
        }
    }

    /// The sessions & privacy group's spec.
    pub const fn sessions_privacy(section: &'static str) -> Self {
        SpecRef {
            file: "commands-sessions-privacy.txt",
            section,
        }
    }

    /// tg-cli's Python bindings; `section` is the function as the spec
    /// writes it (`peer.send_msg`, `tgl.msg_global_search`).
    pub const fn tg_cli(section: &'static str) -> Self {
        SpecRef {
            file: "tg-cli-python-bindings.txt",
            section,
        }
    }
}

/// An MTProto function, by its TL name and constructor id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Method {
    /// The TL name, e.g. `account.updateProfile`.
    pub name: &'static str,
    /// The constructor id.
    pub constructor_id: u32,
}

impl Method {
    /// For a command that sends nothing at all (`restore_msg`): constructor
    /// id 0, which no TL function has.
    pub const NOTHING: Method = Method {
        name: "(nothing sent)",
        constructor_id: 0,
    };

    /// Whether the command sends nothing (see [`Method::NOTHING`]).
    pub const fn is_nothing(&self) -> bool {
        self.constructor_id == 0
    }

    /// The method `F`, named `name`.
    pub const fn of<F: Identifiable>(name: &'static str) -> Self {
        Method {
            name,
            constructor_id: F::CONSTRUCTOR_ID,
        }
    }
}

/// One command: a typed request, its JSON form, its response, and what the
/// tests need to know about it. See the [module docs](self).
pub trait Command: Sized + Send + 'static {
    /// The JSON `action`, and the event type of the success event.
    const ACTION: &'static str;
    /// Where the spec defines the command.
    const SPEC: SpecRef;
    /// The MTProto method the command sends first, for a valid request.
    const FIRST_METHOD: Method;
    /// The spec's JSON shape (without `action` and `userbot_id`).
    type Json: DeserializeOwned + Send;
    /// What a successful run returns; serialized as the event's `result`.
    type Response: Serialize + Send;

    /// Turns the JSON form into the request: pure, synchronous, nothing
    /// sent. Errors carry the spec's exact strings.
    fn validate(json: Self::Json) -> Result<Self, CommandError>;

    /// A valid JSON request (without `action` and `userbot_id`), for tests
    /// and documentation. `$FRIEND` stands for another user's id.
    fn sample() -> Value;

    /// Sends the request. Use [`Client::run`], which is the same call.
    fn run(
        self,
        client: &Client,
    ) -> impl Future<Output = Result<Self::Response, CommandError>> + Send;
}

impl Client {
    /// Runs any command request.
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// use tgcmd::commands::profile::SetBio;
    /// let me = client.run(SetBio::new("Backend engineer")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn run<C: Command>(&self, request: C) -> Result<C::Response, CommandError> {
        request.run(self).await
    }
}

/// Reads a command's JSON form, with serde's errors mapped the one way
/// every command reports them:
///
/// - a missing required field (one without a default) is `<field> is
///   required`;
/// - any other error names the field: `bio: invalid type: integer `5`,
///   expected a string` (nested fields by path: `birthdate.day: …`).
///
/// Linear in the size of the request: the path is tracked while reading
/// (`serde_path_to_error`), never found by parsing again.
pub fn parse_json_form<T: DeserializeOwned>(payload: Value) -> Result<T, CommandError> {
    serde_path_to_error::deserialize(payload).map_err(|error| {
        let path = error.path().to_string();
        let text = without_position(error.inner());
        if let Some(field) = missing_field(&text) {
            return CommandError::invalid(if path == "." {
                format!("{field} is required")
            } else {
                format!("{path}.{field} is required")
            });
        }
        if path == "." {
            CommandError::invalid(text)
        } else {
            CommandError::invalid(format!("{path}: {text}"))
        }
    })
}

/// The field of serde's "missing field `x`".
fn missing_field(text: &str) -> Option<&str> {
    text.strip_prefix("missing field `")?.strip_suffix('`')
}

type Handler = for<'a> fn(&'a Client, Value) -> BoxFuture<'a, Result<Value, CommandError>>;

fn handler<C: Command>() -> Handler
where
    for<'a> C::Response: 'a,
{
    |client, payload| {
        Box::pin(async move {
            let request = C::validate(parse_json_form(payload)?)?;
            let response = client.run(request).await?;
            serde_json::to_value(response)
                .map_err(|e| CommandError::Failed(Error::Protocol(e.to_string())))
        })
    }
}

/// A serde error's message without "at line 1 column 20".
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.find(" at line ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// The field names of a serde struct, as its derived `Deserialize` names
/// them, read by asking it to deserialize from a deserializer that only
/// records what it is asked for.
fn struct_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{self, Visitor};

    struct Fields<'a>(&'a mut &'static [&'static str]);

    impl<'de> de::Deserializer<'de> for Fields<'_> {
        type Error = de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("fields recorded"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    // The error is the point: the fields were recorded before it.
    let _ = T::deserialize(Fields(&mut fields));
    fields
}

/// What the registry knows about one command.
#[derive(Clone, Copy)]
pub struct CommandInfo {
    /// The JSON action.
    pub action: &'static str,
    /// Where the spec defines it.
    pub spec: SpecRef,
    /// The MTProto method it sends first.
    pub first_method: Method,
    /// A valid JSON request for it (see [`Command::sample`]).
    pub sample: fn() -> Value,
    /// The fields of its JSON form.
    pub fields: &'static [&'static str],
    validate: fn(Value) -> Result<(), CommandError>,
    handler: Handler,
}

impl fmt::Debug for CommandInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandInfo")
            .field("action", &self.action)
            .field("spec", &self.spec)
            .field("first_method", &self.first_method.name)
            .finish_non_exhaustive()
    }
}

impl CommandInfo {
    /// What the registry keeps for `C`.
    pub fn of<C: Command>() -> Self {
        CommandInfo {
            action: C::ACTION,
            spec: C::SPEC,
            first_method: C::FIRST_METHOD,
            sample: C::sample,
            fields: struct_fields::<C::Json>(),
            validate: |payload| C::validate(parse_json_form(payload)?).map(drop),
            handler: handler::<C>(),
        }
    }

    /// Reads and validates a JSON request (without `action` and
    /// `userbot_id`) as the dispatcher would, and sends nothing: the
    /// validation error it would answer with, if any.
    pub fn validate_json(&self, payload: Value) -> Result<(), CommandError> {
        (self.validate)(payload)
    }
}

/// Every command this library implements, by action name.
pub struct Registry {
    commands: HashMap<&'static str, CommandInfo>,
}

/// Each group file's commands (a new group is one line here).
fn every_group() -> [Vec<CommandInfo>; 10] {
    [
        profile::commands(),
        bootstrap::commands(),
        settings::commands(),
        messages::commands(),
        history::commands(),
        media_send::commands(),
        media_load::commands(),
        contacts::commands(),
        chats::commands(),
        dialogs::commands(),
    ]
}

impl Registry {
    /// The registry with every implemented command: each group file lists
    /// its own (`commands()`), so adding a command touches only its group.
    pub fn new() -> Self {
        let commands = every_group()
            .into_iter()
            .flatten()
            .map(|info| (info.action, info))
            .collect();
        Self { commands }
    }

    /// Whether `action` is implemented.
    pub fn contains(&self, action: &str) -> bool {
        self.commands.contains_key(action)
    }

    /// Every implemented action, sorted.
    pub fn actions(&self) -> Vec<&'static str> {
        let mut actions: Vec<_> = self.commands.keys().copied().collect();
        actions.sort_unstable();
        actions
    }

    /// Every implemented command, sorted by action.
    pub fn commands(&self) -> Vec<&CommandInfo> {
        let mut commands: Vec<_> = self.commands.values().collect();
        commands.sort_unstable_by_key(|info| info.action);
        commands
    }

    /// What the registry knows about `action`.
    pub fn get(&self, action: &str) -> Option<&CommandInfo> {
        self.commands.get(action)
    }

    /// Runs `action` with its JSON `payload` on `client`.
    pub async fn run(
        &self,
        client: &Client,
        action: &str,
        payload: Value,
    ) -> Result<Value, CommandError> {
        let info = self
            .commands
            .get(action)
            .ok_or_else(|| CommandError::invalid(format!("unknown action: {action}")))?;
        (info.handler)(client, payload).await
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

    /// Every account served, by `userbot_id`, sorted.
    pub fn entries(&self) -> Vec<(i64, Client)> {
        let mut entries: Vec<(i64, Client)> = self
            .clients
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(id, client)| (*id, client.clone()))
            .collect();
        entries.sort_unstable_by_key(|(id, _)| *id);
        entries
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_action_is_registered_twice() {
        let listed: usize = every_group().iter().map(Vec::len).sum();
        assert_eq!(Registry::new().actions().len(), listed);
    }

    #[test]
    fn serde_errors_are_mapped_in_one_place() {
        #[derive(Debug, Deserialize)]
        struct Form {
            #[allow(dead_code)]
            name: String,
            #[serde(default)]
            #[allow(dead_code)]
            count: Option<u32>,
        }
        let message = |payload: Value| {
            parse_json_form::<Form>(payload)
                .expect_err("refused")
                .message()
        };
        assert_eq!(message(serde_json::json!({})), "name is required");
        assert_eq!(
            message(serde_json::json!({"name": 5})),
            "name: invalid type: integer `5`, expected a string"
        );
        assert_eq!(
            message(serde_json::json!({"name": "x", "count": -1})),
            "count: invalid value: integer `-1`, expected u32"
        );
        assert_eq!(
            message(serde_json::json!(1)),
            "invalid type: integer `1`, expected struct Form"
        );
    }
}
