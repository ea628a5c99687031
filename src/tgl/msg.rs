//! `tgl.Msg`: a message with the spec's attributes.

use grammers_tl_types as tl;
use serde::{Deserialize, Serialize};

use super::peer::{PeerDirectory, chat_ref_of};
use super::{Action, Media, Peer};
use crate::td::ids::ChatRef;

/// tgl's message flag bits (`msg.flags`), from tgl's `tgl-layout.h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgFlags;

impl MsgFlags {
    /// `TGLMF_UNREAD`
    pub const UNREAD: i32 = 1;
    /// `TGLMF_OUT`
    pub const OUT: i32 = 1 << 1;
    /// `TGLMF_DISABLE_PREVIEW`
    pub const DISABLE_PREVIEW: i32 = 1 << 2;
    /// `TGLMF_MENTION`
    pub const MENTION: i32 = 1 << 4;
    /// `TGLMF_SERVICE`
    pub const SERVICE: i32 = 1 << 13;
}

/// How far a dialog has been read, to tell whether a message is unread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadState {
    /// The last incoming message the account has read.
    pub inbox_max_id: i32,
    /// The last outgoing message the other side has read.
    pub outbox_max_id: i32,
}

impl ReadState {
    /// Whether message `id` (outgoing or not) is still unread.
    pub fn is_unread(self, id: i32, out: bool) -> bool {
        if out {
            id > self.outbox_max_id
        } else {
            id > self.inbox_max_id
        }
    }
}

/// `tgl.Msg`, with the spec's attributes, plus `chat_id` (the dialog it is
/// in) and `edit_date`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "@type", rename = "msg")]
pub struct Msg {
    /// The message id (per account in private chats and basic groups, per
    /// channel in channels).
    pub id: i32,
    /// The TDLib chat id of the dialog the message is in.
    pub chat_id: i64,
    /// tgl's flag bits ([`MsgFlags`]).
    pub flags: i32,
    /// Whether the account is @mentioned.
    pub mention: bool,
    /// Whether the account sent it.
    pub out: bool,
    /// Whether it has not been read: by the account for incoming messages,
    /// by the other side for outgoing ones.
    pub unread: bool,
    /// Whether it is a service message (see `action`).
    pub service: bool,
    /// Who sent it: a user, or the channel for anonymous channel posts.
    pub src: Option<Peer>,
    /// Where it was sent: the group or channel; in a private chat the
    /// account for incoming messages and the other user for outgoing ones.
    pub dest: Peer,
    /// The text (the caption for media); `None` for media without one.
    pub text: Option<String>,
    /// The media, if any.
    pub media: Option<Media>,
    /// Unix time it was sent.
    pub date: i32,
    /// Unix time it was last edited, if it was.
    pub edit_date: Option<i32>,
    /// For a forward, who sent the original (when Telegram shows it).
    pub fwd_src: Option<Peer>,
    /// For a forward, when the original was sent.
    pub fwd_date: Option<i32>,
    /// The message this one replies to, when it came in the same answer.
    pub reply: Option<Box<Msg>>,
    /// The id of the message this one replies to.
    pub reply_id: Option<i32>,
    /// For a service message, what happened.
    pub action: Option<Action>,
}

impl Msg {
    /// From MTProto's `Message`; `None` for `messageEmpty`.
    ///
    /// `read` is the dialog's read state; `None` for a message that has
    /// just arrived, which is unread.
    pub fn from_tl(
        message: &tl::enums::Message,
        peers: &PeerDirectory,
        read: Option<ReadState>,
    ) -> Option<Self> {
        let parts = match message {
            tl::enums::Message::Empty(_) => return None,
            tl::enums::Message::Message(m) => Parts {
                id: m.id,
                out: m.out,
                mentioned: m.mentioned,
                from_id: m.from_id.as_ref(),
                peer_id: &m.peer_id,
                date: m.date,
                reply_to: m.reply_to.as_ref(),
            },
            tl::enums::Message::Service(m) => Parts {
                id: m.id,
                out: m.out,
                mentioned: m.mentioned,
                from_id: m.from_id.as_ref(),
                peer_id: &m.peer_id,
                date: m.date,
                reply_to: m.reply_to.as_ref(),
            },
        };
        let mut msg = parts.msg(peers, read);
        match message {
            tl::enums::Message::Message(m) => {
                msg.text = (!m.message.is_empty() || m.media.is_none()).then(|| m.message.clone());
                msg.media = m.media.as_ref().and_then(Media::from_tl);
                msg.edit_date = m.edit_date;
                if let Some(tl::enums::MessageFwdHeader::Header(fwd)) = &m.fwd_from {
                    msg.fwd_src = fwd.from_id.as_ref().map(|from| peers.peer_of(from));
                    msg.fwd_date = Some(fwd.date);
                }
            }
            tl::enums::Message::Service(m) => {
                msg.service = true;
                msg.flags |= MsgFlags::SERVICE;
                msg.action = Some(Action::from_tl(&m.action));
            }
            tl::enums::Message::Empty(_) => {}
        }
        Some(msg)
    }

    /// Fills `reply` from the messages of the same answer.
    pub fn attach_replies(messages: &mut [Msg]) {
        let targets: Vec<(usize, usize)> = messages
            .iter()
            .enumerate()
            .filter_map(|(i, msg)| {
                let reply_id = msg.reply_id?;
                let target = messages
                    .iter()
                    .position(|m| m.id == reply_id && m.chat_id == msg.chat_id)?;
                Some((i, target))
            })
            .collect();
        for (i, target) in targets {
            let mut replied = messages[target].clone();
            // One level deep: the replied message's own reply stays an id.
            replied.reply = None;
            messages[i].reply = Some(Box::new(replied));
        }
    }
}

/// What `message` and `messageService` share.
struct Parts<'a> {
    id: i32,
    out: bool,
    mentioned: bool,
    from_id: Option<&'a tl::enums::Peer>,
    peer_id: &'a tl::enums::Peer,
    date: i32,
    reply_to: Option<&'a tl::enums::MessageReplyHeader>,
}

impl Parts<'_> {
    fn msg(&self, peers: &PeerDirectory, read: Option<ReadState>) -> Msg {
        let chat = chat_ref_of(self.peer_id);
        let me = ChatRef::User(peers.self_id());
        let src = match (self.from_id, chat) {
            (Some(from), _) => Some(peers.peer_of(from)),
            (None, ChatRef::User(_)) if self.out => Some(peers.peer(me)),
            (None, chat) => Some(peers.peer(chat)),
        };
        let dest = match chat {
            ChatRef::User(_) if !self.out => peers.peer(me),
            chat => peers.peer(chat),
        };
        let unread = read.is_none_or(|read| read.is_unread(self.id, self.out));
        let mut flags = 0;
        if unread {
            flags |= MsgFlags::UNREAD;
        }
        if self.out {
            flags |= MsgFlags::OUT;
        }
        if self.mentioned {
            flags |= MsgFlags::MENTION;
        }
        let reply_id = match self.reply_to {
            Some(tl::enums::MessageReplyHeader::Header(h)) => h.reply_to_msg_id,
            _ => None,
        };
        Msg {
            id: self.id,
            chat_id: chat.chat_id(),
            flags,
            mention: self.mentioned,
            out: self.out,
            unread,
            service: false,
            src,
            dest,
            text: None,
            media: None,
            date: self.date,
            edit_date: None,
            fwd_src: None,
            fwd_date: None,
            reply: None,
            reply_id,
            action: None,
        }
    }
}

/// The users a message names: its sender, its chat (a private one), where
/// it was forwarded from, and the bot it came via. A directory for the
/// message needs exactly these besides what the answer carried.
pub fn users_of_message(message: &tl::enums::Message) -> Vec<i64> {
    let user = |peer: &tl::enums::Peer| match peer {
        tl::enums::Peer::User(u) => Some(u.user_id),
        _ => None,
    };
    match message {
        tl::enums::Message::Empty(_) => Vec::new(),
        tl::enums::Message::Service(m) => [user(&m.peer_id), m.from_id.as_ref().and_then(user)]
            .into_iter()
            .flatten()
            .collect(),
        tl::enums::Message::Message(m) => {
            let forwarded = m.fwd_from.as_ref().and_then(|fwd| match fwd {
                tl::enums::MessageFwdHeader::Header(h) => h.from_id.as_ref().and_then(user),
            });
            [
                user(&m.peer_id),
                m.from_id.as_ref().and_then(user),
                forwarded,
                m.via_bot_id,
            ]
            .into_iter()
            .flatten()
            .collect()
        }
    }
}
