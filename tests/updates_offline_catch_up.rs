//! A client that was offline catches up on exactly what it missed: A (a
//! tgcmd client on a SQLite session file) receives a few messages, closes
//! its update stream (which saves the update state) and is dropped; B
//! sends 500 messages; A, rebuilt from the same session file, gets all
//! 500 through its new stream, once each and in order, from
//! `getDifference` slices: `BinlogReplayEnd` before them,
//! `GetDifferenceEnd` after them, and only live messages after that. The
//! same for 150 supergroup posts missed (`updateChannelTooLong`, then
//! `getChannelDifference` pages), all before `GetDifferenceEnd`.
//!
//! grammers with `catch_up` off starts from a fresh `getState` and drops
//! all of this; tgcmd must not.

#[path = "support/stream.rs"]
mod stream;
mod support;

use std::path::Path;

use fakedc::{Config, FakeDc, PeerTarget};
use grammers_tl_types as tl;
use stream::{next, started, texts, until_marker};
use tgcmd::Client;
use tgcmd::update_stream::Update;

const OFFLINE: usize = 500;

/// Fake DC user `index`, on a session kept in `session`.
async fn client_on_file(dc: &FakeDc, index: usize, session: &Path, data: &Path) -> Client {
    let keys: Vec<_> = dc.users()[index]
        .dcs
        .iter()
        .map(|d| (d.dc_id, d.auth_key))
        .collect();
    support::builder_with_keys(dc, &keys)
        .session_file(session)
        .data_dir(data)
        .connect()
        .await
        .expect("the client connects")
}

fn get_difference_calls(dc: &FakeDc) -> u64 {
    dc.world()
        .call_count(<tl::functions::updates::GetDifference as tl::Identifiable>::CONSTRUCTOR_ID)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_client_gets_every_message_it_missed_once_in_order() {
    let dc = FakeDc::start(Config {
        users: 2,
        ..Config::default()
    })
    .await
    .expect("the fake DC starts");
    let (a_id, b_id) = (dc.users()[0].user_id, dc.users()[1].user_id);
    let dir = tempfile::tempdir().expect("a temp dir");
    let session = dir.path().join("a.session");
    let data = dir.path().join("a-data");
    let b_sends = |text: &str| {
        dc.send_message(b_id, PeerTarget::User(a_id), text)
            .expect("B sends")
    };

    // First run: a fresh session, a few messages live.
    let a = client_on_file(&dc, 0, &session, &data).await;
    let mut updates = started(&a, a_id).await;
    for text in ["online 1", "online 2", "online 3"] {
        b_sends(text);
    }
    let seen = until_marker(&mut updates, "online 3").await;
    assert_eq!(texts(&seen), ["online 1", "online 2", "online 3"]);
    updates.close().await;
    drop(a);

    // While A is away.
    let missed: Vec<String> = (1..=OFFLINE).map(|i| format!("offline {i}")).collect();
    for text in &missed {
        b_sends(text);
    }

    // Second run, from the same session file.
    let calls_before = get_difference_calls(&dc);
    let a = client_on_file(&dc, 0, &session, &data).await;
    let mut updates = a.updates().expect("the new client's stream");
    assert_eq!(
        next(&mut updates, "binlog_replay_end").await,
        Update::BinlogReplayEnd,
        "the saved state is loaded before anything from the network"
    );
    assert_eq!(
        next(&mut updates, "our_id").await,
        Update::OurId { id: a_id }
    );
    let mut caught_up = Vec::new();
    loop {
        match next(&mut updates, "the catch-up").await {
            Update::GetDifferenceEnd => break,
            update => caught_up.push(update),
        }
    }
    assert_eq!(caught_up.len(), OFFLINE, "only the missed messages");
    assert_eq!(texts(&caught_up), missed, "all of them, once, in order");
    let ids: Vec<i32> = stream::new_messages(&caught_up)
        .iter()
        .map(|m| {
            assert!(
                !m.out && m.src.as_ref().map(|p| p.id) == Some(b_id),
                "{m:?}"
            );
            m.id
        })
        .collect();
    assert!(ids.windows(2).all(|w| w[0] + 1 == w[1]), "{ids:?}");
    // 500 pts do not fit in one difference: the engine followed the slices.
    let calls = get_difference_calls(&dc) - calls_before;
    assert!(calls > 1, "{calls} getDifference call(s)");

    // And then live messages only, none of the missed ones again.
    b_sends("live");
    let after = until_marker(&mut updates, "live").await;
    assert_eq!(after.len(), 1, "{after:#?}");
    updates.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_client_catches_up_on_a_supergroup_too() {
    let dc = FakeDc::start(Config {
        users: 2,
        ..Config::default()
    })
    .await
    .expect("the fake DC starts");
    let (a_id, b_id) = (dc.users()[0].user_id, dc.users()[1].user_id);
    let channel = dc.add_channel(fakedc::Channel {
        title: "Supergroup".into(),
        creator: a_id,
        members: [a_id, b_id].into(),
        ..fakedc::Channel::default()
    });
    let dir = tempfile::tempdir().expect("a temp dir");
    let session = dir.path().join("a.session");
    let data = dir.path().join("a-data");
    let post = |text: &str| {
        dc.send_message(b_id, PeerTarget::Channel(channel), text)
            .expect("B posts")
    };

    // First run: one post seen live, so the channel's pts is saved.
    let a = client_on_file(&dc, 0, &session, &data).await;
    support::commands::introduce_channel(&dc, &a, a_id, channel).await;
    let mut updates = started(&a, a_id).await;
    post("online");
    until_marker(&mut updates, "online").await;
    updates.close().await;
    drop(a);
    // The old connection is gone before anything is posted (a push that
    // reached it would count as delivered).
    tokio::time::timeout(stream::WAIT, async {
        while dc.update_sessions(a_id) > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("A's first connection closes");

    // More posts than one getChannelDifference page, and a private one.
    let missed: Vec<String> = (1..=150).map(|i| format!("post {i}")).collect();
    for text in &missed {
        post(text);
    }
    dc.send_message(b_id, PeerTarget::User(a_id), "private")
        .expect("B sends");

    let channel_calls = || {
        dc.world().call_count(
            <tl::functions::updates::GetChannelDifference as tl::Identifiable>::CONSTRUCTOR_ID,
        )
    };
    let before = channel_calls();
    let a = client_on_file(&dc, 0, &session, &data).await;
    let mut updates = a.updates().expect("the new client's stream");
    assert_eq!(
        next(&mut updates, "binlog_replay_end").await,
        Update::BinlogReplayEnd
    );
    assert_eq!(
        next(&mut updates, "our_id").await,
        Update::OurId { id: a_id }
    );
    let mut caught_up = Vec::new();
    loop {
        match next(&mut updates, "the catch-up").await {
            Update::GetDifferenceEnd => break,
            update => caught_up.push(update),
        }
    }
    let in_chat = |chat_id: i64| -> Vec<String> {
        stream::new_messages(&caught_up)
            .iter()
            .filter(|m| m.chat_id == chat_id)
            .map(|m| m.text.clone().unwrap_or_default())
            .collect()
    };
    assert_eq!(in_chat(support::commands::channel_chat_id(channel)), missed);
    assert_eq!(in_chat(b_id), ["private"]);
    assert_eq!(caught_up.len(), missed.len() + 1, "nothing else");
    assert!(channel_calls() - before > 1, "paged getChannelDifference");
    updates.close().await;
}
