//! Faults that tests switch on to make the fake DC misbehave on purpose.
//!
//! Every fault is armed explicitly and most disarm themselves after firing,
//! so a test states exactly what goes wrong and when. Every fault that fires
//! is counted ([`Faults::fired`]), so a test can prove that the fault it is
//! about really happened instead of passing when nothing went wrong.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[derive(Debug)]
struct FloodRule {
    /// `None` floods every method.
    method: Option<u32>,
    seconds: u32,
    remaining: u32,
}

/// What a byte budget does when it runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteFault {
    /// Close the connection.
    Drop,
    /// Keep it open but never answer again (a half-open, silent peer).
    Stall,
}

#[derive(Debug, Default)]
struct FaultState {
    floods: Vec<FloodRule>,
    drop_after_bytes: Option<(u64, ByteFault)>,
    corrupt_get_file: u32,
    lost_parts: HashSet<i32>,
}

/// How many times each kind of fault has fired since the cluster started.
///
/// A snapshot taken by [`Faults::fired`]; [`Faults::clear`] disarms faults
/// but leaves the counts, so a test can compare before and after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultCounts {
    /// Connections closed by [`Faults::drop_connection_after`].
    pub drops: u64,
    /// Connections silenced by [`Faults::stall_connection_after`].
    pub stalls: u64,
    /// Calls answered `FLOOD_WAIT_X` by [`Faults::flood_wait`].
    pub floods: u64,
    /// Parts acknowledged and thrown away by [`Faults::lose_uploaded_part`].
    pub lost_parts: u64,
    /// `upload.getFile` answers damaged by [`Faults::corrupt_get_file`].
    pub corruptions: u64,
}

#[derive(Debug, Default)]
struct Fired {
    drops: AtomicU64,
    stalls: AtomicU64,
    floods: AtomicU64,
    lost_parts: AtomicU64,
    corruptions: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// The switchboard of injected faults, shared by every DC of a cluster.
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<FaultState>,
    /// Fast path for the per-packet check: is a byte budget armed at all?
    byte_budget_armed: AtomicBool,
    fired: Fired,
}

impl Faults {
    fn state(&self) -> std::sync::MutexGuard<'_, FaultState> {
        // A panic while holding this lock cannot leave it inconsistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers the next `times` calls of `method` (a constructor id, or
    /// `None` for any method) with `FLOOD_WAIT_<seconds>`. `times == 0` arms nothing.
    pub fn flood_wait(&self, method: Option<u32>, seconds: u32, times: u32) {
        if times == 0 {
            // A rule with nothing left to fire would underflow when taken.
            return;
        }
        self.state().floods.push(FloodRule {
            method,
            seconds,
            remaining: times,
        });
    }

    /// Consumes one armed flood for this method, if any.
    pub(crate) fn take_flood_wait(&self, method: u32) -> Option<u32> {
        let mut state = self.state();
        let index = state
            .floods
            .iter()
            .position(|rule| rule.method.is_none_or(|m| m == method))?;
        let rule = &mut state.floods[index];
        let seconds = rule.seconds;
        rule.remaining -= 1;
        if rule.remaining == 0 {
            state.floods.remove(index);
        }
        bump(&self.fired.floods);
        Some(seconds)
    }

    /// Drops the connection that carries the `bytes`-th byte from now (both
    /// directions, all connections counted together). Fires once.
    pub fn drop_connection_after(&self, bytes: u64) {
        self.arm_byte_budget(bytes, ByteFault::Drop);
    }

    /// Like [`Faults::drop_connection_after`], but the connection stays
    /// open and silent: it reads and discards what the client sends and
    /// never answers again, as a half-open TCP connection behaves.
    pub fn stall_connection_after(&self, bytes: u64) {
        self.arm_byte_budget(bytes, ByteFault::Stall);
    }

    fn arm_byte_budget(&self, bytes: u64, fault: ByteFault) {
        self.state().drop_after_bytes = Some((bytes, fault));
        self.byte_budget_armed.store(true, Ordering::Release);
    }

    /// Counts `n` bytes of traffic; says what this connection must do if the
    /// budget just ran out.
    pub(crate) fn count_bytes(&self, n: usize) -> Option<ByteFault> {
        if !self.byte_budget_armed.load(Ordering::Acquire) {
            return None;
        }
        let mut state = self.state();
        match state.drop_after_bytes {
            Some((left, fault)) if left <= n as u64 => {
                state.drop_after_bytes = None;
                self.byte_budget_armed.store(false, Ordering::Release);
                bump(match fault {
                    ByteFault::Drop => &self.fired.drops,
                    ByteFault::Stall => &self.fired.stalls,
                });
                Some(fault)
            }
            Some((left, fault)) => {
                state.drop_after_bytes = Some((left - n as u64, fault));
                None
            }
            None => None,
        }
    }

    /// Flips a byte in each of the next `responses` `upload.getFile` answers.
    pub fn corrupt_get_file(&self, responses: u32) {
        self.state().corrupt_get_file += responses;
    }

    pub(crate) fn take_corruption(&self) -> bool {
        let mut state = self.state();
        if state.corrupt_get_file > 0 {
            state.corrupt_get_file -= 1;
            bump(&self.fired.corruptions);
            true
        } else {
            false
        }
    }

    /// Acknowledges the next upload of file part `part` but throws it away,
    /// so finalising reports `FILE_PART_<part>_MISSING`.
    pub fn lose_uploaded_part(&self, part: i32) {
        self.state().lost_parts.insert(part);
    }

    pub(crate) fn take_lost_part(&self, part: i32) -> bool {
        let lost = self.state().lost_parts.remove(&part);
        if lost {
            bump(&self.fired.lost_parts);
        }
        lost
    }

    /// How many times each fault has fired so far.
    pub fn fired(&self) -> FaultCounts {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        FaultCounts {
            drops: get(&self.fired.drops),
            stalls: get(&self.fired.stalls),
            floods: get(&self.fired.floods),
            lost_parts: get(&self.fired.lost_parts),
            corruptions: get(&self.fired.corruptions),
        }
    }

    /// Disarms every fault. The counts of [`Faults::fired`] are kept.
    pub fn clear(&self) {
        *self.state() = FaultState::default();
        self.byte_budget_armed.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_fires_the_requested_number_of_times() {
        let faults = Faults::default();
        faults.flood_wait(Some(1), 3, 2);
        assert_eq!(faults.take_flood_wait(2), None);
        assert_eq!(faults.take_flood_wait(1), Some(3));
        assert_eq!(faults.take_flood_wait(1), Some(3));
        assert_eq!(faults.take_flood_wait(1), None);
    }

    #[test]
    fn a_flood_armed_zero_times_never_fires() {
        let faults = Faults::default();
        faults.flood_wait(None, 3, 0);
        assert_eq!(faults.take_flood_wait(1), None);
        faults.flood_wait(Some(1), 4, 1);
        faults.flood_wait(Some(1), 5, 0);
        assert_eq!(faults.take_flood_wait(1), Some(4));
        assert_eq!(faults.take_flood_wait(1), None);
    }

    #[test]
    fn byte_budget_fires_once() {
        let faults = Faults::default();
        assert_eq!(faults.count_bytes(10), None);
        faults.drop_connection_after(100);
        assert_eq!(faults.count_bytes(60), None);
        assert_eq!(faults.count_bytes(60), Some(ByteFault::Drop));
        assert_eq!(faults.count_bytes(1000), None);
        faults.stall_connection_after(10);
        assert_eq!(faults.count_bytes(10), Some(ByteFault::Stall));
        assert_eq!((faults.fired().drops, faults.fired().stalls), (1, 1));
    }

    #[test]
    fn every_fault_that_fires_is_counted_and_only_then() {
        let faults = Faults::default();
        faults.flood_wait(Some(1), 3, 2);
        faults.corrupt_get_file(1);
        faults.lose_uploaded_part(4);
        faults.drop_connection_after(1000);
        assert_eq!(faults.fired(), FaultCounts::default(), "armed is not fired");

        assert_eq!(faults.take_flood_wait(1), Some(3));
        assert!(faults.take_corruption());
        assert!(!faults.take_corruption());
        assert!(!faults.take_lost_part(3));
        assert!(faults.take_lost_part(4));
        assert_eq!(faults.count_bytes(999), None);
        let fired = faults.fired();
        assert_eq!(
            (
                fired.floods,
                fired.corruptions,
                fired.lost_parts,
                fired.drops
            ),
            (1, 1, 1, 0)
        );

        faults.clear();
        assert_eq!(faults.take_flood_wait(1), None, "cleared");
        assert_eq!(faults.fired(), fired, "clearing keeps the counts");
    }
}
