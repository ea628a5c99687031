//! What the message commands share: naming a chat on the wire, random ids,
//! and turning answers into [`Msg`]s.

use grammers_tl_types as tl;

use super::CommandError;
use super::ids::ChatRef;
use crate::client::Client;
use crate::error::Error;
use crate::tgl::{Msg, PeerDirectory, ReadState};

/// TDLib's words for a chat the session cannot name.
pub const CHAT_NOT_FOUND: &str = "Chat not found";

pub(super) fn protocol(message: impl Into<String>) -> CommandError {
    CommandError::Failed(Error::Protocol(message.into()))
}

/// The `chat_id` of a request as a [`ChatRef`]; `chat_id is invalid` for
/// 0 and ids outside TDLib's ranges.
pub fn chat_ref(chat_id: i64) -> Result<ChatRef, CommandError> {
    named_chat_ref(chat_id, "chat_id")
}

/// Like [`chat_ref`] for a field with another name (`from_chat_id`).
pub fn named_chat_ref(chat_id: i64, field: &str) -> Result<ChatRef, CommandError> {
    ChatRef::from_chat_id(chat_id)
        .ok_or_else(|| CommandError::invalid(format!("{field} is invalid")))
}

/// The `InputPeer` for a chat: users and channels with the access hash the
/// session remembers (`Chat not found` for a channel it never met).
pub async fn input_peer(
    client: &Client,
    chat: ChatRef,
) -> Result<tl::enums::InputPeer, CommandError> {
    // A group that became a supergroup is named by the supergroup.
    let chat = follow_migration(client, chat);
    match chat {
        ChatRef::User(user_id) => Ok(client.input_peer_user(user_id).await?),
        ChatRef::BasicGroup(chat_id) => Ok(tl::types::InputPeerChat { chat_id }.into()),
        ChatRef::Channel(channel_id) => match client.input_channel(channel_id).await {
            Ok(tl::enums::InputChannel::Channel(c)) => Ok(tl::types::InputPeerChannel {
                channel_id,
                access_hash: c.access_hash,
            }
            .into()),
            _ => Err(CommandError::invalid(CHAT_NOT_FOUND)),
        },
    }
}

/// The chat calls about `chat` go to: the supergroup a basic group was
/// migrated to, or `chat` itself.
pub fn follow_migration(client: &Client, chat: ChatRef) -> ChatRef {
    match chat {
        ChatRef::BasicGroup(id) => client.migrated_to(id).map_or(chat, ChatRef::Channel),
        other => other,
    }
}

/// The `InputChannel` for a channel the session knows.
pub async fn input_channel(
    client: &Client,
    channel_id: i64,
) -> Result<tl::enums::InputChannel, CommandError> {
    client
        .input_channel(channel_id)
        .await
        .map_err(|_| CommandError::invalid(CHAT_NOT_FOUND))
}

/// The `InputPeer` for `peer` from the users and chats of the answer that
/// named it (where the access hashes are); `inputPeerEmpty` when the
/// answer did not carry it.
pub fn input_peer_in(
    peer: &tl::enums::Peer,
    users: &[tl::enums::User],
    chats: &[tl::enums::Chat],
) -> tl::enums::InputPeer {
    match crate::tgl::chat_ref_of(peer) {
        ChatRef::User(user_id) => users
            .iter()
            .find_map(|u| match u {
                tl::enums::User::User(u) if u.id == user_id && u.is_self => {
                    Some(tl::enums::InputPeer::PeerSelf)
                }
                tl::enums::User::User(u) if u.id == user_id => u.access_hash.map(|access_hash| {
                    tl::types::InputPeerUser {
                        user_id,
                        access_hash,
                    }
                    .into()
                }),
                _ => None,
            })
            .unwrap_or(tl::enums::InputPeer::Empty),
        ChatRef::BasicGroup(chat_id) => tl::types::InputPeerChat { chat_id }.into(),
        ChatRef::Channel(channel_id) => chats
            .iter()
            .find_map(|c| match c {
                tl::enums::Chat::Channel(c) if c.id == channel_id => c.access_hash,
                _ => None,
            })
            .map(|access_hash| {
                tl::types::InputPeerChannel {
                    channel_id,
                    access_hash,
                }
                .into()
            })
            .unwrap_or(tl::enums::InputPeer::Empty),
    }
}

/// A random id for a sent message, as Telegram wants one per message to
/// recognise a resend.
pub fn random_id() -> Result<i64, CommandError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| CommandError::Failed(Error::Protocol(format!("no randomness: {e}"))))?;
    Ok(i64::from_le_bytes(bytes))
}

/// A directory of the peers of an answer, with the client's own id and
/// the remembered users among `named` that the answer left out.
pub async fn directory(
    client: &Client,
    users: &[tl::enums::User],
    chats: &[tl::enums::Chat],
    named: impl IntoIterator<Item = i64>,
) -> Result<PeerDirectory, CommandError> {
    client.remember_users(users).await?;
    client.remember_chats(chats).await?;
    // `self_id` comes from `get_me`, which remembers the account's own user
    // with the others, so the directory can name it.
    let self_id = client.self_id().await?;
    let remembered = client.remembered_users(self_id, named, users);
    Ok(PeerDirectory::for_answer(
        self_id,
        &remembered,
        users,
        chats,
    ))
}

/// The users `messages` name (see [`crate::tgl::users_of_message`]).
pub fn users_named(messages: &[tl::enums::Message]) -> Vec<i64> {
    messages
        .iter()
        .flat_map(crate::tgl::users_of_message)
        .collect()
}

/// The messages of a `messages.Messages` answer, with its users, chats and
/// the total Telegram reports (`count`; the length for `messages.messages`).
pub struct MessagesPage {
    pub(super) messages: Vec<tl::enums::Message>,
    pub(super) users: Vec<tl::enums::User>,
    pub(super) chats: Vec<tl::enums::Chat>,
    pub(super) count: usize,
    pub(super) next_rate: Option<i32>,
}

impl MessagesPage {
    pub(super) fn from_tl(answer: tl::enums::messages::Messages) -> Self {
        use tl::enums::messages::Messages as M;
        let count = |count: i32| usize::try_from(count).unwrap_or(0);
        match answer {
            M::Messages(m) => MessagesPage {
                count: m.messages.len(),
                messages: m.messages,
                users: m.users,
                chats: m.chats,
                next_rate: None,
            },
            M::Slice(m) => MessagesPage {
                count: count(m.count),
                messages: m.messages,
                users: m.users,
                chats: m.chats,
                next_rate: m.next_rate,
            },
            M::ChannelMessages(m) => MessagesPage {
                count: count(m.count),
                messages: m.messages,
                users: m.users,
                chats: m.chats,
                next_rate: None,
            },
            M::NotModified(m) => MessagesPage {
                count: count(m.count),
                messages: Vec::new(),
                users: Vec::new(),
                chats: Vec::new(),
                next_rate: None,
            },
        }
    }
}

/// How far a dialog has been read (`messages.getPeerDialogs`), so that
/// `unread` is right on listed messages.
pub async fn read_state(
    client: &Client,
    peer: tl::enums::InputPeer,
) -> Result<ReadState, CommandError> {
    let tl::enums::messages::PeerDialogs::Dialogs(answer) = client
        .invoke(&tl::functions::messages::GetPeerDialogs {
            peers: vec![tl::types::InputDialogPeer { peer }.into()],
        })
        .await?;
    Ok(answer
        .dialogs
        .iter()
        .find_map(|dialog| match dialog {
            tl::enums::Dialog::Dialog(d) => Some(ReadState {
                inbox_max_id: d.read_inbox_max_id,
                outbox_max_id: d.read_outbox_max_id,
            }),
            _ => None,
        })
        .unwrap_or_default())
}

/// Turns raw messages into [`Msg`]s with replies linked within the list.
pub fn to_msgs(
    messages: &[tl::enums::Message],
    directory: &PeerDirectory,
    read: Option<ReadState>,
) -> Vec<Msg> {
    let mut msgs: Vec<Msg> = messages
        .iter()
        .filter_map(|m| Msg::from_tl(m, directory, read))
        .collect();
    Msg::attach_replies(&mut msgs);
    msgs
}

/// The updates, users and chats of an `Updates` answer.
pub fn updates_parts(
    updates: &tl::enums::Updates,
) -> (&[tl::enums::Update], &[tl::enums::User], &[tl::enums::Chat]) {
    match updates {
        tl::enums::Updates::Updates(u) => (&u.updates, &u.users, &u.chats),
        tl::enums::Updates::Combined(u) => (&u.updates, &u.users, &u.chats),
        tl::enums::Updates::UpdateShort(u) => (std::slice::from_ref(&u.update), &[], &[]),
        _ => (&[], &[], &[]),
    }
}

/// The message a send created, found in its `Updates` answer by its
/// random id (`updateMessageID`), then by id among the new messages.
pub fn sent_message(updates: &tl::enums::Updates, random_id: i64) -> Option<&tl::enums::Message> {
    let (list, _, _) = updates_parts(updates);
    let id = list.iter().find_map(|update| match update {
        tl::enums::Update::MessageId(u) if u.random_id == random_id => Some(u.id),
        _ => None,
    })?;
    list.iter().find_map(|update| {
        let message = match update {
            tl::enums::Update::NewMessage(u) => &u.message,
            tl::enums::Update::NewChannelMessage(u) => &u.message,
            _ => return None,
        };
        (message_id(message) == id).then_some(message)
    })
}

/// Every message a forward created, in the order of `random_ids`.
pub fn sent_messages<'a>(
    updates: &'a tl::enums::Updates,
    random_ids: &[i64],
) -> Vec<&'a tl::enums::Message> {
    random_ids
        .iter()
        .filter_map(|&random_id| sent_message(updates, random_id))
        .collect()
}

/// A message's id, whatever its constructor.
pub fn message_id(message: &tl::enums::Message) -> i32 {
    match message {
        tl::enums::Message::Message(m) => m.id,
        tl::enums::Message::Service(m) => m.id,
        tl::enums::Message::Empty(m) => m.id,
    }
}
