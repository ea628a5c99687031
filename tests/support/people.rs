#![allow(dead_code)] // Shared by several test crates; each uses a subset.

//! Several users of one fake DC, each a stock grammers client with its
//! update stream. A test crate that uses this also includes
//! `support/grammers.rs` as `grammers_support`.

use std::sync::Arc;
use std::time::Duration;

use fakedc::FakeDc;
use grammers_client::Client;
use grammers_client::client::UpdateStream;
use grammers_client::tl;
use grammers_client::update::Update;
use grammers_mtsender::{SenderPool, UpdatesConfiguration};
use grammers_session::Session;
use grammers_session::types::{UpdateState, UpdatesState};
use grammers_session::updates::UpdatesLike;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// One signed-in user: a grammers client and, until taken, its raw updates.
pub struct Person {
    pub client: Client,
    pub user_id: i64,
    pub updates: Option<mpsc::Receiver<UpdatesLike>>,
    pub runner: JoinHandle<()>,
}

/// Fake DC user `index` (0 is the self user), on its own keys, signed in
/// and subscribed to updates, with the server's update state stored in its
/// session (so its stream starts from now).
pub async fn person(dc: &FakeDc, index: usize) -> Person {
    let user = &dc.users()[index];
    let keys: Vec<_> = user.dcs.iter().map(|d| (d.dc_id, d.auth_key)).collect();
    let session = crate::grammers_support::seeded_session(dc, &keys, dc.home_dc().dc_id).await;
    let pool = SenderPool::new(Arc::clone(&session), crate::grammers_support::API_ID);
    let client = Client::new(pool.handle);
    let runner = tokio::spawn(pool.runner.run());
    client.get_me().await.expect("get_me");
    let tl::enums::updates::State::State(state) = client
        .invoke(&tl::functions::updates::GetState {})
        .await
        .expect("getState");
    session
        .set_update_state(UpdateState::All(UpdatesState {
            pts: state.pts,
            qts: state.qts,
            date: state.date,
            seq: state.seq,
            channels: Vec::new(),
        }))
        .await
        .expect("memory session");
    Person {
        client,
        user_id: user.user_id,
        updates: Some(pool.updates),
        runner,
    }
}

impl Person {
    /// The processed update stream (gaps filled by grammers' difference calls).
    pub async fn stream(&mut self) -> UpdateStream {
        let updates = self.updates.take().expect("the stream is taken once");
        self.client
            .stream_updates(updates, UpdatesConfiguration { catch_up: true })
            .await
            .expect("update stream")
    }
}

/// How `viewer` names user `target` (with its access hash).
pub fn user_peer(dc: &FakeDc, viewer: i64, target: i64) -> tl::enums::InputPeer {
    tl::types::InputPeerUser {
        user_id: target,
        access_hash: dc.world().access_hash(viewer, target),
    }
    .into()
}

/// How `viewer` names a channel (with its access hash).
pub fn channel_peer(dc: &FakeDc, viewer: i64, channel_id: i64) -> tl::enums::InputPeer {
    tl::types::InputPeerChannel {
        channel_id,
        access_hash: dc.world().access_hash(viewer, channel_id),
    }
    .into()
}

/// How `viewer` names a channel as an `InputChannel`.
pub fn input_channel(dc: &FakeDc, viewer: i64, channel_id: i64) -> tl::enums::InputChannel {
    tl::types::InputChannel {
        channel_id,
        access_hash: dc.world().access_hash(viewer, channel_id),
    }
    .into()
}

/// The next new-message update's text and whether it is outgoing, within `wait`.
pub async fn next_message(stream: &mut UpdateStream, wait: Duration) -> Option<(String, bool)> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let update = tokio::time::timeout_at(deadline, stream.next())
            .await
            .ok()?;
        if let Ok(Update::NewMessage(message)) = update {
            return Some((message.text().to_string(), message.outgoing()));
        }
    }
}

/// Every new-message text that arrives within `wait`.
pub async fn messages_within(stream: &mut UpdateStream, wait: Duration) -> Vec<(String, bool)> {
    let mut seen = Vec::new();
    while let Some(message) = next_message(stream, wait).await {
        seen.push(message);
    }
    seen
}

/// Waits until `user_id` has a session subscribed to updates.
pub async fn until_subscribed(dc: &FakeDc, user_id: i64) {
    for _ in 0..200 {
        if dc.update_sessions(user_id) > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("user {user_id} never subscribed to updates");
}

/// A fake DC cluster with `users` users.
pub async fn cluster(users: usize) -> FakeDc {
    FakeDc::start(fakedc::Config {
        users,
        ..fakedc::Config::default()
    })
    .await
    .expect("fake DC starts")
}

/// Checks that `result` is Telegram's error `name`.
pub fn assert_error<T: std::fmt::Debug>(
    result: Result<T, grammers_client::InvocationError>,
    name: &str,
) {
    match result {
        Err(grammers_client::InvocationError::Rpc(e)) => assert_eq!(e.name, name, "{e:?}"),
        other => panic!("expected {name}, got {other:?}"),
    }
}
