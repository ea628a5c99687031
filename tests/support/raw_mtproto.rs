#![allow(dead_code)] // Shared by several test crates; each uses a subset.

//! A deliberately small MTProto 2.0 client over raw TCP, for the tests that
//! must see what a client library hides: transport errors, closed
//! connections, the exact `rpc_error` a call got. Encryption is grammers'
//! (`grammers_crypto::encrypt_data_v2` / `decrypt_data_v2`); framing,
//! message ids and the few service messages are written out here.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use grammers_crypto::{AuthKey, DequeBuffer};
use grammers_tl_types::{Cursor, Deserializable};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;

/// How long a read may take before the test is declared hung. This is a
/// safety net against a server that never answers, not a speed check.
const READ_DEADLINE: Duration = Duration::from_secs(20);

const NEW_SESSION_CREATED: u32 = 0x9ec20908;
const BAD_SERVER_SALT: u32 = 0xedab447b;
const BAD_MSG_NOTIFICATION: u32 = 0xa7eff811;
const RPC_RESULT: u32 = 0xf35c6d01;
const RPC_ERROR: u32 = 0x2144ca19;

/// The MTProto transports a client may open a connection with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `0xef`, then a length in words and the payload.
    Abridged,
    /// `0xeeeeeeee`, then `len | payload`.
    Intermediate,
    /// `0xdddddddd`, then `len | payload | 0..15 padding bytes`.
    PaddedIntermediate,
    /// `len | seq | payload | crc32`, no tag.
    Full,
}

/// What the server sent back for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The bytes inside `rpc_result`.
    Result(Vec<u8>),
    /// `rpc_error` inside `rpc_result`, as sent (numbers not split off).
    Error { code: i32, message: String },
}

/// Why no reply came.
#[derive(Debug)]
pub enum Failure {
    /// A 4-byte transport packet holding a negative code, such as -404.
    Transport(i32),
    /// The server closed the connection.
    Closed,
    /// `bad_msg_notification` with this error code.
    BadMsg(i32),
    Io(io::Error),
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Self {
        match error.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => Failure::Closed,
            _ => Failure::Io(error),
        }
    }
}

/// One decrypted message from the server.
#[derive(Debug)]
pub struct ServerMessage {
    pub msg_id: i64,
    pub body: Vec<u8>,
}

impl ServerMessage {
    /// The constructor id of the body.
    pub fn constructor(&self) -> u32 {
        u32::from_le_bytes(self.body[..4].try_into().expect("a constructor id"))
    }
}

/// An MTProto connection with a pre-shared key.
pub struct RawConnection {
    reader: OwnedReadHalf,
    writer: tokio::net::tcp::OwnedWriteHalf,
    framing: Framing,
    write_seq: u32,
    read_seq: u32,
    key: AuthKey,
    session_id: i64,
    salt: i64,
    last_msg_id: i64,
    content_sent: i32,
}

impl RawConnection {
    /// Connects and sends the transport tag. Nothing else is sent yet.
    pub async fn connect(addr: SocketAddr, key: [u8; 256], framing: Framing) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (reader, mut writer) = stream.into_split();
        match framing {
            Framing::Abridged => writer.write_all(&[0xef]).await?,
            Framing::Intermediate => writer.write_all(&[0xee; 4]).await?,
            Framing::PaddedIntermediate => writer.write_all(&[0xdd; 4]).await?,
            Framing::Full => {}
        }
        let mut session_id = [0u8; 8];
        getrandom_fill(&mut session_id);
        Ok(Self {
            reader,
            writer,
            framing,
            write_seq: 0,
            read_seq: 0,
            key: AuthKey::from_bytes(key),
            session_id: i64::from_le_bytes(session_id),
            // Wrong on purpose: the server corrects it with bad_server_salt
            // or new_session_created, and `invoke` follows.
            salt: 0,
            last_msg_id: 0,
            content_sent: 0,
        })
    }

    fn next_msg_id(&mut self) -> i64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970");
        let mut id = ((now.as_secs() << 32) | u64::from(now.subsec_nanos() & !3)) as i64;
        if id <= self.last_msg_id {
            id = self.last_msg_id + 4;
        }
        self.last_msg_id = id;
        id
    }

    /// Frames `payload` for the connection's transport.
    fn frame(&mut self, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(payload.len() + 16);
        match self.framing {
            Framing::Abridged => {
                let words = payload.len() / 4;
                if words < 0x7f {
                    out.push(words as u8);
                } else {
                    out.push(0x7f);
                    out.extend_from_slice(&(words as u32).to_le_bytes()[..3]);
                }
                out.extend_from_slice(payload);
            }
            Framing::Intermediate => {
                out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
                out.extend_from_slice(payload);
            }
            Framing::PaddedIntermediate => {
                let mut pad = [0u8; 1];
                getrandom_fill(&mut pad);
                let pad = usize::from(pad[0] % 16);
                out.extend_from_slice(&((payload.len() + pad) as u32).to_le_bytes());
                out.extend_from_slice(payload);
                out.extend(std::iter::repeat_n(0x5a, pad));
            }
            Framing::Full => {
                out.extend_from_slice(&((payload.len() + 12) as u32).to_le_bytes());
                out.extend_from_slice(&self.write_seq.to_le_bytes());
                out.extend_from_slice(payload);
                let crc = crc32(&out);
                out.extend_from_slice(&crc.to_le_bytes());
                self.write_seq += 1;
            }
        }
        out
    }

    /// Writes a packet exactly as given (already encrypted or deliberately not).
    pub async fn send_packet(&mut self, packet: &[u8]) -> io::Result<()> {
        let frame = self.frame(packet);
        self.writer.write_all(&frame).await?;
        self.writer.flush().await
    }

    /// Encrypts one content-related message carrying `body` and sends it.
    pub async fn send(&mut self, body: &[u8]) -> io::Result<i64> {
        let msg_id = self.next_msg_id();
        self.send_with_msg_id(msg_id, body).await?;
        Ok(msg_id)
    }

    /// [`RawConnection::send`] with a message id of the caller's choosing.
    pub async fn send_with_msg_id(&mut self, msg_id: i64, body: &[u8]) -> io::Result<()> {
        let seq_no = self.content_sent * 2 + 1;
        self.content_sent += 1;
        let mut buffer = DequeBuffer::with_capacity(32 + body.len() + 32, 24);
        buffer.extend(self.salt.to_le_bytes());
        buffer.extend(self.session_id.to_le_bytes());
        buffer.extend(msg_id.to_le_bytes());
        buffer.extend(seq_no.to_le_bytes());
        buffer.extend((body.len() as i32).to_le_bytes());
        buffer.extend(body.iter().copied());
        grammers_crypto::encrypt_data_v2(&mut buffer, &self.key);
        self.send_packet(buffer.as_ref()).await
    }

    /// The salt the next message carries.
    pub fn salt(&self) -> i64 {
        self.salt
    }

    /// The next message id this connection would use.
    pub fn fresh_msg_id(&mut self) -> i64 {
        self.next_msg_id()
    }

    /// Reads one transport packet's payload.
    pub async fn read_packet(&mut self) -> Result<Vec<u8>, Failure> {
        match tokio::time::timeout(READ_DEADLINE, self.read_packet_inner()).await {
            Ok(result) => result,
            Err(_) => panic!("the server neither answered nor closed the connection"),
        }
    }

    async fn read_packet_inner(&mut self) -> Result<Vec<u8>, Failure> {
        let payload = match self.framing {
            Framing::Abridged => {
                let first = self.reader.read_u8().await?;
                let words = if first == 0x7f {
                    let mut len = [0u8; 4];
                    self.reader.read_exact(&mut len[..3]).await?;
                    u32::from_le_bytes(len) as usize
                } else {
                    usize::from(first)
                };
                let mut payload = vec![0u8; words * 4];
                self.reader.read_exact(&mut payload).await?;
                payload
            }
            Framing::Intermediate | Framing::PaddedIntermediate => {
                let len = self.reader.read_u32_le().await? as usize;
                let mut payload = vec![0u8; len];
                self.reader.read_exact(&mut payload).await?;
                if len > 24 {
                    // Encrypted payloads are 24 bytes plus whole AES blocks.
                    payload.truncate(24 + (len - 24) / 16 * 16);
                }
                payload
            }
            Framing::Full => {
                let len = self.reader.read_u32_le().await? as usize;
                assert!(len >= 12, "full transport packet of {len} bytes");
                let mut rest = vec![0u8; len - 4];
                self.reader.read_exact(&mut rest).await?;
                let mut checked = (len as u32).to_le_bytes().to_vec();
                checked.extend_from_slice(&rest[..len - 8]);
                assert_eq!(
                    crc32(&checked).to_le_bytes(),
                    rest[len - 8..],
                    "server frame crc"
                );
                let seq = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes"));
                assert_eq!(seq, self.read_seq, "server frame sequence number");
                self.read_seq += 1;
                rest[4..len - 8].to_vec()
            }
        };
        if payload.len() == 4 {
            let code = i32::from_le_bytes(payload[..].try_into().expect("4 bytes"));
            return Err(Failure::Transport(code));
        }
        Ok(payload)
    }

    /// Reads and decrypts the next message from the server.
    pub async fn receive(&mut self) -> Result<ServerMessage, Failure> {
        let mut packet = self.read_packet().await?;
        let plaintext = grammers_crypto::decrypt_data_v2(&mut packet, &self.key)
            .expect("the server's packet decrypts with our key");
        let mut c = Cursor::from_slice(plaintext);
        let _salt = i64::deserialize(&mut c).expect("salt");
        let session_id = i64::deserialize(&mut c).expect("session_id");
        assert_eq!(session_id, self.session_id, "the server echoes our session");
        let msg_id = i64::deserialize(&mut c).expect("msg_id");
        let _seq_no = i32::deserialize(&mut c).expect("seq_no");
        let len = i32::deserialize(&mut c).expect("length") as usize;
        let start = 32;
        Ok(ServerMessage {
            msg_id,
            body: plaintext[start..start + len].to_vec(),
        })
    }

    /// Sends `body` (a serialized method call) and waits for its answer,
    /// following `new_session_created` and `bad_server_salt` as clients do.
    pub async fn invoke(&mut self, body: &[u8]) -> Result<Reply, Failure> {
        let mut msg_id = self.send(body).await?;
        loop {
            let message = self.receive().await?;
            let mut c = Cursor::from_slice(&message.body);
            let constructor = u32::deserialize(&mut c).expect("constructor");
            // "Server message identifiers modulo 4 yield 1 if the message is
            // a response to a client message, and 3 otherwise."
            let expected_kind = if constructor == NEW_SESSION_CREATED {
                3
            } else {
                1
            };
            assert_eq!(
                message.msg_id % 4,
                expected_kind,
                "msg_id of {constructor:08x}"
            );
            match constructor {
                NEW_SESSION_CREATED => {
                    let _first_msg_id = i64::deserialize(&mut c).expect("first_msg_id");
                    let _unique_id = i64::deserialize(&mut c).expect("unique_id");
                    self.salt = i64::deserialize(&mut c).expect("server_salt");
                }
                BAD_SERVER_SALT => {
                    let bad_msg_id = i64::deserialize(&mut c).expect("bad_msg_id");
                    let _seqno = i32::deserialize(&mut c).expect("bad_msg_seqno");
                    let _code = i32::deserialize(&mut c).expect("error_code");
                    self.salt = i64::deserialize(&mut c).expect("new_server_salt");
                    if bad_msg_id == msg_id {
                        msg_id = self.send(body).await?;
                    }
                }
                BAD_MSG_NOTIFICATION => {
                    let bad_msg_id = i64::deserialize(&mut c).expect("bad_msg_id");
                    let _seqno = i32::deserialize(&mut c).expect("bad_msg_seqno");
                    let code = i32::deserialize(&mut c).expect("error_code");
                    if bad_msg_id == msg_id {
                        return Err(Failure::BadMsg(code));
                    }
                }
                RPC_RESULT => {
                    let req_msg_id = i64::deserialize(&mut c).expect("req_msg_id");
                    if req_msg_id != msg_id {
                        continue;
                    }
                    let result = &message.body[12..];
                    let mut r = Cursor::from_slice(result);
                    if u32::deserialize(&mut r).expect("result constructor") == RPC_ERROR {
                        return Ok(Reply::Error {
                            code: i32::deserialize(&mut r).expect("error_code"),
                            message: String::deserialize(&mut r).expect("error_message"),
                        });
                    }
                    return Ok(Reply::Result(result.to_vec()));
                }
                // Acks, pongs and anything else do not answer this call.
                _ => {}
            }
        }
    }

    /// Waits for the server to close the connection; fails if it sends anything.
    pub async fn expect_closed(&mut self) {
        match self.read_packet().await {
            Err(Failure::Closed) => {}
            other => panic!("expected the connection to be closed, got {other:?}"),
        }
    }
}

fn getrandom_fill(buf: &mut [u8]) {
    // Test-only randomness: session ids and padding need not be secret.
    use std::hash::{BuildHasher, RandomState};
    for chunk in buf.chunks_mut(8) {
        let value = RandomState::new().hash_one(std::time::Instant::now());
        chunk.copy_from_slice(&value.to_le_bytes()[..chunk.len()]);
    }
}

/// CRC-32 (IEEE), as the full transport uses.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
