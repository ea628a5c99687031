//! The engine: the boxes, the difference loops and the events.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use grammers_tl_types as tl;

use super::classify::{self, Kind, Peers};
use super::sequence::{Ready, Sequence};
use super::{
    Answer, CHANNEL_DIFFERENCE_LIMIT, Event, KnownPeers, MAX_HELD_PER_BOX, POSSIBLE_GAP_TIMEOUT,
    Request, UpdateState,
};

/// The first retry after a failure waits this long, doubling per failure.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(60);
/// Server-given waits (flood waits, channel timeouts) are capped here so
/// that garbage cannot park a box for ever.
const MAX_SERVER_WAIT: Duration = Duration::from_secs(24 * 3600);
/// One difference loop ends after this many answers, or after this many in
/// a row that did not move the state: a server slicing for ever cannot
/// keep the engine asking.
const MAX_LOOP_STEPS: u32 = 1000;
const MAX_STALLED_STEPS: u32 = 3;

/// An update with a place in a pts or qts sequence, waiting or applied.
/// `update` is None for what only moves the sequence (updateShortSentMessage,
/// affectedMessages).
#[derive(Debug)]
struct Pending {
    update: Option<tl::enums::Update>,
    peers: Arc<Peers>,
    from_own_request: bool,
}

/// An `updates` / `updatesCombined` waiting for its seq.
#[derive(Debug)]
struct Container {
    updates: Vec<tl::enums::Update>,
    peers: Arc<Peers>,
    date: i32,
    from_own_request: bool,
}

/// Where a box's difference loop stands.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Idle,
    /// Make the request at this time.
    Wanted(Instant),
    /// Sent; pushed updates for the box are held until it is answered.
    InFlight(Request),
}

#[derive(Debug)]
struct Fetch {
    phase: Phase,
    /// Failures in a row, for the backoff.
    failures: u32,
    /// No request before this (a backoff or a flood wait).
    retry_at: Option<Instant>,
    /// Fetch once more when the current loop ends (a reason to fetch came
    /// while the request was in flight).
    again: bool,
    steps: u32,
    stalled: u32,
}

impl Fetch {
    fn new(phase: Phase) -> Self {
        Fetch {
            phase,
            failures: 0,
            retry_at: None,
            again: false,
            steps: 0,
            stalled: 0,
        }
    }

    fn in_flight(&self) -> bool {
        matches!(self.phase, Phase::InFlight(_))
    }

    fn busy(&self) -> bool {
        self.phase != Phase::Idle || self.again
    }

    /// Asks for the difference at `at` at the earliest, never before a
    /// pending retry time.
    fn want(&mut self, at: Instant) {
        let at = self.retry_at.map_or(at, |retry| retry.max(at));
        match self.phase {
            Phase::Idle => self.phase = Phase::Wanted(at),
            Phase::Wanted(t) => self.phase = Phase::Wanted(t.min(at)),
            Phase::InFlight(_) => self.again = true,
        }
    }

    fn due(&self, now: Instant) -> bool {
        matches!(self.phase, Phase::Wanted(t) if t <= now)
    }

    /// One more answer in this loop; false when the loop must stop.
    fn step(&mut self, progressed: bool) -> bool {
        self.failures = 0;
        self.retry_at = None;
        self.steps += 1;
        self.stalled = if progressed { 0 } else { self.stalled + 1 };
        self.steps < MAX_LOOP_STEPS && self.stalled < MAX_STALLED_STEPS
    }

    fn end_loop(&mut self, now: Instant) {
        self.failures = 0;
        self.retry_at = None;
        self.steps = 0;
        self.stalled = 0;
        self.phase = Phase::Idle;
        if std::mem::take(&mut self.again) {
            self.phase = Phase::Wanted(now);
        }
    }

    fn failed(&mut self, retry_after: Option<Duration>, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        let backoff = FIRST_RETRY
            .saturating_mul(1 << (self.failures - 1).min(6))
            .min(MAX_RETRY);
        let wait = retry_after.map_or(backoff, |w| w.min(MAX_SERVER_WAIT));
        let at = now.checked_add(wait).unwrap_or(now);
        self.retry_at = Some(at);
        self.phase = Phase::Wanted(at);
    }
}

/// The common box: pts, qts and seq share getDifference.
#[derive(Debug)]
struct CommonBox {
    /// False until getState answers, for a fresh account.
    synced: bool,
    pts: Sequence<Pending>,
    qts: Sequence<Pending>,
    seq: Sequence<Container>,
    date: i32,
    fetch: Fetch,
}

#[derive(Debug)]
struct ChannelBox {
    pts: Sequence<Pending>,
    fetch: Fetch,
    /// The server's `timeout`: no fetch without a gap before then.
    quiet_until: Option<Instant>,
    /// How often its difference could not be asked for for want of an
    /// access hash.
    access_unknown: u32,
}

impl ChannelBox {
    fn new(pts: i32) -> Self {
        ChannelBox {
            pts: Sequence::new(pts),
            fetch: Fetch::new(Phase::Idle),
            quiet_until: None,
            access_unknown: 0,
        }
    }
}

/// The updates state machine. See the [module documentation](super).
#[derive(Debug)]
pub struct Engine {
    common: CommonBox,
    channels: BTreeMap<i64, ChannelBox>,
    events: VecDeque<Event>,
    /// The Updates event being gathered, with the peer sets already in it.
    batch: Option<(Vec<tl::enums::Update>, Vec<Arc<Peers>>, bool)>,
    catching_up: bool,
    saved: UpdateState,
}

impl Engine {
    /// `saved`: the persisted state, or None for a fresh account (first
    /// request is GetState, then CatchUpFinished immediately after the state
    /// arrives). With Some, the first request is GetDifference from that
    /// state (catching up on exactly what was missed while offline);
    /// CatchUpFinished comes after the loop ends.
    pub fn new(saved: Option<UpdateState>, now: Instant) -> Engine {
        let synced = saved.is_some();
        let state = saved.unwrap_or_default();
        Engine {
            common: CommonBox {
                synced,
                pts: Sequence::new(state.pts),
                qts: Sequence::new(state.qts),
                seq: Sequence::new(state.seq),
                date: state.date,
                fetch: Fetch::new(Phase::Wanted(now)),
            },
            channels: state
                .channels
                .iter()
                .map(|(&id, &pts)| (id, ChannelBox::new(pts)))
                .collect(),
            events: VecDeque::new(),
            batch: None,
            catching_up: true,
            saved: state,
        }
    }

    /// Feed an Updates pushed by the server (from_own_request = false) or
    /// returned by an RPC this client made (true), e.g. the answer of
    /// messages.sendMessage (updateShortSentMessage carries pts/pts_count).
    pub fn push(
        &mut self,
        updates: tl::enums::Updates,
        from_own_request: bool,
        peers: &dyn KnownPeers,
        now: Instant,
    ) {
        use tl::enums::Updates as U;
        let own = from_own_request;
        let no_peers = || Arc::new(Peers::default());
        match updates {
            U::TooLong => {
                tracing::debug!("updatesTooLong: fetching the difference");
                self.common.fetch.want(now);
            }
            U::UpdateShortMessage(m) => {
                self.route(classify::short_message(m), &no_peers(), own, peers, now)
            }
            U::UpdateShortChatMessage(m) => self.route(
                classify::short_chat_message(m),
                &no_peers(),
                own,
                peers,
                now,
            ),
            U::UpdateShort(short) => self.route(short.update, &no_peers(), own, peers, now),
            U::UpdateShortSentMessage(sent) => self.hold_pts(
                None,
                sent.pts,
                sent.pts_count,
                None,
                no_peers(),
                own,
                false,
                now,
            ),
            U::Combined(c) => {
                let container = Container {
                    updates: c.updates,
                    peers: Peers::new(c.users, c.chats),
                    date: c.date,
                    from_own_request: own,
                };
                self.push_container(c.seq_start, c.seq, container, peers, now);
            }
            U::Updates(u) => {
                let container = Container {
                    updates: u.updates,
                    peers: Peers::new(u.users, u.chats),
                    date: u.date,
                    from_own_request: own,
                };
                self.push_container(u.seq, u.seq, container, peers, now);
            }
        }
        self.settle(peers, now);
    }

    /// pts from messages.affectedMessages / affectedHistory / channels
    /// answers (channel_id Some for channels.deleteMessages etc.).
    pub fn affected(&mut self, channel_id: Option<i64>, pts: i32, pts_count: i32, now: Instant) {
        self.hold_pts(
            channel_id,
            pts,
            pts_count,
            None,
            Arc::default(),
            true,
            false,
            now,
        );
        self.settle(&AllKnown, now);
    }

    /// Reports the answer to a request [`Engine::poll_request`] gave.
    pub fn answer(&mut self, answer: Answer, peers: &dyn KnownPeers, now: Instant) {
        match answer {
            Answer::State(state) => self.on_state(state, now),
            Answer::Difference(difference) => self.on_difference(difference, peers, now),
            Answer::ChannelDifference {
                channel_id,
                difference,
            } => self.on_channel_difference(channel_id, difference, peers, now),
            Answer::Failed {
                request,
                retry_after,
            } => {
                let fetch = match &request {
                    Request::GetState | Request::GetDifference(_) => Some(&mut self.common.fetch),
                    Request::GetChannelDifference { channel_id, .. } => {
                        self.channels.get_mut(channel_id).map(|c| &mut c.fetch)
                    }
                };
                if let Some(fetch) = fetch.filter(|f| f.phase == Phase::InFlight(request.clone())) {
                    tracing::debug!(?request, ?retry_after, "update request failed; retrying");
                    fetch.failed(retry_after, now);
                }
            }
            Answer::ChannelAccessUnknown { channel_id } => {
                let retry = self.channels.get_mut(&channel_id).is_some_and(|channel| {
                    channel.access_unknown += 1;
                    channel.access_unknown <= super::UNKNOWN_CHANNEL_RETRIES
                });
                if retry {
                    tracing::debug!(
                        channel_id,
                        "channel access hash unknown; common difference first"
                    );
                    // The common difference names the channel in its
                    // chats; the channel is asked for again after a backoff.
                    self.common.fetch.want(now);
                    if let Some(channel) = self.channels.get_mut(&channel_id) {
                        channel.fetch.failed(None, now);
                    }
                } else {
                    self.give_up_channel(channel_id);
                }
            }
            Answer::ChannelUnavailable { channel_id } => self.give_up_channel(channel_id),
        }
        self.settle(peers, now);
    }

    /// Stops tracking a channel that cannot be fetched, delivering what it
    /// holds as far as it is contiguous.
    fn give_up_channel(&mut self, channel_id: i64) {
        let Some(mut channel) = self.channels.remove(&channel_id) else {
            return;
        };
        tracing::debug!(channel_id, "channel unavailable: no longer tracked");
        while let Some(ready) = channel.pts.next_ready(true) {
            if let Ready::Apply(pending) = ready {
                self.emit_pending(pending);
            }
        }
    }

    /// The main connection was re-established: updates may have been
    /// missed; fetch the difference.
    pub fn reconnected(&mut self, now: Instant) {
        self.common.fetch.want(now);
    }

    /// The next request to make now, if any. At most one common
    /// (GetState/GetDifference) in flight and at most one per channel; a
    /// request is "in flight" until `answer` reports it.
    pub fn poll_request(&mut self, now: Instant) -> Option<Request> {
        let common = &mut self.common;
        if !common.fetch.in_flight() {
            let timers = [
                &mut common.pts.gap_deadline,
                &mut common.qts.gap_deadline,
                &mut common.seq.gap_deadline,
            ];
            if fire(timers, now) {
                tracing::debug!("gap in the common box: fetching the difference");
                common.fetch.want(now);
            }
        }
        if common.fetch.due(now) {
            let request = if common.synced {
                Request::GetDifference(tl::functions::updates::GetDifference {
                    pts: common.pts.local,
                    pts_limit: None,
                    pts_total_limit: None,
                    date: common.date,
                    qts: common.qts.local,
                    qts_limit: None,
                })
            } else {
                Request::GetState
            };
            common.fetch.phase = Phase::InFlight(request.clone());
            return Some(request);
        }
        for (&channel_id, channel) in &mut self.channels {
            if !channel.fetch.in_flight() && fire([&mut channel.pts.gap_deadline], now) {
                tracing::debug!(channel_id, "gap in a channel: fetching its difference");
                channel.fetch.want(now);
            }
            if channel.fetch.due(now) {
                let request = Request::GetChannelDifference {
                    channel_id,
                    pts: channel.pts.local,
                    limit: CHANNEL_DIFFERENCE_LIMIT,
                };
                channel.fetch.phase = Phase::InFlight(request.clone());
                return Some(request);
            }
        }
        None
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When the driver must call poll_request again at the latest (gap
    /// timers, retry backoffs, channel timeouts). None = only on new input.
    pub fn deadline(&self) -> Option<Instant> {
        let boxes = std::iter::once((
            &self.common.fetch,
            [
                self.common.pts.gap_deadline,
                self.common.qts.gap_deadline,
                self.common.seq.gap_deadline,
            ],
        ))
        .chain(
            self.channels
                .values()
                .map(|c| (&c.fetch, [c.pts.gap_deadline, None, None])),
        );
        let mut earliest: Option<Instant> = None;
        for (fetch, timers) in boxes {
            let times: Vec<Instant> = match fetch.phase {
                Phase::InFlight(_) => Vec::new(),
                Phase::Wanted(at) => vec![at],
                Phase::Idle => timers.into_iter().flatten().collect(),
            };
            for at in times {
                earliest = Some(earliest.map_or(at, |e| e.min(at)));
            }
        }
        earliest
    }

    /// The state to persist (only pts/qts/seq/date already applied — never
    /// beyond a gap).
    pub fn state(&self) -> UpdateState {
        UpdateState {
            pts: self.common.pts.local,
            qts: self.common.qts.local,
            seq: self.common.seq.local,
            date: self.common.date,
            channels: self
                .channels
                .iter()
                .map(|(&id, c)| (id, c.pts.local))
                .collect(),
        }
    }

    /// True when `state()` changed since the last call of `mark_saved`.
    pub fn is_dirty(&self) -> bool {
        self.state() != self.saved
    }

    /// The current state has been persisted.
    pub fn mark_saved(&mut self) {
        self.saved = self.state();
    }

    // ---- pushed updates ----

    fn push_container(
        &mut self,
        seq_start: i32,
        seq: i32,
        container: Container,
        peers: &dyn KnownPeers,
        now: Instant,
    ) {
        if seq == 0 || seq_start == 0 {
            // Unordered: each update goes by its own sequence.
            self.apply_container(container, false, peers, now);
            return;
        }
        let start = seq_start.saturating_sub(1);
        self.common
            .seq
            .hold(start, seq.max(start), container, false);
    }

    /// Delivers a container whose seq came (or, with `stale`, was already
    /// applied: then only the updates with their own sequence go on, by
    /// their own rules, so none is lost and none is delivered twice).
    fn apply_container(
        &mut self,
        container: Container,
        stale: bool,
        peers: &dyn KnownPeers,
        now: Instant,
    ) {
        if !stale {
            self.common.date = self.common.date.max(container.date);
        }
        for update in container.updates {
            if stale && classify::kind_of(&update) == Kind::Plain {
                continue;
            }
            self.route(
                update,
                &container.peers,
                container.from_own_request,
                peers,
                now,
            );
        }
    }

    /// Sends one pushed update to its box.
    fn route(
        &mut self,
        update: tl::enums::Update,
        container: &Arc<Peers>,
        own: bool,
        known: &dyn KnownPeers,
        now: Instant,
    ) {
        let unknown = classify::mentions_unknown(&update, container, known);
        match classify::kind_of(&update) {
            Kind::Pts { pts, count } => self.hold_pts(
                None,
                pts,
                count,
                Some(update),
                container.clone(),
                own,
                unknown,
                now,
            ),
            Kind::ChannelPts {
                channel_id,
                pts,
                count,
            } => self.hold_pts(
                Some(channel_id),
                pts,
                count,
                Some(update),
                container.clone(),
                own,
                unknown,
                now,
            ),
            Kind::Qts { qts } => {
                let pending = Pending {
                    update: Some(update),
                    peers: container.clone(),
                    from_own_request: own,
                };
                self.common
                    .qts
                    .hold(qts.saturating_sub(1), qts, pending, false);
            }
            Kind::ChannelTooLong { channel_id, pts } => self.channel_too_long(channel_id, pts, now),
            Kind::Plain => {
                self.emit(update, container, own);
            }
        }
    }

    /// Holds a pts item in its box (the common one, or the channel's) for
    /// [`Engine::settle`] to apply in order.
    #[allow(clippy::too_many_arguments)]
    fn hold_pts(
        &mut self,
        channel_id: Option<i64>,
        pts: i32,
        count: i32,
        update: Option<tl::enums::Update>,
        peers: Arc<Peers>,
        own: bool,
        needs_difference: bool,
        now: Instant,
    ) {
        let Some(start) = pts.checked_sub(count).filter(|_| count >= 0) else {
            tracing::warn!(pts, count, "update with an impossible pts_count ignored");
            return;
        };
        let pending = Pending {
            update,
            peers,
            from_own_request: own,
        };
        let (sequence, fetch) = match channel_id {
            None => (&mut self.common.pts, &mut self.common.fetch),
            Some(id) => {
                // A channel seen for the first time is tracked from here.
                let channel = self
                    .channels
                    .entry(id)
                    .or_insert_with(|| ChannelBox::new(start));
                (&mut channel.pts, &mut channel.fetch)
            }
        };
        sequence.hold(start, pts, pending, needs_difference);
        if needs_difference {
            tracing::debug!(
                ?channel_id,
                "update mentions unknown peers: fetching the difference"
            );
            fetch.want(now);
        }
    }

    fn channel_too_long(&mut self, channel_id: i64, pts: Option<i32>, now: Instant) {
        let channel = match (self.channels.get_mut(&channel_id), pts) {
            (Some(channel), _) => channel,
            (None, Some(pts)) => self
                .channels
                .entry(channel_id)
                .or_insert_with(|| ChannelBox::new(pts)),
            // No local pts and none given: nothing to fetch from; the
            // channel is tracked from the next update it sends.
            (None, None) => return,
        };
        let at = channel.quiet_until.map_or(now, |quiet| quiet.max(now));
        channel.fetch.want(at);
    }

    // ---- answers ----

    fn on_state(&mut self, state: tl::enums::updates::State, now: Instant) {
        if self.common.fetch.phase != Phase::InFlight(Request::GetState) {
            return;
        }
        let tl::enums::updates::State::State(state) = state;
        let common = &mut self.common;
        common.synced = true;
        common.pts.local = state.pts;
        common.qts.local = state.qts;
        common.seq.local = state.seq;
        common.date = state.date;
        self.end_common_loop(now);
    }

    fn on_difference(
        &mut self,
        difference: tl::enums::updates::Difference,
        peers: &dyn KnownPeers,
        now: Instant,
    ) {
        use tl::enums::updates::Difference as D;
        if !matches!(
            self.common.fetch.phase,
            Phase::InFlight(Request::GetDifference(_))
        ) {
            return;
        }
        match difference {
            D::Empty(empty) => {
                self.common.date = self.common.date.max(empty.date);
                self.common.seq.advance_to(empty.seq);
                self.end_common_loop(now);
            }
            D::Difference(d) => {
                self.apply_difference(
                    d.new_messages,
                    d.new_encrypted_messages,
                    d.other_updates,
                    Peers::new(d.users, d.chats),
                    peers,
                    now,
                );
                self.advance_common(d.state);
                self.end_common_loop(now);
            }
            D::Slice(d) => {
                self.apply_difference(
                    d.new_messages,
                    d.new_encrypted_messages,
                    d.other_updates,
                    Peers::new(d.users, d.chats),
                    peers,
                    now,
                );
                let progressed = self.advance_common(d.intermediate_state);
                self.continue_common_loop(progressed, now);
            }
            D::TooLong(too_long) => {
                tracing::info!(pts = too_long.pts, "differenceTooLong: gaps possible");
                let progressed = too_long.pts > self.common.pts.local;
                self.flush();
                self.events
                    .push_back(Event::GapsPossible { channel_id: None });
                // What was pushed beyond the gap reached us but was never
                // delivered; moving pts past it would drop it as "already
                // applied", and no difference brings it again. Hand it out
                // after the report, in pts order, once.
                for pending in self.common.pts.take_until(too_long.pts) {
                    self.emit_pending(pending);
                }
                self.common.pts.advance_to(too_long.pts);
                self.continue_common_loop(progressed, now);
            }
        }
    }

    fn apply_difference(
        &mut self,
        new_messages: Vec<tl::enums::Message>,
        new_encrypted: Vec<tl::enums::EncryptedMessage>,
        other_updates: Vec<tl::enums::Update>,
        container: Arc<Peers>,
        known: &dyn KnownPeers,
        now: Instant,
    ) {
        for message in new_messages {
            self.emit(classify::new_message(message, false), &container, false);
        }
        for message in new_encrypted {
            self.emit(classify::new_encrypted_message(message), &container, false);
        }
        for update in other_updates {
            match classify::kind_of(&update) {
                // Channel updates follow their channel's own rules.
                Kind::ChannelPts { .. } | Kind::ChannelTooLong { .. } => {
                    self.route(update, &container, false, known, now)
                }
                // The common box's own are authoritative: the state comes
                // with them.
                _ => self.emit(update, &container, false),
            }
        }
    }

    /// Moves the common state forward to a server state; whether it moved.
    fn advance_common(&mut self, state: tl::enums::updates::State) -> bool {
        let tl::enums::updates::State::State(state) = state;
        let common = &mut self.common;
        let before = (
            common.pts.local,
            common.qts.local,
            common.seq.local,
            common.date,
        );
        common.pts.advance_to(state.pts);
        common.qts.advance_to(state.qts);
        common.seq.advance_to(state.seq);
        common.date = common.date.max(state.date);
        before
            != (
                common.pts.local,
                common.qts.local,
                common.seq.local,
                common.date,
            )
    }

    fn continue_common_loop(&mut self, progressed: bool, now: Instant) {
        if self.common.fetch.step(progressed) {
            self.common.fetch.phase = Phase::Wanted(now);
        } else {
            tracing::warn!("getDifference loop stopped: the server keeps slicing");
            self.end_common_loop(now);
        }
    }

    fn end_common_loop(&mut self, now: Instant) {
        let common = &mut self.common;
        common.fetch.end_loop(now);
        for sequence in [&mut common.pts, &mut common.qts] {
            sequence.forget_peer_waits();
            sequence.gap_deadline = None;
        }
        common.seq.gap_deadline = None;
    }

    fn on_channel_difference(
        &mut self,
        channel_id: i64,
        difference: tl::enums::updates::ChannelDifference,
        peers: &dyn KnownPeers,
        now: Instant,
    ) {
        use tl::enums::updates::ChannelDifference as D;
        let Some(channel) = self.channels.get_mut(&channel_id) else {
            return;
        };
        if !matches!(&channel.fetch.phase,
            Phase::InFlight(Request::GetChannelDifference { channel_id: id, .. }) if *id == channel_id)
        {
            return;
        }
        let before = channel.pts.local;
        let (done, timeout) = match difference {
            D::Empty(empty) => {
                channel.pts.advance_to(empty.pts);
                (true, empty.timeout)
            }
            D::Difference(d) => {
                channel.pts.advance_to(d.pts);
                let container = Peers::new(d.users, d.chats);
                for message in d.new_messages {
                    self.emit(classify::new_message(message, true), &container, false);
                }
                for update in d.other_updates {
                    self.emit(update, &container, false);
                }
                (d.r#final, d.timeout)
            }
            D::TooLong(d) => {
                tracing::info!(channel_id, "channelDifferenceTooLong: gaps possible");
                if let tl::enums::Dialog::Dialog(dialog) = &d.dialog
                    && let Some(pts) = dialog.pts
                {
                    channel.pts.advance_to(pts);
                }
                self.flush();
                self.events.push_back(Event::GapsPossible {
                    channel_id: Some(channel_id),
                });
                let container = Peers::new(d.users, d.chats);
                for message in d.messages {
                    self.emit(classify::new_message(message, true), &container, false);
                }
                self.flush();
                (true, d.timeout)
            }
        };
        let _ = peers;
        let Some(channel) = self.channels.get_mut(&channel_id) else {
            return;
        };
        let progressed = channel.pts.local > before;
        if !done && channel.fetch.step(progressed) {
            channel.fetch.phase = Phase::Wanted(now);
            return;
        }
        if !done {
            tracing::warn!(channel_id, "getChannelDifference loop stopped: no progress");
        }
        channel.fetch.end_loop(now);
        channel.quiet_until = timeout
            .filter(|&secs| secs > 0)
            .map(|secs| Duration::from_secs(secs as u64).min(MAX_SERVER_WAIT))
            .and_then(|wait| now.checked_add(wait));
        channel.pts.forget_peer_waits();
        channel.pts.gap_deadline = None;
    }

    // ---- applying and delivering ----

    /// Applies everything that follows on in every box not waiting for a
    /// difference, bounds what stays held, restarts gap timers, catches the
    /// end of the first catch-up and flushes the events.
    fn settle(&mut self, known: &dyn KnownPeers, now: Instant) {
        if self.common.synced && !self.common.fetch.in_flight() {
            while let Some(ready) = self.common.seq.next_ready(false) {
                let (container, stale) = match ready {
                    Ready::Apply(container) => (container, false),
                    Ready::Duplicate(container) => (container, true),
                };
                self.apply_container(container, stale, known, now);
            }
            while let Some(ready) = self.common.pts.next_ready(false) {
                if let Ready::Apply(pending) = ready {
                    self.emit_pending(pending);
                }
            }
            while let Some(ready) = self.common.qts.next_ready(false) {
                if let Ready::Apply(pending) = ready {
                    self.emit_pending(pending);
                }
            }
        }
        let ids: Vec<i64> = self.channels.keys().copied().collect();
        for id in ids {
            let Some(channel) = self.channels.get_mut(&id) else {
                continue;
            };
            if channel.fetch.in_flight() {
                continue;
            }
            let mut applied = Vec::new();
            while let Some(ready) = channel.pts.next_ready(false) {
                if let Ready::Apply(pending) = ready {
                    applied.push(pending);
                }
            }
            for pending in applied {
                self.emit_pending(pending);
            }
        }
        self.bound_and_time(now);
        if self.catching_up
            && self.common.synced
            && !self.common.fetch.busy()
            && self.channels.values().all(|c| !c.fetch.busy())
        {
            self.catching_up = false;
            self.flush();
            self.events.push_back(Event::CatchUpFinished);
        }
        self.flush();
    }

    fn bound_and_time(&mut self, now: Instant) {
        let common = &mut self.common;
        let over = common.pts.held_len() > MAX_HELD_PER_BOX
            || common.qts.held_len() > MAX_HELD_PER_BOX
            || common.seq.held_len() > MAX_HELD_PER_BOX;
        if over {
            tracing::warn!("too many updates held in the common box: fetching the difference");
            common.pts.drain().for_each(drop);
            common.qts.drain().for_each(drop);
            common.seq.drain().for_each(drop);
            common.fetch.want(now);
        }
        if !common.fetch.in_flight() {
            if common.pts.waits_for_peers() || common.qts.waits_for_peers() {
                common.fetch.want(now);
            }
            common.pts.refresh_gap_timer(now, POSSIBLE_GAP_TIMEOUT);
            common.qts.refresh_gap_timer(now, POSSIBLE_GAP_TIMEOUT);
            common.seq.refresh_gap_timer(now, POSSIBLE_GAP_TIMEOUT);
        }
        for (&channel_id, channel) in &mut self.channels {
            if channel.pts.held_len() > MAX_HELD_PER_BOX {
                tracing::warn!(channel_id, "too many updates held: fetching the difference");
                channel.pts.drain().for_each(drop);
                channel.fetch.want(now);
            }
            if !channel.fetch.in_flight() {
                if channel.pts.waits_for_peers() {
                    channel.fetch.want(now);
                }
                channel.pts.refresh_gap_timer(now, POSSIBLE_GAP_TIMEOUT);
            }
        }
    }

    fn emit_pending(&mut self, pending: Pending) {
        if let Some(update) = pending.update {
            self.emit(update, &pending.peers, pending.from_own_request);
        }
    }

    fn emit(&mut self, update: tl::enums::Update, peers: &Arc<Peers>, own: bool) {
        if self.batch.as_ref().is_some_and(|(_, _, o)| *o != own) {
            self.flush();
        }
        let (updates, peer_sets, _) = self
            .batch
            .get_or_insert_with(|| (Vec::new(), Vec::new(), own));
        updates.push(update);
        if !peer_sets.iter().any(|p| Arc::ptr_eq(p, peers)) {
            peer_sets.push(peers.clone());
        }
    }

    fn flush(&mut self) {
        let Some((updates, peer_sets, own)) = self.batch.take() else {
            return;
        };
        let mut users = Vec::new();
        let mut chats = Vec::new();
        for peers in peer_sets {
            users.extend(peers.users.iter().cloned());
            chats.extend(peers.chats.iter().cloned());
        }
        self.events.push_back(Event::Updates {
            updates,
            users,
            chats,
            from_own_request: own,
        });
    }
}

/// Fires the timers that are due; whether any did.
fn fire<'a>(timers: impl IntoIterator<Item = &'a mut Option<Instant>>, now: Instant) -> bool {
    let mut fired = false;
    for timer in timers {
        if timer.is_some_and(|at| at <= now) {
            *timer = None;
            fired = true;
        }
    }
    fired
}

/// For `affected`, whose items carry no peers to check.
struct AllKnown;
impl KnownPeers for AllKnown {
    fn user_known(&self, _: i64) -> bool {
        true
    }
    fn channel_known(&self, _: i64) -> bool {
        true
    }
}
