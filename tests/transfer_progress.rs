//! Progress reports and stopping transfers, against the fake DC.
//!
//! Progress only grows and ends at the size; a `CancelToken` ends a
//! transfer with `Error::Cancelled` and its traffic stops (the server's
//! call counts stop growing); dropping the transfer's future stops it the
//! same way. The fake DC adds latency so that transfers are still running
//! when they are stopped.

mod support;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::transfer::{
    GET_FILE, MIB, SAVE_BIG_FILE_PART, UPLOAD_MEDIA, fetch, no_hang, put_document, stored_location,
};
use tgcmd::Error;
use tgcmd::transfer::{CancelToken, DownloadOptions, Progress, ProgressFn, UploadOptions};
use tokio::sync::oneshot;

/// A progress callback that records every report.
fn recorder() -> (ProgressFn, Arc<Mutex<Vec<Progress>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    let callback: ProgressFn = Arc::new(move |p| sink.lock().expect("progress log").push(p));
    (callback, log)
}

#[track_caller]
fn check_progress(log: &[Progress], size: u64, total: Option<u64>) {
    assert!(!log.is_empty(), "progress was reported");
    assert!(
        log.windows(2).all(|w| w[0].done <= w[1].done),
        "progress only grows: {log:?}"
    );
    for p in log {
        assert!(p.done <= size, "{p:?}");
        // A stream's total becomes known once it ends.
        let total_ok = p.total == total || (total.is_none() && p.total == Some(size));
        assert!(total_ok, "{p:?}, expected total {total:?}");
    }
    assert_eq!(log.last().map(|p| p.done), Some(size), "ends at the size");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_progress_grows_to_the_size() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    for (len, known) in [
        (5 * MIB + 7, true),
        (11 * MIB + 1, true),
        (3 * MIB + 1, false),
    ] {
        let data = support::data::pattern(len, 1);
        let (progress, log) = recorder();
        let options = UploadOptions {
            progress: Some(progress),
            ..UploadOptions::default()
        };
        let size = known.then_some(len as u64);
        no_hang("upload", client.upload_stream(&data[..], size, options))
            .await
            .expect("upload");
        let log = log.lock().expect("log").clone();
        check_progress(&log, len as u64, size);
        assert_eq!(log.len(), len.div_ceil(512 * 1024), "one report per part");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_progress_grows_to_the_size() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(6 * MIB + 100, 2);
    let location = stored_location(&put_document(&fake, 1, &data), 1);
    for range in [0..data.len() as u64, 1234..4 * MIB as u64 + 5] {
        let (progress, log) = recorder();
        let options = DownloadOptions {
            progress: Some(progress),
            ..DownloadOptions::default()
        };
        no_hang(
            "download",
            fetch(&client, &location, range.clone(), &options),
        )
        .await
        .expect("download");
        let len = range.end - range.start;
        check_progress(&log.lock().expect("log"), len, Some(len));
    }
}

/// Waits until the server's count of `method` has stayed the same for a
/// while and returns it.
async fn settled_count(fake: &fakedc::FakeDc, method: u32) -> u64 {
    // Requests already on the wire when the transfer stopped still land.
    tokio::time::sleep(Duration::from_millis(300)).await;
    fake.world().call_count(method)
}

/// Asserts the count of `method` no longer grows and stayed below `all`.
async fn assert_traffic_stopped(fake: &fakedc::FakeDc, method: u32, all: u64) {
    let stopped_at = settled_count(fake, method).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let later = fake.world().call_count(method);
    assert_eq!(later, stopped_at, "no request was sent after stopping");
    assert!(
        stopped_at < all,
        "stopped part-way: {stopped_at} of {all} requests"
    );
}

/// A file big enough that it is still going when the first report comes.
const SLOW_LEN: usize = 16 * MIB;
const SLOW_CHUNKS: u64 = (SLOW_LEN / (512 * 1024)) as u64;

fn slow_fake(fake: &fakedc::FakeDc) {
    fake.shaping().set_latency(Duration::from_millis(50));
}

/// A callback that cancels `token` on the first report.
fn cancel_on_first_report(token: &CancelToken) -> ProgressFn {
    let token = token.clone();
    Arc::new(move |_| token.cancel())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_download_stops_its_traffic() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(SLOW_LEN, 3);
    let location = stored_location(&put_document(&fake, 1, &data), 1);
    slow_fake(&fake);
    let token = CancelToken::new();
    let options = DownloadOptions {
        window_bytes: MIB,
        progress: Some(cancel_on_first_report(&token)),
        cancel: Some(token.clone()),
        ..DownloadOptions::default()
    };
    let mut out = Vec::new();
    let error = no_hang(
        "download",
        client.download(&location, .., &mut out, &options),
    )
    .await
    .expect_err("cancelled");
    assert!(matches!(error, Error::Cancelled), "{error}");
    assert!(token.is_cancelled());
    assert_traffic_stopped(&fake, GET_FILE, SLOW_CHUNKS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_an_upload_stops_its_traffic() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(SLOW_LEN, 4);
    slow_fake(&fake);
    let token = CancelToken::new();
    let options = UploadOptions {
        window_bytes: MIB,
        progress: Some(cancel_on_first_report(&token)),
        cancel: Some(token.clone()),
        ..UploadOptions::default()
    };
    let source = support::transfer::source("cancelled.bin", &data);
    let error = no_hang(
        "upload",
        client.upload_document(&source, "application/octet-stream", options),
    )
    .await
    .expect_err("cancelled");
    // Parts had gone out, so the error keeps the handle to resume from.
    assert!(error.is_cancelled(), "{error}");
    assert!(error.upload_handle().is_some(), "{error}");
    assert_traffic_stopped(&fake, SAVE_BIG_FILE_PART, SLOW_CHUNKS).await;
    assert_eq!(
        fake.world().call_count(UPLOAD_MEDIA),
        0,
        "nothing finalised"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_token_sends_nothing() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(MIB, 5);
    let location = stored_location(&put_document(&fake, 1, &data), 1);
    let token = CancelToken::new();
    token.cancel();
    let calls = fake.world().total_calls();
    let upload = client
        .upload_stream(
            &data[..],
            Some(data.len() as u64),
            UploadOptions {
                cancel: Some(token.clone()),
                ..UploadOptions::default()
            },
        )
        .await;
    assert!(matches!(upload, Err(Error::Cancelled)), "{upload:?}");
    let mut out = Vec::new();
    let download = client
        .download(
            &location,
            ..,
            &mut out,
            &DownloadOptions {
                cancel: Some(token),
                ..DownloadOptions::default()
            },
        )
        .await;
    assert!(matches!(download, Err(Error::Cancelled)), "{download:?}");
    assert_eq!(fake.world().total_calls(), calls);
}

/// Runs `transfer` until its first progress report, then drops it.
async fn drop_after_first_report<F, T>(transfer: impl FnOnce(ProgressFn) -> F)
where
    F: Future<Output = tgcmd::Result<T>>,
{
    let (tx, rx) = oneshot::channel();
    let tx = Mutex::new(Some(tx));
    let progress: ProgressFn = Arc::new(move |_| {
        if let Some(tx) = tx.lock().expect("signal").take() {
            let _ = tx.send(());
        }
    });
    let future = transfer(progress);
    tokio::select! {
        result = future => panic!("the transfer finished before it was dropped: {:?}", result.is_ok()),
        first = rx => first.expect("a progress report"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_download_stops_its_traffic() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(SLOW_LEN, 6);
    let location = stored_location(&put_document(&fake, 1, &data), 1);
    slow_fake(&fake);
    no_hang(
        "download",
        drop_after_first_report(|progress| {
            let client = client.clone();
            let location = location.clone();
            async move {
                let options = DownloadOptions {
                    window_bytes: MIB,
                    progress: Some(progress),
                    ..DownloadOptions::default()
                };
                fetch(&client, &location, 0..SLOW_LEN as u64, &options).await
            }
        }),
    )
    .await;
    assert_traffic_stopped(&fake, GET_FILE, SLOW_CHUNKS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_an_upload_stops_its_traffic() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(SLOW_LEN, 7);
    slow_fake(&fake);
    no_hang(
        "upload",
        drop_after_first_report(|progress| {
            let client = client.clone();
            let data = data.clone();
            async move {
                let options = UploadOptions {
                    window_bytes: MIB,
                    progress: Some(progress),
                    ..UploadOptions::default()
                };
                client
                    .upload_stream(&data[..], Some(data.len() as u64), options)
                    .await
            }
        }),
    )
    .await;
    assert_traffic_stopped(&fake, SAVE_BIG_FILE_PART, SLOW_CHUNKS).await;
}
