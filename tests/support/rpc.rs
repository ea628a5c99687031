#![allow(dead_code)] // Shared by several test crates; each uses a subset.

//! Raw Telegram calls as a client sends them, and exact checks on the
//! `rpc_error`s that come back.
//!
//! grammers splits the first number out of an error name: `FILE_PART_3_MISSING`
//! arrives as name `FILE_PART_MISSING` with value `Some(3)`, `FLOOD_WAIT_7` as
//! `FLOOD_WAIT` with `Some(7)`, `FILE_MIGRATE_2` as `FILE_MIGRATE` with `Some(2)`.

use std::fmt::Debug;

use fakedc::StoredFile;
use grammers_client::Client;
use grammers_client::sender::{InvocationError, RpcError};
use grammers_client::tl;

// The one test-data generator, shared with the tgcmd tests.
#[path = "data.rs"]
mod data;
#[allow(unused_imports)] // Not every test crate moves bytes.
pub use data::pattern;

/// The RPC error of a failed call; panics on success or any other failure.
#[track_caller]
pub fn rpc_error<T: Debug>(result: Result<T, InvocationError>) -> RpcError {
    match result {
        Err(InvocationError::Rpc(error)) => error,
        other => panic!("expected an rpc_error, got {other:?}"),
    }
}

/// Asserts that a call failed with exactly this code, name and value.
#[track_caller]
pub fn assert_rpc_error<T: Debug>(
    result: Result<T, InvocationError>,
    code: i32,
    name: &str,
    value: Option<u32>,
) {
    let error = rpc_error(result);
    assert_eq!(
        (error.code, error.name.as_str(), error.value),
        (code, name, value),
        "unexpected rpc_error: {error}"
    );
}

/// Asserts a 400 error without a number in its name.
#[track_caller]
pub fn assert_bad_request<T: Debug>(result: Result<T, InvocationError>, name: &str) {
    assert_rpc_error(result, 400, name, None);
}

/// Lowercase hex of the MD5 of `data`, as `inputFile.md5_checksum` carries it.
pub fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub async fn save_part(
    client: &Client,
    file_id: i64,
    file_part: i32,
    bytes: &[u8],
) -> Result<bool, InvocationError> {
    client
        .invoke(&tl::functions::upload::SaveFilePart {
            file_id,
            file_part,
            bytes: bytes.to_vec(),
        })
        .await
}

pub async fn save_big_part(
    client: &Client,
    file_id: i64,
    file_part: i32,
    file_total_parts: i32,
    bytes: &[u8],
) -> Result<bool, InvocationError> {
    client
        .invoke(&tl::functions::upload::SaveBigFilePart {
            file_id,
            file_part,
            file_total_parts,
            bytes: bytes.to_vec(),
        })
        .await
}

/// Saves `data` with `upload.saveFilePart` in parts of `part_size`; returns the part count.
pub async fn save_small_file(client: &Client, file_id: i64, data: &[u8], part_size: usize) -> i32 {
    let mut parts = 0;
    for (index, chunk) in data.chunks(part_size).enumerate() {
        let index = i32::try_from(index).expect("few parts");
        assert!(
            save_part(client, file_id, index, chunk)
                .await
                .expect("saveFilePart")
        );
        parts += 1;
    }
    parts
}

/// Saves `data` with `upload.saveBigFilePart` in parts of `part_size`; returns the part count.
pub async fn save_big_file(client: &Client, file_id: i64, data: &[u8], part_size: usize) -> i32 {
    let total = i32::try_from(data.len().div_ceil(part_size)).expect("few parts");
    for (index, chunk) in data.chunks(part_size).enumerate() {
        let index = i32::try_from(index).expect("few parts");
        assert!(
            save_big_part(client, file_id, index, total, chunk)
                .await
                .expect("saveBigFilePart")
        );
    }
    total
}

/// `inputFile` for parts saved with `upload.saveFilePart`.
pub fn input_file(id: i64, parts: i32, name: &str, md5_checksum: &str) -> tl::enums::InputFile {
    tl::types::InputFile {
        id,
        parts,
        name: name.into(),
        md5_checksum: md5_checksum.into(),
    }
    .into()
}

/// `inputFileBig` for parts saved with `upload.saveBigFilePart`.
pub fn input_file_big(id: i64, parts: i32, name: &str) -> tl::enums::InputFile {
    tl::types::InputFileBig {
        id,
        parts,
        name: name.into(),
    }
    .into()
}

/// `inputMediaUploadedDocument` with no thumbnail.
pub fn uploaded_document(
    file: tl::enums::InputFile,
    mime_type: &str,
    attributes: Vec<tl::enums::DocumentAttribute>,
) -> tl::enums::InputMedia {
    tl::types::InputMediaUploadedDocument {
        nosound_video: false,
        force_file: true,
        spoiler: false,
        file,
        thumb: None,
        mime_type: mime_type.into(),
        attributes,
        stickers: None,
        video_cover: None,
        video_timestamp: None,
        ttl_seconds: None,
    }
    .into()
}

/// `messages.uploadMedia` to Saved Messages.
pub async fn upload_media(
    client: &Client,
    media: tl::enums::InputMedia,
) -> Result<tl::enums::MessageMedia, InvocationError> {
    client
        .invoke(&tl::functions::messages::UploadMedia {
            business_connection_id: None,
            peer: tl::enums::InputPeer::PeerSelf,
            media,
        })
        .await
}

/// The document inside a `messageMediaDocument`; panics on anything else.
#[track_caller]
pub fn expect_document(media: tl::enums::MessageMedia) -> tl::types::Document {
    match media {
        tl::enums::MessageMedia::Document(tl::types::MessageMediaDocument {
            document: Some(tl::enums::Document::Document(document)),
            ..
        }) => document,
        other => panic!("expected a document, got {other:?}"),
    }
}

/// The photo inside a `messageMediaPhoto`; panics on anything else.
#[track_caller]
pub fn expect_photo(media: tl::enums::MessageMedia) -> tl::types::Photo {
    match media {
        tl::enums::MessageMedia::Photo(tl::types::MessageMediaPhoto {
            photo: Some(tl::enums::Photo::Photo(photo)),
            ..
        }) => photo,
        other => panic!("expected a photo, got {other:?}"),
    }
}

/// `inputDocumentFileLocation` for a document.
pub fn document_location(
    id: i64,
    access_hash: i64,
    file_reference: &[u8],
) -> tl::enums::InputFileLocation {
    tl::types::InputDocumentFileLocation {
        id,
        access_hash,
        file_reference: file_reference.to_vec(),
        thumb_size: String::new(),
    }
    .into()
}

/// The download location of a file the test stored directly in the world.
pub fn stored_location(file: &StoredFile) -> tl::enums::InputFileLocation {
    match file.kind {
        fakedc::FileKind::Document => {
            document_location(file.id, file.access_hash, &file.file_reference)
        }
        fakedc::FileKind::Photo => tl::types::InputPhotoFileLocation {
            id: file.id,
            access_hash: file.access_hash,
            file_reference: file.file_reference.clone(),
            thumb_size: "x".into(),
        }
        .into(),
    }
}

/// `upload.getFile` in the session's home DC, returning the bytes.
pub async fn get_file(
    client: &Client,
    location: &tl::enums::InputFileLocation,
    precise: bool,
    offset: i64,
    limit: i32,
) -> Result<Vec<u8>, InvocationError> {
    get_file_in_dc(client, None, location, precise, offset, limit).await
}

/// `upload.getFile` in `dc_id` (the home DC if `None`), returning the bytes.
pub async fn get_file_in_dc(
    client: &Client,
    dc_id: Option<i32>,
    location: &tl::enums::InputFileLocation,
    precise: bool,
    offset: i64,
    limit: i32,
) -> Result<Vec<u8>, InvocationError> {
    let request = tl::functions::upload::GetFile {
        precise,
        cdn_supported: false,
        location: location.clone(),
        offset,
        limit,
    };
    let file = match dc_id {
        Some(dc_id) => client.invoke_in_dc(dc_id, &request).await?,
        None => client.invoke(&request).await?,
    };
    match file {
        tl::enums::upload::File::File(file) => Ok(file.bytes),
        other => panic!("the fake DC has no CDN, yet it answered {other:?}"),
    }
}

/// Downloads a whole file in 512 KiB non-precise requests, as most clients do.
pub async fn download_all(
    client: &Client,
    dc_id: Option<i32>,
    location: &tl::enums::InputFileLocation,
) -> Result<Vec<u8>, InvocationError> {
    const CHUNK: i32 = 512 * 1024;
    let mut out = Vec::new();
    loop {
        let chunk = get_file_in_dc(client, dc_id, location, false, out.len() as i64, CHUNK).await?;
        let done = chunk.len() < CHUNK as usize;
        out.extend_from_slice(&chunk);
        if done {
            return Ok(out);
        }
    }
}

/// The constructor id of a method, for `World::call_count` and the flood fault.
pub fn id_of<F: tl::Identifiable>() -> u32 {
    F::CONSTRUCTOR_ID
}
