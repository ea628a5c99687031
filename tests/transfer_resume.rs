//! Interrupted uploads and `resume_upload`, against the fake DC.
//!
//! Part-way through an upload the server starts answering `saveFilePart`
//! (or `saveBigFilePart`) with a flood wait longer than the engine sleeps
//! through, so the upload fails with `Error::UploadInterrupted`. Resuming
//! with its handle sends only the parts the handle does not list as
//! confirmed, and the finalised file is identical.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use support::transfer::{
    MIB, SAVE_BIG_FILE_PART, SAVE_FILE_PART, assert_downloads_as, finalise_document, no_hang,
};
use tgcmd::Error;
use tgcmd::transfer::{CancelToken, Progress, UploadHandle, UploadOptions};

/// Longer than the engine's own limit (300 s), so it gives up at once.
const HOPELESS_FLOOD: u32 = 3600;

async fn interrupt_and_resume(len: usize, method: u32, big: bool, seed: u32) {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(len, seed);
    let parts = len.div_ceil(512 * 1024) as u64;

    // Once 2 MiB are confirmed, the server floods the next part.
    let armed = Arc::new(AtomicBool::new(false));
    let world = Arc::clone(fake.world());
    let arm = Arc::clone(&armed);
    let options = UploadOptions {
        progress: Some(Arc::new(move |progress: Progress| {
            if progress.done >= 2 * MIB as u64 && !arm.swap(true, Ordering::SeqCst) {
                world.faults().flood_wait(Some(method), HOPELESS_FLOOD, 1);
            }
        })),
        window_bytes: 2 * MIB,
        ..UploadOptions::named("resumed.bin")
    };
    let error = no_hang(
        "upload",
        client.upload_stream(&data[..], Some(len as u64), options),
    )
    .await
    .expect_err("the flood interrupts the upload");
    let Error::UploadInterrupted { handle, cause } = error else {
        panic!("expected UploadInterrupted, got {error}");
    };
    assert_eq!(cause.flood_wait_seconds(), Some(HOPELESS_FLOOD), "{cause}");
    assert_eq!(handle.big, big);
    assert_eq!(handle.size, Some(len as u64));
    let confirmed = handle.confirmed.len() as u64;
    assert!(
        (4..parts).contains(&confirmed),
        "{confirmed} of {parts} parts confirmed"
    );

    resume_and_check(&fake, &client, &data, &handle, method).await;
}

/// Resumes the upload of `data` from `handle` and checks that exactly the
/// unconfirmed parts go out (through `method` alone), that the result
/// finalises and that it downloads back identical.
async fn resume_and_check(
    fake: &fakedc::FakeDc,
    client: &tgcmd::Client,
    data: &[u8],
    handle: &UploadHandle,
    method: u32,
) {
    let len = data.len();
    let parts = len.div_ceil(512 * 1024) as u64;
    let confirmed = handle.confirmed.len() as u64;
    let big = handle.big;
    // Parts in flight when the upload stopped may still reach the server;
    // let them land before counting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = fake.world().call_count(method);
    let uploaded = no_hang(
        "resume",
        client.resume_upload(data, handle.clone(), UploadOptions::default()),
    )
    .await
    .expect("the resumed upload completes");
    assert_eq!(
        fake.world().call_count(method) - before,
        parts - confirmed,
        "only the unconfirmed parts were sent again"
    );
    assert_eq!(uploaded.handle.file_id, handle.file_id);
    assert_eq!(uploaded.size, len as u64);
    let other = if big {
        SAVE_FILE_PART
    } else {
        SAVE_BIG_FILE_PART
    };
    assert_eq!(fake.world().call_count(other), 0);

    let document = finalise_document(client, uploaded.input_file)
        .await
        .expect("the resumed upload finalises (MD5 and all)");
    assert_downloads_as(client, &document.location(), data, "resumed upload").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_file_upload_resumes_with_only_the_unconfirmed_parts() {
    interrupt_and_resume(7 * MIB + 11, SAVE_FILE_PART, false, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_file_upload_resumes_with_only_the_unconfirmed_parts() {
    interrupt_and_resume(14 * MIB + 3, SAVE_BIG_FILE_PART, true, 2).await;
}

/// The handle survives a round trip through JSON, as an app persisting it
/// would need.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handle_can_be_persisted() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(3 * MIB, 3);
    fake.faults()
        .flood_wait(Some(SAVE_FILE_PART), HOPELESS_FLOOD, 1);
    let options = UploadOptions {
        window_bytes: 512 * 1024,
        ..UploadOptions::default()
    };
    let error = client
        .upload_stream(&data[..], Some(data.len() as u64), options)
        .await
        .expect_err("the first part is flooded");
    let Error::UploadInterrupted { handle, .. } = error else {
        panic!("expected UploadInterrupted, got {error}");
    };
    assert!(handle.confirmed.is_empty());
    let json = serde_json::to_string(&*handle).expect("serializes");
    let restored: tgcmd::transfer::UploadHandle = serde_json::from_str(&json).expect("parses");
    assert_eq!(restored, *handle);
    let before = fake.world().call_count(SAVE_FILE_PART);
    let uploaded = client
        .resume_upload(&data[..], restored, UploadOptions::default())
        .await
        .expect("resume");
    assert_eq!(fake.world().call_count(SAVE_FILE_PART) - before, 6);
    let document = finalise_document(&client, uploaded.input_file)
        .await
        .expect("finalise");
    assert_downloads_as(
        &client,
        &document.location(),
        &data,
        "resumed from a persisted handle",
    )
    .await;
}

/// Cancelling an upload after parts went out keeps the handle, so the
/// upload can be paused and continued later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_upload_resumes_from_its_handle() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(5 * MIB + 7, 4);
    let token = CancelToken::new();
    let cancel = token.clone();
    let options = UploadOptions {
        window_bytes: MIB,
        progress: Some(Arc::new(move |progress: Progress| {
            if progress.done >= MIB as u64 {
                cancel.cancel();
            }
        })),
        cancel: Some(token),
        ..UploadOptions::named("paused.bin")
    };
    let error = no_hang(
        "upload",
        client.upload_stream(&data[..], Some(data.len() as u64), options),
    )
    .await
    .expect_err("cancelled");
    assert!(error.is_cancelled(), "{error}");
    let handle = error.upload_handle().expect("the handle is kept").clone();
    assert!(handle.confirmed.len() >= 2, "{:?}", handle.confirmed);
    assert!(handle.confirmed.len() < 11, "{:?}", handle.confirmed);
    resume_and_check(&fake, &client, &data, &handle, SAVE_FILE_PART).await;
}

/// A source that hands out `good` bytes of `data`, then fails.
struct FailingSource {
    data: Vec<u8>,
    good: usize,
    position: usize,
}

impl tokio::io::AsyncRead for FailingSource {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.position >= this.good {
            return std::task::Poll::Ready(Err(std::io::Error::other("the disk went away")));
        }
        let n = buf.remaining().min(this.good - this.position);
        buf.put_slice(&this.data[this.position..this.position + n]);
        this.position += n;
        std::task::Poll::Ready(Ok(()))
    }
}

/// A source that fails part-way ends the upload with its I/O error and the
/// handle; resuming from a good copy sends only what is missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_whose_source_fails_resumes_from_its_handle() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(12 * MIB + 5, 5);
    let source = FailingSource {
        data: data.clone(),
        good: 4 * MIB + 100,
        position: 0,
    };
    let error = no_hang(
        "upload",
        client.upload_stream(
            source,
            Some(data.len() as u64),
            UploadOptions::named("f.bin"),
        ),
    )
    .await
    .expect_err("the source fails");
    let Error::UploadInterrupted { handle, cause } = error else {
        panic!("expected UploadInterrupted, got {error}");
    };
    assert!(matches!(*cause, Error::Io(_)), "{cause}");
    assert!(handle.big);
    // Only whole parts before the failure can have been sent.
    assert!(
        handle.confirmed.keys().all(|&part| part < 8),
        "{:?}",
        handle.confirmed
    );
    assert!(!handle.confirmed.is_empty());
    resume_and_check(&fake, &client, &data, &handle, SAVE_BIG_FILE_PART).await;
}
