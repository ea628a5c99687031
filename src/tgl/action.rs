//! `msg.action`: what a service message records, under the spec's
//! `ACTION_*` names.

use grammers_tl_types as tl;
use serde::{Deserialize, Serialize};

use super::media::constructor_name;

/// A service message's action, serialized as a dict whose `type` is the
/// spec's constant (`{"type": "ACTION_CHAT_EDIT_TITLE", "title": "…"}`).
///
/// MTProto actions with a tg-cli constant map to it; the others get a
/// clearly named extra value (`ACTION_PIN_MESSAGE`, …), and anything newer
/// than this library is [`Action::Other`] with the constructor's name, so
/// an action is never dropped. tg-cli's `ACTION_GEO_CHAT_*` never occur:
/// Telegram removed geo chats. The secret-chat actions (`ACTION_TYPING`,
/// `ACTION_RESEND`, `ACTION_NOTIFY_LAYER`, the key actions, …) come from
/// decrypted service messages of secret chats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Action {
    /// `ACTION_NONE` (`messageActionEmpty`).
    #[serde(rename = "ACTION_NONE")]
    None,
    /// `ACTION_CHAT_CREATE`: a basic group was created.
    #[serde(rename = "ACTION_CHAT_CREATE")]
    ChatCreate {
        /// The group's title.
        title: String,
        /// The members it was created with.
        user_ids: Vec<i64>,
    },
    /// `ACTION_CHAT_EDIT_TITLE`.
    #[serde(rename = "ACTION_CHAT_EDIT_TITLE")]
    ChatEditTitle {
        /// The new title.
        title: String,
    },
    /// `ACTION_CHAT_EDIT_PHOTO`.
    #[serde(rename = "ACTION_CHAT_EDIT_PHOTO")]
    ChatEditPhoto,
    /// `ACTION_CHAT_DELETE_PHOTO`.
    #[serde(rename = "ACTION_CHAT_DELETE_PHOTO")]
    ChatDeletePhoto,
    /// `ACTION_CHAT_ADD_USER`.
    #[serde(rename = "ACTION_CHAT_ADD_USER")]
    ChatAddUser {
        /// Who was added.
        user_ids: Vec<i64>,
    },
    /// `ACTION_CHAT_ADD_USER_BY_LINK`.
    #[serde(rename = "ACTION_CHAT_ADD_USER_BY_LINK")]
    ChatAddUserByLink {
        /// Who made the link.
        inviter_id: i64,
    },
    /// `ACTION_CHAT_DELETE_USER`.
    #[serde(rename = "ACTION_CHAT_DELETE_USER")]
    ChatDeleteUser {
        /// Who left or was removed.
        user_id: i64,
    },
    /// `ACTION_SET_MESSAGE_TTL`: the auto-delete timer changed.
    #[serde(rename = "ACTION_SET_MESSAGE_TTL")]
    SetMessageTtl {
        /// The new timer in seconds (0: off).
        period: i32,
    },
    /// `ACTION_READ_MESSAGES` (secret chats).
    #[serde(rename = "ACTION_READ_MESSAGES")]
    ReadMessages,
    /// `ACTION_DELETE_MESSAGES` (secret chats).
    #[serde(rename = "ACTION_DELETE_MESSAGES")]
    DeleteMessages,
    /// `ACTION_SCREENSHOT_MESSAGES`: someone took a screenshot.
    #[serde(rename = "ACTION_SCREENSHOT_MESSAGES")]
    ScreenshotMessages,
    /// `ACTION_FLUSH_HISTORY`: the history was cleared.
    #[serde(rename = "ACTION_FLUSH_HISTORY")]
    FlushHistory,
    /// `ACTION_RESEND` (secret chats): resend messages in a seq_no range.
    #[serde(rename = "ACTION_RESEND")]
    Resend {
        /// First seq_no to resend.
        start_seq_no: i32,
        /// Last seq_no to resend.
        end_seq_no: i32,
    },
    /// `ACTION_NOTIFY_LAYER` (secret chats).
    #[serde(rename = "ACTION_NOTIFY_LAYER")]
    NotifyLayer {
        /// The layer the other side speaks.
        layer: i32,
    },
    /// `ACTION_TYPING` (secret chats).
    #[serde(rename = "ACTION_TYPING")]
    Typing,
    /// `ACTION_NOOP` (secret chats).
    #[serde(rename = "ACTION_NOOP")]
    Noop,
    /// `ACTION_COMMIT_KEY` (secret chats).
    #[serde(rename = "ACTION_COMMIT_KEY")]
    CommitKey,
    /// `ACTION_ABORT_KEY` (secret chats).
    #[serde(rename = "ACTION_ABORT_KEY")]
    AbortKey,
    /// `ACTION_REQUEST_KEY` (secret chats).
    #[serde(rename = "ACTION_REQUEST_KEY")]
    RequestKey,
    /// `ACTION_ACCEPT_KEY` (secret chats).
    #[serde(rename = "ACTION_ACCEPT_KEY")]
    AcceptKey,
    /// Extra: a channel or supergroup was created.
    #[serde(rename = "ACTION_CHANNEL_CREATE")]
    ChannelCreate {
        /// Its title.
        title: String,
    },
    /// Extra: this basic group became the supergroup `channel_id`.
    #[serde(rename = "ACTION_CHAT_MIGRATE_TO")]
    ChatMigrateTo {
        /// The supergroup's MTProto channel id.
        channel_id: i64,
    },
    /// Extra: this supergroup was the basic group `chat_id`.
    #[serde(rename = "ACTION_CHANNEL_MIGRATE_FROM")]
    ChannelMigrateFrom {
        /// The old group's title.
        title: String,
        /// The old group's MTProto chat id.
        chat_id: i64,
    },
    /// Extra: a message was pinned (the message is the reply target).
    #[serde(rename = "ACTION_PIN_MESSAGE")]
    PinMessage,
    /// Extra: a user joined after their join request was approved.
    #[serde(rename = "ACTION_CHAT_JOINED_BY_REQUEST")]
    ChatJoinedByRequest,
    /// Extra: a contact joined Telegram.
    #[serde(rename = "ACTION_CONTACT_SIGN_UP")]
    ContactSignUp,
    /// Extra: a phone call.
    #[serde(rename = "ACTION_PHONE_CALL")]
    PhoneCall {
        /// Whether it was a video call.
        video: bool,
        /// Its length in seconds, when it took place.
        duration: Option<i32>,
    },
    /// Extra: a custom service text.
    #[serde(rename = "ACTION_CUSTOM")]
    Custom {
        /// The text.
        message: String,
    },
    /// Any other action: its MTProto constructor, e.g. `messageActionGiftPremium`.
    #[serde(rename = "ACTION_OTHER")]
    Other {
        /// The constructor's name.
        constructor: String,
    },
}

impl Action {
    /// From MTProto's `MessageAction`.
    pub fn from_tl(action: &tl::enums::MessageAction) -> Self {
        use tl::enums::MessageAction as A;
        match action {
            A::Empty => Action::None,
            A::ChatCreate(a) => Action::ChatCreate {
                title: a.title.clone(),
                user_ids: a.users.clone(),
            },
            A::ChatEditTitle(a) => Action::ChatEditTitle {
                title: a.title.clone(),
            },
            A::ChatEditPhoto(_) => Action::ChatEditPhoto,
            A::ChatDeletePhoto => Action::ChatDeletePhoto,
            A::ChatAddUser(a) => Action::ChatAddUser {
                user_ids: a.users.clone(),
            },
            A::ChatJoinedByLink(a) => Action::ChatAddUserByLink {
                inviter_id: a.inviter_id,
            },
            A::ChatDeleteUser(a) => Action::ChatDeleteUser { user_id: a.user_id },
            A::SetMessagesTtl(a) => Action::SetMessageTtl { period: a.period },
            A::ScreenshotTaken => Action::ScreenshotMessages,
            A::HistoryClear => Action::FlushHistory,
            A::ChannelCreate(a) => Action::ChannelCreate {
                title: a.title.clone(),
            },
            A::ChatMigrateTo(a) => Action::ChatMigrateTo {
                channel_id: a.channel_id,
            },
            A::ChannelMigrateFrom(a) => Action::ChannelMigrateFrom {
                title: a.title.clone(),
                chat_id: a.chat_id,
            },
            A::PinMessage => Action::PinMessage,
            A::ChatJoinedByRequest => Action::ChatJoinedByRequest,
            A::ContactSignUp => Action::ContactSignUp,
            A::PhoneCall(a) => Action::PhoneCall {
                video: a.video,
                duration: a.duration,
            },
            A::CustomAction(a) => Action::Custom {
                message: a.message.clone(),
            },
            other => Action::Other {
                constructor: constructor_name("messageAction", other),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_actions_keep_their_constant_names() {
        let action = Action::from_tl(&tl::enums::MessageAction::ChatEditTitle(
            tl::types::MessageActionChatEditTitle {
                title: "New".into(),
            },
        ));
        let json = serde_json::to_value(&action).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "ACTION_CHAT_EDIT_TITLE", "title": "New"})
        );
    }

    #[test]
    fn unknown_actions_are_named_not_dropped() {
        let action = Action::from_tl(&tl::enums::MessageAction::BoostApply(
            tl::types::MessageActionBoostApply { boosts: 2 },
        ));
        assert_eq!(
            action,
            Action::Other {
                constructor: "messageActionBoostApply".into()
            }
        );
    }

    #[test]
    fn history_clear_is_flush_history() {
        assert_eq!(
            Action::from_tl(&tl::enums::MessageAction::HistoryClear),
            Action::FlushHistory
        );
    }
}
