//! Messages: `messageSender*` and `messageSenders`.

use serde::Serialize;

/// `messageSender*`: who sent a message, or who is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "@type")]
pub enum MessageSender {
    /// `messageSenderUser`
    #[serde(rename = "messageSenderUser")]
    User {
        /// Identifier of the user.
        user_id: i64,
    },
    /// `messageSenderChat`
    #[serde(rename = "messageSenderChat")]
    Chat {
        /// Identifier of the chat (TDLib chat id).
        chat_id: i64,
    },
}

/// `messageSenders`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "messageSenders")]
pub struct MessageSenders {
    /// Approximate total number of message senders found.
    pub total_count: i32,
    /// List of message senders.
    pub senders: Vec<MessageSender>,
}
