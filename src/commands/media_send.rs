//! Sending files: `send_photo`, `send_video`, `send_audio` and
//! `send_document` from tg-cli's Python bindings. Each uploads the file
//! through the transfer engine (512 KiB parts, `saveBigFilePart` above
//! 10 MiB) and sends it with `messages.sendMedia`; the answer is the sent
//! [`Msg`].
//!
//! The file is examined before anything is sent
//! ([`crate::media_probe`]): its MIME type comes from its content, then its
//! extension; a video or audio file in the MP4 family (MP4, MOV, M4A)
//! gets its duration, and a video its picture size, from the `moov` box.
//! Other formats are sent with duration 0 and size 0×0, which Telegram
//! accepts (clients then show no length).
//!
//! ```json
//! {"action": "send_photo", "userbot_id": 1, "chat_id": 777000, "file": "/tmp/cat.jpg", "caption": "Cat"}
//! {"action": "send_video", "userbot_id": 1, "chat_id": 777000, "file": "/tmp/clip.mp4", "thumb": "/tmp/clip.jpg"}
//! ```
//!
//! `caption` (at most 1024 characters) and `thumb` (a JPEG of at most
//! 200 KB, for videos, audio and documents) are optional extensions.
//!
//! # Errors invented here
//!
//! Refused before anything is sent:
//!
//! | Message | When |
//! |---|---|
//! | `file is required` | no `file` |
//! | `file not found: <path>` | missing, or not a regular file |
//! | `file is empty: <path>` | 0 bytes (Telegram has no empty files) |
//! | `file is not an image: <path>` | `send_photo` of content that is not JPEG, PNG, WebP, GIF or BMP |
//! | `photo is larger than 10485760 bytes: <path>` | Telegram's photo limit |
//! | `thumb is not a JPEG image: <path>`, `thumb is larger than 204800 bytes: <path>` | |
//! | `caption must be at most 1024 characters` | |
//!
//! Telegram's errors come through by name (`CHAT_WRITE_FORBIDDEN`,
//! `MEDIA_CAPTION_TOO_LONG`, `FILE_PARTS_INVALID`, `FLOOD_WAIT_X`, …).

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use grammers_tl_types as tl;
use serde::Deserialize;
use serde_json::{Value, json};

use super::chat_access::{chat_ref, input_peer, random_id};
use super::ids::{self, ChatRef};
use super::limits;
use super::messages::sent_msg;
use super::{Command, CommandError, CommandInfo, Method, SpecRef};
use crate::client::Client;
use crate::media::UploadSource;
use crate::media_probe::{self, HEAD_LEN, Mp4Facts};
use crate::tgl::Msg;
use crate::transfer::UploadOptions;

/// Telegram's largest photo (`photo_size_max`): bigger ones must go as
/// documents.
pub const PHOTO_MAX: u64 = 10 * 1024 * 1024;
/// The largest thumbnail Telegram takes with an uploaded document.
pub const THUMB_MAX: u64 = 200 * 1024;
/// The largest `moov` box read for a duration: far above any real one, and
/// small enough that a hostile file cannot make us read gigabytes.
const MOOV_MAX: u64 = 16 * 1024 * 1024;
/// How many top-level MP4 boxes are walked looking for `moov`.
const MAX_TOP_LEVEL_BOXES: usize = 64;

/// What the file is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// `inputMediaUploadedPhoto`.
    Photo,
    /// A document with `documentAttributeVideo`.
    Video,
    /// A document with `documentAttributeAudio`.
    Audio,
    /// A plain document (`force_file`).
    Document,
}

/// One file to send (the request behind the four `send_*` commands).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendMedia {
    chat: ChatRef,
    kind: MediaKind,
    file: PathBuf,
    caption: String,
    thumb: Option<PathBuf>,
}

/// The JSON form of the `send_*` file commands.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SendMediaJson {
    /// The TDLib chat id.
    pub chat_id: Option<Value>,
    /// The file's path.
    pub file: Option<String>,
    /// A caption (optional).
    pub caption: Option<String>,
    /// A JPEG thumbnail's path (optional; not for photos).
    pub thumb: Option<String>,
}

impl SendMedia {
    /// Sends the file at `path` to `chat_id` as `kind`.
    pub fn new(
        chat_id: i64,
        kind: MediaKind,
        path: impl AsRef<Path>,
    ) -> Result<Self, CommandError> {
        let file = path.as_ref().to_path_buf();
        if file.as_os_str().is_empty() {
            return Err(CommandError::invalid("file is required"));
        }
        Ok(Self {
            chat: chat_ref(chat_id)?,
            kind,
            file,
            caption: String::new(),
            thumb: None,
        })
    }

    /// With a caption.
    pub fn caption(mut self, caption: &str) -> Result<Self, CommandError> {
        limits::check_max("caption", caption, limits::CAPTION_MAX)?;
        self.caption = caption.to_string();
        Ok(self)
    }

    /// With a JPEG thumbnail (videos, audio and documents).
    pub fn thumb(mut self, path: impl AsRef<Path>) -> Result<Self, CommandError> {
        if self.kind == MediaKind::Photo {
            return Err(CommandError::invalid("a photo takes no thumb"));
        }
        self.thumb = Some(path.as_ref().to_path_buf());
        Ok(self)
    }

    fn from_json(json: SendMediaJson, kind: MediaKind) -> Result<Self, CommandError> {
        let chat_id = ids::required_id(json.chat_id.as_ref(), "chat_id")?;
        let file = json.file.unwrap_or_default();
        let mut request = Self::new(chat_id, kind, &file)?;
        if let Some(caption) = json.caption {
            request = request.caption(&caption)?;
        }
        if let Some(thumb) = json.thumb.filter(|t| !t.is_empty()) {
            request = request.thumb(thumb)?;
        }
        Ok(request)
    }

    async fn send(self, client: &Client) -> Result<Msg, CommandError> {
        // Examined before anything goes out (blocking reads, off the runtime).
        let (file, thumb, kind) = (self.file.clone(), self.thumb.clone(), self.kind);
        let facts = tokio::task::spawn_blocking(move || examine(&file, kind, thumb.as_deref()))
            .await
            .map_err(|e| CommandError::invalid(format!("file could not be read: {e}")))??;
        let peer = input_peer(client, self.chat).await?;
        let random_id = random_id()?;
        let source = UploadSource::Path(self.file.clone());
        let thumb = self.thumb.clone().map(UploadSource::Path);
        let name = file_name(&self.file);
        let updates = client
            .send_uploaded_media(
                peer,
                &source,
                thumb.as_ref(),
                &self.caption,
                random_id,
                UploadOptions::named(name.clone()),
                |file, thumb| input_media(self.kind, &facts, &name, file, thumb),
            )
            .await?;
        sent_msg(client, &updates, random_id).await
    }
}

/// Checks that `path` is a picture Telegram takes as a photo: a regular
/// file, not empty, an image by its magic bytes, at most [`PHOTO_MAX`].
/// Read off the runtime; nothing is sent.
pub(super) async fn check_photo_file(path: &Path) -> Result<(), CommandError> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || examine(&path, MediaKind::Photo, None).map(|_| ()))
        .await
        .map_err(|e| CommandError::invalid(format!("file could not be read: {e}")))?
}

/// What [`examine`] found out about a file.
#[derive(Debug, Clone, PartialEq)]
struct FileFacts {
    mime_type: &'static str,
    mp4: Option<Mp4Facts>,
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into())
}

/// Checks the file (and thumbnail) and reads what the attributes need.
fn examine(path: &Path, kind: MediaKind, thumb: Option<&Path>) -> Result<FileFacts, CommandError> {
    let shown = path.display();
    let (head, size) = read_head(path)?;
    if size == 0 {
        return Err(CommandError::invalid(format!("file is empty: {shown}")));
    }
    if kind == MediaKind::Photo {
        if !media_probe::is_photo(&head) {
            return Err(CommandError::invalid(format!(
                "file is not an image: {shown}"
            )));
        }
        if size > PHOTO_MAX {
            return Err(CommandError::invalid(format!(
                "photo is larger than {PHOTO_MAX} bytes: {shown}"
            )));
        }
    }
    if let Some(thumb) = thumb {
        let (thumb_head, thumb_size) = read_head(thumb)?;
        if media_probe::sniff_mime(&thumb_head) != Some("image/jpeg") {
            return Err(CommandError::invalid(format!(
                "thumb is not a JPEG image: {}",
                thumb.display()
            )));
        }
        if thumb_size > THUMB_MAX {
            return Err(CommandError::invalid(format!(
                "thumb is larger than {THUMB_MAX} bytes: {}",
                thumb.display()
            )));
        }
    }
    let mime_type = media_probe::guess_mime(&head, &file_name(path));
    let mp4 = if matches!(kind, MediaKind::Video | MediaKind::Audio)
        && (mime_type.starts_with("video/mp4")
            || mime_type == "video/quicktime"
            || mime_type == "audio/mp4")
    {
        // A file we cannot parse is still sent, without a duration.
        read_moov(path)
            .ok()
            .flatten()
            .as_deref()
            .and_then(media_probe::parse_moov)
    } else {
        None
    };
    Ok(FileFacts { mime_type, mp4 })
}

/// The first [`HEAD_LEN`] bytes and the size of a regular file.
fn read_head(path: &Path) -> Result<(Vec<u8>, u64), CommandError> {
    let not_found = || CommandError::invalid(format!("file not found: {}", path.display()));
    // Only regular files: a FIFO or a device could block the read forever.
    let meta = std::fs::metadata(path).map_err(|_| not_found())?;
    if !meta.is_file() {
        return Err(not_found());
    }
    let file = std::fs::File::open(path).map_err(|_| not_found())?;
    let mut head = Vec::with_capacity(HEAD_LEN);
    file.take(HEAD_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|_| not_found())?;
    Ok((head, meta.len()))
}

/// The body of the file's top-level `moov` box, walking the box headers.
fn read_moov(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let mut at = 0_u64;
    for _ in 0..MAX_TOP_LEVEL_BOXES {
        if at >= len {
            break;
        }
        file.seek(SeekFrom::Start(at))?;
        let mut header = [0_u8; 16];
        let got = file.by_ref().take(16).read(&mut header)?;
        let Some(found) = media_probe::box_header(&header[..got]) else {
            break;
        };
        let size = found.size.unwrap_or(len - at);
        if &found.kind == b"moov" {
            let body = size.saturating_sub(found.header_len);
            if body > MOOV_MAX {
                return Ok(None);
            }
            file.seek(SeekFrom::Start(at + found.header_len))?;
            let mut moov = Vec::new();
            file.take(body).read_to_end(&mut moov)?;
            return Ok(Some(moov));
        }
        at = at.saturating_add(size);
    }
    Ok(None)
}

/// The `InputMedia` for the uploaded file.
fn input_media(
    kind: MediaKind,
    facts: &FileFacts,
    name: &str,
    file: tl::enums::InputFile,
    thumb: Option<tl::enums::InputFile>,
) -> tl::enums::InputMedia {
    if kind == MediaKind::Photo {
        return tl::types::InputMediaUploadedPhoto {
            spoiler: false,
            live_photo: false,
            file,
            stickers: None,
            ttl_seconds: None,
            video: None,
        }
        .into();
    }
    let mut attributes = vec![
        tl::types::DocumentAttributeFilename {
            file_name: name.to_string(),
        }
        .into(),
    ];
    let duration = facts.mp4.map_or(0.0, |m| m.duration);
    match kind {
        MediaKind::Video => {
            let (w, h) = facts.mp4.and_then(|m| m.picture).unwrap_or((0, 0));
            attributes.push(
                tl::types::DocumentAttributeVideo {
                    round_message: false,
                    // MP4-family files play while they download.
                    supports_streaming: facts.mp4.is_some(),
                    nosound: false,
                    duration,
                    w: i32::try_from(w).unwrap_or(0),
                    h: i32::try_from(h).unwrap_or(0),
                    preload_prefix_size: None,
                    video_start_ts: None,
                    video_codec: None,
                }
                .into(),
            );
        }
        MediaKind::Audio => attributes.push(
            tl::types::DocumentAttributeAudio {
                voice: false,
                // Whole seconds, as the attribute has them.
                duration: duration.round().clamp(0.0, f64::from(i32::MAX)) as i32,
                title: None,
                performer: None,
                waveform: None,
            }
            .into(),
        ),
        MediaKind::Photo | MediaKind::Document => {}
    }
    tl::types::InputMediaUploadedDocument {
        nosound_video: false,
        force_file: kind == MediaKind::Document,
        spoiler: false,
        file,
        thumb,
        mime_type: facts.mime_type.to_string(),
        attributes,
        stickers: None,
        video_cover: None,
        video_timestamp: None,
        ttl_seconds: None,
    }
    .into()
}

/// One `send_*` command: the shared request under its own action.
macro_rules! send_media_command {
    ($(#[$doc:meta])* $name:ident, $action:literal, $spec:literal, $kind:expr, $sample:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(pub SendMedia);

        impl $name {
            /// Sends the file at `path` to `chat_id`.
            pub fn new(chat_id: i64, path: impl AsRef<Path>) -> Result<Self, CommandError> {
                SendMedia::new(chat_id, $kind, path).map(Self)
            }
        }

        impl Command for $name {
            const ACTION: &'static str = $action;
            const SPEC: SpecRef = SpecRef::tg_cli($spec);
            // The parts go first; sendMedia follows.
            const FIRST_METHOD: Method =
                Method::of::<tl::functions::upload::SaveFilePart>("upload.saveFilePart");
            type Json = SendMediaJson;
            type Response = Msg;

            fn validate(json: SendMediaJson) -> Result<Self, CommandError> {
                SendMedia::from_json(json, $kind).map(Self)
            }

            fn sample() -> Value {
                json!({"chat_id": "$FRIEND", "file": $sample})
            }

            async fn run(self, client: &Client) -> Result<Msg, CommandError> {
                self.0.send(client).await
            }
        }
    };
}

send_media_command!(
    /// `send_photo`: sends an image as a photo (`inputMediaUploadedPhoto`).
    SendPhoto, "send_photo", "peer.send_photo", MediaKind::Photo, "/tmp/photo.jpg"
);
send_media_command!(
    /// `send_video`: sends a video (`documentAttributeVideo` with its
    /// duration and size where the file tells them).
    SendVideo, "send_video", "peer.send_video", MediaKind::Video, "/tmp/video.mp4"
);
send_media_command!(
    /// `send_audio`: sends a music file (`documentAttributeAudio`).
    SendAudio, "send_audio", "peer.send_audio", MediaKind::Audio, "/tmp/song.mp3"
);
send_media_command!(
    /// `send_document`: sends any file as a document (`force_file`).
    SendDocument, "send_document", "peer.send_document", MediaKind::Document, "/tmp/report.pdf"
);

pub(super) fn commands() -> Vec<CommandInfo> {
    vec![
        CommandInfo::of::<SendPhoto>(),
        CommandInfo::of::<SendVideo>(),
        CommandInfo::of::<SendAudio>(),
        CommandInfo::of::<SendDocument>(),
    ]
}

impl Client {
    /// Sends a file to `chat_id` as `kind` (see [`SendMedia`]).
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// use tgcmd::commands::media_send::{MediaKind, SendMedia};
    /// let request = SendMedia::new(777000, MediaKind::Photo, "cat.jpg")?.caption("Cat")?;
    /// let msg = client.send_media(request).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_media(&self, request: SendMedia) -> Result<Msg, CommandError> {
        match request.kind {
            MediaKind::Photo => self.run(SendPhoto(request)).await,
            MediaKind::Video => self.run(SendVideo(request)).await,
            MediaKind::Audio => self.run(SendAudio(request)).await,
            MediaKind::Document => self.run(SendDocument(request)).await,
        }
    }

    /// Sends an image as a photo (see [`SendPhoto`]).
    pub async fn send_photo(
        &self,
        chat_id: i64,
        path: impl AsRef<Path>,
    ) -> Result<Msg, CommandError> {
        self.run(SendPhoto::new(chat_id, path)?).await
    }

    /// Sends any file as a document (see [`SendDocument`]).
    pub async fn send_document(
        &self,
        chat_id: i64,
        path: impl AsRef<Path>,
    ) -> Result<Msg, CommandError> {
        self.run(SendDocument::new(chat_id, path)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(mp4: Option<Mp4Facts>) -> FileFacts {
        FileFacts {
            mime_type: "video/mp4",
            mp4,
        }
    }

    fn attributes(media: &tl::enums::InputMedia) -> Vec<tl::enums::DocumentAttribute> {
        match media {
            tl::enums::InputMedia::UploadedDocument(d) => d.attributes.clone(),
            _ => Vec::new(),
        }
    }

    fn input_file() -> tl::enums::InputFile {
        tl::types::InputFile {
            id: 1,
            parts: 1,
            name: "f".into(),
            md5_checksum: String::new(),
        }
        .into()
    }

    #[test]
    fn a_video_carries_what_the_moov_box_said() {
        let known = Mp4Facts {
            duration: 12.5,
            picture: Some((1280, 720)),
        };
        let media = input_media(
            MediaKind::Video,
            &facts(Some(known)),
            "a.mp4",
            input_file(),
            None,
        );
        let video = attributes(&media).into_iter().find_map(|a| match a {
            tl::enums::DocumentAttribute::Video(v) => Some(v),
            _ => None,
        });
        let video = video.expect("a video attribute");
        assert_eq!((video.duration, video.w, video.h), (12.5, 1280, 720));
        assert!(video.supports_streaming);
    }

    #[test]
    fn unknown_lengths_are_zero_and_documents_are_forced_files() {
        let media = input_media(MediaKind::Audio, &facts(None), "a.mp3", input_file(), None);
        let audio = attributes(&media).into_iter().find_map(|a| match a {
            tl::enums::DocumentAttribute::Audio(a) => Some(a),
            _ => None,
        });
        assert_eq!(audio.map(|a| a.duration), Some(0));
        let document = input_media(
            MediaKind::Document,
            &facts(None),
            "r.pdf",
            input_file(),
            None,
        );
        assert!(matches!(
            document,
            tl::enums::InputMedia::UploadedDocument(d) if d.force_file && d.attributes.len() == 1
        ));
        let photo = input_media(MediaKind::Photo, &facts(None), "p.jpg", input_file(), None);
        assert!(matches!(photo, tl::enums::InputMedia::UploadedPhoto(_)));
    }

    #[test]
    fn requests_are_checked_before_anything_is_read() {
        assert_eq!(
            SendMedia::new(1, MediaKind::Document, "")
                .unwrap_err()
                .message(),
            "file is required"
        );
        let long = "c".repeat(limits::CAPTION_MAX + 1);
        let request = SendMedia::new(1, MediaKind::Document, "a.bin").expect("valid");
        assert_eq!(
            request.caption(&long).unwrap_err().message(),
            "caption must be at most 1024 characters"
        );
        let photo = SendMedia::new(1, MediaKind::Photo, "a.jpg").expect("valid");
        assert!(photo.thumb("t.jpg").is_err());
    }
}
