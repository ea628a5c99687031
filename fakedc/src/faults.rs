//! Faults that tests switch on to make the fake DC misbehave on purpose.
//!
//! Every fault is armed explicitly and most disarm themselves after firing,
//! so a test states exactly what goes wrong and when. Every fault that fires
//! is counted ([`Faults::fired`]), so a test can prove that the fault it is
//! about really happened instead of passing when nothing went wrong.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use tokio::sync::watch;

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

/// Which calls a rule applies to: a method (constructor id, `None` = any)
/// on a DC (`None` = any).
#[derive(Debug, Clone, Copy)]
struct Target {
    method: Option<u32>,
    dc_id: Option<i32>,
}

impl Target {
    fn matches(&self, method: u32, dc_id: i32) -> bool {
        self.method.is_none_or(|m| m == method) && self.dc_id.is_none_or(|d| d == dc_id)
    }
}

#[derive(Debug)]
struct RpcErrorRule {
    target: Target,
    code: i32,
    message: String,
    remaining: u32,
}

#[derive(Debug)]
struct HoldRule {
    target: Target,
    remaining: u32,
}

#[derive(Debug, Default)]
struct FaultState {
    floods: Vec<FloodRule>,
    drop_after_bytes: Option<(u64, ByteFault)>,
    corrupt_get_file: u32,
    lost_parts: HashSet<i32>,
    rpc_errors: Vec<RpcErrorRule>,
    holds: Vec<HoldRule>,
    duplicate_answers: u32,
    replay_answers: u32,
    rotate_before_packets: u32,
    drop_pushes: u32,
    reorder_pushes: u32,
    duplicate_pushes: u32,
    too_long_pushes: u32,
    too_long_differences: u32,
}

/// What a push fault does to one pushed update (see [`Faults::drop_pushes`] and the others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushFault {
    /// The update never goes out: the client sees a gap.
    Drop,
    /// The update goes out twice.
    Duplicate,
    /// `updatesTooLong` goes out instead.
    TooLong,
    /// The update is held; with `release`, every held one goes out, newest first.
    Hold {
        /// This was the last one to hold.
        release: bool,
    },
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
    /// `bad_msg_notification` 16 or 17 sent because of
    /// [`Faults::set_clock_offset`].
    pub clock_rejections: u64,
    /// Calls answered with an error by [`Faults::rpc_error`].
    pub rpc_errors: u64,
    /// `bad_server_salt` sent for a salt that was valid before
    /// [`Faults::rotate_salt`].
    pub salt_rotations: u64,
    /// Answers sent twice (same message) by [`Faults::duplicate_answers`].
    pub duplicated_answers: u64,
    /// Earlier answers sent again by [`Faults::replay_old_answers`].
    pub replayed_answers: u64,
    /// Answers withheld by [`Faults::hold_answers`].
    pub held_answers: u64,
    /// Pushed updates thrown away by [`Faults::drop_pushes`].
    pub dropped_pushes: u64,
    /// Pushed updates held and sent reversed by [`Faults::reorder_pushes`].
    pub reordered_pushes: u64,
    /// Pushed updates sent twice by [`Faults::duplicate_pushes`].
    pub duplicated_pushes: u64,
    /// `updatesTooLong` sent instead of an update by [`Faults::too_long_pushes`].
    pub too_long_pushes: u64,
    /// `differenceTooLong` answers forced by [`Faults::too_long_differences`].
    pub too_long_differences: u64,
}

#[derive(Debug, Default)]
struct Fired {
    drops: AtomicU64,
    stalls: AtomicU64,
    floods: AtomicU64,
    lost_parts: AtomicU64,
    corruptions: AtomicU64,
    clock_rejections: AtomicU64,
    rpc_errors: AtomicU64,
    salt_rotations: AtomicU64,
    duplicated_answers: AtomicU64,
    replayed_answers: AtomicU64,
    held_answers: AtomicU64,
    dropped_pushes: AtomicU64,
    reordered_pushes: AtomicU64,
    duplicated_pushes: AtomicU64,
    too_long_pushes: AtomicU64,
    too_long_differences: AtomicU64,
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
    /// Seconds the server's clock is ahead of the real one (negative: behind).
    clock_offset: AtomicI64,
    /// How many times the salts were rotated; mixed into every salt.
    salt_epoch: AtomicU64,
    /// Bumped by [`Faults::release_held_answers`]; held answers wait for a change.
    release: watch::Sender<u64>,
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

    /// Moves the server's clock `seconds` ahead of the real one (negative:
    /// behind), until changed or [`Faults::clear`]ed. The server then checks
    /// client msg_ids against its own clock, as Telegram does (more than
    /// 300 s in the past is `bad_msg_notification` 16, more than 30 s in the
    /// future 17), stamps its own msg_ids with it, and gives out the salts
    /// and `future_salts.now` of its time.
    pub fn set_clock_offset(&self, seconds: i64) {
        self.clock_offset.store(seconds, Ordering::Relaxed);
    }

    /// The current clock offset in seconds (see [`Faults::set_clock_offset`]).
    pub fn clock_offset(&self) -> i64 {
        self.clock_offset.load(Ordering::Relaxed)
    }

    pub(crate) fn record_clock_rejection(&self) {
        bump(&self.fired.clock_rejections);
    }

    /// Answers the next `times` calls of `method` (a constructor id, `None`
    /// for any) on `dc_id` (`None` for any DC) with `rpc_error` `code` and
    /// `message`, e.g. `401 AUTH_KEY_UNREGISTERED`, `500 INTERNAL`,
    /// `-503 Timeout`. The call is counted but never reaches its handler.
    /// `times == 0` arms nothing.
    pub fn rpc_error(
        &self,
        method: Option<u32>,
        dc_id: Option<i32>,
        code: i32,
        message: &str,
        times: u32,
    ) {
        if times == 0 {
            return;
        }
        self.state().rpc_errors.push(RpcErrorRule {
            target: Target { method, dc_id },
            code,
            message: message.into(),
            remaining: times,
        });
    }

    /// Consumes one armed error for this call, if any.
    pub(crate) fn take_rpc_error(&self, method: u32, dc_id: i32) -> Option<(i32, String)> {
        let mut state = self.state();
        let index = state
            .rpc_errors
            .iter()
            .position(|rule| rule.target.matches(method, dc_id))?;
        let rule = &mut state.rpc_errors[index];
        let error = (rule.code, rule.message.clone());
        rule.remaining -= 1;
        if rule.remaining == 0 {
            state.rpc_errors.remove(index);
        }
        bump(&self.fired.rpc_errors);
        Some(error)
    }

    /// Rotates the server salts now: every salt handed out so far becomes
    /// invalid, and the next packet that uses one is answered
    /// `bad_server_salt` with the new salt, as when Telegram's salt changes
    /// under a busy connection.
    pub fn rotate_salt(&self) {
        self.salt_epoch.fetch_add(1, Ordering::Relaxed);
    }

    /// Rotates the salts before each of the next `packets` packets from
    /// any client: every packet, resends included, meets a salt it could
    /// not know (a server that never lets a request through).
    pub fn rotate_salt_before_packets(&self, packets: u32) {
        self.state().rotate_before_packets = packets;
    }

    /// Rotates the salts if [`Faults::rotate_salt_before_packets`] says so.
    pub(crate) fn before_packet(&self) {
        let mut state = self.state();
        if state.rotate_before_packets > 0 {
            state.rotate_before_packets -= 1;
            drop(state);
            self.rotate_salt();
        }
    }

    /// How many times the salts were rotated (mixed into every salt).
    pub(crate) fn salt_epoch(&self) -> u64 {
        self.salt_epoch.load(Ordering::Relaxed)
    }

    pub(crate) fn record_salt_rotation(&self) {
        bump(&self.fired.salt_rotations);
    }

    /// Sends each of the next `answers` `rpc_result`s twice: the same
    /// encrypted packet (same server msg_id) in two transport frames, as a
    /// server that resends a message does.
    pub fn duplicate_answers(&self, answers: u32) {
        self.state().duplicate_answers += answers;
    }

    pub(crate) fn take_duplicate(&self) -> bool {
        let mut state = self.state();
        if state.duplicate_answers > 0 {
            state.duplicate_answers -= 1;
            bump(&self.fired.duplicated_answers);
            true
        } else {
            false
        }
    }

    /// Before each of the next `answers` answers to a call, the connection
    /// sends its previous `rpc_result` again (in a new message): an old
    /// answer for a request the client has already seen answered. Only a
    /// connection that has answered before can fire it.
    pub fn replay_old_answers(&self, answers: u32) {
        self.state().replay_answers += answers;
    }

    /// Whether a replay is armed (connections keep their last answer then).
    pub(crate) fn replay_armed(&self) -> bool {
        self.state().replay_answers > 0
    }

    pub(crate) fn take_replay(&self) -> bool {
        let mut state = self.state();
        if state.replay_answers > 0 {
            state.replay_answers -= 1;
            bump(&self.fired.replayed_answers);
            true
        } else {
            false
        }
    }

    /// Withholds the answers to the next `times` calls of `method` on
    /// `dc_id` (`None` for any DC) until [`Faults::release_held_answers`]:
    /// the call takes effect, its answer waits, and the connection goes on
    /// serving other calls meanwhile (a slow method, not a stalled link).
    pub fn hold_answers(&self, method: u32, dc_id: Option<i32>, times: u32) {
        if times == 0 {
            return;
        }
        self.state().holds.push(HoldRule {
            target: Target {
                method: Some(method),
                dc_id,
            },
            remaining: times,
        });
    }

    /// Consumes one armed hold for this call; the receiver changes when the
    /// answer may go.
    pub(crate) fn take_hold(&self, method: u32, dc_id: i32) -> Option<watch::Receiver<u64>> {
        let mut state = self.state();
        let index = state
            .holds
            .iter()
            .position(|rule| rule.target.matches(method, dc_id))?;
        let rule = &mut state.holds[index];
        rule.remaining -= 1;
        if rule.remaining == 0 {
            state.holds.remove(index);
        }
        bump(&self.fired.held_answers);
        Some(self.release.subscribe())
    }

    /// Sends every answer withheld by [`Faults::hold_answers`] so far.
    pub fn release_held_answers(&self) {
        self.release.send_modify(|generation| *generation += 1);
    }

    /// Throws away the next `updates` pushed updates (one per session
    /// they go to): the clients see a gap in `pts` and must fetch the
    /// difference.
    pub fn drop_pushes(&self, updates: u32) {
        self.state().drop_pushes += updates;
    }

    /// Holds the next `updates` pushed updates and then sends them newest
    /// first (out of `pts` order).
    pub fn reorder_pushes(&self, updates: u32) {
        self.state().reorder_pushes += updates;
    }

    /// Sends each of the next `updates` pushed updates twice.
    pub fn duplicate_pushes(&self, updates: u32) {
        self.state().duplicate_pushes += updates;
    }

    /// Sends `updatesTooLong` instead of each of the next `updates` pushed updates.
    pub fn too_long_pushes(&self, updates: u32) {
        self.state().too_long_pushes += updates;
    }

    /// Answers the next `answers` `updates.getDifference` /
    /// `updates.getChannelDifference` calls that are not empty with
    /// `differenceTooLong` / `channelDifferenceTooLong`.
    pub fn too_long_differences(&self, answers: u32) {
        self.state().too_long_differences += answers;
    }

    /// The push fault for the next pushed update, if one is armed.
    pub(crate) fn take_push_fault(&self) -> Option<PushFault> {
        let mut state = self.state();
        let take = |n: &mut u32| {
            let armed = *n > 0;
            if armed {
                *n -= 1;
            }
            armed
        };
        let fault = if take(&mut state.drop_pushes) {
            bump(&self.fired.dropped_pushes);
            PushFault::Drop
        } else if take(&mut state.too_long_pushes) {
            bump(&self.fired.too_long_pushes);
            PushFault::TooLong
        } else if take(&mut state.duplicate_pushes) {
            bump(&self.fired.duplicated_pushes);
            PushFault::Duplicate
        } else if take(&mut state.reorder_pushes) {
            bump(&self.fired.reordered_pushes);
            PushFault::Hold {
                release: state.reorder_pushes == 0,
            }
        } else {
            return None;
        };
        Some(fault)
    }

    /// Whether this difference must be too long (consumes one armed answer).
    pub(crate) fn take_too_long_difference(&self) -> bool {
        let mut state = self.state();
        if state.too_long_differences > 0 {
            state.too_long_differences -= 1;
            bump(&self.fired.too_long_differences);
            true
        } else {
            false
        }
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
            clock_rejections: get(&self.fired.clock_rejections),
            rpc_errors: get(&self.fired.rpc_errors),
            salt_rotations: get(&self.fired.salt_rotations),
            duplicated_answers: get(&self.fired.duplicated_answers),
            replayed_answers: get(&self.fired.replayed_answers),
            held_answers: get(&self.fired.held_answers),
            dropped_pushes: get(&self.fired.dropped_pushes),
            reordered_pushes: get(&self.fired.reordered_pushes),
            duplicated_pushes: get(&self.fired.duplicated_pushes),
            too_long_pushes: get(&self.fired.too_long_pushes),
            too_long_differences: get(&self.fired.too_long_differences),
        }
    }

    /// Disarms every fault and puts the clock right; answers already held
    /// are released. Rotated salts stay rotated. The counts of
    /// [`Faults::fired`] are kept.
    pub fn clear(&self) {
        *self.state() = FaultState::default();
        self.byte_budget_armed.store(false, Ordering::Release);
        self.clock_offset.store(0, Ordering::Relaxed);
        self.release_held_answers();
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

    #[test]
    fn rpc_errors_fire_for_their_method_and_dc_only() {
        let faults = Faults::default();
        faults.rpc_error(Some(7), Some(2), -503, "Timeout", 2);
        faults.rpc_error(None, None, 500, "INTERNAL", 0);
        assert_eq!(faults.take_rpc_error(7, 1), None, "another DC");
        assert_eq!(faults.take_rpc_error(8, 2), None, "another method");
        assert_eq!(faults.take_rpc_error(7, 2), Some((-503, "Timeout".into())));
        assert_eq!(faults.take_rpc_error(7, 2), Some((-503, "Timeout".into())));
        assert_eq!(faults.take_rpc_error(7, 2), None, "spent");
        assert_eq!(faults.fired().rpc_errors, 2);
    }

    #[test]
    fn answers_are_duplicated_and_replayed_as_often_as_armed() {
        let faults = Faults::default();
        faults.duplicate_answers(1);
        faults.replay_old_answers(2);
        assert!(faults.take_duplicate());
        assert!(!faults.take_duplicate());
        assert!(faults.take_replay());
        assert!(faults.take_replay());
        assert!(!faults.take_replay());
        let fired = faults.fired();
        assert_eq!((fired.duplicated_answers, fired.replayed_answers), (1, 2));
    }

    #[tokio::test]
    async fn held_answers_wait_for_the_release() {
        let faults = Faults::default();
        faults.hold_answers(9, Some(4), 1);
        assert!(faults.take_hold(9, 2).is_none(), "another DC");
        let mut held = faults.take_hold(9, 4).expect("armed");
        assert!(faults.take_hold(9, 4).is_none(), "spent");
        assert!(!held.has_changed().unwrap_or(true), "not released yet");
        faults.release_held_answers();
        held.changed().await.expect("released");
        assert_eq!(faults.fired().held_answers, 1);
    }

    #[test]
    fn salts_rotate_before_as_many_packets_as_armed() {
        let faults = Faults::default();
        faults.before_packet();
        assert_eq!(faults.salt_epoch(), 0, "nothing armed");
        faults.rotate_salt_before_packets(2);
        faults.before_packet();
        faults.before_packet();
        faults.before_packet();
        assert_eq!(faults.salt_epoch(), 2);
    }

    #[test]
    fn clock_offset_and_salt_rotation_are_plain_settings() {
        let faults = Faults::default();
        faults.set_clock_offset(-600);
        assert_eq!(faults.clock_offset(), -600);
        faults.rotate_salt();
        faults.rotate_salt();
        assert_eq!(faults.salt_epoch(), 2);
        faults.clear();
        assert_eq!(faults.clock_offset(), 0, "cleared");
        assert_eq!(faults.salt_epoch(), 2, "salts stay rotated");
        assert_eq!(faults.fired(), FaultCounts::default(), "nothing fired");
    }
}
