//! Clock and session faults on the home DC, against the fake DC: a server
//! clock off by ±10 minutes (`bad_msg_notification` 16/17), injected
//! `AUTH_KEY_UNREGISTERED`, 500 and −503 errors, a salt rotation in the
//! middle of a transfer, duplicated and replayed answers, and a slow
//! authorization on one DC while another DC is in use.
//!
//! Each case ends in success or a clear error, never a hang: every wait
//! runs under [`no_hang`]. Each test checks `Faults::fired`, so it fails if
//! its fault never happened.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use fakedc::{FakeDc, World};
use grammers_tl_types::{self as tl, Identifiable};
use support::transfer::{
    GET_FILE, IMPORT_AUTHORIZATION, KIB, MIB, SAVE_BIG_FILE_PART, SAVE_FILE_PART,
    assert_downloads_as, assert_same, fetch, no_hang, put_document, source, stored_location,
    upload_document,
};
use tgcmd::Client;
use tgcmd::transfer::{DownloadOptions, FileLocation, Progress, ProgressFn, UploadOptions};

const GET_USERS: u32 = tl::functions::users::GetUsers::CONSTRUCTOR_ID;
const GET_NEAREST_DC: u32 = tl::functions::help::GetNearestDc::CONSTRUCTOR_ID;

/// Ten minutes, the skew the tests give the server's clock.
const SKEW: i64 = 10 * 60;

/// A progress callback that runs `action` once, when `after` bytes are done:
/// a fault armed from it fires in the middle of the transfer, by
/// construction rather than by timing.
fn once_after(after: u64, action: impl Fn() + Send + Sync + 'static) -> ProgressFn {
    let fired = AtomicBool::new(false);
    Arc::new(move |progress: Progress| {
        if progress.done >= after && !fired.swap(true, Ordering::SeqCst) {
            action();
        }
    })
}

/// Downloads `expected` from `location` with a 1 MiB window, setting off
/// `fault` once the first MiB has arrived, and checks the bytes.
async fn download_across(
    fake: &FakeDc,
    client: &Client,
    location: &FileLocation,
    expected: &[u8],
    what: &str,
    fault: impl Fn(&World) + Send + Sync + 'static,
) {
    let world = Arc::clone(fake.world());
    let options = DownloadOptions {
        window_bytes: MIB,
        progress: Some(once_after(MIB as u64, move || fault(&world))),
        ..DownloadOptions::default()
    };
    let (got, _) = no_hang(
        "download",
        fetch(client, location, 0..expected.len() as u64, &options),
    )
    .await
    .unwrap_or_else(|error| panic!("the download across {what} failed: {error}"));
    assert_same(&got, expected, what);
}

async fn upload_with(
    client: &Client,
    data: &[u8],
    progress: Option<ProgressFn>,
) -> tgcmd::Result<tgcmd::media::Document> {
    client
        .upload_document(
            &source("blob.bin", data),
            "application/octet-stream",
            UploadOptions {
                progress,
                ..UploadOptions::default()
            },
        )
        .await
}

/// Checks that the main connection still answers every call with its own
/// answer: two different methods, each with the right type of result.
async fn main_connection_answers_in_order(fake: &FakeDc, client: &Client) {
    for _ in 0..3 {
        let me = no_hang("get_me", client.get_me())
            .await
            .expect("get_me works");
        assert_eq!(me.id, fake.user_id());
        let tl::enums::NearestDc::Dc(nearest) = no_hang(
            "help.getNearestDc",
            client.invoke(&tl::functions::help::GetNearestDc {}),
        )
        .await
        .expect("help.getNearestDc works");
        assert_eq!(nearest.this_dc, fake.home_dc().dc_id);
    }
}

// ---------------------------------------------------------------------------
// The server's clock is off by ±10 minutes
// ---------------------------------------------------------------------------

/// A server whose clock is ten minutes ahead of the client's: the main
/// connection (grammers) and the media connections (tgcmd's own) are each
/// told their msg_ids are too old (16), correct their clocks from the
/// notification's msg_id and work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_clock_ten_minutes_ahead_is_survived() {
    let fake = support::fake_dc().await;
    fake.faults().set_clock_offset(SKEW);
    let client = no_hang("connect", support::signed_in_client(&fake)).await;
    let on_connect = fake.faults().fired().clock_rejections;
    assert!(on_connect >= 1, "the main connection was told off");
    main_connection_answers_in_order(&fake, &client).await;

    // Media connections are new sessions with their own clock correction.
    let data = support::data::pattern(3 * MIB + 7, 1);
    let document = no_hang("upload", upload_with(&client, &data, None))
        .await
        .expect("the upload works on a skewed clock");
    let after_upload = fake.faults().fired().clock_rejections;
    assert!(
        after_upload > on_connect,
        "the media connections were told off too ({on_connect} → {after_upload})"
    );
    no_hang(
        "download",
        assert_downloads_as(&client, &document.location(), &data, "clock ahead"),
    )
    .await;
}

/// Uploads `data` without finalising it, over the media connections only
/// (the part limit is cached from an earlier upload).
async fn upload_parts(client: &Client, data: &[u8]) -> tgcmd::Result<u64> {
    let uploaded = client
        .upload_stream(data, Some(data.len() as u64), UploadOptions::default())
        .await?;
    Ok(uploaded.size)
}

/// A server whose clock is ten minutes behind the client's answers every
/// msg_id with 17 (too new). grammers-mtproto corrects its offset but keeps
/// its msg_ids growing within the session, so every resend is refused
/// again: tgcmd's media connections read the server's time from the
/// notification and go on in a new session that starts on it.
///
/// grammers' main connection cannot (an upstream limitation of
/// grammers-mtproto 0.11): its calls end with [`tgcmd::Error::Timeout`],
/// and work again once the clocks agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_clock_ten_minutes_behind_is_survived_by_the_media_connections() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(3 * MIB + 7, 2);
    let document = no_hang("upload", upload_with(&client, &data, None))
        .await
        .expect("upload");

    fake.faults().set_clock_offset(-SKEW);
    no_hang(
        "download",
        assert_downloads_as(&client, &document.location(), &data, "clock behind"),
    )
    .await;
    let after_download = fake.faults().fired().clock_rejections;
    assert!(after_download >= 1, "the media connections were told off");
    let more = support::data::pattern(2 * MIB + 3, 3);
    let size = no_hang("upload", upload_parts(&client, &more))
        .await
        .expect("the upload works on a clock behind ours");
    assert_eq!(size, more.len() as u64);

    let err = no_hang(
        "the main connection",
        client.invoke_with_timeout(
            &tl::functions::help::GetNearestDc {},
            Duration::from_secs(2),
        ),
    )
    .await
    .expect_err("grammers keeps sending msg_ids from the future");
    assert!(err.is_timeout(), "{err:?}");
    fake.faults().set_clock_offset(0);
    main_connection_answers_in_order(&fake, &client).await;
}

/// The server's clock jumps ten minutes back in the middle of a download,
/// with the media connections open: each is told off, starts a new session
/// on the server's time, and the download finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_clock_that_jumps_back_mid_transfer_is_survived() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(6 * MIB + 1, 4);
    let document = no_hang("upload", upload_with(&client, &data, None))
        .await
        .expect("upload");
    assert_eq!(fake.faults().fired().clock_rejections, 0);

    download_across(
        &fake,
        &client,
        &document.location(),
        &data,
        "a clock jump",
        |world| world.faults().set_clock_offset(-SKEW),
    )
    .await;
    assert!(
        fake.faults().fired().clock_rejections >= 1,
        "the jump was seen"
    );
}

/// grammers' main connection cannot follow a server clock behind ours (see
/// above): connecting fails with a clear timeout, not a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_to_a_server_clock_behind_ours_times_out_clearly() {
    let fake = support::fake_dc().await;
    fake.faults().set_clock_offset(-SKEW);
    let err = no_hang(
        "connect",
        support::builder(&fake)
            .request_timeout(Duration::from_secs(3))
            .connect(),
    )
    .await
    .expect_err("grammers keeps sending msg_ids from the future");
    assert!(err.is_timeout(), "{err:?}");
    assert!(fake.faults().fired().clock_rejections >= 1);
}

/// A server that answers every packet with `bad_server_salt` and a salt
/// that is stale again by the next packet never lets a request through:
/// `connect()` ends with a clear `Timeout` instead of hanging, and a client
/// built once the server behaves again works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_does_not_hang_on_a_server_that_only_answers_bad_server_salt() {
    let fake = support::fake_dc().await;
    fake.faults().rotate_salt_before_packets(u32::MAX);
    let err = no_hang(
        "connect",
        support::builder(&fake)
            .request_timeout(Duration::from_secs(2))
            .connect_timeout(Duration::from_secs(2))
            .connect(),
    )
    .await
    .expect_err("no request gets through");
    assert!(err.is_timeout(), "{err:?}");
    assert!(fake.faults().fired().salt_rotations >= 1);
    fake.faults().rotate_salt_before_packets(0);
    let client = no_hang("connect", support::builder(&fake).connect())
        .await
        .expect("connects once the salts settle");
    no_hang("get_me", client.get_me()).await.expect("get_me");
}

// ---------------------------------------------------------------------------
// AUTH_KEY_UNREGISTERED, 500 and −503 on the home DC
// ---------------------------------------------------------------------------

/// On the home DC `AUTH_KEY_UNREGISTERED` means the account's key was
/// logged out: a command gets the error as it is, and the client keeps
/// working once the server accepts the key again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_key_unregistered_on_a_command_is_a_clear_error() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    fake.faults()
        .rpc_error(Some(GET_USERS), Some(1), 401, "AUTH_KEY_UNREGISTERED", 1);
    let err = no_hang("get_me", client.get_me())
        .await
        .expect_err("the key is not registered");
    assert!(err.is_rpc("AUTH_KEY_UNREGISTERED"), "{err:?}");
    assert_eq!(err.rpc().map(|e| e.code), Some(401));
    assert_eq!(fake.faults().fired().rpc_errors, 1);
    main_connection_answers_in_order(&fake, &client).await;
}

/// `AUTH_KEY_UNREGISTERED` on the home DC in the middle of an upload: there
/// is no authorization to copy to the home DC, so the upload ends with the
/// error (and the handle to resume from), promptly; the resumed upload
/// finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_key_unregistered_mid_upload_is_a_clear_error() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(12 * MIB + 5, 4);
    let world = Arc::clone(fake.world());
    let progress = once_after(2 * MIB as u64, move || {
        world.faults().rpc_error(
            Some(SAVE_BIG_FILE_PART),
            Some(1),
            401,
            "AUTH_KEY_UNREGISTERED",
            1,
        )
    });
    let upload = client.upload_stream(
        &data[..],
        Some(data.len() as u64),
        UploadOptions {
            progress: Some(progress),
            ..UploadOptions::default()
        },
    );
    let err = no_hang("upload", upload)
        .await
        .expect_err("the key is not registered");
    assert_eq!(fake.faults().fired().rpc_errors, 1, "the fault fired");
    let cause = match &err {
        tgcmd::Error::UploadInterrupted { cause, .. } => cause.as_ref(),
        other => other,
    };
    assert!(cause.is_rpc("AUTH_KEY_UNREGISTERED"), "{err:?}");
    let handle = err
        .upload_handle()
        .cloned()
        .expect("an interrupted upload can be resumed");
    let resumed = no_hang(
        "resumed upload",
        client.resume_upload(&data[..], handle, UploadOptions::default()),
    )
    .await
    .expect("the resumed upload finishes");
    assert_eq!(resumed.size, data.len() as u64);
}

/// The same in the middle of a download: it ends with the error, promptly,
/// and the next download works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_key_unregistered_mid_download_is_a_clear_error() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(4 * MIB + 21, 14);
    let document = upload_document(&client, &data).await;
    let world = Arc::clone(fake.world());
    let options = DownloadOptions {
        window_bytes: MIB,
        progress: Some(once_after(MIB as u64, move || {
            world
                .faults()
                .rpc_error(Some(GET_FILE), Some(1), 401, "AUTH_KEY_UNREGISTERED", 1)
        })),
        ..DownloadOptions::default()
    };
    let err = no_hang(
        "download",
        fetch(
            &client,
            &document.location(),
            0..data.len() as u64,
            &options,
        ),
    )
    .await
    .expect_err("the key is not registered");
    assert!(err.is_rpc("AUTH_KEY_UNREGISTERED"), "{err:?}");
    assert_eq!(fake.faults().fired().rpc_errors, 1, "the fault fired");
    no_hang(
        "download",
        assert_downloads_as(&client, &document.location(), &data, "after the error"),
    )
    .await;
}

/// 500 and −503 on a command are Telegram's answer, given as is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_500_and_503_on_a_command_are_clear_errors() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    for (code, message) in [(500, "INTERNAL"), (-503, "Timeout")] {
        fake.faults()
            .rpc_error(Some(GET_NEAREST_DC), Some(1), code, message, 1);
        let err = no_hang(
            "help.getNearestDc",
            client.invoke(&tl::functions::help::GetNearestDc {}),
        )
        .await
        .expect_err("the server fails the call");
        assert_eq!(err.rpc().map(|e| e.code), Some(code), "{err:?}");
    }
    assert_eq!(fake.faults().fired().rpc_errors, 2);
    main_connection_answers_in_order(&fake, &client).await;
}

/// 500 and −503 in the middle of transfers are retried with a backoff: the
/// bytes arrive identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_500_and_503_mid_transfer_are_retried() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(4 * MIB + 9, 5);
    let world = Arc::clone(fake.world());
    let progress = once_after(MIB as u64, move || {
        let faults = world.faults();
        faults.rpc_error(Some(SAVE_FILE_PART), Some(1), 500, "INTERNAL", 2);
        faults.rpc_error(Some(SAVE_FILE_PART), Some(1), -503, "Timeout", 2);
    });
    let parts_before = fake.world().call_count(SAVE_FILE_PART);
    let document = no_hang("upload", upload_with(&client, &data, Some(progress)))
        .await
        .expect("the upload retries past 500 and -503");
    assert_eq!(fake.faults().fired().rpc_errors, 4);
    let parts = data.len().div_ceil(512 * KIB) as u64;
    assert!(
        fake.world().call_count(SAVE_FILE_PART) - parts_before > parts,
        "the failed parts were sent again"
    );

    let world = Arc::clone(fake.world());
    let options = DownloadOptions {
        window_bytes: MIB,
        progress: Some(once_after(MIB as u64, move || {
            let faults = world.faults();
            faults.rpc_error(Some(GET_FILE), Some(1), 500, "INTERNAL", 2);
            faults.rpc_error(Some(GET_FILE), Some(1), -503, "Timeout", 2);
        })),
        ..DownloadOptions::default()
    };
    let (got, _) = no_hang(
        "download",
        fetch(
            &client,
            &document.location(),
            0..data.len() as u64,
            &options,
        ),
    )
    .await
    .expect("the download retries past 500 and -503");
    assert_same(&got, &data, "transferred past 500 and -503");
    assert_eq!(fake.faults().fired().rpc_errors, 8);
}

// ---------------------------------------------------------------------------
// Salt rotation
// ---------------------------------------------------------------------------

/// The server's salt changes in the middle of an upload and of a download:
/// the packets in flight come back `bad_server_salt` with the new salt, and
/// are sent again with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_salt_rotation_mid_transfer_is_survived() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(6 * MIB + 3, 6);
    let world = Arc::clone(fake.world());
    let progress = once_after(MIB as u64, move || world.faults().rotate_salt());
    let document = no_hang("upload", upload_with(&client, &data, Some(progress)))
        .await
        .expect("the upload survives the salt rotation");
    let after_upload = fake.faults().fired().salt_rotations;
    assert!(after_upload >= 1, "a rotated salt was refused");

    download_across(
        &fake,
        &client,
        &document.location(),
        &data,
        "a salt rotation",
        |world| world.faults().rotate_salt(),
    )
    .await;
    assert!(
        fake.faults().fired().salt_rotations > after_upload,
        "the download met the second rotation"
    );
    // The main connection meets both rotations on its next call.
    let before = fake.faults().fired().salt_rotations;
    main_connection_answers_in_order(&fake, &client).await;
    assert!(fake.faults().fired().salt_rotations > before);
}

/// A server whose salt changes before every packet answers every resend
/// `bad_server_salt` again. The media connections give up after a bounded
/// number of packets in a row that answer nothing (each would otherwise
/// reset the stall timer for ever), so the download ends with a clear
/// error; once the server behaves, downloads work again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_refuses_every_resend_ends_the_transfer_with_an_error() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(MIB + 5, 13);
    let document = upload_document(&client, &data).await;

    fake.faults().rotate_salt_before_packets(u32::MAX);
    let err = no_hang(
        "download",
        fetch(
            &client,
            &document.location(),
            0..data.len() as u64,
            &DownloadOptions::default(),
        ),
    )
    .await
    .expect_err("no request gets through");
    assert!(err.is_network(), "{err:?}");
    assert!(
        err.to_string().contains("without answering"),
        "the error says why: {err}"
    );
    assert!(fake.faults().fired().salt_rotations > 512);

    fake.faults().clear();
    no_hang(
        "download",
        assert_downloads_as(&client, &document.location(), &data, "after the salt storm"),
    )
    .await;
}

// ---------------------------------------------------------------------------
// Duplicated and replayed answers
// ---------------------------------------------------------------------------

/// Every answer of a download arrives twice (the same packet): each is
/// taken once, and the bytes are identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_answers_are_taken_once() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(3 * MIB + 11, 7);
    let document = upload_document(&client, &data).await;

    fake.faults().duplicate_answers(1_000);
    main_connection_answers_in_order(&fake, &client).await;
    let on_main = fake.faults().fired().duplicated_answers;
    assert!(on_main >= 6, "the main connection's answers came twice");
    no_hang(
        "download",
        assert_downloads_as(&client, &document.location(), &data, "duplicated answers"),
    )
    .await;
    assert!(
        fake.faults().fired().duplicated_answers >= on_main + 7,
        "the media connections' answers came twice"
    );
    fake.faults().clear();
    main_connection_answers_in_order(&fake, &client).await;
}

/// Before each answer, the server sends the connection's previous answer
/// again: an `rpc_result` for a request already answered. It must never be
/// taken as the answer to a later request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_old_answers_are_ignored() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(3 * MIB + 13, 8);
    let document = upload_document(&client, &data).await;

    fake.faults().replay_old_answers(1_000);
    // `users.getUsers` and `help.getNearestDc` alternate: a replayed answer
    // taken for the next call would have the wrong type.
    main_connection_answers_in_order(&fake, &client).await;
    let on_main = fake.faults().fired().replayed_answers;
    assert!(
        on_main >= 4,
        "old answers were replayed on the main connection"
    );
    no_hang(
        "download",
        assert_downloads_as(&client, &document.location(), &data, "replayed answers"),
    )
    .await;
    assert!(
        fake.faults().fired().replayed_answers > on_main,
        "old answers were replayed on the media connections"
    );
    // An upload, whose answers are all `boolTrue`, is not fooled either.
    let more = support::data::pattern(2 * MIB + 1, 9);
    let again = no_hang("upload", upload_with(&client, &more, None))
        .await
        .expect("the upload works with replays");
    fake.faults().clear();
    no_hang(
        "download",
        assert_downloads_as(&client, &again.location(), &more, "uploaded with replays"),
    )
    .await;
}

// ---------------------------------------------------------------------------
// Authorizing one DC does not hold up another
// ---------------------------------------------------------------------------

async fn four_dcs() -> FakeDc {
    FakeDc::start(fakedc::Config {
        dcs: 4,
        ..fakedc::Config::default()
    })
    .await
    .expect("the fake DC starts")
}

/// Waits (bounded) until `condition` holds on the world.
async fn until(what: &str, world: &World, condition: impl Fn(&World) -> bool) {
    no_hang(what, async {
        while !condition(world) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

/// A file stored on `dc_id`, its location naming that DC, and its bytes.
fn stored_on(fake: &FakeDc, dc_id: i32, seed: u32) -> (FileLocation, Vec<u8>) {
    let data = support::data::pattern(2 * MIB + 17, seed);
    let stored = put_document(fake, dc_id, &data);
    (stored_location(&stored, dc_id), data)
}

/// A download from DC 2 needs the authorization copied there, and DC 2 is
/// slow to answer `auth.importAuthorization`. Meanwhile a download from
/// DC 4, which needs its own authorization, finishes: the proof is that it
/// is done while DC 2's answer is still held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_authorization_on_one_dc_does_not_hold_up_another() {
    let fake = four_dcs().await;
    let client = support::signed_in_client(&fake).await;
    let on_2 = stored_on(&fake, 2, 10);
    let on_4 = stored_on(&fake, 4, 11);
    fake.faults().hold_answers(IMPORT_AUTHORIZATION, Some(2), 1);

    let slow = tokio::spawn({
        let client = client.clone();
        let (location, data) = (on_2.0.clone(), on_2.1.clone());
        async move {
            let (got, _) = fetch(
                &client,
                &location,
                0..data.len() as u64,
                &DownloadOptions::default(),
            )
            .await?;
            assert_same(&got, &data, "from DC 2");
            Ok::<(), tgcmd::Error>(())
        }
    });
    until("DC 2's import to be held", fake.world(), |world| {
        world.faults().fired().held_answers == 1
    })
    .await;

    let (got, report) = tokio::time::timeout(
        Duration::from_secs(30),
        fetch(
            &client,
            &on_4.0,
            0..on_4.1.len() as u64,
            &DownloadOptions::default(),
        ),
    )
    .await
    .expect("DC 4 is not held up by DC 2's authorization")
    .expect("the download from DC 4 works");
    assert_same(&got, &on_4.1, "from DC 4");
    assert_eq!(report.dc_id, 4);
    assert!(!slow.is_finished(), "DC 2's download still waits");

    fake.faults().release_held_answers();
    no_hang("the download from DC 2", slow)
        .await
        .expect("the task runs")
        .expect("the download from DC 2 finishes once DC 2 answers");
    assert_eq!(fake.world().call_count(IMPORT_AUTHORIZATION), 2);
}

/// A failed authorization is not remembered: the next transfer tries again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_authorization_is_tried_again_later() {
    let fake = four_dcs().await;
    let client = support::signed_in_client(&fake).await;
    let (location, data) = stored_on(&fake, 3, 12);
    fake.faults()
        .rpc_error(Some(IMPORT_AUTHORIZATION), Some(3), 500, "INTERNAL", 1);
    let first = no_hang(
        "download",
        fetch(
            &client,
            &location,
            0..data.len() as u64,
            &DownloadOptions::default(),
        ),
    )
    .await;
    assert_eq!(
        fake.faults().fired().rpc_errors,
        1,
        "the import failed once"
    );
    // Which task meets the failed import depends on timing: the download's
    // own request fails with it, or the hash prefetch does and the
    // request's own authorization, tried again, succeeds. Either way the
    // failure was not remembered.
    if let Err(err) = &first {
        assert_eq!(err.rpc().map(|e| e.code), Some(500), "{err:?}");
    }
    no_hang(
        "download",
        assert_downloads_as(&client, &location, &data, "after a failed authorization"),
    )
    .await;
}
