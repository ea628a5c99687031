//! The file commands between two tgcmd users of one fake DC: A sends
//! photos, videos, audio and documents (`send_*`), B loads them (`load_*`)
//! into its media cache, byte for byte, once; and each refusal, with
//! nothing sent.

mod support;

use std::path::{Path, PathBuf};

use grammers_tl_types::{self as tl, Identifiable};
use serde_json::json;
use support::commands::{CommandChecks, TwoUsers, channel_chat_id, request};
use tgcmd::commands::media_load::MediaFile;
use tgcmd::tgl::Media;

/// A directory for this test's input files.
fn inputs(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("media-inputs-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("input dir");
    dir
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("input file");
    path
}

/// Bytes that start like a PNG (the fake DC does not decode images).
fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend((0..len).map(|i| (i * 7 % 251) as u8));
    bytes
}

fn jpeg(len: usize) -> Vec<u8> {
    let mut bytes = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0".to_vec();
    bytes.extend((0..len).map(|i| (i * 13 % 251) as u8));
    bytes
}

fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(body.len() + 8)
        .expect("small")
        .to_be_bytes()
        .to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// An MP4 of `brand` whose `moov` says `duration_ms` and, with `picture`,
/// has a video track of that size; `mdat` holds `payload` bytes.
fn mp4(brand: &[u8; 4], duration_ms: u32, picture: Option<(u32, u32)>, payload: usize) -> Vec<u8> {
    let mut mvhd = vec![0; 100];
    mvhd[12..16].copy_from_slice(&1000_u32.to_be_bytes());
    mvhd[16..20].copy_from_slice(&duration_ms.to_be_bytes());
    let mut moov = mp4_box(b"mvhd", &mvhd);
    if let Some((w, h)) = picture {
        let mut tkhd = vec![0; 84];
        tkhd[76..80].copy_from_slice(&(w << 16).to_be_bytes());
        tkhd[80..84].copy_from_slice(&(h << 16).to_be_bytes());
        let mut hdlr = vec![0; 24];
        hdlr[8..12].copy_from_slice(b"vide");
        let mdia = mp4_box(b"mdia", &mp4_box(b"hdlr", &hdlr));
        moov.extend(mp4_box(b"trak", &[mp4_box(b"tkhd", &tkhd), mdia].concat()));
    }
    let mut ftyp = brand.to_vec();
    ftyp.extend_from_slice(&[0, 0, 2, 0]);
    let mdat: Vec<u8> = (0..payload).map(|i| (i % 253) as u8).collect();
    // mdat before moov, as many encoders write it: the walk must skip it.
    [
        mp4_box(b"ftyp", &ftyp),
        mp4_box(b"mdat", &mdat),
        mp4_box(b"moov", &moov),
    ]
    .concat()
}

fn calls<R: Identifiable>(t: &TwoUsers) -> u64 {
    t.dc.world().call_count(R::CONSTRUCTOR_ID)
}

/// B's id of the newest message in its chat with A.
async fn newest_in_b(t: &TwoUsers, chat_id: i64) -> i64 {
    let history = t.b.get_history(chat_id, 0, 1).await.expect("B's history");
    i64::from(history[0].id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_goes_over_and_loads_once() {
    let t = TwoUsers::start("send_photo").await;
    let dir = inputs("send_photo");
    let bytes = png(300_000);
    let path = write(&dir, "picture.png", &bytes);
    let msg = t
        .ok(request(
            1,
            "send_photo",
            json!({"chat_id": t.b_id, "file": path, "caption": "A picture"}),
        ))
        .await;
    assert_eq!(msg["@type"], "msg", "{msg}");
    assert_eq!(msg["out"], true);
    assert_eq!(msg["text"], "A picture");
    assert_eq!(msg["media"]["type"], "photo", "{msg}");
    assert_eq!(msg["media"]["size"], bytes.len() as u64);

    let in_b = newest_in_b(&t, t.a_id).await;
    let loaded = t
        .ok(request(
            2,
            "load_photo",
            json!({"chat_id": t.a_id, "msg_id": in_b}),
        ))
        .await;
    assert_eq!(loaded["@type"], "file_path", "{loaded}");
    assert_eq!(loaded["from_cache"], false);
    let loaded_path = PathBuf::from(loaded["path"].as_str().expect("path"));
    assert!(loaded_path.is_absolute(), "{loaded}");
    assert_eq!(std::fs::read(&loaded_path).expect("loaded"), bytes);

    let get_file = calls::<tl::functions::upload::GetFile>(&t);
    let again =
        t.b.load_media(t.a_id, in_b, MediaFile::Photo)
            .await
            .expect("loaded again");
    assert!(again.from_cache);
    assert_eq!(PathBuf::from(&again.path), loaded_path);
    assert_eq!(
        calls::<tl::functions::upload::GetFile>(&t),
        get_file,
        "nothing downloaded twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_carries_its_length_size_and_thumbnail() {
    let t = TwoUsers::start("send_video").await;
    let dir = inputs("send_video");
    let video = mp4(b"isom", 12_500, Some((640, 360)), 700_000);
    let thumb = jpeg(5_000);
    let video_path = write(&dir, "clip.mp4", &video);
    let thumb_path = write(&dir, "clip.jpg", &thumb);
    let msg = t
        .ok(request(
            1,
            "send_video",
            json!({"chat_id": t.b_id, "file": video_path, "thumb": thumb_path}),
        ))
        .await;
    let media: Media = serde_json::from_value(msg["media"].clone()).expect("media");
    match media {
        Media::Video {
            mime_type,
            size,
            file_name,
            duration,
            width,
            height,
            ..
        } => {
            assert_eq!(mime_type, "video/mp4");
            assert_eq!(size, video.len() as i64);
            assert_eq!(file_name.as_deref(), Some("clip.mp4"));
            assert_eq!((duration, width, height), (12.5, 640, 360));
        }
        other => panic!("not a video: {other:?}"),
    }

    let in_b = newest_in_b(&t, t.a_id).await;
    let loaded =
        t.b.load_media(t.a_id, in_b, MediaFile::Video)
            .await
            .expect("video");
    assert!(loaded.path.ends_with(".mp4"), "{loaded:?}");
    assert_eq!(std::fs::read(&loaded.path).expect("video"), video);
    let thumb_loaded =
        t.b.load_media(t.a_id, in_b, MediaFile::VideoThumb)
            .await
            .expect("thumb");
    assert_eq!(std::fs::read(&thumb_loaded.path).expect("thumb"), thumb);
    assert_ne!(thumb_loaded.path, loaded.path);
    // A video is a document too.
    let as_document =
        t.b.load_media(t.a_id, in_b, MediaFile::DocumentThumb)
            .await
            .expect("thumb as a document's");
    assert!(as_document.from_cache);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_and_big_documents_in_a_supergroup() {
    let t = TwoUsers::start("send_audio_document").await;
    let dir = inputs("send_audio_document");
    let channel = t.supergroup("Files").await;
    let supergroup = channel_chat_id(channel);

    let song = mp4(b"M4A ", 10_000, None, 50_000);
    let song_path = write(&dir, "song.m4a", &song);
    let sent = t
        .ok(request(
            1,
            "send_audio",
            json!({"chat_id": supergroup, "file": song_path}),
        ))
        .await;
    assert_eq!(sent["media"]["type"], "audio", "{sent}");
    assert_eq!(sent["media"]["duration"], 10);
    assert_eq!(sent["media"]["mime_type"], "audio/mp4");
    let song_id = i64::from(t.b.get_history(supergroup, 0, 1).await.expect("h")[0].id);
    let loaded =
        t.b.load_media(supergroup, song_id, MediaFile::Audio)
            .await
            .expect("audio");
    assert_eq!(std::fs::read(&loaded.path).expect("audio"), song);

    // Above 10 MiB: saveBigFilePart, and a parallel download.
    let big: Vec<u8> = (0..(12 << 20))
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let big_path = write(&dir, "archive.bin", &big);
    let big_parts = calls::<tl::functions::upload::SaveBigFilePart>(&t);
    let sent =
        t.a.send_document(supergroup, &big_path)
            .await
            .expect("document");
    assert!(calls::<tl::functions::upload::SaveBigFilePart>(&t) >= big_parts + 24);
    match &sent.media {
        Some(Media::Document {
            size, file_name, ..
        }) => {
            assert_eq!(*size, big.len() as i64);
            assert_eq!(file_name.as_deref(), Some("archive.bin"));
        }
        other => panic!("not a document: {other:?}"),
    }
    let loaded =
        t.b.load_media(supergroup, i64::from(sent.id), MediaFile::Document)
            .await
            .expect("document");
    assert_eq!(loaded.size, big.len() as u64);
    assert!(std::fs::read(&loaded.path).expect("document") == big);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_file_reference_is_renewed_from_the_message() {
    let t = TwoUsers::start("load_reference_expired").await;
    let dir = inputs("load_reference_expired");
    let bytes = jpeg(40_000);
    let path = write(&dir, "report.jpg", &bytes);
    t.a.send_document(t.b_id, &path).await.expect("sent");
    let in_b = newest_in_b(&t, t.a_id).await;
    let get_messages = calls::<tl::functions::messages::GetMessages>(&t);
    t.dc.faults().rpc_error(
        Some(tl::functions::upload::GetFile::CONSTRUCTOR_ID),
        None,
        400,
        "FILE_REFERENCE_EXPIRED",
        1,
    );
    let loaded =
        t.b.load_media(t.a_id, in_b, MediaFile::Document)
            .await
            .expect("loaded after renewing");
    assert_eq!(std::fs::read(&loaded.path).expect("file"), bytes);
    assert_eq!(
        calls::<tl::functions::messages::GetMessages>(&t),
        get_messages + 2,
        "the message was fetched again for a fresh reference"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_files_are_refused_with_nothing_sent() {
    let t = TwoUsers::start("send_media_refusals").await;
    let dir = inputs("send_media_refusals");
    let pdf = write(&dir, "paper.pdf", b"%PDF-1.7\n...");
    let empty = write(&dir, "empty.bin", b"");
    let not_jpeg = write(&dir, "thumb.png", &png(100));
    let big_thumb = write(&dir, "big.jpg", &jpeg(300 * 1024));
    let missing = dir.join("missing.jpg");
    let show = |p: &Path| p.display().to_string();
    let cases = [
        (
            "send_photo",
            json!({"chat_id": t.b_id, "file": pdf}),
            format!("file is not an image: {}", show(&pdf)),
        ),
        (
            "send_document",
            json!({"chat_id": t.b_id, "file": missing}),
            format!("file not found: {}", show(&missing)),
        ),
        (
            "send_document",
            json!({"chat_id": t.b_id, "file": dir}),
            format!("file not found: {}", show(&dir)),
        ),
        (
            "send_video",
            json!({"chat_id": t.b_id, "file": empty}),
            format!("file is empty: {}", show(&empty)),
        ),
        (
            "send_video",
            json!({"chat_id": t.b_id, "file": pdf, "thumb": not_jpeg}),
            format!("thumb is not a JPEG image: {}", show(&not_jpeg)),
        ),
        (
            "send_document",
            json!({"chat_id": t.b_id, "file": pdf, "thumb": big_thumb}),
            format!("thumb is larger than 204800 bytes: {}", show(&big_thumb)),
        ),
        (
            "send_audio",
            json!({"chat_id": t.b_id}),
            "file is required".to_string(),
        ),
        (
            "send_document",
            json!({"chat_id": t.b_id, "file": pdf, "caption": "c".repeat(1025)}),
            "caption must be at most 1024 characters".to_string(),
        ),
        (
            "send_photo",
            json!({"chat_id": t.b_id, "file": pdf, "thumb": pdf}),
            "a photo takes no thumb".to_string(),
        ),
        (
            "load_photo",
            json!({"chat_id": t.b_id, "msg_id": 0}),
            "msg_id must be a positive message id".to_string(),
        ),
    ];
    for (action, fields, expected) in cases {
        t.invalid(request(1, action, fields), &expected).await;
    }
    // Every file command names its chat the same way.
    let file_commands = [
        "send_photo",
        "send_video",
        "send_audio",
        "send_document",
        "load_photo",
        "load_video",
        "load_video_thumb",
        "load_audio",
        "load_document",
        "load_document_thumb",
    ];
    for action in file_commands {
        let fields = json!({"file": pdf, "msg_id": 1});
        t.invalid(request(1, action, fields.clone()), "chat_id is required")
            .await;
        let mut zero = fields;
        zero["chat_id"] = json!(0);
        t.invalid(request(1, action, zero), "chat_id is invalid")
            .await;
    }
    for action in &file_commands[4..] {
        t.invalid(
            request(1, action, json!({"chat_id": t.b_id})),
            "msg_id is required",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loading_media_a_message_does_not_have() {
    let t = TwoUsers::start("load_media_missing").await;
    let dir = inputs("load_media_missing");
    let text = t.a.send_msg(t.b_id, "just words").await.expect("sent");
    let document =
        t.a.send_document(t.b_id, write(&dir, "notes.txt", b"some notes"))
            .await
            .expect("sent");
    let photo =
        t.a.send_photo(t.b_id, write(&dir, "p.png", &png(1000)))
            .await
            .expect("sent");
    let cases = [
        ("load_photo", text.id, "message has no photo"),
        ("load_document", text.id, "message has no document"),
        ("load_video", document.id, "message has no video"),
        ("load_audio", photo.id, "message has no audio"),
        (
            "load_document_thumb",
            document.id,
            "message has no thumbnail",
        ),
        ("load_photo", 999_999, "Message not found"),
    ];
    for (action, msg_id, expected) in cases {
        let error = t
            .error(request(
                1,
                action,
                json!({"chat_id": t.b_id, "msg_id": msg_id}),
            ))
            .await;
        assert_eq!(error, expected, "{action} of {msg_id}");
    }
    // The document itself loads, and is named by its type.
    let loaded =
        t.a.load_media(t.b_id, i64::from(document.id), MediaFile::Document)
            .await
            .expect("loaded");
    assert!(loaded.path.ends_with(".txt"), "{loaded:?}");
    assert_eq!(std::fs::read(&loaded.path).expect("file"), b"some notes");
}
