//! `updates.getDifference` and `updates.getChannelDifference` from the
//! fake DC's update logs, called raw through a stock grammers client: a
//! user offline while 250 messages arrive gets them back in slices, in
//! order; a gap older than the log is `differenceTooLong`; channels page
//! by `limit` and are `final` once caught up.

#[path = "support/grammers.rs"]
mod grammers_support;
#[path = "support/people.rs"]
mod people;

use fakedc::{Channel, Config, FakeDc, Limits, PeerTarget};
use grammers_client::tl;
use people::{input_channel, person};

async fn cluster(log_capacity: usize) -> FakeDc {
    FakeDc::start(Config {
        users: 2,
        limits: Limits {
            update_log_capacity: log_capacity,
            ..Limits::default()
        },
        ..Config::default()
    })
    .await
    .expect("fake DC starts")
}

fn get_difference(pts: i32) -> tl::functions::updates::GetDifference {
    tl::functions::updates::GetDifference {
        pts,
        pts_limit: None,
        pts_total_limit: None,
        date: 0,
        qts: 0,
        qts_limit: None,
    }
}

fn texts(messages: &[tl::enums::Message]) -> Vec<String> {
    messages
        .iter()
        .map(|m| match m {
            tl::enums::Message::Message(m) => m.message.clone(),
            other => panic!("expected a message, got {other:?}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_user_gets_every_message_in_slices() {
    let dc = cluster(100_000).await;
    let a = dc.users()[0].user_id;
    let b = person(&dc, 1).await;
    let tl::enums::updates::State::State(before) = b
        .client
        .invoke(&tl::functions::updates::GetState {})
        .await
        .expect("getState");

    let sent: Vec<String> = (0..250).map(|i| format!("message {i}")).collect();
    for text in &sent {
        dc.send_message(a, PeerTarget::User(b.user_id), text)
            .expect("sent");
    }

    let mut pts = before.pts;
    let mut received = Vec::new();
    let mut slices = 0;
    loop {
        match b
            .client
            .invoke(&get_difference(pts))
            .await
            .expect("getDifference")
        {
            tl::enums::updates::Difference::Slice(slice) => {
                slices += 1;
                received.extend(texts(&slice.new_messages));
                let tl::enums::updates::State::State(state) = slice.intermediate_state;
                assert!(state.pts > pts, "a slice moves pts on");
                pts = state.pts;
            }
            tl::enums::updates::Difference::Difference(last) => {
                received.extend(texts(&last.new_messages));
                let tl::enums::updates::State::State(state) = last.state;
                assert_eq!(state.pts, before.pts + 250);
                assert!(
                    last.users
                        .iter()
                        .any(|u| matches!(u, tl::enums::User::User(u) if u.id == a)),
                    "the sender comes along"
                );
                pts = state.pts;
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(slices, 2, "100 pts per slice");
    assert_eq!(received, sent);
    let empty = b
        .client
        .invoke(&get_difference(pts))
        .await
        .expect("getDifference");
    assert!(
        matches!(empty, tl::enums::updates::Difference::Empty(_)),
        "{empty:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_and_deletions_come_as_other_updates() {
    let dc = cluster(100_000).await;
    let a = person(&dc, 0).await;
    let b_id = dc.users()[1].user_id;
    let start = match a.client.invoke(&tl::functions::updates::GetState {}).await {
        Ok(tl::enums::updates::State::State(s)) => s.pts,
        other => panic!("{other:?}"),
    };
    let id = dc
        .send_message(a.user_id, PeerTarget::User(b_id), "read me")
        .expect("sent");
    dc.read_history(b_id, PeerTarget::User(a.user_id), 0);
    a.client
        .invoke(&tl::functions::messages::DeleteMessages {
            revoke: true,
            id: vec![id],
        })
        .await
        .expect("deleteMessages");
    let diff = a
        .client
        .invoke(&get_difference(start))
        .await
        .expect("getDifference");
    let tl::enums::updates::Difference::Difference(diff) = diff else {
        panic!("expected a difference, got {diff:?}");
    };
    // The message was deleted since: only its read receipt and deletion are left.
    assert!(diff.new_messages.is_empty(), "{:?}", diff.new_messages);
    assert!(
        matches!(
            diff.other_updates.as_slice(),
            [
                tl::enums::Update::ReadHistoryOutbox(read),
                tl::enums::Update::DeleteMessages(deleted),
            ] if read.max_id == id && deleted.messages == [id]
        ),
        "{:?}",
        diff.other_updates
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gap_older_than_the_log_is_too_long() {
    let dc = cluster(50).await;
    let a = dc.users()[0].user_id;
    let b = person(&dc, 1).await;
    for i in 0..60 {
        dc.send_message(a, PeerTarget::User(b.user_id), &format!("m{i}"))
            .expect("sent");
    }
    let too_long = b
        .client
        .invoke(&get_difference(1))
        .await
        .expect("getDifference");
    assert!(
        matches!(too_long, tl::enums::updates::Difference::TooLong(ref t) if t.pts == 61),
        "{too_long:?}"
    );
    // Within the log the difference is served.
    let recent = b
        .client
        .invoke(&get_difference(31))
        .await
        .expect("getDifference");
    let tl::enums::updates::Difference::Difference(recent) = recent else {
        panic!("expected a difference, got {recent:?}");
    };
    assert_eq!(
        texts(&recent.new_messages).first().map(String::as_str),
        Some("m30")
    );
    // pts_total_limit asks for too-long answers beyond it, as Telegram documents.
    let mut request = get_difference(31);
    request.pts_total_limit = Some(10);
    let capped = b.client.invoke(&request).await.expect("getDifference");
    assert!(
        matches!(capped, tl::enums::updates::Difference::TooLong(_)),
        "{capped:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_difference_pages_then_is_final() {
    let dc = cluster(120).await;
    let a = dc.users()[0].user_id;
    let b = person(&dc, 1).await;
    let channel_id = dc.add_channel(Channel {
        title: "News".into(),
        creator: a,
        members: [a, b.user_id].into(),
        ..Channel::default()
    });
    for i in 0..110 {
        dc.send_message(a, PeerTarget::Channel(channel_id), &format!("post {i}"))
            .expect("posted");
    }
    let request = |pts: i32, limit: i32| tl::functions::updates::GetChannelDifference {
        force: false,
        channel: input_channel(&dc, b.user_id, channel_id),
        filter: tl::enums::ChannelMessagesFilter::Empty,
        pts,
        limit,
    };
    let first = b.client.invoke(&request(1, 0)).await.expect("difference");
    let tl::enums::updates::ChannelDifference::Difference(first) = first else {
        panic!("expected a channel difference, got {first:?}");
    };
    assert!(!first.r#final);
    assert_eq!(first.new_messages.len(), 100);
    assert_eq!(first.pts, 101);
    let rest = b
        .client
        .invoke(&request(first.pts, 0))
        .await
        .expect("difference");
    let tl::enums::updates::ChannelDifference::Difference(rest) = rest else {
        panic!("expected a channel difference, got {rest:?}");
    };
    assert!(rest.r#final);
    assert_eq!(
        texts(&rest.new_messages).last().map(String::as_str),
        Some("post 109")
    );
    let empty = b
        .client
        .invoke(&request(rest.pts, 0))
        .await
        .expect("difference");
    assert!(matches!(
        empty,
        tl::enums::updates::ChannelDifference::Empty(ref e) if e.r#final && e.pts == 111
    ));

    // Five fall out of a log of 120: from the start it is too long.
    for i in 110..125 {
        dc.send_message(a, PeerTarget::Channel(channel_id), &format!("post {i}"))
            .expect("posted");
    }
    let too_long = b.client.invoke(&request(1, 20)).await.expect("difference");
    let tl::enums::updates::ChannelDifference::TooLong(too_long) = too_long else {
        panic!("expected too long, got {too_long:?}");
    };
    let tl::enums::Dialog::Dialog(dialog) = too_long.dialog else {
        panic!("a channel dialog");
    };
    assert_eq!(dialog.pts, Some(126));
    assert_eq!(dialog.top_message, 125);
    assert_eq!(too_long.messages.len(), 20);
    assert_eq!(texts(&too_long.messages)[0], "post 124");
}
