//! Reading messages: `get_history`, `msg_search` and `msg_global_search`
//! from tg-cli's Python bindings, each paged to completion.
//!
//! Every listed [`Msg`] has `unread` from the dialog's read state
//! (`messages.getPeerDialogs`, one call per list), and `reply` filled when
//! the replied message is in the same list.
//!
//! # Errors invented here
//!
//! | Command | Message | When |
//! |---|---|---|
//! | `get_history` | `offset must be between 0 and 1000000`, `limit must be between 1 and 10000` | |
//! | `msg_search`, `msg_global_search` | `text must not be empty`, `text must be at most 4096 characters` | |
//! | all | `chat_id is invalid`, `Chat not found` | as in [`super::messages`] |

use grammers_tl_types as tl;
use serde::Deserialize;
use serde_json::{Value, json};

use super::chat_access::{
    MessagesPage, chat_ref, directory, input_peer, input_peer_in, message_id, read_state, to_msgs,
    users_named,
};
use super::ids::{self, ChatRef};
use super::limits;
use super::{Command, CommandError, CommandInfo, Method, SpecRef};
use crate::client::Client;
use crate::tgl::{Msg, PeerDirectory, chat_ref_of};

/// Telegram's largest page of messages.
pub const PAGE: usize = 100;
/// The most messages one `get_history` returns.
pub const MAX_HISTORY: usize = 10_000;
/// The largest `get_history` offset.
pub const MAX_OFFSET: usize = 1_000_000;
/// The most results a search returns (they are paged to completion up to
/// this cap; a search that matches more stops here).
pub const MAX_SEARCH_RESULTS: usize = 1_000;

fn page_limit(remaining: usize) -> i32 {
    // PAGE fits an i32.
    remaining.min(PAGE) as i32
}

/// A search text: not blank, and no longer than a message.
fn search_text(text: Option<String>) -> Result<String, CommandError> {
    let text = text.ok_or_else(|| CommandError::invalid("text is required"))?;
    if text.trim().is_empty() {
        return Err(CommandError::invalid("text must not be empty"));
    }
    limits::check_max("text", &text, limits::MESSAGE_TEXT_MAX)?;
    Ok(text)
}

/// Messages of one chat, listed: raw pages joined, then converted once.
async fn listed(
    client: &Client,
    peer: tl::enums::InputPeer,
    pages: Vec<MessagesPage>,
) -> Result<Vec<Msg>, CommandError> {
    let mut messages = Vec::new();
    let mut users = Vec::new();
    let mut chats = Vec::new();
    for page in pages {
        messages.extend(page.messages);
        users.extend(page.users);
        chats.extend(page.chats);
    }
    let directory = directory(client, &users, &chats, users_named(&messages)).await?;
    let read = read_state(client, peer).await?;
    Ok(to_msgs(&messages, &directory, Some(read)))
}

/// The id to continue a page after: the last (oldest) message's.
fn last_id(page: &MessagesPage) -> Option<i32> {
    page.messages.last().map(message_id)
}

// ---------------------------------------------------------------------------
// get_history

/// `get_history`: the chat's messages, newest first, skipping the
/// `offset` newest (`messages.getHistory` with `add_offset`).
///
/// ```json
/// {"action": "get_history", "userbot_id": 1, "chat_id": 777000, "offset": 0, "limit": 250}
/// ```
///
/// `limit` may be above Telegram's 100 per call (up to [`MAX_HISTORY`]):
/// the history is paged with `offset_id`, as the spec's example pages by
/// hand. Fewer messages come back when the history ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetHistory {
    chat: ChatRef,
    offset: usize,
    limit: usize,
}

/// The JSON form of [`GetHistory`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GetHistoryJson {
    /// The TDLib chat id.
    pub chat_id: Option<Value>,
    /// How many of the newest messages to skip (default 0).
    pub offset: Option<i64>,
    /// How many messages to return (default 100).
    pub limit: Option<i64>,
}

impl GetHistory {
    /// Up to `limit` messages of `chat_id` after skipping `offset`.
    pub fn new(chat_id: i64, offset: i64, limit: i64) -> Result<Self, CommandError> {
        let offset = usize::try_from(offset)
            .ok()
            .filter(|o| *o <= MAX_OFFSET)
            .ok_or_else(|| {
                CommandError::invalid(format!("offset must be between 0 and {MAX_OFFSET}"))
            })?;
        let limit = usize::try_from(limit)
            .ok()
            .filter(|l| (1..=MAX_HISTORY).contains(l))
            .ok_or_else(|| {
                CommandError::invalid(format!("limit must be between 1 and {MAX_HISTORY}"))
            })?;
        Ok(Self {
            chat: chat_ref(chat_id)?,
            offset,
            limit,
        })
    }
}

impl Command for GetHistory {
    const ACTION: &'static str = "get_history";
    const SPEC: SpecRef = SpecRef::tg_cli("peer.get_history");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::GetHistory>("messages.getHistory");
    type Json = GetHistoryJson;
    type Response = Vec<Msg>;

    fn validate(json: GetHistoryJson) -> Result<Self, CommandError> {
        let chat_id = ids::required_id(json.chat_id.as_ref(), "chat_id")?;
        GetHistory::new(
            chat_id,
            json.offset.unwrap_or(0),
            json.limit.unwrap_or(PAGE as i64),
        )
    }

    fn sample() -> Value {
        json!({"chat_id": "$FRIEND", "offset": 0, "limit": 10})
    }

    async fn run(self, client: &Client) -> Result<Vec<Msg>, CommandError> {
        let peer = input_peer(client, self.chat).await?;
        let mut pages = Vec::new();
        let mut got = 0;
        let mut offset_id = 0;
        // The offset is applied once, on the first page.
        let mut add_offset = self.offset;
        while got < self.limit {
            let answer = client
                .invoke(&tl::functions::messages::GetHistory {
                    peer: peer.clone(),
                    offset_id,
                    offset_date: 0,
                    add_offset: i32::try_from(add_offset).unwrap_or(i32::MAX),
                    limit: page_limit(self.limit - got),
                    max_id: 0,
                    min_id: 0,
                    hash: 0,
                })
                .await?;
            let page = MessagesPage::from_tl(answer);
            let Some(last) = last_id(&page) else { break };
            // A server that repeats itself must not keep us here.
            if offset_id != 0 && last >= offset_id {
                break;
            }
            got += page.messages.len();
            let total = page.count;
            offset_id = last;
            add_offset = 0;
            pages.push(page);
            if got + self.offset >= total {
                break;
            }
        }
        let mut msgs = listed(client, peer, pages).await?;
        msgs.truncate(self.limit);
        Ok(msgs)
    }
}

// ---------------------------------------------------------------------------
// msg_search

/// `msg_search`: the chat's messages that contain `text`
/// (`messages.search`), newest first, paged to completion up to
/// [`MAX_SEARCH_RESULTS`].
///
/// ```json
/// {"action": "msg_search", "userbot_id": 1, "chat_id": 777000, "text": "invoice"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgSearch {
    chat: ChatRef,
    text: String,
}

/// The JSON form of [`MsgSearch`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MsgSearchJson {
    /// The TDLib chat id.
    pub chat_id: Option<Value>,
    /// What to look for.
    pub text: Option<String>,
}

impl MsgSearch {
    /// Messages of `chat_id` containing `text`.
    pub fn new(chat_id: i64, text: &str) -> Result<Self, CommandError> {
        Ok(Self {
            chat: chat_ref(chat_id)?,
            text: search_text(Some(text.to_string()))?,
        })
    }
}

impl Command for MsgSearch {
    const ACTION: &'static str = "msg_search";
    const SPEC: SpecRef = SpecRef::tg_cli("peer.msg_search");
    const FIRST_METHOD: Method = Method::of::<tl::functions::messages::Search>("messages.search");
    type Json = MsgSearchJson;
    type Response = Vec<Msg>;

    fn validate(json: MsgSearchJson) -> Result<Self, CommandError> {
        let chat_id = ids::required_id(json.chat_id.as_ref(), "chat_id")?;
        Ok(Self {
            chat: chat_ref(chat_id)?,
            text: search_text(json.text)?,
        })
    }

    fn sample() -> Value {
        json!({"chat_id": "$FRIEND", "text": "hello"})
    }

    async fn run(self, client: &Client) -> Result<Vec<Msg>, CommandError> {
        let peer = input_peer(client, self.chat).await?;
        let mut pages = Vec::new();
        let mut got = 0;
        let mut offset_id = 0;
        while got < MAX_SEARCH_RESULTS {
            let answer = client
                .invoke(&tl::functions::messages::Search {
                    peer: peer.clone(),
                    q: self.text.clone(),
                    from_id: None,
                    saved_peer_id: None,
                    saved_reaction: None,
                    top_msg_id: None,
                    filter: tl::enums::MessagesFilter::InputMessagesFilterEmpty,
                    min_date: 0,
                    max_date: 0,
                    offset_id,
                    add_offset: 0,
                    limit: page_limit(MAX_SEARCH_RESULTS - got),
                    max_id: 0,
                    min_id: 0,
                    hash: 0,
                })
                .await?;
            let page = MessagesPage::from_tl(answer);
            let Some(last) = last_id(&page) else { break };
            if offset_id != 0 && last >= offset_id {
                break;
            }
            got += page.messages.len();
            let total = page.count;
            offset_id = last;
            pages.push(page);
            if got >= total {
                break;
            }
        }
        let mut msgs = listed(client, peer, pages).await?;
        msgs.truncate(MAX_SEARCH_RESULTS);
        Ok(msgs)
    }
}

// ---------------------------------------------------------------------------
// msg_global_search

/// `msg_global_search`: messages that contain `text` in every chat
/// (`messages.searchGlobal`, paged by `next_rate`, the last message's peer
/// and id), up to [`MAX_SEARCH_RESULTS`].
///
/// ```json
/// {"action": "msg_global_search", "userbot_id": 1, "text": "invoice"}
/// ```
///
/// `unread` comes from the read state of each chat found
/// (`messages.getPeerDialogs`, one call per 100 chats).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgGlobalSearch {
    text: String,
}

/// The JSON form of [`MsgGlobalSearch`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MsgGlobalSearchJson {
    /// What to look for.
    pub text: Option<String>,
}

impl MsgGlobalSearch {
    /// Messages containing `text` anywhere.
    pub fn new(text: &str) -> Result<Self, CommandError> {
        Ok(Self {
            text: search_text(Some(text.to_string()))?,
        })
    }
}

/// The `InputPeer` of the chat of `message`, from the answer's own users
/// and chats (where the access hashes of search results are).
fn peer_of_message(message: &tl::enums::Message, page: &MessagesPage) -> tl::enums::InputPeer {
    let peer = match message {
        tl::enums::Message::Message(m) => &m.peer_id,
        tl::enums::Message::Service(m) => &m.peer_id,
        tl::enums::Message::Empty(_) => return tl::enums::InputPeer::Empty,
    };
    input_peer_in(peer, &page.users, &page.chats)
}

impl Command for MsgGlobalSearch {
    const ACTION: &'static str = "msg_global_search";
    const SPEC: SpecRef = SpecRef::tg_cli("tgl.msg_global_search");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::messages::SearchGlobal>("messages.searchGlobal");
    type Json = MsgGlobalSearchJson;
    type Response = Vec<Msg>;

    fn validate(json: MsgGlobalSearchJson) -> Result<Self, CommandError> {
        Ok(Self {
            text: search_text(json.text)?,
        })
    }

    fn sample() -> Value {
        json!({"text": "hello"})
    }

    async fn run(self, client: &Client) -> Result<Vec<Msg>, CommandError> {
        let mut messages = Vec::new();
        let mut users = Vec::new();
        let mut chats = Vec::new();
        let mut offset_rate = 0;
        let mut offset_peer = tl::enums::InputPeer::Empty;
        let mut offset_id = 0;
        while messages.len() < MAX_SEARCH_RESULTS {
            let answer = client
                .invoke(&tl::functions::messages::SearchGlobal {
                    broadcasts_only: false,
                    groups_only: false,
                    users_only: false,
                    folder_id: None,
                    community: None,
                    q: self.text.clone(),
                    filter: tl::enums::MessagesFilter::InputMessagesFilterEmpty,
                    min_date: 0,
                    max_date: 0,
                    offset_rate,
                    offset_peer: offset_peer.clone(),
                    offset_id,
                    limit: page_limit(MAX_SEARCH_RESULTS - messages.len()),
                })
                .await?;
            let page = MessagesPage::from_tl(answer);
            let Some(last) = page.messages.last() else {
                break;
            };
            let (next_id, next_peer) = (message_id(last), peer_of_message(last, &page));
            if next_id == offset_id && next_peer == offset_peer {
                break;
            }
            let total = page.count;
            offset_rate = page.next_rate.unwrap_or(offset_rate);
            offset_id = next_id;
            offset_peer = next_peer;
            let done = page.next_rate.is_none();
            messages.extend(page.messages);
            users.extend(page.users);
            chats.extend(page.chats);
            if done || messages.len() >= total {
                break;
            }
        }
        messages.truncate(MAX_SEARCH_RESULTS);
        let directory: PeerDirectory =
            directory(client, &users, &chats, users_named(&messages)).await?;
        let reads = read_states(client, &messages, &users, &chats).await?;
        let mut msgs: Vec<Msg> = messages
            .iter()
            .filter_map(|message| {
                let read = reads.get(&chat_of(message)?).copied();
                Msg::from_tl(message, &directory, Some(read.unwrap_or_default()))
            })
            .collect();
        Msg::attach_replies(&mut msgs);
        Ok(msgs)
    }
}

/// The TDLib chat id of the chat `message` is in.
fn chat_of(message: &tl::enums::Message) -> Option<i64> {
    match message {
        tl::enums::Message::Message(m) => Some(chat_ref_of(&m.peer_id).chat_id()),
        tl::enums::Message::Service(m) => Some(chat_ref_of(&m.peer_id).chat_id()),
        tl::enums::Message::Empty(_) => None,
    }
}

/// The read state of every chat the messages are in, by TDLib chat id:
/// one `messages.getPeerDialogs` per 100 chats.
async fn read_states(
    client: &Client,
    messages: &[tl::enums::Message],
    users: &[tl::enums::User],
    chats: &[tl::enums::Chat],
) -> Result<std::collections::HashMap<i64, crate::tgl::ReadState>, CommandError> {
    let page = MessagesPage {
        messages: Vec::new(),
        users: users.to_vec(),
        chats: chats.to_vec(),
        count: 0,
        next_rate: None,
    };
    let mut peers: Vec<tl::enums::InputPeer> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for message in messages {
        if chat_of(message).is_some_and(|chat| seen.insert(chat)) {
            let peer = peer_of_message(message, &page);
            if peer != tl::enums::InputPeer::Empty {
                peers.push(peer);
            }
        }
    }
    let mut reads = std::collections::HashMap::new();
    for batch in peers.chunks(PAGE) {
        let tl::enums::messages::PeerDialogs::Dialogs(answer) = client
            .invoke(&tl::functions::messages::GetPeerDialogs {
                peers: batch
                    .iter()
                    .map(|peer| tl::types::InputDialogPeer { peer: peer.clone() }.into())
                    .collect(),
            })
            .await?;
        for dialog in &answer.dialogs {
            if let tl::enums::Dialog::Dialog(d) = dialog {
                reads.insert(
                    chat_ref_of(&d.peer).chat_id(),
                    crate::tgl::ReadState {
                        inbox_max_id: d.read_inbox_max_id,
                        outbox_max_id: d.read_outbox_max_id,
                    },
                );
            }
        }
    }
    Ok(reads)
}

pub(super) fn commands() -> Vec<CommandInfo> {
    vec![
        CommandInfo::of::<GetHistory>(),
        CommandInfo::of::<MsgSearch>(),
        CommandInfo::of::<MsgGlobalSearch>(),
    ]
}

// ---------------------------------------------------------------------------
// Typed methods

impl Client {
    /// Up to `limit` messages of the chat, newest first, after skipping
    /// the `offset` newest (see [`GetHistory`]).
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// let last_ten = client.get_history(777000, 0, 10).await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_history(
        &self,
        chat_id: i64,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Msg>, CommandError> {
        self.run(GetHistory::new(chat_id, offset, limit)?).await
    }

    /// The chat's messages containing `text` (see [`MsgSearch`]).
    pub async fn msg_search(&self, chat_id: i64, text: &str) -> Result<Vec<Msg>, CommandError> {
        self.run(MsgSearch::new(chat_id, text)?).await
    }

    /// Messages containing `text` in every chat (see [`MsgGlobalSearch`]).
    pub async fn msg_global_search(&self, text: &str) -> Result<Vec<Msg>, CommandError> {
        self.run(MsgGlobalSearch::new(text)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_bounds_are_checked_before_sending() {
        assert_eq!(
            GetHistory::new(1, -1, 10).unwrap_err().message(),
            "offset must be between 0 and 1000000"
        );
        for limit in [0, 10_001, -5] {
            assert_eq!(
                GetHistory::new(1, 0, limit).unwrap_err().message(),
                "limit must be between 1 and 10000"
            );
        }
        assert!(GetHistory::new(1, 0, 10_000).is_ok());
    }

    #[test]
    fn search_text_must_say_something() {
        assert_eq!(
            MsgGlobalSearch::new("  ").unwrap_err().message(),
            "text must not be empty"
        );
    }
}
