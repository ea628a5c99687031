//! tgcmd's update stream under every push fault of the fake DC: B sends a
//! batch to A while a fault is armed, and A's `Client::updates()` stream
//! yields every message exactly once, in order: dropped pushes (a gap the
//! engine fetches with `getDifference`), reordered pushes, duplicated
//! pushes, `updatesTooLong`, a too-long difference (reported as
//! `GapsPossible`, the rest still delivered, history complete) and a
//! server restart that keeps the world (a reconnect, then the difference).
//!
//! Every fault is proved to have fired (`Faults::fired`). After each batch
//! B sends a marker; everything up to it must be exactly the batch.

#[path = "support/stream.rs"]
mod stream;
mod support;

use fakedc::{Config, FakeDc, PeerTarget};
use grammers_tl_types as tl;
use stream::{new_messages, started, texts, until_marker};
use support::commands::{client_as, introduce};
use tgcmd::Client;
use tgcmd::update_stream::{Update, UpdateStream};

struct Bed {
    dc: FakeDc,
    a: Client,
    a_id: i64,
    b_id: i64,
    stream: UpdateStream,
}

async fn bed(test: &str) -> Bed {
    let dc = FakeDc::start(Config {
        users: 2,
        ..Config::default()
    })
    .await
    .expect("the fake DC starts");
    let (a_id, b_id) = (dc.users()[0].user_id, dc.users()[1].user_id);
    let a = client_as(&dc, 0, test).await;
    introduce(&dc, &a, a_id, b_id).await;
    let stream = started(&a, a_id).await;
    assert!(dc.update_sessions(a_id) > 0, "A is subscribed");
    Bed {
        dc,
        a,
        a_id,
        b_id,
        stream,
    }
}

impl Bed {
    /// B sends each text to A (as B's own session would).
    fn b_sends(&self, texts: &[String]) {
        for text in texts {
            self.dc
                .send_message(self.b_id, PeerTarget::User(self.a_id), text)
                .expect("B sends");
        }
    }

    /// Sends the batch and a marker; the stream's updates up to the marker.
    async fn exchange(&mut self, batch: &[String]) -> Vec<Update> {
        self.b_sends(batch);
        self.b_sends(&["marker".to_string()]);
        until_marker(&mut self.stream, "marker").await
    }

    fn get_difference_calls(&self) -> u64 {
        self.dc
            .world()
            .call_count(<tl::functions::updates::GetDifference as tl::Identifiable>::CONSTRUCTOR_ID)
    }
}

fn batch(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("message {i}")).collect()
}

/// The batch then the marker, exactly, all from B.
fn assert_exactly(seen: &[Update], batch: &[String], b_id: i64) {
    let mut expected = batch.to_vec();
    expected.push("marker".into());
    assert_eq!(texts(seen), expected, "{seen:#?}");
    assert_eq!(seen.len(), expected.len(), "only messages: {seen:#?}");
    let msgs = new_messages(seen);
    for msg in &msgs {
        assert!(!msg.out);
        assert_eq!(msg.src.as_ref().map(|p| p.id), Some(b_id));
    }
    let ids: Vec<i32> = msgs.iter().map(|m| m.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_pushes_are_a_gap_the_difference_fills() {
    let mut bed = bed("faults-drop").await;
    let before = bed.get_difference_calls();
    bed.dc.faults().drop_pushes(2);
    let sent = batch(5);
    let seen = bed.exchange(&sent).await;
    assert_exactly(&seen, &sent, bed.b_id);
    assert_eq!(bed.dc.faults().fired().dropped_pushes, 2);
    assert!(
        bed.get_difference_calls() > before,
        "the engine fetched the gap"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reordered_pushes_arrive_in_order() {
    let mut bed = bed("faults-reorder").await;
    bed.dc.faults().reorder_pushes(4);
    let sent = batch(6);
    let seen = bed.exchange(&sent).await;
    assert_exactly(&seen, &sent, bed.b_id);
    assert_eq!(bed.dc.faults().fired().reordered_pushes, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_pushes_arrive_once() {
    let mut bed = bed("faults-duplicate").await;
    bed.dc.faults().duplicate_pushes(3);
    let sent = batch(4);
    let seen = bed.exchange(&sent).await;
    assert_exactly(&seen, &sent, bed.b_id);
    assert_eq!(bed.dc.faults().fired().duplicated_pushes, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_too_long_sends_the_engine_to_the_difference() {
    let mut bed = bed("faults-too-long").await;
    let before = bed.get_difference_calls();
    bed.dc.faults().too_long_pushes(2);
    let sent = batch(4);
    let seen = bed.exchange(&sent).await;
    assert_exactly(&seen, &sent, bed.b_id);
    assert_eq!(bed.dc.faults().fired().too_long_pushes, 2);
    assert!(bed.get_difference_calls() > before, "the engine asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_too_long_difference_reports_gaps_and_loses_nothing_it_holds() {
    let mut bed = bed("faults-too-long-difference").await;
    // The first push goes missing, so the engine asks for the difference,
    // and the server answers that it is too long: Telegram's way of
    // saying "reload the history", which the stream reports as
    // `GapsPossible`. What was pushed after the gap reached the client
    // and is delivered all the same; the missed one is in the history.
    bed.dc.faults().drop_pushes(1);
    bed.dc.faults().too_long_differences(1);
    let sent = batch(4);
    let seen = bed.exchange(&sent).await;
    assert_eq!(bed.dc.faults().fired().dropped_pushes, 1);
    assert_eq!(bed.dc.faults().fired().too_long_differences, 1);
    let gap = seen
        .iter()
        .position(|u| *u == Update::GapsPossible { chat_id: None })
        .unwrap_or_else(|| panic!("no gaps_possible: {seen:#?}"));
    assert_eq!(
        seen.iter()
            .filter(|u| matches!(u, Update::GapsPossible { .. }))
            .count(),
        1,
        "{seen:#?}"
    );
    let after: Vec<String> = texts(&seen[gap + 1..]);
    assert_eq!(texts(&seen[..gap]), Vec::<String>::new(), "{seen:#?}");
    assert_eq!(
        after,
        ["message 2", "message 3", "message 4", "marker"],
        "everything pushed after the gap, once: {seen:#?}"
    );
    let history: Vec<String> = bed
        .a
        .get_history(bed.b_id, 0, 100)
        .await
        .expect("history")
        .into_iter()
        .rev()
        .map(|m| m.text.unwrap_or_default())
        .collect();
    let mut expected = sent.clone();
    expected.push("marker".into());
    assert_eq!(history, expected, "the reload has everything");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_with_the_state_kept_loses_nothing() {
    let mut bed = bed("faults-restart").await;
    let first = batch(3);
    let seen = bed.exchange(&first).await;
    assert_exactly(&seen, &first, bed.b_id);
    let before = bed.get_difference_calls();

    bed.dc.restart().await.expect("the fake DC restarts");
    // Sent while A is disconnected: nobody is subscribed to get them.
    let missed: Vec<String> = (1..=3).map(|i| format!("while down {i}")).collect();
    bed.b_sends(&missed);
    // A reconnects by itself; the new connection is a possible gap, so
    // the engine asks for the difference, which brings what was missed.
    let mut seen = Vec::new();
    while !texts(&seen).contains(&"while down 3".to_string()) {
        let update = stream::next(&mut bed.stream, "the messages sent while down").await;
        seen.push(update);
    }
    // Then messages pushed on the new connection, and the marker.
    let after = batch(2);
    seen.extend(bed.exchange(&after).await);
    let mut expected = missed.clone();
    expected.extend(after);
    expected.push("marker".into());
    assert_eq!(texts(&seen), expected, "{seen:#?}");
    // A new connection announces the account again; nothing else comes.
    assert!(
        seen.iter().all(|u| matches!(
            u,
            Update::MsgReceive { edited: false, .. } | Update::OurId { .. }
        )),
        "{seen:#?}"
    );
    assert!(bed.get_difference_calls() > before, "the engine caught up");
}

/// B sends `texts` (then a marker) to a chat of A and B; A's updates up
/// to the marker.
async fn exchange_in(bed: &mut Bed, chat: PeerTarget, batch: &[String]) -> Vec<Update> {
    for text in batch.iter().map(String::as_str).chain(["marker"]) {
        bed.dc.send_message(bed.b_id, chat, text).expect("B sends");
    }
    until_marker(&mut bed.stream, "marker").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_in_a_basic_group_lose_and_repeat_nothing() {
    let mut bed = bed("faults-group").await;
    let group = bed.dc.add_basic_group(fakedc::BasicGroup {
        title: "A and B".into(),
        creator: bed.a_id,
        members: vec![fakedc::world::GroupMember {
            user_id: bed.b_id,
            inviter_id: bed.a_id,
            date: 0,
            admin: false,
        }],
        ..fakedc::BasicGroup::default()
    });
    let faults = bed.dc.faults();
    faults.drop_pushes(1);
    faults.duplicate_pushes(1);
    faults.reorder_pushes(2);
    let sent = batch(6);
    let seen = exchange_in(&mut bed, PeerTarget::Chat(group), &sent).await;
    assert_exactly(&seen, &sent, bed.b_id);
    for msg in new_messages(&seen) {
        assert_eq!(msg.chat_id, -group);
    }
    let fired = bed.dc.faults().fired();
    assert_eq!(
        (
            fired.dropped_pushes,
            fired.duplicated_pushes,
            fired.reordered_pushes
        ),
        (1, 1, 2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_channel_push_is_fetched_with_the_channel_difference() {
    let mut bed = bed("faults-channel").await;
    let channel = bed.dc.add_channel(fakedc::Channel {
        title: "Supergroup".into(),
        creator: bed.a_id,
        members: [bed.a_id, bed.b_id].into(),
        ..fakedc::Channel::default()
    });
    support::commands::introduce_channel(&bed.dc, &bed.a, bed.a_id, channel).await;
    // The first post tells A's engine where the channel stands.
    let first = exchange_in(&mut bed, PeerTarget::Channel(channel), &[]).await;
    assert_eq!(texts(&first), ["marker"]);
    let channel_difference =
        <tl::functions::updates::GetChannelDifference as tl::Identifiable>::CONSTRUCTOR_ID;
    let before = bed.dc.world().call_count(channel_difference);
    bed.dc.faults().drop_pushes(2);
    bed.dc.faults().duplicate_pushes(1);
    let sent = batch(5);
    let seen = exchange_in(&mut bed, PeerTarget::Channel(channel), &sent).await;
    assert_exactly(&seen, &sent, bed.b_id);
    for msg in new_messages(&seen) {
        assert_eq!(msg.chat_id, support::commands::channel_chat_id(channel));
    }
    assert_eq!(bed.dc.faults().fired().dropped_pushes, 2);
    assert!(
        bed.dc.world().call_count(channel_difference) > before,
        "the engine fetched the channel's gap"
    );
}
