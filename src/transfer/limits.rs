//! Telegram file-transfer limits, in one place.
//!
//! Every constant quotes the sentence of the Telegram documentation page
//! ["Uploading and Downloading Files"](https://core.telegram.org/api/files) it comes from
//! (the copy we work from is `shared/spec/telegram-files-upload-download.txt`).
//! The planners in [`super::plan`] use nothing but these numbers, so a change in Telegram's
//! rules is a change in this file.
//!
//! Sizes are in bytes. Where the documentation says "KB" or "MB" it means binary units:
//! it spells them out itself ("524288 % part_size", "1048576 (1 MB)"), so `1 MB` is 1 MiB.

// ---------------------------------------------------------------------------------------
// Uploads
// ---------------------------------------------------------------------------------------

/// Every upload part size must be a multiple of this (1 KiB).
///
/// > part_size % 1024 = 0 (divisible by 1KB)
pub const PART_SIZE_ALIGNMENT: u32 = 1024;

/// The largest upload part size (512 KiB); every part size must divide it evenly.
///
/// > 524288 % part_size = 0 (512KB must be evenly divisible by part_size)
///
/// > FILE_PART_TOO_BIG: The size limit (512 KB) for the content of the file part has been
/// > exceeded
///
/// Together with [`PART_SIZE_ALIGNMENT`] this leaves exactly the powers of two from 1 KiB
/// to 512 KiB; see [`is_valid_part_size`].
pub const MAX_PART_SIZE: u32 = 512 * 1024;

/// The part size uploads use unless told otherwise: the largest one.
///
/// > the total file size limit can only be reached with the biggest possible part_size of
/// > 512KB, which is actually the recommended part_size to avoid excessive protocol
/// > overhead.
pub const DEFAULT_PART_SIZE: u32 = MAX_PART_SIZE;

/// Files *larger* than this (10 MiB) are uploaded with `upload.saveBigFilePart`; files of
/// this size or smaller with `upload.saveFilePart`.
///
/// > Use upload.saveBigFilePart in case the full size of the file is more than 10 MB and
/// > upload.saveFilePart for smaller files.
///
/// "More than": a file of exactly 10 MiB is still a small file.
pub const BIG_FILE_THRESHOLD: u64 = 10 * 1024 * 1024;

/// How many parts a non-Premium account may upload for one file, unless the server's
/// `appConfig` says otherwise.
///
/// > upload_max_fileparts_default » - Maximum number of file parts uploadable by
/// > non-Premium users.
///
/// 4000 is the value Telegram's `appConfig` currently sends (with 512 KiB parts that is
/// 2000 MiB). It is a default, not a law: the planners take the limit as a parameter, so
/// pass the value from `appConfig` when you have it.
pub const UPLOAD_MAX_FILEPARTS_DEFAULT: u32 = 4000;

/// How many parts a Premium account may upload for one file, unless the server's
/// `appConfig` says otherwise.
///
/// > upload_max_fileparts_premium » - Maximum number of file parts uploadable by Premium
/// > users.
///
/// 8000 is the value Telegram's `appConfig` currently sends (with 512 KiB parts that is
/// 4000 MiB). Like [`UPLOAD_MAX_FILEPARTS_DEFAULT`], prefer the live `appConfig` value.
pub const UPLOAD_MAX_FILEPARTS_PREMIUM: u32 = 8000;

/// The largest part count (and so part limit) the wire format can carry.
///
/// > upload.saveBigFilePart#de7b673d file_id:long file_part:int file_total_parts:int
/// > bytes:bytes = Bool;
///
/// `file_part` and `file_total_parts` are TL `int`s, signed 32-bit.
pub const MAX_PART_COUNT: u32 = i32::MAX as u32;

/// Whether `part_size` is a part size Telegram accepts: a non-zero multiple of
/// [`PART_SIZE_ALIGNMENT`] that divides [`MAX_PART_SIZE`].
///
/// ```
/// use tgcmd::transfer::limits::is_valid_part_size;
///
/// assert!(is_valid_part_size(512 * 1024));
/// assert!(is_valid_part_size(1024));
/// assert!(!is_valid_part_size(0));
/// assert!(!is_valid_part_size(3 * 1024)); // does not divide 512 KiB
/// assert!(!is_valid_part_size(1024 * 1024)); // bigger than 512 KiB
/// ```
pub const fn is_valid_part_size(part_size: u32) -> bool {
    part_size != 0
        && part_size.is_multiple_of(PART_SIZE_ALIGNMENT)
        && MAX_PART_SIZE.is_multiple_of(part_size)
}

// ---------------------------------------------------------------------------------------
// Downloads (`upload.getFile`)
// ---------------------------------------------------------------------------------------

/// Without the `precise` flag, `offset` and `limit` must both be multiples of 4 KiB.
///
/// > If precise flag is not specified, then
/// > The parameter offset must be divisible by 4 KB.
/// > The parameter limit must be divisible by 4 KB.
pub const NON_PRECISE_ALIGNMENT: u32 = 4 * 1024;

/// Without the `precise` flag, `limit` must divide 1 MiB; so this is also the largest
/// non-precise `limit`, and with [`NON_PRECISE_ALIGNMENT`] the legal limits are exactly
/// the powers of two from 4 KiB to 1 MiB.
///
/// > 1048576 (1 MB) must be divisible by limit.
pub const NON_PRECISE_LIMIT_DIVIDES: u32 = 1024 * 1024;

/// With the `precise` flag, `offset` and `limit` must both be multiples of 1 KiB.
///
/// > If precise is specified, then
/// > The parameter offset must be divisible by 1 KB.
/// > The parameter limit must be divisible by 1 KB.
pub const PRECISE_ALIGNMENT: u32 = 1024;

/// With the `precise` flag, `limit` may be any multiple of 1 KiB up to 1 MiB.
///
/// > limit must not exceed 1048576 (1 MB).
pub const MAX_PRECISE_LIMIT: u32 = 1024 * 1024;

/// No `upload.getFile` request, precise or not, may cross a multiple of 1 MiB.
///
/// > In any case the requested part should be within one 1 MB chunk from the beginning of
/// > the file, i. e.
/// > offset / (1024 * 1024) == (offset + limit - 1) / (1024 * 1024).
pub const DOWNLOAD_BLOCK_SIZE: u32 = 1024 * 1024;

/// The largest request either `getFile` mode allows: one request per 1 MiB block, at
/// offsets that are multiples of 1 MiB. The download executor does **not** ask for this
/// much: it caps requests at [`MAX_GET_FILE_LIMIT`] (512 KiB), see there.
///
/// That is legal in both modes (checked at compile time below): 1 MiB is a multiple of
/// 4 KiB and of 1 KiB, it divides 1 MiB, it does not exceed 1 MiB, and a request that
/// starts on a multiple of 1 MiB and is 1 MiB long stays inside its block. It is also the
/// largest request either mode allows, so it needs the fewest round trips.
pub const DEFAULT_DOWNLOAD_CHUNK: u32 = DOWNLOAD_BLOCK_SIZE;

/// The largest `getFile` limit the download executor asks for (512 KiB): whole-file
/// downloads use 512 KiB requests. The spec allows 1 MiB, but grammers-mtproto refuses
/// incoming messages above about 1020 KiB, and a 1 MiB `upload.file` plus its headers is
/// more than that.
pub const MAX_GET_FILE_LIMIT: u32 = 512 * 1024;

/// `upload.getFileHashes` describes a file in steps of at most 1 MiB; the executor fetches
/// hashes per 1 MiB block.
pub const HASH_BLOCK: u64 = 1024 * 1024;

/// One past the last byte an `upload.getFile` request can address (2^63).
///
/// > upload.getFile#be5335be flags:# precise:flags.0?true cdn_supported:flags.1?true
/// > location:InputFileLocation offset:long limit:int = upload.File;
///
/// `offset` is a TL `long`, signed 64-bit. 2^63 is a multiple of 1 MiB, so every request
/// that ends at or before it starts at an offset that fits in an `i64`.
pub const MAX_DOWNLOAD_END: u64 = 1 << 63;

// ---------------------------------------------------------------------------------------
// MTProto messages
// ---------------------------------------------------------------------------------------

/// The largest payload grammers-mtproto puts in one container:
/// `MessageContainer::MAXIMUM_SIZE` in its `manual_tl.rs` (1 044 456 bytes less the
/// container's own 8-byte header). Telegram closes the connection on a bigger payload.
pub const MTPROTO_CONTAINER_PAYLOAD: usize = 1_044_456 - 8;

/// What grammers-mtproto adds around each request inside a container:
/// `Message::SIZE_OVERHEAD` (msg_id 8 bytes, seq_no 4, length 4).
pub const MTPROTO_MESSAGE_OVERHEAD: usize = 16;

/// Room left beside a request for what shares its packet: acknowledgements, a salt
/// request, and the `invokeWithLayer(initConnection(…))` wrapping of a first request.
pub const REQUEST_SIZE_MARGIN: usize = 16 * 1024;

/// The largest serialized request tgcmd hands to MTProto (about 1004 KiB); bigger ones are
/// refused with [`crate::Error::RequestTooLarge`] before anything is sent.
///
/// grammers-mtproto *asserts* `request.len() + Message::SIZE_OVERHEAD <=
/// MessageContainer::MAXIMUM_SIZE` (a panic that used to kill the account's connection),
/// and a request that passes the assertion but not its own fit check
/// (`buffer.len() + len + 16 >= MAXIMUM_SIZE`, with acks already in the buffer) is never
/// sent at all, so the limit keeps [`REQUEST_SIZE_MARGIN`] below both.
pub const MAX_REQUEST_SIZE: usize =
    MTPROTO_CONTAINER_PAYLOAD - MTPROTO_MESSAGE_OVERHEAD - REQUEST_SIZE_MARGIN;

/// Refuses a serialized request of `size` bytes above [`MAX_REQUEST_SIZE`].
///
/// ```
/// use tgcmd::transfer::limits::{MAX_REQUEST_SIZE, check_request_size};
/// assert!(check_request_size(MAX_REQUEST_SIZE).is_ok());
/// assert!(check_request_size(MAX_REQUEST_SIZE + 1).unwrap_err().is_request_too_large());
/// ```
pub fn check_request_size(size: usize) -> crate::Result<()> {
    if size > MAX_REQUEST_SIZE {
        return Err(crate::Error::RequestTooLarge {
            size,
            limit: MAX_REQUEST_SIZE,
        });
    }
    Ok(())
}

/// Counts the bytes a TL value serializes to, without keeping them.
#[derive(Default)]
pub(crate) struct SizeCounter(pub(crate) usize);

impl Extend<u8> for SizeCounter {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, bytes: I) {
        let bytes = bytes.into_iter();
        // Slices (what TL serialization extends with) report an exact length.
        match bytes.size_hint() {
            (low, Some(high)) if low == high => self.0 = self.0.saturating_add(low),
            _ => self.0 = self.0.saturating_add(bytes.count()),
        }
    }
}

/// The serialized size of `value`.
pub(crate) fn serialized_size<T: grammers_tl_types::Serializable>(value: &T) -> usize {
    let mut counter = SizeCounter::default();
    value.serialize(&mut counter);
    counter.0
}

// Compile-time checks that the constants agree with each other and with the claims in
// their docs.
const _: () = {
    assert!(is_valid_part_size(DEFAULT_PART_SIZE));
    assert!(UPLOAD_MAX_FILEPARTS_DEFAULT <= UPLOAD_MAX_FILEPARTS_PREMIUM);
    assert!(UPLOAD_MAX_FILEPARTS_PREMIUM <= MAX_PART_COUNT);
    // Non-precise rules for the whole-file chunk.
    assert!(DEFAULT_DOWNLOAD_CHUNK.is_multiple_of(NON_PRECISE_ALIGNMENT));
    assert!(NON_PRECISE_LIMIT_DIVIDES.is_multiple_of(DEFAULT_DOWNLOAD_CHUNK));
    // Precise rules for the whole-file chunk.
    assert!(DEFAULT_DOWNLOAD_CHUNK.is_multiple_of(PRECISE_ALIGNMENT));
    assert!(DEFAULT_DOWNLOAD_CHUNK <= MAX_PRECISE_LIMIT);
    // A chunk-aligned chunk never crosses a block boundary.
    assert!(DOWNLOAD_BLOCK_SIZE.is_multiple_of(DEFAULT_DOWNLOAD_CHUNK));
    assert!(MAX_DOWNLOAD_END.is_multiple_of(DOWNLOAD_BLOCK_SIZE as u64));
    // The executor's request cap is a legal non-precise limit inside one block.
    assert!(MAX_GET_FILE_LIMIT.is_multiple_of(NON_PRECISE_ALIGNMENT));
    assert!(NON_PRECISE_LIMIT_DIVIDES.is_multiple_of(MAX_GET_FILE_LIMIT));
    assert!(HASH_BLOCK == DOWNLOAD_BLOCK_SIZE as u64);
    // The biggest upload part, with its request header, is far below the request limit.
    assert!((MAX_PART_SIZE as usize) + 1024 <= MAX_REQUEST_SIZE);
};

#[cfg(test)]
mod tests {
    use super::*;
    use grammers_crypto::DequeBuffer;
    use grammers_mtproto::mtp::{self, Mtp};

    fn padded(len: usize) -> Vec<u8> {
        vec![0x5a; len - len % 4]
    }

    fn buffer() -> DequeBuffer<u8> {
        DequeBuffer::with_capacity(2 * 1024 * 1024, 128)
    }

    /// grammers-mtproto takes a request of exactly the limit into a packet.
    #[test]
    fn grammers_accepts_a_request_at_the_limit() {
        let mut mtp = mtp::Encrypted::build()
            .compression_threshold(None)
            .finish([3; 256]);
        let mut buf = buffer();
        assert!(mtp.push(&mut buf, &padded(MAX_REQUEST_SIZE)).is_some());
    }

    /// The limit tgcmd enforces is below what grammers-mtproto asserts on.
    #[test]
    fn grammers_panics_above_its_own_limit_which_is_above_ours() {
        let grammers_limit = MTPROTO_CONTAINER_PAYLOAD - MTPROTO_MESSAGE_OVERHEAD;
        assert!(MAX_REQUEST_SIZE < grammers_limit);
        let panicked = std::panic::catch_unwind(|| {
            let mut mtp = mtp::Encrypted::build()
                .compression_threshold(None)
                .finish([3; 256]);
            let mut buf = buffer();
            mtp.push(&mut buf, &padded(grammers_limit + 4));
        });
        assert!(panicked.is_err(), "grammers-mtproto's assertion moved");
    }

    /// A request that passes grammers' assertion but not its fit check would never be
    /// sent: grammers returns `None` even into an empty buffer.
    #[test]
    fn grammers_never_sends_a_request_exactly_at_its_assertion() {
        let grammers_limit = MTPROTO_CONTAINER_PAYLOAD - MTPROTO_MESSAGE_OVERHEAD;
        let mut mtp = mtp::Encrypted::build()
            .compression_threshold(None)
            .finish([3; 256]);
        let mut buf = buffer();
        assert!(mtp.push(&mut buf, &padded(grammers_limit)).is_none());
    }

    #[test]
    fn check_request_size_boundaries() {
        assert!(check_request_size(0).is_ok());
        assert!(check_request_size(MAX_REQUEST_SIZE).is_ok());
        let err = check_request_size(MAX_REQUEST_SIZE + 1).unwrap_err();
        assert!(matches!(
            err,
            crate::Error::RequestTooLarge { size, limit } if size == MAX_REQUEST_SIZE + 1 && limit == MAX_REQUEST_SIZE
        ));
    }

    #[test]
    fn serialized_size_matches_to_bytes() {
        use grammers_tl_types::{self as tl, Serializable};
        let request = tl::functions::account::UpdateProfile {
            first_name: Some("A".repeat(300)),
            last_name: None,
            about: Some("b".repeat(70_000)),
        };
        assert_eq!(serialized_size(&request), request.to_bytes().len());
    }
}
