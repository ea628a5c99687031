//! Two users talking across connections, each through its own update
//! stream: user A is a tgcmd `Client` reading `Client::updates()`, user B
//! is stock grammers-client 0.11 (so a client nobody here wrote confirms
//! what the fake DC sends). In a private chat, a basic group and a
//! supergroup each side sees each of the other's messages exactly once,
//! and the histories match. A also gets its own messages sent from another
//! session (outgoing), B's edits (flagged), B reading (outbox read), B
//! typing and B deleting; and what A sends itself never comes back as
//! received, even where grammers hands the answer to the update channel.
//!
//! "Exactly once" is shown without waiting for quiet: after what a test
//! expects, the other side sends a marker, and everything the stream
//! yields up to the marker must be exactly the expected updates.

#[path = "support/grammers.rs"]
mod grammers_support;
#[path = "support/people.rs"]
mod people;
#[path = "support/stream.rs"]
mod stream;
mod support;

use fakedc::{BasicGroup, Channel, Config, FakeDc, PeerTarget, world::GroupMember};
use grammers_client::session::types::PeerRef;
use grammers_client::tl;
use grammers_client::update::Update as GrammersUpdate;
use people::{Person, channel_peer, person, until_subscribed, user_peer};
use stream::{WAIT, new_messages, started, texts, until_marker};
use support::commands::{channel_chat_id, client_as, group_chat_id, introduce, introduce_channel};
use tgcmd::Client;
use tgcmd::tgl::{Msg, PeerType};
use tgcmd::update_stream::{Update, UpdateStream};

/// A (tgcmd, user 0) and B (grammers, user 1) on one fake DC, knowing
/// each other.
struct Pair {
    dc: FakeDc,
    a: Client,
    a_id: i64,
    b: Person,
    b_id: i64,
}

async fn pair(test: &str) -> Pair {
    let dc = FakeDc::start(Config {
        users: 2,
        ..Config::default()
    })
    .await
    .expect("the fake DC starts");
    let (a_id, b_id) = (dc.users()[0].user_id, dc.users()[1].user_id);
    let a = client_as(&dc, 0, test).await;
    introduce(&dc, &a, a_id, b_id).await;
    let b = person(&dc, 1).await;
    Pair {
        dc,
        a,
        a_id,
        b,
        b_id,
    }
}

impl Pair {
    /// How B names A.
    fn b_to_a(&self) -> PeerRef {
        PeerRef::from(user_peer(&self.dc, self.b_id, self.a_id))
    }

    /// A's stream, started, and B's, with both subscribed.
    async fn streams(&mut self) -> (UpdateStream, grammers_client::client::UpdateStream) {
        let a_stream = started(&self.a, self.a_id).await;
        let b_stream = self.b.stream().await;
        until_subscribed(&self.dc, self.a_id).await;
        until_subscribed(&self.dc, self.b_id).await;
        (a_stream, b_stream)
    }

    /// B sends `text` to `peer`; its id in B's box (or the channel).
    async fn b_sends(&self, peer: PeerRef, text: &str) -> i32 {
        self.b
            .client
            .send_message(peer, text)
            .await
            .expect("B sends")
            .id()
    }
}

/// Every new message (text, outgoing) B's grammers stream yields up to
/// and including the one whose text is `marker`.
async fn b_until_marker(
    stream: &mut grammers_client::client::UpdateStream,
    marker: &str,
) -> Vec<(String, bool)> {
    let mut seen = Vec::new();
    loop {
        let update = tokio::time::timeout(WAIT, stream.next())
            .await
            .unwrap_or_else(|_| panic!("B: no {marker:?} within {WAIT:?}; seen: {seen:?}"));
        if let Ok(GrammersUpdate::NewMessage(message)) = update {
            let text = message.text().to_string();
            let done = text == marker;
            seen.push((text, message.outgoing()));
            if done {
                return seen;
            }
        }
    }
}

fn incoming(seen: &[(String, bool)]) -> Vec<&str> {
    seen.iter()
        .filter(|(_, out)| !out)
        .map(|(text, _)| text.as_str())
        .collect()
}

/// (text, outgoing) of B's history with `peer`, newest first.
async fn b_history(b: &Person, peer: PeerRef) -> Vec<(i32, String, bool)> {
    let mut iter = b.client.iter_messages(peer);
    let mut out = Vec::new();
    while let Some(message) = iter.next().await.expect("B's history") {
        out.push((message.id(), message.text().to_string(), message.outgoing()));
    }
    out
}

/// (id, text, outgoing) of A's history of `chat_id`, newest first, through
/// the typed `get_history` command.
async fn a_history(a: &Client, chat_id: i64) -> Vec<(i32, String, bool)> {
    a.get_history(chat_id, 0, 100)
        .await
        .expect("A's history")
        .into_iter()
        .map(|m| (m.id, m.text.unwrap_or_default(), m.out))
        .collect()
}

/// The histories hold the same texts in the same order, each outgoing on
/// exactly one side.
fn assert_histories_match(a: &[(i32, String, bool)], b: &[(i32, String, bool)]) {
    let a_view: Vec<(&str, bool)> = a.iter().map(|(_, t, out)| (t.as_str(), *out)).collect();
    let b_view: Vec<(&str, bool)> = b.iter().map(|(_, t, out)| (t.as_str(), !*out)).collect();
    assert_eq!(a_view, b_view, "A's history vs B's (B's `out` flipped)");
}

/// Each of A's received messages is B's, incoming, sent to `dest` (of
/// `kind`) in A's dialog `chat_id`.
fn assert_from_b(msgs: &[&Msg], b_id: i64, dest: i64, kind: PeerType, chat_id: i64) {
    for msg in msgs {
        assert!(!msg.out, "{msg:?}");
        assert_eq!(msg.src.as_ref().map(|p| p.id), Some(b_id), "{msg:?}");
        assert_eq!(msg.dest.id, dest, "{msg:?}");
        assert_eq!(msg.dest.kind, kind, "{msg:?}");
        assert_eq!(msg.chat_id, chat_id, "{msg:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_chat_reaches_each_side_once() {
    let mut p = pair("two-users-private").await;
    let (mut a_stream, mut b_stream) = p.streams().await;
    let b_to_a = p.b_to_a();

    p.a.send_msg(p.b_id, "a1").await.expect("A sends");
    p.b_sends(b_to_a, "b1").await;
    p.a.send_msg(p.b_id, "a2").await.expect("A sends");
    p.b_sends(b_to_a, "b2").await;
    p.b_sends(b_to_a, "b-end").await;
    p.a.send_msg(p.b_id, "a-end").await.expect("A sends");

    let a_seen = until_marker(&mut a_stream, "b-end").await;
    // A's own messages are its commands' answers, not news: only B's.
    assert_eq!(texts(&a_seen), ["b1", "b2", "b-end"], "{a_seen:#?}");
    assert_eq!(a_seen.len(), 3, "nothing but B's messages: {a_seen:#?}");
    assert_from_b(
        &new_messages(&a_seen),
        p.b_id,
        p.a_id,
        PeerType::User,
        p.b_id,
    );

    let b_seen = b_until_marker(&mut b_stream, "a-end").await;
    assert_eq!(incoming(&b_seen), ["a1", "a2", "a-end"], "{b_seen:?}");

    let a_hist = a_history(&p.a, p.b_id).await;
    let b_hist = b_history(&p.b, b_to_a).await;
    assert_eq!(a_hist.len(), 6, "{a_hist:?}");
    assert_eq!(
        a_hist
            .iter()
            .map(|(_, t, _)| t.as_str())
            .collect::<Vec<_>>(),
        ["a-end", "b-end", "b2", "a2", "b1", "a1"]
    );
    assert_histories_match(&a_hist, &b_hist);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_basic_group_reaches_each_side_once() {
    let mut p = pair("two-users-group").await;
    let group = p.dc.add_basic_group(BasicGroup {
        title: "A and B".into(),
        creator: p.a_id,
        members: vec![GroupMember {
            user_id: p.b_id,
            inviter_id: p.a_id,
            date: 0,
            admin: false,
        }],
        ..BasicGroup::default()
    });
    let chat_id = group_chat_id(group);
    let (mut a_stream, mut b_stream) = p.streams().await;
    let b_peer = PeerRef::from(tl::enums::InputPeer::Chat(tl::types::InputPeerChat {
        chat_id: group,
    }));

    p.a.send_msg(chat_id, "hello group").await.expect("A sends");
    p.b_sends(b_peer, "hello from B").await;
    p.b_sends(b_peer, "b-end").await;
    p.a.send_msg(chat_id, "a-end").await.expect("A sends");

    let a_seen = until_marker(&mut a_stream, "b-end").await;
    assert_eq!(texts(&a_seen), ["hello from B", "b-end"], "{a_seen:#?}");
    assert_eq!(a_seen.len(), 2, "{a_seen:#?}");
    assert_from_b(
        &new_messages(&a_seen),
        p.b_id,
        chat_id,
        PeerType::Chat,
        chat_id,
    );

    let b_seen = b_until_marker(&mut b_stream, "a-end").await;
    assert_eq!(incoming(&b_seen), ["hello group", "a-end"], "{b_seen:?}");

    let a_hist = a_history(&p.a, chat_id).await;
    let b_hist = b_history(&p.b, b_peer).await;
    assert_eq!(
        a_hist
            .iter()
            .map(|(_, t, _)| t.as_str())
            .collect::<Vec<_>>(),
        ["a-end", "b-end", "hello from B", "hello group"]
    );
    assert_histories_match(&a_hist, &b_hist);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supergroup_reaches_each_side_once() {
    let mut p = pair("two-users-supergroup").await;
    let channel = p.dc.add_channel(Channel {
        title: "Supergroup".into(),
        creator: p.a_id,
        members: [p.a_id, p.b_id].into(),
        ..Channel::default()
    });
    introduce_channel(&p.dc, &p.a, p.a_id, channel).await;
    let chat_id = channel_chat_id(channel);
    let (mut a_stream, mut b_stream) = p.streams().await;
    let b_peer = PeerRef::from(channel_peer(&p.dc, p.b_id, channel));

    let first = p.a.send_msg(chat_id, "first").await.expect("A sends");
    let second = p.b_sends(b_peer, "second").await;
    p.b_sends(b_peer, "b-end").await;
    p.a.send_msg(chat_id, "a-end").await.expect("A sends");
    // One id space per channel.
    assert_eq!(second, first.id + 1);

    let a_seen = until_marker(&mut a_stream, "b-end").await;
    assert_eq!(texts(&a_seen), ["second", "b-end"], "{a_seen:#?}");
    assert_eq!(a_seen.len(), 2, "{a_seen:#?}");
    assert_from_b(
        &new_messages(&a_seen),
        p.b_id,
        chat_id,
        PeerType::Channel,
        chat_id,
    );
    assert_eq!(new_messages(&a_seen)[0].id, second);

    let b_seen = b_until_marker(&mut b_stream, "a-end").await;
    assert_eq!(incoming(&b_seen), ["first", "a-end"], "{b_seen:?}");

    let a_hist = a_history(&p.a, chat_id).await;
    let b_hist = b_history(&p.b, b_peer).await;
    assert_eq!(
        a_hist
            .iter()
            .map(|(_, t, _)| t.as_str())
            .collect::<Vec<_>>(),
        ["a-end", "b-end", "second", "first"]
    );
    assert_histories_match(&a_hist, &b_hist);
    // In a channel the ids are the same on both sides.
    assert_eq!(
        a_hist.iter().map(|(id, _, _)| *id).collect::<Vec<_>>(),
        b_hist.iter().map(|(id, _, _)| *id).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_messages_from_another_session_arrive_as_outgoing() {
    let mut p = pair("two-users-other-session").await;
    let (mut a_stream, _b_stream) = p.streams().await;
    // As if A's phone had sent it: every session of A is told.
    let id =
        p.dc.send_message(p.a_id, PeerTarget::User(p.b_id), "from my phone")
            .expect("sent from A's other session");
    p.b_sends(p.b_to_a(), "b-end").await;

    let a_seen = until_marker(&mut a_stream, "b-end").await;
    assert_eq!(texts(&a_seen), ["from my phone", "b-end"], "{a_seen:#?}");
    assert_eq!(a_seen.len(), 2, "{a_seen:#?}");
    let own = new_messages(&a_seen)[0];
    assert!(own.out, "{own:?}");
    assert_eq!(own.id, id);
    assert_eq!(own.src.as_ref().map(|p| p.id), Some(p.a_id), "{own:?}");
    assert_eq!(own.dest.id, p.b_id, "{own:?}");
    assert_eq!(own.chat_id, p.b_id, "{own:?}");
    assert!(!new_messages(&a_seen)[1].out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_by_b_arrives_flagged_as_edited() {
    let mut p = pair("two-users-edit").await;
    let (mut a_stream, _b_stream) = p.streams().await;
    let b_to_a = p.b_to_a();
    let b_id_of_msg = p.b_sends(b_to_a, "tpyo").await;
    let original = until_marker(&mut a_stream, "tpyo").await;
    assert_eq!(original.len(), 1, "{original:#?}");
    let a_id_of_msg = new_messages(&original)[0].id;

    p.b.client
        .invoke(&tl::functions::messages::EditMessage {
            no_webpage: false,
            invert_media: false,
            peer: user_peer(&p.dc, p.b_id, p.a_id),
            id: b_id_of_msg,
            message: Some("typo".into()),
            media: None,
            reply_markup: None,
            entities: None,
            schedule_date: None,
            schedule_repeat_period: None,
            quick_reply_shortcut_id: None,
            rich_message: None,
        })
        .await
        .expect("B edits");
    p.b_sends(b_to_a, "b-end").await;

    let a_seen = until_marker(&mut a_stream, "b-end").await;
    assert_eq!(a_seen.len(), 2, "the edit, then the marker: {a_seen:#?}");
    let Update::MsgReceive { msg, edited: true } = &a_seen[0] else {
        panic!("expected an edit, got {:?}", a_seen[0]);
    };
    assert_eq!(msg.text.as_deref(), Some("typo"));
    assert_eq!(msg.id, a_id_of_msg, "the same message, in A's box");
    assert!(!msg.out);
    assert!(msg.edit_date.is_some(), "{msg:?}");
    assert_eq!(msg.src.as_ref().map(|p| p.id), Some(p.b_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_by_b_arrives_as_outbox_read() {
    let mut p = pair("two-users-read").await;
    let (mut a_stream, _b_stream) = p.streams().await;
    p.a.send_msg(p.b_id, "one").await.expect("A sends");
    let last = p.a.send_msg(p.b_id, "two").await.expect("A sends");
    p.b.client
        .invoke(&tl::functions::messages::ReadHistory {
            peer: user_peer(&p.dc, p.b_id, p.a_id),
            max_id: 0,
        })
        .await
        .expect("B reads");
    p.b_sends(p.b_to_a(), "b-end").await;

    let a_seen = until_marker(&mut a_stream, "b-end").await;
    assert_eq!(
        a_seen[..a_seen.len() - 1],
        [Update::ReadOutbox {
            chat_id: p.b_id,
            max_id: last.id,
        }],
        "{a_seen:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_by_b_arrives() {
    let mut p = pair("two-users-typing").await;
    let (mut a_stream, _b_stream) = p.streams().await;
    for action in [
        tl::enums::SendMessageAction::SendMessageTypingAction,
        tl::enums::SendMessageAction::SendMessageCancelAction,
    ] {
        p.b.client
            .invoke(&tl::functions::messages::SetTyping {
                peer: user_peer(&p.dc, p.b_id, p.a_id),
                top_msg_id: None,
                action,
            })
            .await
            .expect("B types");
    }
    p.b_sends(p.b_to_a(), "b-end").await;

    let a_seen = until_marker(&mut a_stream, "b-end").await;
    assert_eq!(
        a_seen[..a_seen.len() - 1],
        [
            Update::Typing {
                chat_id: p.b_id,
                user_id: p.b_id,
                typing: true,
                action: "sendMessageTypingAction".into(),
            },
            Update::Typing {
                chat_id: p.b_id,
                user_id: p.b_id,
                typing: false,
                action: "sendMessageCancelAction".into(),
            },
        ],
        "{a_seen:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_by_b_arrives() {
    let mut p = pair("two-users-delete").await;
    let (mut a_stream, _b_stream) = p.streams().await;
    let b_to_a = p.b_to_a();
    let in_b_box = p.b_sends(b_to_a, "delete me").await;
    let seen = until_marker(&mut a_stream, "delete me").await;
    assert_eq!(seen.len(), 1, "{seen:#?}");
    let in_a_box = new_messages(&seen)[0].id;

    p.b.client
        .invoke(&tl::functions::messages::DeleteMessages {
            revoke: true,
            id: vec![in_b_box],
        })
        .await
        .expect("B deletes for everyone");
    p.b_sends(b_to_a, "b-end").await;

    let a_seen = until_marker(&mut a_stream, "b-end").await;
    assert_eq!(
        a_seen[..a_seen.len() - 1],
        [Update::MsgDelete {
            chat_id: None,
            msg_ids: vec![in_a_box],
        }],
        "{a_seen:#?}"
    );
    let history = a_history(&p.a, p.b_id).await;
    assert_eq!(
        history
            .iter()
            .map(|(_, t, _)| t.as_str())
            .collect::<Vec<_>>(),
        ["b-end"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_a_sends_are_answers_not_news_in_any_chat() {
    // grammers also hands A's own `Updates` answers (channel messages) to
    // the update channel; they must not come back as received messages.
    let mut p = pair("two-users-own-answers").await;
    let channel = p.dc.add_channel(Channel {
        title: "Supergroup".into(),
        creator: p.a_id,
        members: [p.a_id, p.b_id].into(),
        ..Channel::default()
    });
    introduce_channel(&p.dc, &p.a, p.a_id, channel).await;
    let (mut a_stream, _b_stream) = p.streams().await;
    for chat_id in [p.b_id, channel_chat_id(channel)] {
        for i in 0..10 {
            let sent =
                p.a.send_msg(chat_id, &format!("mine {i}"))
                    .await
                    .expect("A sends");
            assert!(sent.out);
        }
    }
    p.b_sends(p.b_to_a(), "b-end").await;
    let a_seen = until_marker(&mut a_stream, "b-end").await;
    assert_eq!(texts(&a_seen), ["b-end"], "{a_seen:#?}");
    assert_eq!(a_seen.len(), 1, "{a_seen:#?}");
}
