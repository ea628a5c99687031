//! Hostile server input on tgcmd's media connections, end to end: a client
//! downloads a real file from the fake DC through a proxy that, once, injects
//! a hostile packet into the first media connection that asks for a file
//! part. The proxy knows the DC's pre-shared key, so it can read the client's
//! session id and encrypt the injected packet for it: the packet passes the
//! `msg_key` check and reaches the parser. The download must finish with
//! identical bytes (the connection dropped the packet, or closed and the
//! pool replaced it), the process lives, and nothing hangs.
//!
//! The per-case guards, and cases a proxy cannot stage without the fake DC's
//! help, are unit-tested against a raw server in
//! `src/transfer/connection_tests.rs`.

mod support;

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fakedc::crypto::{AuthKey, ENVELOPE_HEADER_LEN, decrypt_from_client, encrypt_for_client};
use fakedc::proto::{MsgIdGenerator, MsgKind, parse_plaintext};
use fakedc::transport::{Framing, detect};
use grammers_tl_types::{self as tl, Identifiable, Serializable};
use support::transfer::{assert_same, fetch, no_hang, put_document, stored_location};
use tgcmd::transfer::DownloadOptions;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const MSG_CONTAINER: u32 = 0x73f1f8dc;
const MSG_COPY: u32 = 0xe06046b2;
const GZIP_PACKED: u32 = 0x3072cfa1;
const RPC_RESULT: u32 = 0xf35c6d01;
const FUTURE_SALT: u32 = 0x0949d9dc;

/// What the proxy injects, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Injection {
    /// A valid packet for another session on the same key (dropped).
    OtherSession,
    /// A message in containers nested 10,000 deep.
    NestedContainers,
    /// `gzip_packed` inflating to 512 MiB.
    GzipBomb,
    /// `msg_copy`.
    MsgCopy,
    /// A bare `future_salt`.
    FutureSalt,
    /// A container whose message claims a negative length.
    NegativeLength,
    /// A frame header claiming 64 MiB, then nothing more on that connection.
    HugeFrame,
}

struct Proxy {
    addr: SocketAddr,
    /// Injections done (each test expects exactly one).
    fired: Arc<AtomicUsize>,
    /// Connections that asked for file parts (media connections).
    media_connections: Arc<AtomicUsize>,
}

async fn start_proxy(upstream: SocketAddr, key: [u8; 256], injection: Injection) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let fired = Arc::new(AtomicUsize::new(0));
    let media = Arc::new(AtomicUsize::new(0));
    let (f, m) = (Arc::clone(&fired), Arc::clone(&media));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(upstream).await else {
                return;
            };
            let shared = Shared {
                key: AuthKey::new(key),
                injection,
                fired: Arc::clone(&f),
                media: Arc::clone(&m),
            };
            tokio::spawn(relay(client, server, shared));
        }
    });
    Proxy {
        addr,
        fired,
        media_connections: media,
    }
}

#[derive(Clone)]
struct Shared {
    key: AuthKey,
    injection: Injection,
    fired: Arc<AtomicUsize>,
    media: Arc<AtomicUsize>,
}

/// A packet to put into the server-to-client stream: framed payloads, or
/// raw bytes after which the stream goes silent.
enum Inject {
    Payload(Vec<u8>),
    RawThenSilence(Vec<u8>),
}

/// Copies frames both ways, re-framing them (the full transport's sequence
/// numbers must stay continuous around an injected frame).
async fn relay(client: TcpStream, server: TcpStream, shared: Shared) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let Ok(detected) = detect(&mut client_read).await else {
        return;
    };
    let tag: Vec<u8> = match detected.framing {
        Framing::Intermediate => vec![0xee; 4],
        Framing::PaddedIntermediate => vec![0xdd; 4],
        Framing::Abridged => vec![0xef],
        Framing::Full { .. } => Vec::new(),
    };
    if server_write.write_all(&tag).await.is_err() {
        return;
    }
    let (inject_tx, mut inject_rx) = mpsc::unbounded_channel::<Inject>();
    let mut up_in = detected.framing.clone();
    let mut up_out = detected.framing.clone();
    let mut down_in = detected.framing.clone();
    let mut down_out = detected.framing;
    let mut pending = detected.pending;

    let upward = async move {
        let mut counted = false;
        loop {
            let Ok(payload) = up_in.read_packet(&mut client_read, &mut pending).await else {
                return;
            };
            if let Some(inject) = inspect(&shared, &payload, &mut counted) {
                let _ = inject_tx.send(inject);
            }
            if server_write
                .write_all(&up_out.frame(&payload))
                .await
                .is_err()
            {
                return;
            }
        }
    };
    let downward = async move {
        let mut none = Vec::new();
        loop {
            tokio::select! {
                payload = down_in.read_packet(&mut server_read, &mut none) => {
                    let Ok(payload) = payload else { return };
                    if client_write.write_all(&down_out.frame(&payload)).await.is_err() {
                        return;
                    }
                }
                Some(inject) = inject_rx.recv() => match inject {
                    Inject::Payload(payload) => {
                        if client_write.write_all(&down_out.frame(&payload)).await.is_err() {
                            return;
                        }
                    }
                    Inject::RawThenSilence(bytes) => {
                        let _ = client_write.write_all(&bytes).await;
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        return;
                    }
                },
            }
        }
    };
    tokio::select! {
        () = upward => {}
        () = downward => {}
    }
}

/// Reads a client packet; on the first `upload.getFile` of the whole run,
/// returns the injection for this connection.
fn inspect(shared: &Shared, payload: &[u8], counted: &mut bool) -> Option<Inject> {
    let mut copy = payload.to_vec();
    let plain = decrypt_from_client(&shared.key, &mut copy).ok()?;
    let (header, messages) = parse_plaintext(plain).ok()?;
    let get_file = tl::functions::upload::GetFile::CONSTRUCTOR_ID.to_le_bytes();
    let request = messages
        .iter()
        .find(|m| m.body.get(..4) == Some(&get_file[..]))?;
    if !*counted {
        *counted = true;
        shared.media.fetch_add(1, Ordering::SeqCst);
    }
    if shared.fired.fetch_add(1, Ordering::SeqCst) != 0 {
        return None;
    }
    Some(hostile(shared, header.session_id, request.msg_id))
}

fn message(msg_id: i64, body: &[u8]) -> Vec<u8> {
    let mut out = msg_id.to_le_bytes().to_vec();
    out.extend_from_slice(&1i32.to_le_bytes());
    out.extend_from_slice(&(body.len() as i32).to_le_bytes());
    out.extend_from_slice(body);
    out
}

fn container(id: i64, body: &[u8]) -> Vec<u8> {
    let mut out = MSG_CONTAINER.to_le_bytes().to_vec();
    out.extend_from_slice(&1i32.to_le_bytes());
    out.extend_from_slice(&message(id, body));
    out
}

fn hostile(shared: &Shared, session_id: i64, request: i64) -> Inject {
    let mut ids = MsgIdGenerator::default();
    let mut id = || ids.next(MsgKind::Response);
    // A harmless object: an ack of the client's request.
    let ack = tl::enums::MsgsAck::Ack(tl::types::MsgsAck {
        msg_ids: vec![request],
    })
    .to_bytes();
    let (session, body) = match shared.injection {
        Injection::OtherSession => {
            // Wrong bytes for this very request, meant for another session.
            let wrong = tl::enums::upload::File::File(tl::types::upload::File {
                r#type: tl::enums::storage::FileType::FileUnknown,
                mtime: 0,
                bytes: vec![0xee; 64],
            })
            .to_bytes();
            let mut body = RPC_RESULT.to_le_bytes().to_vec();
            body.extend_from_slice(&request.to_le_bytes());
            body.extend_from_slice(&wrong);
            (session_id ^ 0x77, body)
        }
        Injection::NestedContainers => {
            let mut body = ack;
            for _ in 0..10_000 {
                body = container(id(), &body);
            }
            (session_id, body)
        }
        Injection::GzipBomb => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..512 {
                encoder.write_all(&zeros).expect("in memory");
            }
            let mut body = GZIP_PACKED.to_le_bytes().to_vec();
            encoder.finish().expect("in memory").serialize(&mut body);
            (session_id, body)
        }
        Injection::MsgCopy => {
            let mut body = MSG_COPY.to_le_bytes().to_vec();
            body.extend_from_slice(&message(id(), &ack));
            (session_id, body)
        }
        Injection::FutureSalt => {
            let mut body = FUTURE_SALT.to_le_bytes().to_vec();
            body.extend_from_slice(&[0u8; 16]);
            (session_id, body)
        }
        Injection::NegativeLength => {
            let mut body = MSG_CONTAINER.to_le_bytes().to_vec();
            body.extend_from_slice(&1i32.to_le_bytes());
            body.extend_from_slice(&id().to_le_bytes());
            body.extend_from_slice(&1i32.to_le_bytes());
            body.extend_from_slice(&(-8i32).to_le_bytes());
            body.extend_from_slice(&ack);
            (session_id, body)
        }
        Injection::HugeFrame => {
            let mut raw = (64i32 << 20).to_le_bytes().to_vec();
            raw.extend_from_slice(&[0u8; 60]);
            return Inject::RawThenSilence(raw);
        }
    };
    let mut plain = vec![0u8; ENVELOPE_HEADER_LEN];
    plain.extend_from_slice(&0i64.to_le_bytes());
    plain.extend_from_slice(&session.to_le_bytes());
    plain.extend_from_slice(&message(id(), &body));
    Inject::Payload(encrypt_for_client(&shared.key, plain))
}

/// Downloads a file from the home DC through a proxy injecting `injection`;
/// returns how many media connections asked for parts.
async fn download_through(injection: Injection) -> usize {
    let fake = support::fake_dc().await;
    let home = fake.home_dc().clone();
    let proxy = start_proxy(home.addr, home.auth_key, injection).await;
    let client = support::builder(&fake)
        .dc_address(home.dc_id, proxy.addr)
        .media_connections(2)
        .media_stall_timeout(Duration::from_secs(60))
        .connect()
        .await
        .expect("the client connects through the proxy");
    let data = support::data::pattern(3 * 1024 * 1024 + 77, 5);
    let stored = put_document(&fake, home.dc_id, &data);
    let location = stored_location(&stored, home.dc_id);
    let range = 0..data.len() as u64;
    let (got, _) = no_hang(
        &format!("download with {injection:?}"),
        fetch(&client, &location, range, &DownloadOptions::default()),
    )
    .await
    .unwrap_or_else(|e| panic!("{injection:?}: the download failed: {e}"));
    assert_same(&got, &data, &format!("{injection:?}"));
    assert!(
        proxy.fired.load(Ordering::SeqCst) > 0,
        "{injection:?}: the injection fired"
    );
    // The client still works afterwards.
    client.get_me().await.expect("the client still answers");
    proxy.media_connections.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_packet_for_another_session_is_dropped_and_the_connection_kept() {
    let media = download_through(Injection::OtherSession).await;
    assert_eq!(media, 2, "no media connection was replaced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_packets_close_the_connection_and_the_pool_replaces_it() {
    for injection in [
        Injection::NestedContainers,
        Injection::GzipBomb,
        Injection::MsgCopy,
        Injection::FutureSalt,
        Injection::NegativeLength,
        Injection::HugeFrame,
    ] {
        let media = download_through(injection).await;
        assert_eq!(media, 3, "{injection:?}: one media connection was replaced");
    }
}
