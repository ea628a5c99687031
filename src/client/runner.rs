//! The supervised main connection.
//!
//! grammers drives the account's main connections from one task, its
//! `SenderPoolRunner`. When that task ends, for whatever reason (a panic in
//! grammers, such as its assertion that a request fits in one MTProto
//! container, or a `quit`), every handle to it fails forever with
//! `SenderPoolRunner was dropped`. The [`Supervisor`] owns the runner task
//! instead and:
//!
//! - notices when it ends, marks its [`Generation`] as ended (calls still
//!   in flight get [`crate::Error::ConnectionLost`]) and builds a new
//!   `SenderPool` on the same session at once, so later calls queue on the
//!   new handle;
//! - starts the new runner after a backoff that grows while runners keep
//!   dying young (a server or a bug that kills every runner does not turn
//!   into a busy loop) and resets after a healthy run;
//! - watches the runner while calls are in flight: grammers opens a
//!   connection to a DC *inside* its runner loop, so a DC that accepts TCP
//!   and then says nothing stalls every call of the account. A probe that a
//!   live runner answers without any network traffic (a request for a DC the
//!   session does not know, refused at once with `InvalidDc`) tells a busy
//!   runner from a stuck one; a runner that has not answered it within the
//!   connect timeout is replaced like a dead one.

use std::any::Any;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

use grammers_mtsender::{SenderPool, SenderPoolHandle};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};
use tracing::{debug, error, warn};

use crate::error::{Error, Result};

/// A DC id no session knows: a request for it is refused by a live runner
/// (`InvalidDc`) without touching the network, which makes it a liveness
/// probe.
const PROBE_DC_ID: i32 = i32::MAX;
/// A runner that lived this long was healthy: the next restart is immediate.
const HEALTHY_RUN: Duration = Duration::from_secs(60);
/// The first restart delay after a runner died young; doubled per death.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest pause before restarting a runner.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Builds a fresh `SenderPool` on the client's session.
pub(crate) type PoolFactory = Box<dyn Fn() -> SenderPool + Send + Sync>;

/// Why a generation's runner ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum EndReason {
    /// Still running.
    Running = 0,
    /// The runner task returned (`quit`, or every handle dropped).
    Returned = 1,
    /// The runner task panicked (inside grammers).
    Panicked = 2,
    /// The runner did not answer the liveness probe in time and was replaced.
    Unresponsive = 3,
}

/// One runner's lifetime: the grammers client bound to it and its state.
pub(crate) struct Generation {
    /// Counts from 1; each replacement of the runner adds one.
    pub(crate) number: u64,
    /// The grammers client whose handle talks to this generation's runner.
    pub(crate) tg: grammers_client::Client,
    handle: SenderPoolHandle,
    ended: AtomicU8,
    in_flight: AtomicUsize,
}

impl Generation {
    fn new(number: u64, handle: grammers_mtsender::SenderPoolFatHandle) -> Arc<Self> {
        Arc::new(Self {
            number,
            handle: handle.thin.clone(),
            tg: grammers_client::Client::new(handle),
            ended: AtomicU8::new(EndReason::Running as u8),
            in_flight: AtomicUsize::new(0),
        })
    }

    /// Why this generation's runner ended, or `Running`.
    pub(crate) fn end_reason(&self) -> EndReason {
        match self.ended.load(Ordering::SeqCst) {
            1 => EndReason::Returned,
            2 => EndReason::Panicked,
            3 => EndReason::Unresponsive,
            _ => EndReason::Running,
        }
    }

    fn end(&self, reason: EndReason) {
        // The first reason sticks (an unresponsive runner that we abort
        // then reports a cancellation, which is not the cause).
        let _ = self.ended.compare_exchange(
            EndReason::Running as u8,
            reason as u8,
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
    }

    /// Whether the runner answers a probe within `within`.
    async fn responsive(&self, within: Duration) -> bool {
        matches!(
            timeout(
                within,
                self.handle.raw_invoke_in_dc(PROBE_DC_ID, Vec::new())
            )
            .await,
            Ok(Err(grammers_mtsender::InvocationError::InvalidDc))
        )
    }
}

/// An error from a call into grammers, which may say that the request never
/// left tgcmd (so it can be sent again safely).
pub(crate) trait CallError: Into<Error> {
    /// Whether the request surely was not sent.
    fn not_sent(&self) -> bool;
}

impl CallError for Error {
    fn not_sent(&self) -> bool {
        false
    }
}

impl CallError for grammers_mtsender::InvocationError {
    fn not_sent(&self) -> bool {
        // The runner's channel was closed before the request went in: the
        // runner never saw it. (grammers gives no other way to tell.)
        matches!(self, Self::Dropped(reason) if *reason == "SenderPoolRunner was dropped at send")
    }
}

/// Counts a call as in flight on a generation while it lives.
struct InFlight<'a>(&'a Generation);

impl<'a> InFlight<'a> {
    fn new(generation: &'a Generation) -> Self {
        generation.in_flight.fetch_add(1, Ordering::SeqCst);
        Self(generation)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Aborts a task when dropped (so aborting the supervisor stops its runner).
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Owns the runner task and replaces it when it ends or hangs.
pub(crate) struct Supervisor {
    current: watch::Receiver<Arc<Generation>>,
    task: JoinHandle<()>,
    connect_timeout: Duration,
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.current.borrow().tg.disconnect();
        self.task.abort();
    }
}

impl Supervisor {
    /// Builds the first pool and starts supervising it.
    pub(crate) fn start(factory: PoolFactory, connect_timeout: Duration) -> Self {
        let SenderPool { runner, handle, .. } = factory();
        let first = Generation::new(1, handle);
        let (publish, current) = watch::channel(Arc::clone(&first));
        let task = tokio::spawn(supervise(factory, runner, first, publish, connect_timeout));
        Self {
            current,
            task,
            connect_timeout,
        }
    }

    /// The current generation (possibly one whose runner just ended).
    pub(crate) fn current(&self) -> Arc<Generation> {
        Arc::clone(&self.current.borrow())
    }

    /// A generation numbered `min` or above whose runner is running,
    /// waiting until `deadline` for the replacement of an ended one.
    async fn live(&self, min: u64, deadline: Instant) -> Option<Arc<Generation>> {
        let mut current = self.current.clone();
        let waited = tokio::time::timeout_at(
            deadline,
            current.wait_for(|g| g.number >= min && g.end_reason() == EndReason::Running),
        )
        .await;
        match waited {
            Ok(Ok(generation)) => Some(Arc::clone(&generation)),
            _ => None,
        }
    }

    /// Runs `call` on a live generation's grammers client, with `deadline`.
    ///
    /// A call that never reached the runner (it had just ended) is made
    /// once more on the next generation. A call that was in flight when its
    /// runner ended gets [`Error::ConnectionLost`] (or [`Error::Timeout`]
    /// when the runner was replaced for not answering), since Telegram may
    /// or may not have executed it; the caller decides whether to send it
    /// again.
    pub(crate) async fn run<T, E, F, Fut>(
        &self,
        what: &'static str,
        after: Duration,
        deadline: Instant,
        mut call: F,
    ) -> Result<T>
    where
        E: CallError,
        F: FnMut(grammers_client::Client) -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
    {
        let timed_out = || Error::Timeout { what, after };
        let mut min = 0;
        loop {
            let Some(generation) = self.live(min, deadline).await else {
                return Err(timed_out());
            };
            let in_flight = InFlight::new(&generation);
            let result = match tokio::time::timeout_at(deadline, call(generation.tg.clone())).await
            {
                Ok(result) => result,
                Err(_) => return Err(timed_out()),
            };
            drop(in_flight);
            let error = match result {
                Ok(value) => return Ok(value),
                Err(e) if e.not_sent() && min <= generation.number => {
                    debug!(
                        generation = generation.number,
                        "the runner had ended before the call reached it; sending it on the next one"
                    );
                    min = generation.number + 1;
                    continue;
                }
                Err(e) => e.into(),
            };
            return match (error, generation.end_reason()) {
                (Error::ConnectionLost, EndReason::Unresponsive) => Err(Error::Timeout {
                    what: "the connection to Telegram (it stopped responding)",
                    after: self.connect_timeout,
                }),
                (error, _) => Err(error),
            };
        }
    }

    /// The current generation's number (see [`crate::Client::connection_generation`]).
    pub(crate) fn generation(&self) -> u64 {
        self.current.borrow().number
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// The supervisor task: runs one runner after another for as long as the
/// client lives (it is aborted with the client).
async fn supervise(
    factory: PoolFactory,
    first_runner: grammers_mtsender::SenderPoolRunner,
    first: Arc<Generation>,
    publish: watch::Sender<Arc<Generation>>,
    connect_timeout: Duration,
) {
    let mut runner = first_runner;
    let mut generation = first;
    let mut early_deaths: u32 = 0;
    // How often a runner with calls in flight is probed.
    let probe_every = connect_timeout;
    loop {
        let started = Instant::now();
        let mut task = AbortOnDrop(tokio::spawn(runner.run()));
        let mut next_probe = Instant::now() + probe_every;
        let reason = loop {
            tokio::select! {
                ended = &mut task.0 => break match ended {
                    Ok(()) => {
                        warn!(generation = generation.number, "the connection runner ended; restarting it");
                        EndReason::Returned
                    }
                    Err(e) if e.is_panic() => {
                        let payload = e.into_panic();
                        error!(
                            generation = generation.number,
                            "the connection runner panicked ({}); restarting it",
                            panic_message(payload.as_ref())
                        );
                        EndReason::Panicked
                    }
                    Err(_) => EndReason::Returned,
                },
                () = tokio::time::sleep_until(next_probe) => {
                    next_probe = Instant::now() + probe_every;
                    if generation.in_flight.load(Ordering::SeqCst) > 0
                        && !generation.responsive(connect_timeout).await
                        && !task.0.is_finished()
                    {
                        warn!(
                            generation = generation.number,
                            ?connect_timeout,
                            "the connection runner stopped responding (a connection that \
                             does not open?); replacing it"
                        );
                        break EndReason::Unresponsive;
                    }
                }
            }
        };
        // Calls in flight see why their runner went away.
        generation.end(reason);
        drop(task);
        if started.elapsed() >= HEALTHY_RUN {
            early_deaths = 0;
        }
        let backoff = if early_deaths == 0 {
            Duration::ZERO
        } else {
            FIRST_BACKOFF
                .saturating_mul(1 << early_deaths.min(16))
                .min(MAX_BACKOFF)
        };
        early_deaths = early_deaths.saturating_add(1);
        // Publish the new handle at once: calls made from now on queue in
        // its channel and are served when the runner starts.
        let SenderPool {
            runner: next_runner,
            handle,
            ..
        } = factory();
        generation = Generation::new(generation.number + 1, handle);
        publish.send_replace(Arc::clone(&generation));
        debug!(
            generation = generation.number,
            ?backoff,
            "new connection runner"
        );
        if !backoff.is_zero() {
            sleep(backoff).await;
        }
        runner = next_runner;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_messages_are_read_from_str_and_string_payloads() {
        let text: Box<dyn Any + Send> = Box::new("assertion failed");
        assert_eq!(panic_message(text.as_ref()), "assertion failed");
        let owned: Box<dyn Any + Send> = Box::new(String::from("boom"));
        assert_eq!(panic_message(owned.as_ref()), "boom");
        let other: Box<dyn Any + Send> = Box::new(7u8);
        assert_eq!(panic_message(other.as_ref()), "(no message)");
    }
}
