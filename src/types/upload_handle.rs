//! What an upload leaves behind so that it can be resumed: the file id, the
//! part layout and, for every part the server confirmed, a fingerprint of
//! the bytes that were sent.
//!
//! It lives in [`crate::types`], below everything: [`crate::error::Error`]
//! carries an `UploadHandle` in `UploadInterrupted`, and the transfer
//! executors that fill it in depend on `error`. [`crate::transfer`]
//! re-exports it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Everything needed to continue an interrupted upload without resending
/// what the server already has.
///
/// It serializes with serde, so an application can persist it and resume
/// after the process died:
///
/// ```
/// # use tgcmd::transfer::UploadHandle;
/// # let handle = UploadHandle::new(7, 512 * 1024, true, Some(20 << 20), "video.mp4");
/// let saved = serde_json::to_string(&handle).expect("a handle serializes");
/// let restored: UploadHandle = serde_json::from_str(&saved).expect("and reads back");
/// assert_eq!(restored, handle);
/// ```
///
/// Each confirmed part keeps a 64-bit fingerprint (XXH3) of its content.
/// Resuming reads the source again and refuses to go on if a confirmed
/// part's bytes changed, so a changed file can never be finalised from a
/// mix of old and new parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadHandle {
    /// The client-chosen file id the parts were saved under.
    pub file_id: i64,
    /// Part size in bytes the parts were saved with; a resume reuses it.
    pub part_size: u32,
    /// `saveBigFilePart` rather than `saveFilePart`.
    pub big: bool,
    /// The file size, when it was known up front.
    pub size: Option<u64>,
    /// The file name sent in `inputFile`.
    pub name: String,
    /// Parts the server acknowledged, each with the fingerprint of the
    /// bytes sent ([`part_fingerprint`]).
    pub confirmed: BTreeMap<u32, u64>,
}

impl UploadHandle {
    /// A handle for a new upload, with no part confirmed yet.
    pub fn new(file_id: i64, part_size: u32, big: bool, size: Option<u64>, name: &str) -> Self {
        Self {
            file_id,
            part_size,
            big,
            size,
            name: name.to_owned(),
            confirmed: BTreeMap::new(),
        }
    }

    /// Records that the server confirmed part `index` with these bytes.
    pub fn confirm(&mut self, index: u32, content: &[u8]) {
        self.confirmed.insert(index, part_fingerprint(content));
    }

    /// Whether part `index` is confirmed.
    pub fn is_confirmed(&self, index: u32) -> bool {
        self.confirmed.contains_key(&index)
    }

    /// Checks the source's bytes of a confirmed part against what was
    /// sent. `Ok` for a part that was not confirmed.
    pub fn check_unchanged(&self, index: u32, content: &[u8]) -> Result<(), ChangedPart> {
        match self.confirmed.get(&index) {
            Some(&sent) if sent != part_fingerprint(content) => Err(ChangedPart { index }),
            _ => Ok(()),
        }
    }
}

/// A resumed upload's source differs from what was sent before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "part {index} of the source differs from what was uploaded before; \
     the content changed, so start a new upload instead of resuming"
)]
pub struct ChangedPart {
    /// The part whose bytes changed.
    pub index: u32,
}

/// The fingerprint an [`UploadHandle`] keeps of a part: XXH3-64 of its
/// bytes. It detects a changed source, not an attacker; it costs well
/// under 1% of an upload's CPU.
pub fn part_fingerprint(content: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_confirmed_part_is_detected() {
        let mut handle = UploadHandle::new(1, 1024, false, Some(2048), "f");
        handle.confirm(0, b"first part");
        assert!(handle.is_confirmed(0));
        assert_eq!(handle.check_unchanged(0, b"first part"), Ok(()));
        assert_eq!(
            handle.check_unchanged(0, b"first pArt"),
            Err(ChangedPart { index: 0 })
        );
        // A part never confirmed has nothing to compare with.
        assert_eq!(handle.check_unchanged(1, b"anything"), Ok(()));
    }

    #[test]
    fn fingerprints_are_stable_across_builds() {
        // Persisted handles outlive the binary: the fingerprint must not
        // depend on a per-process seed. XXH3-64 of "" is a published value.
        assert_eq!(part_fingerprint(b""), 0x2d06_8005_38d3_94c2);
    }
}
