//! `upload.*`: saving parts, finalising uploads into documents and photos,
//! and serving them back, with the rules and errors of the files spec.

use bytes::Bytes;
use grammers_tl_types as tl;

use crate::rpc::{CallContext, Peer, Router, RpcError};
use crate::world::{
    DOCUMENT_THUMB_TYPE, FileKind, PHOTO_SIZE_TYPE, PartCheck, ServedChunk, StoredFile, UploadMode,
    WorldState, files::MAX_PART_SIZE,
};

/// "The parameter offset must be divisible by 4 KB" (non-precise requests).
const NON_PRECISE_ALIGN: i64 = 4 * 1024;
/// "The parameter offset must be divisible by 1 KB" (precise requests).
const PRECISE_ALIGN: i64 = 1024;
/// "limit must not exceed 1048576 (1 MB)"; also the chunk no request may cross.
const ONE_MIB: i64 = 1024 * 1024;

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::upload::SaveFilePart, _>(|ctx, r| {
        save_part(ctx, r.file_id, r.file_part, None, r.bytes)
    });
    router.add::<tl::functions::upload::SaveBigFilePart, _>(|ctx, r| {
        save_part(
            ctx,
            r.file_id,
            r.file_part,
            Some(r.file_total_parts),
            r.bytes,
        )
    });
    router.add::<tl::functions::upload::GetFile, _>(get_file);
    router.add::<tl::functions::upload::GetFileHashes, _>(get_file_hashes);
}

fn save_part(
    ctx: &CallContext<'_>,
    file_id: i64,
    part: i32,
    total_parts: Option<i32>,
    bytes: Vec<u8>,
) -> Result<bool, RpcError> {
    let user_id = ctx.require_user()?;
    let mut state = ctx.world.lock();
    let max = ctx.world.limits().max_parts(state.is_premium(user_id));
    // TDLib sends -1 as the total while a stream's length is unknown.
    let stated_total = match total_parts {
        Some(-1) => None,
        Some(total) if !(1..=max).contains(&total) => {
            return Err(RpcError::bad_request("FILE_PARTS_INVALID"));
        }
        other => other,
    };
    if !(0..max).contains(&part) || stated_total.is_some_and(|total| part >= total) {
        return Err(RpcError::bad_request("FILE_PART_INVALID"));
    }
    if bytes.is_empty() {
        return Err(RpcError::bad_request("FILE_PART_EMPTY"));
    }
    if bytes.len() > MAX_PART_SIZE {
        return Err(RpcError::bad_request("FILE_PART_TOO_BIG"));
    }
    let mode = if total_parts.is_some() {
        UploadMode::Big
    } else {
        UploadMode::Small
    };
    let upload = state.files.upload_mut(ctx.auth_key_id, file_id, mode);
    if upload.mode != mode {
        // The same file id cannot mix saveFilePart and saveBigFilePart.
        return Err(RpcError::bad_request("FILE_PART_INVALID"));
    }
    if let Some(total) = stated_total {
        match upload.total_parts {
            Some(known) if known != total => {
                return Err(RpcError::bad_request("FILE_PARTS_INVALID"));
            }
            _ => upload.total_parts = Some(total),
        }
    }
    if ctx.world.faults().take_lost_part(part) {
        // Acknowledged but gone, like a part that expired from storage.
        return Ok(true);
    }
    let previous = upload.parts.insert(part, Bytes::from(bytes));
    let verdict = upload.check_sizes();
    if verdict != PartCheck::Ok {
        match previous {
            Some(previous) => upload.parts.insert(part, previous),
            None => upload.parts.remove(&part),
        };
        return Err(RpcError::bad_request(match verdict {
            PartCheck::SizeInvalid => "FILE_PART_SIZE_INVALID",
            _ => "FILE_PART_SIZE_CHANGED",
        }));
    }
    Ok(true)
}

/// The stored file an `InputFileLocation` names, with its access hash and
/// file reference checked.
fn resolve_location<'s>(
    ctx: &CallContext<'_>,
    state: &'s WorldState,
    location: &tl::enums::InputFileLocation,
) -> Result<&'s StoredFile, RpcError> {
    use tl::enums::InputFileLocation as L;
    let invalid = || RpcError::bad_request("FILE_ID_INVALID");
    let (file, reference) = match location {
        L::InputDocumentFileLocation(l) => {
            let document = state.files.get(l.id).ok_or_else(invalid)?;
            if document.kind != FileKind::Document || document.access_hash != l.access_hash {
                return Err(invalid());
            }
            if document.dc_id != ctx.dc_id {
                return Err(RpcError::migrate("FILE", document.dc_id));
            }
            document
                .check_reference(&l.file_reference)
                .map_err(|e| RpcError::bad_request(e.name()))?;
            // The thumbnail is served under the document's id and reference.
            let file = match l.thumb_size.as_str() {
                "" => document,
                DOCUMENT_THUMB_TYPE => document
                    .thumb
                    .and_then(|thumb| state.files.get(thumb))
                    .ok_or_else(invalid)?,
                _ => return Err(invalid()),
            };
            (file, None)
        }
        L::InputPhotoFileLocation(l) => {
            let file = state.files.get(l.id).ok_or_else(invalid)?;
            if file.kind != FileKind::Photo
                || file.access_hash != l.access_hash
                || l.thumb_size != PHOTO_SIZE_TYPE
            {
                return Err(invalid());
            }
            (file, Some(&l.file_reference))
        }
        L::InputPeerPhotoFileLocation(l) => {
            // Only users' photos are served this way.
            let owner = match &l.peer {
                tl::enums::InputPeer::PeerSelf | tl::enums::InputPeer::User(_) => {
                    ctx.resolve_input_peer(state, &l.peer)?
                }
                _ => return Err(RpcError::bad_request("PEER_ID_INVALID")),
            };
            let Peer::User(owner) = owner else {
                return Err(RpcError::bad_request("PEER_ID_INVALID"));
            };
            let owns = state
                .users
                .get(owner)
                .is_some_and(|u| u.photo_id == Some(l.photo_id));
            let file = state
                .files
                .get(l.photo_id)
                .filter(|_| owns)
                .ok_or_else(invalid)?;
            (file, None)
        }
        _ => return Err(RpcError::bad_request("LOCATION_INVALID")),
    };
    if file.dc_id != ctx.dc_id {
        return Err(RpcError::migrate("FILE", file.dc_id));
    }
    if let Some(reference) = reference {
        file.check_reference(reference)
            .map_err(|e| RpcError::bad_request(e.name()))?;
    }
    Ok(file)
}

/// Checks offset and limit against the rules of the mode:
/// non-precise: offset and limit divisible by 4 KB and 1 MB divisible by limit;
/// precise: offset and limit divisible by 1 KB and limit at most 1 MB;
/// both: "offset / (1024 * 1024) == (offset + limit - 1) / (1024 * 1024)".
pub fn check_range(precise: bool, offset: i64, limit: i32) -> Result<(), RpcError> {
    let limit = i64::from(limit);
    let (align, limit_ok) = if precise {
        (
            PRECISE_ALIGN,
            limit % PRECISE_ALIGN == 0 && limit <= ONE_MIB,
        )
    } else {
        (
            NON_PRECISE_ALIGN,
            limit % NON_PRECISE_ALIGN == 0 && limit > 0 && ONE_MIB % limit == 0,
        )
    };
    if offset < 0 || offset % align != 0 {
        return Err(RpcError::bad_request("OFFSET_INVALID"));
    }
    if limit <= 0 || !limit_ok || offset / ONE_MIB != (offset + limit - 1) / ONE_MIB {
        return Err(RpcError::bad_request("LIMIT_INVALID"));
    }
    Ok(())
}

fn get_file(
    ctx: &CallContext<'_>,
    request: tl::functions::upload::GetFile,
) -> Result<tl::enums::upload::File, RpcError> {
    ctx.require_user()?;
    let state = ctx.world.lock();
    let file = resolve_location(ctx, &state, &request.location)?;
    check_range(request.precise, request.offset, request.limit)?;
    let start = (request.offset as usize).min(file.bytes.len());
    let end = (start + request.limit as usize).min(file.bytes.len());
    // Copied out after the lock is released; the slice only bumps a refcount.
    let data = file.bytes.slice(start..end);
    let file_type = match file.kind {
        FileKind::Photo => tl::enums::storage::FileType::FileJpeg,
        FileKind::Document => tl::enums::storage::FileType::FileUnknown,
    };
    let mtime = file.date;
    let file_id = file.id;
    drop(state);
    if !data.is_empty() {
        ctx.world.record_served_chunk(ServedChunk {
            file_id,
            offset: request.offset,
            len: data.len(),
        });
    }
    let mut bytes = data.to_vec();
    if !bytes.is_empty() && ctx.world.faults().take_corruption() {
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x5a;
    }
    Ok(tl::types::upload::File {
        r#type: file_type,
        mtime,
        bytes,
    }
    .into())
}

fn get_file_hashes(
    ctx: &CallContext<'_>,
    request: tl::functions::upload::GetFileHashes,
) -> Result<Vec<tl::enums::FileHash>, RpcError> {
    ctx.require_user()?;
    if request.offset < 0 {
        return Err(RpcError::bad_request("OFFSET_INVALID"));
    }
    // Hash outside the world lock: other connections keep going meanwhile.
    let file = {
        let state = ctx.world.lock();
        resolve_location(ctx, &state, &request.location)?.clone()
    };
    let limits = ctx.world.limits();
    let part = limits.file_hash_part_size;
    let len = file.bytes.len();
    let hashes = file.part_hashes(part);
    let first = request.offset as usize / part;
    Ok(hashes
        .iter()
        .enumerate()
        .skip(first)
        .take(limits.file_hashes_per_call)
        .map(|(index, hash)| {
            let offset = index * part;
            tl::types::FileHash {
                offset: offset as i64,
                limit: ((offset + part).min(len) - offset) as i32,
                hash: hash.to_vec(),
            }
            .into()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::check_range;

    fn name(precise: bool, offset: i64, limit: i32) -> Option<String> {
        check_range(precise, offset, limit).err().map(|e| e.message)
    }

    #[test]
    fn non_precise_rules() {
        assert_eq!(name(false, 0, 1 << 20), None);
        assert_eq!(name(false, 4096, 4096), None);
        assert_eq!(name(false, 1024, 4096).as_deref(), Some("OFFSET_INVALID"));
        assert_eq!(name(false, 0, 12 * 1024).as_deref(), Some("LIMIT_INVALID"));
        assert_eq!(name(false, 0, 0).as_deref(), Some("LIMIT_INVALID"));
        // 512 KiB starting at 768 KiB crosses the 1 MiB boundary.
        assert_eq!(
            name(false, 768 * 1024, 512 * 1024).as_deref(),
            Some("LIMIT_INVALID")
        );
    }

    #[test]
    fn precise_rules() {
        assert_eq!(name(true, 1024, 3 * 1024), None);
        assert_eq!(name(true, 512, 1024).as_deref(), Some("OFFSET_INVALID"));
        assert_eq!(name(true, 0, 1000).as_deref(), Some("LIMIT_INVALID"));
        assert_eq!(
            name(true, 0, (1 << 20) + 1024).as_deref(),
            Some("LIMIT_INVALID")
        );
        assert_eq!(
            name(true, 1023 * 1024, 2 * 1024).as_deref(),
            Some("LIMIT_INVALID")
        );
        assert_eq!(name(true, -1024, 1024).as_deref(), Some("OFFSET_INVALID"));
    }
}
