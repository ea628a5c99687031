//! Layer translation for clients that speak an older API layer.
//!
//! The fake DC (de)serialises with grammers-tl-types, which is layer 230.
//! Telegram itself answers every client in the layer it announced with
//! `invokeWithLayer`; a client that cannot parse a newer constructor stalls
//! on the answer. Most constructors a file-transfer client touches (config,
//! `document`, `upload.file`, `inputFile*`, `updates.state` …) are identical
//! in old layers, but a few are not. This module converts just those, for
//! just the layers listed in [`LEGACY_LAYERS`], by hand-written TL:
//!
//! | direction | layer 158 constructor | layer 230 constructor |
//! | --- | --- | --- |
//! | request | `messages.uploadMedia#519bc2b1` | `messages.uploadMedia#14967978` |
//! | request | `inputMediaUploadedDocument#5b38c6c1` | `inputMediaUploadedDocument#37c9330` |
//! | result | `user#8f97c628` | `user#b1b8cc83` |
//! | result | `userFull#93eadb53` | `userFull#6cbe645` |
//! | result | `peerSettings#a518110d` | `peerSettings#f47741f7` |
//! | result | `peerNotifySettings#a83b0426` | `peerNotifySettings#99622c0c` |
//! | result | `messageMediaDocument#9cb070d7` | `messageMediaDocument#52d8ccd9` |
//!
//! Results are downgraded per method: `users.getUsers`, `users.getFullUser`
//! and `messages.uploadMedia` (which is what Pyrogram 2.0.106, layer 158,
//! needs to connect, sign in, upload and download). Other results go out in
//! layer 230; where one would hold a constructor an old client cannot read
//! (e.g. `messages.sendMedia`'s `message`), extend the table above rather
//! than guess. Fields a layer-158 object has no room for (stories, business
//! settings, emoji statuses …) are dropped: the fake world does not set them.
//!
//! Requests are upgraded by constructor id: the legacy ids above do not exist
//! in layer 230, so a request using one cannot mean anything else.

use std::ops::RangeInclusive;

use grammers_tl_types::{self as tl, Cursor, Deserializable, Identifiable, Serializable};
use tracing::warn;

use crate::rpc::RpcError;

/// The layers this module translates for: only those whose schema each
/// hand-written constructor below was checked against. Layer 158 is
/// Pyrogram 2.0.x.
pub const LEGACY_LAYERS: RangeInclusive<i32> = 158..=158;

/// `messages.uploadMedia#519bc2b1 peer:InputPeer media:InputMedia = MessageMedia` (layer 158).
pub const UPLOAD_MEDIA_158: u32 = 0x519bc2b1;
/// `inputMediaUploadedDocument#5b38c6c1 flags:# nosound_video:flags.3?true
/// force_file:flags.4?true spoiler:flags.5?true file:InputFile
/// thumb:flags.2?InputFile mime_type:string attributes:Vector<DocumentAttribute>
/// stickers:flags.0?Vector<InputDocument> ttl_seconds:flags.1?int = InputMedia` (layer 158).
pub const INPUT_MEDIA_UPLOADED_DOCUMENT_158: u32 = 0x5b38c6c1;
/// `user#8f97c628` (layer 158); see [`write_user`].
pub const USER_158: u32 = 0x8f97c628;
/// `userFull#93eadb53` (layer 158); see [`write_user_full`].
pub const USER_FULL_158: u32 = 0x93eadb53;
/// `peerSettings#a518110d` (layer 158); see [`write_peer_settings`].
pub const PEER_SETTINGS_158: u32 = 0xa518110d;
/// `peerNotifySettings#a83b0426` (layer 158); see [`write_peer_notify_settings`].
pub const PEER_NOTIFY_SETTINGS_158: u32 = 0xa83b0426;
/// `messageMediaDocument#9cb070d7 flags:# nopremium:flags.3?true
/// spoiler:flags.4?true document:flags.0?Document ttl_seconds:flags.2?int
/// = MessageMedia` (layer 158).
pub const MESSAGE_MEDIA_DOCUMENT_158: u32 = 0x9cb070d7;

/// `vector#1cb5c415`
const VECTOR: u32 = 0x1cb5c415;

/// Whether results for a client on `layer` are translated.
pub fn is_legacy(layer: i32) -> bool {
    LEGACY_LAYERS.contains(&layer)
}

fn fetch_error<E>(_: E) -> RpcError {
    RpcError::bad_request("INPUT_FETCH_ERROR")
}

/// Rewrites a request that uses a legacy constructor into its layer-230
/// form. Requests in current constructors are returned as they are.
pub fn upgrade_request(query: Vec<u8>) -> Result<Vec<u8>, RpcError> {
    if crate::proto::constructor_of(&query) != Some(UPLOAD_MEDIA_158) {
        return Ok(query);
    }
    let mut c = Cursor::from_slice(&query[4..]);
    let peer = tl::enums::InputPeer::deserialize(&mut c).map_err(fetch_error)?;
    let media = read_input_media(&mut c)?;
    Ok(tl::functions::messages::UploadMedia {
        business_connection_id: None,
        peer,
        media,
    }
    .to_bytes())
}

/// An `InputMedia`, in the layer-158 form of `inputMediaUploadedDocument`
/// or in a constructor both layers share.
fn read_input_media(c: &mut Cursor<'_>) -> Result<tl::enums::InputMedia, RpcError> {
    let id = u32::deserialize(c).map_err(fetch_error)?;
    if id != INPUT_MEDIA_UPLOADED_DOCUMENT_158 {
        // Not a legacy form: let grammers read it, constructor id included.
        let rest = {
            let mut rest = id.to_le_bytes().to_vec();
            c.read_to_end(&mut rest).map_err(fetch_error)?;
            rest
        };
        return tl::enums::InputMedia::from_bytes(&rest).map_err(fetch_error);
    }
    let flags = u32::deserialize(c).map_err(fetch_error)?;
    let bit = |n: u32| flags & (1 << n) != 0;
    let file = tl::enums::InputFile::deserialize(c).map_err(fetch_error)?;
    let thumb = if bit(2) {
        Some(tl::enums::InputFile::deserialize(c).map_err(fetch_error)?)
    } else {
        None
    };
    let mime_type = String::deserialize(c).map_err(fetch_error)?;
    let attributes = Vec::<tl::enums::DocumentAttribute>::deserialize(c).map_err(fetch_error)?;
    let stickers = if bit(0) {
        Some(Vec::<tl::enums::InputDocument>::deserialize(c).map_err(fetch_error)?)
    } else {
        None
    };
    let ttl_seconds = if bit(1) {
        Some(i32::deserialize(c).map_err(fetch_error)?)
    } else {
        None
    };
    Ok(tl::types::InputMediaUploadedDocument {
        nosound_video: bit(3),
        force_file: bit(4),
        spoiler: bit(5),
        file,
        thumb,
        mime_type,
        attributes,
        stickers,
        video_cover: None,
        video_timestamp: None,
        ttl_seconds,
    }
    .into())
}

/// Re-encodes the result of `method` (a layer-230 constructor id) for a
/// client on `layer`. Anything this module does not translate, or cannot
/// read back, is returned unchanged.
pub fn downgrade_result(layer: i32, method: u32, result: Vec<u8>) -> Vec<u8> {
    if !is_legacy(layer) {
        return result;
    }
    let downgraded = match method {
        tl::functions::users::GetUsers::CONSTRUCTOR_ID => {
            Vec::<tl::enums::User>::from_bytes(&result)
                .map(|users| {
                    let mut out = Vec::new();
                    write_users(&mut out, &users);
                    out
                })
                .ok()
        }
        tl::functions::users::GetFullUser::CONSTRUCTOR_ID => {
            tl::enums::users::UserFull::from_bytes(&result)
                .map(|full| {
                    let mut out = Vec::new();
                    write_users_user_full(&mut out, &full);
                    out
                })
                .ok()
        }
        tl::functions::messages::UploadMedia::CONSTRUCTOR_ID => {
            match tl::enums::MessageMedia::from_bytes(&result) {
                Ok(tl::enums::MessageMedia::Document(media)) => {
                    let mut out = Vec::new();
                    write_message_media_document(&mut out, &media);
                    Some(out)
                }
                // Other media constructors have no layer-158 form here yet.
                Ok(_) => None,
                Err(_) => None,
            }
        }
        _ => return result,
    };
    match downgraded {
        Some(bytes) => bytes,
        None => {
            warn!(
                layer,
                method = tl::name_for_id(method),
                "no legacy form for this result; sending it in layer 230"
            );
            result
        }
    }
}

fn put<T: Serializable + ?Sized>(out: &mut Vec<u8>, value: &T) {
    value.serialize(out);
}

fn flag(on: bool, bit: u32) -> u32 {
    if on { 1 << bit } else { 0 }
}

fn write_users(out: &mut Vec<u8>, users: &[tl::enums::User]) {
    put(out, &VECTOR);
    put(out, &(users.len() as i32));
    for user in users {
        write_user(out, user);
    }
}

/// `users.userFull#3b6d152e full_user:UserFull chats:Vector<Chat>
/// users:Vector<User>` (the same id in both layers, but its fields are not).
fn write_users_user_full(out: &mut Vec<u8>, full: &tl::enums::users::UserFull) {
    let tl::enums::users::UserFull::Full(full) = full;
    put(out, &tl::types::users::UserFull::CONSTRUCTOR_ID);
    write_user_full(out, &full.full_user);
    // The fake world has no chats that a user's profile would name.
    put(out, &full.chats);
    write_users(out, &full.users);
}

/// `user#8f97c628 flags:# self:flags.10?true contact:flags.11?true
/// mutual_contact:flags.12?true deleted:flags.13?true bot:flags.14?true
/// bot_chat_history:flags.15?true bot_nochats:flags.16?true
/// verified:flags.17?true restricted:flags.18?true min:flags.20?true
/// bot_inline_geo:flags.21?true support:flags.23?true scam:flags.24?true
/// apply_min_photo:flags.25?true fake:flags.26?true
/// bot_attach_menu:flags.27?true premium:flags.28?true
/// attach_menu_enabled:flags.29?true flags2:# bot_can_edit:flags2.1?true
/// id:long access_hash:flags.0?long first_name:flags.1?string
/// last_name:flags.2?string username:flags.3?string phone:flags.4?string
/// photo:flags.5?UserProfilePhoto status:flags.6?UserStatus
/// bot_info_version:flags.14?int
/// restriction_reason:flags.18?Vector<RestrictionReason>
/// bot_inline_placeholder:flags.19?string lang_code:flags.22?string
/// emoji_status:flags.30?EmojiStatus usernames:flags2.0?Vector<Username> = User`
///
/// `emoji_status` is never sent (its constructors changed since), nor are
/// statuses other than empty/online/offline (the rest gained fields).
pub fn write_user(out: &mut Vec<u8>, user: &tl::enums::User) {
    let u = match user {
        // userEmpty#d3bc4b7a is the same in both layers.
        tl::enums::User::Empty(_) => return put(out, user),
        tl::enums::User::User(u) => u,
    };
    let status = u.status.as_ref().filter(|s| {
        matches!(
            s,
            tl::enums::UserStatus::Empty
                | tl::enums::UserStatus::Online(_)
                | tl::enums::UserStatus::Offline(_)
        )
    });
    // `bot` and `bot_info_version` share bit 14, `restricted` and
    // `restriction_reason` bit 18: a set bit means the field follows.
    let bot = u.bot || u.bot_info_version.is_some();
    let restricted = u.restricted || u.restriction_reason.is_some();
    let flags = flag(u.access_hash.is_some(), 0)
        | flag(u.first_name.is_some(), 1)
        | flag(u.last_name.is_some(), 2)
        | flag(u.username.is_some(), 3)
        | flag(u.phone.is_some(), 4)
        | flag(u.photo.is_some(), 5)
        | flag(status.is_some(), 6)
        | flag(u.is_self, 10)
        | flag(u.contact, 11)
        | flag(u.mutual_contact, 12)
        | flag(u.deleted, 13)
        | flag(bot, 14)
        | flag(u.bot_chat_history, 15)
        | flag(u.bot_nochats, 16)
        | flag(u.verified, 17)
        | flag(restricted, 18)
        | flag(u.bot_inline_placeholder.is_some(), 19)
        | flag(u.min, 20)
        | flag(u.bot_inline_geo, 21)
        | flag(u.lang_code.is_some(), 22)
        | flag(u.support, 23)
        | flag(u.scam, 24)
        | flag(u.apply_min_photo, 25)
        | flag(u.fake, 26)
        | flag(u.bot_attach_menu, 27)
        | flag(u.premium, 28)
        | flag(u.attach_menu_enabled, 29);
    let flags2 = flag(u.usernames.is_some(), 0) | flag(u.bot_can_edit, 1);
    put(out, &USER_158);
    put(out, &flags);
    put(out, &flags2);
    put(out, &u.id);
    if let Some(access_hash) = u.access_hash {
        put(out, &access_hash);
    }
    for text in [&u.first_name, &u.last_name, &u.username, &u.phone]
        .into_iter()
        .flatten()
    {
        put(out, text);
    }
    if let Some(photo) = &u.photo {
        // userProfilePhoto#82d1f706 and userProfilePhotoEmpty are unchanged.
        put(out, photo);
    }
    if let Some(status) = status {
        put(out, status);
    }
    if bot {
        put(out, &u.bot_info_version.unwrap_or(0));
    }
    if restricted {
        // restrictionReason#d072acb4 is unchanged.
        put(out, &u.restriction_reason.clone().unwrap_or_default());
    }
    if let Some(placeholder) = &u.bot_inline_placeholder {
        put(out, placeholder);
    }
    if let Some(lang_code) = &u.lang_code {
        put(out, lang_code);
    }
    if let Some(usernames) = &u.usernames {
        // username#b4073647 is unchanged.
        put(out, usernames);
    }
}

/// `userFull#93eadb53 flags:# blocked:flags.0?true
/// phone_calls_available:flags.4?true phone_calls_private:flags.5?true
/// can_pin_message:flags.7?true has_scheduled:flags.12?true
/// video_calls_available:flags.13?true voice_messages_forbidden:flags.20?true
/// translations_disabled:flags.23?true id:long about:flags.1?string
/// settings:PeerSettings personal_photo:flags.21?Photo
/// profile_photo:flags.2?Photo fallback_photo:flags.22?Photo
/// notify_settings:PeerNotifySettings bot_info:flags.3?BotInfo
/// pinned_msg_id:flags.6?int common_chats_count:int folder_id:flags.11?int
/// ttl_period:flags.14?int theme_emoticon:flags.15?string
/// private_forward_name:flags.16?string
/// bot_group_admin_rights:flags.17?ChatAdminRights
/// bot_broadcast_admin_rights:flags.18?ChatAdminRights
/// premium_gifts:flags.19?Vector<PremiumGiftOption>
/// wallpaper:flags.24?WallPaper = UserFull`
///
/// `bot_info`, the theme, admin rights, gifts and wallpaper are not sent:
/// their constructors changed since and the fake world does not set them.
pub fn write_user_full(out: &mut Vec<u8>, full: &tl::enums::UserFull) {
    let tl::enums::UserFull::Full(f) = full;
    let flags = flag(f.blocked, 0)
        | flag(f.about.is_some(), 1)
        | flag(f.profile_photo.is_some(), 2)
        | flag(f.phone_calls_available, 4)
        | flag(f.phone_calls_private, 5)
        | flag(f.pinned_msg_id.is_some(), 6)
        | flag(f.can_pin_message, 7)
        | flag(f.folder_id.is_some(), 11)
        | flag(f.has_scheduled, 12)
        | flag(f.video_calls_available, 13)
        | flag(f.ttl_period.is_some(), 14)
        | flag(f.private_forward_name.is_some(), 16)
        | flag(f.voice_messages_forbidden, 20)
        | flag(f.personal_photo.is_some(), 21)
        | flag(f.fallback_photo.is_some(), 22)
        | flag(f.translations_disabled, 23);
    put(out, &USER_FULL_158);
    put(out, &flags);
    put(out, &f.id);
    if let Some(about) = &f.about {
        put(out, about);
    }
    write_peer_settings(out, &f.settings);
    // photo#fb197a65 is unchanged.
    for photo in [&f.personal_photo, &f.profile_photo, &f.fallback_photo]
        .into_iter()
        .flatten()
    {
        put(out, photo);
    }
    write_peer_notify_settings(out, &f.notify_settings);
    if let Some(pinned) = f.pinned_msg_id {
        put(out, &pinned);
    }
    put(out, &f.common_chats_count);
    for value in [f.folder_id, f.ttl_period].into_iter().flatten() {
        put(out, &value);
    }
    if let Some(name) = &f.private_forward_name {
        put(out, name);
    }
}

/// `peerSettings#a518110d flags:# report_spam:flags.0?true
/// add_contact:flags.1?true block_contact:flags.2?true
/// share_contact:flags.3?true need_contacts_exception:flags.4?true
/// report_geo:flags.5?true autoarchived:flags.7?true
/// invite_members:flags.8?true request_chat_broadcast:flags.10?true
/// geo_distance:flags.6?int request_chat_title:flags.9?string
/// request_chat_date:flags.9?int = PeerSettings`
pub fn write_peer_settings(out: &mut Vec<u8>, settings: &tl::enums::PeerSettings) {
    let tl::enums::PeerSettings::Settings(s) = settings;
    let request_chat = s.request_chat_title.is_some() && s.request_chat_date.is_some();
    let flags = flag(s.report_spam, 0)
        | flag(s.add_contact, 1)
        | flag(s.block_contact, 2)
        | flag(s.share_contact, 3)
        | flag(s.need_contacts_exception, 4)
        | flag(s.report_geo, 5)
        | flag(s.geo_distance.is_some(), 6)
        | flag(s.autoarchived, 7)
        | flag(s.invite_members, 8)
        | flag(request_chat, 9)
        | flag(s.request_chat_broadcast, 10);
    put(out, &PEER_SETTINGS_158);
    put(out, &flags);
    if let Some(distance) = s.geo_distance {
        put(out, &distance);
    }
    if let (true, Some(title), Some(date)) =
        (request_chat, &s.request_chat_title, s.request_chat_date)
    {
        put(out, title);
        put(out, &date);
    }
}

/// `peerNotifySettings#a83b0426 flags:# show_previews:flags.0?Bool
/// silent:flags.1?Bool mute_until:flags.2?int
/// ios_sound:flags.3?NotificationSound android_sound:flags.4?NotificationSound
/// other_sound:flags.5?NotificationSound = PeerNotifySettings`
///
/// The sounds are not sent; the fake world sets none.
pub fn write_peer_notify_settings(out: &mut Vec<u8>, settings: &tl::enums::PeerNotifySettings) {
    let tl::enums::PeerNotifySettings::Settings(s) = settings;
    let flags = flag(s.show_previews.is_some(), 0)
        | flag(s.silent.is_some(), 1)
        | flag(s.mute_until.is_some(), 2);
    put(out, &PEER_NOTIFY_SETTINGS_158);
    put(out, &flags);
    for value in [s.show_previews, s.silent].into_iter().flatten() {
        put(out, &value);
    }
    if let Some(until) = s.mute_until {
        put(out, &until);
    }
}

/// [`MESSAGE_MEDIA_DOCUMENT_158`]. The `video`/`round`/`voice` flags,
/// `alt_documents` and the video cover did not exist yet.
pub fn write_message_media_document(out: &mut Vec<u8>, media: &tl::types::MessageMediaDocument) {
    let flags = flag(media.document.is_some(), 0)
        | flag(media.ttl_seconds.is_some(), 2)
        | flag(media.nopremium, 3)
        | flag(media.spoiler, 4);
    put(out, &MESSAGE_MEDIA_DOCUMENT_158);
    put(out, &flags);
    if let Some(document) = &media.document {
        // document#8fd4c4d8 is unchanged.
        put(out, document);
    }
    if let Some(ttl) = media.ttl_seconds {
        put(out, &ttl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
            .collect()
    }

    fn self_user() -> tl::types::User {
        tl::types::User {
            is_self: true,
            contact: false,
            mutual_contact: false,
            deleted: false,
            bot: false,
            bot_chat_history: false,
            bot_nochats: false,
            verified: false,
            restricted: false,
            min: false,
            bot_inline_geo: false,
            support: false,
            scam: false,
            apply_min_photo: false,
            fake: false,
            bot_attach_menu: false,
            premium: true,
            attach_menu_enabled: false,
            bot_can_edit: false,
            close_friend: false,
            stories_hidden: false,
            stories_unavailable: false,
            contact_require_premium: false,
            bot_business: false,
            bot_has_main_app: false,
            bot_forum_view: false,
            bot_forum_can_manage_topics: false,
            bot_can_manage_bots: false,
            bot_guestchat: false,
            bot_guard: false,
            id: 1_000_000_001,
            access_hash: Some(0x0102_0304_0506_0708),
            first_name: Some("Demo".into()),
            last_name: None,
            username: Some("demo_user".into()),
            phone: Some("15550000".into()),
            photo: None,
            status: Some(tl::types::UserStatusOffline { was_online: 7 }.into()),
            bot_info_version: None,
            restriction_reason: None,
            bot_inline_placeholder: None,
            lang_code: None,
            // Layer 230 only: must not reach a layer-158 client.
            emoji_status: Some(tl::enums::EmojiStatus::Empty),
            usernames: None,
            stories_max_id: None,
            color: None,
            profile_color: None,
            bot_active_users: None,
            bot_verification_icon: None,
            send_paid_messages_stars: None,
            linked_community_id: None,
        }
    }

    /// Known answer: the same user as Pyrogram 2.0.106 (layer 158) encodes
    /// it with `raw.types.User(id=1000000001, is_self=True, premium=True,
    /// access_hash=0x0102030405060708, first_name="Demo",
    /// username="demo_user", phone="15550000",
    /// status=raw.types.UserStatusOffline(was_online=7)).write()`.
    #[test]
    fn user_matches_layer_158_encoding() {
        let mut out = Vec::new();
        write_user(&mut out, &self_user().into());
        assert_eq!(
            hex(&out),
            "28c6978f5b0400100000000001ca9a3b00000000080706050403020104\
             44656d6f0000000964656d6f5f75736572000008313535353030303000\
             00003f708c0007000000"
        );
    }

    /// Known answer: Pyrogram 2.0.106's encoding of
    /// `raw.types.users.UserFull(full_user=raw.types.UserFull(id=1,
    /// about="hi", can_pin_message=True, settings=raw.types.PeerSettings(),
    /// notify_settings=raw.types.PeerNotifySettings(), common_chats_count=3),
    /// chats=[], users=[<the user above>])`.
    #[test]
    fn user_full_matches_layer_158_encoding() {
        let full = tl::types::users::UserFull {
            full_user: tl::types::UserFull {
                id: 1,
                about: Some("hi".into()),
                can_pin_message: true,
                common_chats_count: 3,
                // Layer 230 only: must not reach a layer-158 client.
                stargifts_count: Some(4),
                ..empty_user_full()
            }
            .into(),
            chats: Vec::new(),
            users: vec![self_user().into()],
        };
        let out = downgrade_result(
            158,
            tl::functions::users::GetFullUser::CONSTRUCTOR_ID,
            tl::enums::users::UserFull::from(full).to_bytes(),
        );
        assert_eq!(
            hex(&out),
            "2e156d3b53dbea93820000000100000000000000026869000d1118a500\
             00000026043ba8000000000300000015c4b51c0000000015c4b51c0100\
             000028c6978f5b0400100000000001ca9a3b0000000008070605040302\
             010444656d6f0000000964656d6f5f7573657200000831353535303030\
             300000003f708c0007000000"
        );
    }

    /// Known answer: Pyrogram 2.0.106's encoding of
    /// `raw.types.MessageMediaDocument(document=raw.types.Document(id=5,
    /// access_hash=6, file_reference=b"ref", date=7,
    /// mime_type="application/octet-stream", size=10485761, dc_id=1,
    /// attributes=[raw.types.DocumentAttributeFilename(file_name="big.bin")]))`.
    #[test]
    fn message_media_document_matches_layer_158_encoding() {
        let media: tl::enums::MessageMedia = tl::types::MessageMediaDocument {
            nopremium: false,
            spoiler: false,
            // Layer 230 only: must not reach a layer-158 client.
            video: true,
            round: false,
            voice: false,
            document: Some(
                tl::types::Document {
                    id: 5,
                    access_hash: 6,
                    file_reference: b"ref".to_vec(),
                    date: 7,
                    mime_type: "application/octet-stream".into(),
                    size: 10_485_761,
                    thumbs: None,
                    video_thumbs: None,
                    dc_id: 1,
                    attributes: vec![
                        tl::types::DocumentAttributeFilename {
                            file_name: "big.bin".into(),
                        }
                        .into(),
                    ],
                }
                .into(),
            ),
            alt_documents: None,
            video_cover: None,
            video_timestamp: None,
            ttl_seconds: None,
        }
        .into();
        let out = downgrade_result(
            158,
            tl::functions::messages::UploadMedia::CONSTRUCTOR_ID,
            media.to_bytes(),
        );
        assert_eq!(
            hex(&out),
            "d770b09c01000000d8c4d48f0000000005000000000000000600000000\
             0000000372656607000000186170706c69636174696f6e2f6f63746574\
             2d73747265616d0000000100a000000000000100000015c4b51c010000\
             0068005915076269672e62696e"
        );
    }

    fn empty_user_full() -> tl::types::UserFull {
        let tl::enums::UserFull::Full(full) = tl::enums::UserFull::from_bytes(&unhex(
            // userFull#6cbe645 flags=0 flags2=0 id=0 settings=peerSettings(0)
            // notify_settings=peerNotifySettings(0) common_chats_count=0
            "45e6cb0600000000000000000000000000000000f74177f400000000\
             0c2c62990000000000000000",
        ))
        .expect("an empty userFull");
        full
    }

    /// Pyrogram 2.0.106's encoding of
    /// `raw.functions.messages.UploadMedia(peer=raw.types.InputPeerSelf(),
    /// media=raw.types.InputMediaUploadedDocument(force_file=True,
    /// file=raw.types.InputFileBig(id=9, parts=21, name="big.bin"),
    /// mime_type="application/octet-stream",
    /// attributes=[raw.types.DocumentAttributeFilename(file_name="big.bin")]))`.
    #[test]
    fn legacy_upload_media_becomes_the_current_request() {
        let legacy = unhex(
            "b1c29b51c97ea07dc1c6385b10000000b50b4ffa09000000000000001500\
             0000076269672e62696e186170706c69636174696f6e2f6f637465742d73\
             747265616d00000015c4b51c0100000068005915076269672e62696e",
        );
        let upgraded = upgrade_request(legacy).expect("upgrades");
        let mut c = Cursor::from_slice(&upgraded[4..]);
        assert_eq!(
            crate::proto::constructor_of(&upgraded),
            Some(tl::functions::messages::UploadMedia::CONSTRUCTOR_ID)
        );
        let request =
            tl::functions::messages::UploadMedia::deserialize(&mut c).expect("a current request");
        let tl::enums::InputMedia::UploadedDocument(media) = request.media else {
            panic!("expected an uploaded document");
        };
        assert!(media.force_file && !media.spoiler);
        assert_eq!(media.mime_type, "application/octet-stream");
        assert!(matches!(
            media.file,
            tl::enums::InputFile::Big(tl::types::InputFileBig {
                id: 9,
                parts: 21,
                ..
            })
        ));
    }

    #[test]
    fn current_requests_and_layers_pass_through() {
        let body = tl::functions::help::GetConfig {}.to_bytes();
        assert_eq!(upgrade_request(body.clone()).ok(), Some(body));
        let users = vec![tl::enums::User::from(self_user())].to_bytes();
        let method = tl::functions::users::GetUsers::CONSTRUCTOR_ID;
        assert_eq!(downgrade_result(230, method, users.clone()), users);
        assert_ne!(downgrade_result(158, method, users.clone()), users);
    }
}
