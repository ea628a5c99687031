//! The account's main connection survives: a runner that panics inside
//! grammers or ends is replaced, requests too large for MTProto are refused
//! before they reach grammers, every wait has a deadline, and settings that
//! would overflow are clamped.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use grammers_tl_types as tl;
use tgcmd::transfer::limits::MAX_REQUEST_SIZE;
use tgcmd::{ClientBuilder, Error};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// `account.updateProfile` with an `about` of `len` bytes.
fn update_about(len: usize) -> tl::functions::account::UpdateProfile {
    tl::functions::account::UpdateProfile {
        first_name: None,
        last_name: None,
        about: Some("x".repeat(len)),
    }
}

/// Waits (bounded) until the fake DC has seen more than `calls` calls.
async fn until_calls_exceed(dc: &fakedc::FakeDc, calls: u64) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while dc.world().total_calls() <= calls {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("the fake DC receives the call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grammers_panic_does_not_kill_the_account() {
    let dc = support::fake_dc().await;
    let client = support::signed_in_client(&dc).await;
    assert_eq!(client.connection_generation(), 1);
    // The headline bug: a request over grammers' size assertion, sent
    // straight through grammers, panics its runner task.
    let err = client
        .grammers()
        .invoke(&update_about(1_100_000))
        .await
        .expect_err("grammers' runner panics");
    assert!(err.to_string().contains("dropped"), "{err}");
    // Later calls work again, on a new runner. (A call made while the
    // panicking runner is still unwinding can land in its queue and get
    // `ConnectionLost`, like any call in flight when a runner dies:
    // grammers does not say whether the runner had read it. So "later"
    // means once the supervisor has noticed.)
    until_generation(&client, 2).await;
    let me = client.get_me().await.expect("get_me after the panic");
    assert_eq!(me.id, dc.user_id());
    assert_eq!(client.connection_generation(), 2);
    // And again, and again.
    for round in 3..=4 {
        let _ = client.grammers().invoke(&update_about(1_100_000)).await;
        until_generation(&client, round).await;
        client.get_me().await.expect("get_me after another panic");
        assert_eq!(client.connection_generation(), round);
    }
}

/// Waits (bounded) until the client runs on runner `generation`.
async fn until_generation(client: &tgcmd::Client, generation: u64) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while client.connection_generation() < generation {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("the runner is replaced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_in_flight_when_the_runner_dies_gets_connection_lost() {
    let dc = support::fake_dc().await;
    let client = support::signed_in_client(&dc).await;
    // Answers wait long enough for the runner to die under the call.
    dc.shaping().set_latency(Duration::from_secs(2));
    let before = dc.world().total_calls();
    let in_flight = tokio::spawn({
        let client = client.clone();
        async move { client.get_me().await }
    });
    until_calls_exceed(&dc, before).await;
    let _ = client.grammers().invoke(&update_about(1_100_000)).await;
    let err = in_flight
        .await
        .expect("the task runs")
        .expect_err("the answer can no longer arrive");
    assert!(err.is_connection_lost(), "{err:?}");
    assert!(err.is_network());
    dc.shaping().set_latency(Duration::ZERO);
    client.get_me().await.expect("get_me on the new runner");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_that_ends_is_restarted() {
    let dc = support::fake_dc().await;
    let client = support::signed_in_client(&dc).await;
    // `quit` ends grammers' runner normally; every handle to it is dead.
    client.grammers().disconnect();
    // A call queued behind the `quit` may be dropped with it (grammers
    // cannot tell that it was never sent); calls after the restart work.
    tokio::time::timeout(Duration::from_secs(10), async {
        while client.connection_generation() < 2 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("the runner is replaced");
    let me = client.get_me().await.expect("get_me after the runner quit");
    assert_eq!(me.id, dc.user_id());
    assert!(client.connection_generation() >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_request_is_refused_before_grammers() {
    let dc = support::fake_dc().await;
    let client = support::signed_in_client(&dc).await;
    let before = dc.world().total_calls();
    let err = client
        .invoke(&update_about(1_100_000))
        .await
        .expect_err("too large for one MTProto message");
    assert!(err.is_request_too_large(), "{err:?}");
    match err {
        Error::RequestTooLarge { size, limit } => {
            assert!(size > 1_100_000);
            assert_eq!(limit, MAX_REQUEST_SIZE);
        }
        other => panic!("{other:?}"),
    }
    let err = client
        .invoke_in_dc(2, &update_about(MAX_REQUEST_SIZE))
        .await
        .expect_err("too large in any DC");
    assert!(err.is_request_too_large(), "{err:?}");
    assert_eq!(dc.world().total_calls(), before, "nothing was sent");
    // The runner never saw it: still the first one, and it works.
    client.get_me().await.expect("get_me after the refusal");
    assert_eq!(client.connection_generation(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_sign_in_input_is_refused_without_a_call() {
    let dc = support::fake_dc().await;
    let client = support::signed_out_client(&dc).await;
    let before = dc.world().total_calls();
    let phone = "1".repeat(2_000_000);
    let err = client
        .request_login_code(&phone)
        .await
        .expect_err("too long");
    assert!(err.is_invalid_input(), "{err:?}");
    let err = client
        .bot_sign_in(&"4".repeat(2_000_000))
        .await
        .expect_err("too long");
    assert!(err.is_invalid_input(), "{err:?}");
    assert_eq!(dc.world().total_calls(), before);
    assert_eq!(client.connection_generation(), 1);
}

/// A TCP server that accepts connections, reads everything and never
/// answers.
async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut sink = vec![0u8; 64 * 1024];
                while matches!(socket.read(&mut sink).await, Ok(n) if n > 0) {}
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_to_a_silent_server_times_out() {
    let addr = silent_server().await;
    let err = ClientBuilder::new(support::API_ID, support::API_HASH)
        .dc_address(1, addr)
        .pre_shared_key(1, [7; 256])
        .home_dc(1)
        .connect_timeout(Duration::from_millis(200))
        .request_timeout(Duration::from_secs(30))
        .connect()
        .await
        .expect_err("nobody answers");
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_with_a_short_request_timeout_times_out() {
    let addr = silent_server().await;
    let err = ClientBuilder::new(support::API_ID, support::API_HASH)
        .dc_address(1, addr)
        .pre_shared_key(1, [7; 256])
        .home_dc(1)
        .request_timeout(Duration::from_millis(200))
        .connect()
        .await
        .expect_err("nobody answers");
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        matches!(err, Error::Timeout { after, .. } if after == Duration::from_millis(200)),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_dc_does_not_stall_the_account_for_good() {
    let dc = support::fake_dc().await;
    let silent = silent_server().await;
    // A DC the fake DC's config does not list (so grammers keeps the
    // address given here), on a server that accepts and says nothing.
    let client = support::builder(&dc)
        .dc_address(7, silent)
        .pre_shared_key(7, [9; 256])
        .connect_timeout(Duration::from_millis(300))
        .connect()
        .await
        .expect("the home DC answers");
    let err = client
        .invoke_in_dc(7, &tl::functions::help::GetNearestDc {})
        .await
        .expect_err("DC 7 never answers");
    assert!(err.is_timeout(), "{err:?}");
    // The stuck runner was replaced; the home DC works again.
    let me = client.get_me().await.expect("get_me after the stuck DC");
    assert_eq!(me.id, dc.user_id());
    assert!(client.connection_generation() >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_per_call_timeout_ends_a_slow_call() {
    let dc = support::fake_dc().await;
    let client = support::signed_in_client(&dc).await;
    dc.shaping().set_latency(Duration::from_secs(5));
    let err = client
        .invoke_with_timeout(
            &tl::functions::help::GetNearestDc {},
            Duration::from_millis(100),
        )
        .await
        .expect_err("the answer is late");
    assert!(
        matches!(err, Error::Timeout { after, .. } if after == Duration::from_millis(100)),
        "{err:?}"
    );
    dc.shaping().set_latency(Duration::ZERO);
    client.get_me().await.expect("later calls work");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_that_would_overflow_are_clamped() {
    let dc = support::fake_dc().await;
    let client = support::builder(&dc)
        .media_stall_timeout(Duration::MAX)
        .request_timeout(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .flood_sleep_threshold(Duration::MAX)
        .connect()
        .await
        .expect("connects");
    client.get_me().await.expect("get_me");
    client
        .invoke_with_timeout(&tl::functions::help::GetNearestDc {}, Duration::MAX)
        .await
        .expect("a per-call Duration::MAX");
    // The media connections use the stall timeout on every wait.
    let data: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let uploaded = client
        .upload_stream(
            &data[..],
            Some(data.len() as u64),
            tgcmd::transfer::UploadOptions::named("clamped.bin"),
        )
        .await
        .expect("upload over media connections");
    assert_eq!(uploaded.size, data.len() as u64);
}
