//! The raw material of the update stream: what the main connection pushes,
//! and the update-carrying answers of this client's own requests.
//!
//! The feed stays closed until something consumes it
//! ([`Client::take_update_feed`]); until then updates are dropped here, and
//! the consumer catches up with `updates.getDifference` from its persisted
//! state, which is how Telegram expects a client to start. Once open, the
//! feed is bounded: when the consumer falls behind, the forwarder waits, and
//! grammers drops what its own channel cannot hold; the updates engine sees
//! the gap and fetches the difference. Nothing grows without bound.

use std::any::Any;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use grammers_session::updates::UpdatesLike;
use grammers_tl_types as tl;
use tokio::sync::mpsc;

use super::Client;

/// How many inputs wait for the consumer before the forwarder waits too.
pub const UPDATE_FEED_CAPACITY: usize = 4096;

/// One input for the update driver.
#[derive(Debug)]
pub enum UpdateInput {
    /// Pushed by Telegram on the main connection (including grammers'
    /// `ConnectionClosed`, a possible gap).
    Pushed(UpdatesLike),
    /// The `Updates` answer of a request this client made (a sent message,
    /// a created group, …): its pts must be applied, or it looks like a gap.
    OwnAnswer(tl::enums::Updates),
    /// An `affectedMessages` / `affectedHistory` answer (a deletion, a
    /// read): pts to apply. `channel_id` is set for `channels.*` requests.
    Affected {
        /// The channel whose pts this is, or `None` for the account's.
        channel_id: Option<i64>,
        /// The new pts.
        pts: i32,
        /// How many pts the request used.
        pts_count: i32,
    },
}

/// The channel between the connection (and `invoke`) and the update driver.
pub(crate) struct UpdateFeed {
    tx: mpsc::Sender<UpdateInput>,
    rx: Mutex<Option<mpsc::Receiver<UpdateInput>>>,
    open: AtomicBool,
}

impl UpdateFeed {
    pub(crate) fn new() -> Self {
        let (tx, rx) = mpsc::channel(UPDATE_FEED_CAPACITY);
        UpdateFeed {
            tx,
            rx: Mutex::new(Some(rx)),
            open: AtomicBool::new(false),
        }
    }

    /// Forwards one runner's pushed updates until that runner ends. A
    /// runner after the first starts with `ConnectionClosed`, since updates
    /// may have been lost between the two.
    pub(crate) fn attach(
        self: &std::sync::Arc<Self>,
        mut pushed: mpsc::Receiver<UpdatesLike>,
        first: bool,
    ) {
        let feed = std::sync::Arc::clone(self);
        tokio::spawn(async move {
            if !first {
                feed.send(UpdateInput::Pushed(UpdatesLike::ConnectionClosed))
                    .await;
            }
            while let Some(updates) = pushed.recv().await {
                feed.send(UpdateInput::Pushed(updates)).await;
            }
        });
    }

    async fn send(&self, input: UpdateInput) {
        if self.open.load(Ordering::Acquire) {
            // A closed receiver means the driver is gone: nothing to do.
            let _ = self.tx.send(input).await;
        }
    }

    /// Records the answer of one of this client's requests, if it carries
    /// update state. Never waits: if the consumer is that far behind, the
    /// answer's pts will show up as a gap and be fetched.
    pub(crate) fn record_answer<R: Any, T: Any>(&self, request: &R, answer: &T) {
        if !self.open.load(Ordering::Acquire) {
            return;
        }
        if let Some(input) = input_from_answer(request, answer) {
            let _ = self.tx.try_send(input);
        }
    }
}

/// What an answer means for the update state, if anything: `Updates`
/// (sent messages, created chats, …), `invitedUsers`, and the pts of
/// `affectedMessages` / `affectedHistory`, which belong to a channel when
/// the request was about one.
fn input_from_answer(request: &dyn Any, answer: &dyn Any) -> Option<UpdateInput> {
    use tl::enums::messages::{AffectedHistory, AffectedMessages, InvitedUsers};
    if let Some(updates) = answer.downcast_ref::<tl::enums::Updates>() {
        return Some(UpdateInput::OwnAnswer(updates.clone()));
    }
    if let Some(InvitedUsers::Users(invited)) = answer.downcast_ref::<InvitedUsers>() {
        return Some(UpdateInput::OwnAnswer(invited.updates.clone()));
    }
    if let Some(tl::enums::messages::ChatInviteJoinResult::Ok(joined)) = answer.downcast_ref() {
        return Some(UpdateInput::OwnAnswer(joined.updates.clone()));
    }
    let (pts, pts_count) = if let Some(AffectedMessages::Messages(a)) = answer.downcast_ref() {
        (a.pts, a.pts_count)
    } else if let Some(AffectedHistory::History(a)) = answer.downcast_ref() {
        (a.pts, a.pts_count)
    } else {
        return None;
    };
    Some(UpdateInput::Affected {
        channel_id: affected_channel(request),
        pts,
        pts_count,
    })
}

/// The channel whose pts an `affected*` answer to `request` carries.
fn affected_channel(request: &dyn Any) -> Option<i64> {
    use tl::functions::{channels, messages};
    let channel = |input: &tl::enums::InputChannel| match input {
        tl::enums::InputChannel::Channel(c) => Some(c.channel_id),
        tl::enums::InputChannel::FromMessage(c) => Some(c.channel_id),
        tl::enums::InputChannel::Empty => None,
    };
    let peer = |input: &tl::enums::InputPeer| match input {
        tl::enums::InputPeer::Channel(c) => Some(c.channel_id),
        tl::enums::InputPeer::ChannelFromMessage(c) => Some(c.channel_id),
        _ => None,
    };
    if let Some(r) = request.downcast_ref::<channels::DeleteMessages>() {
        channel(&r.channel)
    } else if let Some(r) = request.downcast_ref::<channels::DeleteParticipantHistory>() {
        channel(&r.channel)
    } else if let Some(r) = request.downcast_ref::<messages::ReadMentions>() {
        peer(&r.peer)
    } else if let Some(r) = request.downcast_ref::<messages::ReadReactions>() {
        peer(&r.peer)
    } else if let Some(r) = request.downcast_ref::<messages::UnpinAllMessages>() {
        peer(&r.peer)
    } else if let Some(r) = request.downcast_ref::<messages::DeleteHistory>() {
        peer(&r.peer)
    } else {
        None
    }
}

impl Client {
    /// Opens the update feed and hands its receiving end over, once per
    /// client; `None` if it was taken already. The update stream
    /// ([`Client::updates`](crate::update_stream)) is its one consumer.
    pub(crate) fn take_update_feed(&self) -> Option<mpsc::Receiver<UpdateInput>> {
        let rx = self
            .inner
            .update_feed
            .rx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()?;
        self.inner.update_feed.open.store(true, Ordering::Release);
        Some(rx)
    }
}
