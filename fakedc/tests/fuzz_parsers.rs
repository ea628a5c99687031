//! Fuzz target 5: the fake DC's parsers of what a client sends — transport
//! framing (`transport::detect` and `Framing::read_packet`), the decrypted
//! plaintext with its containers (`proto::parse_plaintext`), `gzip_packed`
//! (`proto::inflate_if_packed`) and the `invokeWithLayer` / `initConnection`
//! family (`proto::unwrap_invoke`) — over random and mutated input. Each must
//! return (a value or an error) without panicking, within a time bound.
//!
//! CI runs 256 cases per target (a few seconds). A long run:
//!
//! ```text
//! FAKEDC_FUZZ_CASES=1000000 cargo test --release -p fakedc --test fuzz_parsers
//! ```

use std::io::Write as _;
use std::time::{Duration, Instant};

use fakedc::proto::{
    self, GZIP_PACKED, INIT_CONNECTION, INVOKE_AFTER_MSG, INVOKE_AFTER_MSGS, INVOKE_WITH_LAYER,
    INVOKE_WITHOUT_UPDATES, MSG_CONTAINER,
};
use fakedc::transport::{Framing, detect};
use proptest::prelude::*;

/// A generous bound per input: the parsers are linear, so this only trips
/// on something pathological (a loop that does not end, a bomb).
const TIME_BOUND: Duration = Duration::from_secs(5);

fn cases() -> u32 {
    std::env::var("FAKEDC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn bounded<T>(what: &str, run: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = run();
    let took = started.elapsed();
    assert!(took < TIME_BOUND, "{what} took {took:?}");
    out
}

/// Reads packets until the stream ends or errors, as a connection would.
fn read_all(stream: &[u8]) -> usize {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let mut reader = stream;
        let Ok(detected) = detect(&mut reader).await else {
            return 0;
        };
        let (mut framing, mut pending) = (detected.framing, detected.pending);
        let mut packets = 0;
        while framing.read_packet(&mut reader, &mut pending).await.is_ok() {
            packets += 1;
        }
        packets
    })
}

/// Byte-level damage: flips, truncation, extreme ints over lengths.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Int(usize, i32),
    Insert(usize, Vec<u8>),
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
                Just(254),
                any::<i32>()
            ]
        )
            .prop_map(|(at, v)| Mutation::Int(at, v)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, b)| Mutation::Insert(at, b)),
    ]
}

fn mutate(data: &mut Vec<u8>, mutations: &[Mutation]) {
    for mutation in mutations {
        if data.is_empty() {
            return;
        }
        match mutation {
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
            Mutation::Insert(at, bytes) => {
                let i = at % data.len();
                data.splice(i..i, bytes.iter().copied());
            }
        }
    }
}

fn any_framing() -> impl Strategy<Value = (Vec<u8>, Framing)> {
    prop_oneof![
        Just((
            Vec::new(),
            Framing::Full {
                read_seq: 0,
                write_seq: 0
            }
        )),
        Just((vec![0xee; 4], Framing::Intermediate)),
        Just((vec![0xdd; 4], Framing::PaddedIntermediate)),
        Just((vec![0xef], Framing::Abridged)),
    ]
}

/// TL bytes (`string`/`bytes`) encoding.
fn tl_bytes(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if data.len() < 254 {
        out.push(data.len() as u8);
    } else {
        out.push(254);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes()[..3]);
    }
    out.extend_from_slice(data);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out
}

fn gzip_packed(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).expect("in memory");
    let mut out = GZIP_PACKED.to_le_bytes().to_vec();
    out.extend_from_slice(&tl_bytes(&encoder.finish().expect("in memory")));
    out
}

/// A JSONValue nested `depth` levels deep in arrays (`initConnection`'s
/// `params` is a JSONValue; its schema is recursive).
fn nested_json(depth: usize) -> Vec<u8> {
    const JSON_ARRAY: u32 = 0xf7444763;
    const VECTOR: u32 = 0x1cb5c415;
    const JSON_NULL: u32 = 0x3f6d7b68;
    let mut out = Vec::with_capacity(depth * 12 + 4);
    for _ in 0..depth {
        out.extend_from_slice(&JSON_ARRAY.to_le_bytes());
        out.extend_from_slice(&VECTOR.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
    }
    out.extend_from_slice(&JSON_NULL.to_le_bytes());
    out
}

/// One `invoke*` wrapper around what follows it.
#[derive(Debug, Clone)]
enum Wrapper {
    Layer(i32),
    Init { params_depth: Option<usize> },
    WithoutUpdates,
    AfterMsg(i64),
    AfterMsgs(Vec<i64>),
    Gzip,
}

fn any_wrapper() -> impl Strategy<Value = Wrapper> {
    prop_oneof![
        any::<i32>().prop_map(Wrapper::Layer),
        prop_oneof![Just(None), (0usize..8).prop_map(Some), Just(Some(100_000)),]
            .prop_map(|params_depth| Wrapper::Init { params_depth }),
        Just(Wrapper::WithoutUpdates),
        any::<i64>().prop_map(Wrapper::AfterMsg),
        prop::collection::vec(any::<i64>(), 0..4).prop_map(Wrapper::AfterMsgs),
        Just(Wrapper::Gzip),
    ]
}

fn wrap(wrappers: &[Wrapper], query: &[u8]) -> Vec<u8> {
    let mut body = query.to_vec();
    for wrapper in wrappers.iter().rev() {
        let mut out = Vec::new();
        match wrapper {
            Wrapper::Layer(layer) => {
                out.extend_from_slice(&INVOKE_WITH_LAYER.to_le_bytes());
                out.extend_from_slice(&layer.to_le_bytes());
            }
            Wrapper::Init { params_depth } => {
                out.extend_from_slice(&INIT_CONNECTION.to_le_bytes());
                let flags: i32 = if params_depth.is_some() { 2 } else { 0 };
                out.extend_from_slice(&flags.to_le_bytes());
                out.extend_from_slice(&4i32.to_le_bytes());
                for s in ["device", "os", "1.0", "en", "", "en"] {
                    out.extend_from_slice(&tl_bytes(s.as_bytes()));
                }
                if let Some(depth) = params_depth {
                    out.extend_from_slice(&nested_json(*depth));
                }
            }
            Wrapper::WithoutUpdates => out.extend_from_slice(&INVOKE_WITHOUT_UPDATES.to_le_bytes()),
            Wrapper::AfterMsg(id) => {
                out.extend_from_slice(&INVOKE_AFTER_MSG.to_le_bytes());
                out.extend_from_slice(&id.to_le_bytes());
            }
            Wrapper::AfterMsgs(ids) => {
                out.extend_from_slice(&INVOKE_AFTER_MSGS.to_le_bytes());
                out.extend_from_slice(&0x1cb5c415u32.to_le_bytes());
                out.extend_from_slice(&(ids.len() as i32).to_le_bytes());
                for id in ids {
                    out.extend_from_slice(&id.to_le_bytes());
                }
            }
            Wrapper::Gzip => {
                body = gzip_packed(&body);
                continue;
            }
        }
        out.extend_from_slice(&body);
        body = out;
    }
    body
}

/// A generated client message body: a container of messages or a call.
fn plaintext(messages: &[(i64, i32, Option<i32>, Vec<u8>)], container: bool) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&7i64.to_le_bytes()); // salt
    out.extend_from_slice(&8i64.to_le_bytes()); // session
    let message = |out: &mut Vec<u8>, (id, seq, len, body): &(i64, i32, Option<i32>, Vec<u8>)| {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&seq.to_le_bytes());
        out.extend_from_slice(&len.unwrap_or(body.len() as i32).to_le_bytes());
        out.extend_from_slice(body);
    };
    if container {
        let mut body = MSG_CONTAINER.to_le_bytes().to_vec();
        body.extend_from_slice(&(messages.len() as i32).to_le_bytes());
        for m in messages {
            message(&mut body, m);
        }
        message(&mut out, &(1, 2, None, body));
    } else if let Some(m) = messages.first() {
        message(&mut out, m);
    }
    out
}

fn any_len() -> impl Strategy<Value = Option<i32>> {
    prop_oneof![
        6 => Just(None),
        1 => prop_oneof![Just(-1), Just(i32::MIN), Just(i32::MAX), 0..4096i32].prop_map(Some),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn transport_reads_random_streams(
        stream in prop::collection::vec(any::<u8>(), 0..4096),
    ) {
        bounded("read_packet", || read_all(&stream));
    }

    #[test]
    fn transport_reads_mutated_frames(
        (prefix, mut framing) in any_framing(),
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..600), 1..4),
        mutations in prop::collection::vec(any_mutation(), 0..4),
    ) {
        let mut stream = prefix;
        for payload in &payloads {
            stream.extend_from_slice(&framing.frame(payload));
        }
        mutate(&mut stream, &mutations);
        bounded("read_packet", || read_all(&stream));
    }

    #[test]
    fn plaintext_parses_random_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        bounded("parse_plaintext", || { let _ = proto::parse_plaintext(&bytes); });
    }

    #[test]
    fn plaintext_parses_mutated_containers(
        messages in prop::collection::vec(
            (any::<i64>(), any::<i32>(), any_len(), prop::collection::vec(any::<u8>(), 0..128)),
            0..6,
        ),
        container in any::<bool>(),
        mutations in prop::collection::vec(any_mutation(), 0..4),
    ) {
        let mut bytes = plaintext(&messages, container);
        mutate(&mut bytes, &mutations);
        bounded("parse_plaintext", || {
            if let Ok((_, messages)) = proto::parse_plaintext(&bytes) {
                for m in messages {
                    let _ = proto::unwrap_invoke(m.body);
                }
            }
        });
    }

    #[test]
    fn gzip_packed_inflates_random_and_mutated_input(
        data in prop::collection::vec(any::<u8>(), 0..2048),
        packed in any::<bool>(),
        mutations in prop::collection::vec(any_mutation(), 0..4),
    ) {
        let mut body = if packed { gzip_packed(&data) } else { data };
        mutate(&mut body, &mutations);
        bounded("inflate_if_packed", || { let _ = proto::inflate_if_packed(body); });
    }

    #[test]
    fn invoke_wrappers_unwrap_generated_and_mutated_calls(
        wrappers in prop::collection::vec(any_wrapper(), 0..5),
        query in prop::collection::vec(any::<u8>(), 0..64),
        mutations in prop::collection::vec(any_mutation(), 0..3),
    ) {
        let mut body = wrap(&wrappers, &query);
        mutate(&mut body, &mutations);
        bounded("unwrap_invoke", || { let _ = proto::unwrap_invoke(body); });
    }

    #[test]
    fn client_msg_ids_are_checked_without_overflow(msg_id in any::<i64>()) {
        let _ = proto::check_client_msg_id(msg_id);
    }
}

/// The finding of this target: `initConnection` params nested 100,000
/// arrays deep overflowed the stack in grammers' JSONValue deserializer and
/// aborted the whole fake DC. They are refused; ordinary params still parse.
#[test]
fn deeply_nested_init_connection_params_are_refused() {
    let query = 0xc4f9186bu32.to_le_bytes(); // help.getConfig
    let deep = wrap(
        &[Wrapper::Init {
            params_depth: Some(100_000),
        }],
        &query,
    );
    assert_eq!(
        proto::unwrap_invoke(deep).map(|_| ()),
        Err(proto::ParseError::TooDeep)
    );
    let shallow = wrap(
        &[Wrapper::Init {
            params_depth: Some(3),
        }],
        &query,
    );
    let unwrapped = proto::unwrap_invoke(shallow).expect("three levels parse");
    assert_eq!(unwrapped.query, query);
    assert_eq!(unwrapped.client.map(|c| c.api_id), Some(4));
}
