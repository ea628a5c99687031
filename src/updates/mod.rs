//! The updates engine: the pure state machine that keeps a client's update
//! state (pts, qts, seq, date and each channel's pts), puts the updates the
//! server pushes in order, detects gaps and decides when to call
//! `updates.getDifference` / `updates.getChannelDifference`.
//!
//! It does no IO and reads no clock: the driver passes the time in, makes
//! the requests the engine asks for, and feeds back what arrives.
//!
//! ```
//! use std::time::Instant;
//! use tgcmd::updates::{Answer, Engine, Event, KnownPeers, Request};
//!
//! struct Cache;
//! impl KnownPeers for Cache {
//!     fn user_known(&self, _: i64) -> bool { true }
//!     fn channel_known(&self, _: i64) -> bool { true }
//! }
//!
//! let mut engine = Engine::new(None, Instant::now());
//! // The driver's loop: make what the engine asks for...
//! while let Some(request) = engine.poll_request(Instant::now()) {
//!     match request {
//!         Request::GetState => { /* invoke updates.getState, then engine.answer(Answer::State(..), ..) */ }
//!         Request::GetDifference(_) | Request::GetChannelDifference { .. } => {}
//!     }
//!     # break;
//! }
//! // ...hand out what is ready, persist the state when it changed...
//! while let Some(event) = engine.poll_event() {
//!     if let Event::Updates { updates, .. } = event { let _ = updates; }
//! }
//! if engine.is_dirty() {
//!     let _json_for_the_session = engine.state();
//!     engine.mark_saved();
//! }
//! // ...and sleep until new input or `engine.deadline()`.
//! let _wake_at = engine.deadline();
//! # let _ = Cache;
//! ```

pub(crate) mod classify;
mod engine;
mod sequence;
mod state;

pub use engine::Engine;
pub use state::UpdateState;

use std::time::Duration;

use grammers_tl_types as tl;

/// How long updates beyond a gap wait for the missing ones before the
/// engine asks for the difference.
pub const POSSIBLE_GAP_TIMEOUT: Duration = Duration::from_millis(500);

/// How many updates one box holds beyond a gap; past it they are dropped
/// and the difference (which brings them again) is requested at once.
pub const MAX_HELD_PER_BOX: usize = 1000;

/// The `limit` of getChannelDifference.
pub const CHANNEL_DIFFERENCE_LIMIT: i32 = 100;

/// What the engine needs from the client's peer cache (answered from
/// memory).
pub trait KnownPeers {
    /// Whether the client can build an input peer for this user.
    fn user_known(&self, user_id: i64) -> bool;
    /// Whether the client has this channel's access hash.
    fn channel_known(&self, channel_id: i64) -> bool;
}

/// A request the driver must make, then report with [`Engine::answer`].
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `updates.getState`.
    GetState,
    /// `updates.getDifference`, ready to send.
    GetDifference(tl::functions::updates::GetDifference),
    /// `updates.getChannelDifference` with an empty filter. The driver
    /// builds the InputChannel from its access-hash cache.
    GetChannelDifference {
        /// The channel (bare id).
        channel_id: i64,
        /// The channel's local pts.
        pts: i32,
        /// The request's `limit`.
        limit: i32,
    },
}

/// The answer to a [`Request`] (or its failure).
// One answer exists at a time and goes straight into the engine: boxing
// the big variant would only change the driver's API for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Answer {
    /// What `updates.getState` returned.
    State(tl::enums::updates::State),
    /// What `updates.getDifference` returned.
    Difference(tl::enums::updates::Difference),
    /// What `updates.getChannelDifference` returned.
    ChannelDifference {
        /// The channel asked about.
        channel_id: i64,
        /// The answer.
        difference: tl::enums::updates::ChannelDifference,
    },
    /// The request failed; try again no sooner than `retry_after` (driver
    /// passes flood waits here; None = a default backoff the engine picks,
    /// bounded).
    Failed {
        /// The request that failed.
        request: Request,
        /// The server's flood wait, if any.
        retry_after: Option<Duration>,
    },
    /// The channel cannot be fetched (CHANNEL_PRIVATE, CHANNEL_INVALID):
    /// stop tracking it, keep its pending updates delivered as far as they
    /// are contiguous, and drop the gap.
    ChannelUnavailable {
        /// The channel.
        channel_id: i64,
    },
    /// The channel's access hash is not known, so its difference cannot be
    /// asked for yet. The engine fetches the common difference (whose
    /// `chats` carry the channel, and the driver remembers them) and asks
    /// again, up to [`UNKNOWN_CHANNEL_RETRIES`] times; then it gives the
    /// channel up as [`Answer::ChannelUnavailable`].
    ChannelAccessUnknown {
        /// The channel.
        channel_id: i64,
    },
}

/// How often a channel whose access hash is unknown is asked for again
/// (each time after a common difference) before it is given up.
pub const UNKNOWN_CHANNEL_RETRIES: u32 = 3;

/// What the engine has for the application.
#[derive(Debug, Clone)]
pub enum Event {
    /// Updates ready for the application, in the order they must be
    /// applied, with the users and chats that came with them (so the driver
    /// can remember access hashes and build peers).
    Updates {
        /// The updates, in order.
        updates: Vec<tl::enums::Update>,
        /// The users of the containers they came in.
        users: Vec<tl::enums::User>,
        /// The chats of the containers they came in.
        chats: Vec<tl::enums::Chat>,
        /// They came in the answer of an RPC this client made.
        from_own_request: bool,
    },
    /// The state was reset (differenceTooLong, channelDifferenceTooLong):
    /// history in between may have gaps. For a channel, its too-long
    /// answer's messages come as an `Updates` event (synthesised
    /// updateNewChannelMessage) right after.
    GapsPossible {
        /// The channel, or None for the common box.
        channel_id: Option<i64>,
    },
    /// The first catch-up since [`Engine::new`] has finished: every
    /// difference loop reached difference/differenceEmpty. Emitted exactly
    /// once per Engine.
    CatchUpFinished,
}

#[cfg(test)]
mod engine_props;
#[cfg(test)]
mod engine_tests;
#[cfg(test)]
mod test_util;
