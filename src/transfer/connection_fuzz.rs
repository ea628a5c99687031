//! Fuzz target 1: grammers-mtproto's message decoding as the media
//! connection's driver feeds it.
//!
//! Every case builds a server packet from generated and mutated TL (service
//! messages, `rpc_result`, containers, `gzip_packed`, lying lengths, extreme
//! times), encrypts it with the connection's known auth key (fakedc's
//! server-side MTProto 2.0, so it passes the `msg_key` check and reaches the
//! parser), and runs it through the driver's own path: the frame check and
//! grammers' transport, [`InboundGuard`], `Encrypted::deserialize`, and then
//! the next `push`/`finalize`, where grammers computes with what it stored.
//! Each step must end cleanly: a dropped packet, an error, or messages. A
//! panic that only [`shielded`] caught counts as a failure, as does a panic
//! anywhere else (proptest reports it).
//!
//! CI runs 256 cases (a few seconds). A long run:
//!
//! ```text
//! TGCMD_FUZZ_CASES=1000000 cargo test --release -p tgcmd --lib transfer::connection::fuzz
//! ```

use std::io::Write as _;

use fakedc::crypto::{AuthKey, ENVELOPE_HEADER_LEN, encrypt_for_client};
use grammers_crypto::DequeBuffer;
use grammers_tl_types::{self as tl, Serializable};
use proptest::prelude::*;

use super::*;

/// Cases per run: `TGCMD_FUZZ_CASES`, or 256.
fn cases() -> u32 {
    std::env::var("TGCMD_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// A client side as the driver has it: grammers' state, the guard, the
/// transport, and the msg_id of one request in flight.
struct Client {
    key: AuthKey,
    mtp: mtp::Encrypted,
    guard: InboundGuard,
    transport: transport::Full,
    session_id: i64,
    request: i64,
}

impl Client {
    fn new() -> Self {
        let key = AuthKey::generate();
        let mut mtp = mtp::Encrypted::build()
            .compression_threshold(None)
            .finish(*key.bytes());
        let mut guard = InboundGuard::new(*key.bytes());
        let mut buffer = DequeBuffer::with_capacity(1024, LEADING_SPACE);
        mtp.push(&mut buffer, &tl::functions::help::GetConfig {}.to_bytes())
            .expect("room for one request");
        mtp.finalize(&mut buffer).expect("a packet");
        guard.learn_session(buffer.as_ref());
        let session_id = guard.session_id.expect("learned from the packet");
        // The request's msg_id (grammers' `MsgId` keeps it private): the
        // packet holds one message, right after salt and session id.
        let packet: &[u8] = buffer.as_ref();
        let msg_key: [u8; 16] = packet[8..24].try_into().expect("16 bytes");
        let (aes_key, aes_iv) = derive_aes(key.bytes(), &msg_key, X_CLIENT);
        let request = LazyPlaintext::new(&packet[24..], aes_key, aes_iv)
            .read_i64(16)
            .expect("a message header");
        Self {
            key,
            mtp,
            guard,
            transport: transport::Full::new(),
            session_id,
            request,
        }
    }

    /// One step of the driver; the error text if it ended the connection.
    fn feed(&mut self, frame: &mut [u8]) -> std::result::Result<(), String> {
        let mut offset = 0;
        while offset < frame.len() {
            let pending = &mut frame[offset..];
            let unpacked = match unpack_frame(&mut self.transport, pending) {
                Ok(Some(unpacked)) => unpacked,
                Ok(None) => return Ok(()),
                Err(e) => return Err(e.to_string()),
            };
            let packet = &mut pending[unpacked.data_range];
            offset += unpacked.next_offset;
            if let Err(e) = decode_packet(&self.guard, &mut self.mtp, packet) {
                return Err(e.to_string());
            }
        }
        // What grammers stored (salts, clock offset, acks) is used when the
        // next request is sent.
        let mut buffer = DequeBuffer::with_capacity(1024, LEADING_SPACE);
        let (mtp, body) = (&mut self.mtp, tl::functions::help::GetConfig {}.to_bytes());
        shielded("push", || mtp.push(&mut buffer, &body)).map_err(|e| e.to_string())?;
        shielded("finalize", || mtp.finalize(&mut buffer)).map_err(|e| e.to_string())?;
        Ok(())
    }

    /// `salt | session | plaintext`, encrypted for this client and framed.
    fn frame(&self, session_id: i64, plaintext: &[u8], seq: i32) -> Vec<u8> {
        let mut plain = vec![0u8; ENVELOPE_HEADER_LEN];
        plain.extend_from_slice(&0i64.to_le_bytes());
        plain.extend_from_slice(&session_id.to_le_bytes());
        plain.extend_from_slice(plaintext);
        let payload = encrypt_for_client(&self.key, plain);
        let mut out = ((payload.len() + 12) as u32).to_le_bytes().to_vec();
        out.extend_from_slice(&seq.to_le_bytes());
        out.extend_from_slice(&payload);
        let crc = crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }
}

/// CRC-32 (IEEE), as the full transport needs; bitwise, tests only.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Where a generated object refers to the client's request, it may use the
/// real id (so grammers takes the answer path) or any other.
#[derive(Debug, Clone)]
enum Ref {
    Ours,
    Other(i64),
}

/// A generated TL object a server could send.
#[derive(Debug, Clone)]
enum Obj {
    Raw(Vec<u8>),
    Constructor(u32, Vec<u8>),
    RpcResult(Ref, Box<Obj>),
    RpcError(Ref, i32, String),
    UploadFile(Vec<u8>),
    Ack(Vec<i64>),
    Pong(Ref, i64),
    BadMsg(Ref, i32),
    BadSalt(Ref, i64),
    NewSession(i64),
    FutureSalts(Ref, i32, Vec<(i32, i32)>),
    FutureSalt,
    MsgCopy(Box<Msg>),
    DetailedInfo(i64),
    Container(Vec<Msg>),
    Gzip(Box<Obj>),
    /// A `gzip_packed` that inflates to this many zeros.
    GzipZeros(usize),
}

/// `msg_id seqno bytes body`, with the length possibly lying.
#[derive(Debug, Clone)]
struct Msg {
    msg_id: i64,
    seq_no: i32,
    len: Option<i32>,
    body: Obj,
}

const SERVICE_IDS: [u32; 16] = [
    MSG_CONTAINER,
    MSG_COPY,
    GZIP_PACKED,
    RPC_RESULT,
    FUTURE_SALT,
    FUTURE_SALTS,
    BAD_MSG_NOTIFICATION,
    0xedab447b, // bad_server_salt
    0x62d6b459, // msgs_ack
    0x347773c5, // pong
    0x9ec20908, // new_session_created
    0x276d3ec6, // msg_detailed_info
    0x809db6df, // msg_new_detailed_info
    0x04deb57d, // msgs_state_info
    0x2144ca19, // rpc_error
    0x096a18d5, // upload.file
];

fn any_time() -> impl Strategy<Value = i32> {
    let now = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)) as i32;
    prop_oneof![
        Just(now),
        (now - 600..now + 600),
        Just(i32::MIN),
        Just(i32::MAX),
        Just(0),
        Just(-1),
        any::<i32>(),
    ]
}

fn any_msg_id() -> impl Strategy<Value = i64> {
    (any_time(), any::<u32>())
        .prop_map(|(secs, low)| ((secs as i64) << 32) | i64::from(low & !3 | 1))
}

fn any_ref() -> impl Strategy<Value = Ref> {
    prop_oneof![3 => Just(Ref::Ours), 1 => any_msg_id().prop_map(Ref::Other)]
}

fn any_len() -> impl Strategy<Value = Option<i32>> {
    prop_oneof![
        6 => Just(None),
        1 => prop_oneof![Just(-1), Just(i32::MIN), Just(i32::MAX), Just(1_044_448), 0..4096i32]
            .prop_map(Some),
    ]
}

fn leaf() -> impl Strategy<Value = Obj> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64).prop_map(Obj::Raw),
        (
            prop::sample::select(&SERVICE_IDS[..]),
            prop::collection::vec(any::<u8>(), 0..48)
        )
            .prop_map(|(id, rest)| Obj::Constructor(id, rest)),
        (any_ref(), any::<i32>(), "[A-Z_0-9]{0,20}").prop_map(|(r, c, m)| Obj::RpcError(r, c, m)),
        prop::collection::vec(any::<u8>(), 0..256).prop_map(Obj::UploadFile),
        prop::collection::vec(any::<i64>(), 0..8).prop_map(Obj::Ack),
        (any_ref(), any::<i64>()).prop_map(|(r, p)| Obj::Pong(r, p)),
        (
            any_ref(),
            prop_oneof![
                prop::sample::select(&[16, 17, 18, 19, 20, 32, 33, 34, 35, 48, 64][..]),
                any::<i32>()
            ]
        )
            .prop_map(|(r, c)| Obj::BadMsg(r, c)),
        (any_ref(), any::<i64>()).prop_map(|(r, s)| Obj::BadSalt(r, s)),
        any::<i64>().prop_map(Obj::NewSession),
        (
            any_ref(),
            any_time(),
            prop::collection::vec((any_time(), any_time()), 0..4)
        )
            .prop_map(|(r, now, salts)| Obj::FutureSalts(r, now, salts)),
        Just(Obj::FutureSalt),
        any::<i64>().prop_map(Obj::DetailedInfo),
        prop_oneof![Just(0usize), Just(1 << 20), Just(MAX_INFLATED_LEN + 1)]
            .prop_map(Obj::GzipZeros),
    ]
}

fn any_obj() -> impl Strategy<Value = Obj> {
    leaf().prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            (any_ref(), inner.clone()).prop_map(|(r, o)| Obj::RpcResult(r, Box::new(o))),
            prop::collection::vec(msg(inner.clone()), 0..5).prop_map(Obj::Container),
            inner.clone().prop_map(|o| Obj::Gzip(Box::new(o))),
            msg(inner).prop_map(|m| Obj::MsgCopy(Box::new(m))),
        ]
    })
}

fn msg(body: impl Strategy<Value = Obj>) -> impl Strategy<Value = Msg> {
    (any_msg_id(), any::<i32>(), any_len(), body).prop_map(|(msg_id, seq_no, len, body)| Msg {
        msg_id,
        seq_no,
        len,
        body,
    })
}

fn id_of(r: &Ref, ours: i64) -> i64 {
    match r {
        Ref::Ours => ours,
        Ref::Other(id) => *id,
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).expect("in memory");
    let packed = encoder.finish().expect("in memory");
    let mut out = GZIP_PACKED.to_le_bytes().to_vec();
    packed.serialize(&mut out);
    out
}

fn encode(obj: &Obj, ours: i64) -> Vec<u8> {
    let mut out = Vec::new();
    let w32 = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    match obj {
        Obj::Raw(bytes) => out.extend_from_slice(bytes),
        Obj::Constructor(id, rest) => {
            w32(&mut out, *id);
            out.extend_from_slice(rest);
        }
        Obj::RpcResult(r, inner) => {
            w32(&mut out, RPC_RESULT);
            out.extend_from_slice(&id_of(r, ours).to_le_bytes());
            out.extend_from_slice(&encode(inner, ours));
        }
        Obj::RpcError(r, code, message) => {
            w32(&mut out, RPC_RESULT);
            out.extend_from_slice(&id_of(r, ours).to_le_bytes());
            tl::enums::RpcError::Error(tl::types::RpcError {
                error_code: *code,
                error_message: message.clone(),
            })
            .serialize(&mut out);
        }
        Obj::UploadFile(bytes) => tl::enums::upload::File::File(tl::types::upload::File {
            r#type: tl::enums::storage::FileType::FileUnknown,
            mtime: 0,
            bytes: bytes.clone(),
        })
        .serialize(&mut out),
        Obj::Ack(ids) => tl::enums::MsgsAck::Ack(tl::types::MsgsAck {
            msg_ids: ids.clone(),
        })
        .serialize(&mut out),
        Obj::Pong(r, ping_id) => tl::enums::Pong::Pong(tl::types::Pong {
            msg_id: id_of(r, ours),
            ping_id: *ping_id,
        })
        .serialize(&mut out),
        Obj::BadMsg(r, code) => {
            w32(&mut out, BAD_MSG_NOTIFICATION);
            out.extend_from_slice(&id_of(r, ours).to_le_bytes());
            out.extend_from_slice(&1i32.to_le_bytes());
            out.extend_from_slice(&code.to_le_bytes());
        }
        Obj::BadSalt(r, salt) => {
            w32(&mut out, 0xedab447b);
            out.extend_from_slice(&id_of(r, ours).to_le_bytes());
            out.extend_from_slice(&1i32.to_le_bytes());
            out.extend_from_slice(&48i32.to_le_bytes());
            out.extend_from_slice(&salt.to_le_bytes());
        }
        Obj::NewSession(salt) => {
            w32(&mut out, 0x9ec20908);
            out.extend_from_slice(&ours.to_le_bytes());
            out.extend_from_slice(&7i64.to_le_bytes());
            out.extend_from_slice(&salt.to_le_bytes());
        }
        Obj::FutureSalts(r, now, salts) => {
            w32(&mut out, FUTURE_SALTS);
            out.extend_from_slice(&id_of(r, ours).to_le_bytes());
            out.extend_from_slice(&now.to_le_bytes());
            out.extend_from_slice(&(salts.len() as i32).to_le_bytes());
            for (since, until) in salts {
                out.extend_from_slice(&since.to_le_bytes());
                out.extend_from_slice(&until.to_le_bytes());
                out.extend_from_slice(&42i64.to_le_bytes());
            }
        }
        Obj::FutureSalt => {
            w32(&mut out, FUTURE_SALT);
            out.extend_from_slice(&[0u8; 16]);
        }
        Obj::MsgCopy(m) => {
            w32(&mut out, MSG_COPY);
            out.extend_from_slice(&encode_msg(m, ours));
        }
        Obj::DetailedInfo(answer) => {
            w32(&mut out, 0x276d3ec6);
            out.extend_from_slice(&ours.to_le_bytes());
            out.extend_from_slice(&answer.to_le_bytes());
            out.extend_from_slice(&16i32.to_le_bytes());
            out.extend_from_slice(&0i32.to_le_bytes());
        }
        Obj::Container(messages) => {
            w32(&mut out, MSG_CONTAINER);
            out.extend_from_slice(&(messages.len() as i32).to_le_bytes());
            for m in messages {
                out.extend_from_slice(&encode_msg(m, ours));
            }
        }
        Obj::Gzip(inner) => out = gzip(&encode(inner, ours)),
        Obj::GzipZeros(len) => out = gzip(&vec![0u8; *len]),
    }
    out
}

fn encode_msg(m: &Msg, ours: i64) -> Vec<u8> {
    let body = encode(&m.body, ours);
    let mut out = m.msg_id.to_le_bytes().to_vec();
    out.extend_from_slice(&m.seq_no.to_le_bytes());
    out.extend_from_slice(&m.len.unwrap_or(body.len() as i32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// Byte-level damage after encoding, before encryption.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    /// An extreme `int` written over a 4-aligned offset (lengths, counts).
    Int(usize, i32),
}

fn any_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, x)| Mutation::Flip(at, x)),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            prop_oneof![
                Just(-1),
                Just(i32::MIN),
                Just(i32::MAX),
                Just(0),
                Just(0x7fff)
            ]
        )
            .prop_map(|(at, v)| Mutation::Int(at, v)),
    ]
}

fn mutate(data: &mut Vec<u8>, mutation: &Mutation) {
    if data.is_empty() {
        return;
    }
    match *mutation {
        Mutation::Flip(at, x) => {
            let i = at % data.len();
            data[i] ^= x;
        }
        Mutation::Truncate(at) => data.truncate(at % data.len()),
        Mutation::Int(at, v) => {
            let i = (at % data.len()) & !3;
            for (k, b) in v.to_le_bytes().into_iter().enumerate() {
                if let Some(slot) = data.get_mut(i + k) {
                    *slot = b;
                }
            }
        }
    }
}

/// The framing under the packet: honest, or with a lying length.
#[derive(Debug, Clone)]
enum FrameLie {
    Honest,
    Len(i32),
    Seq(i32),
    SplitAt(usize),
}

fn any_frame_lie() -> impl Strategy<Value = FrameLie> {
    prop_oneof![
        8 => Just(FrameLie::Honest),
        1 => prop_oneof![Just(i32::MIN), Just(-1), Just(0), Just(11), Just(i32::MAX), any::<i32>()]
            .prop_map(FrameLie::Len),
        1 => any::<i32>().prop_map(FrameLie::Seq),
        1 => any::<usize>().prop_map(FrameLie::SplitAt),
    ]
}

fn check(result: std::result::Result<(), String>) -> std::result::Result<(), TestCaseError> {
    if let Err(e) = &result {
        prop_assert!(
            !e.contains("panicked"),
            "grammers panicked behind the guard: {e}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    /// Generated (and possibly damaged) messages, encrypted with the known
    /// key, never panic grammers behind the guard.
    #[test]
    fn server_messages_never_panic_the_driver(
        top in msg(any_obj()),
        mutations in prop::collection::vec(any_mutation(), 0..3),
        foreign_session in prop::bool::weighted(0.05),
        lie in any_frame_lie(),
    ) {
        let mut client = Client::new();
        let mut plaintext = encode_msg(&top, client.request);
        for m in &mutations {
            mutate(&mut plaintext, m);
        }
        let session = if foreign_session { client.session_id ^ 1 } else { client.session_id };
        let mut frame = client.frame(session, &plaintext, 0);
        match lie {
            FrameLie::Honest => {}
            FrameLie::Len(len) => frame[..4].copy_from_slice(&len.to_le_bytes()),
            FrameLie::Seq(seq) => frame[4..8].copy_from_slice(&seq.to_le_bytes()),
            FrameLie::SplitAt(at) => {
                // Two reads: the driver keeps the head until the rest comes.
                let at = at % frame.len();
                let mut head = frame[..at].to_vec();
                check(client.feed(&mut head))?;
            }
        }
        check(client.feed(&mut frame))?;
    }

    /// Random bytes as the whole transport stream.
    #[test]
    fn random_frames_never_panic_the_driver(
        mut bytes in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut client = Client::new();
        check(client.feed(&mut bytes))?;
    }
}
