//! Editing messages on the fake DC through stock grammers 0.11 clients:
//! the other side's update stream shows one `MessageEdited` with the new
//! text, history shows it with an `edit_date`, differences carry the edit,
//! and Telegram's error names. Also what a user who was offline while
//! channel messages were posted gets back from `updates.getDifference`.

#[path = "support/grammers.rs"]
mod grammers_support;
#[path = "support/people.rs"]
mod people;

use std::time::Duration;

use fakedc::{Channel, PeerTarget};
use grammers_client::client::UpdateStream;
use grammers_client::session::types::PeerRef;
use grammers_client::tl;
use grammers_client::update::Update;
use people::{
    Person, assert_error, channel_peer, cluster, input_channel, messages_within, person,
    until_subscribed, user_peer,
};

/// How long a stream must stay quiet before a test stops listening.
const QUIET: Duration = Duration::from_millis(1500);

fn edit(
    peer: tl::enums::InputPeer,
    id: i32,
    text: Option<&str>,
) -> tl::functions::messages::EditMessage {
    tl::functions::messages::EditMessage {
        no_webpage: false,
        invert_media: false,
        peer,
        id,
        message: text.map(str::to_string),
        media: None,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        quick_reply_shortcut_id: None,
        rich_message: None,
    }
}

/// Every edit (text) and new message (text) that arrives within `QUIET`.
async fn edits_and_messages(stream: &mut UpdateStream) -> (Vec<String>, Vec<String>) {
    let mut edits = Vec::new();
    let mut news = Vec::new();
    loop {
        match tokio::time::timeout(QUIET, stream.next()).await {
            Ok(Ok(Update::MessageEdited(m))) => edits.push(m.text().to_string()),
            Ok(Ok(Update::NewMessage(m))) => news.push(m.text().to_string()),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("update stream: {e}"),
            Err(_) => return (edits, news),
        }
    }
}

async fn history(person: &Person, peer: PeerRef) -> Vec<(String, bool)> {
    let mut iter = person.client.iter_messages(peer);
    let mut out = Vec::new();
    while let Some(message) = iter.next().await.expect("history") {
        out.push((message.text().to_string(), message.edit_date().is_some()));
    }
    out
}

fn pts_of(state: tl::enums::updates::State) -> i32 {
    let tl::enums::updates::State::State(state) = state;
    state.pts
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_edit_reaches_the_other_side_once() {
    let dc = cluster(2).await;
    let a = person(&dc, 0).await;
    let mut b = person(&dc, 1).await;
    let mut b_stream = b.stream().await;
    until_subscribed(&dc, b.user_id).await;
    let a_to_b = PeerRef::from(user_peer(&dc, a.user_id, b.user_id));
    let b_to_a = PeerRef::from(user_peer(&dc, b.user_id, a.user_id));
    let sent = a
        .client
        .send_message(a_to_b, "before")
        .await
        .expect("A sends");
    let seen = messages_within(&mut b_stream, QUIET).await;
    assert_eq!(seen, [("before".to_string(), false)]);
    let b_pts = pts_of(
        b.client
            .invoke(&tl::functions::updates::GetState {})
            .await
            .expect("getState"),
    );

    a.client
        .edit_message(a_to_b, sent.id(), "after")
        .await
        .expect("A edits");
    let (edits, news) = edits_and_messages(&mut b_stream).await;
    assert_eq!(edits, ["after"]);
    assert!(news.is_empty(), "{news:?}");

    // History on both sides shows the new text, edited.
    assert_eq!(history(&a, a_to_b).await, [("after".to_string(), true)]);
    assert_eq!(history(&b, b_to_a).await, [("after".to_string(), true)]);

    // B's difference from before the edit carries it, with B's pts.
    let diff = b
        .client
        .invoke(&get_difference(b_pts))
        .await
        .expect("getDifference");
    let tl::enums::updates::Difference::Difference(diff) = diff else {
        panic!("expected a difference, got {diff:?}");
    };
    assert!(diff.new_messages.is_empty());
    match diff.other_updates.as_slice() {
        [tl::enums::Update::EditMessage(e)] => {
            assert_eq!((e.pts, e.pts_count), (b_pts + 1, 1));
            let tl::enums::Message::Message(m) = &e.message else {
                panic!("a message");
            };
            assert_eq!(m.message, "after");
            assert!(m.edit_date.is_some());
        }
        other => panic!("expected one edit, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_answer_telegrams_errors() {
    let dc = cluster(2).await;
    let a = person(&dc, 0).await;
    let b = person(&dc, 1).await;
    let a_to_b = user_peer(&dc, a.user_id, b.user_id);
    let b_to_a = user_peer(&dc, b.user_id, a.user_id);
    let id = dc
        .send_message(a.user_id, PeerTarget::User(b.user_id), "mine")
        .expect("sent");
    // B's copy is B's message 1; only A wrote it.
    assert_error(
        b.client.invoke(&edit(b_to_a, 1, Some("theirs"))).await,
        "MESSAGE_AUTHOR_REQUIRED",
    );
    assert_error(
        a.client
            .invoke(&edit(a_to_b.clone(), id, Some("mine")))
            .await,
        "MESSAGE_NOT_MODIFIED",
    );
    assert_error(
        a.client
            .invoke(&edit(a_to_b.clone(), id, Some("   ")))
            .await,
        "MESSAGE_EMPTY",
    );
    assert_error(
        a.client
            .invoke(&edit(a_to_b.clone(), id + 100, Some("x")))
            .await,
        "MESSAGE_ID_INVALID",
    );
    // The answer: `updates` with updateEditMessage and the editor's pts.
    let before = pts_of(
        a.client
            .invoke(&tl::functions::updates::GetState {})
            .await
            .expect("getState"),
    );
    let answer = a
        .client
        .invoke(&edit(a_to_b, id, Some("changed")))
        .await
        .expect("edit");
    assert!(
        matches!(&answer, tl::enums::Updates::Updates(u)
            if matches!(u.updates.as_slice(),
                [tl::enums::Update::EditMessage(e)] if e.pts == before + 1 && e.pts_count == 1)),
        "{answer:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_edit_reaches_members_once() {
    let dc = cluster(2).await;
    let a = person(&dc, 0).await;
    let mut b = person(&dc, 1).await;
    let channel = dc.add_channel(Channel {
        title: "Supergroup".into(),
        creator: a.user_id,
        members: [a.user_id, b.user_id].into(),
        ..Channel::default()
    });
    let mut b_stream = b.stream().await;
    until_subscribed(&dc, b.user_id).await;
    let a_peer = PeerRef::from(channel_peer(&dc, a.user_id, channel));
    let b_peer = PeerRef::from(channel_peer(&dc, b.user_id, channel));
    let sent = a
        .client
        .send_message(a_peer, "first take")
        .await
        .expect("A posts");
    assert_eq!(
        messages_within(&mut b_stream, QUIET).await,
        [("first take".to_string(), false)]
    );
    // B may not edit A's message.
    assert_error(
        b.client
            .invoke(&edit(
                channel_peer(&dc, b.user_id, channel),
                sent.id(),
                Some("no"),
            ))
            .await,
        "MESSAGE_AUTHOR_REQUIRED",
    );
    a.client
        .edit_message(a_peer, sent.id(), "second take")
        .await
        .expect("A edits");
    let (edits, news) = edits_and_messages(&mut b_stream).await;
    assert_eq!(edits, ["second take"]);
    assert!(news.is_empty(), "{news:?}");
    assert_eq!(
        history(&b, b_peer).await,
        [("second take".to_string(), true)]
    );

    // The channel's difference after the post holds the edit, at pts 3.
    let diff = b
        .client
        .invoke(&tl::functions::updates::GetChannelDifference {
            force: false,
            channel: input_channel(&dc, b.user_id, channel),
            filter: tl::enums::ChannelMessagesFilter::Empty,
            pts: 2,
            limit: 0,
        })
        .await
        .expect("getChannelDifference");
    let tl::enums::updates::ChannelDifference::Difference(diff) = diff else {
        panic!("expected a channel difference, got {diff:?}");
    };
    assert!(diff.r#final);
    assert_eq!(diff.pts, 3);
    assert!(
        matches!(diff.other_updates.as_slice(),
            [tl::enums::Update::EditChannelMessage(e)] if e.pts == 3 && e.pts_count == 1),
        "{:?}",
        diff.other_updates
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_user_gets_channel_posts_back() {
    let dc = cluster(2).await;
    let a = dc.users()[0].user_id;
    let b = dc.users()[1].user_id;
    let quiet = dc.add_channel(Channel {
        title: "Quiet".into(),
        broadcast: true,
        creator: a,
        members: [a, b].into(),
        ..Channel::default()
    });
    let busy = dc.add_channel(Channel {
        title: "Busy".into(),
        broadcast: true,
        creator: a,
        members: [a, b].into(),
        ..Channel::default()
    });
    // B has no session while these are posted.
    for i in 0..3 {
        dc.send_message(a, PeerTarget::Channel(quiet), &format!("quiet {i}"))
            .expect("posted");
    }
    for i in 0..30 {
        dc.send_message(a, PeerTarget::Channel(busy), &format!("busy {i}"))
            .expect("posted");
    }

    // The common difference does not carry channel messages as its own:
    // the few come as the channel's updates, the many as updateChannelTooLong.
    let raw = person(&dc, 1).await;
    let state = raw
        .client
        .invoke(&tl::functions::updates::GetState {})
        .await
        .expect("getState");
    let user_pts = pts_of(state);
    let diff = raw
        .client
        .invoke(&get_difference(user_pts))
        .await
        .expect("getDifference");
    let tl::enums::updates::Difference::Difference(diff) = diff else {
        panic!("expected a difference, got {diff:?}");
    };
    assert!(diff.new_messages.is_empty(), "{:?}", diff.new_messages);
    let mut inline = Vec::new();
    let mut too_long = Vec::new();
    for update in &diff.other_updates {
        match update {
            tl::enums::Update::NewChannelMessage(u) => {
                let tl::enums::Message::Message(m) = &u.message else {
                    panic!("a message");
                };
                inline.push((m.message.clone(), u.pts));
            }
            tl::enums::Update::ChannelTooLong(u) => too_long.push((u.channel_id, u.pts)),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        inline,
        [
            ("quiet 0".to_string(), 2),
            ("quiet 1".to_string(), 3),
            ("quiet 2".to_string(), 4)
        ]
    );
    assert_eq!(too_long, [(busy, Some(1))]);
    let tl::enums::updates::State::State(after) = &diff.state;
    assert_eq!(after.pts, user_pts, "the common box did not move");
    // Told once: the next difference is empty.
    let again = raw
        .client
        .invoke(&get_difference(user_pts))
        .await
        .expect("getDifference");
    assert!(
        matches!(again, tl::enums::updates::Difference::Empty(_)),
        "{again:?}"
    );
    drop(raw);

    // A stock grammers stream catching up gets every post once.
    let dc2 = cluster(2).await;
    let (a, b) = (dc2.users()[0].user_id, dc2.users()[1].user_id);
    let quiet = dc2.add_channel(Channel {
        title: "Quiet".into(),
        broadcast: true,
        creator: a,
        members: [a, b].into(),
        ..Channel::default()
    });
    let busy = dc2.add_channel(Channel {
        title: "Busy".into(),
        broadcast: true,
        creator: a,
        members: [a, b].into(),
        ..Channel::default()
    });
    let mut expected = Vec::new();
    for i in 0..3 {
        let text = format!("quiet {i}");
        dc2.send_message(a, PeerTarget::Channel(quiet), &text)
            .expect("posted");
        expected.push(text);
    }
    for i in 0..30 {
        let text = format!("busy {i}");
        dc2.send_message(a, PeerTarget::Channel(busy), &text)
            .expect("posted");
        expected.push(text);
    }
    let mut b = person(&dc2, 1).await;
    let mut stream = b.stream().await;
    let (_, mut news) = edits_and_messages(&mut stream).await;
    news.sort();
    expected.sort();
    assert_eq!(news, expected);
}
