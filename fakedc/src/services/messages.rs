//! Media that finalises uploads: `messages.uploadMedia`, `messages.sendMedia`
//! (to any peer: uploaded or stored photos and documents, geo points) and
//! `photos.uploadProfilePhoto`.

use grammers_tl_types as tl;

use crate::rpc::{CallContext, Router, RpcError};
use crate::world::sending::{Draft, answer_and_pushes, store_message};
use crate::world::{Delivery, FileKind, Finalised, StoredFile, WorldState};

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::messages::UploadMedia, _>(|ctx, request| {
        let mut state = ctx.world.lock();
        ctx.resolve_input_peer(&state, &request.peer)?;
        media_from_input(ctx, &mut state, &request.media)
    });
    router.add::<tl::functions::messages::SendMedia, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let target = ctx.resolve_input_peer(&state, &request.peer)?;
        if request.message.encode_utf16().count() > CAPTION_MAX {
            return Err(RpcError::bad_request("MEDIA_CAPTION_TOO_LONG"));
        }
        let media = media_from_input(ctx, &mut state, &request.media)?;
        let reply_to_msg_id = match request.reply_to {
            Some(tl::enums::InputReplyTo::Message(r)) => Some(r.reply_to_msg_id),
            _ => None,
        };
        let draft = Draft {
            text: request.message,
            entities: request.entities,
            media: Some(media),
            reply_to_msg_id,
            silent: request.silent,
            ..Draft::default()
        };
        let stored = store_message(ctx.world, &mut state, viewer, target, draft)?;
        let (answer, pushes) = answer_and_pushes(
            ctx.world,
            &mut state,
            &[stored],
            &[request.random_id],
            true,
            ctx.session,
        );
        drop(state);
        ctx.world.push(pushes);
        Ok(answer)
    });
    router.add::<tl::functions::photos::UploadProfilePhoto, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        if request.bot.is_some() || request.video.is_some() {
            return Err(RpcError::bad_request("PHOTO_FILE_MISSING"));
        }
        let input = request
            .file
            .ok_or_else(|| RpcError::bad_request("PHOTO_FILE_MISSING"))?;
        let mut state = ctx.world.lock();
        let finalised = finalise(ctx, &mut state, &input)?;
        let photo = store(
            ctx,
            &mut state,
            FileKind::Photo,
            finalised,
            "image/jpeg".into(),
        );
        let user = state
            .users
            .get_mut(viewer)
            .ok_or_else(|| RpcError::internal("USER_GONE"))?;
        user.photo_id = Some(photo.id);
        let watchers: Vec<i64> = user.contact_of.iter().copied().collect();
        let user = user.to_tl(ctx.world, viewer);
        // The account's other sessions and those who have it as a contact
        // learn of the new photo by `updateUser`.
        let date = ctx.world.now();
        let pushes = std::iter::once((viewer, ctx.session))
            .chain(watchers.into_iter().map(|w| (w, None)))
            .filter_map(|(user_id, except_session)| {
                let seen = state.users.get(viewer)?.to_tl(ctx.world, user_id);
                Some(Delivery {
                    user_id,
                    except_session,
                    updates: tl::types::Updates {
                        updates: vec![tl::types::UpdateUser { user_id: viewer }.into()],
                        users: vec![seen],
                        chats: Vec::new(),
                        date,
                        seq: 0,
                    }
                    .into(),
                })
            })
            .collect();
        drop(state);
        ctx.world.push(pushes);
        Ok(tl::types::photos::Photo {
            photo: photo.to_photo(),
            users: vec![user],
        }
        .into())
    });
}

/// Assembles the upload an `InputFile` names, with Telegram's errors.
fn finalise(
    ctx: &CallContext<'_>,
    state: &mut WorldState,
    input: &tl::enums::InputFile,
) -> Result<Finalised, RpcError> {
    let user_id = ctx.require_user()?;
    let max_parts = ctx.world.limits().max_parts(state.is_premium(user_id));
    state
        .files
        .finalise(ctx.auth_key_id, input, max_parts)
        .map_err(|e| RpcError::bad_request(e.name()))
}

/// Stores a finalised upload as a document or photo on this DC.
fn store(
    ctx: &CallContext<'_>,
    state: &mut WorldState,
    kind: FileKind,
    finalised: Finalised,
    mime_type: String,
) -> StoredFile {
    state
        .files
        .store(kind, ctx.dc_id, finalised.bytes, mime_type, finalised.name)
        .clone()
}

/// The longest media caption (Telegram's `caption_length_max`).
const CAPTION_MAX: usize = 1024;

fn find_file<'s>(
    state: &'s WorldState,
    kind: FileKind,
    id: i64,
    access_hash: i64,
    reference: &[u8],
) -> Result<&'s StoredFile, RpcError> {
    let file = state
        .files
        .get(id)
        .filter(|f| f.kind == kind && f.access_hash == access_hash)
        .ok_or_else(|| RpcError::bad_request("MEDIA_INVALID"))?;
    file.check_reference(reference)
        .map_err(|e| RpcError::bad_request(e.name()))?;
    Ok(file)
}

/// Turns an `InputMedia` into the `MessageMedia` it creates or names.
fn media_from_input(
    ctx: &CallContext<'_>,
    state: &mut WorldState,
    media: &tl::enums::InputMedia,
) -> Result<tl::enums::MessageMedia, RpcError> {
    use tl::enums::InputMedia as M;
    let photo_media = |photo| {
        tl::types::MessageMediaPhoto {
            spoiler: false,
            live_photo: false,
            photo: Some(photo),
            ttl_seconds: None,
            video: None,
        }
        .into()
    };
    match media {
        M::UploadedDocument(d) => {
            let finalised = finalise(ctx, state, &d.file)?;
            let thumb = match &d.thumb {
                Some(input) => {
                    let finalised = finalise(ctx, state, input)?;
                    let thumb = store(
                        ctx,
                        state,
                        FileKind::Document,
                        finalised,
                        "image/jpeg".into(),
                    );
                    Some(thumb.id)
                }
                None => None,
            };
            let mime = if d.mime_type.is_empty() {
                "application/octet-stream".to_string()
            } else {
                d.mime_type.clone()
            };
            let id = store(ctx, state, FileKind::Document, finalised, mime).id;
            let file = state
                .files
                .get_mut(id)
                .ok_or_else(|| RpcError::internal("FILE_GONE"))?;
            file.thumb = thumb;
            file.attributes = d.attributes.clone();
            Ok(document_media(state, id))
        }
        M::UploadedPhoto(p) => {
            let finalised = finalise(ctx, state, &p.file)?;
            let file = store(ctx, state, FileKind::Photo, finalised, "image/jpeg".into());
            Ok(photo_media(file.to_photo()))
        }
        M::Document(d) => match &d.id {
            tl::enums::InputDocument::Document(input) => {
                let file = find_file(
                    state,
                    FileKind::Document,
                    input.id,
                    input.access_hash,
                    &input.file_reference,
                )?;
                let id = file.id;
                Ok(document_media(state, id))
            }
            tl::enums::InputDocument::Empty => Err(RpcError::bad_request("MEDIA_INVALID")),
        },
        M::Photo(p) => match &p.id {
            tl::enums::InputPhoto::Photo(input) => {
                let file = find_file(
                    state,
                    FileKind::Photo,
                    input.id,
                    input.access_hash,
                    &input.file_reference,
                )?;
                Ok(photo_media(file.to_photo()))
            }
            tl::enums::InputPhoto::Empty => Err(RpcError::bad_request("MEDIA_INVALID")),
        },
        M::GeoPoint(g) => match &g.geo_point {
            tl::enums::InputGeoPoint::Point(p) => Ok(tl::types::MessageMediaGeo {
                geo: tl::types::GeoPoint {
                    long: p.long,
                    lat: p.lat,
                    access_hash: 0,
                    accuracy_radius: p.accuracy_radius,
                }
                .into(),
            }
            .into()),
            tl::enums::InputGeoPoint::Empty => Err(RpcError::bad_request("MEDIA_INVALID")),
        },
        _ => Err(RpcError::bad_request("MEDIA_INVALID")),
    }
}

/// `messageMediaDocument` for stored document `id`, flagged as Telegram
/// flags it from the attributes: a video, a round video, a voice note.
fn document_media(state: &WorldState, id: i64) -> tl::enums::MessageMedia {
    use tl::enums::DocumentAttribute as A;
    let file = state.files.get(id);
    let attributes = file.map(|f| f.attributes.as_slice()).unwrap_or_default();
    let video = attributes.iter().find_map(|a| match a {
        A::Video(v) => Some(v.round_message),
        _ => None,
    });
    let voice = attributes
        .iter()
        .any(|a| matches!(a, A::Audio(audio) if audio.voice));
    tl::types::MessageMediaDocument {
        nopremium: false,
        spoiler: false,
        video: video == Some(false),
        round: video == Some(true),
        voice,
        document: file.map(|f| f.to_document(f.thumb.and_then(|t| state.files.get(t)))),
        alt_documents: None,
        video_cover: None,
        video_timestamp: None,
        ttl_seconds: None,
    }
    .into()
}
