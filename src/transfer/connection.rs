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
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use grammers_crypto::DequeBuffer;
use grammers_mtproto::MsgId;
use grammers_mtproto::mtp::{self, Deserialization, Mtp};
use grammers_mtproto::transport::{self, Transport};
use grammers_mtsender::RpcError;
use grammers_tl_types::{self as tl, Deserializable, RemoteCall, Serializable};
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

/// What `initConnection` says about the app, and how long to wait for a
/// silent server.
#[derive(Debug, Clone)]
pub(crate) struct InitParams {
    pub api_id: i32,
    pub device_model: String,
    pub app_version: String,
    /// With requests outstanding and nothing received for this long, the
    /// connection counts as dead (a half-open TCP connection never errors).
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
        let mtp = mtp::Encrypted::build()
            .compression_threshold(None)
            .time_offset(init.time_offset.load(Ordering::Relaxed))
            .finish(auth_key);
        let (jobs, rx) = mpsc::unbounded_channel();
        let clock = Clock {
            auth_key: grammers_crypto::AuthKey::from_bytes(auth_key),
            time_offset: Arc::clone(&init.time_offset),
        };
        let task = tokio::spawn(Driver::new(stream, mtp, init.stall_timeout, clock).run(rx));
        let connection = Self { jobs, task };
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

/// Packets up to this size are copied before grammers decrypts them in
/// place, so the server's msg_id (its clock) can be read from a
/// `bad_msg_notification` 16/17 afterwards; such packets are small.
const CLOCK_PACKET_LEN: usize = 4096;
/// Packets in a row that answer none of the requests waiting, after which
/// the server counts as broken. A server that refuses every resend
/// (`bad_msg_notification`, or a new `bad_server_salt` for every
/// `get_future_salts` grammers sends on its own before anything else)
/// would otherwise keep the connection busy for ever, and every refusal
/// resets the stall timer. Generous, because a healthy server may ack each
/// of our packets (acks answer nothing) before a slow answer, and a window
/// of small parts spans many packets.
const MAX_PACKETS_WITHOUT_ANSWER: u32 = 512;

/// What a connection needs to follow the server's clock.
///
/// grammers-mtproto corrects its time offset on a 16/17, but within one
/// session its msg_ids only grow: when the server's clock is behind ours
/// (17), every resend carries an id as far in the future as before and is
/// refused again. So the offset is read from the notification here, shared
/// with the connections opened later, and on a 17 the connection ends: its
/// requests are retried on a new session that starts on the server's time.
struct Clock {
    auth_key: grammers_crypto::AuthKey,
    time_offset: Arc<AtomicI32>,
}

impl Clock {
    /// Learns the server's clock from `packet` (a copy of the encrypted
    /// packet that carried a 16/17), if it decrypts.
    fn learn(&self, mut packet: Vec<u8>) {
        let Ok(plaintext) = grammers_crypto::decrypt_data_v2(&mut packet, &self.auth_key) else {
            return;
        };
        // salt (8), session_id (8), then the server's msg_id: its unix time
        // in the upper 32 bits.
        let Some(msg_id) = plaintext
            .get(16..24)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(i64::from_le_bytes)
        else {
            return;
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let offset = (msg_id >> 32).saturating_sub(now);
        let offset = i32::try_from(offset).unwrap_or(if offset < 0 { i32::MIN } else { i32::MAX });
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
    /// Since when we have been waiting for the server without hearing from it.
    quiet_since: Instant,
    clock: Clock,
    /// Packets since the last answer (see [`MAX_PACKETS_WITHOUT_ANSWER`]).
    packets_without_answer: u32,
}

impl Driver {
    fn new(stream: TcpStream, mtp: mtp::Encrypted, stall_timeout: Duration, clock: Clock) -> Self {
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
            quiet_since: Instant::now(),
            clock,
            packets_without_answer: 0,
        }
    }

    async fn run(mut self, mut jobs: mpsc::UnboundedReceiver<Job>) {
        let error = loop {
            self.fill_write_buffer();
            let stall_deadline = self.stall_deadline();
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
                _ = sleep_until(stall_deadline), if !self.in_flight.is_empty() => {
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

    /// When the silence since `quiet_since` counts as a stall (a timeout
    /// too large for the clock means "never").
    fn stall_deadline(&self) -> Instant {
        self.quiet_since
            .checked_add(self.stall_timeout)
            .unwrap_or_else(|| self.quiet_since + Duration::from_secs(365 * 24 * 60 * 60))
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
    fn fill_write_buffer(&mut self) {
        if !self.write_buffer.is_empty() {
            return;
        }
        let mut sent = Vec::new();
        while let Some(job) = self.queue.front() {
            if job.abandoned() {
                // A cancelled transfer stops its traffic here: requests not
                // yet written are dropped rather than sent for nobody.
                self.queue.pop_front();
                continue;
            }
            match self.mtp.push(&mut self.write_buffer, &job.body) {
                Some(msg_id) => {
                    if let Some(job) = self.queue.pop_front() {
                        sent.push((msg_id, job));
                    }
                }
                None => break,
            }
        }
        // Finalizing with nothing pushed still flushes acks and salt requests.
        let Some(last) = self.mtp.finalize(&mut self.write_buffer) else {
            return;
        };
        trace!(
            requests = sent.len(),
            bytes = self.write_buffer.len(),
            "packet ready"
        );
        if self.in_flight.is_empty() {
            // Waiting starts now, not at the last answer of an idle spell.
            self.quiet_since = Instant::now();
        }
        self.in_flight
            .extend(sent.into_iter().map(|(id, job)| (id, (job, last))));
        self.transport.pack(&mut self.write_buffer);
        self.write_head = 0;
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
        self.quiet_since = Instant::now();
        let mut offset = 0;
        while offset < self.read_len {
            let unpacked = match self
                .transport
                .unpack(&mut self.read_buffer[offset..self.read_len])
            {
                Ok(unpacked) => unpacked,
                Err(transport::Error::MissingBytes) => break,
                Err(e) => return Err(Error::Protocol(e.to_string())),
            };
            let packet = &mut self.read_buffer[offset..][unpacked.data_range];
            let mut copy = (packet.len() <= CLOCK_PACKET_LEN).then(|| packet.to_vec());
            let results = self
                .mtp
                .deserialize(packet)
                .map_err(|e| Error::Protocol(e.to_string()))?;
            offset += unpacked.next_offset;
            let answered = results.iter().any(|r| {
                matches!(
                    r,
                    Deserialization::RpcResult(_)
                        | Deserialization::RpcError(_)
                        | Deserialization::Failure(_)
                )
            });
            if answered || (self.queue.is_empty() && self.in_flight.is_empty()) {
                self.packets_without_answer = 0;
            } else {
                self.packets_without_answer += 1;
            }
            let mut clock_behind = false;
            for result in results {
                if let Deserialization::BadMessage(bad) = &result
                    && (bad.code == 16 || bad.code == 17)
                {
                    if let Some(copy) = copy.take() {
                        self.clock.learn(copy);
                    }
                    clock_behind |= bad.code == 17;
                }
                self.on_result(result);
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

    fn on_result(&mut self, result: Deserialization) {
        match result {
            Deserialization::RpcResult(result) => {
                if let Some(job) = self.take(result.msg_id) {
                    job.answer(Ok(result.body));
                }
            }
            Deserialization::RpcError(error) => {
                if let Some(job) = self.take(error.msg_id) {
                    job.answer(Err(Error::Rpc(RpcError::from(error.error))));
                }
            }
            Deserialization::Failure(failure) => {
                if let Some(job) = self.take(failure.msg_id) {
                    job.answer(Err(Error::Protocol(failure.error.to_string())));
                }
            }
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
            }
            // Media connections do not handle updates; the main one does.
            Deserialization::Update(_) | Deserialization::OwnUpdate { .. } => {}
        }
    }
}
