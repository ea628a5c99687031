//! Pure transfer planning: which parts an upload sends and which `upload.getFile` requests
//! a download makes.
//!
//! Nothing here does IO or waits. The executors turn plans into RPCs; this module only
//! decides the numbers, and checks them against [`super::limits`] before anything is sent.
//!
//! - [`UploadPlan`] splits a file of known or unknown size into parts for
//!   `upload.saveFilePart` / `upload.saveBigFilePart`.
//! - [`DownloadPlan`] turns a byte range into `upload.getFile` requests, precise or not, and
//!   says which slice of each response belongs to the range.

use std::iter::FusedIterator;
use std::ops::{Bound, Range, RangeBounds};

use super::limits::{
    BIG_FILE_THRESHOLD, DEFAULT_PART_SIZE, DOWNLOAD_BLOCK_SIZE, MAX_DOWNLOAD_END, MAX_PART_COUNT,
    MAX_PART_SIZE, MAX_PRECISE_LIMIT, NON_PRECISE_ALIGNMENT, NON_PRECISE_LIMIT_DIVIDES,
    PART_SIZE_ALIGNMENT, PRECISE_ALIGNMENT, UPLOAD_MAX_FILEPARTS_DEFAULT,
};

/// [`DOWNLOAD_BLOCK_SIZE`] widened once, since all offset arithmetic is in `u64`.
const BLOCK: u64 = DOWNLOAD_BLOCK_SIZE as u64;

// =======================================================================================
// Uploads
// =======================================================================================

/// Which RPC uploads the parts, and so which `InputFile` constructor finishes the upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UploadMethod {
    /// `upload.saveFilePart`, finished with `inputFile` (which carries the MD5): files of
    /// at most [`BIG_FILE_THRESHOLD`] bytes.
    SaveFilePart,
    /// `upload.saveBigFilePart`, finished with `inputFileBig`: files larger than
    /// [`BIG_FILE_THRESHOLD`], and files whose size is not known up front.
    SaveBigFilePart,
}

impl UploadMethod {
    /// Whether this is the big-file method, `upload.saveBigFilePart`.
    pub const fn is_big(self) -> bool {
        matches!(self, Self::SaveBigFilePart)
    }
}

/// One part of an upload: its number and the bytes of the file it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UploadPart {
    /// The part number, sent as `file_part`; counts from 0.
    pub index: u32,
    /// Where the part starts in the file.
    pub offset: u64,
    /// How many bytes the part carries. Every part but the last is exactly the plan's part
    /// size; the last one may be shorter. For a file of unknown size this is the part size,
    /// an upper bound: the source may end sooner.
    pub len: u32,
}

impl UploadPart {
    /// The bytes of the file this part carries.
    pub fn range(&self) -> Range<u64> {
        self.offset..self.offset + u64::from(self.len)
    }
}

/// Why an upload cannot be planned. Every one of these is found before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UploadPlanError {
    /// The part size is zero.
    #[error("upload part size must not be zero; use a power of two from 1 KiB to 512 KiB")]
    ZeroPartSize,
    /// The part size is not a multiple of 1 KiB.
    #[error(
        "upload part size {part_size} is not a multiple of {PART_SIZE_ALIGNMENT} bytes (1 KiB)"
    )]
    PartSizeNotKibMultiple {
        /// The rejected part size.
        part_size: u32,
    },
    /// The part size does not divide 512 KiB evenly (Telegram: `FILE_PART_SIZE_INVALID`).
    #[error(
        "upload part size {part_size} does not divide {MAX_PART_SIZE} bytes (512 KiB) evenly; \
         use a power of two from 1 KiB to 512 KiB"
    )]
    PartSizeDoesNotDivide512Kib {
        /// The rejected part size.
        part_size: u32,
    },
    /// The part limit is zero or does not fit the wire format.
    #[error("upload part limit {max_parts} is invalid; it must be between 1 and {MAX_PART_COUNT}")]
    InvalidPartLimit {
        /// The rejected limit.
        max_parts: u32,
    },
    /// The file is empty. Telegram needs at least one non-empty part and answers an empty
    /// upload with `FILE_PARTS_INVALID`.
    #[error(
        "cannot upload an empty file: Telegram rejects uploads with no parts (FILE_PARTS_INVALID)"
    )]
    EmptyFile,
    /// The file needs more parts than the account may upload.
    #[error(
        "a {file_size}-byte file needs {needed} parts of {part_size} bytes, but this account \
         may upload at most {limit} parts per file"
    )]
    TooManyParts {
        /// The file's size in bytes.
        file_size: u64,
        /// The part size the plan used.
        part_size: u32,
        /// How many parts the file needs at that part size.
        needed: u64,
        /// How many parts the account may upload.
        limit: u32,
    },
    /// The source ended at a different size than the plan was made for (the file changed
    /// while it was being uploaded).
    #[error("the upload was planned for {planned} bytes but the source had {actual} bytes")]
    SizeChanged {
        /// The size the plan was made for.
        planned: u64,
        /// The size the source actually had.
        actual: u64,
    },
}

/// How an upload is split into parts, checked against Telegram's rules before anything is
/// sent.
///
/// The plan picks the method by the file's size, as the documentation says: more than
/// [`BIG_FILE_THRESHOLD`] (10 MiB) bytes means `upload.saveBigFilePart`, anything else
/// `upload.saveFilePart`. The part count does not matter for that choice (a 10 MiB file in
/// 512 KiB parts is 20 parts and still small).
///
/// When the size is not known (a stream), the plan uses `upload.saveBigFilePart`, because
/// it cannot know that the stream will stay small, and the part count stays unknown until
/// the stream ends; then [`finish`](Self::finish) gives the final plan.
///
/// # Examples
///
/// ```
/// use tgcmd::transfer::limits::{DEFAULT_PART_SIZE, UPLOAD_MAX_FILEPARTS_DEFAULT};
/// use tgcmd::transfer::plan::{UploadMethod, UploadPart, UploadPlan};
///
/// let plan = UploadPlan::new(Some(1_300_000), DEFAULT_PART_SIZE, UPLOAD_MAX_FILEPARTS_DEFAULT)?;
/// assert_eq!(plan.method(), UploadMethod::SaveFilePart);
/// assert_eq!(plan.total_parts(), Some(3));
/// assert_eq!(
///     plan.part(2),
///     Some(UploadPart { index: 2, offset: 1_048_576, len: 1_300_000 - 1_048_576 }),
/// );
/// assert_eq!(plan.parts().map(|part| u64::from(part.len)).sum::<u64>(), 1_300_000);
/// # Ok::<(), tgcmd::transfer::plan::UploadPlanError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPlan {
    file_size: Option<u64>,
    part_size: u32,
    method: UploadMethod,
    /// Known exactly when `file_size` is.
    total_parts: Option<u32>,
    max_parts: u32,
}

impl UploadPlan {
    /// Plans an upload of `file_size` bytes (`None` if the size is not known yet) in parts
    /// of `part_size` bytes, for an account that may upload at most `max_parts` parts per
    /// file.
    ///
    /// `max_parts` comes from `appConfig` (`upload_max_fileparts_default` or
    /// `upload_max_fileparts_premium`); [`super::limits`] has today's values.
    ///
    /// # Errors
    ///
    /// - the part size is zero, not a multiple of 1 KiB, or does not divide 512 KiB;
    /// - `max_parts` is zero or more than [`MAX_PART_COUNT`];
    /// - the size is known and is zero ([`UploadPlanError::EmptyFile`]);
    /// - the size is known and needs more than `max_parts` parts
    ///   ([`UploadPlanError::TooManyParts`]).
    pub fn new(
        file_size: Option<u64>,
        part_size: u32,
        max_parts: u32,
    ) -> Result<Self, UploadPlanError> {
        check_part_size(part_size)?;
        if max_parts == 0 || max_parts > MAX_PART_COUNT {
            return Err(UploadPlanError::InvalidPartLimit { max_parts });
        }
        let Some(file_size) = file_size else {
            return Ok(Self {
                file_size: None,
                part_size,
                method: UploadMethod::SaveBigFilePart,
                total_parts: None,
                max_parts,
            });
        };
        let total_parts = count_parts(file_size, part_size, max_parts)?;
        let method = if file_size > BIG_FILE_THRESHOLD {
            UploadMethod::SaveBigFilePart
        } else {
            UploadMethod::SaveFilePart
        };
        Ok(Self {
            file_size: Some(file_size),
            part_size,
            method,
            total_parts: Some(total_parts),
            max_parts,
        })
    }

    /// Plans an upload with the recommended part size ([`DEFAULT_PART_SIZE`], 512 KiB) and
    /// the default non-Premium part limit ([`UPLOAD_MAX_FILEPARTS_DEFAULT`]).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new): an empty file, or one of more than 4000 × 512 KiB bytes.
    pub fn with_default_limits(file_size: Option<u64>) -> Result<Self, UploadPlanError> {
        Self::new(file_size, DEFAULT_PART_SIZE, UPLOAD_MAX_FILEPARTS_DEFAULT)
    }

    /// The file's size, if known.
    pub fn file_size(&self) -> Option<u64> {
        self.file_size
    }

    /// The size of every part but the last.
    pub fn part_size(&self) -> u32 {
        self.part_size
    }

    /// The RPC that uploads the parts.
    pub fn method(&self) -> UploadMethod {
        self.method
    }

    /// Whether the parts go through `upload.saveBigFilePart` (and the upload finishes with
    /// `inputFileBig`).
    pub fn is_big(&self) -> bool {
        self.method.is_big()
    }

    /// How many parts the file has; `None` while the size is unknown.
    pub fn total_parts(&self) -> Option<u32> {
        self.total_parts
    }

    /// The most parts the account may upload for this file.
    pub fn max_parts(&self) -> u32 {
        self.max_parts
    }

    /// The value to send as `file_total_parts` in `upload.saveBigFilePart`: the part count,
    /// or `-1` while the size is unknown.
    ///
    /// The documentation does not say what to send before the total is known; `-1` is what
    /// TDLib sends for files that are still being written, and it sends the real count once
    /// it is known. Plans for a known size always return the real count.
    pub fn file_total_parts(&self) -> i32 {
        // total_parts <= max_parts <= MAX_PART_COUNT == i32::MAX, so this always converts.
        self.total_parts
            .map_or(-1, |total| i32::try_from(total).unwrap_or(i32::MAX))
    }

    /// The part numbered `index`, or `None` past the last part.
    ///
    /// For a file of unknown size, every index below [`max_parts`](Self::max_parts) is a
    /// part of [`part_size`](Self::part_size) bytes at most; the source decides where it
    /// ends. Data beyond the last of those parts means the file is too big for the account:
    /// [`finish`](Self::finish) with the size read so far reports it.
    pub fn part(&self, index: u32) -> Option<UploadPart> {
        if index >= self.total_parts.unwrap_or(self.max_parts) {
            return None;
        }
        let part_size = u64::from(self.part_size);
        let offset = u64::from(index) * part_size;
        let len = match self.file_size {
            // index < total_parts, so offset < file_size.
            Some(file_size) => narrow_to_u32((file_size - offset).min(part_size)),
            None => self.part_size,
        };
        Some(UploadPart { index, offset, len })
    }

    /// The parts in order: all of them for a known size, and the [`max_parts`] possible ones
    /// for an unknown size (stop when the source ends).
    ///
    /// [`max_parts`]: Self::max_parts
    pub fn parts(&self) -> UploadParts<'_> {
        UploadParts {
            plan: self,
            next_index: 0,
        }
    }

    /// The plan for a source that ended after `actual_size` bytes.
    ///
    /// For a plan made without a size, this fills in the size and part count, and keeps
    /// `upload.saveBigFilePart` even if the stream turned out to be small, since parts
    /// already sent went through that method. For a plan made with a size, it checks that
    /// the source had that size.
    ///
    /// # Errors
    ///
    /// [`UploadPlanError::EmptyFile`] if an unsized source was empty,
    /// [`UploadPlanError::TooManyParts`] if it was too big for the account, and
    /// [`UploadPlanError::SizeChanged`] if a sized source had a different size.
    ///
    /// # Examples
    ///
    /// ```
    /// use tgcmd::transfer::plan::UploadPlan;
    ///
    /// let streaming = UploadPlan::new(None, 512 * 1024, 4000)?;
    /// assert!(streaming.is_big());
    /// assert_eq!(streaming.file_total_parts(), -1);
    ///
    /// let done = streaming.finish(3 * 512 * 1024 + 7)?;
    /// assert!(done.is_big());
    /// assert_eq!(done.total_parts(), Some(4));
    /// assert_eq!(done.file_total_parts(), 4);
    /// # Ok::<(), tgcmd::transfer::plan::UploadPlanError>(())
    /// ```
    pub fn finish(&self, actual_size: u64) -> Result<Self, UploadPlanError> {
        match self.file_size {
            Some(planned) if planned != actual_size => Err(UploadPlanError::SizeChanged {
                planned,
                actual: actual_size,
            }),
            Some(_) => Ok(self.clone()),
            None => {
                let total_parts = count_parts(actual_size, self.part_size, self.max_parts)?;
                Ok(Self {
                    file_size: Some(actual_size),
                    total_parts: Some(total_parts),
                    ..self.clone()
                })
            }
        }
    }
}

/// The parts of an [`UploadPlan`] in order; see [`UploadPlan::parts`].
#[derive(Debug, Clone)]
pub struct UploadParts<'a> {
    plan: &'a UploadPlan,
    next_index: u32,
}

impl Iterator for UploadParts<'_> {
    type Item = UploadPart;

    fn next(&mut self) -> Option<UploadPart> {
        let part = self.plan.part(self.next_index)?;
        self.next_index += 1;
        Some(part)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let total = self.plan.total_parts.unwrap_or(self.plan.max_parts);
        let left = usize::try_from(total.saturating_sub(self.next_index)).ok();
        (left.unwrap_or(usize::MAX), left)
    }
}

impl ExactSizeIterator for UploadParts<'_> {}
impl FusedIterator for UploadParts<'_> {}

fn check_part_size(part_size: u32) -> Result<(), UploadPlanError> {
    if part_size == 0 {
        Err(UploadPlanError::ZeroPartSize)
    } else if !part_size.is_multiple_of(PART_SIZE_ALIGNMENT) {
        Err(UploadPlanError::PartSizeNotKibMultiple { part_size })
    } else if !MAX_PART_SIZE.is_multiple_of(part_size) {
        Err(UploadPlanError::PartSizeDoesNotDivide512Kib { part_size })
    } else {
        Ok(())
    }
}

/// How many parts of `part_size` bytes hold `file_size` bytes, if that is within the limit.
fn count_parts(file_size: u64, part_size: u32, max_parts: u32) -> Result<u32, UploadPlanError> {
    if file_size == 0 {
        return Err(UploadPlanError::EmptyFile);
    }
    let needed = file_size.div_ceil(u64::from(part_size));
    match u32::try_from(needed) {
        Ok(needed) if needed <= max_parts => Ok(needed),
        _ => Err(UploadPlanError::TooManyParts {
            file_size,
            part_size,
            needed,
            limit: max_parts,
        }),
    }
}

// =======================================================================================
// Downloads
// =======================================================================================

/// Whether `upload.getFile` requests set the `precise` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DownloadMode {
    /// No `precise` flag: `offset` and `limit` are multiples of 4 KiB and `limit` divides
    /// 1 MiB (a power of two from 4 KiB to 1 MiB).
    NonPrecise,
    /// The `precise` flag: `offset` and `limit` are multiples of 1 KiB and `limit` is at
    /// most 1 MiB.
    Precise,
}

impl DownloadMode {
    /// Whether requests in this mode set the `precise` flag.
    pub const fn is_precise(self) -> bool {
        matches!(self, Self::Precise)
    }

    /// What `offset` and `limit` must be multiples of in this mode.
    pub const fn alignment(self) -> u32 {
        match self {
            Self::NonPrecise => NON_PRECISE_ALIGNMENT,
            Self::Precise => PRECISE_ALIGNMENT,
        }
    }
}

/// The parameters of one `upload.getFile` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GetFileRequest {
    /// The `offset` parameter.
    pub offset: u64,
    /// The `limit` parameter.
    pub limit: u32,
    /// Whether the `precise` flag is set.
    pub precise: bool,
}

impl GetFileRequest {
    /// Whether Telegram's rules allow this request. Every request a [`DownloadPlan`] makes
    /// passes.
    ///
    /// A `limit` of zero asks for nothing and is never valid (it does not divide 1 MiB,
    /// and "the requested part" it would describe is empty).
    ///
    /// ```
    /// use tgcmd::transfer::plan::GetFileRequest;
    ///
    /// let request = |offset, limit, precise| GetFileRequest { offset, limit, precise };
    /// assert!(request(4096, 512 * 1024, false).is_valid());
    /// assert!(!request(4096, 12 * 1024, false).is_valid()); // 12 KiB does not divide 1 MiB
    /// assert!(request(4096, 12 * 1024, true).is_valid());
    /// assert!(!request(1024 * 1024 - 4096, 8192, true).is_valid()); // crosses 1 MiB
    /// ```
    pub fn is_valid(&self) -> bool {
        let (offset, limit) = (self.offset, u64::from(self.limit));
        if limit == 0 {
            return false;
        }
        let (alignment, limit_in_range) = if self.precise {
            (PRECISE_ALIGNMENT, limit <= u64::from(MAX_PRECISE_LIMIT))
        } else {
            (
                NON_PRECISE_ALIGNMENT,
                u64::from(NON_PRECISE_LIMIT_DIVIDES).is_multiple_of(limit),
            )
        };
        let alignment = u64::from(alignment);
        let Some(last_byte) = offset.checked_add(limit - 1) else {
            return false;
        };
        offset.is_multiple_of(alignment)
            && limit.is_multiple_of(alignment)
            && limit_in_range
            && last_byte < MAX_DOWNLOAD_END
            && offset / BLOCK == last_byte / BLOCK
    }
}

/// One planned `upload.getFile` call, and which part of its answer belongs to the range.
///
/// The response to a request starts at the request's offset, and is shorter than the
/// limit when the file ends inside the request. [`kept`](Self::kept) cuts the range's bytes
/// out of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DownloadChunk {
    request: GetFileRequest,
    /// Where the kept bytes start in the response.
    keep_start: u32,
    /// How many bytes of the response are kept (if the file is long enough).
    keep_len: u32,
}

impl DownloadChunk {
    /// The request to send.
    pub fn request(&self) -> GetFileRequest {
        self.request
    }

    /// The request's `offset`.
    pub fn offset(&self) -> u64 {
        self.request.offset
    }

    /// The request's `limit`.
    pub fn limit(&self) -> u32 {
        self.request.limit
    }

    /// The slice of a full response that belongs to the range.
    pub fn keep(&self) -> Range<usize> {
        let start = self.keep_start as usize;
        start..start + self.keep_len as usize
    }

    /// The bytes of the file this chunk contributes to the range (fewer if the file ends
    /// inside it, which only happens when the size was not known).
    pub fn file_range(&self) -> Range<u64> {
        let start = self.request.offset + u64::from(self.keep_start);
        start..start + u64::from(self.keep_len)
    }

    /// The part of `response` (the `bytes` of the `upload.file` answer to this request)
    /// that belongs to the range. A short response, at the end of the file, gives a
    /// shorter slice, possibly an empty one.
    pub fn kept<'a>(&self, response: &'a [u8]) -> &'a [u8] {
        let keep = self.keep();
        let end = keep.end.min(response.len());
        &response[keep.start.min(end)..end]
    }

    /// Whether a response of `response_len` bytes is shorter than asked for, which means the
    /// file ends at `offset + response_len`.
    pub fn is_short(&self, response_len: usize) -> bool {
        u64::try_from(response_len).is_ok_and(|len| len < u64::from(self.request.limit))
    }
}

/// Why a download range cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DownloadPlanError {
    /// The range's start comes after its end.
    #[error("byte range {start}..{end} is reversed: its start comes after its end")]
    ReversedRange {
        /// The first byte asked for.
        start: u64,
        /// One past the last byte asked for.
        end: u64,
    },
    /// The range starts after the end of the file.
    #[error("byte range starts at {start}, beyond the end of the {file_size}-byte file")]
    StartBeyondEof {
        /// The first byte asked for.
        start: u64,
        /// The file's size.
        file_size: u64,
    },
    /// The range ends after the end of the file.
    #[error("byte range ends at {end}, beyond the end of the {file_size}-byte file")]
    EndBeyondEof {
        /// One past the last byte asked for.
        end: u64,
        /// The file's size.
        file_size: u64,
    },
    /// The range reaches past 2^63, the most an `upload.getFile` offset can address.
    #[error(
        "byte range reaches beyond byte {MAX_DOWNLOAD_END}, the most upload.getFile's \
         64-bit signed offset can address"
    )]
    RangeTooLarge,
}

/// The `upload.getFile` requests that download a byte range, made one at a time.
///
/// A plan is an [`Iterator`] of [`DownloadChunk`]s, in file order. Each chunk says which
/// request to send and which slice of its response to keep; the kept slices, in order, are
/// exactly the range. When the file's size is not known and the range is open-ended, the
/// plan has no end of its own: tell it about every response with
/// [`record_response`](Self::record_response) (or about the end of the file with
/// [`note_eof`](Self::note_eof)) and it stops at the first short one.
///
/// # Which requests
///
/// Every request stays inside one 1 MiB block of the file (the rule no request may break),
/// and the plan makes exactly **one request per 1 MiB block the range touches**:
///
/// - *Precise*: the request covers the range's bytes in the block, widened to whole KiB.
/// - *Non-precise*: the request's limit is the smallest power of two (4 KiB to 1 MiB) that
///   covers those bytes widened to whole 4 KiB; it starts at the 4 KiB boundary at or before
///   the range, or further back if it would otherwise run past the block (then it ends at
///   the block's end). Limits need not line up with offsets: the documentation asks only for
///   4 KiB-aligned offsets, limits that divide 1 MiB, and no 1 MiB crossing, and this
///   planner asks for nothing more.
///
/// So a whole-file download is 1 MiB requests at multiples of 1 MiB
/// ([`DEFAULT_DOWNLOAD_CHUNK`](super::limits::DEFAULT_DOWNLOAD_CHUNK)), legal in both modes,
/// and only the first and last request of a range can be smaller.
///
/// # Why this is the fewest requests, and the least extra data
///
/// *Fewest.* No request may cross a multiple of 1 MiB, so every block the range touches
/// needs a request of its own: no plan has fewer requests than blocks. One per block
/// suffices: in a block `[B, B + 1 MiB)` the range's bytes `[a, b)`, widened to the mode's
/// alignment, span at most 1 MiB. In precise mode that span is itself a legal limit. In
/// non-precise mode the smallest power of two `L ≥ span` is legal (4 KiB ≤ L ≤ 1 MiB), and
/// the offset `o = min(a↓4K, B + 1 MiB − L)` is a multiple of 4 KiB, is at least `B`,
/// starts at or before the range, and ends at or after it (either `o = a↓4K` and
/// `o + L ≥ b↑4K`, or `o + L = B + 1 MiB ≥ b`), without leaving the block.
///
/// *Least extra data, given the fewest requests.* With one request per block, each request
/// must cover the block's part of the range by itself. Precise requests fetch only the
/// partial KiB at each end, which no legal request can avoid. A non-precise limit must be a
/// power of two no smaller than the span, so `L` is the smallest legal limit, and a larger
/// limit placed the same way only fetches a superset. For a given limit, the bytes the
/// server sends are `min(o + L, file size) − o`, which never grows as `o` grows, so the
/// latest legal offset is the best one, and that is `o` above.
///
/// The tests check both claims against a brute-force search over every legal request.
///
/// A greedy "largest legal limit at each offset" makes the same number of requests but can
/// fetch up to 1 MiB to deliver one byte. Splitting a block into several exact-size
/// requests would fetch less in non-precise mode (up to about 508 KiB less per request, and
/// only in the range's first and last block, since the blocks in between are fetched
/// whole) at the cost of more round trips; the documented goal is the fewest requests, so
/// the planner does not.
///
/// # The end of the file
///
/// Bytes past the end of the file cost nothing: the server just sends a shorter chunk. So
/// the planner never splits or shrinks a request to stay before the end of the file, and
/// when a non-precise limit is bigger than needed it puts the slack after the range (where
/// it may fall past the end of the file, for free) rather than before it. It never plans a
/// request that starts at or after a known end of the file. Without a known size, an
/// open-ended plan asks for whole blocks until a response comes back short; if the file
/// ends exactly on a multiple of 1 MiB, that takes one last request that comes back empty,
/// which no plan can avoid without knowing the size.
///
/// # Examples
///
/// ```
/// use tgcmd::transfer::plan::{DownloadMode, DownloadPlan};
///
/// let file: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
/// let size = file.len() as u64;
///
/// let plan = DownloadPlan::new(Some(size), 1_000_000..2_100_000, DownloadMode::NonPrecise)?;
/// let mut received = Vec::new();
/// for chunk in plan {
///     let request = chunk.request();
///     assert!(request.is_valid());
///     // What the server would answer.
///     let start = request.offset as usize;
///     let response = &file[start..file.len().min(start + request.limit as usize)];
///     received.extend_from_slice(chunk.kept(response));
/// }
/// assert_eq!(received, &file[1_000_000..2_100_000]);
/// # Ok::<(), tgcmd::transfer::plan::DownloadPlanError>(())
/// ```
///
/// Reading a file of unknown size to its end:
///
/// ```
/// use tgcmd::transfer::plan::{DownloadMode, DownloadPlan};
///
/// let file = vec![7u8; 2_500_000]; // the server knows the size, the client does not
/// let mut plan = DownloadPlan::whole_file(None, DownloadMode::Precise);
/// let mut received = Vec::new();
/// while let Some(chunk) = plan.next() {
///     let start = chunk.offset() as usize;
///     let response = file.get(start..file.len().min(start + chunk.limit() as usize)).unwrap_or(&[]);
///     received.extend_from_slice(chunk.kept(response));
///     plan.record_response(&chunk, response.len());
/// }
/// assert_eq!(received.len(), file.len());
/// assert_eq!(plan.file_size(), Some(2_500_000));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadPlan {
    mode: DownloadMode,
    /// The first byte of the range.
    start: u64,
    /// One past the last byte of the range; `None` means "until the end of the file", with
    /// the file's size unknown. Never less than `start`.
    end: Option<u64>,
    file_size: Option<u64>,
    /// The first byte of the range not yet covered by a chunk this plan has handed out.
    cursor: u64,
    /// The largest request the plan makes: 1 MiB unless capped with
    /// [`with_max_request`](Self::with_max_request). Requests stay inside
    /// blocks of this size, which divide the 1 MiB blocks.
    block: u64,
}

impl DownloadPlan {
    /// Plans the download of `range` from a file of `file_size` bytes (`None` if unknown)
    /// in `mode`.
    ///
    /// `range` is any Rust range of byte positions: `a..b`, `a..=b`, `a..` (to the end of
    /// the file), `..b` or `..`. An empty range gives an empty plan.
    ///
    /// # Errors
    ///
    /// - [`DownloadPlanError::ReversedRange`] if the start comes after the end;
    /// - [`DownloadPlanError::StartBeyondEof`] / [`DownloadPlanError::EndBeyondEof`] if the
    ///   size is known and the range starts or ends after it (a range may end exactly at
    ///   the end of the file, and an empty range may sit there);
    /// - [`DownloadPlanError::RangeTooLarge`] if the range reaches past byte 2^63.
    ///
    /// # Examples
    ///
    /// ```
    /// use tgcmd::transfer::plan::{DownloadMode, DownloadPlan, DownloadPlanError, GetFileRequest};
    ///
    /// // One byte, in the middle of a 4 KiB page.
    /// let chunks: Vec<_> = DownloadPlan::new(Some(10_000), 5000..5001, DownloadMode::NonPrecise)?
    ///     .collect();
    /// assert_eq!(chunks.len(), 1);
    /// assert_eq!(chunks[0].request(), GetFileRequest { offset: 4096, limit: 4096, precise: false });
    /// assert_eq!(chunks[0].keep(), 904..905);
    ///
    /// assert_eq!(
    ///     DownloadPlan::new(Some(10_000), 20_000.., DownloadMode::Precise),
    ///     Err(DownloadPlanError::StartBeyondEof { start: 20_000, file_size: 10_000 }),
    /// );
    /// # Ok::<(), DownloadPlanError>(())
    /// ```
    pub fn new(
        file_size: Option<u64>,
        range: impl RangeBounds<u64>,
        mode: DownloadMode,
    ) -> Result<Self, DownloadPlanError> {
        let start = match range.start_bound() {
            Bound::Included(&start) => start,
            Bound::Excluded(&before) => before
                .checked_add(1)
                .ok_or(DownloadPlanError::RangeTooLarge)?,
            Bound::Unbounded => 0,
        };
        let explicit_end = match range.end_bound() {
            Bound::Included(&last) => Some(
                last.checked_add(1)
                    .ok_or(DownloadPlanError::RangeTooLarge)?,
            ),
            Bound::Excluded(&end) => Some(end),
            Bound::Unbounded => None,
        };
        if let Some(end) = explicit_end
            && start > end
        {
            return Err(DownloadPlanError::ReversedRange { start, end });
        }
        if let Some(file_size) = file_size {
            if start > file_size {
                return Err(DownloadPlanError::StartBeyondEof { start, file_size });
            }
            if let Some(end) = explicit_end
                && end > file_size
            {
                return Err(DownloadPlanError::EndBeyondEof { end, file_size });
            }
        }
        let end = explicit_end.or(file_size);
        if start > MAX_DOWNLOAD_END || end.is_some_and(|end| end > MAX_DOWNLOAD_END) {
            return Err(DownloadPlanError::RangeTooLarge);
        }
        Ok(Self {
            mode,
            start,
            end,
            file_size,
            cursor: start,
            block: BLOCK,
        })
    }

    /// Caps every request at `max` bytes, a power of two from 4 KiB to 1 MiB.
    ///
    /// The spec allows 1 MiB requests, but some clients cannot take answers
    /// that big (grammers-mtproto refuses messages over about 1020 KiB), so
    /// an executor may need smaller ones. The plan then makes one request per
    /// `max`-sized block the range touches, which is the fewest for that cap
    /// by the same argument as for 1 MiB. Returns `None` for an invalid cap.
    ///
    /// ```
    /// use tgcmd::transfer::plan::{DownloadMode, DownloadPlan};
    ///
    /// let plan = DownloadPlan::whole_file(Some(3 << 20), DownloadMode::Precise)
    ///     .with_max_request(512 << 10)
    ///     .expect("a valid cap");
    /// assert_eq!(plan.count(), 6);
    /// ```
    pub fn with_max_request(mut self, max: u32) -> Option<Self> {
        let max = u64::from(max);
        let valid = max.is_power_of_two() && (4096..=BLOCK).contains(&max);
        valid.then(|| {
            self.block = max;
            self
        })
    }

    /// Plans the download of a whole file: 1 MiB requests at multiples of 1 MiB (the last
    /// one smaller when the size is known), which are legal in both modes and independent
    /// of each other, so an executor can keep many in flight.
    ///
    /// A size beyond 2^63 bytes (which no file has) is treated as 2^63.
    ///
    /// ```
    /// use tgcmd::transfer::plan::{DownloadMode, DownloadPlan};
    ///
    /// let limits: Vec<_> = DownloadPlan::whole_file(Some(2_200_000), DownloadMode::NonPrecise)
    ///     .map(|chunk| (chunk.offset(), chunk.limit()))
    ///     .collect();
    /// assert_eq!(limits, [(0, 1 << 20), (1 << 20, 1 << 20), (2 << 20, 128 << 10)]);
    /// ```
    pub fn whole_file(file_size: Option<u64>, mode: DownloadMode) -> Self {
        let file_size = file_size.map(|size| size.min(MAX_DOWNLOAD_END));
        Self {
            mode,
            start: 0,
            end: file_size,
            file_size,
            cursor: 0,
            block: BLOCK,
        }
    }

    /// The mode every request of this plan uses.
    pub fn mode(&self) -> DownloadMode {
        self.mode
    }

    /// The first byte of the range.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// One past the last byte of the range, or `None` while it runs to an unknown end of
    /// the file.
    pub fn end(&self) -> Option<u64> {
        self.end
    }

    /// The file's size, if known (given, or learnt from a short response).
    pub fn file_size(&self) -> Option<u64> {
        self.file_size
    }

    /// How many requests are left to hand out, or `None` if the plan runs to an unknown
    /// end of the file.
    pub fn remaining_requests(&self) -> Option<u64> {
        let end = self.end?;
        Some(if self.cursor >= end {
            0
        } else {
            (end - 1) / self.block - self.cursor / self.block + 1
        })
    }

    /// Records that the file ends after `file_size` bytes: the plan hands out no request
    /// starting there or later, and the range ends there at the latest.
    ///
    /// Chunks already handed out may reach past that point; their responses are short and
    /// [`DownloadChunk::kept`] copes with that.
    pub fn note_eof(&mut self, file_size: u64) {
        let file_size = self
            .file_size
            .map_or(file_size, |known| known.min(file_size));
        self.file_size = Some(file_size);
        let end = self.end.map_or(file_size, |end| end.min(file_size));
        self.end = Some(end.max(self.start));
    }

    /// Records the length of the response to `chunk`; a short one marks the end of the
    /// file (see [`note_eof`](Self::note_eof)). Returns whether it was short.
    pub fn record_response(&mut self, chunk: &DownloadChunk, response_len: usize) -> bool {
        if !chunk.is_short(response_len) {
            return false;
        }
        // Short means response_len < limit <= 1 MiB, so it converts.
        let received = u64::try_from(response_len).unwrap_or(u64::MAX);
        self.note_eof(chunk.offset().saturating_add(received));
        true
    }
}

impl Iterator for DownloadPlan {
    type Item = DownloadChunk;

    fn next(&mut self) -> Option<DownloadChunk> {
        let end = self.end.unwrap_or(MAX_DOWNLOAD_END);
        if self.cursor >= end {
            return None;
        }
        // cursor < end <= 2^63, so the block end cannot overflow.
        let block_end = (self.cursor / self.block + 1) * self.block;
        let segment_end = end.min(block_end);
        let chunk = chunk_for_segment(self.mode, self.cursor, segment_end, self.block);
        self.cursor = segment_end;
        Some(chunk)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.remaining_requests() {
            Some(left) => {
                let left = usize::try_from(left).ok();
                (left.unwrap_or(usize::MAX), left)
            }
            None => (0, None),
        }
    }
}

impl FusedIterator for DownloadPlan {}

/// The single request that covers `[start, end)`, which lies inside one 1 MiB block and is
/// not empty. See [`DownloadPlan`] for why this request is the best one.
fn chunk_for_segment(mode: DownloadMode, start: u64, end: u64, block: u64) -> DownloadChunk {
    let block_end = (start / block + 1) * block;
    debug_assert!(start < end && end <= block_end);
    let alignment = u64::from(mode.alignment());
    let aligned_start = start - start % alignment;
    // block_end is a multiple of the alignment, so rounding up stays inside the block.
    let aligned_end = end.div_ceil(alignment) * alignment;
    let span = aligned_end - aligned_start;
    let (offset, limit) = match mode {
        DownloadMode::Precise => (aligned_start, span),
        DownloadMode::NonPrecise => {
            // span is a non-zero multiple of 4 KiB and at most 1 MiB, so this is a power
            // of two from 4 KiB to 1 MiB: a legal limit.
            let limit = span.next_power_of_two();
            // Start as late as possible (slack after the range), but not so late that the
            // request runs past the block.
            (aligned_start.min(block_end - limit), limit)
        }
    };
    DownloadChunk {
        request: GetFileRequest {
            offset,
            limit: narrow_to_u32(limit),
            precise: mode.is_precise(),
        },
        keep_start: narrow_to_u32(start - offset),
        keep_len: narrow_to_u32(end - start),
    }
}

/// Narrows a length known to be at most 1 MiB (a limit, a part, a slice of a response).
fn narrow_to_u32(len: u64) -> u32 {
    debug_assert!(len <= BLOCK);
    // Lossless: the callers pass at most 1 MiB.
    len as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exhaustively over a grid of segments inside one block (starts every 512 bytes, ends
    /// one byte past every 512-byte step, and the block's end), in both modes: the one
    /// request is legal, covers the segment, and keeps exactly it.
    #[test]
    fn every_segment_of_a_block_gets_one_legal_covering_request() {
        let block_start = 5 * BLOCK;
        for mode in [DownloadMode::NonPrecise, DownloadMode::Precise] {
            for start in (block_start..block_start + BLOCK).step_by(512) {
                let ends = (start + 1..block_start + BLOCK)
                    .step_by(512)
                    .chain([block_start + BLOCK]);
                for end in ends {
                    let chunk = chunk_for_segment(mode, start, end, BLOCK);
                    let request = chunk.request();
                    assert!(request.is_valid(), "{request:?} for {start}..{end}");
                    assert_eq!(request.precise, mode.is_precise());
                    assert!(request.offset <= start);
                    assert!(request.offset + u64::from(request.limit) >= end);
                    assert_eq!(chunk.file_range(), start..end);
                }
            }
        }
    }

    #[test]
    fn non_precise_limits_are_the_smallest_covering_power_of_two() {
        // 8193 bytes from 4 KiB span three 4 KiB pages: 12 KiB, so a 16 KiB limit.
        let chunk = chunk_for_segment(DownloadMode::NonPrecise, 4096, 4096 + 8193, BLOCK);
        assert_eq!((chunk.offset(), chunk.limit()), (4096, 16384));
        // The last 12 KiB of a block: the 16 KiB request cannot run past the block, so its
        // slack goes before the range.
        let chunk = chunk_for_segment(DownloadMode::NonPrecise, BLOCK - 12288, BLOCK, BLOCK);
        assert_eq!((chunk.offset(), chunk.limit()), (BLOCK - 16384, 16384));
    }
}
