//! Ids in JSON: accepted as numbers or numeric strings, written the way
//! TDLib writes them, and TDLib's marked chat ids.
//!
//! Commands add [`crate::commands::ids::required_id`] on top, with the
//! spec's error strings.

use serde::{Deserialize, Deserializer, Serializer};
use serde_json::Value;

/// Offset TDLib adds to channel and supergroup ids (`-1000000000000 - id`).
pub const CHANNEL_CHAT_ID_OFFSET: i64 = 1_000_000_000_000;

/// An id from a JSON number or a string of digits (with an optional `-`).
pub fn id_from_value(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Deserializes an `i64` given as a number or a numeric string.
pub fn flexible_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let value = Value::deserialize(deserializer)?;
    id_from_value(&value)
        .ok_or_else(|| serde::de::Error::custom(format!("expected an integer id, got {value}")))
}

/// Like [`flexible_id`], for optional fields (absent or `null` is `None`).
pub fn flexible_id_opt<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    let value = Option::<Value>::deserialize(deserializer)?;
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => id_from_value(&value).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!("expected an integer id, got {value}"))
        }),
    }
}

/// Like [`flexible_id`], for lists of ids.
pub fn flexible_ids<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<i64>, D::Error> {
    let values = Option::<Vec<Value>>::deserialize(deserializer)?.unwrap_or_default();
    values
        .iter()
        .map(|value| {
            id_from_value(value).ok_or_else(|| {
                serde::de::Error::custom(format!("expected an integer id, got {value}"))
            })
        })
        .collect()
}

/// Serializes a 64-bit value as a decimal string, as TDLib does for `int64`.
pub fn as_string<S: Serializer>(value: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&value.to_string())
}

/// What a TDLib chat id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatRef {
    /// A private chat: the user's id (chat id `id`).
    User(i64),
    /// A basic group: its MTProto chat id (chat id `-id`).
    BasicGroup(i64),
    /// A channel or supergroup: its MTProto channel id (chat id `-1000000000000 - id`).
    Channel(i64),
}

impl ChatRef {
    /// Decodes TDLib's marking; `None` for 0, -10¹², or ids outside every range.
    pub fn from_chat_id(chat_id: i64) -> Option<Self> {
        match chat_id {
            id if id > 0 => Some(ChatRef::User(id)),
            id if id < -CHANNEL_CHAT_ID_OFFSET => {
                Some(ChatRef::Channel(-CHANNEL_CHAT_ID_OFFSET - id))
            }
            // -10¹² itself is neither: TDLib's basic group ids stop below 10¹².
            id if id < 0 && id > -CHANNEL_CHAT_ID_OFFSET => Some(ChatRef::BasicGroup(-id)),
            _ => None,
        }
    }

    /// The TDLib chat id, or `None` when the id cannot be marked without
    /// being taken for another kind or overflowing: ids come from the
    /// server, and a user id ≤ 0, a basic group id ≤ 0 or ≥ 10¹² (which
    /// would read as a channel) or a channel id ≤ 0 or above
    /// `i64::MAX - 10¹² + 1` has no chat id.
    pub fn checked_chat_id(self) -> Option<i64> {
        match self {
            ChatRef::User(id) => (id > 0).then_some(id),
            ChatRef::BasicGroup(id) => (id > 0 && id < CHANNEL_CHAT_ID_OFFSET).then(|| -id),
            ChatRef::Channel(id) if id > 0 => (-CHANNEL_CHAT_ID_OFFSET).checked_sub(id),
            ChatRef::Channel(_) => None,
        }
    }

    /// The TDLib chat id; 0 ("no chat", what TDLib writes for an invalid
    /// one) when [`ChatRef::checked_chat_id`] has none, so an id from the
    /// server can neither overflow nor pass for another chat.
    pub fn chat_id(self) -> i64 {
        self.checked_chat_id().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_ids_round_trip() {
        for chat in [
            ChatRef::User(42),
            ChatRef::BasicGroup(42),
            ChatRef::Channel(1_234_567_890),
        ] {
            assert_eq!(ChatRef::from_chat_id(chat.chat_id()), Some(chat));
        }
        assert_eq!(
            ChatRef::from_chat_id(-1001234567890),
            Some(ChatRef::Channel(1234567890))
        );
        assert_eq!(ChatRef::from_chat_id(0), None);
    }

    #[test]
    fn extreme_ids_from_the_server_neither_overflow_nor_pass_for_another_kind() {
        // The largest channel id whose marked id fits, and its neighbour.
        let largest = i64::MAX - CHANNEL_CHAT_ID_OFFSET + 1;
        assert_eq!(ChatRef::Channel(largest).checked_chat_id(), Some(i64::MIN));
        assert_eq!(
            ChatRef::from_chat_id(i64::MIN),
            Some(ChatRef::Channel(largest))
        );
        for bad in [
            ChatRef::Channel(largest + 1),
            ChatRef::Channel(i64::MAX),
            ChatRef::Channel(0),
            ChatRef::Channel(-5),
            ChatRef::Channel(i64::MIN),
            ChatRef::BasicGroup(i64::MIN),
            ChatRef::BasicGroup(i64::MAX),
            ChatRef::BasicGroup(CHANNEL_CHAT_ID_OFFSET),
            ChatRef::BasicGroup(0),
            ChatRef::BasicGroup(-1),
            ChatRef::User(0),
            ChatRef::User(-1),
            ChatRef::User(i64::MIN),
        ] {
            assert_eq!(bad.checked_chat_id(), None, "{bad:?}");
            assert_eq!(bad.chat_id(), 0, "{bad:?}");
        }
        assert_eq!(ChatRef::User(i64::MAX).chat_id(), i64::MAX);
        assert_eq!(
            ChatRef::BasicGroup(CHANNEL_CHAT_ID_OFFSET - 1).chat_id(),
            1 - CHANNEL_CHAT_ID_OFFSET
        );
        // Every chat id decodes to a ref that marks back to it.
        for chat_id in [
            i64::MIN,
            i64::MIN + 1,
            -CHANNEL_CHAT_ID_OFFSET - 1,
            -CHANNEL_CHAT_ID_OFFSET + 1,
            -1,
            1,
            i64::MAX,
        ] {
            let chat = ChatRef::from_chat_id(chat_id).expect("a valid chat id");
            assert_eq!(chat.checked_chat_id(), Some(chat_id), "{chat:?}");
        }
        assert_eq!(ChatRef::from_chat_id(-CHANNEL_CHAT_ID_OFFSET), None);
    }

    #[test]
    fn ids_come_as_numbers_or_strings() {
        assert_eq!(id_from_value(&serde_json::json!(5)), Some(5));
        assert_eq!(id_from_value(&serde_json::json!("-77")), Some(-77));
        assert_eq!(id_from_value(&serde_json::json!("x")), None);
        assert_eq!(id_from_value(&serde_json::json!(1.5)), None);
    }
}
