//! Sessions subscribed to updates, and pushing updates to them.
//!
//! A session subscribes once it makes an authorized call that is not an
//! `upload.*` file call and not wrapped in `invokeWithoutUpdates`, as on
//! Telegram. Each has a bounded queue; a session whose queue is full is
//! marked lost and gets `updatesTooLong` instead of its next update, which
//! sends a client to `updates.getDifference`. The push faults (drop,
//! reorder, duplicate, too long) apply here.

use std::collections::HashMap;
use std::sync::Mutex;

use grammers_tl_types::{self as tl, Serializable};
use tokio::sync::mpsc;
use tracing::debug;

use crate::faults::{Faults, PushFault};

/// How many updates may wait for one session before it counts as lost.
pub const PUSH_QUEUE: usize = 1024;

/// Updates for every session of one user but (optionally) one.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Whose sessions get it.
    pub user_id: i64,
    /// The session that made the call (it gets the answer instead).
    pub except_session: Option<u64>,
    /// What they get.
    pub updates: tl::enums::Updates,
}

struct Subscriber {
    user_id: i64,
    queue: mpsc::Sender<Vec<u8>>,
    /// The queue overflowed: the next push is `updatesTooLong`.
    lost: bool,
}

/// The subscribed sessions, by session number.
#[derive(Default)]
pub struct Subscribers {
    sessions: Mutex<HashMap<u64, Subscriber>>,
    /// Pushes held back by the reorder fault, to go out reversed.
    held: Mutex<Vec<(u64, Vec<u8>)>>,
}

impl Subscribers {
    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Subscriber>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Subscribes `session` (of `user_id`) with its queue; again is a no-op.
    pub fn subscribe(&self, session: u64, user_id: i64, queue: mpsc::Sender<Vec<u8>>) {
        self.sessions().entry(session).or_insert(Subscriber {
            user_id,
            queue,
            lost: false,
        });
    }

    /// Ends a session's subscription (its connection closed).
    pub fn unsubscribe(&self, session: u64) {
        self.sessions().remove(&session);
    }

    /// How many sessions of `user_id` are subscribed.
    pub fn sessions_of(&self, user_id: i64) -> usize {
        self.sessions()
            .values()
            .filter(|s| s.user_id == user_id)
            .count()
    }

    /// Pushes every delivery to its user's sessions, through the push
    /// faults. Returns, per delivery, whether it reached the user: some
    /// session was subscribed, or the calling session got it as its answer.
    pub fn deliver(&self, faults: &Faults, deliveries: Vec<Delivery>) -> Vec<bool> {
        let mut reached = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            let targets: Vec<u64> = self
                .sessions()
                .iter()
                .filter(|(id, s)| {
                    s.user_id == delivery.user_id && Some(**id) != delivery.except_session
                })
                .map(|(id, _)| *id)
                .collect();
            reached.push(delivery.except_session.is_some() || !targets.is_empty());
            if targets.is_empty() {
                continue;
            }
            let bytes = delivery.updates.to_bytes();
            for session in targets {
                self.push_one(faults, session, bytes.clone());
            }
        }
        reached
    }

    fn push_one(&self, faults: &Faults, session: u64, bytes: Vec<u8>) {
        match faults.take_push_fault() {
            Some(PushFault::Drop) => debug!(session, "fault: dropping a pushed update"),
            Some(PushFault::Duplicate) => {
                self.enqueue(session, bytes.clone());
                self.enqueue(session, bytes);
            }
            Some(PushFault::TooLong) => {
                self.enqueue(session, tl::enums::Updates::TooLong.to_bytes());
            }
            Some(PushFault::Hold { release }) => {
                let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
                held.push((session, bytes));
                if release {
                    let batch: Vec<_> = held.drain(..).rev().collect();
                    drop(held);
                    for (session, bytes) in batch {
                        self.enqueue(session, bytes);
                    }
                }
            }
            None => self.enqueue(session, bytes),
        }
    }

    fn enqueue(&self, session: u64, bytes: Vec<u8>) {
        let mut sessions = self.sessions();
        let Some(subscriber) = sessions.get_mut(&session) else {
            return;
        };
        let bytes = if subscriber.lost {
            tl::enums::Updates::TooLong.to_bytes()
        } else {
            bytes
        };
        match subscriber.queue.try_send(bytes) {
            Ok(()) => subscriber.lost = false,
            Err(mpsc::error::TrySendError::Full(_)) => {
                debug!(session, "update queue full: the session lost its updates");
                subscriber.lost = true;
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                sessions.remove(&session);
            }
        }
    }
}

/// The channel `pts` updates in a container: (channel, `pts` after them).
pub fn channel_pts(updates: &tl::enums::Updates) -> Vec<(i64, i32)> {
    let list = match updates {
        tl::enums::Updates::Updates(u) => u.updates.as_slice(),
        tl::enums::Updates::Combined(u) => u.updates.as_slice(),
        _ => &[],
    };
    let channel_of = |message: &tl::enums::Message| match message {
        tl::enums::Message::Message(m) => match &m.peer_id {
            tl::enums::Peer::Channel(c) => Some(c.channel_id),
            _ => None,
        },
        _ => None,
    };
    list.iter()
        .filter_map(|update| match update {
            tl::enums::Update::NewChannelMessage(u) => channel_of(&u.message).map(|c| (c, u.pts)),
            tl::enums::Update::EditChannelMessage(u) => channel_of(&u.message).map(|c| (c, u.pts)),
            tl::enums::Update::DeleteChannelMessages(u) => Some((u.channel_id, u.pts)),
            _ => None,
        })
        .collect()
}
