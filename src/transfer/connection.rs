//! One extra MTProto connection for file transfers.
//!
//! The spec recommends running large transfers "through one or more
//! separate sessions and separate connections". Each [`MediaConnection`] is
//! its own TCP connection and MTProto session on the account's auth key,
//! driven by grammers-mtproto's protocol state machine. Unlike grammers'
//! sender it keeps any number of requests in flight and never gzips
//! outgoing requests: file parts do not compress, and grammers compresses
//! every request over 512 bytes at the highest level, which costs more CPU
//! than the encryption itself.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use grammers_crypto::DequeBuffer;
use grammers_crypto::aes::ige_decrypt;
use grammers_mtproto::MsgId;
use grammers_mtproto::mtp::{self, Deserialization, Mtp};
use grammers_mtproto::transport::{self, Transport};
use grammers_mtsender::RpcError;
use grammers_tl_types::{self as tl, Deserializable, RemoteCall, Serializable};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};
use tracing::{debug, trace, warn};

use crate::error::{Error, Result};

/// The biggest packet a server sends: a 1 MiB `upload.file` plus headers.
const READ_BUFFER_LEN: usize = 1024 * 1024 + 64 * 1024;
/// Room grammers-mtproto needs in front of a message for its headers.
const LEADING_SPACE: usize = mtp::MAX_TRANSPORT_HEADER_LEN
    + mtp::ENCRYPTED_PACKET_HEADER_LEN
    + mtp::PLAIN_PACKET_HEADER_LEN
    + mtp::MESSAGE_CONTAINER_HEADER_LEN;
const PING_INTERVAL: Duration = Duration::from_secs(60);
/// The server may close the connection this long after the last ping.
const PING_DISCONNECT_DELAY: i32 = 75;
/// Bytes of one unfinished packet that count as progress for the stall
/// timer: a big answer on a slow link keeps the connection alive, a server
/// trickling a byte now and then does not.
const PROGRESS_BYTES: usize = 64 * 1024;

/// What `initConnection` says about the app, and how long to wait for a
/// silent server.
#[derive(Debug, Clone)]
pub(crate) struct InitParams {
    pub api_id: i32,
    pub device_model: String,
    pub app_version: String,
    /// With requests outstanding and no progress for this long (no answer,
    /// and less than [`PROGRESS_BYTES`] of a long one), the connection counts
    /// as dead: a half-open TCP connection never errors, and a server that
    /// trickles bytes must not keep a transfer waiting forever.
    pub stall_timeout: Duration,
    /// TCP connect plus `initConnection` must be done within this.
    pub connect_timeout: Duration,
    /// Seconds the server's clock is ahead of ours (negative: behind), as
    /// last learned from a `bad_msg_notification` 16/17 on any media
    /// connection to the account's DCs; new connections start from it.
    pub time_offset: Arc<AtomicI32>,
}

type Reply = oneshot::Sender<Result<Vec<u8>>>;

struct Job {
    body: Bytes,
    /// `None` for requests nobody waits on (pings).
    reply: Option<Reply>,
}

impl Job {
    /// Hands the answer to whoever waits for it, if anyone still does.
    fn answer(self, result: Result<Vec<u8>>) {
        if let Some(reply) = self.reply {
            let _ = reply.send(result);
        }
    }

    /// Whether the caller gave up (its future was dropped or cancelled):
    /// such a request is not worth sending any more.
    fn abandoned(&self) -> bool {
        self.reply.as_ref().is_some_and(|reply| reply.is_closed())
    }
}

/// A connection with requests in flight; cheap to share behind an `Arc`.
pub(crate) struct MediaConnection {
    jobs: mpsc::UnboundedSender<Job>,
    task: JoinHandle<()>,
}

impl Drop for MediaConnection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MediaConnection {
    /// Connects, runs `initConnection`, and returns once the server answered,
    /// all within `init.connect_timeout` ([`Error::Timeout`] otherwise).
    pub(crate) async fn connect(
        addr: SocketAddr,
        auth_key: [u8; 256],
        init: &InitParams,
    ) -> Result<Self> {
        match tokio::time::timeout(init.connect_timeout, Self::open(addr, auth_key, init)).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                what: "a media connection to open",
                after: init.connect_timeout,
            }),
        }
    }

    async fn open(addr: SocketAddr, auth_key: [u8; 256], init: &InitParams) -> Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let connection = Self::start(stream, auth_key, init.stall_timeout, &init.time_offset);
        let init_request = tl::functions::InvokeWithLayer {
            layer: tl::LAYER,
            query: tl::functions::InitConnection {
                api_id: init.api_id,
                device_model: init.device_model.clone(),
                system_version: std::env::consts::OS.into(),
                app_version: init.app_version.clone(),
                system_lang_code: "en".into(),
                lang_pack: String::new(),
                lang_code: "en".into(),
                proxy: None,
                params: None,
                query: tl::functions::help::GetConfig {},
            },
        };
        connection.invoke(&init_request).await?;
        debug!(%addr, "media connection ready");
        Ok(connection)
    }

    /// Starts driving an MTProto session on a connected socket (no
    /// `initConnection`: [`Self::open`] sends it, tests may not).
    fn start(
        stream: TcpStream,
        auth_key: [u8; 256],
        stall_timeout: Duration,
        time_offset: &Arc<AtomicI32>,
    ) -> Self {
        let mtp = mtp::Encrypted::build()
            .compression_threshold(None)
            .time_offset(time_offset.load(Ordering::Relaxed))
            .finish(auth_key);
        let (jobs, rx) = mpsc::unbounded_channel();
        let clock = Clock {
            time_offset: Arc::clone(time_offset),
        };
        let task = tokio::spawn(Driver::new(stream, mtp, auth_key, stall_timeout, clock).run(rx));
        Self { jobs, task }
    }

    /// Whether the connection has died (its requests fail; make a new one).
    pub(crate) fn is_closed(&self) -> bool {
        self.jobs.is_closed()
    }

    /// Sends a request and waits for its answer.
    pub(crate) async fn invoke<R: RemoteCall>(&self, request: &R) -> Result<R::Return> {
        let body = self.invoke_raw(Bytes::from(request.to_bytes())).await?;
        R::Return::from_bytes(&body).map_err(|e| Error::Protocol(format!("bad answer: {e}")))
    }

    /// Sends a serialized request and returns the serialized answer.
    ///
    /// A body above [`super::limits::MAX_REQUEST_SIZE`] is refused
    /// (grammers-mtproto would panic on it, or never send it).
    pub(crate) async fn invoke_raw(&self, body: Bytes) -> Result<Vec<u8>> {
        super::limits::check_request_size(body.len())?;
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                body,
                reply: Some(reply),
            })
            .map_err(|_| closed_error())?;
        answer.await.map_err(|_| closed_error())?
    }
}

fn closed_error() -> Error {
    Error::Io(io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "media connection closed",
    ))
}

/// Packets in a row that answer none of the requests waiting, after which
/// the server counts as broken. A server that refuses every resend
/// (`bad_msg_notification`, or a new `bad_server_salt` for every
/// `get_future_salts` grammers sends on its own before anything else)
/// would otherwise keep the connection busy for ever, and every refusal
/// resets the stall timer. Generous, because a healthy server may ack each
/// of our packets (acks answer nothing) before a slow answer, and a window
/// of small parts spans many packets.
const MAX_PACKETS_WITHOUT_ANSWER: u32 = 512;

/// The largest clock difference a connection adopts (a day): more is a
/// broken server, not a wrong clock.
const MAX_CLOCK_OFFSET_SECS: u32 = 86_400;

/// What a connection needs to follow the server's clock.
///
/// grammers-mtproto corrects its time offset on a 16/17, but within one
/// session its msg_ids only grow: when the server's clock is behind ours
/// (17), every resend carries an id as far in the future as before and is
/// refused again. So the offset is read from the notification here, shared
/// with the connections opened later, and on a 17 the connection ends: its
/// requests are retried on a new session that starts on the server's time.
struct Clock {
    time_offset: Arc<AtomicI32>,
}

impl Clock {
    /// Learns the server's clock from the time in a msg_id of its
    /// `bad_msg_notification` 16/17 (see [`ClockComplaint`]).
    fn learn(&self, server_seconds: i64) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let offset = server_seconds.saturating_sub(now);
        // The offset outlives this connection (every later one starts on
        // it), so an absurd one from a broken or hostile server is not
        // believed: it would make every new session fail.
        let Some(offset) = i32::try_from(offset)
            .ok()
            .filter(|o| o.unsigned_abs() <= MAX_CLOCK_OFFSET_SECS)
        else {
            warn!(
                offset,
                "ignoring a server clock more than a day away from ours"
            );
            return;
        };
        debug!(offset, "learned the server's clock");
        self.time_offset.store(offset, Ordering::Relaxed);
    }
}

/// The task that owns the socket and the MTProto state.
struct Driver {
    stream: TcpStream,
    mtp: mtp::Encrypted,
    transport: transport::Full,
    queue: VecDeque<Job>,
    /// Sent requests by msg_id, with the id of the packet's container (a
    /// bad_msg may name either), kept for resending.
    in_flight: HashMap<MsgId, (Job, MsgId)>,
    write_buffer: DequeBuffer<u8>,
    write_head: usize,
    read_buffer: Vec<u8>,
    read_len: usize,
    next_ping: Instant,
    stall_timeout: Duration,
    /// Since when we have been waiting for the server without progress: an
    /// answer to a request, or [`PROGRESS_BYTES`] more of a long packet.
    /// Single bytes do not count, so a slow-loris server is a stall.
    progress_at: Instant,
    /// How much of the unfinished packet in `read_buffer` had arrived at
    /// `progress_at`.
    partial_mark: usize,
    /// Checks server packets before grammers sees them.
    guard: InboundGuard,
    /// Learns the server's time from its bad_msg 16/17.
    clock: Clock,
    /// Packets since the last answer (see [`MAX_PACKETS_WITHOUT_ANSWER`]).
    packets_without_answer: u32,
}

impl Driver {
    fn new(
        stream: TcpStream,
        mtp: mtp::Encrypted,
        auth_key: [u8; 256],
        stall_timeout: Duration,
        clock: Clock,
    ) -> Self {
        Self {
            stream,
            mtp,
            transport: transport::Full::new(),
            queue: VecDeque::new(),
            in_flight: HashMap::new(),
            write_buffer: DequeBuffer::with_capacity(READ_BUFFER_LEN, LEADING_SPACE),
            write_head: 0,
            read_buffer: vec![0; READ_BUFFER_LEN],
            read_len: 0,
            next_ping: Instant::now() + PING_INTERVAL,
            stall_timeout,
            progress_at: Instant::now(),
            partial_mark: 0,
            guard: InboundGuard::new(auth_key),
            clock,
            packets_without_answer: 0,
        }
    }

    /// Whether a caller waits on the server (the stall timer runs).
    fn waiting(&self) -> bool {
        !self.in_flight.is_empty() || !self.queue.is_empty()
    }

    /// Restarts the stall timer: the server has shown it is alive.
    fn progress(&mut self) {
        self.progress_at = Instant::now();
        self.partial_mark = self.read_len;
    }

    async fn run(mut self, mut jobs: mpsc::UnboundedReceiver<Job>) {
        let error = loop {
            if let Err(e) = self.fill_write_buffer() {
                break e;
            }
            let stall_deadline = self.stall_deadline();
            let waiting = self.waiting();
            let (mut reader, mut writer) = self.stream.split();
            let writing = self.write_head < self.write_buffer.len();
            tokio::select! {
                job = jobs.recv() => match job {
                    Some(job) => self.queue.push_back(job),
                    // Every handle is gone: nobody waits for answers any more.
                    None => return,
                },
                read = reader.read(&mut self.read_buffer[self.read_len..]) => {
                    if let Err(e) = self.on_read(read) {
                        break e;
                    }
                }
                written = writer.write(&self.write_buffer[self.write_head..]), if writing => {
                    match written {
                        Ok(n) => self.on_written(n),
                        Err(e) => break Error::Io(e),
                    }
                }
                _ = sleep_until(self.next_ping) => self.enqueue_ping(),
                // Queued requests count as waiting too: grammers holds them
                // back while its own get_future_salts is unanswered.
                _ = sleep_until(stall_deadline), if waiting => {
                    break Error::Io(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the server stopped answering",
                    ));
                }
            }
        };
        debug!("media connection failed: {error}");
        // Dropping `jobs` first makes new callers fail fast instead of queueing.
        drop(jobs);
        let message = error.to_string();
        let in_flight = self.in_flight.drain().map(|(_, (job, _))| job);
        for job in self.queue.drain(..).chain(in_flight) {
            job.answer(Err(Error::Io(io::Error::new(
                io::ErrorKind::ConnectionReset,
                message.clone(),
            ))));
        }
    }

    /// When the time without progress since `progress_at` counts as a stall
    /// (a timeout too large for the clock means "never").
    fn stall_deadline(&self) -> Instant {
        self.progress_at
            .checked_add(self.stall_timeout)
            .unwrap_or_else(|| self.progress_at + Duration::from_secs(365 * 24 * 60 * 60))
    }

    fn enqueue_ping(&mut self) {
        self.next_ping = Instant::now() + PING_INTERVAL;
        self.queue.push_back(Job {
            body: tl::functions::PingDelayDisconnect {
                ping_id: crate::transfer::random_i64(),
                disconnect_delay: PING_DISCONNECT_DELAY,
            }
            .to_bytes()
            .into(),
            reply: None,
        });
    }

    /// Serializes queued requests into one packet when the socket is idle.
    ///
    /// grammers-mtproto's `push` does arithmetic on salts and clock offsets
    /// the server sent, so it runs shielded: a panic there closes the
    /// connection instead of killing the task with its callers' answers.
    fn fill_write_buffer(&mut self) -> Result<()> {
        if !self.write_buffer.is_empty() {
            return Ok(());
        }
        let mut sent = Vec::new();
        while let Some(job) = self.queue.front() {
            if job.abandoned() {
                // A cancelled transfer stops its traffic here: requests not
                // yet written are dropped rather than sent for nobody.
                self.queue.pop_front();
                continue;
            }
            let (mtp, buffer, body) = (&mut self.mtp, &mut self.write_buffer, &job.body);
            match shielded("push", || mtp.push(buffer, body))? {
                Some(msg_id) => {
                    if let Some(job) = self.queue.pop_front() {
                        sent.push((msg_id, job));
                    }
                }
                None => break,
            }
        }
        // Finalizing with nothing pushed still flushes acks and salt requests.
        let (mtp, buffer) = (&mut self.mtp, &mut self.write_buffer);
        let Some(last) = shielded("finalize", || mtp.finalize(buffer))? else {
            return Ok(());
        };
        self.guard.learn_session(self.write_buffer.as_ref());
        trace!(
            requests = sent.len(),
            bytes = self.write_buffer.len(),
            "packet ready"
        );
        if self.in_flight.is_empty() {
            // Waiting starts now, not at the last answer of an idle spell.
            self.progress();
        }
        self.in_flight
            .extend(sent.into_iter().map(|(id, job)| (id, (job, last))));
        self.transport.pack(&mut self.write_buffer);
        self.write_head = 0;
        Ok(())
    }

    fn on_written(&mut self, n: usize) {
        self.write_head += n;
        if self.write_head >= self.write_buffer.len() {
            self.write_buffer.clear();
            self.write_head = 0;
        }
    }

    fn on_read(&mut self, read: io::Result<usize>) -> Result<()> {
        let n = read?;
        if n == 0 {
            return Err(Error::Io(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "the server closed the connection",
            )));
        }
        self.read_len += n;
        let mut offset = 0;
        let mut answered = false;
        while offset < self.read_len {
            let Some(pending) = self.read_buffer.get_mut(offset..self.read_len) else {
                break;
            };
            let Some(unpacked) = unpack_frame(&mut self.transport, pending)? else {
                break;
            };
            let Some(packet) = pending.get_mut(unpacked.data_range) else {
                return Err(Error::Protocol("a transport frame out of bounds".into()));
            };
            offset += unpacked.next_offset;
            let Some((results, complaint)) = decode_packet(&self.guard, &mut self.mtp, packet)?
            else {
                continue;
            };
            let waiting = self.waiting();
            let mut answered_here = false;
            // The guard's reading, not grammers' results: grammers keeps a
            // 16/17 about its own `get_future_salts` to itself
            // (`handle_bad_notification`) and resends it, refused again,
            // for ever. grammers has checked the msg_key by now.
            let mut clock_behind = false;
            if let Some(complaint) = complaint {
                self.clock.learn(complaint.server_seconds);
                clock_behind = complaint.code == 17;
            }
            for result in results {
                if let Deserialization::BadMessage(bad) = &result {
                    clock_behind |= bad.code == 17;
                }
                answered_here |= self.on_result(result);
            }
            answered |= answered_here;
            if answered_here || !waiting {
                self.packets_without_answer = 0;
            } else {
                self.packets_without_answer += 1;
            }
            if clock_behind {
                // The refused requests fail with this error and the
                // transfer engine retries them on a new connection, which
                // starts on the server's time.
                return Err(Error::Io(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "the server's clock is behind ours; reconnecting on its time",
                )));
            }
            if self.packets_without_answer > MAX_PACKETS_WITHOUT_ANSWER {
                return Err(Error::Protocol(format!(
                    "the server sent {} packets in a row without answering a request",
                    self.packets_without_answer
                )));
            }
        }
        self.read_buffer.copy_within(offset..self.read_len, 0);
        self.read_len -= offset;
        if offset > 0 {
            // A new packet starts: only its own bytes count from here.
            self.partial_mark = 0;
        }
        if answered || self.read_len >= self.partial_mark + PROGRESS_BYTES {
            self.progress();
        }
        if self.read_len == self.read_buffer.len() {
            return Err(Error::Protocol(
                "a server packet exceeds the read buffer".into(),
            ));
        }
        Ok(())
    }

    fn take(&mut self, msg_id: MsgId) -> Option<Job> {
        self.in_flight.remove(&msg_id).map(|(job, _)| job)
    }

    /// Handles one decoded message; true when it answered a request somebody
    /// waits for (what counts as progress for the stall timer).
    fn on_result(&mut self, result: Deserialization) -> bool {
        match result {
            Deserialization::RpcResult(result) => self.answer(result.msg_id, Ok(result.body)),
            Deserialization::RpcError(error) => {
                self.answer(error.msg_id, Err(Error::Rpc(RpcError::from(error.error))))
            }
            Deserialization::Failure(failure) => self.answer(
                failure.msg_id,
                Err(Error::Protocol(failure.error.to_string())),
            ),
            Deserialization::BadMessage(bad) => {
                let ids: Vec<MsgId> = self
                    .in_flight
                    .iter()
                    .filter(|(id, (_, container))| **id == bad.msg_id || *container == bad.msg_id)
                    .map(|(id, _)| *id)
                    .collect();
                for id in ids {
                    let Some(job) = self.take(id) else { continue };
                    if bad.retryable() {
                        debug!("{}; resending", bad.description());
                        self.queue.push_front(job);
                    } else {
                        warn!("{}; giving up on the request", bad.description());
                        job.answer(Err(Error::Protocol(format!(
                            "bad_msg_notification {}: {}",
                            bad.code,
                            bad.description()
                        ))));
                    }
                }
                false
            }
            // Media connections do not handle updates; the main one does.
            Deserialization::Update(_) | Deserialization::OwnUpdate { .. } => false,
        }
    }

    /// Answers the request `msg_id`, if it is ours; true if a caller waited.
    fn answer(&mut self, msg_id: MsgId, result: Result<Vec<u8>>) -> bool {
        match self.take(msg_id) {
            Some(job) => {
                let waited = job.reply.is_some();
                job.answer(result);
                waited
            }
            None => false,
        }
    }
}

/// Runs a call into grammers-mtproto, turning a panic into a connection
/// error. grammers panics on some server input instead of returning an
/// error (see [`InboundGuard`]); what the guard cannot foresee must still
/// not take the callers' answers down with the task.
fn shielded<T>(what: &'static str, call: impl FnOnce() -> T) -> Result<T> {
    // The connection is closed after a panic, so state grammers may have left
    // half-updated is never used again: asserting unwind safety is sound here.
    catch_unwind(AssertUnwindSafe(call)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        warn!("grammers-mtproto panicked in {what}: {message}");
        Error::Protocol(format!("grammers-mtproto panicked in {what}: {message}"))
    })
}

/// The next whole frame at the start of `pending`, `None` until it has all
/// arrived, or an error that ends the connection.
fn unpack_frame(
    transport: &mut transport::Full,
    pending: &mut [u8],
) -> Result<Option<transport::UnpackedOffset>> {
    check_frame_len(pending)?;
    match shielded("transport unpack", || transport.unpack(pending))? {
        Ok(unpacked) => Ok(Some(unpacked)),
        Err(transport::Error::MissingBytes) => Ok(None),
        Err(e) => Err(Error::Protocol(e.to_string())),
    }
}

/// One transport payload through the guard and grammers: what it held,
/// `None` if the guard dropped it, or an error that ends the connection.
fn decode_packet(
    guard: &InboundGuard,
    mtp: &mut mtp::Encrypted,
    packet: &mut [u8],
) -> Result<Option<(Vec<Deserialization>, Option<ClockComplaint>)>> {
    let complaint = match guard.inspect(packet) {
        Verdict::Pass(complaint) => complaint,
        Verdict::Drop(why) => {
            warn!("dropped a server packet: {why}");
            return Ok(None);
        }
        Verdict::Refuse(why) => {
            return Err(Error::Protocol(format!("refused a server packet: {why}")));
        }
    };
    let results = shielded("deserialize", || mtp.deserialize(packet))?
        .map_err(|e| Error::Protocol(e.to_string()))?;
    Ok(Some((results, complaint)))
}

/// Refuses a full-transport frame header grammers cannot handle, before
/// `transport::Full::unpack` sees it.
///
/// grammers-mtproto 0.11 `transport/full.rs:81` negates a negative length
/// (`(-len) as u32`), which overflows for `i32::MIN`; and a length beyond the
/// read buffer can never complete, so waiting for it would only stall.
fn check_frame_len(pending: &[u8]) -> Result<()> {
    let Some(head) = pending.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()) else {
        return Ok(());
    };
    let len = i32::from_le_bytes(head);
    if len < 0 {
        // A transport error such as -404 (unknown key) or -429 (flood).
        return Err(Error::Protocol(format!("transport error {len}")));
    }
    if len as usize > READ_BUFFER_LEN {
        return Err(Error::Protocol(format!(
            "a server frame of {len} bytes exceeds the {READ_BUFFER_LEN} bytes accepted"
        )));
    }
    Ok(())
}

/// What to do with one encrypted server packet.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Hand it to grammers, which may still refuse it with an error; with
    /// the clock complaint it carries, if any.
    Pass(Option<ClockComplaint>),
    /// Ignore it: it is another session's packet on the same key, which
    /// the spec says a client must not process.
    Drop(&'static str),
    /// grammers would panic, recurse without bound or inflate without
    /// bound on it: close the connection so the pool opens a new one.
    Refuse(String),
}

/// A `bad_msg_notification` 16 (our msg_id too old) or 17 (too new) the
/// guard read, with the time of the server's msg_id that carried it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ClockComplaint {
    code: i32,
    server_seconds: i64,
}

// Constructors the guard looks at (grammers-mtproto's manual_tl.rs and the
// MTProto schema).
const MSG_CONTAINER: u32 = 0x73f1f8dc;
const MSG_COPY: u32 = 0xe06046b2;
const GZIP_PACKED: u32 = 0x3072cfa1;
const RPC_RESULT: u32 = 0xf35c6d01;
const FUTURE_SALT: u32 = 0x0949d9dc;
const FUTURE_SALTS: u32 = 0xae500895;
const BAD_MSG_NOTIFICATION: u32 = 0xa7eff811;

/// grammers-mtproto's `MessageContainer::MAXIMUM_SIZE`: `Message::deserialize`
/// asserts that a message body is shorter (manual_tl.rs:73-75).
const GRAMMERS_MAX_MESSAGE_LEN: usize = 1_044_456 - 8;
/// How deep containers and `gzip_packed` may nest. grammers recurses once per
/// level (`process_message` → `handle_container` / `handle_gzip_packed`,
/// encrypted.rs:1063 and 1112), so 10,000 levels overflow the stack, which
/// aborts the process. Telegram nests two levels at most.
const MAX_NESTING: usize = 4;
/// What a `gzip_packed` may inflate to. No answer is bigger than a 1 MiB
/// file part, and grammers inflates without a limit (manual_tl.rs:213-222).
const MAX_INFLATED_LEN: usize = 2 * READ_BUFFER_LEN;
/// The latest server time (salts, message ids) grammers can add to without
/// overflowing: it adds the seconds since it got future salts and a 60 s
/// delay (encrypted.rs:1223-1224) and the clock offset it derives from a
/// server msg_id to the local clock (encrypted.rs:175-176 and 186). 2^28 s is more
/// than eight years of headroom.
const MAX_SERVER_TIME: i64 = i32::MAX as i64 - (1 << 28);

/// "x = 8 for messages from server to client" (MTProto 2.0 key derivation).
const X_SERVER: usize = 8;
const X_CLIENT: usize = 0;

/// Checks server packets before grammers-mtproto's `Encrypted::deserialize`
/// sees them, for the input it asserts or panics on instead of failing:
///
/// - a session id other than ours: `panic!("wrong session id")`
///   (encrypted.rs:1308-1310), for example a packet replayed from another
///   connection on the same key;
/// - a message length below zero or over its maximum (manual_tl.rs:73-75),
///   a container with a negative count (manual_tl.rs:166);
/// - `future_salt` and `msg_copy`: `panic!` (encrypted.rs:908 and 1090);
/// - `future_salts` with times that overflow its arithmetic: negating
///   `valid_since` in the sort (encrypted.rs:901), adding to it in `push`
///   (encrypted.rs:1223-1224);
/// - `bad_msg_notification` 16/17 from a msg_id whose time makes the clock
///   offset overflow (encrypted.rs:176 and 186);
/// - nesting deep enough to overflow the stack, and `gzip_packed` that
///   inflates without bound (see the constants above).
///
/// The overflows panic where overflow checks are on (debug and test
/// builds); in release they wrap and corrupt grammers' clock and salts, so
/// they are refused in both.
///
/// Only as much of the packet is decrypted as the check reads: for a file
/// part that is the first few blocks, not the 512 KiB of data (AES-IGE
/// decrypts a prefix without the rest). The `msg_key` is left to grammers,
/// except for a foreign session id, where it decides drop or error.
struct InboundGuard {
    auth_key: [u8; 256],
    /// Our session id, read back from the first packet we sent (grammers
    /// keeps it private).
    session_id: Option<i64>,
}

impl InboundGuard {
    fn new(auth_key: [u8; 256]) -> Self {
        Self {
            auth_key,
            session_id: None,
        }
    }

    /// Learns the session id from an outgoing packet just encrypted by
    /// grammers: `auth_key_id (8) | msg_key (16) | AES-IGE(salt, session_id, …)`.
    fn learn_session(&mut self, packet: &[u8]) {
        if self.session_id.is_some() {
            return;
        }
        let (Some(msg_key), Some(first)) = (packet.get(8..24), packet.get(24..40)) else {
            return;
        };
        let Ok(msg_key) = <[u8; 16]>::try_from(msg_key) else {
            return;
        };
        let (key, iv) = derive_aes(&self.auth_key, &msg_key, X_CLIENT);
        let mut block = [0u8; 16];
        block.copy_from_slice(first);
        ige_decrypt(&mut block, &key, &iv);
        self.session_id = Some(i64::from_le_bytes([
            block[8], block[9], block[10], block[11], block[12], block[13], block[14], block[15],
        ]));
    }

    /// Decides what happens to one transport payload.
    fn inspect(&self, packet: &[u8]) -> Verdict {
        // Shapes grammers refuses with an error by itself (too short, not
        // whole AES blocks) are passed on for it to refuse.
        let (Some(msg_key), Some(cipher)) = (packet.get(8..24), packet.get(24..)) else {
            return Verdict::Pass(None);
        };
        let Ok(msg_key) = <[u8; 16]>::try_from(msg_key) else {
            return Verdict::Pass(None);
        };
        if cipher.len() < 16 || !cipher.len().is_multiple_of(16) {
            return Verdict::Pass(None);
        }
        let Some(ours) = self.session_id else {
            return Verdict::Refuse("a server packet before any request".into());
        };
        let (key, iv) = derive_aes(&self.auth_key, &msg_key, X_SERVER);
        let mut plain = LazyPlaintext::new(cipher, key, iv);
        let Some(session_id) = plain.read_i64(8) else {
            return Verdict::Pass(None);
        };
        if session_id != ours {
            // grammers checks the msg_key first: a packet that fails it is
            // damage (its error), one that passes was really sent on our key
            // for another session (dropped here, where grammers would panic).
            return if plain.msg_key_matches(&self.auth_key, &msg_key) {
                Verdict::Drop("a packet for another session")
            } else {
                Verdict::Pass(None)
            };
        }
        match check_message(&mut plain, 16, 0) {
            Ok(complaint) => Verdict::Pass(complaint),
            Err(why) => Verdict::Refuse(why),
        }
    }
}

/// MTProto 2.0: `aes_key` and `aes_iv` from the auth key and `msg_key`.
fn derive_aes(auth_key: &[u8; 256], msg_key: &[u8; 16], x: usize) -> ([u8; 32], [u8; 32]) {
    let a = Sha256::new()
        .chain_update(msg_key)
        .chain_update(&auth_key[x..x + 36])
        .finalize();
    let b = Sha256::new()
        .chain_update(&auth_key[40 + x..40 + x + 36])
        .chain_update(msg_key)
        .finalize();
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&a[..8]);
    key[8..24].copy_from_slice(&b[8..24]);
    key[24..].copy_from_slice(&a[24..32]);
    let mut iv = [0u8; 32];
    iv[..8].copy_from_slice(&b[..8]);
    iv[8..24].copy_from_slice(&a[8..24]);
    iv[24..].copy_from_slice(&b[24..32]);
    (key, iv)
}

/// Bytes the guard reads: a lazily decrypted packet or an inflated body.
trait Source {
    /// `len` bytes at `at`, or `None` past the end.
    fn bytes(&mut self, at: usize, len: usize) -> Option<&[u8]>;

    fn read_u32(&mut self, at: usize) -> Option<u32> {
        let b = self.bytes(at, 4)?;
        Some(u32::from_le_bytes(b.try_into().ok()?))
    }

    fn read_i32(&mut self, at: usize) -> Option<i32> {
        Some(self.read_u32(at)? as i32)
    }

    fn read_i64(&mut self, at: usize) -> Option<i64> {
        let b = self.bytes(at, 8)?;
        Some(i64::from_le_bytes(b.try_into().ok()?))
    }

    /// A TL `bytes` value at `at`: its contents and where it ends.
    fn read_tl_bytes(&mut self, at: usize) -> Option<(Vec<u8>, usize)> {
        let first = *self.bytes(at, 1)?.first()?;
        let (start, len) = if first == 254 {
            let b = self.bytes(at + 1, 3)?;
            (
                at + 4,
                usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16,
            )
        } else {
            (at + 1, usize::from(first))
        };
        let data = self.bytes(start, len)?.to_vec();
        Some((data, start + len))
    }
}

impl Source for &[u8] {
    fn bytes(&mut self, at: usize, len: usize) -> Option<&[u8]> {
        self.get(at..at.checked_add(len)?)
    }
}

/// A packet's plaintext, decrypted only as far as it has been read.
struct LazyPlaintext<'a> {
    cipher: &'a [u8],
    plain: Vec<u8>,
    key: [u8; 32],
    /// The IGE chain state after `plain`: the last ciphertext and plaintext
    /// blocks (grammers' `ige_decrypt` takes them as `iv1 | iv2`).
    iv: [u8; 32],
}

impl<'a> LazyPlaintext<'a> {
    fn new(cipher: &'a [u8], key: [u8; 32], iv: [u8; 32]) -> Self {
        Self {
            cipher,
            plain: Vec::new(),
            key,
            iv,
        }
    }

    /// Decrypts up to byte `end` (rounded up to a whole block).
    fn decrypt_to(&mut self, end: usize) -> bool {
        if end <= self.plain.len() {
            return true;
        }
        if end > self.cipher.len() {
            return false;
        }
        let upto = end.div_ceil(16) * 16;
        let Some(chunk) = self.cipher.get(self.plain.len()..upto) else {
            return false;
        };
        let mut chunk = chunk.to_vec();
        ige_decrypt(&mut chunk, &self.key, &self.iv);
        let (Some(last_cipher), Some(last_plain)) = (
            self.cipher.get(upto - 16..upto),
            chunk.get(chunk.len() - 16..),
        ) else {
            return false;
        };
        self.iv[..16].copy_from_slice(last_cipher);
        self.iv[16..].copy_from_slice(last_plain);
        self.plain.extend_from_slice(&chunk);
        true
    }

    /// The check grammers makes (`decrypt_data_v2`), on the whole plaintext.
    fn msg_key_matches(&mut self, auth_key: &[u8; 256], msg_key: &[u8; 16]) -> bool {
        if !self.decrypt_to(self.cipher.len()) {
            return false;
        }
        let large = Sha256::new()
            .chain_update(&auth_key[88 + X_SERVER..88 + X_SERVER + 32])
            .chain_update(&self.plain)
            .finalize();
        large[8..24] == msg_key[..]
    }
}

impl Source for LazyPlaintext<'_> {
    fn bytes(&mut self, at: usize, len: usize) -> Option<&[u8]> {
        let end = at.checked_add(len)?;
        if !self.decrypt_to(end) {
            return None;
        }
        self.plain.get(at..end)
    }
}

/// What a check finds: a reason to refuse the packet, or that it may pass,
/// with the first clock complaint in it.
type Checked = std::result::Result<Option<ClockComplaint>, String>;

/// Checks the message (`msg_id seqno bytes body`) at `at`, as grammers'
/// `Message::deserialize` and `process_message` would read it. Data that
/// ends early is passed: grammers fails on it with an error.
fn check_message<S: Source>(src: &mut S, at: usize, depth: usize) -> Checked {
    let (Some(msg_id), Some(len)) = (src.read_i64(at), src.read_i32(at + 12)) else {
        return Ok(None);
    };
    // manual_tl.rs:73 `assert!(len >= 0)`, :75 `assert!(len < MAXIMUM_SIZE)`.
    let len = usize::try_from(len).map_err(|_| format!("a message of length {len}"))?;
    if len >= GRAMMERS_MAX_MESSAGE_LEN {
        return Err(format!("a message of {len} bytes"));
    }
    check_body(src, at + 16, len, msg_id, depth)
}

/// Checks a message body of `len` bytes at `at`.
fn check_body<S: Source>(src: &mut S, at: usize, len: usize, msg_id: i64, depth: usize) -> Checked {
    let Some(constructor) = src.read_u32(at) else {
        return Ok(None);
    };
    let end = at + len;
    match constructor {
        MSG_CONTAINER => {
            if depth >= MAX_NESTING {
                return Err("containers nested too deep".into());
            }
            let Some(count) = src.read_i32(at + 4) else {
                return Ok(None);
            };
            // manual_tl.rs:166 `assert!(len >= 0)`.
            if count < 0 {
                return Err(format!("a container of {count} messages"));
            }
            let mut next = at + 8;
            let mut complaint = None;
            for _ in 0..count {
                if next + 16 > end {
                    return Ok(complaint);
                }
                let Some(inner_len) = src.read_i32(next + 12) else {
                    return Ok(complaint);
                };
                let inner_len = usize::try_from(inner_len)
                    .map_err(|_| format!("a message of length {inner_len}"))?;
                if inner_len >= GRAMMERS_MAX_MESSAGE_LEN {
                    return Err(format!("a message of {inner_len} bytes"));
                }
                if next + 16 + inner_len > end {
                    return Ok(complaint);
                }
                let found = check_message(src, next, depth + 1)?;
                complaint = complaint.or(found);
                next += 16 + inner_len;
            }
            Ok(complaint)
        }
        GZIP_PACKED => {
            if depth >= MAX_NESTING {
                return Err("gzip_packed nested too deep".into());
            }
            let Some((packed, _)) = src.read_tl_bytes(at + 4) else {
                return Ok(None);
            };
            let Some(inflated) = inflate_bounded(&packed)? else {
                return Ok(None);
            };
            // grammers processes the inflated object as the message's body.
            let inflated_len = inflated.len();
            check_body(&mut inflated.as_slice(), 0, inflated_len, msg_id, depth + 1)
        }
        RPC_RESULT => {
            if src.read_u32(at + 12) == Some(GZIP_PACKED)
                && let Some((packed, _)) = src.read_tl_bytes(at + 16)
            {
                // grammers inflates it whole (encrypted.rs:484).
                inflate_bounded(&packed)?;
            }
            Ok(None)
        }
        FUTURE_SALT => Err("a bare future_salt".into()),
        MSG_COPY => Err("msg_copy".into()),
        FUTURE_SALTS => check_future_salts(src, at).map(|()| None),
        BAD_MSG_NOTIFICATION => {
            let code = src.read_i32(at + 16);
            let seconds = msg_id >> 32;
            match code {
                Some(code @ (16 | 17)) if (0..=MAX_SERVER_TIME).contains(&seconds) => {
                    Ok(Some(ClockComplaint {
                        code,
                        server_seconds: seconds,
                    }))
                }
                Some(16 | 17) => Err(format!("a time correction to {seconds}")),
                _ => Ok(None),
            }
        }
        _ => Ok(None),
    }
}

/// `future_salts#ae500895 req_msg_id:long now:int salts:vector<future_salt>`
/// (a bare vector: a count, then bare `future_salt`s), whose times grammers
/// computes with.
fn check_future_salts<S: Source>(src: &mut S, at: usize) -> std::result::Result<(), String> {
    let Some(now) = src.read_i32(at + 12) else {
        return Ok(());
    };
    if i64::from(now) > MAX_SERVER_TIME {
        return Err(format!("future_salts at time {now}"));
    }
    let Some(count) = src.read_u32(at + 16) else {
        return Ok(());
    };
    for i in 0..count as usize {
        // future_salt: valid_since:int valid_until:int salt:long.
        let Some(valid_since) = src.read_i32(at + 20 + i * 16) else {
            return Ok(());
        };
        if valid_since < 0 || i64::from(valid_since) > MAX_SERVER_TIME {
            return Err(format!(
                "future_salts with a salt valid since {valid_since}"
            ));
        }
    }
    Ok(())
}

/// Inflates a `gzip_packed` payload the way grammers does (flate2's
/// `GzDecoder`), stopping once it exceeds [`MAX_INFLATED_LEN`]. `Ok(None)`
/// for data that does not inflate: grammers fails on it with an error.
fn inflate_bounded(packed: &[u8]) -> std::result::Result<Option<Vec<u8>>, String> {
    /// A sink that refuses to grow past the limit, and remembers it did.
    struct Bounded {
        data: Vec<u8>,
        overflowed: bool,
    }
    impl Write for Bounded {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.data.len() + buf.len() > MAX_INFLATED_LEN {
                self.overflowed = true;
                return Err(io::Error::other("inflated too far"));
            }
            self.data.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut decoder = flate2::write::GzDecoder::new(Bounded {
        data: Vec::new(),
        overflowed: false,
    });
    let written = decoder
        .write_all(packed)
        .and_then(|()| decoder.try_finish());
    if decoder.get_ref().overflowed {
        return Err(format!(
            "gzip_packed inflating beyond {MAX_INFLATED_LEN} bytes"
        ));
    }
    match written {
        Ok(()) => Ok(decoder.finish().ok().map(|sink| sink.data)),
        Err(_) => Ok(None),
    }
}

#[cfg(test)]
#[path = "connection_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "connection_fuzz.rs"]
mod fuzz;

#[cfg(test)]
mod clock_tests {
    use super::*;

    /// `msg_id seqno bytes body`, with the server's time in the msg_id.
    fn message(seconds: i64, body: &[u8]) -> Vec<u8> {
        let mut message = (seconds << 32).to_le_bytes().to_vec();
        message.extend_from_slice(&1i32.to_le_bytes());
        message.extend_from_slice(&(body.len() as i32).to_le_bytes());
        message.extend_from_slice(body);
        message
    }

    fn notification(code: i32) -> Vec<u8> {
        let mut body = BAD_MSG_NOTIFICATION.to_le_bytes().to_vec();
        body.extend_from_slice(&7i64.to_le_bytes());
        body.extend_from_slice(&1i32.to_le_bytes());
        body.extend_from_slice(&code.to_le_bytes());
        body
    }

    #[test]
    fn the_guard_reports_clock_complaints_alone_or_in_a_container() {
        let now = 1_800_000_000;
        let alone = message(now, &notification(17));
        let complaint = check_message(&mut alone.as_slice(), 0, 0).expect("passes");
        assert_eq!(
            complaint,
            Some(ClockComplaint {
                code: 17,
                server_seconds: now
            })
        );
        let other = message(now, &notification(32));
        assert_eq!(check_message(&mut other.as_slice(), 0, 0), Ok(None));

        let mut container = MSG_CONTAINER.to_le_bytes().to_vec();
        container.extend_from_slice(&2i32.to_le_bytes());
        container.extend(message(now, &[0u8; 12]));
        container.extend(message(now - 600, &notification(16)));
        let packet = message(now, &container);
        let complaint = check_message(&mut packet.as_slice(), 0, 0).expect("passes");
        assert_eq!(
            complaint,
            Some(ClockComplaint {
                code: 16,
                server_seconds: now - 600
            })
        );
    }
}
