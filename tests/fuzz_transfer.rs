//! Fuzzing the transfer engine against a hostile [`TransferApi`]: every
//! request gets a scripted answer drawn by proptest (short, long, corrupt
//! or shifted data, wrong or absurd hashes, junk that is not TL, flood
//! waits short and long, server errors, dropped connections, migrations,
//! expired references, delays), in paused time so waits cost nothing.
//!
//! Whatever the script, a download ends with exactly the file's bytes or
//! with an error; an upload ends with exactly the file's bytes saved or
//! with an error; the window of bytes in flight is respected; and nothing
//! hangs (a virtual hour is the limit, far beyond any retry schedule).
//!
//! CI runs 96 cases of each (a few seconds). A long run:
//!
//! ```sh
//! TGCMD_FUZZ_CASES=20000 cargo test --release --test fuzz_transfer
//! ```

mod support;

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use grammers_tl_types::{self as tl, Deserializable, Identifiable, Serializable};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sha2::{Digest, Sha256};
use tgcmd::error::RpcError;
use tgcmd::transfer::{
    BoxFuture, DownloadMode, DownloadOptions, FileLocation, TransferApi, UploadOptions, download,
    upload,
};
use tgcmd::{Error, Result};

const KIB: usize = 1024;
const PART: usize = 512 * KIB;
const HASH_PART: usize = 128 * KIB;

/// What the server does with one request.
#[derive(Debug, Clone)]
enum Answer {
    Honest,
    /// Data cut short by this many bytes.
    Short(usize),
    /// Data with junk appended.
    Long(usize),
    /// One byte of the data flipped (this index, modulo the length).
    Corrupt(usize),
    /// The bytes of the next chunk instead of this one.
    Shifted,
    /// Hashes that do not match.
    WrongHashes,
    /// Hashes with negative or huge offsets and limits.
    AbsurdHashes(i64, i32),
    /// Eight hashes of one byte each, from the offset asked for.
    TinyHashes,
    /// Not TL at all.
    Junk(Vec<u8>),
    /// A save answered with `false`.
    Refused,
    Rpc(i32, &'static str),
    Network,
    /// Answered honestly after this long.
    Delay(u64),
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        12 => Just(Answer::Honest),
        1 => (1usize..PART).prop_map(Answer::Short),
        1 => (1usize..4096).prop_map(Answer::Long),
        1 => any::<usize>().prop_map(Answer::Corrupt),
        1 => Just(Answer::Shifted),
        1 => Just(Answer::WrongHashes),
        1 => Just(Answer::TinyHashes),
        1 => (prop_oneof![Just(-1i64), Just(i64::MIN), Just(i64::MAX), Just(0)],
              prop_oneof![Just(-1i32), Just(i32::MAX), Just(0), Just(1)])
            .prop_map(|(o, l)| Answer::AbsurdHashes(o, l)),
        1 => prop::collection::vec(any::<u8>(), 0..16).prop_map(Answer::Junk),
        1 => Just(Answer::Refused),
        3 => prop::sample::select(vec![
            (420, "FLOOD_WAIT_2"),
            (420, "FLOOD_PREMIUM_WAIT_1"),
            (420, "FLOOD_WAIT_86400"),
            (500, "INTERNAL"),
            (-503, "Timeout"),
            (303, "FILE_MIGRATE_1"),
            (400, "FILE_REFERENCE_EXPIRED"),
            (401, "AUTH_KEY_UNREGISTERED"),
            (400, "FILE_PART_INVALID"),
            (400, "LIMIT_INVALID"),
        ])
        .prop_map(|(code, name)| Answer::Rpc(code, name)),
        2 => Just(Answer::Network),
        1 => (1u64..30_000).prop_map(Answer::Delay),
    ]
}

struct Hostile {
    file: Vec<u8>,
    lanes: usize,
    script: Mutex<VecDeque<Answer>>,
    /// Answers for `getFileHashes` only, once one is given: then `script`
    /// answers the data requests alone.
    hash_script: Mutex<Option<VecDeque<Answer>>>,
    saved: Mutex<BTreeMap<(i64, i32), Vec<u8>>>,
    in_flight: Mutex<(u64, u64)>,
    calls: AtomicUsize,
}

impl Hostile {
    fn new(file: Vec<u8>, lanes: usize, script: Vec<Answer>) -> Self {
        Self {
            file,
            lanes,
            script: Mutex::new(script.into()),
            hash_script: Mutex::default(),
            saved: Mutex::default(),
            in_flight: Mutex::default(),
            calls: AtomicUsize::new(0),
        }
    }

    fn max_in_flight(&self) -> u64 {
        self.in_flight.lock().map_or(0, |f| f.1)
    }

    fn with_hash_script(self, script: Vec<Answer>) -> Self {
        if let Ok(mut hashes) = self.hash_script.lock() {
            *hashes = Some(script.into());
        }
        self
    }

    fn next_answer(&self, id: u32) -> Answer {
        if id == tl::functions::upload::GetFileHashes::CONSTRUCTOR_ID
            && let Ok(mut guard) = self.hash_script.lock()
            && let Some(hashes) = guard.as_mut()
        {
            return hashes.pop_front().unwrap_or(Answer::Honest);
        }
        self.script
            .lock()
            .ok()
            .and_then(|mut s| s.pop_front())
            .unwrap_or(Answer::Honest)
    }

    fn data(&self, offset: i64, limit: i32) -> Vec<u8> {
        let start = usize::try_from(offset).unwrap_or(0).min(self.file.len());
        let end = start
            .saturating_add(usize::try_from(limit).unwrap_or(0))
            .min(self.file.len());
        self.file[start..end].to_vec()
    }

    fn hashes(&self, offset: i64) -> Vec<tl::enums::FileHash> {
        let first = usize::try_from(offset).unwrap_or(0) / HASH_PART * HASH_PART;
        (first..self.file.len())
            .step_by(HASH_PART)
            .take(8)
            .map(|at| {
                let end = (at + HASH_PART).min(self.file.len());
                tl::types::FileHash {
                    offset: at as i64,
                    limit: (end - at) as i32,
                    hash: Sha256::digest(&self.file[at..end]).to_vec(),
                }
                .into()
            })
            .collect()
    }

    async fn handle(&self, body: Bytes) -> Result<Vec<u8>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let id = u32::from_le_bytes(
            body.get(..4)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| Error::Protocol("mock: no constructor".into()))?,
        );
        let rest = &body[4..];
        let bad = |e: tl::deserialize::Error| Error::Protocol(format!("mock: {e}"));
        let mut answer = self.next_answer(id);
        if let Answer::Delay(ms) = answer {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            answer = Answer::Honest;
        }
        match answer {
            Answer::Rpc(code, name) => {
                return Err(Error::Rpc(RpcError::from(tl::types::RpcError {
                    error_code: code,
                    error_message: name.into(),
                })));
            }
            Answer::Network => {
                return Err(Error::Io(std::io::ErrorKind::ConnectionReset.into()));
            }
            Answer::Junk(junk) => return Ok(junk),
            _ => {}
        }
        match id {
            tl::functions::upload::GetFile::CONSTRUCTOR_ID => {
                let r = tl::functions::upload::GetFile::from_bytes(rest).map_err(bad)?;
                let mut data = match answer {
                    Answer::Shifted => self.data(r.offset.saturating_add(r.limit.into()), r.limit),
                    _ => self.data(r.offset, r.limit),
                };
                match answer {
                    Answer::Short(n) => data.truncate(data.len().saturating_sub(n)),
                    Answer::Long(n) => data.extend(std::iter::repeat_n(0xa5, n)),
                    Answer::Corrupt(at) if !data.is_empty() => {
                        let i = at % data.len();
                        data[i] ^= 0x01;
                    }
                    _ => {}
                }
                Ok(tl::enums::upload::File::File(tl::types::upload::File {
                    r#type: tl::enums::storage::FileType::FileUnknown,
                    mtime: 0,
                    bytes: data,
                })
                .to_bytes())
            }
            tl::functions::upload::GetFileHashes::CONSTRUCTOR_ID => {
                let r = tl::functions::upload::GetFileHashes::from_bytes(rest).map_err(bad)?;
                let mut hashes = self.hashes(r.offset);
                match answer {
                    Answer::WrongHashes => {
                        for tl::enums::FileHash::Hash(h) in &mut hashes {
                            h.hash[0] ^= 0xff;
                        }
                    }
                    Answer::TinyHashes => {
                        let at = r.offset.max(0);
                        hashes = (at..at + 8)
                            .map(|o| {
                                let i = usize::try_from(o).unwrap_or(0).min(self.file.len());
                                let end = (i + 1).min(self.file.len());
                                tl::types::FileHash {
                                    offset: o,
                                    limit: 1,
                                    hash: Sha256::digest(&self.file[i..end]).to_vec(),
                                }
                                .into()
                            })
                            .collect();
                    }
                    Answer::AbsurdHashes(offset, limit) => {
                        hashes.push(
                            tl::types::FileHash {
                                offset,
                                limit,
                                hash: vec![0; 32],
                            }
                            .into(),
                        );
                    }
                    _ => {}
                }
                Ok(hashes.to_bytes())
            }
            tl::functions::upload::SaveFilePart::CONSTRUCTOR_ID
            | tl::functions::upload::SaveBigFilePart::CONSTRUCTOR_ID => {
                let (file_id, part, bytes) = if id
                    == tl::functions::upload::SaveFilePart::CONSTRUCTOR_ID
                {
                    let r = tl::functions::upload::SaveFilePart::from_bytes(rest).map_err(bad)?;
                    (r.file_id, r.file_part, r.bytes)
                } else {
                    let r =
                        tl::functions::upload::SaveBigFilePart::from_bytes(rest).map_err(bad)?;
                    (r.file_id, r.file_part, r.bytes)
                };
                if matches!(answer, Answer::Refused) {
                    return Ok(false.to_bytes());
                }
                if let Ok(mut saved) = self.saved.lock() {
                    saved.insert((file_id, part), bytes);
                }
                Ok(true.to_bytes())
            }
            other => Err(Error::Protocol(format!("mock: unexpected {other:08x}"))),
        }
    }

    /// Counts the bytes a data request asks for while it is in flight.
    async fn tracked(&self, body: Bytes) -> Result<Vec<u8>> {
        let requested = requested_bytes(&body);
        if let Ok(mut flight) = self.in_flight.lock() {
            flight.0 += requested;
            flight.1 = flight.1.max(flight.0);
        }
        tokio::task::yield_now().await;
        let result = self.handle(body).await;
        if let Ok(mut flight) = self.in_flight.lock() {
            flight.0 -= requested;
        }
        result
    }
}

/// The `limit` of a `getFile`, or the size of a saved part.
fn requested_bytes(body: &[u8]) -> u64 {
    let Some(id) = body.get(..4).and_then(|b| b.try_into().ok()) else {
        return 0;
    };
    let rest = &body[4..];
    match u32::from_le_bytes(id) {
        tl::functions::upload::GetFile::CONSTRUCTOR_ID => {
            tl::functions::upload::GetFile::from_bytes(rest).map_or(0, |r| r.limit.max(0) as u64)
        }
        tl::functions::upload::SaveFilePart::CONSTRUCTOR_ID => {
            tl::functions::upload::SaveFilePart::from_bytes(rest)
                .map_or(0, |r| r.bytes.len() as u64)
        }
        tl::functions::upload::SaveBigFilePart::CONSTRUCTOR_ID => {
            tl::functions::upload::SaveBigFilePart::from_bytes(rest)
                .map_or(0, |r| r.bytes.len() as u64)
        }
        _ => 0,
    }
}

impl TransferApi for Hostile {
    fn lanes(&self) -> usize {
        self.lanes
    }

    fn home_dc(&self) -> Result<i32> {
        Ok(1)
    }

    fn call_raw(&self, _dc_id: i32, _lane: usize, body: Bytes) -> BoxFuture<'_, Result<Vec<u8>>> {
        Box::pin(self.tracked(body))
    }

    fn authorize_dc(&self, _dc_id: i32) -> BoxFuture<'_, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    fn max_upload_parts(&self) -> BoxFuture<'_, Result<u32>> {
        Box::pin(async { Ok(4000) })
    }
}

fn cases() -> u32 {
    std::env::var("TGCMD_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(96)
}

/// A current-thread runtime with paused time: sleeps and timeouts advance
/// the clock instantly when nothing else can run.
fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime")
}

/// Far beyond any retry schedule (the longest flood wait slept is 300 s).
const VIRTUAL_HOUR: Duration = Duration::from_secs(3600);

#[test]
fn downloads_are_exact_or_fail() {
    let runtime = paused_runtime();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        1usize..(3 * PART),
        1usize..4,
        prop_oneof![Just(1usize), Just(PART), Just(PART + 1), Just(4 * PART)],
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(answer(), 0..24),
    );
    let outcomes = Mutex::new((0u32, 0u32));
    let result = runner.run(
        &strategy,
        |(len, lanes, window, precise, known_size, script)| {
            let file = support::data::pattern(len, 31);
            let api = Arc::new(Hostile::new(file.clone(), lanes, script.clone()));
            let location = location(known_size.then_some(len as u64));
            let options = DownloadOptions {
                mode: if precise {
                    DownloadMode::Precise
                } else {
                    DownloadMode::NonPrecise
                },
                window_bytes: window,
                ..DownloadOptions::default()
            };
            let mut out = Vec::new();
            let outcome = runtime.block_on(async {
                tokio::time::timeout(
                    VIRTUAL_HOUR,
                    download::download(Arc::clone(&api), &location, .., &mut out, &options),
                )
                .await
            });
            let outcome =
                outcome.map_err(|_| TestCaseError::fail("the download hung for a virtual hour"))?;
            if let Ok(mut counts) = outcomes.lock() {
                if outcome.is_ok() {
                    counts.0 += 1
                } else {
                    counts.1 += 1
                }
            }
            if let Ok(report) = &outcome {
                // Fully verified: exactly the file. Unverified is allowed
                // only when the server said from the start that it has no
                // hashes (a 400 on the first getFileHashes), and the report
                // says so.
                if report.verified_bytes == out.len() as u64 {
                    prop_assert!(
                        out == file,
                        "{} bytes handed out, not the file's {}",
                        out.len(),
                        len
                    );
                } else {
                    prop_assert!(
                        script.iter().any(|a| matches!(a, Answer::Rpc(400, _))),
                        "unverified ({} of {} bytes) without the server refusing hashes",
                        report.verified_bytes,
                        out.len()
                    );
                }
            }
            prop_assert!(
                api.max_in_flight() <= window.max(PART) as u64,
                "{} bytes in flight with a window of {window}",
                api.max_in_flight()
            );
            Ok(())
        },
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    // Honest answers dominate the scripts, so both outcomes are exercised.
    let (ok, failed) = outcomes.into_inner().unwrap_or_default();
    assert!(ok > 0, "no download succeeded ({failed} failed)");
}

#[test]
fn uploads_are_exact_or_fail() {
    let runtime = paused_runtime();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        1usize..(5 * PART),
        1usize..4,
        prop_oneof![Just(PART), Just(2 * PART), Just(8 * PART)],
        any::<bool>(),
        prop::collection::vec(answer(), 0..16),
    );
    let outcomes = Mutex::new((0u32, 0u32));
    let result = runner.run(&strategy, |(len, lanes, window, known_size, script)| {
        let file = support::data::pattern(len, 37);
        let api = Arc::new(Hostile::new(Vec::new(), lanes, script));
        let options = UploadOptions {
            window_bytes: window,
            ..UploadOptions::default()
        };
        let outcome = runtime.block_on(async {
            tokio::time::timeout(
                VIRTUAL_HOUR,
                upload::upload(
                    Arc::clone(&api),
                    &file[..],
                    known_size.then_some(len as u64),
                    options,
                ),
            )
            .await
        });
        let outcome =
            outcome.map_err(|_| TestCaseError::fail("the upload hung for a virtual hour"))?;
        if let Ok(mut counts) = outcomes.lock() {
            if outcome.is_ok() {
                counts.0 += 1
            } else {
                counts.1 += 1
            }
        }
        if let Ok(uploaded) = &outcome {
            let saved: Vec<u8> = api
                .saved
                .lock()
                .map(|s| {
                    s.range((uploaded.handle.file_id, 0)..=(uploaded.handle.file_id, i32::MAX))
                        .flat_map(|(_, b)| b.clone())
                        .collect()
                })
                .unwrap_or_default();
            prop_assert!(
                saved == file,
                "{} bytes saved, not the file's {len}",
                saved.len()
            );
            prop_assert_eq!(uploaded.size, len as u64);
        }
        prop_assert!(
            api.max_in_flight() <= window.max(PART) as u64,
            "{} bytes in flight with a window of {window}",
            api.max_in_flight()
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (ok, failed) = outcomes.into_inner().unwrap_or_default();
    assert!(ok > 0, "no upload succeeded ({failed} failed)");
}

// ---------------------------------------------------------------------------
// What the fuzzing found, pinned down. Each of these handed out wrong bytes
// before the fix in `download.rs`.

fn location(size: Option<u64>) -> FileLocation {
    FileLocation {
        location: tl::types::InputDocumentFileLocation {
            id: 1,
            access_hash: 2,
            file_reference: vec![3],
            thumb_size: String::new(),
        }
        .into(),
        dc_id: 1,
        size,
    }
}

/// Downloads the whole file with one request in flight at a time.
fn download_all(
    api: Arc<Hostile>,
    size: Option<u64>,
) -> (Result<tgcmd::transfer::DownloadReport>, Vec<u8>) {
    let runtime = paused_runtime();
    let options = DownloadOptions {
        window_bytes: 1,
        ..DownloadOptions::default()
    };
    let mut out = Vec::new();
    let outcome = runtime.block_on(async {
        tokio::time::timeout(
            VIRTUAL_HOUR,
            download::download(api, &location(size), .., &mut out, &options),
        )
        .await
    });
    (outcome.expect("no hang"), out)
}

/// An answer longer than the `limit` asked for (junk after the data) is
/// fetched again, not handed out.
#[test]
fn an_answer_longer_than_asked_is_not_handed_out() {
    let file = support::data::pattern(PART, 41);
    let api =
        Arc::new(Hostile::new(file.clone(), 1, vec![Answer::Long(1)]).with_hash_script(vec![]));
    let (outcome, out) = download_all(Arc::clone(&api), None);
    let report = outcome.expect("the second copy is right");
    assert_eq!(out, file);
    assert_eq!(report.refetched_chunks, 1);

    let api = Arc::new(
        Hostile::new(file, 1, vec![Answer::Long(7), Answer::Long(7)]).with_hash_script(vec![]),
    );
    let (outcome, _) = download_all(api, None);
    let error = outcome.expect_err("too long twice");
    assert!(error.to_string().contains("for a limit of"), "{error}");
}

/// With the size unknown, an answer cut short says "the file ends here";
/// the published hashes say otherwise, so it is not believed, whether the
/// cut falls inside a hash part or exactly on a 1 MiB boundary.
#[test]
fn an_answer_cut_short_is_not_taken_for_the_end_of_the_file() {
    for (len, script) in [
        // The third chunk (at 1 MiB) comes back empty, twice.
        (
            2 * PART + 1,
            vec![
                Answer::Honest,
                Answer::Honest,
                Answer::Short(1),
                Answer::Short(1),
            ],
        ),
        // The only chunk loses its last 1000 bytes, twice.
        (300 * KIB, vec![Answer::Short(1000), Answer::Short(1000)]),
    ] {
        let file = support::data::pattern(len, 43);
        let api = Arc::new(Hostile::new(file, 1, script).with_hash_script(vec![]));
        let (outcome, out) = download_all(api, None);
        let error = outcome.expect_err("a cut file is not a file");
        assert!(
            matches!(error, Error::HashMismatch { .. }),
            "{error} ({} bytes out)",
            out.len()
        );
    }
}

/// A server that published hashes and then refuses them (a 400) cannot
/// turn verification off for the rest of the file.
#[test]
fn verification_cannot_be_switched_off_halfway() {
    let len = 2 * 1024 * KIB + 5;
    let file = support::data::pattern(len, 47);
    // Block 0's hashes come; block 1 and 2 are refused; a chunk of block 1
    // is corrupted.
    let data = vec![Answer::Honest, Answer::Honest, Answer::Corrupt(0)];
    let hashes = vec![
        Answer::Honest,
        Answer::Rpc(400, "FILE_HASHES_INVALID"),
        Answer::Rpc(400, "FILE_HASHES_INVALID"),
        Answer::Rpc(400, "FILE_HASHES_INVALID"),
    ];
    let api = Arc::new(Hostile::new(file.clone(), 1, data).with_hash_script(hashes));
    let (outcome, out) = download_all(api, Some(len as u64));
    match outcome {
        Err(error) => assert!(error.rpc().is_some_and(|e| e.code == 400), "{error}"),
        Ok(report) => panic!(
            "handed out {} bytes ({} verified), identical: {}",
            out.len(),
            report.verified_bytes,
            out == file
        ),
    }
}

/// A server that publishes hashes in one-byte parts would need a million
/// `getFileHashes` calls per block; the download gives up after a bounded
/// number instead of crawling.
#[test]
fn tiny_hash_parts_are_given_up_on_quickly() {
    let len = 600 * KIB;
    let file = support::data::pattern(len, 53);
    let api = Arc::new(
        Hostile::new(file, 1, Vec::new()).with_hash_script(vec![Answer::TinyHashes; 1000]),
    );
    let (outcome, _) = download_all(Arc::clone(&api), Some(len as u64));
    let error = outcome.expect_err("hashes that cannot cover the file");
    assert!(error.to_string().contains("do not cover"), "{error}");
    let calls = api.calls.load(Ordering::Relaxed);
    assert!(calls < 100, "{calls} calls");
}
