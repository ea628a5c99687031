//! `mark_read`, `send_typing`, `send_typing_abort` and `delete_msg` between
//! two tgcmd users, A and B, of one fake DC: what the other side's history
//! and update stream then show, in private chats, basic groups and
//! supergroups, and Telegram's refusals under their names.

mod support;

use std::time::Duration;

use fakedc::PeerTarget;
use serde_json::json;
use support::commands::{CommandChecks, TwoUsers, channel_chat_id, request};
use tgcmd::Client;
use tgcmd::update_stream::{Update, UpdateStream};

/// How long any one update may take to arrive.
const WAIT: Duration = Duration::from_secs(10);

/// `client`'s update stream, once its start-up catch-up has finished (so
/// what the test does next arrives as pushes, not in the catch-up).
async fn listening(client: &Client) -> UpdateStream {
    let mut updates = client.updates().expect("the update stream opens");
    next_matching(&mut updates, |u| matches!(u, Update::GetDifferenceEnd)).await;
    updates
}

/// The first update that `wanted` accepts; the others are skipped.
async fn next_matching(updates: &mut UpdateStream, wanted: impl Fn(&Update) -> bool) -> Update {
    tokio::time::timeout(WAIT, async {
        loop {
            match updates.next().await {
                Some(update) if wanted(&update) => return update,
                Some(_) => continue,
                None => panic!("the update stream ended"),
            }
        }
    })
    .await
    .expect("the update arrives in time")
}

/// The ids of `client`'s history with `chat_id`, newest first.
async fn history_ids(client: &Client, chat_id: i64) -> Vec<i32> {
    let history = client.get_history(chat_id, 0, 100).await.expect("history");
    history.iter().map(|m| m.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_read_reads_the_dialog_and_the_sender_sees_it() {
    let t = TwoUsers::start("mark_read_private").await;
    for text in ["one", "two", "three"] {
        t.dc.send_message(t.b_id, PeerTarget::User(t.a_id), text)
            .expect("B writes");
    }
    let before = t.a.get_history(t.b_id, 0, 10).await.expect("A's history");
    assert_eq!(before.len(), 3);
    assert!(before.iter().all(|m| m.unread && !m.out), "{before:?}");
    let sent_by_b = t.b.get_history(t.a_id, 0, 10).await.expect("B's history");
    assert!(sent_by_b.iter().all(|m| m.unread && m.out), "{sent_by_b:?}");
    let newest_in_b = sent_by_b[0].id;

    let mut b_updates = listening(&t.b).await;
    let done = t
        .ok(request(1, "mark_read", json!({"chat_id": t.b_id})))
        .await;
    assert_eq!(done["@type"], "ok", "{done}");

    let read = next_matching(&mut b_updates, |u| matches!(u, Update::ReadOutbox { .. })).await;
    assert_eq!(
        read,
        Update::ReadOutbox {
            chat_id: t.a_id,
            max_id: newest_in_b
        }
    );
    let after = t.a.get_history(t.b_id, 0, 10).await.expect("A's history");
    assert!(after.iter().all(|m| !m.unread), "{after:?}");
    let read_by_a = t.b.get_history(t.a_id, 0, 10).await.expect("B's history");
    assert!(read_by_a.iter().all(|m| !m.unread), "{read_by_a:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_read_reads_groups_and_supergroups() {
    let t = TwoUsers::start("mark_read_groups").await;
    let group = t.group("Readers");
    let channel = t.supergroup("Super readers").await;
    let supergroup = channel_chat_id(channel);
    t.dc.send_message(t.b_id, PeerTarget::Chat(-group), "in the group")
        .expect("B writes to the group");
    t.dc.send_message(t.b_id, PeerTarget::Channel(channel), "in the supergroup")
        .expect("B writes to the supergroup");
    for chat_id in [group, supergroup] {
        let before = t.a.get_history(chat_id, 0, 10).await.expect("history");
        assert_eq!(before.len(), 1, "{chat_id}: {before:?}");
        assert!(before[0].unread, "{chat_id}: {before:?}");
        t.a.mark_read(chat_id).await.expect("mark_read");
        let after = t.a.get_history(chat_id, 0, 10).await.expect("history");
        assert!(!after[0].unread, "{chat_id}: {after:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_and_its_abort_reach_the_other_side() {
    let t = TwoUsers::start("send_typing").await;
    let mut b_updates = listening(&t.b).await;

    let done = t
        .ok(request(1, "send_typing", json!({"chat_id": t.b_id})))
        .await;
    assert_eq!(done["@type"], "ok", "{done}");
    let typing = next_matching(&mut b_updates, |u| matches!(u, Update::Typing { .. })).await;
    assert_eq!(
        typing,
        Update::Typing {
            chat_id: t.a_id,
            user_id: t.a_id,
            typing: true,
            action: "sendMessageTypingAction".into(),
        }
    );

    t.ok(request(1, "send_typing_abort", json!({"chat_id": t.b_id})))
        .await;
    let stopped = next_matching(&mut b_updates, |u| matches!(u, Update::Typing { .. })).await;
    assert_eq!(
        stopped,
        Update::Typing {
            chat_id: t.a_id,
            user_id: t.a_id,
            typing: false,
            action: "sendMessageCancelAction".into(),
        }
    );

    // In a group the typing update names the group and the typist.
    let group = t.group("Typists");
    t.a.send_typing(group).await.expect("typing in the group");
    let in_group = next_matching(&mut b_updates, |u| matches!(u, Update::Typing { .. })).await;
    assert_eq!(
        in_group,
        Update::Typing {
            chat_id: group,
            user_id: t.a_id,
            typing: true,
            action: "sendMessageTypingAction".into(),
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_where_the_account_is_no_member_is_refused() {
    let t = TwoUsers::start("send_typing_forbidden").await;
    let group = support::commands::group_chat_id(t.dc.add_basic_group(fakedc::BasicGroup {
        title: "Without A".into(),
        creator: t.b_id,
        ..fakedc::BasicGroup::default()
    }));
    let error = t
        .error(request(1, "send_typing", json!({"chat_id": group})))
        .await;
    assert_eq!(error, "CHAT_WRITE_FORBIDDEN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_msg_for_everyone_removes_both_copies() {
    let t = TwoUsers::start("delete_msg_revoke").await;
    let keep = t.a.send_msg(t.b_id, "keep me").await.expect("sent");
    let gone = t.a.send_msg(t.b_id, "delete me").await.expect("sent");
    let b_ids = history_ids(&t.b, t.a_id).await;
    assert_eq!(b_ids.len(), 2);
    let gone_in_b = b_ids[0];
    let mut b_updates = listening(&t.b).await;

    let done = t
        .ok(request(
            1,
            "delete_msg",
            json!({"chat_id": t.b_id, "msg_id": gone.id}),
        ))
        .await;
    assert_eq!(done["@type"], "ok", "{done}");

    assert_eq!(history_ids(&t.a, t.b_id).await, vec![keep.id]);
    assert_eq!(history_ids(&t.b, t.a_id).await, vec![b_ids[1]]);
    let deleted = next_matching(&mut b_updates, |u| matches!(u, Update::MsgDelete { .. })).await;
    assert_eq!(
        deleted,
        Update::MsgDelete {
            chat_id: None,
            msg_ids: vec![gone_in_b]
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_msg_without_revoke_keeps_the_other_copy() {
    let t = TwoUsers::start("delete_msg_own_copy").await;
    let sent = t.a.send_msg(t.b_id, "only mine goes").await.expect("sent");
    let b_before = history_ids(&t.b, t.a_id).await;
    t.ok(request(
        1,
        "delete_msg",
        json!({"chat_id": t.b_id, "msg_id": sent.id, "revoke": false}),
    ))
    .await;
    assert!(history_ids(&t.a, t.b_id).await.is_empty());
    assert_eq!(history_ids(&t.b, t.a_id).await, b_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_msg_in_groups_and_supergroups() {
    let t = TwoUsers::start("delete_msg_groups").await;
    let group = t.group("Deleters");
    let in_group = t.a.send_msg(group, "group message").await.expect("sent");
    t.a.delete_msg(group, i64::from(in_group.id))
        .await
        .expect("deleted in the group");
    assert!(history_ids(&t.a, group).await.is_empty());
    assert!(history_ids(&t.b, group).await.is_empty(), "revoked for B");

    let channel = t.supergroup("Super deleters").await;
    let supergroup = channel_chat_id(channel);
    let mut b_updates = listening(&t.b).await;
    let post =
        t.a.send_msg(supergroup, "supergroup message")
            .await
            .expect("sent");
    t.a.delete_msg(supergroup, i64::from(post.id))
        .await
        .expect("deleted in the supergroup");
    assert!(history_ids(&t.a, supergroup).await.is_empty());
    assert!(history_ids(&t.b, supergroup).await.is_empty());
    let deleted = next_matching(&mut b_updates, |u| matches!(u, Update::MsgDelete { .. })).await;
    assert_eq!(
        deleted,
        Update::MsgDelete {
            chat_id: Some(supergroup),
            msg_ids: vec![post.id]
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_someone_elses_supergroup_message_needs_the_right() {
    let t = TwoUsers::start("delete_msg_forbidden").await;
    let channel = t.supergroup("Not B's to delete").await;
    let supergroup = channel_chat_id(channel);
    let post = t.a.send_msg(supergroup, "A's message").await.expect("sent");
    // B (userbot 2) is a member but not an admin.
    let error = t
        .error(request(
            2,
            "delete_msg",
            json!({"chat_id": supergroup, "msg_id": post.id}),
        ))
        .await;
    assert_eq!(error, "MESSAGE_DELETE_FORBIDDEN");
    assert_eq!(history_ids(&t.a, supergroup).await, vec![post.id]);
}
