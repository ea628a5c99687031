//! One client connection: transport framing, MTProto 2.0 encryption, the
//! service messages (pings, salts, acks, new sessions) and handing method
//! calls to the router. Link shaping and byte-count faults apply here.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use grammers_tl_types::{self as tl, Serializable};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tracing::{debug, info, warn};

use crate::crypto::{self, AuthKey, ENVELOPE_HEADER_LEN};
use crate::faults::ByteFault;
use crate::legacy_layer;
use crate::proto::{self, ClientMessage, MsgIdGenerator, MsgKind, unix_now};
use crate::rpc::{CallContext, Router, RpcError};
use crate::transport::{self, Framing};
use crate::world::World;
use crate::world::push::PUSH_QUEUE;

/// Numbers the sessions update pushes go to, across the whole process.
static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// Ends a connection's update subscription when the connection ends.
struct Subscription<'a> {
    world: &'a World,
    number: u64,
}

impl Drop for Subscription<'_> {
    fn drop(&mut self) {
        self.world.subscribers().unsubscribe(self.number);
    }
}

/// Transport error for an unknown key or a bad `msg_key`.
const TRANSPORT_AUTH_KEY_NOT_FOUND: i32 = -404;
/// `bad_server_salt` error code.
const BAD_SERVER_SALT: i32 = 48;
/// How many salts `get_future_salts` may ask for at most.
const MAX_FUTURE_SALTS: i32 = 64;

const MSGS_ACK: u32 = 0x62d6b459;
const PING: u32 = 0x7abe77ec;
const PING_DELAY_DISCONNECT: u32 = 0xf3427b8c;
const GET_FUTURE_SALTS: u32 = 0xb921bd04;
const DESTROY_SESSION: u32 = 0xe7512126;
const RPC_DROP_ANSWER: u32 = 0x58e4a740;
const MSGS_STATE_REQ: u32 = 0xda69fb52;
const MSG_RESEND_REQ: u32 = 0x7d861a08;
const HTTP_WAIT: u32 = 0x9299359f;

/// What one DC's listener shares with its connections.
pub(crate) struct DcShared {
    pub dc_id: i32,
    pub world: Arc<World>,
    pub router: Arc<Router>,
}

/// A message queued for the client.
enum Outgoing {
    Message {
        session_id: i64,
        kind: MsgKind,
        body: Vec<u8>,
        /// Responses wait out the configured round-trip time.
        not_before: Instant,
        /// The duplicate-answers fault: the same encrypted packet goes out twice.
        twice: bool,
    },
    TransportError(i32),
}

/// The server's own clock: the real one moved by the clock-offset fault.
fn server_now(world: &World) -> i32 {
    let now = i64::from(unix_now()) + world.faults().clock_offset();
    i32::try_from(now).unwrap_or(if now < 0 { 0 } else { i32::MAX })
}

/// The salt of a 30-minute window of the server's clock, changed by every
/// salt rotation (none: the world's salt).
fn salt_for_window(world: &World, window: i64, epoch: u64) -> i64 {
    let mix = epoch.wrapping_mul(0x9e37_79b9_7f4a_7c15) as i64;
    world.salt_for_window(window) ^ mix
}

/// The salt clients should use now.
fn current_salt(world: &World) -> i64 {
    let window = World::salt_window(server_now(world));
    salt_for_window(world, window, world.faults().salt_epoch())
}

/// Whether `salt` may be used now: the current or the previous window's
/// salt of the current rotation.
fn salt_is_valid(world: &World, salt: i64, epoch: u64) -> bool {
    let window = World::salt_window(server_now(world));
    salt == salt_for_window(world, window, epoch)
        || salt == salt_for_window(world, window - 1, epoch)
}

/// Serves one accepted connection until it closes.
pub(crate) async fn serve(stream: TcpStream, dc: Arc<DcShared>) {
    let _ = stream.set_nodelay(true);
    dc.world.record_connection();
    let peer = stream.peer_addr().ok();
    let (read_half, write_half) = stream.into_split();
    match run(
        BufReader::with_capacity(256 * 1024, read_half),
        write_half,
        &dc,
    )
    .await
    {
        Ok(()) => debug!(?peer, dc = dc.dc_id, "connection closed"),
        Err(e) => debug!(?peer, dc = dc.dc_id, "connection ended: {e}"),
    }
}

async fn run<R, W>(mut reader: R, mut writer: W, dc: &DcShared) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let transport::Detected {
        framing,
        mut pending,
    } = transport::detect(&mut reader).await?;
    let mut read_framing = framing.clone();
    let mut write_framing = framing;

    // The first packet names the auth key the whole connection uses.
    let first = read_framing.read_packet(&mut reader, &mut pending).await?;
    let key = match lookup_key(dc, &first) {
        Some(key) => key,
        None => {
            info!(dc = dc.dc_id, "unknown auth key or plain message: -404");
            return write_framing
                .write_error(&mut writer, TRANSPORT_AUTH_KEY_NOT_FOUND)
                .await;
        }
    };

    let (tx, rx) = mpsc::unbounded_channel();
    // Updates pushed by the world wait in a bounded queue; a forwarder
    // hands them to the sealer in the session the client uses now.
    let (push_tx, mut push_rx) = mpsc::channel::<Vec<u8>>(PUSH_QUEUE);
    let subscription = Subscription {
        world: &dc.world,
        number: NEXT_SESSION.fetch_add(1, Ordering::Relaxed),
    };
    let current_session = AtomicI64::new(0);
    let push_out = tx.clone();
    let mut inbound = Inbound {
        dc,
        key: key.clone(),
        tx,
        push_tx,
        subscription: subscription.number,
        subscribed: false,
        current_session: &current_session,
        session_id: None,
        layer: 0,
        disconnect_at: None,
        link: Link::default(),
        last_answer: None,
    };
    // Set by a stall fault: both directions go quiet from then on.
    let stalled = AtomicBool::new(false);
    let sealer = Sealer {
        key,
        framing: write_framing,
        msg_ids: MsgIdGenerator::default(),
        content_sent: 0,
        world: &dc.world,
    };
    let outbound = Outbound {
        world: &dc.world,
        link: Link::default(),
        stalled: &stalled,
    };
    // Messages are encrypted as soon as they are queued and then wait out
    // the round-trip time, as on a real link where the server's work is
    // done before the answer travels, not after.
    let (sealed_tx, sealed_rx) = mpsc::unbounded_channel();
    let sealing = async {
        sealer.run(rx, sealed_tx).await;
        // The writer ends the connection once it has sent what was sealed.
        std::future::pending::<io::Result<()>>().await
    };

    let reading = async {
        let mut next = Some(first);
        loop {
            let mut packet = match next.take() {
                Some(packet) => packet,
                None => tokio::select! {
                    packet = read_framing.read_packet(&mut reader, &mut pending) => packet?,
                    _ = inbound.tx.closed() => return Ok(()),
                    _ = sleep_until_opt(inbound.disconnect_at) => {
                        debug!("ping_delay_disconnect deadline passed");
                        return Ok(());
                    }
                },
            };
            if stalled.load(Ordering::Relaxed) {
                // A stalled connection swallows everything until the client leaves.
                continue;
            }
            match dc.world.faults().count_bytes(packet.len()) {
                Some(ByteFault::Drop) => {
                    info!(
                        dc = dc.dc_id,
                        "fault: dropping the connection while reading"
                    );
                    return Ok(());
                }
                Some(ByteFault::Stall) => {
                    info!(dc = dc.dc_id, "fault: the connection goes silent");
                    stalled.store(true, Ordering::Relaxed);
                    continue;
                }
                None => {}
            }
            inbound
                .link
                .pace(packet.len(), dc.world.shaping().bandwidth())
                .await;
            if inbound.handle_packet(&mut packet).is_err() {
                let _ = inbound
                    .tx
                    .send(Outgoing::TransportError(TRANSPORT_AUTH_KEY_NOT_FOUND));
                inbound.tx.closed().await;
                return Ok(());
            }
        }
    };
    let forwarding = async {
        while let Some(body) = push_rx.recv().await {
            let session_id = current_session.load(Ordering::Relaxed);
            if session_id == 0 {
                continue;
            }
            let pushed = Outgoing::Message {
                session_id,
                kind: MsgKind::Notification,
                body,
                not_before: Instant::now(),
                twice: false,
            };
            if push_out.send(pushed).is_err() {
                break;
            }
        }
        std::future::pending::<io::Result<()>>().await
    };
    let result = tokio::select! {
        result = reading => result,
        result = sealing => result,
        result = forwarding => result,
        result = outbound.run(sealed_rx, &mut writer) => result,
    };
    drop(subscription);
    result
}

fn lookup_key(dc: &DcShared, packet: &[u8]) -> Option<AuthKey> {
    let key_id = crypto::packet_key_id(packet)?;
    let world = dc.world.lock();
    let record = world.keys.get(key_id)?;
    (record.dc_id == dc.dc_id).then(|| record.key.clone())
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// A token bucket that paces one direction of a connection to the cap.
#[derive(Default)]
struct Link {
    free_at: Option<Instant>,
}

impl Link {
    /// Waits until `bytes` would have crossed a link of `bandwidth` bytes/s.
    async fn pace(&mut self, bytes: usize, bandwidth: Option<u64>) {
        let Some(bandwidth) = bandwidth else {
            return;
        };
        let now = Instant::now();
        let start = self.free_at.map_or(now, |t| t.max(now));
        let done = start + Duration::from_secs_f64(bytes as f64 / bandwidth as f64);
        self.free_at = Some(done);
        sleep_until(done).await;
    }
}

/// The reading half: decrypts, answers service messages, dispatches calls.
struct Inbound<'a> {
    dc: &'a DcShared,
    key: AuthKey,
    tx: mpsc::UnboundedSender<Outgoing>,
    /// The queue the world pushes updates to, once subscribed.
    push_tx: mpsc::Sender<Vec<u8>>,
    /// This connection's number among the sessions updates go to.
    subscription: u64,
    subscribed: bool,
    /// The session id pushes go out in (0: none yet).
    current_session: &'a AtomicI64,
    session_id: Option<i64>,
    layer: i32,
    disconnect_at: Option<Instant>,
    link: Link,
    /// The last `rpc_result` sent, kept while the replay fault is armed.
    last_answer: Option<Vec<u8>>,
}

/// A packet that must end the connection with -404.
struct FatalPacket;

impl Inbound<'_> {
    fn send(&self, kind: MsgKind, body: Vec<u8>, not_before: Instant) {
        self.push(kind, body, not_before, false);
    }

    fn push(&self, kind: MsgKind, body: Vec<u8>, not_before: Instant, twice: bool) {
        if let Some(session_id) = self.session_id {
            let _ = self.tx.send(Outgoing::Message {
                session_id,
                kind,
                body,
                not_before,
                twice,
            });
        }
    }

    /// Sends the answer to a call of `method`, through the answer faults:
    /// an old answer replayed first, the answer held back, or sent twice.
    fn answer_call(&mut self, method: Option<u32>, reply: Vec<u8>, not_before: Instant) {
        let faults = self.dc.world.faults();
        if self.last_answer.is_some()
            && faults.take_replay()
            && let Some(old) = self.last_answer.clone()
        {
            debug!(dc = self.dc.dc_id, "fault: replaying an old answer");
            self.send(MsgKind::Response, old, not_before);
        }
        // Copying every answer costs; only a connection that may replay keeps one.
        self.last_answer = faults.replay_armed().then(|| reply.clone());
        let dc_id = self.dc.dc_id;
        if let Some(mut release) = method.and_then(|m| faults.take_hold(m, dc_id)) {
            let Some(session_id) = self.session_id else {
                return;
            };
            debug!(dc = dc_id, "fault: holding an answer");
            let tx = self.tx.clone();
            tokio::spawn(async move {
                // Released, or the fake DC is gone: either way it may go now.
                let _ = release.changed().await;
                let _ = tx.send(Outgoing::Message {
                    session_id,
                    kind: MsgKind::Response,
                    body: reply,
                    not_before: Instant::now(),
                    twice: false,
                });
            });
            return;
        }
        let twice = faults.take_duplicate();
        self.push(MsgKind::Response, reply, not_before, twice);
    }

    fn handle_packet(&mut self, packet: &mut [u8]) -> Result<(), FatalPacket> {
        let received_at = Instant::now();
        if crypto::packet_key_id(packet) != Some(self.key.id()) {
            warn!("packet encrypted with another key on the same connection");
            return Err(FatalPacket);
        }
        let plaintext = crypto::decrypt_from_client(&self.key, packet).map_err(|e| {
            warn!("cannot decrypt client packet: {e}");
            FatalPacket
        })?;
        let (header, messages) = proto::parse_plaintext(plaintext).map_err(|e| {
            warn!("cannot parse client packet: {e}");
            FatalPacket
        })?;
        let Some(first) = messages.first() else {
            return Ok(());
        };
        let outer_msg_id = first.container_msg_id.unwrap_or(first.msg_id);
        let world = &self.dc.world;

        if self.session_id != Some(header.session_id) {
            // "The server notifies the client that a new session was created."
            self.session_id = Some(header.session_id);
            self.current_session
                .store(header.session_id, Ordering::Relaxed);
            let body = tl::enums::NewSession::Created(tl::types::NewSessionCreated {
                first_msg_id: first.msg_id,
                unique_id: crate::random::i64(),
                server_salt: current_salt(world),
            })
            .to_bytes();
            self.send(MsgKind::Notification, body, received_at);
        }

        world.faults().before_packet();
        let epoch = world.faults().salt_epoch();
        if !salt_is_valid(world, header.salt, epoch) {
            if epoch > 0 && salt_is_valid(world, header.salt, epoch - 1) {
                // A salt that was good until the last rotation.
                world.faults().record_salt_rotation();
            }
            let body = tl::enums::BadMsgNotification::BadServerSalt(tl::types::BadServerSalt {
                bad_msg_id: outer_msg_id,
                bad_msg_seqno: first.seq_no,
                error_code: BAD_SERVER_SALT,
                new_server_salt: current_salt(world),
            })
            .to_bytes();
            self.send(MsgKind::Response, body, received_at);
            return Ok(());
        }
        // A server clock `offset` seconds ahead sees the client's ids that
        // much in the past: shifting the id back checks it against that clock.
        let offset = world.faults().clock_offset();
        let as_server_sees_it = outer_msg_id.wrapping_sub(offset.wrapping_shl(32));
        if let Some(code) = proto::check_client_msg_id(as_server_sees_it) {
            if offset != 0 && (code == 16 || code == 17) {
                world.faults().record_clock_rejection();
            }
            let body = tl::enums::BadMsgNotification::Notification(tl::types::BadMsgNotification {
                bad_msg_id: outer_msg_id,
                bad_msg_seqno: first.seq_no,
                error_code: code,
            })
            .to_bytes();
            self.send(MsgKind::Response, body, received_at);
            return Ok(());
        }

        let not_before = received_at + world.shaping().latency();
        for message in messages {
            self.handle_message(message, not_before);
        }
        Ok(())
    }

    fn handle_message(&mut self, message: ClientMessage, not_before: Instant) {
        let body = match proto::inflate_if_packed(message.body) {
            Ok(body) => body,
            Err(_) => {
                let error = RpcError::bad_request("INPUT_FETCH_ERROR");
                self.send(
                    MsgKind::Response,
                    rpc_result(message.msg_id, &error.to_tl_bytes()),
                    not_before,
                );
                return;
            }
        };
        let Some(constructor) = proto::constructor_of(&body) else {
            return;
        };
        let reply = match constructor {
            MSGS_ACK | MSGS_STATE_REQ | MSG_RESEND_REQ | HTTP_WAIT => None,
            PING | PING_DELAY_DISCONNECT => {
                let mut c = tl::Cursor::from_slice(&body[4..]);
                let ping_id = read_or_zero::<i64>(&mut c);
                if constructor == PING_DELAY_DISCONNECT {
                    let delay = read_or_zero::<i32>(&mut c).max(0) as u64;
                    self.disconnect_at = Some(Instant::now() + Duration::from_secs(delay));
                }
                Some(
                    tl::enums::Pong::Pong(tl::types::Pong {
                        msg_id: message.msg_id,
                        ping_id,
                    })
                    .to_bytes(),
                )
            }
            GET_FUTURE_SALTS => {
                let mut c = tl::Cursor::from_slice(&body[4..]);
                let wanted = read_or_zero::<i32>(&mut c).clamp(2, MAX_FUTURE_SALTS);
                Some(self.future_salts(message.msg_id, wanted))
            }
            DESTROY_SESSION => {
                let mut c = tl::Cursor::from_slice(&body[4..]);
                let session_id = read_or_zero::<i64>(&mut c);
                let result = tl::enums::DestroySessionRes::DestroySessionNone(
                    tl::types::DestroySessionNone { session_id },
                );
                Some(rpc_result(message.msg_id, &result.to_bytes()))
            }
            RPC_DROP_ANSWER => Some(rpc_result(
                message.msg_id,
                &tl::enums::RpcDropAnswer::RpcAnswerUnknown.to_bytes(),
            )),
            _ => {
                let mut method = None;
                let result = self.call(body, &mut method);
                let bytes = match &result {
                    Ok(bytes) => bytes,
                    Err(error) => &error.to_tl_bytes(),
                };
                let reply = rpc_result(message.msg_id, bytes);
                self.answer_call(method, reply, not_before);
                None
            }
        };
        if let Some(reply) = reply {
            self.send(MsgKind::Response, reply, not_before);
        }
    }

    /// `future_salts` goes out bare, not inside `rpc_result`.
    fn future_salts(&self, req_msg_id: i64, count: i32) -> Vec<u8> {
        let world = &self.dc.world;
        let now = server_now(world);
        let window = World::salt_window(now);
        let epoch = world.faults().salt_epoch();
        let salts: Vec<_> = (0..i64::from(count))
            .map(|i| {
                let w = window + i;
                tl::types::FutureSalt {
                    valid_since: (w * 1800) as i32,
                    valid_until: ((w + 1) * 1800) as i32,
                    salt: salt_for_window(world, w, epoch),
                }
            })
            .collect();
        tl::enums::FutureSalts::Salts(tl::types::FutureSalts {
            req_msg_id,
            now,
            salts: tl::RawVec(salts),
        })
        .to_bytes()
    }

    /// Runs a call; `method` learns the called method once it is known.
    fn call(&mut self, body: Vec<u8>, method: &mut Option<u32>) -> Result<Vec<u8>, RpcError> {
        let unwrapped =
            proto::unwrap_invoke(body).map_err(|_| RpcError::bad_request("INPUT_FETCH_ERROR"))?;
        if let Some(layer) = unwrapped.layer {
            self.layer = layer;
        }
        // Older clients may use a legacy constructor for a request; from here
        // on (call counters included) the call is its layer-230 form.
        let query = legacy_layer::upgrade_request(unwrapped.query)?;
        let world = &self.dc.world;
        let user_id = {
            let mut state = world.lock();
            let record = state
                .keys
                .get_mut(self.key.id())
                .ok_or_else(|| RpcError::unauthorized("AUTH_KEY_UNREGISTERED"))?;
            if let Some(client) = unwrapped.client {
                record.client = Some(client);
            }
            if let Some(auth) = record.authorization.as_mut() {
                auth.date_active = unix_now();
            }
            record.user_id
        };
        *method = proto::constructor_of(&query);
        let method = *method;
        if let Some(id) = method {
            world.record_call(id);
            if let Some((code, message)) = world.faults().take_rpc_error(id, self.dc.dc_id) {
                info!(
                    dc = self.dc.dc_id,
                    code, message, "fault: answering an rpc error"
                );
                return Err(RpcError::new(code, message));
            }
        }
        // As on Telegram, a session gets updates once it makes an
        // authorized call that is not a file call nor `invokeWithoutUpdates`.
        if let (Some(user_id), Some(id)) = (user_id, method)
            && !self.subscribed
            && !unwrapped.without_updates
            && !tl::name_for_id(id).starts_with("upload.")
        {
            self.subscribed = true;
            world
                .subscribers()
                .subscribe(self.subscription, user_id, self.push_tx.clone());
        }
        let ctx = CallContext {
            dc_id: self.dc.dc_id,
            auth_key_id: self.key.id(),
            user_id,
            layer: self.layer,
            world,
            session: Some(self.subscription),
        };
        let result = self.dc.router.dispatch(&ctx, &query)?;
        Ok(match method {
            Some(method) => legacy_layer::downgrade_result(self.layer, method, result),
            None => result,
        })
    }
}

fn read_or_zero<T: tl::Deserializable + Default>(c: &mut tl::Cursor<'_>) -> T {
    T::deserialize(c).unwrap_or_default()
}

/// `rpc_result#f35c6d01 req_msg_id:long result:Object`
fn rpc_result(req_msg_id: i64, result: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(12 + result.len());
    body.extend_from_slice(&proto::RPC_RESULT.to_le_bytes());
    body.extend_from_slice(&req_msg_id.to_le_bytes());
    body.extend_from_slice(result);
    body
}

/// A framed packet ready for the wire.
struct Sealed {
    frame: Vec<u8>,
    /// Responses wait out the configured round-trip time.
    not_before: Option<Instant>,
    /// A transport error: the connection closes after it.
    closes: bool,
    /// The same encrypted packet in a second transport frame (the
    /// duplicate-answers fault): a resent message, not a TCP duplicate,
    /// which TCP itself would drop.
    again: Option<Vec<u8>>,
}

/// Stamps, encrypts and frames outgoing messages, in order.
struct Sealer<'a> {
    key: AuthKey,
    framing: Framing,
    msg_ids: MsgIdGenerator,
    content_sent: i32,
    world: &'a World,
}

impl Sealer<'_> {
    async fn run(
        mut self,
        mut rx: mpsc::UnboundedReceiver<Outgoing>,
        tx: mpsc::UnboundedSender<Sealed>,
    ) {
        while let Some(outgoing) = rx.recv().await {
            let sealed = match outgoing {
                Outgoing::TransportError(code) => Sealed {
                    frame: self.framing.frame(&code.to_le_bytes()),
                    not_before: None,
                    closes: true,
                    again: None,
                },
                Outgoing::Message {
                    session_id,
                    kind,
                    body,
                    not_before,
                    twice,
                } => {
                    let packet = self.seal(session_id, kind, &body);
                    let frame = self.framing.frame(&packet);
                    Sealed {
                        frame,
                        not_before: Some(not_before),
                        closes: false,
                        again: twice.then(|| self.framing.frame(&packet)),
                    }
                }
            };
            if tx.send(sealed).is_err() {
                return;
            }
            // Let the writer and the reader in between two encryptions.
            tokio::task::yield_now().await;
        }
    }

    /// The next msg_id on the server's clock (see [`server_now`]). When the
    /// clock offset changes, ids jump with it, backwards too: a server
    /// clock moved back stands for a client clock moved forward, where the
    /// client sees the server's ids that much behind its own clock.
    fn next_msg_id(&mut self, kind: MsgKind) -> i64 {
        let offset = self.world.faults().clock_offset().wrapping_shl(32);
        self.msg_ids.next(kind).wrapping_add(offset)
    }

    /// Builds `salt | session_id | msg_id | seq_no | length | body` and encrypts it.
    fn seal(&mut self, session_id: i64, kind: MsgKind, body: &[u8]) -> Vec<u8> {
        // Every message this server sends is content-related (odd seq_no).
        let seq_no = self.content_sent * 2 + 1;
        self.content_sent += 1;
        let mut buffer = Vec::with_capacity(ENVELOPE_HEADER_LEN + 32 + body.len() + 32);
        buffer.resize(ENVELOPE_HEADER_LEN, 0);
        buffer.extend_from_slice(&current_salt(self.world).to_le_bytes());
        buffer.extend_from_slice(&session_id.to_le_bytes());
        buffer.extend_from_slice(&self.next_msg_id(kind).to_le_bytes());
        buffer.extend_from_slice(&seq_no.to_le_bytes());
        buffer.extend_from_slice(&(body.len() as i32).to_le_bytes());
        buffer.extend_from_slice(body);
        crypto::encrypt_for_client(&self.key, buffer)
    }
}

/// The writing half: waits out the round-trip time, paces to the bandwidth
/// cap, applies byte faults and writes.
struct Outbound<'a> {
    world: &'a World,
    link: Link,
    stalled: &'a AtomicBool,
}

impl Outbound<'_> {
    async fn run<W: AsyncWrite + Unpin>(
        mut self,
        mut rx: mpsc::UnboundedReceiver<Sealed>,
        writer: &mut W,
    ) -> io::Result<()> {
        while let Some(sealed) = rx.recv().await {
            if sealed.closes {
                writer.write_all(&sealed.frame).await?;
                return writer.flush().await;
            }
            if let Some(not_before) = sealed.not_before {
                sleep_until(not_before).await;
            }
            let frame = sealed.frame;
            self.link
                .pace(frame.len(), self.world.shaping().bandwidth())
                .await;
            if self.stalled.load(Ordering::Relaxed) {
                continue;
            }
            match self.world.faults().count_bytes(frame.len()) {
                Some(ByteFault::Drop) => {
                    info!("fault: dropping the connection while writing");
                    let _ = writer.shutdown().await;
                    return Ok(());
                }
                Some(ByteFault::Stall) => {
                    info!("fault: the connection goes silent");
                    self.stalled.store(true, Ordering::Relaxed);
                    continue;
                }
                None => {}
            }
            writer.write_all(&frame).await?;
            if let Some(again) = sealed.again {
                writer.write_all(&again).await?;
            }
        }
        Ok(())
    }
}
