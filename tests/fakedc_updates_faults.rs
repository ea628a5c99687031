//! The push faults, each proved to fire (`Faults::fired`) and to do what it
//! says, seen through a stock grammers client's update stream: a dropped
//! push is a gap grammers fills with `getDifference`, reordered and
//! duplicated pushes still give each message once and in order,
//! `updatesTooLong` sends it to the difference, a forced too-long
//! difference is answered as such, and a restart keeps the logs.

#[path = "support/grammers.rs"]
mod grammers_support;
#[path = "support/people.rs"]
mod people;

use std::time::Duration;

use fakedc::{Config, FakeDc, PeerTarget};
use grammers_client::tl;
use people::{Person, messages_within, person, until_subscribed};

/// Longer than grammers' wait for a possible gap to close by itself.
const QUIET: Duration = Duration::from_millis(2500);

async fn b_listening() -> (FakeDc, i64, Person, grammers_client::client::UpdateStream) {
    let dc = FakeDc::start(Config {
        users: 2,
        ..Config::default()
    })
    .await
    .expect("fake DC starts");
    let a = dc.users()[0].user_id;
    let mut b = person(&dc, 1).await;
    let stream = b.stream().await;
    until_subscribed(&dc, b.user_id).await;
    (dc, a, b, stream)
}

fn texts(seen: Vec<(String, bool)>) -> Vec<String> {
    seen.into_iter().map(|(text, _)| text).collect()
}

fn send(dc: &FakeDc, from: i64, to: i64, texts: &[&str]) {
    for text in texts {
        dc.send_message(from, PeerTarget::User(to), text)
            .expect("sent");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_push_is_a_gap_the_difference_fills() {
    let (dc, a, b, mut stream) = b_listening().await;
    dc.faults().drop_pushes(1);
    send(&dc, a, b.user_id, &["lost", "after"]);
    assert_eq!(
        texts(messages_within(&mut stream, QUIET).await),
        ["lost", "after"]
    );
    assert_eq!(dc.faults().fired().dropped_pushes, 1);
    let get_difference =
        <tl::functions::updates::GetDifference as tl::Identifiable>::CONSTRUCTOR_ID;
    assert!(
        dc.world().call_count(get_difference) >= 1,
        "grammers fetched the gap"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reordered_pushes_arrive_in_order() {
    let (dc, a, b, mut stream) = b_listening().await;
    dc.faults().reorder_pushes(3);
    send(&dc, a, b.user_id, &["one", "two", "three"]);
    assert_eq!(
        texts(messages_within(&mut stream, QUIET).await),
        ["one", "two", "three"]
    );
    assert_eq!(dc.faults().fired().reordered_pushes, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_pushes_arrive_once() {
    let (dc, a, b, mut stream) = b_listening().await;
    dc.faults().duplicate_pushes(2);
    send(&dc, a, b.user_id, &["one", "two"]);
    assert_eq!(
        texts(messages_within(&mut stream, QUIET).await),
        ["one", "two"]
    );
    assert_eq!(dc.faults().fired().duplicated_pushes, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_too_long_sends_the_client_to_the_difference() {
    let (dc, a, b, mut stream) = b_listening().await;
    dc.faults().too_long_pushes(1);
    send(&dc, a, b.user_id, &["behind the curtain"]);
    assert_eq!(
        texts(messages_within(&mut stream, QUIET).await),
        ["behind the curtain"]
    );
    assert_eq!(dc.faults().fired().too_long_pushes, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_too_long_difference_fires_once() {
    let dc = FakeDc::start(Config {
        users: 2,
        ..Config::default()
    })
    .await
    .expect("fake DC starts");
    let a = dc.users()[0].user_id;
    let b = person(&dc, 1).await;
    send(&dc, a, b.user_id, &["x"]);
    dc.faults().too_long_differences(1);
    let request = tl::functions::updates::GetDifference {
        pts: 1,
        pts_limit: None,
        pts_total_limit: None,
        date: 0,
        qts: 0,
        qts_limit: None,
    };
    let first = b.client.invoke(&request).await.expect("getDifference");
    assert!(matches!(first, tl::enums::updates::Difference::TooLong(ref t) if t.pts == 2));
    let second = b.client.invoke(&request).await.expect("getDifference");
    assert!(matches!(
        second,
        tl::enums::updates::Difference::Difference(_)
    ));
    assert_eq!(dc.faults().fired().too_long_differences, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_logs() {
    let mut dc = FakeDc::start(Config {
        users: 2,
        ..Config::default()
    })
    .await
    .expect("fake DC starts");
    let a = dc.users()[0].user_id;
    let b = dc.users()[1].user_id;
    send(&dc, a, b, &["before the restart"]);
    dc.restart().await.expect("restarts");
    send(&dc, a, b, &["after the restart"]);
    let b_client = person(&dc, 1).await;
    let request = tl::functions::updates::GetDifference {
        pts: 1,
        pts_limit: None,
        pts_total_limit: None,
        date: 0,
        qts: 0,
        qts_limit: None,
    };
    let diff = b_client
        .client
        .invoke(&request)
        .await
        .expect("getDifference");
    let tl::enums::updates::Difference::Difference(diff) = diff else {
        panic!("expected a difference, got {diff:?}");
    };
    let received: Vec<_> = diff
        .new_messages
        .iter()
        .filter_map(|m| match m {
            tl::enums::Message::Message(m) => Some(m.message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(received, ["before the restart", "after the restart"]);
}
