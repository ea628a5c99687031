//! One numbered sequence (a pts, the qts, the seq, a channel's pts) and
//! the items held back because they do not follow on from it yet.

use std::time::Instant;

/// An item waiting for its turn: it covers `(start, end]` of the sequence.
#[derive(Debug)]
struct Held<T> {
    start: i32,
    end: i32,
    item: T,
    /// Its peers are unknown: wait for the difference to bring them.
    needs_difference: bool,
}

/// What [`Sequence::next_ready`] hands back.
#[derive(Debug)]
pub(crate) enum Ready<T> {
    /// It follows on from the local state, which now stands at its end.
    Apply(T),
    /// It was already applied (its start lies behind the local state).
    Duplicate(T),
}

/// The local point of a sequence, with what is held beyond it.
#[derive(Debug)]
pub(crate) struct Sequence<T> {
    /// The last applied point.
    pub local: i32,
    /// Sorted by (start, end), so the next candidate is first.
    held: Vec<Held<T>>,
    /// When the held items stop being a possible gap and become a gap.
    pub gap_deadline: Option<Instant>,
}

impl<T> Sequence<T> {
    pub fn new(local: i32) -> Self {
        Sequence {
            local,
            held: Vec::new(),
            gap_deadline: None,
        }
    }

    /// Holds an item covering `(start, end]` until it is its turn.
    pub fn hold(&mut self, start: i32, end: i32, item: T, needs_difference: bool) {
        let at = self
            .held
            .partition_point(|h| (h.start, h.end) <= (start, end));
        self.held.insert(
            at,
            Held {
                start,
                end,
                item,
                needs_difference,
            },
        );
    }

    /// The next held item that is applied or dropped now. An item waiting
    /// for its peers blocks the sequence unless `force`.
    pub fn next_ready(&mut self, force: bool) -> Option<Ready<T>> {
        let first = self.held.first()?;
        if first.start < self.local {
            return Some(Ready::Duplicate(self.held.remove(0).item));
        }
        if first.start == self.local && (force || !first.needs_difference) {
            let held = self.held.remove(0);
            // end >= start is checked on the way in; max keeps the state
            // moving forward whatever comes.
            self.local = self.local.max(held.end);
            return Some(Ready::Apply(held.item));
        }
        None
    }

    pub fn held_len(&self) -> usize {
        self.held.len()
    }

    pub fn waits_for_peers(&self) -> bool {
        self.held.iter().any(|h| h.needs_difference)
    }

    /// The difference had its chance to bring the peers.
    pub fn forget_peer_waits(&mut self) {
        for held in &mut self.held {
            held.needs_difference = false;
        }
    }

    pub fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.gap_deadline = None;
        self.held.drain(..).map(|h| h.item)
    }

    /// Takes out, in order, the held items that end at or before `point`
    /// and were never applied (they start at or after the local point),
    /// one of each overlapping run (a duplicated push is held twice). The
    /// local point does not move; the rest stays held.
    ///
    /// For `differenceTooLong`: the server moves the state past items that
    /// did reach the client, and that no difference will bring again.
    pub fn take_until(&mut self, point: i32) -> Vec<T> {
        let mut reached = self.local;
        let mut taken = Vec::new();
        let mut kept = Vec::new();
        for held in self.held.drain(..) {
            if held.end <= point && held.start >= self.local {
                if held.start >= reached {
                    reached = held.end;
                    taken.push(held.item);
                }
            } else {
                kept.push(held);
            }
        }
        self.held = kept;
        taken
    }

    /// Moves the local point forward (a state from the server).
    pub fn advance_to(&mut self, point: i32) {
        self.local = self.local.max(point);
    }

    /// Starts the gap timer when something is left held, stops it when
    /// nothing is.
    pub fn refresh_gap_timer(&mut self, now: Instant, timeout: std::time::Duration) {
        if self.held.is_empty() {
            self.gap_deadline = None;
        } else if self.gap_deadline.is_none() {
            self.gap_deadline = Some(now.checked_add(timeout).unwrap_or(now));
        }
    }
}
