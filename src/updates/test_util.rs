//! Builders and helpers shared by the engine's tests.

use std::time::{Duration, Instant};

use grammers_tl_types as tl;

use super::{Answer, Engine, Event, KnownPeers, Request, UpdateState};

/// A peer cache that knows everyone, or no one.
pub struct Known(pub bool);
impl KnownPeers for Known {
    fn user_known(&self, _: i64) -> bool {
        self.0
    }
    fn channel_known(&self, _: i64) -> bool {
        self.0
    }
}

pub const ALL: Known = Known(true);

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn empty_message(id: i32, peer: tl::enums::Peer) -> tl::enums::Message {
    tl::enums::Message::Empty(tl::types::MessageEmpty {
        id,
        peer_id: Some(peer),
    })
}

pub fn user_message(id: i32) -> tl::enums::Message {
    empty_message(
        id,
        tl::enums::Peer::User(tl::types::PeerUser { user_id: 1 }),
    )
}

pub fn channel_message(channel_id: i64, id: i32) -> tl::enums::Message {
    empty_message(
        id,
        tl::enums::Peer::Channel(tl::types::PeerChannel { channel_id }),
    )
}

/// updateNewMessage of message `id` at `pts` (pts_count 1).
pub fn msg(id: i32, pts: i32) -> tl::enums::Update {
    tl::enums::Update::NewMessage(tl::types::UpdateNewMessage {
        message: user_message(id),
        pts,
        pts_count: 1,
    })
}

pub fn chan_msg(channel_id: i64, id: i32, pts: i32) -> tl::enums::Update {
    tl::enums::Update::NewChannelMessage(tl::types::UpdateNewChannelMessage {
        message: channel_message(channel_id, id),
        pts,
        pts_count: 1,
    })
}

pub fn short(update: tl::enums::Update) -> tl::enums::Updates {
    tl::enums::Updates::UpdateShort(tl::types::UpdateShort { update, date: 0 })
}

pub fn state(pts: i32, qts: i32, date: i32, seq: i32) -> tl::enums::updates::State {
    tl::enums::updates::State::State(tl::types::updates::State {
        pts,
        qts,
        date,
        seq,
        unread_count: 0,
    })
}

pub fn get_difference(pts: i32, date: i32, qts: i32) -> Request {
    Request::GetDifference(tl::functions::updates::GetDifference {
        pts,
        pts_limit: None,
        pts_total_limit: None,
        date,
        qts,
        qts_limit: None,
    })
}

pub fn difference_empty(date: i32, seq: i32) -> Answer {
    Answer::Difference(tl::enums::updates::Difference::Empty(
        tl::types::updates::DifferenceEmpty { date, seq },
    ))
}

pub fn difference(
    messages: Vec<tl::enums::Message>,
    other: Vec<tl::enums::Update>,
    to: tl::enums::updates::State,
    slice: bool,
) -> Answer {
    Answer::Difference(if slice {
        tl::enums::updates::Difference::Slice(tl::types::updates::DifferenceSlice {
            new_messages: messages,
            new_encrypted_messages: Vec::new(),
            other_updates: other,
            chats: Vec::new(),
            users: Vec::new(),
            intermediate_state: to,
        })
    } else {
        tl::enums::updates::Difference::Difference(tl::types::updates::Difference {
            new_messages: messages,
            new_encrypted_messages: Vec::new(),
            other_updates: other,
            chats: Vec::new(),
            users: Vec::new(),
            state: to,
        })
    })
}

pub fn saved(pts: i32, qts: i32, seq: i32, date: i32) -> UpdateState {
    UpdateState {
        pts,
        qts,
        seq,
        date,
        channels: Default::default(),
    }
}

/// The messages the events carry, as (channel or 0, message id).
pub fn delivered(events: &[Event]) -> Vec<(i64, i32)> {
    let mut out = Vec::new();
    for event in events {
        if let Event::Updates { updates, .. } = event {
            for update in updates {
                let message = match update {
                    tl::enums::Update::NewMessage(u) => &u.message,
                    tl::enums::Update::NewChannelMessage(u) => &u.message,
                    _ => continue,
                };
                let (id, peer) = match message {
                    tl::enums::Message::Empty(m) => (m.id, m.peer_id.clone()),
                    tl::enums::Message::Message(m) => (m.id, Some(m.peer_id.clone())),
                    tl::enums::Message::Service(m) => (m.id, Some(m.peer_id.clone())),
                };
                let channel = match peer {
                    Some(tl::enums::Peer::Channel(c)) => c.channel_id,
                    _ => 0,
                };
                out.push((channel, id));
            }
        }
    }
    out
}

pub fn events(engine: &mut Engine) -> Vec<Event> {
    std::iter::from_fn(|| engine.poll_event()).collect()
}

pub fn catch_ups(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::CatchUpFinished))
        .count()
}

/// An engine restored at pts 10, qts 5, seq 3, date 100, caught up.
pub fn synced(t0: Instant) -> Engine {
    let mut engine = Engine::new(Some(saved(10, 5, 3, 100)), t0);
    assert_eq!(engine.poll_request(t0), Some(get_difference(10, 100, 5)));
    engine.answer(difference_empty(100, 3), &ALL, t0);
    let events = events(&mut engine);
    assert_eq!(catch_ups(&events), 1);
    assert_eq!(engine.poll_request(t0), None);
    engine
}
