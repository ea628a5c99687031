//! Downloading a message's media: `load_photo`, `load_video`,
//! `load_video_thumb`, `load_audio`, `load_document` and
//! `load_document_thumb` from tg-cli's Python bindings.
//!
//! Each fetches the message (`messages.getMessages`, or
//! `channels.getMessages` in channels), picks the file, and downloads it
//! through the transfer engine (parallel, hash-checked) into the media
//! cache, `<data dir>/media/messages/`, named after the file's id, so a
//! repeated call for the same file (from any message) downloads nothing.
//! The answer is the file's absolute path:
//!
//! ```json
//! {"action": "load_photo", "userbot_id": 1, "chat_id": 777000, "msg_id": 42}
//! {"@type": "file_path", "path": "/data/media/messages/photo_5012…_x.jpg", "size": 48213, "from_cache": false}
//! ```
//!
//! An expired file reference is renewed by fetching the message again.
//! The cache here is per file id; the media issue's persistent file ids
//! will index the same files.
//!
//! # Errors invented here
//!
//! | Message | When |
//! |---|---|
//! | `message has no photo` / `video` / `audio` / `document` | the message carries something else, or nothing |
//! | `message has no thumbnail` | the video or document has no thumbnail |
//! | `Message not found` (TDLib's) | the message is gone |
//! | `chat_id is invalid`, `msg_id must be a positive message id` | refused before sending |

use std::path::Path;
use std::sync::Arc;

use grammers_tl_types as tl;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::chat_access::chat_ref;
use super::ids::{self, ChatRef};
use super::messages::{checked_message_id, fetch_message, message_id};
use super::{Command, CommandError, CommandInfo, Method, SpecRef};
use crate::client::Client;
use crate::error::Error;
use crate::media::{Document, Photo, largest_photo_size};
use crate::media_probe::extension_for_mime;
use crate::transfer::download::RefreshWith;
use crate::transfer::{DownloadOptions, FileLocation};

/// Which of a message's files to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaFile {
    /// The photo, at its largest size.
    Photo,
    /// The video.
    Video,
    /// The video's thumbnail.
    VideoThumb,
    /// The music file or voice note.
    Audio,
    /// Any document (videos and audio included).
    Document,
    /// The document's thumbnail.
    DocumentThumb,
}

/// Where a loaded file is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "file_path")]
pub struct LoadedFile {
    /// The absolute path of the file in the media cache.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Whether it was in the cache already (nothing was downloaded).
    pub from_cache: bool,
}

/// One message file to load (the request behind the six `load_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadMedia {
    chat: ChatRef,
    msg_id: i32,
    file: MediaFile,
}

/// The JSON form of the `load_*` commands.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LoadMediaJson {
    /// The chat the message is in.
    pub chat_id: Option<Value>,
    /// The message.
    pub msg_id: Option<Value>,
}

/// A file picked from a message: where it is and how it is cached.
#[derive(Debug, Clone)]
struct Picked {
    location: FileLocation,
    /// The cache file's name.
    cache_name: String,
}

impl LoadMedia {
    /// Loads `file` of message `msg_id` in `chat_id`.
    pub fn new(chat_id: i64, msg_id: i64, file: MediaFile) -> Result<Self, CommandError> {
        Ok(Self {
            chat: chat_ref(chat_id)?,
            msg_id: checked_message_id(msg_id, "msg_id")?,
            file,
        })
    }

    fn from_json(json: LoadMediaJson, file: MediaFile) -> Result<Self, CommandError> {
        Ok(Self {
            chat: chat_ref(ids::required_id(json.chat_id.as_ref(), "chat_id")?)?,
            msg_id: message_id(json.msg_id.as_ref(), "msg_id")?,
            file,
        })
    }

    async fn load(self, client: &Client) -> Result<LoadedFile, CommandError> {
        let message = fetch_message(client, Some(self.chat), self.msg_id).await?;
        let picked = pick(&message, self.file)?;
        let dir = client.media_cache_dir().join("messages");
        let path = dir.join(&picked.cache_name);
        if let Some(size) = cached_size(&path, picked.location.size).await {
            return Ok(loaded(&path, size, true));
        }
        let dir_for_task = dir.clone();
        tokio::task::spawn_blocking(move || {
            crate::private_files::create_private_dir(&dir_for_task)
        })
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))?
        .map_err(Error::Io)?;
        let options = DownloadOptions {
            refresher: Some(Arc::new(self.refresher(client))),
            ..DownloadOptions::default()
        };
        let report = client
            .download_to_path(&picked.location, &path, &options)
            .await?;
        Ok(loaded(&path, report.bytes, false))
    }

    /// Renews an expired file reference by fetching the message again.
    fn refresher(&self, client: &Client) -> impl crate::transfer::LocationRefresher + 'static {
        let (client, chat, msg_id, file) = (client.clone(), self.chat, self.msg_id, self.file);
        RefreshWith(move |_stale: tl::enums::InputFileLocation| {
            let client = client.clone();
            async move {
                let message = fetch_message(&client, Some(chat), msg_id)
                    .await
                    .map_err(|e| Error::Protocol(format!("refreshing the file reference: {e}")))?;
                pick(&message, file)
                    .map(|picked| picked.location.location)
                    .map_err(|e| Error::Protocol(format!("refreshing the file reference: {e}")))
            }
        })
    }
}

fn loaded(path: &Path, size: u64, from_cache: bool) -> LoadedFile {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    LoadedFile {
        path: absolute.to_string_lossy().into_owned(),
        size,
        from_cache,
    }
}

/// The size of a complete cached copy at `path`: a regular file of the
/// expected size (any non-empty file when the size is unknown). Cached
/// files are only ever renamed into place whole, so a present one is done.
async fn cached_size(path: &Path, expected: Option<u64>) -> Option<u64> {
    let meta = tokio::fs::symlink_metadata(path).await.ok()?;
    let size = meta.len();
    let complete = meta.is_file() && size > 0 && expected.is_none_or(|e| e == size);
    complete.then_some(size)
}

fn no(what: &str) -> CommandError {
    CommandError::failed_after_send(format!("message has no {what}"))
}

/// The file `wanted` of `message`, or the error that says it has none.
fn pick(message: &tl::enums::Message, wanted: MediaFile) -> Result<Picked, CommandError> {
    let media = match message {
        tl::enums::Message::Message(m) => m.media.as_ref(),
        _ => None,
    };
    if wanted == MediaFile::Photo {
        let photo = match media {
            Some(tl::enums::MessageMedia::Photo(p)) => p.photo.as_ref().and_then(Photo::from_tl),
            _ => None,
        }
        .ok_or_else(|| no("photo"))?;
        return Ok(Picked {
            cache_name: format!("photo_{}_{}.jpg", photo.id, safe(&photo.size_type)),
            location: photo.location(),
        });
    }
    let document = match media {
        Some(tl::enums::MessageMedia::Document(d)) => match &d.document {
            Some(tl::enums::Document::Document(document)) => Some(document),
            _ => None,
        },
        _ => None,
    };
    let what = match wanted {
        MediaFile::Video | MediaFile::VideoThumb => "video",
        MediaFile::Audio => "audio",
        _ => "document",
    };
    let document = document.ok_or_else(|| no(what))?;
    let is = |test: fn(&tl::enums::DocumentAttribute) -> bool| document.attributes.iter().any(test);
    let fits = match wanted {
        MediaFile::Video | MediaFile::VideoThumb => {
            is(|a| matches!(a, tl::enums::DocumentAttribute::Video(_)))
        }
        MediaFile::Audio => is(|a| matches!(a, tl::enums::DocumentAttribute::Audio(_))),
        _ => true,
    };
    if !fits {
        return Err(no(what));
    }
    let converted = Document::from_tl(&tl::enums::Document::Document(document.clone()))
        .ok_or_else(|| no(what))?;
    if matches!(wanted, MediaFile::VideoThumb | MediaFile::DocumentThumb) {
        let (thumb_type, size) = document
            .thumbs
            .as_deref()
            .and_then(largest_photo_size)
            .ok_or_else(|| no("thumbnail"))?;
        let mut location = converted.location();
        if let tl::enums::InputFileLocation::InputDocumentFileLocation(l) = &mut location.location {
            l.thumb_size = thumb_type.clone();
        }
        location.size = (size > 0).then_some(size);
        return Ok(Picked {
            cache_name: format!("thumb_{}_{}.jpg", document.id, safe(&thumb_type)),
            location,
        });
    }
    Ok(Picked {
        cache_name: format!(
            "{what}_{}{}",
            document.id,
            extension_for_mime(&document.mime_type)
        ),
        location: converted.location(),
    })
}

/// A size type from the server, reduced to what is safe in a file name.
fn safe(size_type: &str) -> String {
    size_type
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect()
}

/// One `load_*` command.
macro_rules! load_media_command {
    ($(#[$doc:meta])* $name:ident, $action:literal, $spec:literal, $file:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(pub LoadMedia);

        impl $name {
            /// Loads the file of message `msg_id` in `chat_id`.
            pub fn new(chat_id: i64, msg_id: i64) -> Result<Self, CommandError> {
                LoadMedia::new(chat_id, msg_id, $file).map(Self)
            }
        }

        impl Command for $name {
            const ACTION: &'static str = $action;
            const SPEC: SpecRef = SpecRef::tg_cli($spec);
            const FIRST_METHOD: Method =
                Method::of::<tl::functions::messages::GetMessages>("messages.getMessages");
            type Json = LoadMediaJson;
            type Response = LoadedFile;

            fn validate(json: LoadMediaJson) -> Result<Self, CommandError> {
                LoadMedia::from_json(json, $file).map(Self)
            }

            fn sample() -> Value {
                json!({"chat_id": "$FRIEND", "msg_id": 1})
            }

            async fn run(self, client: &Client) -> Result<LoadedFile, CommandError> {
                self.0.load(client).await
            }
        }
    };
}

load_media_command!(
    /// `load_photo`: downloads a message's photo (largest size).
    LoadPhoto, "load_photo", "msg.load_photo", MediaFile::Photo
);
load_media_command!(
    /// `load_video`: downloads a message's video.
    LoadVideo, "load_video", "msg.load_video", MediaFile::Video
);
load_media_command!(
    /// `load_video_thumb`: downloads a message's video thumbnail.
    LoadVideoThumb, "load_video_thumb", "msg.load_video_thumb", MediaFile::VideoThumb
);
load_media_command!(
    /// `load_audio`: downloads a message's audio file or voice note.
    LoadAudio, "load_audio", "msg.load_audio", MediaFile::Audio
);
load_media_command!(
    /// `load_document`: downloads a message's document (any file).
    LoadDocument, "load_document", "msg.load_document", MediaFile::Document
);
load_media_command!(
    /// `load_document_thumb`: downloads a message's document thumbnail.
    LoadDocumentThumb, "load_document_thumb", "msg.load_document_thumb", MediaFile::DocumentThumb
);

pub(super) fn commands() -> Vec<CommandInfo> {
    vec![
        CommandInfo::of::<LoadPhoto>(),
        CommandInfo::of::<LoadVideo>(),
        CommandInfo::of::<LoadVideoThumb>(),
        CommandInfo::of::<LoadAudio>(),
        CommandInfo::of::<LoadDocument>(),
        CommandInfo::of::<LoadDocumentThumb>(),
    ]
}

impl Client {
    /// Downloads `file` of message `msg_id` in `chat_id` into the media
    /// cache and returns where it is (see [`LoadMedia`]).
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// use tgcmd::commands::media_load::MediaFile;
    /// let loaded = client.load_media(777000, 42, MediaFile::Photo).await?;
    /// println!("{}", loaded.path);
    /// # Ok(()) }
    /// ```
    pub async fn load_media(
        &self,
        chat_id: i64,
        msg_id: i64,
        file: MediaFile,
    ) -> Result<LoadedFile, CommandError> {
        let request = LoadMedia::new(chat_id, msg_id, file)?;
        match file {
            MediaFile::Photo => self.run(LoadPhoto(request)).await,
            MediaFile::Video => self.run(LoadVideo(request)).await,
            MediaFile::VideoThumb => self.run(LoadVideoThumb(request)).await,
            MediaFile::Audio => self.run(LoadAudio(request)).await,
            MediaFile::Document => self.run(LoadDocument(request)).await,
            MediaFile::DocumentThumb => self.run(LoadDocumentThumb(request)).await,
        }
    }
}
