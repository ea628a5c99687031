//! The sending commands (`send_msg`, `send_text`, `send_location`,
//! `fwd_msg`, `fwd_media`) against a fake DC with two users, A and B, each
//! a tgcmd client: the answer's fields, and what the other side's history
//! then holds, in private chats, basic groups and supergroups.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use fakedc::PeerTarget;
use serde_json::{Value, json};
use support::commands::{CommandChecks, TwoUsers, channel_chat_id, request};
use tgcmd::tgl::{Media, MsgFlags, PeerType};

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// Checks the fields every message A sent to `dest` has.
fn assert_sent_by(msg: &Value, sender: i64, dest: i64, text: &str) {
    assert_eq!(msg["@type"], "msg", "{msg}");
    assert!(msg["id"].as_i64().expect("id") > 0, "{msg}");
    assert_eq!(msg["out"], true, "{msg}");
    assert_eq!(msg["service"], false, "{msg}");
    assert_eq!(msg["text"], text, "{msg}");
    assert_eq!(msg["src"]["id"], sender, "{msg}");
    assert_eq!(msg["src"]["@type"], "peer", "{msg}");
    assert!(
        msg["src"]["first_name"].is_string(),
        "the sender is named: {msg}"
    );
    assert_eq!(msg["dest"]["id"], dest, "{msg}");
    assert_eq!(msg["chat_id"], dest, "{msg}");
    let flags = msg["flags"].as_i64().expect("flags") as i32;
    assert_ne!(flags & MsgFlags::OUT, 0, "{msg}");
    let date = msg["date"].as_i64().expect("date");
    assert!((now() - date).abs() < 120, "date {date} is not now");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_msg_answers_the_sent_message_and_the_other_side_has_it() {
    let t = TwoUsers::start("send_msg_private").await;
    let msg = t
        .ok(request(
            1,
            "send_msg",
            json!({"chat_id": t.b_id, "text": "Hello B"}),
        ))
        .await;
    assert_sent_by(&msg, t.a_id, t.b_id, "Hello B");
    assert_eq!(msg["dest"]["type_name"], "user");
    assert_eq!(msg["dest"]["type"], PeerType::User.tgl_number());
    assert_eq!(msg["reply_id"], Value::Null);
    assert_eq!(msg["media"], Value::Null);

    let history = t.b.get_history(t.a_id, 0, 10).await.expect("B's history");
    assert_eq!(history.len(), 1);
    let seen = &history[0];
    assert_eq!(seen.text.as_deref(), Some("Hello B"));
    assert!(!seen.out);
    assert!(seen.unread, "B has not read it");
    assert_eq!(seen.src.as_ref().map(|p| p.id), Some(t.a_id));
    assert_eq!(seen.chat_id, t.a_id);
    assert_eq!(i64::from(seen.date), msg["date"].as_i64().expect("date"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_names_the_message_it_answers() {
    let t = TwoUsers::start("send_msg_reply").await;
    let question =
        t.dc.send_message(t.b_id, PeerTarget::User(t.a_id), "Coffee?")
            .expect("B asks");
    // A's copy of B's message has its own id in A's box.
    let in_a = t.a.get_history(t.b_id, 0, 1).await.expect("A's history");
    assert_eq!(in_a[0].text.as_deref(), Some("Coffee?"));
    let question_in_a = in_a[0].id;
    let answer = t
        .ok(request(
            1,
            "send_msg",
            json!({"chat_id": t.b_id, "text": "Yes", "reply": question_in_a}),
        ))
        .await;
    assert_sent_by(&answer, t.a_id, t.b_id, "Yes");
    assert_eq!(answer["reply_id"], question_in_a);
    let in_b = t.b.get_history(t.a_id, 0, 1).await.expect("B's history");
    assert_eq!(in_b[0].text.as_deref(), Some("Yes"));
    assert_eq!(
        in_b[0].reply_id,
        Some(question),
        "B sees the reply to its own copy"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_false_sends_no_link_preview() {
    let t = TwoUsers::start("send_msg_preview").await;
    let link = format!("see {}", fakedc::world::messages::EXAMPLE_WEBPAGE_URL);
    let with = t
        .ok(request(
            1,
            "send_msg",
            json!({"chat_id": t.b_id, "text": link}),
        ))
        .await;
    assert_eq!(with["media"]["type"], "webpage", "{with}");
    assert_eq!(
        with["media"]["url"],
        fakedc::world::messages::EXAMPLE_WEBPAGE_URL
    );
    let without = t
        .ok(request(
            1,
            "send_msg",
            json!({"chat_id": t.b_id, "text": link, "preview": false}),
        ))
        .await;
    assert_eq!(without["media"], Value::Null, "{without}");
    let flags = without["flags"].as_i64().expect("flags") as i32;
    assert_ne!(flags & MsgFlags::DISABLE_PREVIEW, 0);
    let in_b = t.b.get_history(t.a_id, 0, 2).await.expect("B's history");
    assert!(in_b[0].media.is_none(), "no preview was stored");
    assert!(matches!(in_b[1].media, Some(Media::Webpage { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_text_sends_the_file_contents() {
    let t = TwoUsers::start("send_text").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("note.txt");
    std::fs::write(&path, "line one\nline two\n").expect("written");
    let msg = t
        .ok(request(
            1,
            "send_text",
            json!({"chat_id": t.b_id, "file": path.to_str().expect("utf-8 path")}),
        ))
        .await;
    assert_sent_by(&msg, t.a_id, t.b_id, "line one\nline two");
    let in_b = t.b.get_history(t.a_id, 0, 1).await.expect("B's history");
    assert_eq!(in_b[0].text.as_deref(), Some("line one\nline two"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_location_sends_a_geo_point() {
    let t = TwoUsers::start("send_location").await;
    let msg = t
        .ok(request(
            1,
            "send_location",
            json!({"chat_id": t.b_id, "latitude": 52.52, "longitude": 13.405}),
        ))
        .await;
    assert_eq!(msg["media"]["type"], "geo", "{msg}");
    assert_eq!(msg["media"]["latitude"], 52.52);
    assert_eq!(msg["media"]["longitude"], 13.405);
    let in_b = t.b.get_history(t.a_id, 0, 1).await.expect("B's history");
    match &in_b[0].media {
        Some(Media::Geo {
            latitude,
            longitude,
        }) => assert_eq!((*latitude, *longitude), (52.52, 13.405)),
        other => panic!("B got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fwd_msg_forwards_with_the_original_sender() {
    let t = TwoUsers::start("fwd_msg").await;
    let group = t.group("Friends");
    t.dc.send_message(t.b_id, PeerTarget::User(t.a_id), "pass it on")
        .expect("B writes");
    let original = t.a.get_history(t.b_id, 0, 1).await.expect("A's history")[0].clone();
    // Without from_chat_id the message is found in A's own box.
    let forwarded = t
        .ok(request(
            1,
            "fwd_msg",
            json!({"chat_id": group, "msg_id": original.id}),
        ))
        .await;
    assert_sent_by(&forwarded, t.a_id, group, "pass it on");
    assert_eq!(forwarded["dest"]["type_name"], "chat");
    assert_eq!(forwarded["dest"]["title"], "Friends");
    assert_eq!(forwarded["fwd_src"]["id"], t.b_id, "{forwarded}");
    assert_eq!(forwarded["fwd_date"], original.date);
    // B sees it in the group too, as a forward of its own message.
    let in_b =
        t.b.get_history(group, 0, 1)
            .await
            .expect("B's group history");
    assert_eq!(in_b[0].text.as_deref(), Some("pass it on"));
    assert_eq!(in_b[0].fwd_src.as_ref().map(|p| p.id), Some(t.b_id));
    // With from_chat_id, the same.
    let again = t
        .ok(request(
            1,
            "fwd_msg",
            json!({"chat_id": t.b_id, "msg_id": original.id, "from_chat_id": t.b_id}),
        ))
        .await;
    assert_eq!(again["fwd_src"]["id"], t.b_id);
    assert_eq!(again["dest"]["id"], t.b_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fwd_media_resends_only_the_media() {
    let t = TwoUsers::start("fwd_media").await;
    let located =
        t.a.send_location(t.b_id, 1.5, 2.5)
            .await
            .expect("a location");
    let sent = t
        .ok(request(
            1,
            "fwd_media",
            json!({"chat_id": t.b_id, "msg_id": located.id}),
        ))
        .await;
    assert_eq!(sent["media"]["type"], "geo", "{sent}");
    assert_eq!(sent["fwd_src"], Value::Null, "the author is dropped");
    assert_eq!(sent["text"], Value::Null, "{sent}");
    // A text message has no media to forward.
    let text = t.a.send_msg(t.b_id, "words").await.expect("text");
    let error = t
        .error(request(
            1,
            "fwd_media",
            json!({"chat_id": t.b_id, "msg_id": text.id}),
        ))
        .await;
    assert_eq!(error, tgcmd::commands::messages::NO_MEDIA);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_msg_reaches_groups_and_supergroups() {
    let t = TwoUsers::start("send_msg_chats").await;
    let group = t.group("Basic");
    let msg = t
        .ok(request(
            1,
            "send_msg",
            json!({"chat_id": group, "text": "to all"}),
        ))
        .await;
    assert_sent_by(&msg, t.a_id, group, "to all");
    assert_eq!(msg["dest"]["type"], PeerType::Chat.tgl_number());
    let in_b =
        t.b.get_history(group, 0, 1)
            .await
            .expect("B's group history");
    assert_eq!(in_b[0].text.as_deref(), Some("to all"));
    assert_eq!(in_b[0].src.as_ref().map(|p| p.id), Some(t.a_id));

    let channel = t.supergroup("Super").await;
    let chat_id = channel_chat_id(channel);
    let msg = t
        .ok(request(
            2,
            "send_msg",
            json!({"chat_id": chat_id, "text": "from B"}),
        ))
        .await;
    assert_sent_by(&msg, t.b_id, chat_id, "from B");
    assert_eq!(msg["dest"]["type"], PeerType::Channel.tgl_number());
    assert_eq!(msg["dest"]["title"], "Super");
    let in_a =
        t.a.get_history(chat_id, 0, 1)
            .await
            .expect("A's channel history");
    assert_eq!(in_a[0].text.as_deref(), Some("from B"));
    assert_eq!(
        in_a[0].id,
        msg["id"].as_i64().expect("id") as i32,
        "one id per channel"
    );
    assert!(!in_a[0].out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_refusals_come_back_under_their_names() {
    let t = TwoUsers::start("send_msg_refused").await;
    // A broadcast channel B reads but may not write to.
    let channel = t.dc.add_channel(fakedc::Channel {
        title: "News".into(),
        broadcast: true,
        creator: t.a_id,
        members: [t.b_id].into_iter().collect(),
        ..fakedc::Channel::default()
    });
    support::commands::introduce_channel(&t.dc, &t.b, t.b_id, channel).await;
    let before =
        t.b.get_history(channel_chat_id(channel), 0, 10)
            .await
            .expect("history");
    let error = t
        .error(request(
            2,
            "send_msg",
            json!({"chat_id": channel_chat_id(channel), "text": "me too"}),
        ))
        .await;
    assert_eq!(error, "CHAT_ADMIN_REQUIRED");
    let after =
        t.b.get_history(channel_chat_id(channel), 0, 10)
            .await
            .expect("history");
    assert_eq!(before, after, "nothing was posted");
    // A has blocked B: Telegram refuses A's messages to B.
    {
        let mut state = t.dc.world().lock();
        let now = t.dc.world().now();
        state.blocks.block(t.a_id, false, t.b_id, now);
    }
    let error = t
        .error(request(
            1,
            "send_msg",
            json!({"chat_id": t.b_id, "text": "hi"}),
        ))
        .await;
    assert_eq!(error, "YOU_BLOCKED_USER");
    assert!(
        t.b.get_history(t.a_id, 0, 10)
            .await
            .expect("history")
            .is_empty()
    );
}
