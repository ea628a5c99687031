//! The update state a client persists between runs.

use std::collections::BTreeMap;

/// Persisted update state: what the client has applied of the account's
/// update sequences. serde, because it goes into the session's SQLite as
/// JSON.
///
/// Every number is a point the client has reached and applied; the engine
/// never writes a value beyond a gap, so a client restored from it fetches
/// exactly what it missed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UpdateState {
    /// The common box's pts (private chats, basic groups).
    pub pts: i32,
    /// The secondary sequence (secret chats, bot-only updates).
    pub qts: i32,
    /// The sequence number of `updates` / `updatesCombined` containers.
    pub seq: i32,
    /// The server date of the last applied state.
    pub date: i32,
    /// Each tracked channel's pts, by channel id.
    pub channels: BTreeMap<i64, i32>,
}
