//! The download executor: runs a range plan with a window of `getFile`
//! requests in flight over several connections, checks every part against
//! the SHA-256 hashes the server publishes, and writes the bytes in order,
//! at their positions in a file, or through a seekable reader.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::ops::{Bound, Range, RangeBounds};
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use grammers_tl_types as tl;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncSeek, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::{Mutex, OnceCell, mpsc};
use tokio::task::{JoinHandle, JoinSet};
use tracing::{debug, info, warn};

use super::plan::{DownloadChunk, DownloadMode, DownloadPlan, DownloadPlanError};
use super::{BoxFuture, CancelToken, Progress, ProgressFn, TransferApi, call};
use crate::error::{Error, Result};

/// Default bytes of `getFile` answers in flight or waiting to be written.
pub const DEFAULT_DOWNLOAD_WINDOW: usize = 8 * 1024 * 1024;
use super::limits::{HASH_BLOCK, MAX_GET_FILE_LIMIT};
use super::recovery::{self, Attempts, Recovery};

/// `getFileHashes` calls allowed to cover one 1 MiB block (Telegram needs
/// one: it answers eight 128 KiB parts).
const MAX_HASH_CALLS_PER_BLOCK: u32 = 32;

/// Where a file is: the input location, its DC and, if known, its size.
#[derive(Debug, Clone, PartialEq)]
pub struct FileLocation {
    /// The `InputFileLocation` to pass to `upload.getFile`.
    pub location: tl::enums::InputFileLocation,
    /// The DC the file is stored on.
    pub dc_id: i32,
    /// The file's size in bytes, if known.
    pub size: Option<u64>,
}

/// Re-fetches a file's location when its `file_reference` expired, e.g. by
/// fetching the message or document again.
pub trait LocationRefresher: Send + Sync {
    /// A location for the same file with a fresh reference.
    fn refresh<'a>(
        &'a self,
        stale: &'a tl::enums::InputFileLocation,
    ) -> BoxFuture<'a, Result<tl::enums::InputFileLocation>>;
}

/// Adapts a closure into a [`LocationRefresher`].
pub struct RefreshWith<F>(pub F);

impl<F, Fut> LocationRefresher for RefreshWith<F>
where
    F: Fn(tl::enums::InputFileLocation) -> Fut + Send + Sync,
    Fut: Future<Output = Result<tl::enums::InputFileLocation>> + Send + 'static,
{
    fn refresh<'a>(
        &'a self,
        stale: &'a tl::enums::InputFileLocation,
    ) -> BoxFuture<'a, Result<tl::enums::InputFileLocation>> {
        Box::pin((self.0)(stale.clone()))
    }
}

/// How to run a download.
#[derive(Clone)]
pub struct DownloadOptions {
    /// Precise or non-precise `getFile` requests.
    pub mode: DownloadMode,
    /// Check every downloaded part against `upload.getFileHashes` (on by default).
    pub verify: bool,
    /// Bytes in flight or waiting to be written, over all connections.
    pub window_bytes: usize,
    /// Called with the bytes written so far after each chunk.
    pub progress: Option<ProgressFn>,
    /// Cancels the download (with [`Error::Cancelled`]) when triggered.
    pub cancel: Option<CancelToken>,
    /// Asked for a new location when the file reference expires. Without
    /// one, the download fails with Telegram's `FILE_REFERENCE_*` error.
    pub refresher: Option<Arc<dyn LocationRefresher>>,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        Self {
            mode: DownloadMode::NonPrecise,
            verify: true,
            window_bytes: DEFAULT_DOWNLOAD_WINDOW,
            progress: None,
            cancel: None,
            refresher: None,
        }
    }
}

impl std::fmt::Debug for DownloadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadOptions")
            .field("mode", &self.mode)
            .field("verify", &self.verify)
            .field("window_bytes", &self.window_bytes)
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .field("refresher", &self.refresher.is_some())
            .finish()
    }
}

/// What a finished download did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DownloadReport {
    /// Bytes handed to the caller: exactly the requested range.
    pub bytes: u64,
    /// Bytes checked against the server's SHA-256 hashes.
    pub verified_bytes: u64,
    /// `upload.getFile` requests sent (retries included).
    pub requests: u64,
    /// Chunks fetched a second time after a hash mismatch.
    pub refetched_chunks: u64,
    /// The DC the file was finally read from.
    pub dc_id: i32,
}

fn plan_error(error: DownloadPlanError) -> Error {
    Error::InvalidInput(error.to_string())
}

/// The location and DC every request uses; replaced on migration or refresh.
#[derive(Clone)]
struct Target {
    location: tl::enums::InputFileLocation,
    dc_id: i32,
    generation: u64,
}

/// One published hash: SHA-256 of `limit` bytes at `offset`.
#[derive(Clone)]
struct PartHash {
    limit: u64,
    sha256: Vec<u8>,
}

/// State shared by a download's tasks.
struct Shared<A: TransferApi> {
    api: Arc<A>,
    target: RwLock<Target>,
    refresher: Option<Arc<dyn LocationRefresher>>,
    refreshing: Mutex<()>,
    precise: bool,
    /// Published hashes by offset, and one cell per 1 MiB block so that
    /// concurrent chunks of a block share one `getFileHashes` call.
    hashes: std::sync::Mutex<BTreeMap<u64, PartHash>>,
    hash_blocks: std::sync::Mutex<HashMap<u64, Arc<OnceCell<()>>>>,
    /// The connection hash requests use: one beyond the data lanes, so they
    /// never queue behind 512 KiB answers.
    hash_lane: usize,
    /// Set when the server publishes no hashes for this file (a 400 from
    /// `getFileHashes`): the download goes on unverified, and says so.
    hashes_unavailable: std::sync::atomic::AtomicBool,
    /// `getFile` requests sent, retries included.
    requests: AtomicU64,
}

impl<A: TransferApi> Shared<A> {
    fn target(&self) -> Target {
        self.target
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn migrate(&self, dc_id: i32) {
        let mut target = self.target.write().unwrap_or_else(|e| e.into_inner());
        if target.dc_id != dc_id {
            info!(from = target.dc_id, to = dc_id, "file lives on another DC");
            target.dc_id = dc_id;
        }
    }

    /// Asks the refresher for a fresh location after `error` (a
    /// `FILE_REFERENCE_*` error); without a refresher, `error` is the answer.
    async fn refresh(&self, seen_generation: u64, error: Error) -> Result<()> {
        let Some(refresher) = &self.refresher else {
            debug!("the file reference expired and no refresher was given");
            return Err(error);
        };
        let _one_at_a_time = self.refreshing.lock().await;
        let stale = self.target();
        if stale.generation != seen_generation {
            // Another request already refreshed it.
            return Ok(());
        }
        info!("file reference expired; asking for a fresh location");
        let fresh = refresher.refresh(&stale.location).await?;
        let mut target = self.target.write().unwrap_or_else(|e| e.into_inner());
        target.location = fresh;
        target.generation += 1;
        Ok(())
    }

    /// Sends a request naming the file's location, following migrations,
    /// refreshing expired references and retrying transient failures.
    /// `sent` counts every attempt, if given.
    async fn call_located<R, F>(
        &self,
        lane: usize,
        sent: Option<&AtomicU64>,
        make: F,
    ) -> Result<R::Return>
    where
        R: tl::RemoteCall,
        F: Fn(tl::enums::InputFileLocation) -> R,
    {
        let mut attempts = Attempts::default();
        loop {
            let target = self.target();
            if let Some(sent) = sent {
                sent.fetch_add(1, AtomicOrdering::Relaxed);
            }
            let result = call(
                self.api.as_ref(),
                target.dc_id,
                lane,
                &make(target.location),
            )
            .await;
            let error = match result {
                Ok(answer) => return Ok(answer),
                Err(e) => e,
            };
            let recovery = recovery::decide(recovery::Request::Located, &error, &attempts);
            debug!(?recovery, "a request for the file failed: {error}");
            match recovery {
                Recovery::MigrateTo(dc_id) => self.migrate(dc_id),
                Recovery::RefreshReference => self.refresh(target.generation, error).await?,
                Recovery::RetryAfter(pause) => tokio::time::sleep(pause).await,
                Recovery::Authorize => self.api.authorize_dc(target.dc_id).await?,
                Recovery::ResendPart(_) | Recovery::Fail => return Err(error),
            }
            attempts.record(recovery);
        }
    }

    async fn get_file(&self, lane: usize, offset: u64, limit: u32) -> Result<Bytes> {
        let precise = self.precise;
        let answer = self
            .call_located(lane, Some(&self.requests), |location| {
                tl::functions::upload::GetFile {
                    precise,
                    cdn_supported: false,
                    location,
                    offset: offset as i64,
                    limit: limit as i32,
                }
            })
            .await?;
        match answer {
            tl::enums::upload::File::File(file) => Ok(Bytes::from(file.bytes)),
            tl::enums::upload::File::CdnRedirect(_) => Err(Error::Unsupported(
                "the file is served by a CDN DC, which tgcmd does not download from yet".into(),
            )),
        }
    }

    /// Makes sure the hashes of the 1 MiB block at `block` are known.
    async fn ensure_hashes(&self, block: u64) -> Result<()> {
        let lane = self.hash_lane;
        let cell = {
            let mut blocks = self.hash_blocks.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(blocks.entry(block).or_default())
        };
        cell.get_or_try_init(|| async {
            let block_end = block + HASH_BLOCK;
            let mut offset = block;
            let mut calls = 0;
            while offset < block_end {
                calls += 1;
                if calls > MAX_HASH_CALLS_PER_BLOCK {
                    // Each answer moved a little: a server handing out
                    // tiny hash parts would need a million calls.
                    return Err(Error::Protocol(format!(
                        "the server's hashes for the block at {block} do not cover it \
                         after {MAX_HASH_CALLS_PER_BLOCK} calls"
                    )));
                }
                let hashes = self
                    .call_located(lane, None, |location| {
                        tl::functions::upload::GetFileHashes {
                            location,
                            offset: offset as i64,
                        }
                    })
                    .await?;
                let mut next = offset;
                {
                    let mut known = self.hashes.lock().unwrap_or_else(|e| e.into_inner());
                    for tl::enums::FileHash::Hash(hash) in hashes {
                        let (Ok(start), Ok(limit)) =
                            (u64::try_from(hash.offset), u64::try_from(hash.limit))
                        else {
                            continue;
                        };
                        // Hash parts are at most one block long (128 KiB in
                        // practice); an empty or longer one cannot be
                        // checked against and would widen ranges without
                        // bound.
                        if limit == 0 || limit > HASH_BLOCK {
                            continue;
                        }
                        next = next.max(start + limit);
                        known.insert(
                            start,
                            PartHash {
                                limit,
                                sha256: hash.hash,
                            },
                        );
                    }
                }
                if next <= offset {
                    break; // End of file: no more hashes.
                }
                offset = next;
            }
            Ok::<(), Error>(())
        })
        .await?;
        Ok(())
    }

    /// Checks `data` (read at `offset` with `limit`) against every hash it
    /// fully covers. Returns the number of bytes verified, or `None` when
    /// the data is wrong.
    ///
    /// An answer shorter than `limit` says the file ends at `offset +
    /// data.len()`. The published hashes must agree: a hash part that runs
    /// past that end, or starts at it, means the answer was cut short, and
    /// handing it out would end the file early.
    async fn verify(&self, offset: u64, data: &[u8], limit: u32) -> Result<Option<u64>> {
        let end = offset + data.len() as u64;
        let claims_eof = data.len() < limit as usize;
        if self.hashes_unavailable.load(AtomicOrdering::Relaxed) {
            return Ok(Some(0));
        }
        let mut block = offset / HASH_BLOCK * HASH_BLOCK;
        while block < end {
            match self.ensure_hashes(block).await {
                Ok(()) => {}
                // A server that publishes no hashes for the file says so on
                // the first request. One that published some and then
                // refuses is not believed: verification cannot be turned
                // off halfway by a lying server.
                Err(e) if recovery::hashes_unavailable(&e) && self.no_hash_known() => {
                    if !self.hashes_unavailable.swap(true, AtomicOrdering::Relaxed) {
                        warn!("the server publishes no hashes for this file ({e}); not verifying");
                    }
                    return Ok(Some(0));
                }
                Err(e) => return Err(e),
            }
            block += HASH_BLOCK;
        }
        if claims_eof && end.is_multiple_of(HASH_BLOCK) {
            // The block starting at the claimed end: at a real end of file
            // the server publishes no hashes there (an empty list).
            match self.ensure_hashes(end).await {
                Ok(()) => {}
                Err(e) if recovery::hashes_unavailable(&e) && self.no_hash_known() => {
                    if !self.hashes_unavailable.swap(true, AtomicOrdering::Relaxed) {
                        warn!("the server publishes no hashes for this file ({e}); not verifying");
                    }
                    return Ok(Some(0));
                }
                // It published hashes before but will not say the file
                // ends here: the end is not proven.
                Err(e) if recovery::hashes_unavailable(&e) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        let known = self.hashes.lock().unwrap_or_else(|e| e.into_inner());
        if claims_eof {
            let straddles = known
                .range(..end)
                .next_back()
                .is_some_and(|(&start, hash)| start.saturating_add(hash.limit) > end);
            let continues = known.range(end..).next().is_some();
            if straddles || continues {
                warn!(
                    offset,
                    len = data.len(),
                    "the answer ends the file where the published hashes do not"
                );
                return Ok(None);
            }
        }
        let mut verified = 0;
        for (&start, hash) in known.range(offset..end) {
            let Some(stop) = start.checked_add(hash.limit).filter(|&s| s <= end) else {
                continue;
            };
            let slice = &data[(start - offset) as usize..(stop - offset) as usize];
            if Sha256::digest(slice).as_slice() != hash.sha256.as_slice() {
                warn!(
                    offset = start,
                    len = hash.limit,
                    "downloaded part does not match its hash"
                );
                return Ok(None);
            }
            verified += hash.limit;
        }
        // Hash parts are whole 128 KiB pieces of the file and chunks are
        // made of whole pieces, so every byte of an honest answer is
        // covered. Bytes no hash covers (junk after the last part, say)
        // are not handed out.
        if verified != data.len() as u64 {
            warn!(
                offset,
                len = data.len(),
                verified,
                "part of the answer is covered by no published hash"
            );
            return Ok(None);
        }
        Ok(Some(verified))
    }

    fn no_hash_known(&self) -> bool {
        self.hashes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    /// Whether an answer can be handed out: `Some(bytes verified)`, or
    /// `None` when it is longer than asked for or fails verification.
    async fn check(&self, chunk: &DownloadChunk, data: &[u8], verify: bool) -> Result<Option<u64>> {
        if data.len() > chunk.limit() as usize {
            warn!(
                offset = chunk.offset(),
                len = data.len(),
                limit = chunk.limit(),
                "getFile answered more bytes than asked for"
            );
            return Ok(None);
        }
        if !verify {
            return Ok(Some(0));
        }
        self.verify(chunk.offset(), data, chunk.limit()).await
    }
}

/// The outcome of one chunk's task.
struct Fetched {
    chunk: DownloadChunk,
    data: Bytes,
    verified: u64,
    refetched: bool,
}

async fn fetch_chunk<A: TransferApi>(
    shared: Arc<Shared<A>>,
    chunk: DownloadChunk,
    lane: usize,
    verify: bool,
) -> Result<Fetched> {
    let data = shared.get_file(lane, chunk.offset(), chunk.limit()).await?;
    if let Some(verified) = shared.check(&chunk, &data, verify).await? {
        return Ok(Fetched {
            chunk,
            data,
            verified,
            refetched: false,
        });
    }
    // One more try: the first copy may have been damaged on the way.
    let data = shared.get_file(lane, chunk.offset(), chunk.limit()).await?;
    match shared.check(&chunk, &data, verify).await? {
        Some(verified) => Ok(Fetched {
            chunk,
            data,
            verified,
            refetched: true,
        }),
        None if data.len() > chunk.limit() as usize => Err(Error::Protocol(format!(
            "getFile answered {} bytes at offset {} for a limit of {}, twice",
            data.len(),
            chunk.offset(),
            chunk.limit()
        ))),
        None => Err(Error::HashMismatch {
            offset: chunk.offset(),
            len: data.len() as u64,
        }),
    }
}

/// Where downloaded bytes go. Chunks may arrive out of order.
trait ChunkSink: Send {
    /// Takes the bytes at file offset `offset`.
    fn accept(&mut self, offset: u64, data: Bytes) -> impl Future<Output = io::Result<()>> + Send;
    /// Bytes accepted but not yet written out (they count against the window).
    fn buffered(&self) -> u64;
    /// Called once after the last chunk.
    fn finish(&mut self) -> impl Future<Output = io::Result<()>> + Send;
}

/// Where an [`OrderedSink`] puts bytes once they are in order.
trait OrderedOutput: Send {
    fn put(&mut self, data: Bytes) -> impl Future<Output = io::Result<()>> + Send;
    fn flush(&mut self) -> impl Future<Output = io::Result<()>> + Send;
}

/// An `AsyncWrite` as an [`OrderedOutput`].
struct WriterOutput<W>(W);

impl<W: AsyncWrite + Unpin + Send> OrderedOutput for WriterOutput<W> {
    async fn put(&mut self, data: Bytes) -> io::Result<()> {
        self.0.write_all(&data).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.0.flush().await
    }
}

/// A channel to a [`RemoteFile`] as an [`OrderedOutput`].
struct ChannelOutput(mpsc::Sender<Result<Bytes>>);

impl OrderedOutput for ChannelOutput {
    async fn put(&mut self, data: Bytes) -> io::Result<()> {
        self.0
            .send(Ok(data))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the reader is gone"))
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Passes chunks on in file order, holding early ones back.
struct OrderedSink<O> {
    output: O,
    next: u64,
    pending: BTreeMap<u64, Bytes>,
    pending_bytes: u64,
}

impl<O> OrderedSink<O> {
    fn new(output: O, start: u64) -> Self {
        Self {
            output,
            next: start,
            pending: BTreeMap::new(),
            pending_bytes: 0,
        }
    }
}

impl<O: OrderedOutput> ChunkSink for OrderedSink<O> {
    async fn accept(&mut self, offset: u64, data: Bytes) -> io::Result<()> {
        self.pending_bytes += data.len() as u64;
        self.pending.insert(offset, data);
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() != self.next {
                break;
            }
            let data = entry.remove();
            self.pending_bytes -= data.len() as u64;
            self.next += data.len() as u64;
            self.output.put(data).await?;
        }
        Ok(())
    }

    fn buffered(&self) -> u64 {
        self.pending_bytes
    }

    async fn finish(&mut self) -> io::Result<()> {
        self.output.flush().await
    }
}

/// Writes each chunk at its position in a file, in any order.
struct PositionedSink {
    file: Arc<std::fs::File>,
    base: u64,
}

impl ChunkSink for PositionedSink {
    async fn accept(&mut self, offset: u64, data: Bytes) -> io::Result<()> {
        let file = Arc::clone(&self.file);
        let at = offset - self.base;
        tokio::task::spawn_blocking(move || write_at(&file, &data, at))
            .await
            .map_err(io::Error::other)?
    }

    fn buffered(&self) -> u64 {
        0
    }

    async fn finish(&mut self) -> io::Result<()> {
        let file = Arc::clone(&self.file);
        tokio::task::spawn_blocking(move || file.sync_data())
            .await
            .map_err(io::Error::other)?
    }
}

#[cfg(unix)]
fn write_at(file: &std::fs::File, data: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, data, offset)
}

#[cfg(not(unix))]
fn write_at(file: &std::fs::File, data: &[u8], offset: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    let mut file = file;
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(data)
}

/// `(start, end)` of a `RangeBounds`, end exclusive.
fn bounds(range: impl RangeBounds<u64>) -> Result<(u64, Option<u64>)> {
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s
            .checked_add(1)
            .ok_or_else(|| Error::invalid_input("range start overflows"))?,
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => Some(
            e.checked_add(1)
                .ok_or_else(|| Error::invalid_input("range end overflows"))?,
        ),
        Bound::Excluded(&e) => Some(e),
        Bound::Unbounded => None,
    };
    Ok((start, end))
}

/// Runs a download of `range` of `file` into `sink`.
async fn run<A: TransferApi, S: ChunkSink>(
    api: Arc<A>,
    file: &FileLocation,
    (start, end): (u64, Option<u64>),
    options: &DownloadOptions,
    sink: &mut S,
) -> Result<DownloadReport> {
    if options
        .cancel
        .as_ref()
        .is_some_and(CancelToken::is_cancelled)
    {
        return Err(Error::Cancelled);
    }
    // Validate the caller's range before anything is sent.
    make_plan(file.size, start, end, options.mode)?;
    // An open end with an unknown size reads to EOF, wherever that is.
    let wanted = start..end.or(file.size).unwrap_or(u64::MAX);
    if wanted.is_empty() {
        return Ok(DownloadReport {
            dc_id: file.dc_id,
            ..DownloadReport::default()
        });
    }

    let shared = Arc::new(Shared {
        api: Arc::clone(&api),
        target: RwLock::new(Target {
            location: file.location.clone(),
            dc_id: file.dc_id,
            generation: 0,
        }),
        refresher: options.refresher.clone(),
        refreshing: Mutex::new(()),
        precise: options.mode.is_precise(),
        hashes: Default::default(),
        hash_blocks: Default::default(),
        hash_lane: api.lanes().max(1),
        hashes_unavailable: Default::default(),
        requests: Default::default(),
    });
    let lanes = api.lanes().max(1);

    // Verification needs whole hash parts, so widen the fetched range to
    // the parts that contain its ends; the extra bytes are not handed out.
    let mut fetch = wanted.clone();
    let verify = options.verify;
    if verify {
        match widen_to_hash_parts(&shared, &wanted, file.size).await {
            Ok(widened) => fetch = widened,
            Err(e) if recovery::hashes_unavailable(&e) => {
                warn!("the server publishes no hashes for this file ({e}); not verifying");
                shared
                    .hashes_unavailable
                    .store(true, AtomicOrdering::Relaxed);
            }
            Err(e) => return Err(e),
        }
    }
    // Hashes are asked for as soon as a block's first chunk goes out, so
    // they are there when its data arrives.
    let mut prefetches: JoinSet<()> = JoinSet::new();
    let mut last_prefetched: Option<u64> = None;
    let fetch_end = (fetch.end != u64::MAX).then_some(fetch.end);
    let mut plan = make_plan(file.size, fetch.start, fetch_end, options.mode)?;

    let window = options.window_bytes.max(1) as u64;
    let mut tasks: JoinSet<Result<Fetched>> = JoinSet::new();
    let mut in_flight = 0u64;
    let mut lane = 0usize;
    let mut report = DownloadReport::default();
    let total = end.or(file.size).map(|e| e - start);
    // The next chunk to send, taken from the plan but waiting for room in
    // the window.
    let mut next: Option<DownloadChunk> = None;
    loop {
        // Send chunks while they fit in the window; one at least, so a
        // window smaller than a chunk still makes progress.
        loop {
            if next.is_none() {
                next = plan.next();
            }
            let Some(chunk) = next.take_if(|chunk| {
                tasks.is_empty() || in_flight + sink.buffered() + u64::from(chunk.limit()) <= window
            }) else {
                break;
            };
            in_flight += u64::from(chunk.limit());
            let block = chunk.offset() / HASH_BLOCK * HASH_BLOCK;
            if verify && last_prefetched != Some(block) {
                last_prefetched = Some(block);
                let shared = Arc::clone(&shared);
                // A failure here is retried by the chunk's own verification.
                prefetches.spawn(async move {
                    let _ = shared.ensure_hashes(block).await;
                });
            }
            tasks.spawn(fetch_chunk(Arc::clone(&shared), chunk, lane, verify));
            lane = (lane + 1) % lanes;
        }
        let joined = tokio::select! {
            joined = tasks.join_next() => joined,
            _ = super::cancelled(options.cancel.as_ref()) => return Err(Error::Cancelled),
        };
        let Some(joined) = joined else { break };
        let fetched =
            joined.map_err(|e| Error::Protocol(format!("download task failed: {e}")))??;
        in_flight -= u64::from(fetched.chunk.limit());
        report.verified_bytes += fetched.verified;
        report.refetched_chunks += u64::from(fetched.refetched);

        let chunk = &fetched.chunk;
        if let Some(size) = file.size {
            let expected = u64::from(chunk.limit()).min(size.saturating_sub(chunk.offset()));
            if (fetched.data.len() as u64) < expected {
                return Err(Error::Protocol(format!(
                    "the server returned {} bytes at offset {}, expected {expected}",
                    fetched.data.len(),
                    chunk.offset()
                )));
            }
        }
        if plan.record_response(chunk, fetched.data.len())
            && let Some(eof) = plan.file_size()
        {
            // The end of the file is known now: the chunk waiting for room
            // would come back empty.
            next = next.filter(|waiting| waiting.offset() < eof);
        }
        let kept = chunk.kept(&fetched.data);
        let kept_start = chunk.file_range().start;
        let kept_range = kept_start..kept_start + kept.len() as u64;
        let useful = kept_range.start.max(wanted.start)..kept_range.end.min(wanted.end);
        if useful.is_empty() {
            continue;
        }
        let from = (useful.start - kept_start) as usize;
        let bytes = fetched
            .data
            .slice_ref(&kept[from..from + (useful.end - useful.start) as usize]);
        report.bytes += bytes.len() as u64;
        sink.accept(useful.start, bytes).await?;
        if let Some(progress) = &options.progress {
            progress(Progress {
                done: report.bytes,
                total,
            });
        }
    }
    if sink.buffered() > 0 {
        // Bytes past a hole no answer filled: the server's answers
        // disagree about where the file ends. Never hand out a file with a
        // hole in it.
        return Err(Error::Protocol(format!(
            "the download ended with a gap at offset {}",
            start + report.bytes - sink.buffered()
        )));
    }
    sink.finish().await?;
    report.requests = shared.requests.load(AtomicOrdering::Relaxed);
    report.dc_id = shared.target().dc_id;
    debug!(?report, "download complete");
    Ok(report)
}

fn make_plan(
    size: Option<u64>,
    start: u64,
    end: Option<u64>,
    mode: DownloadMode,
) -> Result<DownloadPlan> {
    let plan = match end {
        Some(end) => DownloadPlan::new(size, start..end, mode),
        None => DownloadPlan::new(size, start.., mode),
    }
    .map_err(plan_error)?;
    plan.with_max_request(MAX_GET_FILE_LIMIT)
        .ok_or_else(|| Error::Protocol("invalid request cap".into()))
}

/// The range covering whole hash parts around `wanted`. A range that starts
/// at 0 and runs to the end of the file needs no widening and costs no call;
/// otherwise the hashes of the blocks at both ends are fetched together.
async fn widen_to_hash_parts<A: TransferApi>(
    shared: &Shared<A>,
    wanted: &Range<u64>,
    size: Option<u64>,
) -> Result<Range<u64>> {
    let end = match size {
        Some(size) => wanted.end.min(size),
        None => wanted.end,
    };
    let widen_start = !wanted.start.is_multiple_of(HASH_BLOCK);
    let widen_end = end != u64::MAX && size != Some(end) && end > wanted.start;
    let block_of = |offset: u64| offset / HASH_BLOCK * HASH_BLOCK;
    let first = async {
        match widen_start {
            true => shared.ensure_hashes(block_of(wanted.start)).await,
            false => Ok(()),
        }
    };
    let last = async {
        match widen_end {
            true => shared.ensure_hashes(block_of(end - 1)).await,
            false => Ok(()),
        }
    };
    tokio::try_join!(first, last)?;
    let start = containing_start(shared, wanted.start);
    if !widen_end {
        return Ok(start..wanted.end);
    }
    let known = shared.hashes.lock().unwrap_or_else(|e| e.into_inner());
    let widened_end = known
        .range(..end)
        .next_back()
        .map(|(&s, h)| (s + h.limit).max(end))
        .unwrap_or(end);
    Ok(start..widened_end.min(size.unwrap_or(u64::MAX)))
}

fn containing_start<A: TransferApi>(shared: &Shared<A>, offset: u64) -> u64 {
    let known = shared.hashes.lock().unwrap_or_else(|e| e.into_inner());
    known
        .range(..=offset)
        .next_back()
        .filter(|(s, h)| offset < *s + h.limit)
        .map_or(offset, |(&s, _)| s)
}

/// Downloads `range` of `file` and writes it, in order, to `writer`.
pub async fn download<A: TransferApi, W: AsyncWrite + Unpin + Send>(
    api: Arc<A>,
    file: &FileLocation,
    range: impl RangeBounds<u64>,
    writer: W,
    options: &DownloadOptions,
) -> Result<DownloadReport> {
    let range = bounds(range)?;
    let mut sink = OrderedSink::new(WriterOutput(writer), range.0);
    run(api, file, range, options, &mut sink).await
}

/// Downloads the whole file into `path` with positioned writes (chunks are
/// written where they belong as they arrive).
///
/// The bytes go to a fresh temporary file with a unique name in `path`'s
/// directory (created with `O_EXCL`, so two downloads to the same path
/// never write into each other's file and no planted symlink is
/// followed). Once the download is complete and verified, the file is
/// synced, renamed over `path` and the directory synced. On an error, or
/// when the future is dropped, the temporary file is removed and whatever
/// was at `path` is left as it was. The new file gets the usual mode
/// (0666 less the umask), as a file the caller asked for.
pub async fn download_to_path<A: TransferApi>(
    api: Arc<A>,
    file: &FileLocation,
    path: impl AsRef<Path>,
    options: &DownloadOptions,
) -> Result<DownloadReport> {
    let path = path.as_ref().to_path_buf();
    let name = path
        .file_name()
        .ok_or_else(|| Error::invalid_input(format!("{} names no file", path.display())))?
        .to_string_lossy()
        .into_owned();
    let dir = crate::private_files::parent_dir(&path).to_path_buf();
    let (handle, partial) = {
        let size = file.size;
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || {
            let prefix = format!(".{name}.");
            let mut builder = tempfile::Builder::new();
            builder.prefix(&prefix).suffix(".part");
            #[cfg(unix)]
            builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
            let (handle, partial) = builder.tempfile_in(&dir)?.into_parts();
            if let Some(size) = size {
                handle.set_len(size)?;
            }
            io::Result::Ok((handle, partial))
        })
        .await
        .map_err(io::Error::other)??
    };
    let handle = Arc::new(handle);
    let mut sink = PositionedSink {
        file: Arc::clone(&handle),
        base: 0,
    };
    let report = run(api, file, (0, None), options, &mut sink).await?;
    drop(sink);
    tokio::task::spawn_blocking(move || {
        handle.sync_all()?;
        // Dropping `partial` on an error removes the temporary file.
        partial.persist(&path).map_err(|e| e.error)?;
        crate::private_files::sync_dir(&dir)
    })
    .await
    .map_err(io::Error::other)??;
    Ok(report)
}

/// A remote file as `AsyncRead + AsyncSeek`: reads stream from the DC with
/// read-ahead, and a seek restarts the stream at the new position. Handy
/// for serving HTTP Range requests.
pub struct RemoteFile<A: TransferApi> {
    api: Arc<A>,
    file: FileLocation,
    options: DownloadOptions,
    position: u64,
    stream: Option<Stream>,
}

struct Stream {
    chunks: mpsc::Receiver<Result<Bytes>>,
    current: Bytes,
    task: JoinHandle<()>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Chunks buffered ahead of the reader.
const READ_AHEAD_CHUNKS: usize = 4;

impl<A: TransferApi> RemoteFile<A> {
    /// A reader at offset 0. Nothing is fetched until the first read.
    pub fn new(api: Arc<A>, file: FileLocation, options: DownloadOptions) -> Self {
        Self {
            api,
            file,
            options,
            position: 0,
            stream: None,
        }
    }

    /// The file size, if known.
    pub fn size(&self) -> Option<u64> {
        self.file.size
    }

    /// The current read position.
    pub fn position(&self) -> u64 {
        self.position
    }

    fn start_stream(&mut self) -> Stream {
        let (tx, rx) = mpsc::channel(READ_AHEAD_CHUNKS);
        let api = Arc::clone(&self.api);
        let file = self.file.clone();
        let options = self.options.clone();
        let start = self.position;
        let task = tokio::spawn(async move {
            let mut sink = OrderedSink::new(ChannelOutput(tx.clone()), start);
            if let Err(e) = run(api, &file, (start, None), &options, &mut sink).await {
                let _ = tx.send(Err(e)).await;
            }
        });
        Stream {
            chunks: rx,
            current: Bytes::new(),
            task,
        }
    }
}

impl<A: TransferApi> AsyncRead for RemoteFile<A> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.file.size.is_some_and(|size| this.position >= size) {
            return Poll::Ready(Ok(()));
        }
        if this.stream.is_none() {
            this.stream = Some(this.start_stream());
        }
        let Some(stream) = this.stream.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        while stream.current.is_empty() {
            match ready!(stream.chunks.poll_recv(cx)) {
                Some(Ok(bytes)) => stream.current = bytes,
                Some(Err(e)) => {
                    // The stream is over; a later read starts a new one at
                    // the same position rather than reporting end of file.
                    this.stream = None;
                    return Poll::Ready(Err(io::Error::other(e)));
                }
                None => return Poll::Ready(Ok(())), // End of file.
            }
        }
        let n = stream.current.len().min(buf.remaining());
        buf.put_slice(&stream.current.split_to(n));
        this.position += n as u64;
        Poll::Ready(Ok(()))
    }
}

impl<A: TransferApi> AsyncSeek for RemoteFile<A> {
    fn start_seek(mut self: Pin<&mut Self>, position: io::SeekFrom) -> io::Result<()> {
        let this = &mut *self;
        let target = match position {
            io::SeekFrom::Start(n) => Some(n),
            io::SeekFrom::Current(d) => this.position.checked_add_signed(d),
            io::SeekFrom::End(d) => {
                let size = this.file.size.ok_or_else(|| {
                    io::Error::new(io::ErrorKind::Unsupported, "the file size is unknown")
                })?;
                size.checked_add_signed(d)
            }
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        let ahead = target.checked_sub(this.position);
        match (this.stream.as_mut(), ahead) {
            // Within what is already buffered: just skip forward.
            (Some(stream), Some(skip)) if skip <= stream.current.len() as u64 => {
                let _ = stream.current.split_to(skip as usize);
            }
            _ => this.stream = None,
        }
        this.position = target;
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Ok(self.position))
    }
}
