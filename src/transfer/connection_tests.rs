//! Hostile servers against [`MediaConnection`]: a raw MTProto server in the
//! test (fakedc's transport and server-side crypto on a pre-shared key)
//! answers `upload.getFile`, and on its first connection misbehaves once in
//! the way a test asks. The client side is what the media pool does: a
//! connection that fails is replaced, and the download must finish with
//! identical bytes or a clear error, with every wait under a timeout.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fakedc::crypto::{AuthKey, ENVELOPE_HEADER_LEN, decrypt_from_client, encrypt_for_client};
use fakedc::proto::{MsgIdGenerator, MsgKind, parse_plaintext};
use fakedc::transport::{Framing, detect};
use grammers_tl_types::{self as tl, Deserializable, Identifiable, Serializable};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};

use super::*;

const CHUNK: usize = 64 * 1024;
const CHUNKS: usize = 4;
/// A safety net for one call: far above what any case needs.
const CALL_DEADLINE: Duration = Duration::from_secs(8);
/// Long enough that a case only passes if the guard acts, not the stall timer.
const LONG_STALL: Duration = Duration::from_secs(60);

/// The file the server serves: a sequence that never repeats within it.
fn file_data() -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..CHUNK * CHUNKS)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// How the server misbehaves on the first `getFile` of its first connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hostility {
    Nothing,
    /// A valid packet with wrong bytes for another session id, then the answer.
    ReplayOtherSession,
    /// A frame header claiming this length, a few bytes, then silence.
    FrameLen(i32),
    /// The answer inside containers nested this deep.
    NestedContainers(usize),
    /// An `rpc_result` whose `gzip_packed` inflates to this many bytes.
    GzipBomb(usize),
    /// The answer wrapped in `msg_copy`.
    MsgCopy,
    /// A bare `future_salt`.
    FutureSalt,
    /// `future_salts` with this `now` and `valid_since`, then the answer.
    FutureSalts {
        now: i32,
        valid_since: i32,
    },
    /// `bad_msg_notification` 16 in a message whose msg_id has this time.
    BadMsgTime(i64),
    /// A container whose inner message claims this length.
    MessageLen(i32),
    /// A container that claims this many messages.
    ContainerCount(i32),
    /// `rpc_result` with a truncated `upload.file`, then (on the retry) the answer.
    MalformedResult,
    /// The answer one byte at a time, this far apart.
    Trickle(Duration),
    /// `bad_server_salt` with a new salt, then nothing: grammers asks for
    /// future salts first and holds every request back until they come.
    NewSaltThenSilence,
}

pub(super) struct RawServer {
    pub addr: SocketAddr,
    pub key: [u8; 256],
    pub accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RawServer {
    pub async fn start(hostility: Hostility) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let key = AuthKey::generate();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        let server_key = key.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let index = counter.fetch_add(1, Ordering::SeqCst);
                let hostile = if index == 0 {
                    hostility
                } else {
                    Hostility::Nothing
                };
                tokio::spawn(serve(stream, server_key.clone(), hostile));
            }
        });
        Self {
            addr,
            key: *key.bytes(),
            accepted,
            task,
        }
    }
}

/// One server connection: what it needs to write packets to the client.
struct Peer {
    writer: OwnedWriteHalf,
    framing: Framing,
    key: AuthKey,
    session_id: i64,
    ids: MsgIdGenerator,
}

impl Peer {
    /// Encrypts `salt | session | message` for the client and frames it.
    fn packet(&mut self, session_id: i64, msg_id: i64, body: &[u8]) -> Vec<u8> {
        let mut plain = vec![0u8; ENVELOPE_HEADER_LEN];
        plain.extend_from_slice(&0i64.to_le_bytes());
        plain.extend_from_slice(&session_id.to_le_bytes());
        plain.extend_from_slice(&message(msg_id, body));
        let encrypted = encrypt_for_client(&self.key, plain);
        self.framing.frame(&encrypted)
    }

    async fn send_as(&mut self, session_id: i64, msg_id: i64, body: &[u8]) {
        let packet = self.packet(session_id, msg_id, body);
        let _ = self.writer.write_all(&packet).await;
    }

    async fn send(&mut self, body: &[u8]) {
        let msg_id = self.ids.next(MsgKind::Response);
        self.send_as(self.session_id, msg_id, body).await;
    }
}

/// `msg_id seqno bytes body`, content-related.
fn message(msg_id: i64, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + body.len());
    out.extend_from_slice(&msg_id.to_le_bytes());
    out.extend_from_slice(&1i32.to_le_bytes());
    out.extend_from_slice(&(body.len() as i32).to_le_bytes());
    out.extend_from_slice(body);
    out
}

fn container(messages: &[Vec<u8>]) -> Vec<u8> {
    let mut out = MSG_CONTAINER.to_le_bytes().to_vec();
    out.extend_from_slice(&(messages.len() as i32).to_le_bytes());
    for m in messages {
        out.extend_from_slice(m);
    }
    out
}

fn rpc_result(req_msg_id: i64, result: &[u8]) -> Vec<u8> {
    let mut out = RPC_RESULT.to_le_bytes().to_vec();
    out.extend_from_slice(&req_msg_id.to_le_bytes());
    out.extend_from_slice(result);
    out
}

fn upload_file(bytes: Vec<u8>) -> Vec<u8> {
    tl::enums::upload::File::File(tl::types::upload::File {
        r#type: tl::enums::storage::FileType::FileUnknown,
        mtime: 0,
        bytes,
    })
    .to_bytes()
}

/// `gzip_packed` of `len` zero bytes, compressed as well as deflate can.
fn gzip_zeros(len: usize) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len());
        encoder.write_all(&zeros[..n]).expect("in memory");
        left -= n;
    }
    let packed = encoder.finish().expect("in memory");
    let mut out = GZIP_PACKED.to_le_bytes().to_vec();
    packed.serialize(&mut out);
    out
}

async fn serve(stream: TcpStream, key: AuthKey, mut hostility: Hostility) {
    let (mut reader, writer) = stream.into_split();
    let Ok(detected) = detect(&mut reader).await else {
        return;
    };
    let mut pending = detected.pending;
    let mut peer = Peer {
        writer,
        framing: detected.framing,
        key: key.clone(),
        session_id: 0,
        ids: MsgIdGenerator::default(),
    };
    let data = file_data();
    loop {
        let Ok(mut packet) = peer.framing.read_packet(&mut reader, &mut pending).await else {
            return;
        };
        let Ok(plain) = decrypt_from_client(&key, &mut packet) else {
            return;
        };
        let Ok((header, messages)) = parse_plaintext(plain) else {
            return;
        };
        peer.session_id = header.session_id;
        for request in messages {
            // Function bodies deserialize after their constructor id.
            let is_get_file = request.body.get(..4)
                == Some(&tl::functions::upload::GetFile::CONSTRUCTOR_ID.to_le_bytes()[..]);
            let Some(Ok(get)) =
                is_get_file.then(|| tl::functions::upload::GetFile::from_bytes(&request.body[4..]))
            else {
                continue;
            };
            let start = get.offset as usize;
            let end = (start + get.limit as usize).min(data.len());
            let answer = rpc_result(request.msg_id, &upload_file(data[start..end].to_vec()));
            let act = std::mem::replace(&mut hostility, Hostility::Nothing);
            if !misbehave(&mut peer, act, request.msg_id, &answer).await {
                return;
            }
        }
    }
}

/// Does what `act` says; false when the connection should go silent.
async fn misbehave(peer: &mut Peer, act: Hostility, req: i64, answer: &[u8]) -> bool {
    let id = peer.ids.next(MsgKind::Response);
    match act {
        Hostility::Nothing => peer.send(answer).await,
        Hostility::ReplayOtherSession => {
            // What another session on the same key got: wrong bytes for us.
            let wrong = rpc_result(req, &upload_file(vec![0xee; 16]));
            let other = peer.session_id ^ 0x5a5a;
            peer.send_as(other, id, &wrong).await;
            peer.send(answer).await;
        }
        Hostility::FrameLen(len) => {
            let mut frame = len.to_le_bytes().to_vec();
            frame.extend_from_slice(&[0u8; 64]);
            let _ = peer.writer.write_all(&frame).await;
            silence().await;
            return false;
        }
        Hostility::NestedContainers(depth) => {
            let mut body = answer.to_vec();
            for _ in 0..depth {
                body = container(&[message(peer.ids.next(MsgKind::Response), &body)]);
            }
            peer.send(&body).await;
        }
        Hostility::GzipBomb(len) => peer.send(&rpc_result(req, &gzip_zeros(len))).await,
        Hostility::MsgCopy => {
            let mut body = MSG_COPY.to_le_bytes().to_vec();
            body.extend_from_slice(&message(id, answer));
            peer.send(&container(&[message(id + 4, &body)])).await;
        }
        Hostility::FutureSalt => {
            let mut body = FUTURE_SALT.to_le_bytes().to_vec();
            body.extend_from_slice(&[0u8; 16]);
            peer.send(&body).await;
        }
        Hostility::FutureSalts { now, valid_since } => {
            let mut body = FUTURE_SALTS.to_le_bytes().to_vec();
            body.extend_from_slice(&1234i64.to_le_bytes()); // nobody's request
            body.extend_from_slice(&now.to_le_bytes());
            body.extend_from_slice(&2i32.to_le_bytes());
            for since in [valid_since, valid_since.saturating_sub(3600)] {
                body.extend_from_slice(&since.to_le_bytes());
                body.extend_from_slice(&since.saturating_add(3600).to_le_bytes());
                body.extend_from_slice(&crate::transfer::random_i64().to_le_bytes());
            }
            peer.send(&body).await;
            peer.send(answer).await;
        }
        Hostility::BadMsgTime(seconds) => {
            let mut body = BAD_MSG_NOTIFICATION.to_le_bytes().to_vec();
            body.extend_from_slice(&req.to_le_bytes());
            body.extend_from_slice(&1i32.to_le_bytes());
            body.extend_from_slice(&16i32.to_le_bytes());
            let session = peer.session_id;
            peer.send_as(session, (seconds << 32) | 1, &body).await;
        }
        Hostility::MessageLen(len) => {
            let mut body = MSG_CONTAINER.to_le_bytes().to_vec();
            body.extend_from_slice(&1i32.to_le_bytes());
            body.extend_from_slice(&id.to_le_bytes());
            body.extend_from_slice(&1i32.to_le_bytes());
            body.extend_from_slice(&len.to_le_bytes());
            body.extend_from_slice(answer);
            peer.send(&body).await;
        }
        Hostility::ContainerCount(count) => {
            let mut body = MSG_CONTAINER.to_le_bytes().to_vec();
            body.extend_from_slice(&count.to_le_bytes());
            body.extend_from_slice(&message(id, answer));
            peer.send(&body).await;
        }
        Hostility::MalformedResult => {
            let mut truncated = upload_file(vec![1; 100]);
            truncated.truncate(20);
            peer.send(&rpc_result(req, &truncated)).await;
        }
        Hostility::NewSaltThenSilence => {
            let mut body = 0xedab447bu32.to_le_bytes().to_vec();
            body.extend_from_slice(&req.to_le_bytes());
            body.extend_from_slice(&1i32.to_le_bytes());
            body.extend_from_slice(&48i32.to_le_bytes());
            body.extend_from_slice(&0x1234_5678i64.to_le_bytes());
            peer.send(&body).await;
            silence().await;
            return false;
        }
        Hostility::Trickle(gap) => {
            let msg_id = peer.ids.next(MsgKind::Response);
            let packet = peer.packet(peer.session_id, msg_id, answer);
            for byte in packet {
                if peer.writer.write_all(&[byte]).await.is_err() {
                    return false;
                }
                tokio::time::sleep(gap).await;
            }
        }
    }
    true
}

async fn silence() {
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

/// What a download through replaceable connections ended with.
pub(super) struct Outcome {
    pub data: Vec<u8>,
    pub errors: Vec<Error>,
}

async fn connect(server: &RawServer, stall: Duration) -> MediaConnection {
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    MediaConnection::start(stream, server.key, stall, &Default::default())
}

/// Downloads the file chunk by chunk, replacing a connection that closed
/// (what the media pool does) and retrying a chunk after an error, at most
/// three errors in all.
pub(super) async fn download(server: &RawServer, stall: Duration) -> Outcome {
    let mut connection = connect(server, stall).await;
    let mut data = Vec::new();
    let mut errors = Vec::new();
    for chunk in 0..CHUNKS {
        loop {
            if connection.is_closed() {
                connection = connect(server, stall).await;
            }
            let request = tl::functions::upload::GetFile {
                precise: false,
                cdn_supported: false,
                location: tl::enums::InputFileLocation::InputDocumentFileLocation(
                    tl::types::InputDocumentFileLocation {
                        id: 1,
                        access_hash: 2,
                        file_reference: vec![3],
                        thumb_size: String::new(),
                    },
                ),
                offset: (chunk * CHUNK) as i64,
                limit: CHUNK as i32,
            };
            let answer = tokio::time::timeout(CALL_DEADLINE, connection.invoke(&request))
                .await
                .unwrap_or_else(|_| panic!("chunk {chunk} hung; errors so far: {errors:?}"));
            match answer {
                Ok(tl::enums::upload::File::File(file)) => {
                    data.extend_from_slice(&file.bytes);
                    break;
                }
                Ok(other) => panic!("unexpected answer {other:?}"),
                Err(e) => {
                    errors.push(e);
                    assert!(errors.len() <= 3, "too many errors: {errors:?}");
                }
            }
        }
    }
    Outcome { data, errors }
}

/// Runs a download against a server misbehaving as `hostility`, and checks
/// the bytes. Returns the errors seen and how many connections were opened.
async fn survive(hostility: Hostility, stall: Duration) -> (Vec<Error>, usize) {
    let server = RawServer::start(hostility).await;
    let outcome = download(&server, stall).await;
    assert!(
        outcome.data == file_data(),
        "{hostility:?}: the bytes differ ({} of {} received)",
        outcome.data.len(),
        CHUNK * CHUNKS
    );
    (outcome.errors, server.accepted.load(Ordering::SeqCst))
}

/// Asserts one error that names `reason`, and that the connection was replaced.
fn assert_replaced(hostility: Hostility, errors: &[Error], accepted: usize, reason: &str) {
    assert_eq!(errors.len(), 1, "{hostility:?}: {errors:?}");
    let message = errors[0].to_string();
    assert!(
        message.contains(reason),
        "{hostility:?}: expected an error about {reason:?}, got {message:?}"
    );
    assert_eq!(
        accepted, 2,
        "{hostility:?}: the connection is replaced once"
    );
}

#[tokio::test]
async fn a_well_behaved_server_serves_the_file_on_one_connection() {
    let (errors, accepted) = survive(Hostility::Nothing, LONG_STALL).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(accepted, 1);
}

#[tokio::test]
async fn a_packet_replayed_from_another_session_is_dropped() {
    let (errors, accepted) = survive(Hostility::ReplayOtherSession, LONG_STALL).await;
    assert!(
        errors.is_empty(),
        "the replay is dropped silently: {errors:?}"
    );
    assert_eq!(accepted, 1, "the connection survives a dropped packet");
}

#[tokio::test]
async fn a_frame_larger_than_the_decoder_accepts_replaces_the_connection() {
    for len in [READ_BUFFER_LEN as i32 + 16, 64 * 1024 * 1024, i32::MAX] {
        let hostility = Hostility::FrameLen(len);
        let (errors, accepted) = survive(hostility, LONG_STALL).await;
        assert_replaced(hostility, &errors, accepted, "exceeds");
    }
}

#[tokio::test]
async fn a_negative_frame_length_replaces_the_connection() {
    for len in [-404, i32::MIN] {
        let hostility = Hostility::FrameLen(len);
        let (errors, accepted) = survive(hostility, LONG_STALL).await;
        assert_replaced(hostility, &errors, accepted, "transport error");
    }
}

#[tokio::test]
async fn containers_nested_ten_thousand_deep_replace_the_connection() {
    let hostility = Hostility::NestedContainers(10_000);
    let (errors, accepted) = survive(hostility, LONG_STALL).await;
    assert_replaced(
        hostility,
        &errors,
        accepted,
        "refused a server packet: containers nested",
    );
}

#[tokio::test]
async fn containers_nested_as_telegram_does_are_read() {
    let (errors, accepted) = survive(Hostility::NestedContainers(2), LONG_STALL).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(accepted, 1);
}

#[tokio::test]
async fn a_gzip_bomb_replaces_the_connection() {
    let hostility = Hostility::GzipBomb(512 * 1024 * 1024);
    let (errors, accepted) = survive(hostility, LONG_STALL).await;
    assert_replaced(
        hostility,
        &errors,
        accepted,
        "refused a server packet: gzip_packed inflating",
    );
}

#[tokio::test]
async fn msg_copy_replaces_the_connection() {
    let (errors, accepted) = survive(Hostility::MsgCopy, LONG_STALL).await;
    assert_replaced(
        Hostility::MsgCopy,
        &errors,
        accepted,
        "refused a server packet: msg_copy",
    );
}

#[tokio::test]
async fn a_bare_future_salt_replaces_the_connection() {
    let (errors, accepted) = survive(Hostility::FutureSalt, LONG_STALL).await;
    assert_replaced(
        Hostility::FutureSalt,
        &errors,
        accepted,
        "refused a server packet: a bare future_salt",
    );
}

#[tokio::test]
async fn future_salts_with_sane_times_are_accepted() {
    let now = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()) as i32;
    let hostility = Hostility::FutureSalts {
        now,
        valid_since: now - 30,
    };
    let (errors, accepted) = survive(hostility, LONG_STALL).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(accepted, 1);
}

#[tokio::test]
async fn future_salts_with_overflowing_times_replace_the_connection() {
    for (now, valid_since) in [(0, i32::MIN), (0, i32::MAX), (i32::MAX, 0)] {
        let hostility = Hostility::FutureSalts { now, valid_since };
        let (errors, accepted) = survive(hostility, LONG_STALL).await;
        assert_replaced(
            hostility,
            &errors,
            accepted,
            "refused a server packet: future_salts",
        );
    }
}

#[tokio::test]
async fn a_time_correction_that_overflows_replaces_the_connection() {
    for seconds in [-(1i64 << 31), (1i64 << 31) - 1] {
        let hostility = Hostility::BadMsgTime(seconds);
        let (errors, accepted) = survive(hostility, LONG_STALL).await;
        assert_replaced(
            hostility,
            &errors,
            accepted,
            "refused a server packet: a time correction",
        );
    }
}

#[tokio::test]
async fn malformed_message_lengths_replace_the_connection() {
    for hostility in [
        Hostility::MessageLen(-1),
        Hostility::MessageLen(i32::MAX),
        Hostility::ContainerCount(-1),
    ] {
        let (errors, accepted) = survive(hostility, LONG_STALL).await;
        assert_replaced(hostility, &errors, accepted, "refused a server packet");
    }
}

#[tokio::test]
async fn malformed_tl_in_an_rpc_result_is_an_error_for_that_call_only() {
    let (errors, accepted) = survive(Hostility::MalformedResult, LONG_STALL).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        matches!(&errors[0], Error::Protocol(m) if m.starts_with("bad answer")),
        "{errors:?}"
    );
    assert_eq!(accepted, 1, "the connection itself is fine");
}

#[tokio::test]
async fn a_frame_that_claims_more_than_is_sent_is_a_stall() {
    // 1,000 bytes claimed, 64 sent, then silence: only the stall timer can
    // tell, and it must.
    let hostility = Hostility::FrameLen(1000);
    let (errors, accepted) = survive(hostility, Duration::from_millis(500)).await;
    assert_replaced(hostility, &errors, accepted, "stopped answering");
}

#[tokio::test]
async fn a_server_trickling_bytes_is_a_stall() {
    let stall = Duration::from_millis(500);
    let started = Instant::now();
    let (errors, accepted) = survive(Hostility::Trickle(Duration::from_millis(50)), stall).await;
    assert_replaced(
        Hostility::Trickle(Duration::from_millis(50)),
        &errors,
        accepted,
        "stopped answering",
    );
    // The answer takes minutes at this rate; the stall is called in about
    // one stall timeout.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn requests_held_back_behind_an_unanswered_salt_request_are_a_stall() {
    let hostility = Hostility::NewSaltThenSilence;
    let (errors, accepted) = survive(hostility, Duration::from_millis(500)).await;
    assert_replaced(hostility, &errors, accepted, "stopped answering");
}

#[test]
fn a_panic_inside_grammers_becomes_a_connection_error() {
    let result: Result<()> = shielded("test", || panic!("wrong session id"));
    match result {
        Err(Error::Protocol(message)) => assert!(message.contains("wrong session id")),
        other => panic!("{other:?}"),
    }
}
