//! The contact list and presence (`commands::contacts`) against the fake
//! DC: two tgcmd clients, A (userbot 1) and B (userbot 2), who start as
//! each other's contacts. Each function's success with the fields checked,
//! through JSON and the typed method; the getContacts hash (an unchanged
//! list is answered not-modified and returned from the client's copy);
//! rename and delete changing the list; a phone not on Telegram; presence
//! reaching a contact's update stream; and bad input with nothing sent.

#[path = "support/stream.rs"]
mod stream;
mod support;

use serde_json::{Value, json};
use support::commands::{CommandChecks, TwoUsers, request};
use tgcmd::commands::contacts::NOT_ON_TELEGRAM;
use tgcmd::tgl::{Peer, PeerType};
use tgcmd::update_stream::Update;

/// B's phone and names as the fake DC seeds them.
const B_PHONE: &str = "15550000002";

fn not_modified_answers(bed: &TwoUsers) -> u64 {
    bed.dc
        .world()
        .lock()
        .extensions
        .get_mut::<fakedc::services::ContactImports>()
        .not_modified_answers
}

fn get_contacts_calls(bed: &TwoUsers) -> u64 {
    use grammers_tl_types::Identifiable;
    bed.dc
        .world()
        .call_count(grammers_tl_types::functions::contacts::GetContacts::CONSTRUCTOR_ID)
}

/// Waits (up to 2 s) until `user_id` has a session subscribed to updates.
async fn until_subscribed(bed: &TwoUsers, user_id: i64) {
    for _ in 0..200 {
        if bed.dc.update_sessions(user_id) > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("user {user_id} never subscribed to updates");
}

fn peers(result: Value) -> Vec<Peer> {
    serde_json::from_value(result).expect("a list of peers")
}

fn find(list: &[Peer], id: i64) -> Option<&Peer> {
    list.iter().find(|p| p.id == id)
}

/// A third user, not yet anyone's contact.
fn carol(bed: &TwoUsers) -> i64 {
    bed.dc.add_user(fakedc::User {
        first_name: "Carol".into(),
        last_name: "Profile".into(),
        username: Some("carol_c".into()),
        phone: Some("15551230001".into()),
        ..fakedc::User::default()
    })
}

#[tokio::test]
async fn the_contact_list_has_phone_username_names_and_status() {
    let bed = TwoUsers::start("contacts_list").await;
    bed.ok(request(2, "status_online", json!({}))).await;

    let list = peers(bed.ok(request(1, "get_contact_list", json!({}))).await);
    assert_eq!(list.len(), 1, "{list:?}");
    let b = find(&list, bed.b_id).expect("B is A's contact");
    assert_eq!(b.kind, PeerType::User);
    assert_eq!(b.phone.as_deref(), Some(B_PHONE));
    assert_eq!(b.username.as_deref(), Some("demo_user2"));
    assert_eq!(b.first_name.as_deref(), Some("Demo"));
    assert_eq!(b.last_name.as_deref(), Some("User 2"));
    assert_eq!(b.name, "Demo_User_2");
    let status = b.user_status.as_ref().expect("a status");
    assert!(status.online);
    let now = bed.dc.world().now();
    let until = status.when.expect("online until");
    assert!(until > now && until <= now + fakedc::world::ONLINE_FOR_SECONDS);

    // The typed method gives the same list.
    let typed = bed.a.get_contact_list().await.expect("the list");
    assert_eq!(typed, list);

    // B sees A, and A's phone.
    let b_list = bed.b.get_contact_list().await.expect("B's list");
    let a = find(&b_list, bed.a_id).expect("A is B's contact");
    assert_eq!(a.phone.as_deref(), Some("15550000001"));
    // A never set a status.
    assert_eq!(a.user_status, None);
}

#[tokio::test]
async fn an_unchanged_list_is_answered_not_modified_and_kept() {
    let bed = TwoUsers::start("contacts_hash").await;
    let (calls, unchanged) = (get_contacts_calls(&bed), not_modified_answers(&bed));

    let first = bed.a.get_contact_list().await.expect("the list");
    assert_eq!(get_contacts_calls(&bed), calls + 1);
    assert_eq!(
        not_modified_answers(&bed),
        unchanged,
        "the first call has no hash"
    );

    let second = bed.a.get_contact_list().await.expect("the list again");
    assert_eq!(
        get_contacts_calls(&bed),
        calls + 2,
        "getContacts is still sent"
    );
    assert_eq!(
        not_modified_answers(&bed),
        unchanged + 1,
        "answered not-modified"
    );
    assert_eq!(second, first);

    // Statuses are not in the hash: a not-modified list still shows B's new one.
    bed.b.status_offline().await.expect("offline");
    let third = bed.a.get_contact_list().await.expect("the list once more");
    assert_eq!(not_modified_answers(&bed), unchanged + 2);
    let b = find(&third, bed.b_id).expect("B");
    let status = b.user_status.as_ref().expect("B's status");
    assert!(!status.online);
    assert!(status.when.is_some_and(|when| when <= bed.dc.world().now()));
    assert_eq!(b.phone.as_deref(), Some(B_PHONE));

    // A change in the list changes the hash: a full answer again.
    let carol = carol(&bed);
    bed.a
        .add_contact("+1 555 123-0001", "Carol", "")
        .await
        .expect("added");
    let fourth = bed.a.get_contact_list().await.expect("the new list");
    assert_eq!(not_modified_answers(&bed), unchanged + 2);
    assert!(find(&fourth, carol).is_some());
    assert_eq!(fourth.len(), 2);
}

#[tokio::test]
async fn add_rename_and_delete_a_contact() {
    let bed = TwoUsers::start("contacts_edit").await;
    let carol = carol(&bed);

    // add_contact, through JSON: the answer is the list entry, with the
    // names A saved, the phone and the username.
    let added: Peer = serde_json::from_value(
        bed.ok(request(
            1,
            "add_contact",
            json!({"phone": "+1 555 123-0001", "first_name": " Caz ", "last_name": "Friend"}),
        ))
        .await,
    )
    .expect("a peer");
    assert_eq!(added.id, carol);
    assert_eq!(added.first_name.as_deref(), Some("Caz"));
    assert_eq!(added.last_name.as_deref(), Some("Friend"));
    assert_eq!(added.name, "Caz_Friend");
    assert_eq!(added.phone.as_deref(), Some("15551230001"));
    assert_eq!(added.username.as_deref(), Some("carol_c"));
    let list = bed.a.get_contact_list().await.expect("the list");
    assert_eq!(find(&list, carol), Some(&added));
    // The name is A's: B still sees Carol's profile name, and no phone.
    {
        let state = bed.dc.world().lock();
        let seen_by_b = state.users.get(carol).expect("Carol");
        let grammers_tl_types::enums::User::User(u) = seen_by_b.to_tl(bed.dc.world(), bed.b_id)
        else {
            panic!("a user");
        };
        assert_eq!(u.first_name.as_deref(), Some("Carol"));
        assert_eq!(u.phone, None);
    }

    // rename_contact, typed: the list shows the new names.
    let renamed = bed
        .a
        .rename_contact("15551230001", "Carol", "Renamed")
        .await
        .expect("renamed");
    assert_eq!(renamed.id, carol);
    assert_eq!(renamed.last_name.as_deref(), Some("Renamed"));
    let list = bed.a.get_contact_list().await.expect("the list");
    let entry = find(&list, carol).expect("still a contact");
    assert_eq!(entry.name, "Carol_Renamed");
    assert_eq!(list.len(), 2, "a rename adds nobody");

    // Through JSON too.
    let renamed: Peer = serde_json::from_value(
        bed.ok(request(
            1,
            "rename_contact",
            json!({"phone": "15551230001", "first_name": "C."}),
        ))
        .await,
    )
    .expect("a peer");
    assert_eq!(renamed.first_name.as_deref(), Some("C."));
    assert_eq!(renamed.last_name, None);

    // del_contact, through JSON: gone from the list, and from the DC.
    let done = bed
        .ok(request(1, "del_contact", json!({"chat_id": carol})))
        .await;
    assert_eq!(done["@type"], "ok");
    let list = bed.a.get_contact_list().await.expect("the list");
    assert!(find(&list, carol).is_none(), "{list:?}");
    assert!(find(&list, bed.b_id).is_some());
    assert!(
        !bed.dc
            .world()
            .lock()
            .users
            .get(bed.a_id)
            .expect("A")
            .contacts
            .contains(&carol)
    );

    // Typed: B removes A.
    bed.b.del_contact(bed.a_id).await.expect("deleted");
    assert!(bed.b.get_contact_list().await.expect("B's list").is_empty());
    // A still has B (contacts are one-way).
    assert!(find(&bed.a.get_contact_list().await.expect("A's"), bed.b_id).is_some());
}

#[tokio::test]
async fn a_phone_not_on_telegram_is_named_in_the_error() {
    let bed = TwoUsers::start("contacts_unknown").await;
    let before = bed.a.get_contact_list().await.expect("the list");

    let error = bed
        .error(request(
            1,
            "add_contact",
            json!({"phone": "+1 555 999-0000", "first_name": "Nobody"}),
        ))
        .await;
    assert_eq!(error, format!("{NOT_ON_TELEGRAM}: +15559990000"));
    assert_eq!(
        error, "phone number is not on Telegram: +15559990000",
        "the documented wording"
    );
    let typed = bed
        .a
        .add_contact("15559990000", "Nobody", "")
        .await
        .expect_err("not on Telegram");
    assert_eq!(typed.message(), error);
    assert!(!typed.is_invalid(), "it was sent");

    // Renaming someone who is not a contact imports nothing.
    let carol = carol(&bed);
    let error = bed
        .error(request(
            1,
            "rename_contact",
            json!({"phone": "15551230001", "first_name": "Carol"}),
        ))
        .await;
    assert_eq!(
        error,
        "phone number is not in the contact list: +15551230001"
    );
    let after = bed.a.get_contact_list().await.expect("the list");
    assert_eq!(after, before);
    assert!(find(&after, carol).is_none());
}

#[tokio::test]
async fn presence_reaches_a_contacts_update_stream() {
    let bed = TwoUsers::start("contacts_presence").await;
    let mut a_stream = stream::started(&bed.a, bed.a_id).await;
    until_subscribed(&bed, bed.a_id).await;

    let status_update = |update: &Update| match update {
        Update::UserUpdate { peer, what_changed } => Some((peer.clone(), what_changed.clone())),
        _ => None,
    };

    bed.ok(request(2, "status_online", json!({}))).await;
    let (peer, what) = loop {
        let update = stream::next(&mut a_stream, "B's online status").await;
        if let Some(found) = status_update(&update) {
            break found;
        }
    };
    assert_eq!(what, vec!["status".to_string()]);
    assert_eq!(peer.id, bed.b_id);
    assert_eq!(peer.username.as_deref(), Some("demo_user2"));
    assert!(
        peer.user_status.as_ref().is_some_and(|s| s.online),
        "{peer:?}"
    );

    bed.b.status_offline().await.expect("offline");
    let (peer, what) = loop {
        let update = stream::next(&mut a_stream, "B's offline status").await;
        if let Some(found) = status_update(&update) {
            break found;
        }
    };
    assert_eq!(what, vec!["status".to_string()]);
    assert_eq!(peer.id, bed.b_id);
    let status = peer.user_status.expect("a status");
    assert!(!status.online);
    assert!(status.when.is_some());

    // The JSON event names it the spec's way.
    let event = Update::UserUpdate {
        peer: Peer::unknown_user(bed.b_id),
        what_changed: vec!["status".into()],
    }
    .to_event(1);
    assert_eq!(event["payload"]["type"], "user_update");
    assert_eq!(event["payload"]["what_changed"], json!(["status"]));
}

#[tokio::test]
async fn bad_input_is_refused_with_nothing_sent() {
    let bed = TwoUsers::start("contacts_invalid").await;
    let shape = "phone must be digits, with an optional leading +, spaces and dashes";
    let cases: Vec<(&str, Value, String)> = vec![
        (
            "add_contact",
            json!({"first_name": "A"}),
            "phone is required".into(),
        ),
        (
            "add_contact",
            json!({"phone": "15551234567"}),
            "first_name is required".into(),
        ),
        (
            "add_contact",
            json!({"phone": "  ", "first_name": "A"}),
            "phone must not be empty".into(),
        ),
        (
            "add_contact",
            json!({"phone": "1555-12+34", "first_name": "A"}),
            shape.into(),
        ),
        (
            "add_contact",
            json!({"phone": "(555) 1234", "first_name": "A"}),
            shape.into(),
        ),
        (
            "add_contact",
            json!({"phone": "+", "first_name": "A"}),
            shape.into(),
        ),
        (
            "add_contact",
            json!({"phone": "1234567890123456", "first_name": "A"}),
            "phone must have at most 15 digits".into(),
        ),
        (
            "add_contact",
            json!({"phone": "1".repeat(40), "first_name": "A"}),
            "phone must be at most 32 characters".into(),
        ),
        (
            "add_contact",
            json!({"phone": "15551234567", "first_name": " \u{200B} "}),
            "first_name must not be empty".into(),
        ),
        (
            "add_contact",
            json!({"phone": 15551234567_i64, "first_name": "A"}),
            "phone: invalid type: integer `15551234567`, expected a string".into(),
        ),
        (
            "rename_contact",
            json!({"first_name": "A"}),
            "phone is required".into(),
        ),
        (
            "rename_contact",
            json!({"phone": "abc", "first_name": "A"}),
            shape.into(),
        ),
        ("del_contact", json!({}), "chat_id is required".into()),
        (
            "del_contact",
            json!({"chat_id": 0}),
            "chat_id is invalid".into(),
        ),
        (
            "del_contact",
            json!({"chat_id": "x"}),
            "chat_id must be an integer".into(),
        ),
        (
            "del_contact",
            json!({"chat_id": -42}),
            "chat_id is a basic group, not a user: only users can be contacts".into(),
        ),
        (
            "del_contact",
            json!({"chat_id": -1_000_000_000_042_i64}),
            "chat_id is a channel, not a user: only users can be contacts".into(),
        ),
    ];
    for (action, fields, expected) in cases {
        bed.invalid(request(1, action, fields), &expected).await;
    }
    bed.invalid_typed(bed.a.add_contact("12ab", "A", ""), shape)
        .await;
    bed.invalid_typed(
        bed.a.rename_contact("15551234567", "", "B"),
        "first_name must not be empty",
    )
    .await;
    bed.invalid_typed(
        bed.a.del_contact(-7),
        "chat_id is a basic group, not a user: only users can be contacts",
    )
    .await;
    // A user nobody knows: Telegram is asked once (users.getUsers), then
    // TDLib's words, and nothing is deleted.
    use grammers_tl_types::Identifiable;
    let delete = grammers_tl_types::functions::contacts::DeleteContacts::CONSTRUCTOR_ID;
    let deletes = bed.dc.world().call_count(delete);
    let error = bed.a.del_contact(987_654_321).await.expect_err("unknown");
    assert_eq!(error.message(), "User not found");
    assert_eq!(bed.dc.world().call_count(delete), deletes);
}

#[tokio::test]
async fn telegrams_errors_come_through_by_name() {
    let bed = TwoUsers::start("contacts_rpc_errors").await;
    let registry = tgcmd::commands::Registry::new();
    let actions = [
        "get_contact_list",
        "add_contact",
        "rename_contact",
        "del_contact",
        "status_online",
        "status_offline",
    ];
    for action in actions {
        let info = registry.get(action).expect("registered");
        assert_eq!(info.spec.file, "tg-cli-python-bindings.txt");
        let sample = (info.sample)()
            .to_string()
            .replace("\"$FRIEND\"", &bed.b_id.to_string());
        let fields: Value = serde_json::from_str(&sample).expect("JSON");
        let method = info.first_method.constructor_id;
        let before = bed.dc.world().call_count(method);
        bed.dc.faults().flood_wait(Some(method), 30, 1);
        let error = bed.error(request(1, action, fields)).await;
        bed.dc.faults().clear();
        assert_eq!(error, "FLOOD_WAIT_30", "{action}");
        assert!(
            bed.dc.world().call_count(method) > before,
            "{action} did not call {}",
            info.first_method.name
        );
    }
}

#[tokio::test]
async fn presence_goes_only_to_those_who_have_the_user_as_a_contact() {
    let bed = TwoUsers::start("contacts_presence_private").await;
    // A removes B: B's status is no longer pushed to A.
    bed.a.del_contact(bed.b_id).await.expect("deleted");
    let mut a_stream = stream::started(&bed.a, bed.a_id).await;
    until_subscribed(&bed, bed.a_id).await;

    bed.b.status_online().await.expect("online");
    bed.b
        .send_msg(bed.a_id, "presence marker")
        .await
        .expect("the marker");
    let seen = stream::until_marker(&mut a_stream, "presence marker").await;
    assert!(
        !seen.iter().any(|u| matches!(u, Update::UserUpdate { .. })),
        "{seen:#?}"
    );
    // B still has A, and the DC has B online.
    let state = bed.dc.world().lock();
    let b = state.users.get(bed.b_id).expect("B");
    assert!(matches!(b.presence, fakedc::world::Presence::Online { .. }));
    assert!(!b.contact_of.contains(&bed.a_id));
    assert!(b.contacts.contains(&bed.a_id));
}
