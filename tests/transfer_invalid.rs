//! Input the transfer engine refuses before sending anything: empty files,
//! part sizes Telegram would reject, download ranges outside the file, and
//! sources that do not match the size announced. Each is an
//! `InvalidInput` error, and the fake DC sees no call at all (checked with
//! a fresh client, whose first transfer would otherwise also ask for
//! `getMe` / `help.getAppConfig`).

mod support;

use support::transfer::{
    KIB, MIB, SAVE_FILE_PART, UPLOAD_MEDIA, put_document, source, stored_location,
};
use tgcmd::Error;
use tgcmd::media::UploadSource;
use tgcmd::transfer::{DownloadMode, DownloadOptions, UploadHandle, UploadOptions};

#[track_caller]
fn assert_invalid_input<T: std::fmt::Debug>(result: tgcmd::Result<T>, what: &str) -> String {
    match result {
        Err(Error::InvalidInput(message)) => message,
        other => panic!("{what}: expected InvalidInput, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_files_are_refused_with_nothing_sent() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let calls = fake.world().total_calls();

    let message = assert_invalid_input(
        client
            .upload_stream(&[][..], Some(0), UploadOptions::default())
            .await,
        "empty, size known",
    );
    assert!(message.contains("empty"), "{message}");
    assert_invalid_input(
        client
            .upload_stream(&[][..], None, UploadOptions::default())
            .await,
        "empty stream of unknown size",
    );
    assert_invalid_input(
        client
            .upload_stream(&[][..], Some(10), UploadOptions::default())
            .await,
        "empty source announced as 10 bytes",
    );
    let empty = source("empty.bin", &[]);
    assert_invalid_input(
        client
            .upload_document(&empty, "text/plain", UploadOptions::default())
            .await,
        "upload_document",
    );
    assert_invalid_input(
        client.upload_photo(&empty, UploadOptions::default()).await,
        "upload_photo",
    );
    assert_invalid_input(
        client
            .send_document_to_self(&empty, "text/plain", "hi", UploadOptions::default())
            .await,
        "send_document_to_self",
    );
    assert_invalid_input(
        client
            .set_profile_photo(&empty, UploadOptions::default())
            .await,
        "set_profile_photo",
    );
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("transfer_invalid");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("empty.bin");
    std::fs::write(&path, b"").expect("write");
    assert_invalid_input(
        client.upload_file(&path, UploadOptions::default()).await,
        "upload_file",
    );
    let on_disk = UploadSource::Path(path);
    assert_invalid_input(
        client
            .upload_document(&on_disk, "text/plain", UploadOptions::default())
            .await,
        "upload_document from disk",
    );
    assert_eq!(
        fake.world().total_calls(),
        calls,
        "nothing was sent: {:?}",
        fake.world().call_log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_part_sizes_are_refused_with_nothing_sent() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let calls = fake.world().total_calls();
    let data = support::data::pattern(MIB, 1);
    for part_size in [
        0,
        1,
        1000,
        3 * KIB as u32,
        (512 + 1) * KIB as u32,
        MIB as u32,
        384 * KIB as u32,
    ] {
        let options = UploadOptions {
            part_size,
            ..UploadOptions::default()
        };
        for size in [Some(data.len() as u64), None] {
            let message = assert_invalid_input(
                client.upload_stream(&data[..], size, options.clone()).await,
                &format!("part size {part_size}, size {size:?}"),
            );
            assert!(message.contains("part size"), "{message}");
        }
        assert_invalid_input(
            client
                .upload_document(&source("x.bin", &data), "a/b", options.clone())
                .await,
            &format!("upload_document with part size {part_size}"),
        );
        let handle = UploadHandle::new(1, part_size, false, Some(data.len() as u64), "x.bin");
        assert_invalid_input(
            client
                .resume_upload(&data[..], handle, UploadOptions::default())
                .await,
            &format!("resume with part size {part_size}"),
        );
    }
    assert_eq!(
        fake.world().total_calls(),
        calls,
        "nothing was sent: {:?}",
        fake.world().call_log()
    );

    // Every valid part size works, down to 1 KiB.
    let small = support::data::pattern(5 * KIB + 3, 2);
    for part_size in [KIB, 2 * KIB, 4 * KIB, 128 * KIB, 512 * KIB] {
        let before = fake.world().call_count(SAVE_FILE_PART);
        let options = UploadOptions {
            part_size: part_size as u32,
            ..UploadOptions::default()
        };
        let uploaded = client
            .upload_stream(&small[..], Some(small.len() as u64), options)
            .await
            .expect("a valid part size works");
        let document = support::transfer::finalise_document(&client, uploaded.input_file)
            .await
            .expect("finalise");
        assert_eq!(
            fake.world().call_count(SAVE_FILE_PART) - before,
            small.len().div_ceil(part_size) as u64
        );
        let (got, _) = support::transfer::fetch(
            &client,
            &document.location(),
            0..small.len() as u64,
            &DownloadOptions::default(),
        )
        .await
        .expect("download");
        assert_eq!(got, small, "part size {part_size}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_outside_the_file_are_refused_with_nothing_sent() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(10_000, 3);
    let location = stored_location(&put_document(&fake, 1, &data), 1);
    let calls = fake.world().total_calls();
    for mode in [DownloadMode::NonPrecise, DownloadMode::Precise] {
        let options = DownloadOptions {
            mode,
            ..DownloadOptions::default()
        };
        let mut out = Vec::new();
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 500..100;
        assert_invalid_input(
            client
                .download(&location, reversed, &mut out, &options)
                .await,
            "reversed",
        );
        assert_invalid_input(
            client
                .download(&location, 0..10_001, &mut out, &options)
                .await,
            "ends past the file",
        );
        assert_invalid_input(
            client
                .download(&location, 10_001.., &mut out, &options)
                .await,
            "starts past the file",
        );
        assert_invalid_input(
            client
                .download(&location, 0..=u64::MAX, &mut out, &options)
                .await,
            "overflowing range",
        );
        assert!(out.is_empty());
        // An empty range at the end is fine and needs no request.
        let report = client
            .download(&location, 10_000..10_000, &mut out, &options)
            .await
            .expect("an empty range");
        assert_eq!(report.bytes, 0);
    }
    assert_eq!(
        fake.world().total_calls(),
        calls,
        "nothing was sent: {:?}",
        fake.world().call_log()
    );
}

/// A source that turns out longer or shorter than announced is refused,
/// before it could be finalised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_that_does_not_match_its_size_is_refused() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(2 * MIB, 4);
    for (announced, what) in [
        (data.len() as u64 + 1, "shorter"),
        (data.len() as u64 - 1, "longer"),
        (11 * MIB as u64, "much shorter, big"),
    ] {
        let message = assert_invalid_input(
            client
                .upload_stream(&data[..], Some(announced), UploadOptions::default())
                .await,
            what,
        );
        assert!(message.contains("bytes"), "{message}");
    }
    assert_eq!(
        fake.world().call_count(UPLOAD_MEDIA),
        0,
        "nothing was finalised"
    );
}
