//! Media that finalises uploads: `messages.uploadMedia`, `messages.sendMedia`
//! to Saved Messages, and `photos.uploadProfilePhoto`.

use grammers_tl_types as tl;

use crate::rpc::{CallContext, Router, RpcError};
use crate::world::{FileKind, Finalised, StoredFile, WorldState};

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::messages::UploadMedia, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        check_peer(&state, viewer, &request.peer)?;
        media_from_input(ctx, &mut state, &request.media)
    });
    router.add::<tl::functions::messages::SendMedia, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        check_peer(&state, viewer, &request.peer)?;
        let media = media_from_input(ctx, &mut state, &request.media)?;
        Ok(save_message(
            ctx,
            &mut state,
            viewer,
            request.message,
            media,
            request.random_id,
        ))
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
        let user = user.to_tl(ctx.world, viewer);
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

/// Only the account's own chat (Saved Messages) exists in the fake world so far.
fn check_peer(
    state: &WorldState,
    viewer: i64,
    peer: &tl::enums::InputPeer,
) -> Result<(), RpcError> {
    let ok = match peer {
        tl::enums::InputPeer::PeerSelf => true,
        tl::enums::InputPeer::User(u) => u.user_id == viewer && state.users.get(viewer).is_some(),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(RpcError::bad_request("PEER_ID_INVALID"))
    }
}

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
    let document_media = |document| {
        tl::types::MessageMediaDocument {
            nopremium: false,
            spoiler: false,
            video: false,
            round: false,
            voice: false,
            document: Some(document),
            alt_documents: None,
            video_cover: None,
            video_timestamp: None,
            ttl_seconds: None,
        }
        .into()
    };
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
            let mime = if d.mime_type.is_empty() {
                "application/octet-stream".to_string()
            } else {
                d.mime_type.clone()
            };
            let file = store(ctx, state, FileKind::Document, finalised, mime);
            Ok(document_media(file.to_document(d.attributes.clone())))
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
                Ok(document_media(file.to_document(Vec::new())))
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
        _ => Err(RpcError::bad_request("MEDIA_INVALID")),
    }
}

/// Stores a message in the account's Saved Messages and returns the
/// `updates` Telegram sends back for it.
fn save_message(
    ctx: &CallContext<'_>,
    state: &mut WorldState,
    viewer: i64,
    text: String,
    media: tl::enums::MessageMedia,
    random_id: i64,
) -> tl::enums::Updates {
    let date = ctx.world.now();
    let account = state.account(viewer);
    let id = account.next_message_id;
    account.next_message_id += 1;
    account.pts += 1;
    let pts = account.pts;
    let message: tl::enums::Message = tl::types::Message {
        out: true,
        mentioned: false,
        media_unread: false,
        silent: false,
        post: false,
        from_scheduled: false,
        legacy: false,
        edit_hide: false,
        pinned: false,
        noforwards: false,
        invert_media: false,
        offline: false,
        video_processing_pending: false,
        paid_suggested_post_stars: false,
        paid_suggested_post_ton: false,
        id,
        from_id: Some(tl::types::PeerUser { user_id: viewer }.into()),
        from_boosts_applied: None,
        from_rank: None,
        peer_id: tl::types::PeerUser { user_id: viewer }.into(),
        saved_peer_id: None,
        fwd_from: None,
        via_bot_id: None,
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to: None,
        date,
        message: text,
        media: Some(media),
        reply_markup: None,
        entities: None,
        views: None,
        forwards: None,
        replies: None,
        edit_date: None,
        post_author: None,
        grouped_id: None,
        reactions: None,
        restriction_reason: None,
        ttl_period: None,
        quick_reply_shortcut_id: None,
        effect: None,
        factcheck: None,
        report_delivery_until_date: None,
        paid_message_stars: None,
        suggested_post: None,
        schedule_repeat_period: None,
        summary_from_language: None,
        rich_message: None,
    }
    .into();
    account.saved_messages.push(message.clone());
    let users = state
        .users
        .get(viewer)
        .map(|u| vec![u.to_tl(ctx.world, viewer)])
        .unwrap_or_default();
    tl::types::Updates {
        updates: vec![
            tl::types::UpdateMessageId { id, random_id }.into(),
            tl::types::UpdateNewMessage {
                message,
                pts,
                pts_count: 1,
            }
            .into(),
        ],
        users,
        chats: Vec::new(),
        date,
        seq: 0,
    }
    .into()
}
