//! Sending and managing messages: the messaging functions of tg-cli's
//! Python bindings (`shared/spec/tg-cli-python-bindings.txt`), each a
//! command whose JSON action is the tg-cli name. History and search are in
//! [`super::history`].
//!
//! Every command names its chat with `chat_id`, TDLib's marked id (a user
//! is its id, a basic group `-id`, a channel `-1000000000000 - id`), and a
//! message with `msg_id`. Channels and supergroups use the `channels.*`
//! method where MTProto has one.
//!
//! # Errors invented here
//!
//! Besides `<field> is required`, refused before anything is sent:
//!
//! | Command | Message | When |
//! |---|---|---|
//! | all | `chat_id is invalid` | 0, or outside TDLib's id ranges |
//! | all | `Chat not found` (TDLib's) | a channel the session never met |
//! | `send_msg`, `send_text` | `text must not be empty` | empty or only blanks |
//! | `send_msg`, `send_text` | `text must be at most 4096 characters` | longer: it is refused, never split |
//! | `send_msg`, `fwd_*`, `delete_msg` | `reply must be a positive message id`, `msg_id must be a positive message id` | ≤ 0 or above 2³¹ |
//! | `send_location` | `latitude must be between -90 and 90`, `longitude must be between -180 and 180` | also NaN and infinities |
//! | `send_text` | `file not found: <path>`, `file is not UTF-8 text: <path>`, `file is larger than 16384 bytes: <path>` | read before anything is sent |
//! | `fwd_media` | `message has no media` | after `messages.getMessages`, before forwarding |
//! | `fwd_msg` (no `from_chat_id`), `fwd_media` | `Message not found` (TDLib's) | `messages.getMessages` found nothing |
//! | `restore_msg` | `unsupported: restore_msg: Telegram removed messages.restoreMessages from the API` | always; nothing sent |
//!
//! Telegram's errors come through by name: `PEER_ID_INVALID`,
//! `MESSAGE_TOO_LONG`, `MESSAGE_ID_INVALID`, `CHAT_WRITE_FORBIDDEN`,
//! `MESSAGE_DELETE_FORBIDDEN`, `FLOOD_WAIT_X`, …

use grammers_tl_types as tl;
use serde::Deserialize;
use serde_json::{Value, json};

use super::chat_access::{
    self, chat_ref, directory, input_channel, input_peer, protocol, random_id, sent_message,
    sent_messages,
};
use super::ids::{self, ChatRef};
use super::limits;
use super::{Command, CommandError, CommandInfo, Method, SpecRef};
use crate::client::Client;
use crate::td::Done;
use crate::tgl::{Msg, MsgFlags, PeerDirectory};

/// TDLib's words for a message id the chat does not have.
pub const MESSAGE_NOT_FOUND: &str = "Message not found";
/// `fwd_media` of a message without media.
pub const NO_MEDIA: &str = "message has no media";

/// The largest file `send_text` reads: four times the longest message, so
/// any text that can fit is read, and nothing huge is.
pub const SEND_TEXT_MAX_FILE: u64 = 16 * 1024;

/// A message id from JSON: positive and within MTProto's `int`.
pub(crate) fn message_id(value: Option<&Value>, field: &str) -> Result<i32, CommandError> {
    let id = ids::required_id(value, field)?;
    checked_message_id(id, field)
}

pub(crate) fn checked_message_id(id: i64, field: &str) -> Result<i32, CommandError> {
    i32::try_from(id)
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| CommandError::invalid(format!("{field} must be a positive message id")))
}

/// A message text: not blank, at most 4096 characters (never split).
fn message_text(text: &str) -> Result<String, CommandError> {
    // Telegram stores messages without trailing whitespace (TDLib trims it
    // before sending too), so the answer built from the request matches
    // what the other side receives.
    let text = text.trim_end();
    if text.trim_start().is_empty() {
        return Err(CommandError::invalid("text must not be empty"));
    }
    limits::check_max("text", text, limits::MESSAGE_TEXT_MAX)?;
    Ok(text.to_string())
}

/// The JSON form of commands that name only a chat.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ChatJson {
    /// The TDLib chat id (a number or a string of digits).
    pub chat_id: Option<Value>,
}

impl ChatJson {
    fn chat(&self) -> Result<ChatRef, CommandError> {
        chat_ref(ids::required_id(self.chat_id.as_ref(), "chat_id")?)
    }
}

// ---------------------------------------------------------------------------
// send_msg

/// `send_msg`: sends a text message (`messages.sendMessage`).
///
/// ```json
/// {"action": "send_msg", "userbot_id": 1, "chat_id": 777000, "text": "Hello", "reply": 12, "preview": false}
/// ```
///
/// `reply` is the id of the message to reply to; `preview: false` turns
/// the link preview off (`no_webpage`), `true` or absent leaves it to
/// Telegram. Answers with the sent [`Msg`], read from the answer
/// (`updateShortSentMessage`, or the `updateMessageID` with this request's
/// random id). Text over 4096 characters is refused, not split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendMsg {
    chat: ChatRef,
    text: String,
    reply: Option<i32>,
    preview: bool,
}

/// The JSON form of [`SendMsg`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SendMsgJson {
    /// The TDLib chat id.
    pub chat_id: Option<Value>,
    /// The text.
    pub text: Option<String>,
    /// The message to reply to.
    pub reply: Option<Value>,
    /// Whether link previews may be shown.
    pub preview: Option<bool>,
}

impl SendMsg {
    /// The request: `text` to `chat_id`.
    pub fn new(chat_id: i64, text: &str) -> Result<Self, CommandError> {
        Ok(Self {
            chat: chat_ref(chat_id)?,
            text: message_text(text)?,
            reply: None,
            preview: true,
        })
    }

    /// Replies to message `msg_id`.
    pub fn reply_to(mut self, msg_id: i64) -> Result<Self, CommandError> {
        self.reply = Some(checked_message_id(msg_id, "reply")?);
        Ok(self)
    }

    /// Turns link previews on or off.
    pub fn preview(mut self, preview: bool) -> Self {
        self.preview = preview;
        self
    }
}

impl Command for SendMsg {
    const ACTION: &'static str = "send_msg";
    const SPEC: SpecRef = SpecRef::tg_cli("peer.send_msg");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::SendMessage>("messages.sendMessage");
    type Json = SendMsgJson;
    type Response = Msg;

    fn validate(json: SendMsgJson) -> Result<Self, CommandError> {
        let chat_id = ids::required_id(json.chat_id.as_ref(), "chat_id")?;
        let text = json
            .text
            .ok_or_else(|| CommandError::invalid("text is required"))?;
        let mut request = SendMsg::new(chat_id, &text)?.preview(json.preview.unwrap_or(true));
        if let Some(reply) = json.reply.filter(|v| !v.is_null()) {
            request.reply = Some(message_id(Some(&reply), "reply")?);
        }
        Ok(request)
    }

    fn sample() -> Value {
        json!({"chat_id": "$FRIEND", "text": "Hello", "preview": false})
    }

    async fn run(self, client: &Client) -> Result<Msg, CommandError> {
        let peer = input_peer(client, self.chat).await?;
        let random_id = random_id()?;
        let updates = client
            .invoke(&tl::functions::messages::SendMessage {
                no_webpage: !self.preview,
                silent: false,
                background: false,
                clear_draft: false,
                noforwards: false,
                update_stickersets_order: false,
                invert_media: false,
                allow_paid_floodskip: false,
                peer,
                reply_to: self.reply.map(reply_header),
                message: self.text.clone(),
                random_id,
                reply_markup: None,
                entities: None,
                schedule_date: None,
                schedule_repeat_period: None,
                send_as: None,
                quick_reply_shortcut: None,
                effect: None,
                allow_paid_stars: None,
                suggested_post: None,
                rich_message: None,
            })
            .await?;
        if let tl::enums::Updates::UpdateShortSentMessage(short) = &updates {
            let to = match self.chat {
                ChatRef::User(user_id) => Some(user_id),
                _ => None,
            };
            let directory = directory(client, &[], &[], to).await?;
            return Ok(short_sent(short, &self, &directory));
        }
        sent_msg(client, &updates, random_id).await
    }
}

/// `inputReplyToMessage` for a reply to `msg_id` in the same chat.
fn reply_header(msg_id: i32) -> tl::enums::InputReplyTo {
    tl::types::InputReplyToMessage {
        reply_to_msg_id: msg_id,
        top_msg_id: None,
        reply_to_peer_id: None,
        quote_text: None,
        quote_entities: None,
        quote_offset: None,
        monoforum_peer_id: None,
        todo_item_id: None,
        poll_option: None,
    }
    .into()
}

/// The sent message of a `updateShortSentMessage` answer, which carries
/// only what the request did not (id, date, media of a link preview).
fn short_sent(
    short: &tl::types::UpdateShortSentMessage,
    request: &SendMsg,
    directory: &PeerDirectory,
) -> Msg {
    let me = ChatRef::User(directory.self_id());
    let mut flags = MsgFlags::OUT | MsgFlags::UNREAD;
    if !request.preview {
        flags |= MsgFlags::DISABLE_PREVIEW;
    }
    Msg {
        id: short.id,
        chat_id: request.chat.chat_id(),
        flags,
        mention: false,
        out: true,
        unread: true,
        service: false,
        src: Some(directory.peer(me)),
        dest: directory.peer(request.chat),
        text: Some(request.text.clone()),
        media: short.media.as_ref().and_then(crate::tgl::Media::from_tl),
        date: short.date,
        edit_date: None,
        fwd_src: None,
        fwd_date: None,
        reply: None,
        reply_id: request.reply,
        action: None,
    }
}

/// The message a send created, from its `Updates` answer.
pub(crate) async fn sent_msg(
    client: &Client,
    updates: &tl::enums::Updates,
    random_id: i64,
) -> Result<Msg, CommandError> {
    let (_, users, chats) = chat_access::updates_parts(updates);
    let message = sent_message(updates, random_id)
        .ok_or_else(|| protocol("the answer did not contain the sent message"))?;
    let named = crate::tgl::users_of_message(message);
    let directory = directory(client, users, chats, named).await?;
    Msg::from_tl(message, &directory, None)
        .ok_or_else(|| protocol("the answer did not contain the sent message"))
}

// ---------------------------------------------------------------------------
// send_text

/// `send_text`: sends the contents of a text file as a message, as tg-cli
/// does (`messages.sendMessage`).
///
/// ```json
/// {"action": "send_text", "userbot_id": 1, "chat_id": 777000, "file": "/tmp/note.txt"}
/// ```
///
/// The file is read when the request is validated, so a missing, binary or
/// oversized file is refused with nothing sent. Its text follows the rules
/// of `send_msg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendText(SendMsg);

/// The JSON form of [`SendText`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SendTextJson {
    /// The TDLib chat id.
    pub chat_id: Option<Value>,
    /// The path of the text file.
    pub file: Option<String>,
}

impl SendText {
    /// Reads `path` and prepares its text for `chat_id`.
    pub fn new(chat_id: i64, path: &str) -> Result<Self, CommandError> {
        let chat = chat_ref(chat_id)?;
        let text = read_text_file(path)?;
        let mut request = SendMsg::new(chat.chat_id(), &text)?;
        request.chat = chat;
        Ok(Self(request))
    }
}

fn read_text_file(path: &str) -> Result<String, CommandError> {
    use std::io::Read;
    // Only regular files: a FIFO or a device could block the read forever.
    let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    if !regular {
        return Err(CommandError::invalid(format!("file not found: {path}")));
    }
    let file = std::fs::File::open(path)
        .map_err(|_| CommandError::invalid(format!("file not found: {path}")))?;
    let mut bytes = Vec::new();
    // One byte more than allowed tells an oversized file without reading it all.
    file.take(SEND_TEXT_MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|_| CommandError::invalid(format!("file not found: {path}")))?;
    if bytes.len() as u64 > SEND_TEXT_MAX_FILE {
        return Err(CommandError::invalid(format!(
            "file is larger than {SEND_TEXT_MAX_FILE} bytes: {path}"
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| CommandError::invalid(format!("file is not UTF-8 text: {path}")))
}

impl Command for SendText {
    const ACTION: &'static str = "send_text";
    const SPEC: SpecRef = SpecRef::tg_cli("peer.send_text");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::SendMessage>("messages.sendMessage");
    type Json = SendTextJson;
    type Response = Msg;

    fn validate(json: SendTextJson) -> Result<Self, CommandError> {
        let chat_id = ids::required_id(json.chat_id.as_ref(), "chat_id")?;
        let file = json
            .file
            .ok_or_else(|| CommandError::invalid("file is required"))?;
        SendText::new(chat_id, &file)
    }

    fn sample() -> Value {
        json!({"chat_id": "$FRIEND", "file": "Cargo.toml"})
    }

    async fn run(self, client: &Client) -> Result<Msg, CommandError> {
        self.0.run(client).await
    }
}

// ---------------------------------------------------------------------------
// send_location

/// `send_location`: sends a point on the map (`messages.sendMedia` with
/// `inputMediaGeoPoint`).
///
/// ```json
/// {"action": "send_location", "userbot_id": 1, "chat_id": 777000, "latitude": 50.45, "longitude": 30.52}
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SendLocation {
    chat: ChatRef,
    latitude: f64,
    longitude: f64,
}

/// The JSON form of [`SendLocation`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SendLocationJson {
    /// The TDLib chat id.
    pub chat_id: Option<Value>,
    /// Degrees north, -90 to 90.
    pub latitude: Option<f64>,
    /// Degrees east, -180 to 180.
    pub longitude: Option<f64>,
}

impl SendLocation {
    /// The request; the coordinates must be on Earth.
    pub fn new(chat_id: i64, latitude: f64, longitude: f64) -> Result<Self, CommandError> {
        if !(-90.0..=90.0).contains(&latitude) {
            return Err(CommandError::invalid("latitude must be between -90 and 90"));
        }
        if !(-180.0..=180.0).contains(&longitude) {
            return Err(CommandError::invalid(
                "longitude must be between -180 and 180",
            ));
        }
        Ok(Self {
            chat: chat_ref(chat_id)?,
            latitude,
            longitude,
        })
    }
}

impl Command for SendLocation {
    const ACTION: &'static str = "send_location";
    const SPEC: SpecRef = SpecRef::tg_cli("peer.send_location");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::SendMedia>("messages.sendMedia");
    type Json = SendLocationJson;
    type Response = Msg;

    fn validate(json: SendLocationJson) -> Result<Self, CommandError> {
        let chat_id = ids::required_id(json.chat_id.as_ref(), "chat_id")?;
        let latitude = json
            .latitude
            .ok_or_else(|| CommandError::invalid("latitude is required"))?;
        let longitude = json
            .longitude
            .ok_or_else(|| CommandError::invalid("longitude is required"))?;
        SendLocation::new(chat_id, latitude, longitude)
    }

    fn sample() -> Value {
        json!({"chat_id": "$FRIEND", "latitude": 50.45, "longitude": 30.52})
    }

    async fn run(self, client: &Client) -> Result<Msg, CommandError> {
        let media = tl::types::InputMediaGeoPoint {
            geo_point: tl::types::InputGeoPoint {
                lat: self.latitude,
                long: self.longitude,
                accuracy_radius: None,
            }
            .into(),
        };
        send_media(client, self.chat, media.into(), String::new()).await
    }
}

/// Sends `media` with `caption` to `chat` and answers with the sent message.
pub(crate) async fn send_media(
    client: &Client,
    chat: ChatRef,
    media: tl::enums::InputMedia,
    caption: String,
) -> Result<Msg, CommandError> {
    let peer = input_peer(client, chat).await?;
    let random_id = random_id()?;
    let updates = client
        .invoke(&tl::functions::messages::SendMedia {
            silent: false,
            background: false,
            clear_draft: false,
            noforwards: false,
            update_stickersets_order: false,
            invert_media: false,
            allow_paid_floodskip: false,
            peer,
            reply_to: None,
            media,
            message: caption,
            random_id,
            reply_markup: None,
            entities: None,
            schedule_date: None,
            schedule_repeat_period: None,
            send_as: None,
            quick_reply_shortcut: None,
            effect: None,
            allow_paid_stars: None,
            suggested_post: None,
        })
        .await?;
    sent_msg(client, &updates, random_id).await
}

// ---------------------------------------------------------------------------
// fwd_msg, fwd_media

/// `fwd_msg`: forwards a message to a chat (`messages.forwardMessages`).
///
/// ```json
/// {"action": "fwd_msg", "userbot_id": 1, "chat_id": 777000, "msg_id": 42, "from_chat_id": 123}
/// ```
///
/// `from_chat_id` is the chat the message is in. Without it, the message
/// is looked up in the account's own message box (`messages.getMessages`),
/// as tg-cli's global message ids worked; a channel message needs
/// `from_chat_id`. Answers with the new message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FwdMsg {
    to: ChatRef,
    from: Option<ChatRef>,
    msg_id: i32,
}

/// The JSON form of [`FwdMsg`] and [`FwdMedia`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FwdJson {
    /// The chat to forward to.
    pub chat_id: Option<Value>,
    /// The message to forward.
    pub msg_id: Option<Value>,
    /// The chat the message is in (optional outside channels).
    pub from_chat_id: Option<Value>,
}

impl FwdJson {
    fn request(&self) -> Result<FwdMsg, CommandError> {
        let to = chat_ref(ids::required_id(self.chat_id.as_ref(), "chat_id")?)?;
        let msg_id = message_id(self.msg_id.as_ref(), "msg_id")?;
        let from = match self.from_chat_id.as_ref().filter(|v| !v.is_null()) {
            None => None,
            Some(value) => Some(chat_access::named_chat_ref(
                ids::required_id(Some(value), "from_chat_id")?,
                "from_chat_id",
            )?),
        };
        Ok(FwdMsg { to, from, msg_id })
    }
}

impl FwdMsg {
    /// Forward message `msg_id` of `from_chat_id` (or of the account's own
    /// message box, with `None`) to `chat_id`.
    pub fn new(chat_id: i64, msg_id: i64, from_chat_id: Option<i64>) -> Result<Self, CommandError> {
        Ok(Self {
            to: chat_ref(chat_id)?,
            from: from_chat_id
                .map(|id| chat_access::named_chat_ref(id, "from_chat_id"))
                .transpose()?,
            msg_id: checked_message_id(msg_id, "msg_id")?,
        })
    }

    async fn forward(self, client: &Client, media_only: bool) -> Result<Msg, CommandError> {
        let source = match (self.from, media_only) {
            (Some(from), false) => from,
            (from, _) => {
                let message = fetch_message(client, from, self.msg_id).await?;
                if media_only && !has_media(&message) {
                    return Err(CommandError::failed_after_send(NO_MEDIA));
                }
                match &message {
                    tl::enums::Message::Message(m) => crate::tgl::chat_ref_of(&m.peer_id),
                    _ => return Err(CommandError::failed_after_send(NO_MEDIA)),
                }
            }
        };
        let from_peer = input_peer(client, source).await?;
        let to_peer = input_peer(client, self.to).await?;
        let random_ids = vec![random_id()?];
        let updates = client
            .invoke(&tl::functions::messages::ForwardMessages {
                silent: false,
                background: false,
                with_my_score: false,
                drop_author: media_only,
                drop_media_captions: media_only,
                noforwards: false,
                allow_paid_floodskip: false,
                from_ephemeral: false,
                from_peer,
                id: vec![self.msg_id],
                random_id: random_ids.clone(),
                to_peer,
                top_msg_id: None,
                reply_to: None,
                schedule_date: None,
                schedule_repeat_period: None,
                send_as: None,
                quick_reply_shortcut: None,
                effect: None,
                video_timestamp: None,
                allow_paid_stars: None,
                suggested_post: None,
            })
            .await?;
        let (_, users, chats) = chat_access::updates_parts(&updates);
        let forwarded = sent_messages(&updates, &random_ids);
        let named = forwarded
            .iter()
            .flat_map(|message| crate::tgl::users_of_message(message));
        let directory = directory(client, users, chats, named).await?;
        forwarded
            .into_iter()
            .find_map(|message| Msg::from_tl(message, &directory, None))
            .ok_or_else(|| protocol("the answer did not contain the forwarded message"))
    }
}

fn has_media(message: &tl::enums::Message) -> bool {
    matches!(
        message,
        tl::enums::Message::Message(m)
            if m.media.as_ref().is_some_and(|media| !matches!(
                media,
                tl::enums::MessageMedia::Empty | tl::enums::MessageMedia::WebPage(_)
            ))
    )
}

/// Message `msg_id` of `chat` (`channels.getMessages` for a channel,
/// `messages.getMessages` otherwise); `MESSAGE_ID_INVALID` if it is gone.
pub(crate) async fn fetch_message(
    client: &Client,
    chat: Option<ChatRef>,
    msg_id: i32,
) -> Result<tl::enums::Message, CommandError> {
    let id = vec![tl::types::InputMessageId { id: msg_id }.into()];
    let answer = match chat {
        Some(ChatRef::Channel(channel_id)) => {
            let channel = input_channel(client, channel_id).await?;
            client
                .invoke(&tl::functions::channels::GetMessages { channel, id })
                .await?
        }
        _ => {
            client
                .invoke(&tl::functions::messages::GetMessages { id })
                .await?
        }
    };
    let page = chat_access::MessagesPage::from_tl(answer);
    client.remember_users(&page.users).await?;
    client.remember_chats(&page.chats).await?;
    page.messages
        .into_iter()
        .find(|m| {
            chat_access::message_id(m) == msg_id && !matches!(m, tl::enums::Message::Empty(_))
        })
        .ok_or_else(|| CommandError::failed_after_send(MESSAGE_NOT_FOUND))
}

impl Command for FwdMsg {
    const ACTION: &'static str = "fwd_msg";
    const SPEC: SpecRef = SpecRef::tg_cli("peer.fwd_msg");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::ForwardMessages>("messages.forwardMessages");
    type Json = FwdJson;
    type Response = Msg;

    fn validate(json: FwdJson) -> Result<Self, CommandError> {
        json.request()
    }

    fn sample() -> Value {
        json!({"chat_id": "$FRIEND", "msg_id": 1, "from_chat_id": "$FRIEND"})
    }

    async fn run(self, client: &Client) -> Result<Msg, CommandError> {
        self.forward(client, false).await
    }
}

/// `fwd_media`: forwards only a message's media: no author, no caption
/// (`messages.forwardMessages` with `drop_author` and
/// `drop_media_captions`).
///
/// ```json
/// {"action": "fwd_media", "userbot_id": 1, "chat_id": 777000, "msg_id": 42, "from_chat_id": 123}
/// ```
///
/// The message is fetched first (`messages.getMessages` or
/// `channels.getMessages`); one without media (a link preview does not
/// count) is `message has no media`, and nothing is forwarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FwdMedia(FwdMsg);

impl FwdMedia {
    /// As [`FwdMsg::new`].
    pub fn new(chat_id: i64, msg_id: i64, from_chat_id: Option<i64>) -> Result<Self, CommandError> {
        FwdMsg::new(chat_id, msg_id, from_chat_id).map(Self)
    }
}

impl Command for FwdMedia {
    const ACTION: &'static str = "fwd_media";
    const SPEC: SpecRef = SpecRef::tg_cli("peer.fwd_media");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::GetMessages>("messages.getMessages");
    type Json = FwdJson;
    type Response = Msg;

    fn validate(json: FwdJson) -> Result<Self, CommandError> {
        json.request().map(Self)
    }

    fn sample() -> Value {
        json!({"chat_id": "$FRIEND", "msg_id": 1})
    }

    async fn run(self, client: &Client) -> Result<Msg, CommandError> {
        self.0.forward(client, true).await
    }
}

// ---------------------------------------------------------------------------
// mark_read

/// `mark_read`: marks the whole dialog as read (`messages.readHistory`, or
/// `channels.readHistory` for channels and supergroups).
///
/// ```json
/// {"action": "mark_read", "userbot_id": 1, "chat_id": 777000}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkRead {
    chat: ChatRef,
}

impl MarkRead {
    /// The request for `chat_id`.
    pub fn new(chat_id: i64) -> Result<Self, CommandError> {
        Ok(Self {
            chat: chat_ref(chat_id)?,
        })
    }
}

impl Command for MarkRead {
    const ACTION: &'static str = "mark_read";
    const SPEC: SpecRef = SpecRef::tg_cli("peer.mark_read");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::ReadHistory>("messages.readHistory");
    type Json = ChatJson;
    type Response = Done;

    fn validate(json: ChatJson) -> Result<Self, CommandError> {
        Ok(Self { chat: json.chat()? })
    }

    fn sample() -> Value {
        json!({"chat_id": "$FRIEND"})
    }

    async fn run(self, client: &Client) -> Result<Done, CommandError> {
        match self.chat {
            ChatRef::Channel(channel_id) => {
                let channel = input_channel(client, channel_id).await?;
                client
                    .invoke(&tl::functions::channels::ReadHistory { channel, max_id: 0 })
                    .await?;
            }
            chat => {
                let peer = input_peer(client, chat).await?;
                client
                    .invoke(&tl::functions::messages::ReadHistory { peer, max_id: 0 })
                    .await?;
            }
        }
        Ok(Done::default())
    }
}

// ---------------------------------------------------------------------------
// send_typing, send_typing_abort

/// `send_typing`: tells the chat the account is typing
/// (`messages.setTyping` with `sendMessageTypingAction`). Telegram shows it
/// for about 6 seconds, or until `send_typing_abort` or a message.
///
/// ```json
/// {"action": "send_typing", "userbot_id": 1, "chat_id": 777000}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendTyping {
    chat: ChatRef,
    typing: bool,
}

impl SendTyping {
    /// "Typing…" in `chat_id`.
    pub fn new(chat_id: i64) -> Result<Self, CommandError> {
        Ok(Self {
            chat: chat_ref(chat_id)?,
            typing: true,
        })
    }

    async fn send(self, client: &Client) -> Result<Done, CommandError> {
        let peer = input_peer(client, self.chat).await?;
        let action = if self.typing {
            tl::enums::SendMessageAction::SendMessageTypingAction
        } else {
            tl::enums::SendMessageAction::SendMessageCancelAction
        };
        client
            .invoke(&tl::functions::messages::SetTyping {
                peer,
                top_msg_id: None,
                action,
            })
            .await?;
        Ok(Done::default())
    }
}

impl Command for SendTyping {
    const ACTION: &'static str = "send_typing";
    const SPEC: SpecRef = SpecRef::tg_cli("peer.send_typing");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::SetTyping>("messages.setTyping");
    type Json = ChatJson;
    type Response = Done;

    fn validate(json: ChatJson) -> Result<Self, CommandError> {
        Ok(Self {
            chat: json.chat()?,
            typing: true,
        })
    }

    fn sample() -> Value {
        json!({"chat_id": "$FRIEND"})
    }

    async fn run(self, client: &Client) -> Result<Done, CommandError> {
        self.send(client).await
    }
}

/// `send_typing_abort`: ends "typing…" (`messages.setTyping` with
/// `sendMessageCancelAction`).
///
/// ```json
/// {"action": "send_typing_abort", "userbot_id": 1, "chat_id": 777000}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendTypingAbort(SendTyping);

impl SendTypingAbort {
    /// Ends "typing…" in `chat_id`.
    pub fn new(chat_id: i64) -> Result<Self, CommandError> {
        Ok(Self(SendTyping {
            chat: chat_ref(chat_id)?,
            typing: false,
        }))
    }
}

impl Command for SendTypingAbort {
    const ACTION: &'static str = "send_typing_abort";
    const SPEC: SpecRef = SpecRef::tg_cli("peer.send_typing_abort");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::SetTyping>("messages.setTyping");
    type Json = ChatJson;
    type Response = Done;

    fn validate(json: ChatJson) -> Result<Self, CommandError> {
        Ok(Self(SendTyping {
            chat: json.chat()?,
            typing: false,
        }))
    }

    fn sample() -> Value {
        json!({"chat_id": "$FRIEND"})
    }

    async fn run(self, client: &Client) -> Result<Done, CommandError> {
        self.0.send(client).await
    }
}

// ---------------------------------------------------------------------------
// delete_msg

/// `delete_msg`: deletes a message (`messages.deleteMessages`, or
/// `channels.deleteMessages` in channels and supergroups).
///
/// ```json
/// {"action": "delete_msg", "userbot_id": 1, "chat_id": 777000, "msg_id": 42, "revoke": true}
/// ```
///
/// `revoke` (default `true`) deletes it for everyone where Telegram allows
/// it: in private chats and basic groups for one's own messages (and any
/// message in private chats); in channels a deletion is always for everyone
/// and needs the right to delete. With `revoke: false` it disappears from
/// the account's own history only (not possible in channels: Telegram
/// deletes for everyone there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteMsg {
    chat: ChatRef,
    msg_id: i32,
    revoke: bool,
}

/// The JSON form of [`DeleteMsg`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DeleteMsgJson {
    /// The chat the message is in.
    pub chat_id: Option<Value>,
    /// The message.
    pub msg_id: Option<Value>,
    /// Delete for everyone (default `true`).
    pub revoke: Option<bool>,
}

impl DeleteMsg {
    /// Deletes `msg_id` of `chat_id` for everyone where allowed.
    pub fn new(chat_id: i64, msg_id: i64) -> Result<Self, CommandError> {
        Ok(Self {
            chat: chat_ref(chat_id)?,
            msg_id: checked_message_id(msg_id, "msg_id")?,
            revoke: true,
        })
    }

    /// Whether to delete for everyone.
    pub fn revoke(mut self, revoke: bool) -> Self {
        self.revoke = revoke;
        self
    }
}

impl Command for DeleteMsg {
    const ACTION: &'static str = "delete_msg";
    const SPEC: SpecRef = SpecRef::tg_cli("msg.delete_msg");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::DeleteMessages>("messages.deleteMessages");
    type Json = DeleteMsgJson;
    type Response = Done;

    fn validate(json: DeleteMsgJson) -> Result<Self, CommandError> {
        let chat = chat_ref(ids::required_id(json.chat_id.as_ref(), "chat_id")?)?;
        let msg_id = message_id(json.msg_id.as_ref(), "msg_id")?;
        Ok(Self {
            chat,
            msg_id,
            revoke: json.revoke.unwrap_or(true),
        })
    }

    fn sample() -> Value {
        json!({"chat_id": "$FRIEND", "msg_id": 1})
    }

    async fn run(self, client: &Client) -> Result<Done, CommandError> {
        match self.chat {
            ChatRef::Channel(channel_id) => {
                let channel = input_channel(client, channel_id).await?;
                client
                    .invoke(&tl::functions::channels::DeleteMessages {
                        channel,
                        id: vec![self.msg_id],
                    })
                    .await?;
            }
            _ => {
                client
                    .invoke(&tl::functions::messages::DeleteMessages {
                        revoke: self.revoke,
                        id: vec![self.msg_id],
                    })
                    .await?;
            }
        }
        Ok(Done::default())
    }
}

// ---------------------------------------------------------------------------
// restore_msg

/// The answer to every `restore_msg`.
pub const RESTORE_UNSUPPORTED: &str =
    "restore_msg: Telegram removed messages.restoreMessages from the API";

/// `restore_msg`: tg-cli's undelete. Telegram removed
/// `messages.restoreMessages` from the API, so this always fails with
/// [`Error::Unsupported`](crate::Error::Unsupported)
/// ([`RESTORE_UNSUPPORTED`]; the event says `unsupported: restore_msg: …`)
/// and sends nothing.
///
/// ```json
/// {"action": "restore_msg", "userbot_id": 1, "msg_id": 42}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreMsg {
    msg_id: i32,
}

/// The JSON form of [`RestoreMsg`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RestoreMsgJson {
    /// The deleted message.
    pub msg_id: Option<Value>,
}

impl RestoreMsg {
    /// The request (it will be refused when run).
    pub fn new(msg_id: i64) -> Result<Self, CommandError> {
        Ok(Self {
            msg_id: checked_message_id(msg_id, "msg_id")?,
        })
    }
}

impl Command for RestoreMsg {
    const ACTION: &'static str = "restore_msg";
    const SPEC: SpecRef = SpecRef::tg_cli("tgl.restore_msg");
    const FIRST_METHOD: Method = Method::NOTHING;
    type Json = RestoreMsgJson;
    type Response = Done;

    fn validate(json: RestoreMsgJson) -> Result<Self, CommandError> {
        Ok(Self {
            msg_id: message_id(json.msg_id.as_ref(), "msg_id")?,
        })
    }

    fn sample() -> Value {
        json!({"msg_id": 1})
    }

    async fn run(self, _client: &Client) -> Result<Done, CommandError> {
        tracing::debug!(msg_id = self.msg_id, "restore_msg refused: not in the API");
        Err(CommandError::Failed(crate::error::Error::Unsupported(
            RESTORE_UNSUPPORTED.into(),
        )))
    }
}

pub(super) fn commands() -> Vec<CommandInfo> {
    vec![
        CommandInfo::of::<SendMsg>(),
        CommandInfo::of::<SendText>(),
        CommandInfo::of::<SendLocation>(),
        CommandInfo::of::<FwdMsg>(),
        CommandInfo::of::<FwdMedia>(),
        CommandInfo::of::<MarkRead>(),
        CommandInfo::of::<SendTyping>(),
        CommandInfo::of::<SendTypingAbort>(),
        CommandInfo::of::<DeleteMsg>(),
        CommandInfo::of::<RestoreMsg>(),
    ]
}

// ---------------------------------------------------------------------------
// Typed methods

impl Client {
    /// Sends `text` to the chat `chat_id` (see [`SendMsg`]).
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// let msg = client.send_msg(777000, "Hello").await?;
    /// assert!(msg.out);
    /// # Ok(()) }
    /// ```
    pub async fn send_msg(&self, chat_id: i64, text: &str) -> Result<Msg, CommandError> {
        self.run(SendMsg::new(chat_id, text)?).await
    }

    /// Sends a point on the map (see [`SendLocation`]).
    pub async fn send_location(
        &self,
        chat_id: i64,
        latitude: f64,
        longitude: f64,
    ) -> Result<Msg, CommandError> {
        self.run(SendLocation::new(chat_id, latitude, longitude)?)
            .await
    }

    /// Marks the chat as read (see [`MarkRead`]).
    pub async fn mark_read(&self, chat_id: i64) -> Result<Done, CommandError> {
        self.run(MarkRead::new(chat_id)?).await
    }

    /// Shows "typing…" in the chat (see [`SendTyping`]).
    pub async fn send_typing(&self, chat_id: i64) -> Result<Done, CommandError> {
        self.run(SendTyping::new(chat_id)?).await
    }

    /// Deletes a message for everyone where allowed (see [`DeleteMsg`]).
    pub async fn delete_msg(&self, chat_id: i64, msg_id: i64) -> Result<Done, CommandError> {
        self.run(DeleteMsg::new(chat_id, msg_id)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_refused_not_split() {
        let long = "x".repeat(limits::MESSAGE_TEXT_MAX + 1);
        assert_eq!(
            SendMsg::new(1, &long).unwrap_err().message(),
            "text must be at most 4096 characters"
        );
        assert!(SendMsg::new(1, &"x".repeat(limits::MESSAGE_TEXT_MAX)).is_ok());
        assert_eq!(
            SendMsg::new(1, " \n").unwrap_err().message(),
            "text must not be empty"
        );
    }

    #[test]
    fn coordinates_must_be_on_earth() {
        for (lat, long, error) in [
            (91.0, 0.0, "latitude must be between -90 and 90"),
            (f64::NAN, 0.0, "latitude must be between -90 and 90"),
            (0.0, -180.5, "longitude must be between -180 and 180"),
            (0.0, f64::INFINITY, "longitude must be between -180 and 180"),
        ] {
            assert_eq!(
                SendLocation::new(1, lat, long).unwrap_err().message(),
                error
            );
        }
    }

    #[test]
    fn message_ids_are_positive_ints() {
        for id in [0, -1, i64::from(i32::MAX) + 1] {
            assert_eq!(
                DeleteMsg::new(1, id).unwrap_err().message(),
                "msg_id must be a positive message id"
            );
        }
    }
}
