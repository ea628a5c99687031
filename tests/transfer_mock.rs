//! The upload and download executors against a mock [`TransferApi`], with
//! no network: what they send, on which lane, how many requests they keep
//! in flight, and how they treat scripted failures.
//!
//! The mock decodes every request, answers from memory, logs the call and
//! can hold the first calls back until a given number are in flight at
//! once (so "several in flight" is observed, not assumed).

mod support;

use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use grammers_tl_types::{self as tl, Deserializable, Identifiable, Serializable};
use md5::{Digest, Md5};
use sha2::Sha256;
use support::transfer::{KIB, MIB, no_hang};
use tgcmd::error::RpcError;
use tgcmd::transfer::upload::{self, UploadHandle};
use tgcmd::transfer::{
    BoxFuture, DownloadMode, DownloadOptions, FileLocation, TransferApi, UploadOptions, download,
};
use tgcmd::{Error, Result};
use tokio::sync::Notify;

const PART: usize = 512 * KIB;
/// How long the mock holds calls back waiting for the others.
const GATE_TIMEOUT: Duration = Duration::from_secs(2);
const HASH_PART: usize = 128 * KIB;

/// One request the mock received.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    Save {
        big: bool,
        file_id: i64,
        part: i32,
        total: Option<i32>,
        len: usize,
        lane: usize,
    },
    GetFile {
        offset: i64,
        limit: i32,
        lane: usize,
    },
    Hashes {
        offset: i64,
    },
}

/// A scripted failure: the next `times` calls matching `matches` fail.
struct Failure {
    matches: Box<dyn Fn(&Call) -> bool + Send>,
    times: usize,
    error: fn() -> Error,
}

#[derive(Default)]
struct Flight {
    calls: usize,
    bytes: u64,
    max_calls: usize,
    max_bytes: u64,
}

struct Mock {
    lanes: usize,
    /// The file `getFile` serves.
    file: Vec<u8>,
    /// Every call, in the order it arrived.
    arrived: Mutex<Vec<Call>>,
    /// Every call that succeeded, in the order it completed.
    completed: Mutex<Vec<Call>>,
    /// Saved parts by (file id, part).
    saved: Mutex<BTreeMap<(i64, i32), Vec<u8>>>,
    failures: Mutex<Vec<Failure>>,
    flight: Mutex<Flight>,
    /// The first `gate` data calls wait until all of them have arrived.
    gate: usize,
    gate_arrivals: AtomicUsize,
    gate_open: Notify,
    /// `getFile` answers with `upload.fileCdnRedirect` instead of bytes.
    cdn_redirect: bool,
}

impl Mock {
    fn new(lanes: usize) -> Self {
        Self {
            lanes,
            file: Vec::new(),
            arrived: Mutex::default(),
            completed: Mutex::default(),
            saved: Mutex::default(),
            failures: Mutex::default(),
            flight: Mutex::default(),
            gate: 0,
            gate_arrivals: AtomicUsize::new(0),
            gate_open: Notify::new(),
            cdn_redirect: false,
        }
    }

    fn redirecting_to_cdn(mut self) -> Self {
        self.cdn_redirect = true;
        self
    }

    fn serving(mut self, file: Vec<u8>) -> Self {
        self.file = file;
        self
    }

    fn gated(mut self, gate: usize) -> Self {
        self.gate = gate;
        self
    }

    fn fail(
        &self,
        times: usize,
        error: fn() -> Error,
        matches: impl Fn(&Call) -> bool + Send + 'static,
    ) {
        self.failures.lock().expect("failures").push(Failure {
            matches: Box::new(matches),
            times,
            error,
        });
    }

    fn arrived(&self) -> Vec<Call> {
        self.arrived.lock().expect("log").clone()
    }

    fn completed(&self) -> Vec<Call> {
        self.completed.lock().expect("log").clone()
    }

    fn saves(&self) -> Vec<Call> {
        self.arrived()
            .into_iter()
            .filter(|c| matches!(c, Call::Save { .. }))
            .collect()
    }

    fn get_files(&self) -> Vec<Call> {
        self.arrived()
            .into_iter()
            .filter(|c| matches!(c, Call::GetFile { .. }))
            .collect()
    }

    fn max_in_flight(&self) -> (usize, u64) {
        let flight = self.flight.lock().expect("flight");
        (flight.max_calls, flight.max_bytes)
    }

    /// The content saved under `file_id`, parts in order.
    fn assembled(&self, file_id: i64) -> Vec<u8> {
        self.saved
            .lock()
            .expect("saved")
            .range((file_id, 0)..=(file_id, i32::MAX))
            .flat_map(|(_, bytes)| bytes.clone())
            .collect()
    }

    fn decode(&self, lane: usize, body: &[u8]) -> (Call, Option<Vec<u8>>, u64) {
        let id = u32::from_le_bytes(body[..4].try_into().expect("a constructor id"));
        let rest = &body[4..];
        match id {
            tl::functions::upload::SaveFilePart::CONSTRUCTOR_ID => {
                let r = tl::functions::upload::SaveFilePart::from_bytes(rest).expect("decodes");
                let len = r.bytes.len();
                let call = Call::Save {
                    big: false,
                    file_id: r.file_id,
                    part: r.file_part,
                    total: None,
                    len,
                    lane,
                };
                (call, Some(r.bytes), len as u64)
            }
            tl::functions::upload::SaveBigFilePart::CONSTRUCTOR_ID => {
                let r = tl::functions::upload::SaveBigFilePart::from_bytes(rest).expect("decodes");
                let len = r.bytes.len();
                let call = Call::Save {
                    big: true,
                    file_id: r.file_id,
                    part: r.file_part,
                    total: Some(r.file_total_parts),
                    len,
                    lane,
                };
                (call, Some(r.bytes), len as u64)
            }
            tl::functions::upload::GetFile::CONSTRUCTOR_ID => {
                let r = tl::functions::upload::GetFile::from_bytes(rest).expect("decodes");
                assert!(!r.cdn_supported, "CDN downloads are not implemented");
                let call = Call::GetFile {
                    offset: r.offset,
                    limit: r.limit,
                    lane,
                };
                (call, None, r.limit as u64)
            }
            tl::functions::upload::GetFileHashes::CONSTRUCTOR_ID => {
                let r = tl::functions::upload::GetFileHashes::from_bytes(rest).expect("decodes");
                (Call::Hashes { offset: r.offset }, None, 0)
            }
            other => panic!("the executors sent an unexpected request {other:08x}"),
        }
    }

    fn answer(&self, call: &Call, payload: Option<Vec<u8>>) -> Vec<u8> {
        match *call {
            Call::Save { file_id, part, .. } => {
                let bytes = payload.expect("a part carries bytes");
                self.saved
                    .lock()
                    .expect("saved")
                    .insert((file_id, part), bytes);
                true.to_bytes()
            }
            Call::GetFile { .. } if self.cdn_redirect => {
                tl::enums::upload::File::CdnRedirect(tl::types::upload::FileCdnRedirect {
                    dc_id: 203,
                    file_token: vec![7; 16],
                    encryption_key: vec![0; 32],
                    encryption_iv: vec![0; 16],
                    file_hashes: Vec::new(),
                })
                .to_bytes()
            }
            Call::GetFile { offset, limit, .. } => {
                let start = (offset as usize).min(self.file.len());
                let end = (start + limit as usize).min(self.file.len());
                tl::enums::upload::File::File(tl::types::upload::File {
                    r#type: tl::enums::storage::FileType::FileUnknown,
                    mtime: 0,
                    bytes: self.file[start..end].to_vec(),
                })
                .to_bytes()
            }
            Call::Hashes { offset } => {
                let first = offset as usize / HASH_PART * HASH_PART;
                let hashes: Vec<tl::enums::FileHash> = (first..self.file.len())
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
                    .collect();
                hashes.to_bytes()
            }
        }
    }

    fn scripted_failure(&self, call: &Call) -> Option<Error> {
        let mut failures = self.failures.lock().expect("failures");
        let failure = failures
            .iter_mut()
            .find(|f| f.times > 0 && (f.matches)(call))?;
        failure.times -= 1;
        Some((failure.error)())
    }

    async fn handle(&self, lane: usize, body: Bytes) -> Result<Vec<u8>> {
        let (call, payload, bytes) = self.decode(lane, &body);
        // Hash requests have a lane of their own, one past the data lanes.
        let hash_lane = matches!(call, Call::Hashes { .. }) && lane == self.lanes;
        assert!(
            lane < self.lanes || hash_lane,
            "lane {lane} of {}",
            self.lanes
        );
        self.arrived.lock().expect("log").push(call.clone());
        let data_call = !matches!(call, Call::Hashes { .. });
        if data_call {
            let mut flight = self.flight.lock().expect("flight");
            flight.calls += 1;
            flight.bytes += bytes;
            flight.max_calls = flight.max_calls.max(flight.calls);
            flight.max_bytes = flight.max_bytes.max(flight.bytes);
        }
        if data_call && self.gate_arrivals.fetch_add(1, Ordering::SeqCst) < self.gate {
            let wait = async {
                loop {
                    let open = self.gate_open.notified();
                    if self.gate_arrivals.load(Ordering::SeqCst) >= self.gate {
                        self.gate_open.notify_waiters();
                        return;
                    }
                    open.await;
                }
            };
            let _ = tokio::time::timeout(GATE_TIMEOUT, wait).await;
        }
        // Let the other tasks run, as a network round trip would.
        tokio::task::yield_now().await;
        let result = match self.scripted_failure(&call) {
            Some(error) => Err(error),
            None => Ok(self.answer(&call, payload)),
        };
        if data_call {
            let mut flight = self.flight.lock().expect("flight");
            flight.calls -= 1;
            flight.bytes -= bytes;
        }
        if result.is_ok() {
            self.completed.lock().expect("log").push(call);
        }
        result
    }
}

impl TransferApi for Mock {
    fn lanes(&self) -> usize {
        self.lanes
    }

    fn home_dc(&self) -> Result<i32> {
        Ok(1)
    }

    fn call_raw(&self, dc_id: i32, lane: usize, body: Bytes) -> BoxFuture<'_, Result<Vec<u8>>> {
        assert_eq!(dc_id, 1, "everything happens on the home DC");
        Box::pin(self.handle(lane, body))
    }

    fn authorize_dc(&self, dc_id: i32) -> BoxFuture<'_, Result<()>> {
        panic!("no authorization needed for DC {dc_id}");
    }

    fn max_upload_parts(&self) -> BoxFuture<'_, Result<u32>> {
        Box::pin(async { Ok(4000) })
    }
}

fn rpc(code: i32, message: &str) -> Error {
    Error::Rpc(RpcError::from(tl::types::RpcError {
        error_code: code,
        error_message: message.into(),
    }))
}

fn flood_1s() -> Error {
    rpc(420, "FLOOD_WAIT_1")
}

fn connection_reset() -> Error {
    Error::Io(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "mock connection reset",
    ))
}

fn part_invalid() -> Error {
    rpc(400, "FILE_PART_INVALID")
}

fn is_part(part: i32) -> impl Fn(&Call) -> bool {
    move |call| matches!(call, Call::Save { part: p, .. } if *p == part)
}

fn md5_hex(data: &[u8]) -> String {
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

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

// ---------------------------------------------------------------------------
// Uploads
// ---------------------------------------------------------------------------

/// A small file (six parts, `saveFilePart`) has all its parts in flight at
/// once, spread round-robin over the four lanes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_file_keeps_all_its_parts_in_flight_over_every_lane() {
    let mock = Arc::new(Mock::new(4).gated(6));
    let data = support::data::pattern(6 * PART - 100, 1);
    let uploaded = no_hang(
        "upload",
        upload::upload(
            Arc::clone(&mock),
            &data[..],
            Some(data.len() as u64),
            UploadOptions::default(),
        ),
    )
    .await
    .expect("upload");
    assert_eq!(mock.max_in_flight().0, 6, "every part in flight at once");
    let saves = mock.saves();
    assert_eq!(saves.len(), 6);
    let mut lanes = BTreeMap::<usize, Vec<i32>>::new();
    for call in &saves {
        let Call::Save {
            big, part, lane, ..
        } = call
        else {
            unreachable!()
        };
        assert!(!big);
        lanes.entry(*lane).or_default().push(*part);
    }
    for parts in lanes.values_mut() {
        parts.sort_unstable();
    }
    assert_eq!(
        lanes,
        BTreeMap::from([(0, vec![0, 4]), (1, vec![1, 5]), (2, vec![2]), (3, vec![3])]),
        "parts go round-robin over the lanes"
    );
    assert_eq!(mock.assembled(uploaded.handle.file_id), data);
    assert_eq!(uploaded.md5.as_deref(), Some(md5_hex(&data).as_str()));
}

/// The window caps the bytes in flight: with 1 MiB, two parts at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upload_window_caps_parts_in_flight() {
    let mock = Arc::new(Mock::new(4).gated(2));
    let data = support::data::pattern(8 * PART, 2);
    let options = UploadOptions {
        window_bytes: 2 * PART,
        ..UploadOptions::default()
    };
    let uploaded = no_hang(
        "upload",
        upload::upload(
            Arc::clone(&mock),
            &data[..],
            Some(data.len() as u64),
            options,
        ),
    )
    .await
    .expect("upload");
    assert_eq!(mock.max_in_flight(), (2, 2 * PART as u64));
    assert_eq!(mock.assembled(uploaded.handle.file_id), data);
}

/// A stream of unknown length: `saveBigFilePart` with `file_total_parts`
/// -1 until the last part, which carries the real count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_size_stream_sends_the_total_only_with_the_last_part() {
    for (len, parts) in [(3 * PART + 5, 4), (2 * PART, 2), (1, 1)] {
        let mock = Arc::new(Mock::new(4));
        let data = support::data::pattern(len, 3);
        let uploaded = no_hang(
            "upload",
            upload::upload(Arc::clone(&mock), &data[..], None, UploadOptions::default()),
        )
        .await
        .expect("upload");
        let mut totals: Vec<(i32, Option<i32>, bool)> = mock
            .saves()
            .iter()
            .map(|call| match call {
                Call::Save {
                    part, total, big, ..
                } => (*part, *total, *big),
                _ => unreachable!(),
            })
            .collect();
        totals.sort_unstable();
        let expected: Vec<_> = (0..parts)
            .map(|part| {
                let total = if part == parts - 1 { parts } else { -1 };
                (part, Some(total), true)
            })
            .collect();
        assert_eq!(totals, expected, "{len} bytes");
        assert!(matches!(
            uploaded.input_file,
            tl::enums::InputFile::Big(ref f) if f.parts == parts
        ));
        assert_eq!(uploaded.size, len as u64);
        assert_eq!(mock.assembled(uploaded.handle.file_id), data);
    }
}

/// One part meets FLOOD_WAIT_1; every other part completes before it is
/// sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_wait_on_one_part_does_not_stop_the_others() {
    let mock = Arc::new(Mock::new(4));
    mock.fail(1, flood_1s, is_part(0));
    let data = support::data::pattern(8 * PART, 4);
    let uploaded = no_hang(
        "upload",
        upload::upload(
            Arc::clone(&mock),
            &data[..],
            Some(data.len() as u64),
            UploadOptions::default(),
        ),
    )
    .await
    .expect("upload");
    let arrived = mock.saves();
    assert_eq!(arrived.len(), 9);
    let retry = arrived
        .iter()
        .rposition(|c| matches!(c, Call::Save { part: 0, .. }))
        .expect("part 0 was sent");
    assert_eq!(retry, 8, "part 0's second try came last: {arrived:?}");
    let completed = mock.completed();
    assert!(
        matches!(completed.last(), Some(Call::Save { part: 0, .. })),
        "every other part completed while part 0 waited: {completed:?}"
    );
    assert_eq!(mock.assembled(uploaded.handle.file_id), data);
}

/// A network failure on one part is retried on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_failure_is_retried() {
    let mock = Arc::new(Mock::new(2));
    mock.fail(2, connection_reset, is_part(3));
    let data = support::data::pattern(5 * PART, 5);
    let uploaded = no_hang(
        "upload",
        upload::upload(
            Arc::clone(&mock),
            &data[..],
            Some(data.len() as u64),
            UploadOptions::default(),
        ),
    )
    .await
    .expect("upload");
    assert_eq!(mock.saves().len(), 5 + 2);
    assert_eq!(mock.assembled(uploaded.handle.file_id), data);
}

/// Uploads `data` with one part in flight while the server refuses part 4
/// for good: the upload ends with `UploadInterrupted`, and this returns its
/// handle and the options to resume with.
async fn interrupted_at_part_4(mock: &Arc<Mock>, data: &[u8]) -> (UploadHandle, UploadOptions) {
    // Part 4 is refused for good; the window lets parts before it finish.
    mock.fail(1, part_invalid, is_part(4));
    let options = UploadOptions {
        window_bytes: PART,
        ..UploadOptions::default()
    };
    let error = no_hang(
        "upload",
        upload::upload(
            Arc::clone(mock),
            data,
            Some(data.len() as u64),
            options.clone(),
        ),
    )
    .await
    .expect_err("part 4 is refused");
    let Error::UploadInterrupted { handle, cause } = error else {
        panic!("expected UploadInterrupted, got {error}");
    };
    assert!(cause.is_rpc("FILE_PART_INVALID"), "{cause}");
    (*handle, options)
}

/// A part the server refuses ends the upload with `UploadInterrupted`; its
/// handle lists exactly the parts that were confirmed, and resuming sends
/// only the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_upload_resumes_with_only_the_missing_parts() {
    for (len, big) in [(7 * PART + 9, false), (21 * PART + 1, true)] {
        let mock = Arc::new(Mock::new(4));
        let data = support::data::pattern(len, 6);
        let (handle, options) = interrupted_at_part_4(&mock, &data).await;
        assert_eq!(handle.big, big);
        // One part in flight at a time: parts 0-3 were confirmed.
        assert_eq!(
            handle.confirmed.keys().copied().collect::<BTreeSet<_>>(),
            BTreeSet::from([0, 1, 2, 3])
        );

        let sent_before = mock.saves().len();
        let uploaded = no_hang(
            "resume",
            upload::resume(Arc::clone(&mock), &data[..], handle.clone(), options),
        )
        .await
        .expect("resume");
        let total = len.div_ceil(PART);
        let resent: BTreeSet<i32> = mock.saves()[sent_before..]
            .iter()
            .map(|c| match c {
                Call::Save { part, .. } => *part,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            resent,
            (4..total as i32).collect(),
            "only unconfirmed parts"
        );
        assert_eq!(mock.saves().len() - sent_before, total - 4);
        assert_eq!(uploaded.handle.file_id, handle.file_id);
        assert_eq!(uploaded.handle.confirmed.len(), total);
        assert_eq!(mock.assembled(handle.file_id), data);
        if !big {
            assert_eq!(uploaded.md5.as_deref(), Some(md5_hex(&data).as_str()));
        }
    }
}

/// Resuming with content that changed since the interruption is refused
/// (the handle's part fingerprints no longer match), and the changed part
/// is not sent: a file of old and new parts can never be finalised. The
/// handle survives a trip through JSON, as an app persisting it would do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_with_changed_content_is_refused() {
    for (len, big) in [(7 * PART + 9, false), (21 * PART + 1, true)] {
        let mock = Arc::new(Mock::new(4));
        let mut data = support::data::pattern(len, 9);
        let (handle, options) = interrupted_at_part_4(&mock, &data).await;
        let saved = serde_json::to_string(&handle).expect("serializes");
        let restored: UploadHandle = serde_json::from_str(&saved).expect("deserializes");
        assert_eq!(restored, handle);

        // One byte of confirmed part 2 changes.
        data[2 * PART + 17] ^= 0x40;
        let sent_before = mock.saves().len();
        let error = no_hang(
            "resume",
            upload::resume(Arc::clone(&mock), &data[..], restored, options),
        )
        .await
        .expect_err("changed content");
        assert!(error.is_invalid_input(), "{error}");
        assert!(
            error.to_string().contains("part 2 of the source differs"),
            "{error}"
        );
        let resent: Vec<i32> = mock.saves()[sent_before..]
            .iter()
            .map(|c| match c {
                Call::Save { part, .. } => *part,
                _ => unreachable!(),
            })
            .collect();
        // Parts 0-3 were confirmed: the change is found before anything
        // goes out.
        assert!(resent.is_empty(), "sent {resent:?} (big: {big})");
    }
}

/// Resuming an upload of unknown length: the parts left go out with -1,
/// and the last one with the real count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_an_unknown_size_upload() {
    let mock = Arc::new(Mock::new(4));
    let data = support::data::pattern(4 * PART - 3, 7);
    let mut handle = UploadHandle::new(77, PART as u32, true, None, "stream.bin");
    // The server has parts 0 and 1 already.
    for part in 0..2 {
        let content = &data[part as usize * PART..][..PART];
        handle.confirm(part as u32, content);
        mock.saved
            .lock()
            .expect("saved")
            .insert((77, part), content.to_vec());
    }
    let uploaded = upload::resume(
        Arc::clone(&mock),
        &data[..],
        handle,
        UploadOptions::default(),
    )
    .await
    .expect("resume");
    let mut sent: Vec<_> = mock
        .saves()
        .iter()
        .map(|c| match c {
            Call::Save { part, total, .. } => (*part, *total),
            _ => unreachable!(),
        })
        .collect();
    sent.sort_unstable();
    assert_eq!(sent, [(2, Some(-1)), (3, Some(4))]);
    assert!(matches!(uploaded.input_file, tl::enums::InputFile::Big(ref f) if f.parts == 4));
    assert_eq!(mock.assembled(77), data);
}

/// `resend_parts` after an upload of unknown length sends the part again
/// through `saveBigFilePart`, with the real part count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resending_a_part_of_an_unknown_size_upload() {
    let mock = Arc::new(Mock::new(4));
    let data = support::data::pattern(3 * PART + 1, 8);
    let uploaded = upload::upload(Arc::clone(&mock), &data[..], None, UploadOptions::default())
        .await
        .expect("upload");
    let before = mock.saves().len();
    upload::resend_parts(
        mock.as_ref(),
        std::io::Cursor::new(&data),
        &uploaded,
        &[1, 3],
    )
    .await
    .expect("resend");
    let mut resent: Vec<_> = mock.saves()[before..].to_vec();
    resent.sort_by_key(|c| match c {
        Call::Save { part, .. } => *part,
        _ => unreachable!(),
    });
    let summary: Vec<_> = resent
        .iter()
        .map(|c| match c {
            Call::Save {
                big,
                part,
                total,
                len,
                file_id,
                ..
            } => (
                *big,
                *file_id == uploaded.handle.file_id,
                *part,
                *total,
                *len,
            ),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        summary,
        [(true, true, 1, Some(4), PART), (true, true, 3, Some(4), 1)]
    );
    assert_eq!(mock.assembled(uploaded.handle.file_id), data);
}

// ---------------------------------------------------------------------------
// Downloads
// ---------------------------------------------------------------------------

/// A whole-file download keeps its window of chunks in flight at once,
/// spread over every lane, and puts the bytes back in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_keeps_chunks_in_flight_over_every_lane() {
    let data = support::data::pattern(4 * MIB, 9);
    let mock = Arc::new(Mock::new(4).serving(data.clone()).gated(8));
    let mut out = Vec::new();
    let report = no_hang(
        "download",
        download::download(
            Arc::clone(&mock),
            &location(Some(data.len() as u64)),
            ..,
            &mut out,
            &DownloadOptions::default(),
        ),
    )
    .await
    .expect("download");
    assert_eq!(out, data);
    assert_eq!(report.requests, 8);
    assert_eq!(
        mock.max_in_flight().0,
        8,
        "all eight chunks in flight at once"
    );
    let mut lanes = BTreeMap::<usize, usize>::new();
    for call in mock.get_files() {
        let Call::GetFile { lane, limit, .. } = call else {
            unreachable!()
        };
        assert_eq!(limit as usize, PART);
        *lanes.entry(lane).or_default() += 1;
    }
    assert_eq!(lanes, BTreeMap::from([(0, 2), (1, 2), (2, 2), (3, 2)]));
}

/// The download window is a cap on the bytes asked for and not yet handed
/// out: never more than `window_bytes` in flight (at least one chunk).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_download_window_is_never_exceeded() {
    let data = support::data::pattern(6 * MIB, 10);
    for (window, most) in [
        (PART, PART),
        (2 * PART, 2 * PART),
        (3 * PART - 1, 2 * PART),
        (1, PART),
    ] {
        let mock = Arc::new(Mock::new(4).serving(data.clone()).gated(most / PART));
        let options = DownloadOptions {
            window_bytes: window,
            ..DownloadOptions::default()
        };
        let mut out = Vec::new();
        no_hang(
            "download",
            download::download(
                Arc::clone(&mock),
                &location(Some(data.len() as u64)),
                ..,
                &mut out,
                &options,
            ),
        )
        .await
        .expect("download");
        assert_eq!(out, data);
        assert_eq!(
            mock.max_in_flight().1,
            most as u64,
            "window of {window} bytes"
        );
    }
}

/// A file of unknown size is read to its end, in both modes, ranges too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_of_unknown_size_is_read_to_its_end() {
    for len in [3 * MIB + 5, 2 * MIB, 700] {
        let data = support::data::pattern(len, 11);
        let mock = Arc::new(Mock::new(3).serving(data.clone()));
        for mode in [DownloadMode::NonPrecise, DownloadMode::Precise] {
            let options = DownloadOptions {
                mode,
                ..DownloadOptions::default()
            };
            let mut out = Vec::new();
            let report = no_hang(
                "download",
                download::download(Arc::clone(&mock), &location(None), .., &mut out, &options),
            )
            .await
            .expect("download");
            assert_eq!(out.len(), len, "{mode:?}");
            assert!(out == data, "{len} bytes, {mode:?}");
            assert_eq!(report.bytes, len as u64);
            let mut out = Vec::new();
            download::download(
                Arc::clone(&mock),
                &location(None),
                100..,
                &mut out,
                &options,
            )
            .await
            .expect("download from an offset");
            assert!(out == data[100..], "{len} bytes from 100, {mode:?}");
        }
    }
}

/// A flood wait on one chunk leaves the others going; the bytes still come
/// out in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_wait_on_one_chunk_does_not_stop_the_others() {
    let data = support::data::pattern(4 * MIB, 12);
    let mock = Arc::new(Mock::new(4).serving(data.clone()));
    mock.fail(1, flood_1s, |c| {
        matches!(c, Call::GetFile { offset: 0, .. })
    });
    let mut out = Vec::new();
    let report = no_hang(
        "download",
        download::download(
            Arc::clone(&mock),
            &location(Some(data.len() as u64)),
            ..,
            &mut out,
            &DownloadOptions::default(),
        ),
    )
    .await
    .expect("download");
    assert_eq!(out, data);
    assert_eq!(report.requests, 9);
    let completed: Vec<_> = mock
        .completed()
        .into_iter()
        .filter(|c| matches!(c, Call::GetFile { .. }))
        .collect();
    assert!(
        matches!(completed.last(), Some(Call::GetFile { offset: 0, .. })),
        "every other chunk completed while the first waited: {completed:?}"
    );
}

/// A CDN redirect (which tgcmd cannot follow yet; it asks with
/// `cdn_supported = false`, so Telegram should never send one) ends the
/// download with a clear `Unsupported` error: no panic, no retry loop and
/// no bytes handed out.
#[tokio::test]
async fn a_cdn_redirect_is_a_clear_unsupported_error() {
    let mock = Arc::new(Mock::new(2).serving(vec![5; 3 * MIB]).redirecting_to_cdn());
    let mut out = Vec::new();
    let error = no_hang(
        "download",
        download::download(
            Arc::clone(&mock),
            &location(Some(3 * MIB as u64)),
            ..,
            &mut out,
            &DownloadOptions::default(),
        ),
    )
    .await
    .expect_err("a redirect cannot be followed");
    let Error::Unsupported(message) = &error else {
        panic!("expected Unsupported, got {error}");
    };
    assert!(message.contains("CDN"), "{message}");
    assert!(out.is_empty(), "no bytes were handed out");
    let redirects = mock.get_files().len();
    assert!(
        (1..=6).contains(&redirects),
        "each chunk in flight asked once, none again: {redirects}"
    );
}
