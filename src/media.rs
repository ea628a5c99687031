//! Files on the client: uploading and downloading through the transfer
//! engine, and the media helpers that finalise uploads into documents,
//! photos and profile photos.

use std::io;
use std::ops::RangeBounds;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use grammers_tl_types as tl;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncSeek, AsyncWrite};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::transfer::recovery::{Attempts, Recovery};
use crate::transfer::{
    DownloadOptions, DownloadReport, FileLocation, RemoteFile, UploadHandle, UploadOptions,
    UploadedFile, download, recovery, upload,
};

/// A document (any file sent "as a file") as tgcmd reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    /// The document's id.
    pub id: i64,
    /// The access hash that must accompany the id in requests.
    pub access_hash: i64,
    /// Needed to download it; expires, see [`crate::transfer::LocationRefresher`].
    pub file_reference: Vec<u8>,
    /// The DC the document is stored on; downloads go there.
    pub dc_id: i32,
    /// Size in bytes.
    pub size: u64,
    /// The MIME type the uploader declared.
    pub mime_type: String,
    /// The name from `documentAttributeFilename`, if the document has one.
    pub file_name: Option<String>,
    /// When the document was uploaded (Unix timestamp).
    pub date: i32,
}

impl Document {
    /// Converts a `document` constructor; `None` for `documentEmpty`.
    pub fn from_tl(document: &tl::enums::Document) -> Option<Self> {
        let tl::enums::Document::Document(d) = document else {
            return None;
        };
        Some(Self {
            id: d.id,
            access_hash: d.access_hash,
            file_reference: d.file_reference.clone(),
            dc_id: d.dc_id,
            size: u64::try_from(d.size).unwrap_or(0),
            mime_type: d.mime_type.clone(),
            file_name: d.attributes.iter().find_map(|a| match a {
                tl::enums::DocumentAttribute::Filename(f) => Some(f.file_name.clone()),
                _ => None,
            }),
            date: d.date,
        })
    }

    /// Where to download it from.
    pub fn location(&self) -> FileLocation {
        FileLocation {
            location: tl::types::InputDocumentFileLocation {
                id: self.id,
                access_hash: self.access_hash,
                file_reference: self.file_reference.clone(),
                thumb_size: String::new(),
            }
            .into(),
            dc_id: self.dc_id,
            size: known_size(self.size),
        }
    }
}

/// A photo, with its largest size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Photo {
    /// The photo's id.
    pub id: i64,
    /// The access hash that must accompany the id in requests.
    pub access_hash: i64,
    /// Needed to download it; expires, see [`crate::transfer::LocationRefresher`].
    pub file_reference: Vec<u8>,
    /// The DC the photo is stored on; downloads go there.
    pub dc_id: i32,
    /// The `type` of the largest `photoSize` ("x", "y", "w" …).
    pub size_type: String,
    /// Size in bytes of that largest size.
    pub size: u64,
    /// When the photo was uploaded (Unix timestamp).
    pub date: i32,
}

/// A size of 0 is what a missing or negative size from the server became:
/// download to the end of the file instead (the hashes say where it is).
fn known_size(size: u64) -> Option<u64> {
    (size > 0).then_some(size)
}

/// The `type` and byte size of the largest downloadable size among
/// `sizes` (plain and progressive; stripped and cached ones are inline).
pub(crate) fn largest_photo_size(sizes: &[tl::enums::PhotoSize]) -> Option<(String, u64)> {
    sizes
        .iter()
        .filter_map(|s| match s {
            // Sizes come from the server: a negative one counts as
            // unknown (0), never as a wrapped-around huge number.
            tl::enums::PhotoSize::Size(s) => {
                Some((s.r#type.clone(), u64::try_from(s.size).unwrap_or(0)))
            }
            tl::enums::PhotoSize::Progressive(s) => Some((
                s.r#type.clone(),
                s.sizes
                    .iter()
                    .filter_map(|&n| u64::try_from(n).ok())
                    .max()
                    .unwrap_or(0),
            )),
            _ => None,
        })
        .max_by_key(|(_, size)| *size)
}

impl Photo {
    /// Converts a `photo` constructor, picking its largest plain size.
    pub fn from_tl(photo: &tl::enums::Photo) -> Option<Self> {
        let tl::enums::Photo::Photo(p) = photo else {
            return None;
        };
        let (size_type, size) = largest_photo_size(&p.sizes)?;
        Some(Self {
            id: p.id,
            access_hash: p.access_hash,
            file_reference: p.file_reference.clone(),
            dc_id: p.dc_id,
            size_type,
            size,
            date: p.date,
        })
    }

    /// Where to download its largest size from.
    pub fn location(&self) -> FileLocation {
        FileLocation {
            location: tl::types::InputPhotoFileLocation {
                id: self.id,
                access_hash: self.access_hash,
                file_reference: self.file_reference.clone(),
                thumb_size: self.size_type.clone(),
            }
            .into(),
            dc_id: self.dc_id,
            size: known_size(self.size),
        }
    }
}

/// Content that can be read again, so lost parts can be re-sent.
#[derive(Debug, Clone)]
pub enum UploadSource {
    /// A file on disk.
    Path(PathBuf),
    /// Bytes in memory, with a file name.
    Bytes {
        /// The file name the upload reports (`inputFile.name`).
        name: String,
        /// The content.
        data: Bytes,
    },
}

trait ReadSeek: AsyncRead + AsyncSeek + Unpin + Send {}
impl<T: AsyncRead + AsyncSeek + Unpin + Send> ReadSeek for T {}

impl UploadSource {
    fn name(&self) -> String {
        match self {
            UploadSource::Path(path) => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "file".into()),
            UploadSource::Bytes { name, .. } => name.clone(),
        }
    }

    async fn open(&self) -> io::Result<(Box<dyn ReadSeek>, u64)> {
        match self {
            UploadSource::Path(path) => {
                let file = tokio::fs::File::open(path).await?;
                let len = file.metadata().await?.len();
                Ok((Box::new(file), len))
            }
            UploadSource::Bytes { data, .. } => {
                Ok((Box::new(io::Cursor::new(data.clone())), data.len() as u64))
            }
        }
    }
}

/// How the uploaded file is finalised into media.
enum Finalise {
    Document { mime_type: String },
    Photo,
}

impl Client {
    fn transfer_api(&self) -> Arc<Client> {
        Arc::new(self.clone())
    }

    /// Uploads `size` bytes (or an unknown amount) from `source`.
    ///
    /// Files up to 10 MiB go through `upload.saveFilePart` with their MD5,
    /// bigger or unknown-length ones through `upload.saveBigFilePart`. Parts
    /// are sent with a window in flight over the media connections.
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> tgcmd::Result<()> {
    /// let data = vec![7u8; 3 << 20];
    /// let uploaded = client
    ///     .upload_stream(&data[..], Some(data.len() as u64), tgcmd::transfer::UploadOptions::named("blob.bin"))
    ///     .await?;
    /// assert_eq!(uploaded.size, 3 << 20);
    /// # Ok(()) }
    /// ```
    pub async fn upload_stream<R: AsyncRead + Unpin + Send>(
        &self,
        source: R,
        size: Option<u64>,
        options: UploadOptions,
    ) -> Result<UploadedFile> {
        upload::upload(self.transfer_api(), source, size, options).await
    }

    /// Uploads a file from disk.
    pub async fn upload_file(
        &self,
        path: impl AsRef<Path>,
        options: UploadOptions,
    ) -> Result<UploadedFile> {
        self.upload_source(&UploadSource::Path(path.as_ref().to_path_buf()), options)
            .await
    }

    /// Uploads re-readable content, named after it unless `options` names it.
    pub async fn upload_source(
        &self,
        source: &UploadSource,
        mut options: UploadOptions,
    ) -> Result<UploadedFile> {
        if options.name == UploadOptions::default().name {
            options.name = source.name();
        }
        let (reader, len) = source.open().await?;
        self.upload_stream(reader, Some(len), options).await
    }

    /// Continues an upload from the handle of an [`Error::UploadInterrupted`],
    /// sending only the parts the server has not confirmed.
    pub async fn resume_upload<R: AsyncRead + Unpin + Send>(
        &self,
        source: R,
        handle: UploadHandle,
        options: UploadOptions,
    ) -> Result<UploadedFile> {
        upload::resume(self.transfer_api(), source, handle, options).await
    }

    /// Downloads `range` of a file, writing it in order to `writer`.
    ///
    /// Every part is checked against the server's SHA-256 hashes unless
    /// `options.verify` is off.
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client, doc: tgcmd::media::Document) -> tgcmd::Result<()> {
    /// let mut out = Vec::new();
    /// let report = client
    ///     .download(&doc.location(), 1000..5000, &mut out, &Default::default())
    ///     .await?;
    /// assert_eq!(out.len(), 4000);
    /// assert_eq!(report.bytes, 4000);
    /// # Ok(()) }
    /// ```
    pub async fn download<W: AsyncWrite + Unpin + Send>(
        &self,
        file: &FileLocation,
        range: impl RangeBounds<u64>,
        writer: W,
        options: &DownloadOptions,
    ) -> Result<DownloadReport> {
        download::download(self.transfer_api(), file, range, writer, options).await
    }

    /// Downloads a whole file to `path`, writing chunks at their positions.
    ///
    /// The bytes go to a uniquely named temporary file beside `path` and
    /// replace `path` only once the whole file is there (and verified), so
    /// two downloads to one path cannot corrupt each other; a failed or
    /// dropped download removes its temporary file and leaves `path` as it
    /// was. See [`download::download_to_path`].
    pub async fn download_to_path(
        &self,
        file: &FileLocation,
        path: impl AsRef<Path>,
        options: &DownloadOptions,
    ) -> Result<DownloadReport> {
        download::download_to_path(self.transfer_api(), file, path, options).await
    }

    /// A seekable reader over a remote file.
    pub fn open_remote(&self, file: FileLocation, options: DownloadOptions) -> RemoteFile<Client> {
        RemoteFile::new(self.transfer_api(), file, options)
    }

    /// Runs `finalise` on an upload, re-sending parts the server reports
    /// missing (`FILE_PART_X_MISSING`) and trying again.
    async fn finalise_upload<T, F, Fut>(
        &self,
        source: &UploadSource,
        uploaded: &UploadedFile,
        finalise: F,
    ) -> Result<T>
    where
        F: Fn(tl::enums::InputFile) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut attempts = Attempts::default();
        loop {
            let error = match finalise(uploaded.input_file.clone()).await {
                Err(error) => error,
                done => return done,
            };
            let recovery = recovery::decide(recovery::Request::Finalise, &error, &attempts);
            match recovery {
                Recovery::ResendPart(part) => {
                    tracing::info!(part, "server lost a part; sending it again");
                    let (reader, _) = source.open().await?;
                    upload::resend_parts(self, reader, uploaded, &[part]).await?;
                }
                _ => return Err(error),
            }
            attempts.record(recovery);
        }
    }

    async fn upload_media(
        &self,
        source: &UploadSource,
        options: UploadOptions,
        kind: Finalise,
    ) -> Result<tl::enums::MessageMedia> {
        let uploaded = self.upload_source(source, options).await?;
        self.finalise_upload(source, &uploaded, |file| {
            let media: tl::enums::InputMedia = match &kind {
                Finalise::Document { mime_type } => tl::types::InputMediaUploadedDocument {
                    nosound_video: false,
                    force_file: true,
                    spoiler: false,
                    file,
                    thumb: None,
                    mime_type: mime_type.clone(),
                    attributes: vec![
                        tl::types::DocumentAttributeFilename {
                            file_name: source.name(),
                        }
                        .into(),
                    ],
                    stickers: None,
                    video_cover: None,
                    video_timestamp: None,
                    ttl_seconds: None,
                }
                .into(),
                Finalise::Photo => tl::types::InputMediaUploadedPhoto {
                    spoiler: false,
                    live_photo: false,
                    file,
                    stickers: None,
                    ttl_seconds: None,
                    video: None,
                }
                .into(),
            };
            self.invoke_owned(tl::functions::messages::UploadMedia {
                business_connection_id: None,
                peer: tl::enums::InputPeer::PeerSelf,
                media,
            })
        })
        .await
    }

    /// Uploads content as a document (`messages.uploadMedia`), ready to be
    /// sent to any chat without uploading again.
    pub async fn upload_document(
        &self,
        source: &UploadSource,
        mime_type: &str,
        options: UploadOptions,
    ) -> Result<Document> {
        let kind = Finalise::Document {
            mime_type: mime_type.to_string(),
        };
        match self.upload_media(source, options, kind).await? {
            tl::enums::MessageMedia::Document(media) => media
                .document
                .as_ref()
                .and_then(Document::from_tl)
                .ok_or_else(|| Error::Protocol("uploadMedia returned no document".into())),
            other => Err(Error::Protocol(format!(
                "uploadMedia returned {other:?} for a document"
            ))),
        }
    }

    /// Uploads content as a photo (`messages.uploadMedia`).
    pub async fn upload_photo(
        &self,
        source: &UploadSource,
        options: UploadOptions,
    ) -> Result<Photo> {
        match self.upload_media(source, options, Finalise::Photo).await? {
            tl::enums::MessageMedia::Photo(media) => media
                .photo
                .as_ref()
                .and_then(Photo::from_tl)
                .ok_or_else(|| Error::Protocol("uploadMedia returned no photo".into())),
            other => Err(Error::Protocol(format!(
                "uploadMedia returned {other:?} for a photo"
            ))),
        }
    }

    /// Uploads content and sends it to Saved Messages as a document with
    /// `caption`; returns the new message's id and the document.
    pub async fn send_document_to_self(
        &self,
        source: &UploadSource,
        mime_type: &str,
        caption: &str,
        options: UploadOptions,
    ) -> Result<(i32, Document)> {
        let random_id = crate::transfer::random_i64();
        let name = source.name();
        let updates = self
            .send_uploaded_media(
                tl::enums::InputPeer::PeerSelf,
                source,
                None,
                caption,
                random_id,
                options,
                |file, _| {
                    tl::types::InputMediaUploadedDocument {
                        nosound_video: false,
                        force_file: true,
                        spoiler: false,
                        file,
                        thumb: None,
                        mime_type: mime_type.to_string(),
                        attributes: vec![
                            tl::types::DocumentAttributeFilename {
                                file_name: name.clone(),
                            }
                            .into(),
                        ],
                        stickers: None,
                        video_cover: None,
                        video_timestamp: None,
                        ttl_seconds: None,
                    }
                    .into()
                },
            )
            .await?;
        sent_document(&updates).ok_or_else(|| {
            Error::Protocol("sendMedia's updates hold no new document message".into())
        })
    }

    /// Uploads `source` (and its thumbnail, if any) through the transfer
    /// engine and sends it to `peer` with `messages.sendMedia` and
    /// `caption`; `media` builds the `InputMedia` from the uploaded file and
    /// thumbnail. Parts the server reports missing are sent again. Returns
    /// the `Updates` answer (find the message by `random_id`).
    #[allow(clippy::too_many_arguments)] // One call, each argument distinct.
    pub async fn send_uploaded_media(
        &self,
        peer: tl::enums::InputPeer,
        source: &UploadSource,
        thumb: Option<&UploadSource>,
        caption: &str,
        random_id: i64,
        options: UploadOptions,
        media: impl Fn(tl::enums::InputFile, Option<tl::enums::InputFile>) -> tl::enums::InputMedia,
    ) -> Result<tl::enums::Updates> {
        let thumb = match thumb {
            Some(thumb) => Some(
                self.upload_source(thumb, UploadOptions::default())
                    .await?
                    .input_file,
            ),
            None => None,
        };
        let uploaded = self.upload_source(source, options).await?;
        self.finalise_upload(source, &uploaded, |file| {
            self.invoke_owned(tl::functions::messages::SendMedia {
                silent: false,
                background: false,
                clear_draft: false,
                noforwards: false,
                update_stickersets_order: false,
                invert_media: false,
                allow_paid_floodskip: false,
                peer: peer.clone(),
                reply_to: None,
                media: media(file, thumb.clone()),
                message: caption.to_string(),
                random_id,
                reply_markup: None,
                entities: None,
                schedule_date: None,
                schedule_repeat_period: None,
                send_as: None,
                quick_reply_shortcut: None,
                effect: None,
                allow_paid_stars: None,
                suggested_post: None,
            })
        })
        .await
    }

    /// Uploads a picture and makes it the photo of a basic group
    /// (`messages.editChatPhoto`) or a channel (`channels.editPhoto`),
    /// with `inputChatUploadedPhoto`. Returns the `Updates` answer, which
    /// holds the `messageActionChatEditPhoto` service message.
    pub async fn set_chat_photo(
        &self,
        chat: ChatPhotoTarget,
        source: &UploadSource,
        options: UploadOptions,
    ) -> Result<tl::enums::Updates> {
        let uploaded = self.upload_source(source, options).await?;
        self.finalise_upload(source, &uploaded, |file| {
            let photo: tl::enums::InputChatPhoto = tl::types::InputChatUploadedPhoto {
                file: Some(file),
                video: None,
                video_start_ts: None,
                video_emoji_markup: None,
            }
            .into();
            let chat = chat.clone();
            async move {
                match chat {
                    ChatPhotoTarget::BasicGroup(chat_id) => {
                        self.invoke_owned(tl::functions::messages::EditChatPhoto { chat_id, photo })
                            .await
                    }
                    ChatPhotoTarget::Channel(channel) => {
                        self.invoke_owned(tl::functions::channels::EditPhoto { channel, photo })
                            .await
                    }
                }
            }
        })
        .await
    }

    /// Uploads a picture and makes it the account's profile photo.
    pub async fn set_profile_photo(
        &self,
        source: &UploadSource,
        options: UploadOptions,
    ) -> Result<Photo> {
        let uploaded = self.upload_source(source, options).await?;
        let result = self
            .finalise_upload(source, &uploaded, |file| {
                self.invoke_owned(tl::functions::photos::UploadProfilePhoto {
                    fallback: false,
                    bot: None,
                    file: Some(file),
                    video: None,
                    video_start_ts: None,
                    video_emoji_markup: None,
                })
            })
            .await?;
        let tl::enums::photos::Photo::Photo(result) = result;
        Photo::from_tl(&result.photo)
            .ok_or_else(|| Error::Protocol("uploadProfilePhoto returned no photo".into()))
    }
}

/// The id and document of the message a `sendMedia` created.
fn sent_document(updates: &tl::enums::Updates) -> Option<(i32, Document)> {
    let list = match updates {
        tl::enums::Updates::Updates(u) => &u.updates,
        tl::enums::Updates::Combined(u) => &u.updates,
        _ => return None,
    };
    list.iter().find_map(|update| {
        let message = match update {
            tl::enums::Update::NewMessage(u) => &u.message,
            tl::enums::Update::NewChannelMessage(u) => &u.message,
            _ => return None,
        };
        let tl::enums::Message::Message(message) = message else {
            return None;
        };
        let Some(tl::enums::MessageMedia::Document(media)) = &message.media else {
            return None;
        };
        Some((message.id, Document::from_tl(media.document.as_ref()?)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_sizes_from_the_server_are_unknown_not_huge() {
        let photo = tl::enums::Photo::Photo(tl::types::Photo {
            has_stickers: false,
            id: 1,
            access_hash: 2,
            file_reference: vec![],
            date: 0,
            sizes: vec![
                tl::types::PhotoSize {
                    r#type: "y".into(),
                    w: 1,
                    h: 1,
                    size: -1,
                }
                .into(),
                tl::types::PhotoSizeProgressive {
                    r#type: "w".into(),
                    w: 1,
                    h: 1,
                    sizes: vec![-5, i32::MIN],
                }
                .into(),
            ],
            video_sizes: None,
            dc_id: 2,
        });
        let photo = Photo::from_tl(&photo).expect("a photo");
        assert_eq!(photo.size, 0);
        assert_eq!(photo.location().size, None, "downloaded to its end");
    }
}

/// Whose photo [`Client::set_chat_photo`] sets.
#[derive(Debug, Clone)]
pub enum ChatPhotoTarget {
    /// A basic group, by its id.
    BasicGroup(i64),
    /// A channel or supergroup.
    Channel(tl::enums::InputChannel),
}
