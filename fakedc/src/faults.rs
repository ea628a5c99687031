//! Faults that tests switch on to make the fake DC misbehave on purpose.
//!
//! Every fault is armed explicitly and most disarm themselves after firing,
//! so a test states exactly what goes wrong and when.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// The switchboard of injected faults, shared by every DC of a cluster.
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<FaultState>,
    /// Fast path for the per-packet check: is a byte budget armed at all?
    byte_budget_armed: AtomicBool,
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
        self.state().lost_parts.remove(&part)
    }

    /// Disarms every fault.
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
    }
}
