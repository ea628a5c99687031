//! A model server with the full log against the engine, through lossy,
//! duplicating, reordering pushes.

use std::time::Instant;

use proptest::prelude::*;

use super::test_util::*;
use super::{Answer, Engine, Event, Request};

/// Most messages one getDifference answer carries before it slices.
const SLICE: i32 = 10;

/// The server: message `pts` has id `pts`, date `1000 + pts`.
struct Server {
    len: i32,
}

impl Server {
    fn answer(&self, request: Request) -> Answer {
        let Request::GetDifference(get) = request else {
            panic!("unexpected request {request:?}");
        };
        if get.pts >= self.len {
            return difference_empty(1000 + self.len, 0);
        }
        let to = self.len.min(get.pts + SLICE);
        let messages = (get.pts + 1..=to).map(user_message).collect();
        difference(
            messages,
            Vec::new(),
            state(to, 0, 1000 + to, 0),
            to < self.len,
        )
    }
}

/// Per message: how many copies are pushed (0 = lost), after how many
/// steps, and whether the server says updatesTooLong at that step.
fn plan() -> impl Strategy<Value = Vec<(u8, u8, bool)>> {
    prop::collection::vec((0u8..3, 0u8..4, prop::bool::weighted(0.03)), 1..200)
}

fn pump(engine: &mut Engine, server: &Server, now: Instant, seen: &mut Vec<Event>) {
    let mut guard = 0;
    while let Some(request) = engine.poll_request(now) {
        guard += 1;
        assert!(guard < 10_000, "the engine keeps asking");
        let answer = server.answer(request);
        engine.answer(answer, &ALL, now);
    }
    seen.extend(std::iter::from_fn(|| engine.poll_event()));
}

proptest! {
    #[test]
    fn every_message_is_delivered_once_in_order(plan in plan()) {
        let t0 = Instant::now();
        let mut now = t0;
        let mut engine = Engine::new(Some(saved(0, 0, 0, 1000)), t0);
        let mut server = Server { len: 0 };
        let mut seen = Vec::new();
        let n = plan.len();
        // (arrival step, pts) of every copy.
        let mut in_flight: Vec<(usize, i32)> = Vec::new();
        for step in 0..n + 4 {
            if let Some(&(copies, delay, too_long)) = plan.get(step) {
                server.len += 1;
                for _ in 0..copies {
                    in_flight.push((step + delay as usize, server.len));
                }
                if too_long {
                    engine.push(tl::enums::Updates::TooLong, false, &ALL, now);
                }
            }
            // Arrivals of this step, in the plan's (shuffled) order.
            let (arrived, later): (Vec<_>, Vec<_>) =
                in_flight.into_iter().partition(|&(at, _)| at <= step);
            in_flight = later;
            for (_, pts) in arrived.into_iter().rev() {
                engine.push(short(msg(pts, pts)), false, &ALL, now);
            }
            pump(&mut engine, &server, now, &mut seen);
            now += ms(100);
        }
        // A lost last message shows only at the next reconnect.
        engine.reconnected(now);
        for _ in 0..100 {
            pump(&mut engine, &server, now, &mut seen);
            match engine.deadline() {
                Some(at) => {
                    prop_assert!(at > now, "busy loop: a deadline that poll_request does not serve");
                    now = now.max(at);
                }
                None => break,
            }
        }
        prop_assert_eq!(engine.deadline(), None);
        let ids: Vec<i32> = delivered(&seen).into_iter().map(|(_, id)| id).collect();
        let expected: Vec<i32> = (1..=n as i32).collect();
        prop_assert_eq!(ids, expected);
        prop_assert_eq!(catch_ups(&seen), 1);
        prop_assert_eq!(engine.state().pts, server.len);
    }
}

use grammers_tl_types as tl;
