//! A JSON-lines server over the command [`Dispatcher`].
//!
//! [`LineServer::serve`] reads one JSON request per line from any
//! [`AsyncBufRead`] and writes one `chat_update` event per line to any
//! [`AsyncWrite`]. It is what `examples/gateway.rs` runs on stdin/stdout,
//! and what tests drive with in-memory pipes.
//!
//! - **Line length.** A line longer than [`LineServerConfig::max_line_bytes`]
//!   (default [`DEFAULT_MAX_LINE_BYTES`], 2 MiB, not counting the newline) is
//!   never held in memory: the rest of it is read and thrown away up to its
//!   newline, and it gets an `invalid_request_error` event naming the limit.
//!   A line that is not UTF-8 gets an `invalid_request_error` event too.
//! - **Order.** Each account (`userbot_id` served by the dispatcher's
//!   [`AccountPool`](crate::commands::AccountPool)) has a worker of its own
//!   that runs its requests one after the other, in line order. Different
//!   accounts run at the same time. Lines without a served `userbot_id`
//!   (bad JSON, unknown accounts) share one worker. Events are written as
//!   they complete, so events of different accounts interleave.
//! - **Queues.** Each worker's queue holds at most
//!   [`LineServerConfig::queue_capacity`] requests. When it is full, the
//!   request is **not run** and gets an `<action>_error` event whose message
//!   starts with `queue full`; the reader never blocks on one account, so a
//!   busy account cannot hold up the others. (The writer is bounded too:
//!   when the output is not read, workers and then the reader wait for it.)
//! - **Updates.** With [`LineServerConfig::forward_updates`], every
//!   account's update stream ([`Client::updates`](crate::Client::updates))
//!   is written too, as `chat_update` events whose payload `type` is the
//!   update's (`msg_receive`, `get_difference_end`, …), interleaved with
//!   the answers. When serving ends, the streams are closed and their
//!   update state saved.
//! - **Idle workers.** A worker with nothing to do for
//!   [`LineServerConfig::idle_timeout`] stops; the account's next line
//!   starts a new one, which waits for the old one to finish first.
//!
//! ```no_run
//! # async fn f(client: tgcmd::Client) -> std::io::Result<()> {
//! use std::sync::Arc;
//! use tgcmd::commands::{AccountPool, Dispatcher};
//! use tgcmd::lines::{LineServer, LineServerConfig};
//!
//! let accounts = AccountPool::new();
//! accounts.insert(1, client);
//! let server = LineServer::new(Arc::new(Dispatcher::new(accounts)), LineServerConfig::default());
//! // Any byte stream works: here, one TCP connection (the gateway example
//! // serves stdin and stdout).
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let (socket, _) = listener.accept().await?;
//! let (read, write) = socket.into_split();
//! server.serve(tokio::io::BufReader::new(read), write).await?;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::commands::{Dispatcher, Event, INVALID_REQUEST_ACTION, ids};

/// The default longest line, in bytes without the newline: 2 MiB.
///
/// Large enough for a `set_bio` with a bio of over a million characters
/// (which the command layer cuts to Telegram's limit), small enough to bound
/// memory: at most `queue_capacity` lines of this size wait per account.
pub const DEFAULT_MAX_LINE_BYTES: usize = 2 * 1024 * 1024;

/// The default number of requests that may wait for one account's worker.
pub const DEFAULT_QUEUE_CAPACITY: usize = 64;

/// The default time after which a worker with nothing to do stops.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The number of events that may wait for the writer.
const EVENT_BUFFER: usize = 256;

/// The limits of a [`LineServer`].
///
/// ```
/// use std::time::Duration;
/// let config = tgcmd::lines::LineServerConfig {
///     idle_timeout: Duration::from_secs(5),
///     ..Default::default()
/// };
/// assert_eq!(config.max_line_bytes, tgcmd::lines::DEFAULT_MAX_LINE_BYTES);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineServerConfig {
    /// The longest line accepted, in bytes, not counting `\n` (or `\r\n`).
    pub max_line_bytes: usize,
    /// How many requests may wait for one worker before new ones are refused
    /// with a `queue full` error event. At least 1 is used.
    pub queue_capacity: usize,
    /// How long a worker waits for a request before it stops.
    pub idle_timeout: Duration,
    /// Whether to write every served account's updates as events (off by
    /// default: a server that only answers commands stays quiet).
    pub forward_updates: bool,
}

impl Default for LineServerConfig {
    fn default() -> Self {
        Self {
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            forward_updates: false,
        }
    }
}

/// Serves JSON-lines requests through a [`Dispatcher`]; see the [module docs](self).
///
/// Cloning is cheap and clones share the worker count.
#[derive(Debug, Clone)]
pub struct LineServer {
    dispatcher: Arc<Dispatcher>,
    config: LineServerConfig,
    live_workers: Arc<AtomicUsize>,
}

/// One request for a worker.
enum Job {
    /// A parsed JSON value.
    Request(Value),
    /// A line that is not JSON: the dispatcher writes its error event.
    Unparsed(String),
}

/// A worker's queue, and the task draining it.
struct Worker {
    queue: mpsc::Sender<Job>,
    task: JoinHandle<()>,
}

/// What [`read_limited_line`] found.
#[derive(Debug, PartialEq, Eq)]
enum RawLine {
    /// A whole line is in the buffer.
    Line,
    /// A line of this many bytes (at least) was skipped.
    TooLong(usize),
    /// End of input.
    Eof,
}

/// Reads one line into `buf` (without its newline), never holding more than
/// `max` bytes: the rest of an overlong line is consumed and dropped.
async fn read_limited_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<RawLine> {
    buf.clear();
    let mut seen = 0usize;
    let mut overlong = false;
    loop {
        let chunk = reader.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(match (seen, overlong) {
                (0, _) => RawLine::Eof,
                (n, true) => RawLine::TooLong(n),
                (_, false) => RawLine::Line,
            });
        }
        let newline = chunk.iter().position(|&b| b == b'\n');
        let take = newline.unwrap_or(chunk.len());
        let part = chunk.get(..take).unwrap_or_default();
        seen = seen.saturating_add(take);
        if !overlong {
            // A `\r` before the newline does not count against the limit.
            let content = seen - usize::from(newline.is_some() && part.last() == Some(&b'\r'));
            if content > max {
                overlong = true;
                buf.clear();
                buf.shrink_to(max.min(64 * 1024));
            } else {
                buf.extend_from_slice(part);
            }
        }
        let consumed = take + usize::from(newline.is_some());
        reader.consume(consumed);
        if newline.is_some() {
            if overlong {
                return Ok(RawLine::TooLong(seen));
            }
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(RawLine::Line);
        }
    }
}

/// Decrements the live worker count when a worker task ends, however it ends.
struct LiveGuard(Arc<AtomicUsize>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl LineServer {
    /// A server running requests through `dispatcher` within `config`'s limits.
    pub fn new(dispatcher: Arc<Dispatcher>, config: LineServerConfig) -> Self {
        Self {
            dispatcher,
            config,
            live_workers: Arc::default(),
        }
    }

    /// The limits in use.
    pub fn config(&self) -> &LineServerConfig {
        &self.config
    }

    /// How many account workers are running now (idle ones stop after
    /// [`LineServerConfig::idle_timeout`]).
    pub fn worker_count(&self) -> usize {
        self.live_workers.load(Ordering::SeqCst)
    }

    /// Serves `input` until its end, writing events to `output`, then waits
    /// for every queued request to be answered and flushes `output`.
    ///
    /// Bad lines get error events and serving goes on; only an I/O error of
    /// `input` or `output` ends it early, with that error.
    pub async fn serve<R, W>(&self, mut input: R, output: W) -> io::Result<()>
    where
        R: AsyncBufRead + Unpin,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let (events, to_write) = mpsc::channel::<String>(EVENT_BUFFER);
        let writer = tokio::spawn(write_events(to_write, output));
        let (stop_updates, stopped) = tokio::sync::watch::channel(false);
        let forwarders = if self.config.forward_updates {
            self.forward_updates(&events, &stopped)
        } else {
            Vec::new()
        };
        let mut workers: HashMap<Option<i64>, Worker> = HashMap::new();
        let mut buf = Vec::new();
        let read_result = loop {
            let raw =
                match read_limited_line(&mut input, &mut buf, self.config.max_line_bytes).await {
                    Ok(raw) => raw,
                    Err(e) => break Err(e),
                };
            let event = match raw {
                RawLine::Eof => break Ok(()),
                RawLine::TooLong(len) => {
                    tracing::warn!(len, limit = self.config.max_line_bytes, "line too long");
                    Some(Event::error(
                        None,
                        INVALID_REQUEST_ACTION,
                        format!(
                            "line too long: more than {} bytes (the limit is {} bytes per line); request not run",
                            self.config.max_line_bytes, self.config.max_line_bytes
                        ),
                    ))
                }
                RawLine::Line => match std::str::from_utf8(&buf) {
                    Err(_) => Some(Event::error(
                        None,
                        INVALID_REQUEST_ACTION,
                        "the line is not valid UTF-8; request not run",
                    )),
                    Ok(line) if line.trim().is_empty() => None,
                    Ok(line) => self.route(&mut workers, line, &events),
                },
            };
            if let Some(event) = event
                && events.send(event.to_json()).await.is_err()
            {
                break Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the output is closed",
                ));
            }
        };
        // Let every worker finish its queue, close the update streams,
        // then the writer.
        for (_, worker) in workers.drain() {
            drop(worker.queue);
            let _ = worker.task.await;
        }
        let _ = stop_updates.send(true);
        for forwarder in forwarders {
            let _ = forwarder.await;
        }
        drop(events);
        let write_result = match writer.await {
            Ok(result) => result,
            Err(e) => Err(io::Error::other(e)),
        };
        read_result.and(write_result)
    }

    /// Starts writing every served account's updates to `events` until
    /// `stopped` turns true.
    fn forward_updates(
        &self,
        events: &mpsc::Sender<String>,
        stopped: &tokio::sync::watch::Receiver<bool>,
    ) -> Vec<JoinHandle<()>> {
        let mut forwarders = Vec::new();
        for (userbot_id, client) in self.dispatcher.accounts().entries() {
            let mut stream = match client.updates() {
                Ok(stream) => stream,
                Err(e) => {
                    tracing::warn!(userbot_id, "no update stream: {e}");
                    continue;
                }
            };
            let events = events.clone();
            let mut stopped = stopped.clone();
            forwarders.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        update = stream.next() => match update {
                            Some(update) => {
                                let line = update.to_event_line(userbot_id);
                                if events.send(line).await.is_err() {
                                    break;
                                }
                            }
                            None => break,
                        },
                        // The guard wait_for returns is not Send: drop it
                        // inside the branch's own future.
                        () = async {
                            let _ = stopped.wait_for(|stop| *stop).await;
                        } => break,
                    }
                }
                stream.close().await;
            }));
        }
        forwarders
    }

    /// Queues `line` on its account's worker; returns the event to write
    /// instead when the queue is full.
    fn route(
        &self,
        workers: &mut HashMap<Option<i64>, Worker>,
        line: &str,
        events: &mpsc::Sender<String>,
    ) -> Option<Event> {
        let (job, userbot_id, action) = match serde_json::from_str::<Value>(line) {
            Ok(value) => {
                let userbot_id = value.get("userbot_id").and_then(ids::id_from_value);
                let action = value
                    .get("action")
                    .and_then(Value::as_str)
                    .filter(|a| !a.is_empty())
                    .unwrap_or(INVALID_REQUEST_ACTION)
                    .to_string();
                (Job::Request(value), userbot_id, action)
            }
            Err(_) => (
                Job::Unparsed(line.to_string()),
                None,
                INVALID_REQUEST_ACTION.to_string(),
            ),
        };
        // Only served accounts get a worker of their own, so that made-up
        // ids cannot start workers without end.
        let key = userbot_id.filter(|&id| self.dispatcher.accounts().get(id).is_some());
        let mut job = job;
        // At most two rounds: a worker that stopped idle is replaced once.
        for _ in 0..2 {
            let worker = match workers.remove(&key) {
                Some(worker) => worker,
                None => self.spawn_worker(None, events.clone()),
            };
            match worker.queue.try_send(job) {
                Ok(()) => {
                    workers.insert(key, worker);
                    return None;
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    workers.insert(key, worker);
                    tracing::warn!(?userbot_id, "queue full");
                    return Some(Event::error(
                        userbot_id,
                        &action,
                        format!(
                            "queue full: {} requests are already waiting for this account; request not run",
                            self.config.queue_capacity.max(1)
                        ),
                    ));
                }
                Err(mpsc::error::TrySendError::Closed(back)) => {
                    // Stopped idle: its successor waits for it to finish.
                    job = back;
                    let next = self.spawn_worker(Some(worker.task), events.clone());
                    workers.insert(key, next);
                }
            }
        }
        // A fresh worker cannot have stopped yet; answer rather than drop.
        Some(Event::error(
            userbot_id,
            &action,
            "the account's worker stopped; request not run",
        ))
    }

    /// Starts a worker; it first waits for `previous` (the account's last
    /// worker) so that the account's requests stay in order.
    fn spawn_worker(
        &self,
        previous: Option<JoinHandle<()>>,
        events: mpsc::Sender<String>,
    ) -> Worker {
        let (queue, mut jobs) = mpsc::channel::<Job>(self.config.queue_capacity.max(1));
        let dispatcher = Arc::clone(&self.dispatcher);
        let idle = self.config.idle_timeout;
        self.live_workers.fetch_add(1, Ordering::SeqCst);
        let guard = LiveGuard(Arc::clone(&self.live_workers));
        let task = tokio::spawn(async move {
            let _guard = guard;
            if let Some(previous) = previous {
                let _ = previous.await;
            }
            loop {
                let job = match tokio::time::timeout(idle, jobs.recv()).await {
                    Ok(Some(job)) => job,
                    Ok(None) => return,
                    Err(_) => {
                        // Idle: refuse new jobs, but answer those already queued.
                        jobs.close();
                        while let Some(job) = jobs.recv().await {
                            if !run(&dispatcher, job, &events).await {
                                return;
                            }
                        }
                        tracing::debug!("idle worker stopped");
                        return;
                    }
                };
                if !run(&dispatcher, job, &events).await {
                    return;
                }
            }
        });
        Worker { queue, task }
    }
}

/// Runs one job and hands its event to the writer; false once the writer is gone.
async fn run(dispatcher: &Dispatcher, job: Job, events: &mpsc::Sender<String>) -> bool {
    let event = match job {
        Job::Request(value) => dispatcher.dispatch(value).await,
        Job::Unparsed(line) => dispatcher.dispatch_line(&line).await,
    };
    events.send(event.to_json()).await.is_ok()
}

/// Writes each event as one line, flushing after each.
async fn write_events<W: AsyncWrite + Unpin>(
    mut events: mpsc::Receiver<String>,
    mut output: W,
) -> io::Result<()> {
    while let Some(mut event) = events.recv().await {
        event.push('\n');
        output.write_all(event.as_bytes()).await?;
        output.flush().await?;
    }
    output.flush().await?;
    output.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines(input: &[u8], max: usize) -> Vec<Result<Vec<u8>, usize>> {
        // A tiny buffer so that lines span many chunks.
        let mut reader = tokio::io::BufReader::with_capacity(3, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match read_limited_line(&mut reader, &mut buf, max).await {
                Ok(RawLine::Line) => out.push(Ok(buf.clone())),
                Ok(RawLine::TooLong(n)) => out.push(Err(n)),
                Ok(RawLine::Eof) | Err(_) => return out,
            }
        }
    }

    #[tokio::test]
    async fn lines_are_cut_at_the_limit_and_reading_goes_on() {
        let got = lines(b"abc\r\n0123456789\nabcde\nlast", 5).await;
        assert_eq!(
            got,
            vec![
                Ok(b"abc".to_vec()),
                Err(10),
                Ok(b"abcde".to_vec()),
                Ok(b"last".to_vec()),
            ]
        );
        assert_eq!(lines(b"abcdef", 5).await, vec![Err(6)]);
        assert_eq!(lines(b"", 5).await, vec![]);
        assert_eq!(lines(b"\n", 5).await, vec![Ok(vec![])]);
    }
}
