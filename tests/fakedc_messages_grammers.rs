//! Two users of one fake DC talking through stock grammers-client 0.11: a
//! private chat, a basic group and a supergroup. Each sees the other's
//! messages through grammers' update stream exactly once, and the history
//! matches on both sides (same texts in the same order; ids are per box in
//! private chats and groups).

#[path = "support/grammers.rs"]
mod grammers_support;
#[path = "support/people.rs"]
mod people;

use std::time::Duration;

use fakedc::{BasicGroup, Channel, Config, FakeDc, PeerTarget, world::GroupMember};
use grammers_client::session::types::PeerRef;
use people::{Person, channel_peer, messages_within, person, until_subscribed, user_peer};

const QUIET: Duration = Duration::from_millis(1500);

async fn two_users() -> (FakeDc, Person, Person) {
    let dc = FakeDc::start(Config {
        users: 2,
        ..Config::default()
    })
    .await
    .expect("fake DC starts");
    let a = person(&dc, 0).await;
    let b = person(&dc, 1).await;
    (dc, a, b)
}

async fn history(person: &Person, peer: PeerRef) -> Vec<(i32, String)> {
    let mut iter = person.client.iter_messages(peer);
    let mut out = Vec::new();
    while let Some(message) = iter.next().await.expect("history") {
        out.push((message.id(), message.text().to_string()));
    }
    out
}

fn incoming(seen: &[(String, bool)]) -> Vec<&str> {
    seen.iter()
        .filter(|(_, out)| !out)
        .map(|(text, _)| text.as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_chat_reaches_each_side_once() {
    let (dc, mut a, mut b) = two_users().await;
    let mut a_stream = a.stream().await;
    let mut b_stream = b.stream().await;
    until_subscribed(&dc, a.user_id).await;
    until_subscribed(&dc, b.user_id).await;

    // A note to Saved Messages first, so A's box ids run ahead of B's.
    dc.send_message(a.user_id, PeerTarget::User(a.user_id), "note")
        .expect("saved");
    let a_to_b = PeerRef::from(user_peer(&dc, a.user_id, b.user_id));
    let b_to_a = PeerRef::from(user_peer(&dc, b.user_id, a.user_id));
    let first = a
        .client
        .send_message(a_to_b, "hello B")
        .await
        .expect("A sends");
    let second = b
        .client
        .send_message(b_to_a, "hi A")
        .await
        .expect("B sends");
    let third = a
        .client
        .send_message(a_to_b, "how are you?")
        .await
        .expect("A sends");

    let a_seen = messages_within(&mut a_stream, QUIET).await;
    let b_seen = messages_within(&mut b_stream, QUIET).await;
    assert_eq!(incoming(&a_seen), ["hi A"], "A's stream: {a_seen:?}");
    assert_eq!(
        incoming(&b_seen),
        ["hello B", "how are you?"],
        "B's stream: {b_seen:?}"
    );

    let a_history = history(&a, a_to_b).await;
    let b_history = history(&b, b_to_a).await;
    let texts = |h: &[(i32, String)]| h.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>();
    assert_eq!(texts(&a_history), ["how are you?", "hi A", "hello B"]);
    assert_eq!(texts(&a_history), texts(&b_history));
    assert_eq!(
        a_history.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        [third.id(), third.id() - 1, first.id()]
    );
    assert_eq!(b_history[1].0, second.id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_are_per_box_in_private_chats() {
    let (dc, a, b) = two_users().await;
    // Two messages in A's Saved Messages move A's ids on, not B's.
    dc.send_message(a.user_id, PeerTarget::User(a.user_id), "one")
        .expect("saved");
    dc.send_message(a.user_id, PeerTarget::User(a.user_id), "two")
        .expect("saved");
    let a_to_b = PeerRef::from(user_peer(&dc, a.user_id, b.user_id));
    let b_to_a = PeerRef::from(user_peer(&dc, b.user_id, a.user_id));
    let sent = a
        .client
        .send_message(a_to_b, "hello")
        .await
        .expect("A sends");
    assert_eq!(sent.id(), 3);
    let b_history = history(&b, b_to_a).await;
    assert_eq!(b_history, [(1, "hello".to_string())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_basic_group_reaches_every_member_once() {
    let (dc, mut a, mut b) = two_users().await;
    let group = dc.add_basic_group(BasicGroup {
        title: "Both of us".into(),
        creator: a.user_id,
        members: vec![GroupMember {
            user_id: b.user_id,
            inviter_id: a.user_id,
            date: 0,
            admin: false,
        }],
        ..BasicGroup::default()
    });
    let mut a_stream = a.stream().await;
    let mut b_stream = b.stream().await;
    until_subscribed(&dc, a.user_id).await;
    until_subscribed(&dc, b.user_id).await;
    let peer = PeerRef::from(grammers_client::tl::enums::InputPeer::Chat(
        grammers_client::tl::types::InputPeerChat { chat_id: group },
    ));
    a.client
        .send_message(peer, "hello group")
        .await
        .expect("A sends");
    b.client
        .send_message(peer, "hello from B")
        .await
        .expect("B sends");

    let a_seen = messages_within(&mut a_stream, QUIET).await;
    let b_seen = messages_within(&mut b_stream, QUIET).await;
    assert_eq!(
        incoming(&a_seen),
        ["hello from B"],
        "A's stream: {a_seen:?}"
    );
    assert_eq!(incoming(&b_seen), ["hello group"], "B's stream: {b_seen:?}");
    let a_history = history(&a, peer).await;
    let b_history = history(&b, peer).await;
    assert_eq!(a_history.len(), 2);
    assert_eq!(
        a_history.iter().map(|(_, t)| t).collect::<Vec<_>>(),
        b_history.iter().map(|(_, t)| t).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supergroup_reaches_every_member_once() {
    let (dc, mut a, mut b) = two_users().await;
    let channel = dc.add_channel(Channel {
        title: "Supergroup".into(),
        creator: a.user_id,
        members: [a.user_id, b.user_id].into(),
        ..Channel::default()
    });
    let mut a_stream = a.stream().await;
    let mut b_stream = b.stream().await;
    until_subscribed(&dc, a.user_id).await;
    until_subscribed(&dc, b.user_id).await;
    let a_peer = PeerRef::from(channel_peer(&dc, a.user_id, channel));
    let b_peer = PeerRef::from(channel_peer(&dc, b.user_id, channel));
    let first = a
        .client
        .send_message(a_peer, "first")
        .await
        .expect("A sends");
    let second = b
        .client
        .send_message(b_peer, "second")
        .await
        .expect("B sends");
    // One id space per channel.
    assert_eq!(second.id(), first.id() + 1);

    let a_seen = messages_within(&mut a_stream, QUIET).await;
    let b_seen = messages_within(&mut b_stream, QUIET).await;
    assert_eq!(incoming(&a_seen), ["second"], "A's stream: {a_seen:?}");
    assert_eq!(incoming(&b_seen), ["first"], "B's stream: {b_seen:?}");
    let a_history = history(&a, a_peer).await;
    let b_history = history(&b, b_peer).await;
    assert_eq!(a_history, b_history);
    assert_eq!(
        a_history,
        [
            (second.id(), "second".to_string()),
            (first.id(), "first".to_string())
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_sent_in_process_reach_grammers() {
    let (dc, a, mut b) = two_users().await;
    let mut b_stream = b.stream().await;
    until_subscribed(&dc, b.user_id).await;
    dc.send_message(a.user_id, PeerTarget::User(b.user_id), "from the test")
        .expect("sent in process");
    let b_seen = messages_within(&mut b_stream, QUIET).await;
    assert_eq!(incoming(&b_seen), ["from the test"]);
}
