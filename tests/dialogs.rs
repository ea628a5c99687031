//! `get_dialog_list` against the fake DC: the order (pinned first, then by
//! top message), the archive after the main list, unread counts, top
//! messages and peer names; a list of over 1,000 dialogs complete, ordered
//! and without duplicates; through JSON, typed, and with Telegram's errors
//! by name.

mod support;

use fakedc::world::PeerTarget;
use serde_json::json;
use support::commands::{CommandChecks, TwoUsers, client_as, request};
use tgcmd::commands::dialogs::{Dialog, DialogList};
use tgcmd::tgl::PeerType;

fn get_dialogs_calls(dc: &fakedc::FakeDc) -> u64 {
    use grammers_tl_types::Identifiable;
    dc.world()
        .call_count(grammers_tl_types::functions::messages::GetDialogs::CONSTRUCTOR_ID)
}

fn user(first: &str, last: &str) -> fakedc::User {
    fakedc::User {
        first_name: first.into(),
        last_name: last.into(),
        ..fakedc::User::default()
    }
}

fn find(list: &DialogList, id: i64) -> &Dialog {
    list.dialogs
        .iter()
        .find(|d| d.peer.id == id)
        .unwrap_or_else(|| panic!("no dialog {id} in {list:#?}"))
}

#[tokio::test]
async fn dialogs_come_pinned_first_then_by_top_message_then_the_archive() {
    let bed = TwoUsers::start("dialogs_order").await;
    let dc = &bed.dc;
    let (a, b) = (bed.a_id, bed.b_id);
    let carol = dc.add_user(user("Carol", "Pinned"));
    let dave = dc.add_user(user("Dave", "Archived"));
    let group = bed.group("Team Room");
    let group_id = -group;
    dc.send_message(carol, PeerTarget::User(a), "from carol")
        .expect("sent");
    dc.send_message(b, PeerTarget::User(a), "b one")
        .expect("sent");
    dc.send_message(b, PeerTarget::User(a), "b two")
        .expect("sent");
    dc.send_message(a, PeerTarget::Chat(group_id), "team hello")
        .expect("sent");
    dc.send_message(a, PeerTarget::User(dave), "to dave")
        .expect("sent");
    {
        let mut state = dc.world().lock();
        assert!(state.dialogs.pin(a, PeerTarget::User(carol)));
        state.dialogs.move_to(a, PeerTarget::User(dave), 1);
    }

    let result = bed.ok(request(1, "get_dialog_list", json!({}))).await;
    assert_eq!(result["@type"], "dialog_list");
    assert_eq!(result["dialogs"][0]["@type"], "dialog");
    assert_eq!(result["dialogs"][0]["message"]["@type"], "msg");
    let list: DialogList = serde_json::from_value(result).expect("a dialog list");

    // Carol pinned, then the newest top message first; Dave in the archive.
    let order: Vec<(i64, bool, i32)> = list
        .dialogs
        .iter()
        .map(|d| (d.peer.id, d.pinned, d.folder_id))
        .collect();
    assert_eq!(
        order,
        [
            (carol, true, 0),
            (group, false, 0),
            (b, false, 0),
            (dave, false, 1)
        ]
    );

    let carol_dialog = find(&list, carol);
    assert_eq!(carol_dialog.peer.name, "Carol_Pinned");
    assert_eq!(carol_dialog.peer.kind, PeerType::User);
    assert_eq!(carol_dialog.unread_count, 1);
    let top = carol_dialog.message.as_ref().expect("a top message");
    assert_eq!(top.text.as_deref(), Some("from carol"));
    assert!(!top.out);
    assert!(top.unread);
    assert_eq!(top.src.as_ref().map(|p| p.id), Some(carol));

    let b_dialog = find(&list, b);
    assert_eq!(b_dialog.peer.name, "Demo_User_2");
    assert_eq!(b_dialog.unread_count, 2);
    assert_eq!(
        b_dialog.message.as_ref().and_then(|m| m.text.as_deref()),
        Some("b two")
    );

    let group_dialog = find(&list, group);
    assert_eq!(group_dialog.peer.kind, PeerType::Chat);
    assert_eq!(group_dialog.peer.title.as_deref(), Some("Team Room"));
    assert_eq!(group_dialog.peer.name, "Team_Room");
    assert_eq!(group_dialog.unread_count, 0);
    let top = group_dialog.message.as_ref().expect("the group's message");
    assert_eq!(top.text.as_deref(), Some("team hello"));
    assert!(top.out);
    assert_eq!(top.chat_id, group);

    let dave_dialog = find(&list, dave);
    assert_eq!(dave_dialog.folder_id, 1);
    assert_eq!(dave_dialog.peer.name, "Dave_Archived");
    assert_eq!(
        dave_dialog.message.as_ref().and_then(|m| m.text.as_deref()),
        Some("to dave")
    );

    assert_eq!(list.unread_dialogs, 2);
    assert_eq!(list.unread_messages, 3);

    // Reading B's dialog clears its count; the typed method agrees.
    dc.read_history(a, PeerTarget::User(b), 0);
    let typed = bed.a.get_dialog_list().await.expect("the list");
    assert_eq!(find(&typed, b).unread_count, 0);
    assert!(
        !find(&typed, b)
            .message
            .as_ref()
            .expect("B's top message")
            .unread
    );
    assert_eq!((typed.unread_dialogs, typed.unread_messages), (1, 1));
    assert_eq!(typed.dialogs.len(), 4);
}

#[tokio::test]
async fn a_dialog_without_messages_is_listed_with_no_message() {
    let bed = TwoUsers::start("dialogs_empty").await;
    let group = bed.group("Quiet");
    let list = bed.b.get_dialog_list().await.expect("B's list");
    let quiet = find(&list, group);
    assert_eq!(quiet.message, None);
    assert_eq!(quiet.unread_count, 0);
    assert_eq!(quiet.peer.title.as_deref(), Some("Quiet"));
    assert_eq!(list.dialogs.len(), 1, "{list:#?}");
    assert_eq!((list.unread_dialogs, list.unread_messages), (0, 0));
}

/// 1,100 users each write to the account, 150 of them archived, two
/// pinned, and 98 groups without messages, newer than every message, so
/// the first page ends on one (Telegram pages those by the chat's date):
/// every dialog comes once, in the server's order, in as few pages as
/// the dialogs need.
#[tokio::test]
async fn over_a_thousand_dialogs_are_complete_ordered_and_unique() {
    const USERS: usize = 1_100;
    const ARCHIVED: usize = 150;
    const EMPTY: usize = 98;
    let dc = support::fake_dc().await;
    let me = dc.user_id();
    let mut senders = Vec::with_capacity(USERS);
    for i in 0..USERS {
        let id = dc.add_user(user(&format!("Sender{i}"), "Bulk"));
        dc.send_message(id, PeerTarget::User(me), &format!("hello {i}"))
            .expect("sent");
        senders.push(id);
    }
    let later = dc.world().now() + 60;
    for i in 0..EMPTY {
        dc.add_basic_group(fakedc::BasicGroup {
            title: format!("Empty {i}"),
            creator: me,
            date: later,
            ..fakedc::BasicGroup::default()
        });
    }
    {
        let mut state = dc.world().lock();
        for &id in &senders[..ARCHIVED] {
            state.dialogs.move_to(me, PeerTarget::User(id), 1);
        }
        assert!(state.dialogs.pin(me, PeerTarget::User(senders[500])));
        assert!(state.dialogs.pin(me, PeerTarget::User(senders[200])));
    }
    // What the server says the lists are, to compare with.
    let expected: Vec<i64> = {
        let state = dc.world().lock();
        [0, 1]
            .into_iter()
            .flat_map(|folder| fakedc::world::dialogs::list(&state, me, folder))
            .map(|e| match e.peer {
                PeerTarget::User(id) => id,
                PeerTarget::Chat(id) => -id,
                PeerTarget::Channel(id) => -1_000_000_000_000 - id,
            })
            .collect()
    };
    assert_eq!(expected.len(), USERS + EMPTY);

    let client = client_as(&dc, 0, "dialogs_bulk").await;
    let calls = get_dialogs_calls(&dc);
    let list = client.get_dialog_list().await.expect("the list");
    let ids: Vec<i64> = list.dialogs.iter().map(|d| d.peer.id).collect();
    assert_eq!(ids.len(), USERS + EMPTY);
    let unique: std::collections::HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no dialog twice");
    assert_eq!(ids, expected);
    // Main list: 1,048 dialogs in 11 pages (the first ends on a group
    // without messages); archive: 150 in 2. No page repeats a dialog.
    assert!(list.dialogs[99].message.is_none());
    assert_eq!(get_dialogs_calls(&dc) - calls, 13);

    // The order is Telegram's: the two pinned on top (last pinned first),
    // then the newest message first; the archive after the main list.
    assert_eq!(ids[0], senders[200]);
    assert_eq!(ids[1], senders[500]);
    assert!(list.dialogs[..2].iter().all(|d| d.pinned));
    let main: Vec<&Dialog> = list.dialogs.iter().filter(|d| d.folder_id == 0).collect();
    let archive: Vec<&Dialog> = list.dialogs.iter().filter(|d| d.folder_id == 1).collect();
    assert_eq!(
        (main.len(), archive.len()),
        (USERS - ARCHIVED + EMPTY, ARCHIVED)
    );
    assert!(list.dialogs[..main.len()].iter().all(|d| d.folder_id == 0));
    let top_ids: Vec<i32> = main[2..]
        .iter()
        .filter_map(|d| d.message.as_ref().map(|m| m.id))
        .collect();
    assert_eq!(top_ids.len(), USERS - ARCHIVED - 2);
    assert!(top_ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    // Each top message is the sender's own.
    for (i, &id) in senders.iter().enumerate() {
        let dialog = list
            .dialogs
            .iter()
            .find(|d| d.peer.id == id)
            .expect("listed");
        assert_eq!(
            dialog.message.as_ref().and_then(|m| m.text.as_deref()),
            Some(format!("hello {i}").as_str())
        );
        assert_eq!(dialog.peer.name, format!("Sender{i}_Bulk"));
        assert_eq!(dialog.folder_id, i32::from(i < ARCHIVED));
    }
    let empty = main.iter().filter(|d| d.message.is_none()).count();
    assert_eq!(empty, EMPTY);
    assert_eq!(list.unread_dialogs, USERS);
    assert_eq!(list.unread_messages, USERS as i64);
}

#[tokio::test]
async fn telegrams_errors_come_through_by_name() {
    let bed = TwoUsers::start("dialogs_errors").await;
    use grammers_tl_types::Identifiable;
    let method = grammers_tl_types::functions::messages::GetDialogs::CONSTRUCTOR_ID;
    let before = get_dialogs_calls(&bed.dc);
    bed.dc.faults().flood_wait(Some(method), 30, 1);
    let error = bed.error(request(1, "get_dialog_list", json!({}))).await;
    bed.dc.faults().clear();
    assert_eq!(error, "FLOOD_WAIT_30");
    assert_eq!(get_dialogs_calls(&bed.dc), before + 1);
    // Unknown fields are ignored, as for every command without fields.
    let list = bed
        .ok(request(1, "get_dialog_list", json!({"limit": 5})))
        .await;
    assert_eq!(list["@type"], "dialog_list");
}
