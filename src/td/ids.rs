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
    /// Decodes TDLib's marking; `None` for 0 or ids outside every range.
    pub fn from_chat_id(chat_id: i64) -> Option<Self> {
        match chat_id {
            id if id > 0 => Some(ChatRef::User(id)),
            id if id < -CHANNEL_CHAT_ID_OFFSET => {
                Some(ChatRef::Channel(-CHANNEL_CHAT_ID_OFFSET - id))
            }
            id if id < 0 => Some(ChatRef::BasicGroup(-id)),
            _ => None,
        }
    }

    /// The TDLib chat id, `None` for an id no marking can express: not
    /// positive, a basic group id that would reach the channel range, or a
    /// channel id so large that `-1000000000000 - id` overflows. Ids come
    /// from the server, so this is checked, never wrapped.
    pub fn checked_chat_id(self) -> Option<i64> {
        match self {
            ChatRef::User(id) if id > 0 => Some(id),
            ChatRef::BasicGroup(id) if id > 0 && id < CHANNEL_CHAT_ID_OFFSET => Some(-id),
            ChatRef::Channel(id) if id > 0 => (-CHANNEL_CHAT_ID_OFFSET).checked_sub(id),
            _ => None,
        }
    }

    /// The TDLib chat id; 0 (TDLib's "no chat") for an id that
    /// [`ChatRef::checked_chat_id`] refuses, which a real server never
    /// sends.
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
    fn extreme_ids_from_the_server_do_not_overflow() {
        assert_eq!(ChatRef::Channel(i64::MAX).checked_chat_id(), None);
        assert_eq!(ChatRef::Channel(i64::MAX).chat_id(), 0);
        let largest = i64::MAX - CHANNEL_CHAT_ID_OFFSET;
        let marked = ChatRef::Channel(largest).checked_chat_id().expect("fits");
        assert_eq!(
            ChatRef::from_chat_id(marked),
            Some(ChatRef::Channel(largest))
        );
        assert_eq!(ChatRef::BasicGroup(i64::MIN).checked_chat_id(), None);
        assert_eq!(
            ChatRef::BasicGroup(CHANNEL_CHAT_ID_OFFSET).checked_chat_id(),
            None
        );
        assert_eq!(ChatRef::User(-5).checked_chat_id(), None);
        assert_eq!(ChatRef::Channel(0).chat_id(), 0);
        // Decoding never overflows either.
        assert_eq!(
            ChatRef::from_chat_id(i64::MIN),
            Some(ChatRef::Channel(i64::MAX - CHANNEL_CHAT_ID_OFFSET + 1))
        );
    }

    #[test]
    fn ids_come_as_numbers_or_strings() {
        assert_eq!(id_from_value(&serde_json::json!(5)), Some(5));
        assert_eq!(id_from_value(&serde_json::json!("-77")), Some(-77));
        assert_eq!(id_from_value(&serde_json::json!("x")), None);
        assert_eq!(id_from_value(&serde_json::json!(1.5)), None);
    }
}
