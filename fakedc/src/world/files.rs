//! Uploaded parts and stored files, with the rules of
//! <https://core.telegram.org/api/files> (see `shared/spec/telegram-files-upload-download.txt`).

use std::collections::{BTreeMap, HashMap};

use std::sync::{Arc, OnceLock};

use bytes::{Bytes, BytesMut};
use grammers_tl_types as tl;
use md5::Md5;
use sha2::{Digest, Sha256};

/// "The size limit (512 KB) for the content of the file part."
pub const MAX_PART_SIZE: usize = 512 * 1024;

/// The size type under which a photo's only rendition is served.
pub const PHOTO_SIZE_TYPE: &str = "x";

/// The size type of a document's thumbnail (the one the uploader sent
/// with `inputMediaUploadedDocument.thumb`), served through
/// `inputDocumentFileLocation` with this `thumb_size`.
pub const DOCUMENT_THUMB_TYPE: &str = "m";

/// Which method the parts of an upload came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMode {
    /// `upload.saveFilePart`, finalised with `inputFile` (and an MD5).
    Small,
    /// `upload.saveBigFilePart`, finalised with `inputFileBig`.
    Big,
}

/// The parts a client has saved under one `file_id`.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Whether the parts came through `saveFilePart` or `saveBigFilePart`.
    pub mode: UploadMode,
    /// `file_total_parts` of a big upload, once the client stated it (TDLib
    /// sends -1 while a stream's length is still unknown).
    pub total_parts: Option<i32>,
    /// Saved parts' bytes, by part index.
    pub parts: BTreeMap<i32, Bytes>,
}

/// The outcome of checking a part against the parts already saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartCheck {
    /// The sizes so far are consistent.
    Ok,
    /// `FILE_PART_SIZE_INVALID`: "512KB cannot be evenly divided by part_size".
    SizeInvalid,
    /// `FILE_PART_SIZE_CHANGED`: "The part size is different from the size of
    /// one of the previous parts in the same file".
    SizeChanged,
}

/// "part_size % 1024 = 0" and "524288 % part_size = 0".
pub fn is_valid_part_size(len: usize) -> bool {
    len > 0 && len.is_multiple_of(1024) && MAX_PART_SIZE.is_multiple_of(len)
}

impl Upload {
    fn new(mode: UploadMode) -> Self {
        Self {
            mode,
            total_parts: None,
            parts: BTreeMap::new(),
        }
    }

    /// The index of the last part, when known: from `file_total_parts`, or
    /// else the highest part saved so far (which may still turn out not to
    /// be the last).
    fn last_index(&self) -> Option<i32> {
        self.total_parts
            .map(|total| total - 1)
            .or_else(|| self.parts.keys().next_back().copied())
    }

    /// Checks the part-size rules over every saved part: all parts share one
    /// valid size except the last, which may be shorter.
    ///
    /// Parts arrive out of order when a client keeps several in flight, so a
    /// short part is accepted as long as it can still be the last one.
    pub fn check_sizes(&self) -> PartCheck {
        self.check_sizes_with_last(self.last_index())
    }

    /// [`Upload::check_sizes`] once the client has said how many parts there are.
    pub fn check_final_sizes(&self, parts: i32) -> PartCheck {
        self.check_sizes_with_last(Some(parts - 1))
    }

    fn check_sizes_with_last(&self, last: Option<i32>) -> PartCheck {
        let mut size = None;
        for (&index, part) in &self.parts {
            if Some(index) == last {
                continue;
            }
            match size {
                None => size = Some(part.len()),
                Some(s) if s != part.len() => {
                    // A size set by a valid earlier part was changed; an
                    // invalid first size is the real fault.
                    return if is_valid_part_size(s) {
                        PartCheck::SizeChanged
                    } else {
                        PartCheck::SizeInvalid
                    };
                }
                Some(_) => {}
            }
        }
        let Some(size) = size else {
            return PartCheck::Ok;
        };
        if !is_valid_part_size(size) {
            return PartCheck::SizeInvalid;
        }
        match last.and_then(|l| self.parts.get(&l)) {
            Some(tail) if tail.len() > size => PartCheck::SizeChanged,
            _ => PartCheck::Ok,
        }
    }

    /// The first part in `0..parts` that was never saved.
    pub fn first_missing(&self, parts: i32) -> Option<i32> {
        (0..parts).find(|index| !self.parts.contains_key(index))
    }

    /// The file's bytes, parts `0..parts` in order.
    pub fn assemble(&self, parts: i32) -> Bytes {
        let len = self.parts.range(..parts).map(|(_, p)| p.len()).sum();
        let mut out = BytesMut::with_capacity(len);
        for (_, part) in self.parts.range(..parts) {
            out.extend_from_slice(part);
        }
        out.freeze()
    }
}

/// What a stored file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A document, served through `inputDocumentFileLocation`.
    Document,
    /// A photo with one size, served through `inputPhotoFileLocation`.
    Photo,
}

/// A finalised file: a document or a photo living on one DC.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// The file's id, unique across the world.
    pub id: i64,
    /// The access hash clients must present along with the id.
    pub access_hash: i64,
    /// Whether it is served as a document or a photo.
    pub kind: FileKind,
    /// The DC the file lives on; downloads elsewhere are told to migrate.
    pub dc_id: i32,
    /// The file's content.
    pub bytes: Bytes,
    /// The MIME type, as the uploader gave it.
    pub mime_type: String,
    /// The file name from the upload's `InputFile` (may be empty).
    pub name: String,
    /// When the file was stored (Unix time, seconds).
    pub date: i32,
    /// The reference clients must present now.
    pub file_reference: Vec<u8>,
    /// References handed out before and since expired.
    pub expired_references: Vec<Vec<u8>>,
    /// SHA-256 of each fixed-size part, computed on first use and shared by
    /// clones: Telegram keeps these with the file instead of hashing on
    /// every `upload.getFileHashes`.
    pub part_hashes: Arc<OnceLock<Vec<[u8; 32]>>>,
    /// The stored file holding this document's thumbnail, if the uploader
    /// sent one ([`DOCUMENT_THUMB_TYPE`]).
    pub thumb: Option<i64>,
    /// The document's attributes as the uploader gave them (video, audio,
    /// file name, …), kept for every later copy of it.
    pub attributes: Vec<tl::enums::DocumentAttribute>,
}

impl StoredFile {
    /// SHA-256 of each `part_size`-byte part (the last may be shorter).
    pub fn part_hashes(&self, part_size: usize) -> &[[u8; 32]] {
        self.part_hashes.get_or_init(|| {
            self.bytes
                .chunks(part_size.max(1))
                .map(|part| Sha256::digest(part).into())
                .collect()
        })
    }
}

/// A finalised upload: the file's bytes and the name the client gave it.
#[derive(Debug, Clone)]
pub struct Finalised {
    /// The assembled content.
    pub bytes: Bytes,
    /// The file name from the `InputFile`.
    pub name: String,
}

/// Why an `InputFile` could not be finalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinaliseError {
    /// `FILE_PARTS_INVALID`: a bad part count, or one that contradicts the parts.
    PartsInvalid,
    /// `FILE_PART_X_MISSING`: this part was never saved.
    PartMissing(i32),
    /// `FILE_PART_SIZE_INVALID`
    PartSizeInvalid,
    /// `FILE_PART_SIZE_CHANGED`
    PartSizeChanged,
    /// `MD5_CHECKSUM_INVALID`: the small file's MD5 does not match.
    Md5Invalid,
}

impl FinaliseError {
    /// Telegram's error name.
    pub fn name(self) -> String {
        match self {
            FinaliseError::PartsInvalid => "FILE_PARTS_INVALID".into(),
            FinaliseError::PartMissing(part) => format!("FILE_PART_{part}_MISSING"),
            FinaliseError::PartSizeInvalid => "FILE_PART_SIZE_INVALID".into(),
            FinaliseError::PartSizeChanged => "FILE_PART_SIZE_CHANGED".into(),
            FinaliseError::Md5Invalid => "MD5_CHECKSUM_INVALID".into(),
        }
    }
}

/// Why a file reference was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceError {
    /// `FILE_REFERENCE_EMPTY`
    Empty,
    /// `FILE_REFERENCE_EXPIRED`: once valid, expired since.
    Expired,
    /// `FILE_REFERENCE_INVALID`: never issued for this file.
    Invalid,
}

impl ReferenceError {
    /// Telegram's error name.
    pub fn name(self) -> &'static str {
        match self {
            ReferenceError::Empty => "FILE_REFERENCE_EMPTY",
            ReferenceError::Expired => "FILE_REFERENCE_EXPIRED",
            ReferenceError::Invalid => "FILE_REFERENCE_INVALID",
        }
    }
}

impl StoredFile {
    /// The `document` constructor a client receives for this file, with
    /// `attributes` plus the file name when they carry none.
    /// `thumb` is the stored thumbnail ([`StoredFile::thumb`]), if any.
    pub fn to_document(&self, thumb: Option<&StoredFile>) -> tl::enums::Document {
        let mut attributes = self.attributes.clone();
        let has_name = attributes
            .iter()
            .any(|a| matches!(a, tl::enums::DocumentAttribute::Filename(_)));
        if !has_name && !self.name.is_empty() {
            attributes.push(
                tl::types::DocumentAttributeFilename {
                    file_name: self.name.clone(),
                }
                .into(),
            );
        }
        tl::types::Document {
            id: self.id,
            access_hash: self.access_hash,
            file_reference: self.file_reference.clone(),
            date: self.date,
            mime_type: self.mime_type.clone(),
            size: self.bytes.len() as i64,
            thumbs: thumb.map(|thumb| {
                vec![
                    tl::types::PhotoSize {
                        r#type: DOCUMENT_THUMB_TYPE.into(),
                        w: 320,
                        h: 320,
                        size: i32::try_from(thumb.bytes.len()).unwrap_or(i32::MAX),
                    }
                    .into(),
                ]
            }),
            video_thumbs: None,
            dc_id: self.dc_id,
            attributes,
        }
        .into()
    }

    /// The `photo` constructor a client receives for this file. The fake DC
    /// does not decode images, so there are no thumbnails: the one size,
    /// [`PHOTO_SIZE_TYPE`], is the file as uploaded.
    pub fn to_photo(&self) -> tl::enums::Photo {
        tl::types::Photo {
            has_stickers: false,
            id: self.id,
            access_hash: self.access_hash,
            file_reference: self.file_reference.clone(),
            date: self.date,
            sizes: vec![
                tl::types::PhotoSize {
                    r#type: PHOTO_SIZE_TYPE.into(),
                    w: 800,
                    h: 800,
                    size: i32::try_from(self.bytes.len()).unwrap_or(i32::MAX),
                }
                .into(),
            ],
            video_sizes: None,
            dc_id: self.dc_id,
        }
        .into()
    }

    /// Checks the reference a client presented.
    pub fn check_reference(&self, presented: &[u8]) -> Result<(), ReferenceError> {
        if presented.is_empty() {
            Err(ReferenceError::Empty)
        } else if presented == self.file_reference {
            Ok(())
        } else if self.expired_references.iter().any(|r| r == presented) {
            Err(ReferenceError::Expired)
        } else {
            Err(ReferenceError::Invalid)
        }
    }

    /// Expires the current reference and issues a new one.
    pub fn rotate_reference(&mut self) {
        let fresh = new_reference();
        let old = std::mem::replace(&mut self.file_reference, fresh);
        self.expired_references.push(old);
    }
}

fn new_reference() -> Vec<u8> {
    // Real references are opaque byte strings of about this length.
    crate::random::bytes(24)
}

/// Uploads in progress and finalised files.
#[derive(Debug, Default)]
pub struct FileStore {
    /// Keyed by (auth key id, client file id): file ids are the client's own.
    uploads: HashMap<(i64, i64), Upload>,
    files: HashMap<i64, StoredFile>,
}

impl FileStore {
    /// The upload for this key and file id, created on first use.
    pub fn upload_mut(&mut self, key_id: i64, file_id: i64, mode: UploadMode) -> &mut Upload {
        self.uploads
            .entry((key_id, file_id))
            .or_insert_with(|| Upload::new(mode))
    }

    /// The upload for this key and file id, if any part was saved.
    pub fn upload(&self, key_id: i64, file_id: i64) -> Option<&Upload> {
        self.uploads.get(&(key_id, file_id))
    }

    /// Forgets an upload (after it was finalised).
    pub fn remove_upload(&mut self, key_id: i64, file_id: i64) -> Option<Upload> {
        self.uploads.remove(&(key_id, file_id))
    }

    /// Stores a finalised file and returns it.
    pub fn store(
        &mut self,
        kind: FileKind,
        dc_id: i32,
        bytes: Bytes,
        mime_type: String,
        name: String,
    ) -> &StoredFile {
        let id = crate::random::positive_i64();
        let file = StoredFile {
            id,
            access_hash: crate::random::i64(),
            kind,
            dc_id,
            bytes,
            mime_type,
            name,
            date: crate::proto::unix_now(),
            file_reference: new_reference(),
            expired_references: Vec::new(),
            part_hashes: Arc::default(),
            thumb: None,
            attributes: Vec::new(),
        };
        self.files.entry(id).or_insert(file)
    }

    /// Checks an `InputFile` against the parts saved under `key_id` and
    /// assembles the file: every part present (`FILE_PART_X_MISSING`),
    /// sizes consistent, and for small files the MD5
    /// (`MD5_CHECKSUM_INVALID`). The upload is forgotten once it succeeds.
    pub fn finalise(
        &mut self,
        key_id: i64,
        input: &tl::enums::InputFile,
        max_parts: i32,
    ) -> Result<Finalised, FinaliseError> {
        let (file_id, parts, name, md5, mode) = match input {
            tl::enums::InputFile::File(f) => (
                f.id,
                f.parts,
                &f.name,
                Some(&f.md5_checksum),
                UploadMode::Small,
            ),
            tl::enums::InputFile::Big(f) => (f.id, f.parts, &f.name, None, UploadMode::Big),
            _ => return Err(FinaliseError::PartsInvalid),
        };
        if !(1..=max_parts).contains(&parts) {
            return Err(FinaliseError::PartsInvalid);
        }
        let upload = self
            .upload(key_id, file_id)
            .ok_or(FinaliseError::PartMissing(0))?;
        if upload.mode != mode || upload.total_parts.is_some_and(|total| total != parts) {
            return Err(FinaliseError::PartsInvalid);
        }
        if let Some(part) = upload.first_missing(parts) {
            return Err(FinaliseError::PartMissing(part));
        }
        match upload.check_final_sizes(parts) {
            PartCheck::Ok => {}
            PartCheck::SizeInvalid => return Err(FinaliseError::PartSizeInvalid),
            PartCheck::SizeChanged => return Err(FinaliseError::PartSizeChanged),
        }
        let bytes = upload.assemble(parts);
        if let Some(md5) = md5.filter(|m| !m.is_empty()) {
            let actual: String = Md5::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            if !actual.eq_ignore_ascii_case(md5) {
                return Err(FinaliseError::Md5Invalid);
            }
        }
        let name = name.clone();
        self.remove_upload(key_id, file_id);
        Ok(Finalised { bytes, name })
    }

    /// Assembles an uploaded photo (the parts saved under `key_id`) and
    /// stores it on `dc_id`: what `inputChatUploadedPhoto` and
    /// `photos.uploadProfilePhoto` do. Returns the stored file's id.
    pub fn store_uploaded_photo(
        &mut self,
        key_id: i64,
        dc_id: i32,
        input: &tl::enums::InputFile,
        max_parts: i32,
    ) -> Result<i64, FinaliseError> {
        let finalised = self.finalise(key_id, input, max_parts)?;
        let mime = if finalised.bytes.starts_with(b"\x89PNG") {
            "image/png"
        } else {
            "image/jpeg"
        };
        Ok(self
            .store(
                FileKind::Photo,
                dc_id,
                finalised.bytes,
                mime.into(),
                finalised.name,
            )
            .id)
    }

    /// The finalised file with this id.
    pub fn get(&self, id: i64) -> Option<&StoredFile> {
        self.files.get(&id)
    }

    /// The finalised file with this id, mutably.
    pub fn get_mut(&mut self, id: i64) -> Option<&mut StoredFile> {
        self.files.get_mut(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(parts: &[(i32, usize)], total: Option<i32>) -> Upload {
        let mut u = Upload::new(if total.is_some() {
            UploadMode::Big
        } else {
            UploadMode::Small
        });
        u.total_parts = total;
        for &(i, len) in parts {
            u.parts.insert(i, Bytes::from(vec![0u8; len]));
        }
        u
    }

    const K: usize = 1024;

    #[test]
    fn regular_parts_with_a_short_tail_pass() {
        assert_eq!(
            upload(&[(0, 512 * K), (1, 512 * K), (2, 10)], None).check_sizes(),
            PartCheck::Ok
        );
    }

    #[test]
    fn a_short_tail_may_arrive_first() {
        assert_eq!(upload(&[(5, 10)], None).check_sizes(), PartCheck::Ok);
        assert_eq!(
            upload(&[(0, 512 * K), (5, 10)], None).check_sizes(),
            PartCheck::Ok
        );
    }

    #[test]
    fn two_different_valid_sizes_are_a_change() {
        assert_eq!(
            upload(&[(0, 512 * K), (1, 256 * K), (2, 512 * K)], None).check_sizes(),
            PartCheck::SizeChanged
        );
    }

    #[test]
    fn a_size_that_does_not_divide_512k_is_invalid() {
        assert_eq!(
            upload(&[(0, 3 * K), (1, 3 * K)], None).check_sizes(),
            PartCheck::SizeInvalid
        );
        assert_eq!(
            upload(&[(0, 1000), (1, 10)], None).check_sizes(),
            PartCheck::SizeInvalid
        );
    }

    #[test]
    fn a_tail_longer_than_the_part_size_is_a_change() {
        assert_eq!(
            upload(&[(0, 64 * K), (1, 128 * K)], None).check_sizes(),
            PartCheck::SizeChanged
        );
    }

    #[test]
    fn a_known_total_pins_the_last_part() {
        // Part 1 of 3 is not the last, so it must be full size.
        assert_eq!(
            upload(&[(0, 512 * K), (1, 10)], Some(3)).check_sizes(),
            PartCheck::SizeChanged
        );
    }

    #[test]
    fn references_expire_and_rotate() {
        let mut store = FileStore::default();
        let id = store
            .store(
                FileKind::Document,
                1,
                Bytes::from_static(b"x"),
                "a/b".into(),
                "n".into(),
            )
            .id;
        let file = store.get_mut(id).expect("stored");
        let first = file.file_reference.clone();
        assert_eq!(file.check_reference(&first), Ok(()));
        file.rotate_reference();
        assert_eq!(file.check_reference(&first), Err(ReferenceError::Expired));
        assert_eq!(file.check_reference(b"nope"), Err(ReferenceError::Invalid));
        assert_eq!(file.check_reference(b""), Err(ReferenceError::Empty));
    }
}
