//! The transfer engine under injected faults, against the fake DC. Every
//! test ends with byte-identical content or the documented error, never a
//! wrong file, and every transfer runs under a timeout so a hang fails.
//!
//! Covered: a connection dropped mid-upload and mid-download, FLOOD_WAIT on
//! one request (which must not hold the others up), FILE_PART_X_MISSING on
//! finalising (the media helpers resend the part and finalise again),
//! FILE_MIGRATE_X (authorization copied to DC 2, file read there),
//! FILE_REFERENCE_EXPIRED (with and without a refresher, alone and together
//! with a migration), a corrupted `getFile` answer (refetched once; twice
//! is `HashMismatch`), and a server restart mid-upload, mid-download and between an
//! upload and a download.
//!
//! Each test checks the fake DC's counters (`Faults::fired`,
//! `World::connections_accepted`) so it fails if its fault never fired.

mod support;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use grammers_tl_types as tl;
use support::transfer::{
    EXPORT_AUTHORIZATION, GET_FILE, IMPORT_AUTHORIZATION, KIB, MIB, SAVE_BIG_FILE_PART,
    SAVE_FILE_PART, UPLOAD_MEDIA, assert_downloads_as, assert_same, fetch, no_hang, put_document,
    source, stored_location, upload_document, with_reference,
};
use tgcmd::Error;
use tgcmd::media::UploadSource;
use tgcmd::transfer::download::RefreshWith;
use tgcmd::transfer::{DownloadMode, DownloadOptions, Progress, UploadOptions};

// ---------------------------------------------------------------------------
// Dropped connections
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_dropped_mid_upload_is_retried() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    // Open the media connections first, so a reconnect shows in the counts.
    upload_document(&client, &support::data::pattern(2 * MIB, 1)).await;
    let connects_before = fake.world().connections_accepted();
    let parts_before = fake.world().call_count(SAVE_FILE_PART);

    let data = support::data::pattern(8 * MIB + 5, 2);
    let parts = data.len().div_ceil(512 * KIB) as u64;
    fake.faults().drop_connection_after(3 * MIB as u64);
    let document = no_hang("upload", upload_document_result(&client, &data))
        .await
        .expect("the upload survives the dropped connection");
    assert_eq!(fake.faults().fired().drops, 1, "the drop fired");
    assert!(
        fake.world().connections_accepted() > connects_before,
        "the dropped connection was replaced"
    );
    assert!(
        fake.world().call_count(SAVE_FILE_PART) - parts_before >= parts,
        "every part reached the server"
    );

    let (got, _) = no_hang(
        "download",
        fetch(
            &client,
            &document.location(),
            0..data.len() as u64,
            &DownloadOptions::default(),
        ),
    )
    .await
    .expect("the download succeeds");
    assert_same(&got, &data, "uploaded over a dropped connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connection_is_abandoned_and_the_download_finishes() {
    let fake = support::fake_dc().await;
    let client = support::builder(&fake)
        .media_stall_timeout(std::time::Duration::from_millis(700))
        .connect()
        .await
        .expect("connects");
    let data = support::data::pattern(6 * MIB + 3, 40);
    let document = upload_document(&client, &data).await;
    let connects_before = fake.world().connections_accepted();
    // A half-open connection: it keeps reading but never answers again.
    fake.faults().stall_connection_after(2 * MIB as u64);
    let (got, _) = no_hang(
        "download over a stalled connection",
        fetch(
            &client,
            &document.location(),
            0..data.len() as u64,
            &DownloadOptions::default(),
        ),
    )
    .await
    .expect("the stalled requests are retried elsewhere");
    assert_same(&got, &data, "downloaded past a stalled connection");
    assert_eq!(fake.faults().fired().stalls, 1, "the stall fired");
    assert!(
        fake.world().connections_accepted() > connects_before,
        "the silent connection was replaced"
    );
}

async fn upload_document_result(
    client: &tgcmd::Client,
    data: &[u8],
) -> tgcmd::Result<tgcmd::media::Document> {
    client
        .upload_document(
            &source("blob.bin", data),
            "application/octet-stream",
            UploadOptions::default(),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_dropped_mid_download_is_retried() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(8 * MIB + 333, 3);
    let stored = put_document(&fake, 1, &data);
    let location = stored_location(&stored, 1);
    // Warm up: the media connections are open before the fault is armed.
    fetch(&client, &location, 0..1, &DownloadOptions::default())
        .await
        .expect("warm-up read");

    for (round, mode) in [DownloadMode::NonPrecise, DownloadMode::Precise]
        .into_iter()
        .enumerate()
    {
        let connects_before = fake.world().connections_accepted();
        fake.faults().drop_connection_after(3 * MIB as u64);
        let options = DownloadOptions {
            mode,
            ..DownloadOptions::default()
        };
        let (got, report) = no_hang(
            "download",
            fetch(&client, &location, 0..data.len() as u64, &options),
        )
        .await
        .expect("the download survives the dropped connection");
        assert_same(&got, &data, &format!("{mode:?} over a dropped connection"));
        assert_eq!(report.bytes, data.len() as u64);
        assert_eq!(report.verified_bytes, data.len() as u64);
        assert_eq!(
            fake.faults().fired().drops,
            round as u64 + 1,
            "the drop fired during the {mode:?} download"
        );
        assert!(
            fake.world().connections_accepted() > connects_before,
            "the dropped connection was replaced"
        );
    }
}

// ---------------------------------------------------------------------------
// FLOOD_WAIT
// ---------------------------------------------------------------------------

/// One part is told to wait 2 s; the rest of the upload goes on meanwhile:
/// every other part completes before the flooded one is sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_wait_on_one_part_does_not_hold_up_the_others() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let parts = 8u64;
    let data = support::data::pattern(parts as usize * 512 * KIB, 4);
    // Warm up (getMe / appConfig, media connections).
    upload_document(&client, b"warm-up").await;
    let before = fake.world().call_count(SAVE_FILE_PART);

    // For each progress report: how many saveFilePart calls the server had seen.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let world = Arc::clone(fake.world());
    let log = Arc::clone(&seen);
    let options = UploadOptions {
        progress: Some(Arc::new(move |_: Progress| {
            let calls = world.call_count(SAVE_FILE_PART) - before;
            log.lock().expect("progress log").push(calls);
        })),
        ..UploadOptions::named("flooded.bin")
    };
    fake.faults().flood_wait(Some(SAVE_FILE_PART), 2, 1);
    let uploaded = no_hang(
        "upload",
        client.upload_stream(&data[..], Some(data.len() as u64), options),
    )
    .await
    .expect("the upload waits out the flood");
    assert_eq!(
        fake.world().call_count(SAVE_FILE_PART) - before,
        parts + 1,
        "only the flooded part was sent twice"
    );
    assert_eq!(fake.faults().fired().floods, 1, "the flood fired");
    let seen = seen.lock().expect("progress log").clone();
    assert_eq!(seen.len() as u64, parts);
    let before_retry = seen.iter().filter(|&&calls| calls <= parts).count() as u64;
    assert_eq!(
        before_retry,
        parts - 1,
        "every other part completed while the flooded one waited: {seen:?}"
    );
    let document = support::transfer::finalise_document(&client, uploaded.input_file)
        .await
        .expect("finalise");
    assert_downloads_as(
        &client,
        &document.location(),
        &data,
        "uploaded through a flood wait",
    )
    .await;
}

/// The same for downloads: one `getFile` waits 2 s while the other chunks
/// arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_wait_on_one_chunk_does_not_hold_up_the_others() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let chunks = 8u64;
    let data = support::data::pattern(chunks as usize * 512 * KIB, 5);
    let stored = put_document(&fake, 1, &data);
    let location = stored_location(&stored, 1);
    fetch(&client, &location, 0..1, &DownloadOptions::default())
        .await
        .expect("warm-up read");
    let before = fake.world().call_count(GET_FILE);

    let seen = Arc::new(Mutex::new(Vec::new()));
    let world = Arc::clone(fake.world());
    let log = Arc::clone(&seen);
    let options = DownloadOptions {
        progress: Some(Arc::new(move |_: Progress| {
            let calls = world.call_count(GET_FILE) - before;
            log.lock().expect("progress log").push(calls);
        })),
        ..DownloadOptions::default()
    };
    fake.faults().flood_wait(Some(GET_FILE), 2, 1);
    let (got, report) = no_hang(
        "download",
        fetch(&client, &location, 0..data.len() as u64, &options),
    )
    .await
    .expect("the download waits out the flood");
    assert_same(&got, &data, "downloaded through a flood wait");
    assert_eq!(fake.faults().fired().floods, 1, "the flood fired");
    assert_eq!(fake.world().call_count(GET_FILE) - before, chunks + 1);
    assert_eq!(report.requests, chunks + 1);
    let seen = seen.lock().expect("progress log").clone();
    assert_eq!(seen.len() as u64, chunks);
    let before_retry = seen.iter().filter(|&&calls| calls <= chunks).count() as u64;
    assert_eq!(
        before_retry,
        chunks - 1,
        "every other chunk arrived while the flooded one waited: {seen:?}"
    );
}

/// A flood wait longer than the engine sleeps through on its own reaches
/// the caller as Telegram's error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_very_long_flood_wait_is_returned() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(100 * KIB, 6);
    let stored = put_document(&fake, 1, &data);
    fake.faults().flood_wait(Some(GET_FILE), 3600, 1);
    let error = no_hang(
        "download",
        fetch(
            &client,
            &stored_location(&stored, 1),
            0..data.len() as u64,
            &DownloadOptions::default(),
        ),
    )
    .await
    .expect_err("an hour-long flood wait is not slept through");
    assert_eq!(error.flood_wait_seconds(), Some(3600), "{error}");
    assert_eq!(fake.faults().fired().floods, 1);
}

// ---------------------------------------------------------------------------
// FILE_PART_X_MISSING
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_small_file_part_is_resent_by_upload_document() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(3 * MIB + 10, 7);
    fake.faults().lose_uploaded_part(2);
    let document = no_hang("upload", upload_document_result(&client, &data))
        .await
        .expect("the helper resends the lost part");
    assert_eq!(fake.faults().fired().lost_parts, 1, "part 2 was lost");
    assert_eq!(fake.world().call_count(SAVE_FILE_PART), 7 + 1);
    assert_eq!(fake.world().call_count(UPLOAD_MEDIA), 2, "finalised twice");
    assert_downloads_as(
        &client,
        &document.location(),
        &data,
        "after resending a lost part",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_big_file_part_is_resent_by_send_document_to_self() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(10 * MIB + 700, 8);
    fake.faults().lose_uploaded_part(20);
    let source = source("big.bin", &data);
    let (message_id, document) = no_hang(
        "upload",
        client.send_document_to_self(
            &source,
            "application/octet-stream",
            "caption",
            UploadOptions::default(),
        ),
    )
    .await
    .expect("the helper resends the lost part");
    assert!(message_id > 0);
    assert_eq!(fake.faults().fired().lost_parts, 1, "part 20 was lost");
    assert_eq!(fake.world().call_count(SAVE_BIG_FILE_PART), 21 + 1);
    assert_eq!(fake.world().call_count(SAVE_FILE_PART), 0);
    assert_downloads_as(
        &client,
        &document.location(),
        &data,
        "after resending a lost big part",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_part_is_resent_by_set_profile_photo() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(700 * KIB, 9);
    fake.faults().lose_uploaded_part(0);
    let photo = no_hang(
        "upload",
        client.set_profile_photo(&source("me.jpg", &data), UploadOptions::default()),
    )
    .await
    .expect("the helper resends the lost part");
    assert_eq!(fake.faults().fired().lost_parts, 1, "part 0 was lost");
    assert_eq!(fake.world().call_count(SAVE_FILE_PART), 2 + 1);
    assert_downloads_as(
        &client,
        &photo.location(),
        &data,
        "profile photo after resending a lost part",
    )
    .await;
}

/// `resend_parts` for an upload of unknown length: the part goes out again
/// through `saveBigFilePart` with the real part count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_part_of_a_stream_of_unknown_size_can_be_resent() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(2 * MIB + 1, 10);
    fake.faults().lose_uploaded_part(1);
    let uploaded = client
        .upload_stream(&data[..], None, UploadOptions::named("stream.bin"))
        .await
        .expect("upload");
    let error = support::transfer::finalise_document(&client, uploaded.input_file.clone())
        .await
        .expect_err("part 1 was lost");
    assert_eq!(
        error.telegram_name().as_deref(),
        Some("FILE_PART_1_MISSING")
    );
    assert_eq!(fake.faults().fired().lost_parts, 1);
    tgcmd::transfer::upload::resend_parts(
        &client,
        std::io::Cursor::new(data.clone()),
        &uploaded,
        &[1],
    )
    .await
    .expect("resend");
    assert_eq!(fake.world().call_count(SAVE_BIG_FILE_PART), 5 + 1);
    let document = support::transfer::finalise_document(&client, uploaded.input_file)
        .await
        .expect("finalise after the resend");
    assert_downloads_as(
        &client,
        &document.location(),
        &data,
        "stream after resending a lost part",
    )
    .await;
}

// ---------------------------------------------------------------------------
// FILE_MIGRATE_X
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_on_another_dc_is_read_there_after_copying_the_authorization() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(5 * MIB + 17, 11);
    let stored = put_document(&fake, 2, &data);
    // The client believes the file is on its home DC.
    let location = stored_location(&stored, 1);
    for mode in [DownloadMode::NonPrecise, DownloadMode::Precise] {
        let options = DownloadOptions {
            mode,
            ..DownloadOptions::default()
        };
        let (got, report) = no_hang(
            "download",
            fetch(&client, &location, 0..data.len() as u64, &options),
        )
        .await
        .expect("the download follows FILE_MIGRATE_2");
        assert_same(&got, &data, &format!("{mode:?} from DC 2"));
        assert_eq!(report.dc_id, 2);
        assert_eq!(report.verified_bytes, data.len() as u64);
        let (got, _) = fetch(&client, &location, 1_000_000..3_500_001, &options)
            .await
            .expect("a range from DC 2");
        assert_same(&got, &data[1_000_000..3_500_001], "range from DC 2");
    }
    assert_eq!(fake.world().call_count(EXPORT_AUTHORIZATION), 1);
    assert_eq!(fake.world().call_count(IMPORT_AUTHORIZATION), 1);
}

// ---------------------------------------------------------------------------
// FILE_REFERENCE_EXPIRED
// ---------------------------------------------------------------------------

/// The reference expires after the first chunk; the refresher supplies the
/// new one and only the failed chunk is asked for again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_reference_is_refreshed_without_refetching_completed_chunks() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    // Two hash blocks, both fetched before the first chunk.
    let data = support::data::pattern(2 * MIB, 12);
    let stored = put_document(&fake, 1, &data);
    let location = stored_location(&stored, 1);
    let file_id = stored.id;

    let refreshes = Arc::new(AtomicUsize::new(0));
    let world = Arc::clone(fake.world());
    let counter = Arc::clone(&refreshes);
    let refresher = RefreshWith(move |stale: tl::enums::InputFileLocation| {
        counter.fetch_add(1, Ordering::SeqCst);
        let fresh = world
            .lock()
            .files
            .get(file_id)
            .map(|f| f.file_reference.clone())
            .unwrap_or_default();
        async move { Ok(with_reference(&stale, fresh)) }
    });
    let world = Arc::clone(fake.world());
    let expired = Arc::new(AtomicU64::new(0));
    let once = Arc::clone(&expired);
    let options = DownloadOptions {
        // One 512 KiB chunk at a time, so "completed" is well defined.
        window_bytes: 512 * KIB,
        refresher: Some(Arc::new(refresher)),
        progress: Some(Arc::new(move |_: Progress| {
            if once.fetch_add(1, Ordering::SeqCst) == 0
                && let Some(file) = world.lock().files.get_mut(file_id)
            {
                file.rotate_reference();
            }
        })),
        ..DownloadOptions::default()
    };
    let (got, report) = no_hang(
        "download",
        fetch(&client, &location, 0..data.len() as u64, &options),
    )
    .await
    .expect("the refresher supplies a fresh reference");
    assert_same(&got, &data, "after a reference refresh");
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(
        fake.world().call_count(GET_FILE),
        4 + 1,
        "only the chunk that met the expired reference was asked for again"
    );
    assert_eq!(report.requests, 4 + 1);
}

/// Many chunks in flight meet the expired reference at once: one refresh,
/// and no chunk that already arrived is fetched again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_reference_with_many_chunks_in_flight_is_refreshed_once() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(6 * MIB + 99, 13);
    let stored = put_document(&fake, 1, &data);
    let location = stored_location(&stored, 1);
    let file_id = stored.id;
    let fresh = fake
        .expire_file_reference(file_id)
        .expect("the file exists")
        .file_reference;

    let refreshes = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&refreshes);
    let refresher = RefreshWith(move |stale: tl::enums::InputFileLocation| {
        counter.fetch_add(1, Ordering::SeqCst);
        let fresh = fresh.clone();
        async move { Ok(with_reference(&stale, fresh)) }
    });
    let options = DownloadOptions {
        refresher: Some(Arc::new(refresher)),
        ..DownloadOptions::default()
    };
    let (got, _) = no_hang(
        "download",
        fetch(&client, &location, 0..data.len() as u64, &options),
    )
    .await
    .expect("the refresher supplies a fresh reference");
    assert_same(&got, &data, "after a reference refresh");
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
    // All 13 chunks may have gone out with the stale reference before the
    // first answer came back; each is asked for again at most once, after
    // the single refresh.
    let requests = fake.world().call_count(GET_FILE);
    assert!((13..=26).contains(&requests), "{requests} getFile calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_reference_without_a_refresher_is_an_error() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(300 * KIB, 14);
    let stored = put_document(&fake, 1, &data);
    let location = stored_location(&stored, 1);
    fake.expire_file_reference(stored.id);
    let error = no_hang(
        "download",
        fetch(
            &client,
            &location,
            0..data.len() as u64,
            &DownloadOptions::default(),
        ),
    )
    .await
    .expect_err("nobody can refresh the reference");
    assert_eq!(
        error.telegram_name().as_deref(),
        Some("FILE_REFERENCE_EXPIRED"),
        "{error}"
    );
}

/// A file on DC 2 whose reference expired, read through a location that
/// names DC 1: migration and refresh together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_and_refresh_together() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(3 * MIB + 1, 15);
    let stored = put_document(&fake, 2, &data);
    let location = stored_location(&stored, 1);
    let fresh = fake
        .expire_file_reference(stored.id)
        .expect("the file exists")
        .file_reference;
    let refreshes = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&refreshes);
    let options = DownloadOptions {
        refresher: Some(Arc::new(RefreshWith(
            move |stale: tl::enums::InputFileLocation| {
                counter.fetch_add(1, Ordering::SeqCst);
                let fresh = fresh.clone();
                async move { Ok(with_reference(&stale, fresh)) }
            },
        ))),
        ..DownloadOptions::default()
    };
    let (got, report) = no_hang(
        "download",
        fetch(&client, &location, 0..data.len() as u64, &options),
    )
    .await
    .expect("migrated and refreshed");
    assert_same(&got, &data, "migrated and refreshed");
    assert_eq!(report.dc_id, 2);
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------------------
// Corrupted chunks
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_chunk_is_refetched_once() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(4 * MIB + 4321, 16);
    let stored = put_document(&fake, 1, &data);
    fake.faults().corrupt_get_file(1);
    let (got, report) = no_hang(
        "download",
        fetch(
            &client,
            &stored_location(&stored, 1),
            0..data.len() as u64,
            &DownloadOptions::default(),
        ),
    )
    .await
    .expect("the damaged chunk is fetched again");
    assert_same(&got, &data, "after refetching a corrupted chunk");
    assert_eq!(report.refetched_chunks, 1);
    assert_eq!(fake.faults().fired().corruptions, 1);
    assert_eq!(fake.world().call_count(GET_FILE), 9 + 1);
    assert_eq!(report.requests, 9 + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_corrupted_twice_is_a_hash_mismatch() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(200 * KIB, 17);
    let stored = put_document(&fake, 1, &data);
    fake.faults().corrupt_get_file(2);
    let mut out = Vec::new();
    let error = no_hang(
        "download",
        client.download(
            &stored_location(&stored, 1),
            ..,
            &mut out,
            &DownloadOptions::default(),
        ),
    )
    .await
    .expect_err("the chunk is damaged both times");
    match error {
        Error::HashMismatch { offset, len } => {
            assert_eq!(offset, 0);
            assert_eq!(len, data.len() as u64);
        }
        other => panic!("expected HashMismatch, got {other}"),
    }
    assert!(out.is_empty(), "no unverified bytes were handed out");
    assert_eq!(fake.faults().fired().corruptions, 2);
    assert_eq!(fake.world().call_count(GET_FILE), 2);
}

// ---------------------------------------------------------------------------
// Server restarts
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_restarts_mid_download() {
    let mut fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(8 * MIB, 18);
    let stored = put_document(&fake, 1, &data);
    let location = stored_location(&stored, 1);
    // Slow enough that the restart lands in the middle.
    fake.shaping().set_bandwidth(Some(2 * MIB as u64));

    let (first_chunk, arrived) = tokio::sync::oneshot::channel::<()>();
    let first_chunk = Mutex::new(Some(first_chunk));
    let options = DownloadOptions {
        progress: Some(Arc::new(move |_: Progress| {
            if let Some(tx) = first_chunk.lock().expect("signal").take() {
                let _ = tx.send(());
            }
        })),
        ..DownloadOptions::default()
    };
    let task = {
        let client = client.clone();
        let len = data.len() as u64;
        tokio::spawn(async move {
            let mut out = Vec::new();
            let report = client.download(&location, 0..len, &mut out, &options).await;
            report.map(|report| (out, report))
        })
    };
    no_hang("first chunk", arrived)
        .await
        .expect("a chunk arrives before the restart");
    fake.restart().await.expect("the fake DC restarts");
    fake.shaping().set_bandwidth(None);
    let (got, report) = no_hang("download", task)
        .await
        .expect("the task runs")
        .expect("the download reconnects after the restart");
    assert_same(&got, &data, "downloaded across a restart");
    assert_eq!(report.bytes, data.len() as u64);
    assert!(
        fake.world().call_count(GET_FILE) > 16 && report.requests > 16,
        "the restart came mid-download: chunks in flight were asked for again"
    );
}

/// A restart while parts are in flight: the upload reconnects, sends the
/// unconfirmed parts again and the finalised file is identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_restarts_mid_upload() {
    let mut fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(12 * MIB + 5, 21);
    let parts = data.len().div_ceil(512 * KIB) as u64;
    // Slow enough that the restart lands in the middle, and every answer is
    // held longer than a part takes to arrive: whenever the restart comes,
    // parts the server has saved are still waiting for their answers, so
    // the client cannot know they arrived and must send them again.
    fake.shaping().set_bandwidth(Some(2 * MIB as u64));
    fake.shaping()
        .set_latency(std::time::Duration::from_millis(400));

    let (first_part, confirmed) = tokio::sync::oneshot::channel::<()>();
    let first_part = Mutex::new(Some(first_part));
    let options = UploadOptions {
        progress: Some(Arc::new(move |_: Progress| {
            if let Some(tx) = first_part.lock().expect("signal").take() {
                let _ = tx.send(());
            }
        })),
        ..UploadOptions::named("restart.bin")
    };
    let task = {
        let client = client.clone();
        let data = data.clone();
        tokio::spawn(async move {
            let len = data.len() as u64;
            client.upload_stream(&data[..], Some(len), options).await
        })
    };
    no_hang("first part", confirmed)
        .await
        .expect("a part is confirmed before the restart");
    fake.restart().await.expect("the fake DC restarts");
    let saved_before_restart = fake.world().call_count(SAVE_BIG_FILE_PART);
    assert!(saved_before_restart < parts, "the restart came mid-upload");
    fake.shaping().set_bandwidth(None);
    fake.shaping().set_latency(std::time::Duration::ZERO);
    let uploaded = no_hang("upload", task)
        .await
        .expect("the task runs")
        .expect("the upload reconnects after the restart");
    // Parts whose answers were lost with the old connections were sent
    // again on new ones: more calls than parts.
    let saved = fake.world().call_count(SAVE_BIG_FILE_PART);
    assert!(
        saved > parts,
        "{saved} saveBigFilePart calls for {parts} parts"
    );
    let document = support::transfer::finalise_document(&client, uploaded.input_file)
        .await
        .expect("every part is there after the restart");
    assert_downloads_as(
        &client,
        &document.location(),
        &data,
        "uploaded across a restart",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_restarts_between_upload_and_download() {
    let mut fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(3 * MIB + 3, 19);
    let document = no_hang("upload", upload_document(&client, &data)).await;
    fake.restart().await.expect("the fake DC restarts");
    let (got, _) = no_hang(
        "download",
        fetch(
            &client,
            &document.location(),
            0..data.len() as u64,
            &DownloadOptions::default(),
        ),
    )
    .await
    .expect("the download reconnects");
    assert_same(&got, &data, "downloaded after a restart");

    // And uploads work again too.
    fake.restart().await.expect("the fake DC restarts again");
    let more = support::data::pattern(MIB + 1, 20);
    let source: UploadSource = source("after.bin", &more);
    let again = no_hang(
        "upload",
        client.upload_document(
            &source,
            "application/octet-stream",
            UploadOptions::default(),
        ),
    )
    .await
    .expect("the upload reconnects");
    let (got, _) = fetch(
        &client,
        &again.location(),
        0..more.len() as u64,
        &DownloadOptions::default(),
    )
    .await
    .expect("download");
    assert_same(&got, &more, "uploaded after a restart");
}
