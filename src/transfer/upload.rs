//! The upload executor: reads the source part by part, keeps a window of
//! parts in flight over several connections (small files too), computes the
//! MD5 while streaming, and retries what failed.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use grammers_tl_types::{self as tl, Deserializable, Identifiable};
use md5::{Digest, Md5};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt};
use tokio::task::JoinSet;
use tracing::debug;

use super::plan::{UploadPlan, UploadPlanError};
use super::recovery::{self, Attempts, Recovery};
use super::{CancelToken, Progress, ProgressFn, TransferApi};
use crate::error::{Error, Result};
use crate::transfer::limits;
/// Kept at its old path; it lives in [`crate::types`].
pub use crate::types::UploadHandle;
use crate::types::part_fingerprint;

/// Default bytes of parts in flight at once, over all connections.
pub const DEFAULT_UPLOAD_WINDOW: usize = 8 * 1024 * 1024;

/// How to run an upload.
#[derive(Clone)]
pub struct UploadOptions {
    /// File name sent in `inputFile` (Telegram shows it for documents).
    pub name: String,
    /// Part size: a multiple of 1 KiB that divides 512 KiB.
    pub part_size: u32,
    /// Bytes of parts in flight at once, spread over the connections.
    pub window_bytes: usize,
    /// Called with the bytes confirmed so far as parts complete.
    pub progress: Option<ProgressFn>,
    /// Cancels the upload when triggered: [`Error::Cancelled`] before any
    /// part was sent, else [`Error::UploadInterrupted`] with that cause and
    /// the handle to resume from (see [`Error::is_cancelled`]).
    pub cancel: Option<CancelToken>,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self {
            name: "file".into(),
            part_size: limits::DEFAULT_PART_SIZE,
            window_bytes: DEFAULT_UPLOAD_WINDOW,
            progress: None,
            cancel: None,
        }
    }
}

impl std::fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadOptions")
            .field("name", &self.name)
            .field("part_size", &self.part_size)
            .field("window_bytes", &self.window_bytes)
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .finish()
    }
}

impl UploadOptions {
    /// Options with this file name and defaults otherwise.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}

/// A finished upload, ready for `messages.sendMedia` and friends.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// `inputFile` (with the MD5) or `inputFileBig`.
    pub input_file: tl::enums::InputFile,
    /// Size of the uploaded content in bytes.
    pub size: u64,
    /// Hex MD5 of the content, for small files.
    pub md5: Option<String>,
    /// How to resend parts if finalising reports `FILE_PART_X_MISSING`.
    pub handle: UploadHandle,
}

fn plan_error(error: UploadPlanError) -> Error {
    Error::InvalidInput(error.to_string())
}

/// One part's outcome, from its task.
struct PartDone {
    index: u32,
    len: u64,
    /// [`part_fingerprint`] of the bytes sent, for the handle.
    fingerprint: u64,
}

/// Reads up to `buf.len()` bytes, stopping early only at end of stream.
async fn read_full<R: AsyncRead + Unpin>(source: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = source.read(&mut buf[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

/// The next part of the source, `None` at its end.
async fn read_part<R: AsyncRead + Unpin>(
    source: &mut R,
    part_size: usize,
) -> Result<Option<Bytes>> {
    let mut buf = BytesMut::zeroed(part_size);
    let n = read_full(source, &mut buf).await?;
    buf.truncate(n);
    Ok((n > 0).then(|| buf.freeze()))
}

/// Checks what can be checked without the network (the part size, an
/// empty file, a cancelled token) and reads the first part, so that bad
/// input is refused before anything is sent.
async fn prepare<R: AsyncRead + Unpin>(
    source: &mut R,
    size: Option<u64>,
    part_size: u32,
    cancel: Option<&CancelToken>,
) -> Result<Bytes> {
    if cancel.is_some_and(CancelToken::is_cancelled) {
        return Err(Error::Cancelled);
    }
    // The account's part limit is not known yet; the largest possible one
    // still catches every other mistake.
    UploadPlan::new(size, part_size, limits::MAX_PART_COUNT).map_err(plan_error)?;
    match (read_part(source, part_size as usize).await?, size) {
        (Some(first), _) => Ok(first),
        (None, Some(size)) => Err(Error::invalid_input(format!(
            "the source is empty, not the {size} bytes announced"
        ))),
        (None, None) => Err(plan_error(UploadPlanError::EmptyFile)),
    }
}

/// `upload.saveFilePart` (or `saveBigFilePart` when `total` is given),
/// serialized straight from the part's bytes.
///
/// Going through grammers' request structs would copy the part twice more
/// (into the struct's `Vec`, then into the serialized body); this makes the
/// one copy every request needs.
fn save_part_body(file_id: i64, index: u32, total: Option<i32>, data: &[u8]) -> Bytes {
    let mut body = Vec::with_capacity(24 + data.len() + 8);
    match total {
        None => body.extend_from_slice(
            &<tl::functions::upload::SaveFilePart as Identifiable>::CONSTRUCTOR_ID.to_le_bytes(),
        ),
        Some(_) => body.extend_from_slice(
            &<tl::functions::upload::SaveBigFilePart as Identifiable>::CONSTRUCTOR_ID.to_le_bytes(),
        ),
    }
    body.extend_from_slice(&file_id.to_le_bytes());
    body.extend_from_slice(&(index as i32).to_le_bytes());
    if let Some(total) = total {
        body.extend_from_slice(&total.to_le_bytes());
    }
    // TL `bytes`: a 1-byte length below 254, else 0xfe and 3 length bytes;
    // then the data, padded to a multiple of 4.
    let header = if data.len() < 254 {
        body.push(data.len() as u8);
        1
    } else {
        body.push(0xfe);
        body.extend_from_slice(&(data.len() as u32).to_le_bytes()[..3]);
        4
    };
    body.extend_from_slice(data);
    body.resize(body.len() + (4 - (header + data.len()) % 4) % 4, 0);
    Bytes::from(body)
}

/// Saves one part, retrying flood waits and network failures.
async fn save_part<A: TransferApi + ?Sized>(
    api: &A,
    dc_id: i32,
    lane: usize,
    file_id: i64,
    index: u32,
    total: Option<i32>,
    bytes: Bytes,
) -> Result<()> {
    // Serialized once; retries share the same buffer, and the part's own
    // bytes are released here.
    let body = save_part_body(file_id, index, total, &bytes);
    drop(bytes);
    let mut attempts = Attempts::default();
    loop {
        let result = api
            .call_raw(dc_id, lane, body.clone())
            .await
            .and_then(|answer| {
                bool::from_bytes(&answer)
                    .map_err(|e| Error::Protocol(format!("bad answer to saveFilePart: {e}")))
            });
        let error = match result {
            Ok(true) => return Ok(()),
            Ok(false) => Error::Protocol(format!("the server refused part {index}")),
            Err(e) => e,
        };
        let recovery = recovery::decide(recovery::Request::SavePart, &error, &attempts);
        debug!(index, ?recovery, "saving a part failed: {error}");
        match recovery {
            Recovery::RetryAfter(pause) => tokio::time::sleep(pause).await,
            Recovery::Authorize => api.authorize_dc(dc_id).await?,
            _ => return Err(error),
        }
        attempts.record(recovery);
    }
}

/// What drives one upload: the plan, the file id and the parts to send.
struct Uploader<A: TransferApi> {
    api: Arc<A>,
    dc_id: i32,
    plan: UploadPlan,
    handle: UploadHandle,
    options: UploadOptions,
    /// Whether the server may hold parts of this file (a part went out, or
    /// the handle came from an earlier attempt).
    sent_any: bool,
}

impl<A: TransferApi> Uploader<A> {
    /// Runs an upload on the account's home DC (uploads always go there).
    async fn start<R: AsyncRead + Unpin + Send>(
        api: Arc<A>,
        plan: UploadPlan,
        handle: UploadHandle,
        options: UploadOptions,
        source: R,
        first: Bytes,
    ) -> Result<UploadedFile> {
        let dc_id = api.home_dc()?;
        Uploader {
            api,
            dc_id,
            plan,
            sent_any: !handle.confirmed.is_empty(),
            handle,
            options,
        }
        .run(source, first)
        .await
    }

    /// Runs the upload; `first` is the source's first part, already read
    /// (so an empty source is refused before anything is sent).
    ///
    /// Once the server may hold parts of the file, a failure of the
    /// network or the source, or a cancellation, comes back as
    /// [`Error::UploadInterrupted`] with the handle, so nothing the server
    /// confirmed has to be sent again.
    async fn run<R: AsyncRead + Unpin + Send>(
        mut self,
        source: R,
        first: Bytes,
    ) -> Result<UploadedFile> {
        match self.send_parts(source, first).await {
            Ok((input_file, size, md5)) => Ok(UploadedFile {
                input_file,
                size,
                md5,
                handle: self.handle,
            }),
            // A source that does not match its announced size cannot be
            // resumed from: that stays a plain `InvalidInput`.
            Err(cause) if self.sent_any && !cause.is_invalid_input() => {
                Err(Error::UploadInterrupted {
                    handle: Box::new(self.handle),
                    cause: Box::new(cause),
                })
            }
            Err(cause) => Err(cause),
        }
    }

    /// Sends every part not yet confirmed and builds the `InputFile`;
    /// returns it with the content's size and (small files) hex MD5.
    async fn send_parts<R: AsyncRead + Unpin + Send>(
        &mut self,
        mut source: R,
        first: Bytes,
    ) -> Result<(tl::enums::InputFile, u64, Option<String>)> {
        let part_size = self.plan.part_size() as usize;
        let big = self.plan.is_big();
        let mut md5 = (!big).then(Md5::new);
        let mut tasks: JoinSet<Result<PartDone>> = JoinSet::new();
        let mut in_flight = 0usize;
        let mut done = self
            .handle
            .confirmed
            .keys()
            .map(|&i| self.plan.part(i).map_or(0, |p| u64::from(p.len)))
            .sum::<u64>();
        let lanes = self.api.lanes().max(1);
        let window = self.options.window_bytes.max(part_size);
        let cancel = self.options.cancel.clone();

        // One part is read ahead so that, for a stream of unknown length,
        // the last part is known to be last when it is sent.
        let mut current = Some(first);
        let mut index: u32 = 0;
        let mut size: u64 = 0;
        loop {
            let Some(bytes) = current.take() else { break };
            if cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
                return Err(Error::Cancelled);
            }
            if let Some(md5) = md5.as_mut() {
                md5.update(&bytes);
            }
            size += bytes.len() as u64;
            let next = if bytes.len() == part_size {
                match read_part(&mut source, part_size).await {
                    Ok(next) => next,
                    Err(e) => {
                        // The parts already on the wire may still land;
                        // wait for them so the handle lists them.
                        self.settle(&mut tasks, cancel.as_ref()).await;
                        return Err(e);
                    }
                }
            } else {
                None
            };
            let is_last = next.is_none();
            if let Some(expected) = self.plan.file_size()
                && (size > expected || (is_last && size != expected))
            {
                return Err(Error::invalid_input(format!(
                    "the source is {}{size} bytes long, not the {expected} announced",
                    if size > expected { "at least " } else { "" }
                )));
            }
            if is_last && self.plan.total_parts().is_none() {
                self.plan = self.plan.finish(size).map_err(plan_error)?;
            }
            if self.handle.is_confirmed(index) {
                // Resuming: the server has this part; make sure the source
                // still holds the same bytes.
                if let Err(changed) = self.handle.check_unchanged(index, &bytes) {
                    self.settle(&mut tasks, cancel.as_ref()).await;
                    return Err(Error::invalid_input(changed.to_string()));
                }
            } else {
                while in_flight + bytes.len() > window && !tasks.is_empty() {
                    let finished = self.join_one(&mut tasks, cancel.as_ref()).await?;
                    in_flight -= finished.len as usize;
                    done += finished.len;
                    self.report(done);
                }
                // The progress callback may have cancelled the upload.
                if cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
                    return Err(Error::Cancelled);
                }
                in_flight += bytes.len();
                let total = big.then(|| self.plan.file_total_parts());
                let api = Arc::clone(&self.api);
                let (dc_id, file_id, len) = (self.dc_id, self.handle.file_id, bytes.len() as u64);
                let lane = index as usize % lanes;
                let fingerprint = part_fingerprint(&bytes);
                self.sent_any = true;
                tasks.spawn(async move {
                    save_part(api.as_ref(), dc_id, lane, file_id, index, total, bytes).await?;
                    Ok(PartDone {
                        index,
                        len,
                        fingerprint,
                    })
                });
            }
            current = next;
            index += 1;
        }
        while !tasks.is_empty() {
            let finished = self.join_one(&mut tasks, cancel.as_ref()).await?;
            done += finished.len;
            self.report(done);
        }

        let parts = self
            .plan
            .total_parts()
            .ok_or_else(|| Error::Protocol("upload ended without a part count".into()))?;
        let name = self.handle.name.clone();
        let md5 = md5.map(|m| {
            m.finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        });
        let input_file = match &md5 {
            Some(md5) => tl::types::InputFile {
                id: self.handle.file_id,
                parts: parts as i32,
                name,
                md5_checksum: md5.clone(),
            }
            .into(),
            None => tl::types::InputFileBig {
                id: self.handle.file_id,
                parts: parts as i32,
                name,
            }
            .into(),
        };
        debug!(size, parts, big, "upload complete");
        Ok((input_file, size, md5))
    }

    async fn join_one(
        &mut self,
        tasks: &mut JoinSet<Result<PartDone>>,
        cancel: Option<&CancelToken>,
    ) -> Result<PartDone> {
        let joined = tokio::select! {
            joined = tasks.join_next() => joined,
            _ = super::cancelled(cancel) => return Err(Error::Cancelled),
        };
        let outcome = match joined {
            Some(Ok(outcome)) => outcome,
            Some(Err(join_error)) => {
                Err(Error::Protocol(format!("upload task failed: {join_error}")))
            }
            None => Err(Error::Protocol("no upload task to wait for".into())),
        };
        let done = outcome?;
        self.handle.confirmed.insert(done.index, done.fingerprint);
        Ok(done)
    }

    /// Waits for the parts in flight and records those that were
    /// confirmed, ignoring failures: the upload is ending anyway.
    async fn settle(
        &mut self,
        tasks: &mut JoinSet<Result<PartDone>>,
        cancel: Option<&CancelToken>,
    ) {
        loop {
            let joined = tokio::select! {
                joined = tasks.join_next() => joined,
                _ = super::cancelled(cancel) => return,
            };
            match joined {
                Some(Ok(Ok(done))) => {
                    self.handle.confirmed.insert(done.index, done.fingerprint);
                }
                Some(_) => {}
                None => return,
            }
        }
    }

    fn report(&self, done: u64) {
        if let Some(progress) = &self.options.progress {
            progress(Progress {
                done,
                total: self.plan.file_size(),
            });
        }
    }
}

/// Uploads `source` (of `size` bytes, or unknown) and returns the
/// `InputFile` to use in media methods.
///
/// An empty source, an invalid part size or a cancelled token is refused
/// with nothing sent.
pub async fn upload<A: TransferApi, R: AsyncRead + Unpin + Send>(
    api: Arc<A>,
    mut source: R,
    size: Option<u64>,
    options: UploadOptions,
) -> Result<UploadedFile> {
    let first = prepare(
        &mut source,
        size,
        options.part_size,
        options.cancel.as_ref(),
    )
    .await?;
    let max_parts = api.max_upload_parts().await?;
    let plan = UploadPlan::new(size, options.part_size, max_parts).map_err(plan_error)?;
    let handle = UploadHandle::new(
        super::random_i64(),
        plan.part_size(),
        plan.is_big(),
        size,
        &options.name,
    );
    Uploader::start(api, plan, handle, options, source, first).await
}

/// Continues an interrupted upload: reads `source` from the start again
/// (small files need the whole content for the MD5) but sends only the
/// parts `handle` does not list as confirmed.
///
/// A confirmed part whose bytes differ from the fingerprint in the handle
/// ends the resume with [`Error::InvalidInput`]: the content changed, and
/// finalising would build a file from old and new parts.
pub async fn resume<A: TransferApi, R: AsyncRead + Unpin + Send>(
    api: Arc<A>,
    mut source: R,
    handle: UploadHandle,
    options: UploadOptions,
) -> Result<UploadedFile> {
    let first = prepare(
        &mut source,
        handle.size,
        handle.part_size,
        options.cancel.as_ref(),
    )
    .await?;
    let max_parts = api.max_upload_parts().await?;
    let plan = UploadPlan::new(handle.size, handle.part_size, max_parts).map_err(plan_error)?;
    if plan.is_big() != handle.big {
        return Err(Error::invalid_input(
            "the handle's upload method does not match its size",
        ));
    }
    Uploader::start(api, plan, handle, options, source, first).await
}

/// Sends parts `parts` of an upload again, e.g. after `FILE_PART_X_MISSING`.
/// `source` must be the same content, seekable.
pub async fn resend_parts<A: TransferApi, R: AsyncRead + AsyncSeek + Unpin + Send>(
    api: &A,
    mut source: R,
    uploaded: &UploadedFile,
    parts: &[u32],
) -> Result<()> {
    let handle = &uploaded.handle;
    let max_parts = api.max_upload_parts().await?;
    let plan =
        UploadPlan::new(Some(uploaded.size), handle.part_size, max_parts).map_err(plan_error)?;
    let dc_id = api.home_dc()?;
    for &index in parts {
        let part = plan
            .part(index)
            .ok_or_else(|| Error::invalid_input(format!("the file has no part {index}")))?;
        source.seek(std::io::SeekFrom::Start(part.offset)).await?;
        let mut buf = vec![0u8; part.len as usize];
        if read_full(&mut source, &mut buf).await? != buf.len() {
            return Err(Error::invalid_input(
                "the source is shorter than the upload",
            ));
        }
        let total = handle.big.then(|| plan.file_total_parts());
        save_part(
            api,
            dc_id,
            0,
            handle.file_id,
            index,
            total,
            Bytes::from(buf),
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use grammers_tl_types::Serializable;

    use super::*;

    #[test]
    fn part_bodies_match_grammers_serialization() {
        for len in [0usize, 1, 3, 253, 254, 255, 1024, 512 * 1024] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let small = tl::functions::upload::SaveFilePart {
                file_id: -5,
                file_part: 7,
                bytes: data.clone(),
            };
            assert_eq!(
                &save_part_body(-5, 7, None, &data)[..],
                &small.to_bytes()[..],
                "{len}"
            );
            let big = tl::functions::upload::SaveBigFilePart {
                file_id: 9,
                file_part: 3,
                file_total_parts: -1,
                bytes: data.clone(),
            };
            assert_eq!(
                &save_part_body(9, 3, Some(-1), &data)[..],
                &big.to_bytes()[..],
                "{len}"
            );
        }
    }
}
