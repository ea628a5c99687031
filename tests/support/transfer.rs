//! Helpers for the transfer tests: a seeded RNG, constructor ids to count
//! calls by, and short ways to upload and fetch documents through tgcmd.
#![allow(dead_code)] // Each test crate uses a subset.

use std::future::Future;
use std::ops::Range;
use std::time::Duration;

use bytes::Bytes;
use fakedc::{FakeDc, FileKind, StoredFile};
use grammers_tl_types::{self as tl, Identifiable};
use tgcmd::Client;
use tgcmd::media::{Document, UploadSource};
use tgcmd::transfer::{DownloadOptions, DownloadReport, FileLocation, UploadOptions};

pub const KIB: usize = 1024;
pub const MIB: usize = 1024 * 1024;

/// Constructor ids of the methods the tests count.
pub const SAVE_FILE_PART: u32 = tl::functions::upload::SaveFilePart::CONSTRUCTOR_ID;
pub const SAVE_BIG_FILE_PART: u32 = tl::functions::upload::SaveBigFilePart::CONSTRUCTOR_ID;
pub const GET_FILE: u32 = tl::functions::upload::GetFile::CONSTRUCTOR_ID;
pub const GET_FILE_HASHES: u32 = tl::functions::upload::GetFileHashes::CONSTRUCTOR_ID;
pub const UPLOAD_MEDIA: u32 = tl::functions::messages::UploadMedia::CONSTRUCTOR_ID;
pub const EXPORT_AUTHORIZATION: u32 = tl::functions::auth::ExportAuthorization::CONSTRUCTOR_ID;
pub const IMPORT_AUTHORIZATION: u32 = tl::functions::auth::ImportAuthorization::CONSTRUCTOR_ID;

/// The longest any single transfer test may run before it counts as a hang.
pub const HANG: Duration = Duration::from_secs(60);

/// Runs `future`, failing the test if it takes longer than [`HANG`].
pub async fn no_hang<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(HANG, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what} hung for more than {HANG:?}"),
    }
}

/// A tiny xorshift64* generator: seeded, so every failure replays.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // Zero is xorshift's one fixed point.
        Self(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A non-empty range inside `0..len` (`len` > 0).
    pub fn range(&mut self, len: u64) -> Range<u64> {
        let start = self.below(len);
        let end = start + 1 + self.below(len - start);
        start..end
    }

    /// A non-empty range inside `0..len`, at most `max` long (`len`, `max` > 0).
    pub fn range_at_most(&mut self, len: u64, max: u64) -> Range<u64> {
        let start = self.below(len);
        let end = start + 1 + self.below((len - start).min(max));
        start..end
    }
}

/// An in-memory upload source.
pub fn source(name: &str, data: &[u8]) -> UploadSource {
    UploadSource::Bytes {
        name: name.into(),
        data: Bytes::copy_from_slice(data),
    }
}

/// Uploads `data` as a document through the media helper.
pub async fn upload_document(client: &Client, data: &[u8]) -> Document {
    client
        .upload_document(
            &source("blob.bin", data),
            "application/octet-stream",
            UploadOptions::default(),
        )
        .await
        .expect("the upload succeeds")
}

/// Downloads `range` of `location` into memory.
pub async fn fetch(
    client: &Client,
    location: &FileLocation,
    range: Range<u64>,
    options: &DownloadOptions,
) -> tgcmd::Result<(Vec<u8>, DownloadReport)> {
    let mut out = Vec::new();
    let report = client.download(location, range, &mut out, options).await?;
    Ok((out, report))
}

/// Downloads the whole of `location` with the default options and checks
/// that it is byte-identical to `expected`; `what` names the case in the
/// failure message.
pub async fn assert_downloads_as(
    client: &Client,
    location: &FileLocation,
    expected: &[u8],
    what: &str,
) {
    let (got, _) = fetch(
        client,
        location,
        0..expected.len() as u64,
        &DownloadOptions::default(),
    )
    .await
    .unwrap_or_else(|error| panic!("{what}: download failed: {error}"));
    assert_same(&got, expected, what);
}

/// Turns an `InputFile` from an upload into a document, as the media
/// helpers do (`messages.uploadMedia`).
pub async fn finalise_document(
    client: &Client,
    input_file: tl::enums::InputFile,
) -> tgcmd::Result<Document> {
    let media = client
        .invoke(&tl::functions::messages::UploadMedia {
            business_connection_id: None,
            peer: tl::enums::InputPeer::PeerSelf,
            media: tl::types::InputMediaUploadedDocument {
                nosound_video: false,
                force_file: true,
                spoiler: false,
                file: input_file,
                thumb: None,
                mime_type: "application/octet-stream".into(),
                attributes: Vec::new(),
                stickers: None,
                video_cover: None,
                video_timestamp: None,
                ttl_seconds: None,
            }
            .into(),
        })
        .await?;
    match media {
        tl::enums::MessageMedia::Document(media) => Ok(media
            .document
            .as_ref()
            .and_then(Document::from_tl)
            .expect("uploadMedia returns a document")),
        other => panic!("uploadMedia returned {other:?}"),
    }
}

/// The download location of a file stored straight into the fake DC's
/// world, claiming it lives on `claimed_dc`.
pub fn stored_location(file: &StoredFile, claimed_dc: i32) -> FileLocation {
    FileLocation {
        location: tl::types::InputDocumentFileLocation {
            id: file.id,
            access_hash: file.access_hash,
            file_reference: file.file_reference.clone(),
            thumb_size: String::new(),
        }
        .into(),
        dc_id: claimed_dc,
        size: Some(file.bytes.len() as u64),
    }
}

/// Stores `data` as a document on `dc_id`.
pub fn put_document(fake: &FakeDc, dc_id: i32, data: &[u8]) -> StoredFile {
    fake.put_file(
        dc_id,
        FileKind::Document,
        data.to_vec(),
        "application/octet-stream",
        "stored.bin",
    )
}

/// `location` with its file reference replaced.
pub fn with_reference(
    location: &tl::enums::InputFileLocation,
    reference: Vec<u8>,
) -> tl::enums::InputFileLocation {
    match location {
        tl::enums::InputFileLocation::InputDocumentFileLocation(l) => {
            tl::types::InputDocumentFileLocation {
                file_reference: reference,
                ..l.clone()
            }
            .into()
        }
        other => panic!("not a document location: {other:?}"),
    }
}

/// Whether a progress sequence only grows.
pub fn is_monotonic(values: &[u64]) -> bool {
    values.windows(2).all(|w| w[0] <= w[1])
}

/// Asserts two byte strings are equal without printing megabytes: reports
/// the lengths and the first differing offset.
#[track_caller]
pub fn assert_same(actual: &[u8], expected: &[u8], what: &str) {
    if actual == expected {
        return;
    }
    let first = actual
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or(actual.len().min(expected.len()));
    panic!(
        "{what}: got {} bytes, expected {}; first difference at offset {first}",
        actual.len(),
        expected.len()
    );
}
