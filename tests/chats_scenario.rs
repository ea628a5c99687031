//! Three users and one group, each reading their own update stream:
//! A and C are tgcmd clients (`Client::updates()`), B is stock
//! grammers-client 0.11, so a client nobody here wrote confirms what the
//! fake DC sends. A creates a group with B and C, renames it, sets its
//! photo, removes C and shares an invite link C uses to come back. Each
//! tgcmd stream reports each change's `what_changed` exactly once, and B
//! sees every service message in order. Then A migrates the group to a
//! supergroup: both tgcmd streams report `migrated` with the new id, and
//! A's later calls naming the old group reach the supergroup.
//!
//! "Exactly once" is shown without waiting for quiet: after the changes B
//! sends a marker, and everything up to it must be exactly the expected
//! updates.

#[path = "support/grammers.rs"]
mod grammers_support;
#[path = "support/people.rs"]
mod people;
#[path = "support/stream.rs"]
mod stream;
mod support;

use fakedc::{Config, FakeDc, PeerTarget};
use grammers_client::session::types::PeerRef;
use grammers_client::tl;
use grammers_client::update::Update as GrammersUpdate;
use people::{person, until_subscribed};
use stream::{WAIT, started, until_marker};
use support::commands::{client_as, introduce};
use tgcmd::commands::chats::ChatLinkOptions;
use tgcmd::update_stream::Update;

fn jpeg() -> Vec<u8> {
    let mut bytes = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
    ];
    bytes.extend((0..2000u32).map(|i| (i % 251) as u8));
    bytes
}

/// The `chat_update`s among `updates`: (chat id, what changed, migrated_to).
fn chat_updates(updates: &[Update]) -> Vec<(i64, Vec<String>, Option<i64>)> {
    updates
        .iter()
        .filter_map(|u| match u {
            Update::ChatUpdate {
                peer,
                what_changed,
                migrated_to,
            } => Some((peer.id, what_changed.clone(), *migrated_to)),
            _ => None,
        })
        .collect()
}

/// The service actions B's grammers stream yields, up to the message
/// whose text is `marker`.
async fn b_actions_until(
    stream: &mut grammers_client::client::UpdateStream,
    marker: &str,
) -> Vec<tl::enums::MessageAction> {
    let mut actions = Vec::new();
    loop {
        let update = tokio::time::timeout(WAIT, stream.next())
            .await
            .unwrap_or_else(|_| panic!("B: no {marker:?} within {WAIT:?}; seen {actions:?}"));
        if let Ok(GrammersUpdate::NewMessage(message)) = update {
            if let Some(action) = message.action() {
                actions.push(action.clone());
            } else if message.text() == marker {
                return actions;
            }
        }
    }
}

fn what(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| w.to_string()).collect()
}

#[tokio::test]
async fn three_users_see_each_change_of_their_group_once() {
    let dc = FakeDc::start(Config {
        users: 3,
        ..Config::default()
    })
    .await
    .expect("the fake DC starts");
    let ids: Vec<i64> = dc.users().iter().map(|u| u.user_id).collect();
    let (a_id, b_id, c_id) = (ids[0], ids[1], ids[2]);
    let a = client_as(&dc, 0, "scenario").await;
    let c = client_as(&dc, 2, "scenario").await;
    for target in [b_id, c_id] {
        introduce(&dc, &a, a_id, target).await;
    }
    for target in [a_id, b_id] {
        introduce(&dc, &c, c_id, target).await;
    }
    let mut b = person(&dc, 1).await;
    let mut a_stream = started(&a, a_id).await;
    let mut c_stream = started(&c, c_id).await;
    let mut b_stream = b.stream().await;
    for user in [a_id, b_id, c_id] {
        until_subscribed(&dc, user).await;
    }

    let created = a
        .create_group_chat(&[b_id, c_id], "Trio")
        .await
        .expect("created");
    let chat_id = created.chat.id;
    a.rename_chat(chat_id, "Trio renamed")
        .await
        .expect("renamed");
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let photo = dir.join("trio.jpg");
    std::fs::write(&photo, jpeg()).expect("photo");
    a.chat_set_photo(chat_id, &photo).await.expect("photo set");
    a.chat_del_user(chat_id, c_id).await.expect("C removed");
    let link = a
        .export_chat_link(chat_id, ChatLinkOptions::default())
        .await
        .expect("a link");
    let joined = c.import_chat_link(&link.link).await.expect("C joins");
    assert_eq!(joined.chat.as_ref().map(|p| p.id), Some(chat_id));

    // B (grammers) sends the marker to the group.
    let group_peer = PeerRef::from(tl::enums::InputPeer::Chat(tl::types::InputPeerChat {
        chat_id: -chat_id,
    }));
    b.client
        .send_message(group_peer, "marker one")
        .await
        .expect("B sends");

    let members = what(&["members"]);
    let expected = vec![
        (chat_id, members.clone(), None),
        (chat_id, what(&["title"]), None),
        (chat_id, what(&["photo"]), None),
        (chat_id, members.clone(), None),
        (chat_id, members.clone(), None),
    ];
    let a_seen = until_marker(&mut a_stream, "marker one").await;
    assert_eq!(chat_updates(&a_seen), expected, "A: {a_seen:#?}");
    let c_seen = until_marker(&mut c_stream, "marker one").await;
    assert_eq!(chat_updates(&c_seen), expected, "C: {c_seen:#?}");
    // The peer carries the new values: the last title, and C back in.
    let title_update = a_seen.iter().rev().find_map(|u| match u {
        Update::ChatUpdate { peer, .. } => peer.title.clone(),
        _ => None,
    });
    assert_eq!(title_update.as_deref(), Some("Trio renamed"));

    // B's grammers stream: every service message, in order.
    let b_seen = b_actions_until(&mut b_stream, "marker one").await;
    use tl::enums::MessageAction as A;
    let kinds: Vec<&str> = b_seen
        .iter()
        .map(|a| match a {
            A::ChatCreate(_) => "create",
            A::ChatEditTitle(t) if t.title == "Trio renamed" => "title",
            A::ChatEditPhoto(_) => "photo",
            A::ChatDeleteUser(d) if d.user_id == c_id => "delete",
            A::ChatJoinedByLink(j) if j.inviter_id == a_id => "joined",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["create", "title", "photo", "delete", "joined"]);

    // The migration: both tgcmd streams say where the group went.
    let supergroup = a.migrate_chat(chat_id).await.expect("migrated");
    assert!(supergroup < -1_000_000_000_000, "{supergroup}");
    let channel_id = -1_000_000_000_000 - supergroup;
    // A's calls naming the old group now reach the supergroup.
    let sent = a.send_msg(chat_id, "after the move").await.expect("sent");
    assert_eq!(sent.chat_id, supergroup);
    let in_channel = dc
        .world()
        .lock()
        .mailboxes
        .channel_ref(channel_id)
        .map(|b| {
            b.messages
                .values()
                .any(|m| m.message.message == "after the move")
        });
    assert_eq!(in_channel, Some(true));
    {
        let state = dc.world().lock();
        let group = state.chats.group(-chat_id).expect("the old group");
        assert!(group.deactivated);
        assert_eq!(group.migrated_to, Some(channel_id));
        let channel = state.chats.channel(channel_id).expect("the supergroup");
        assert_eq!(channel.members.len(), 3);
        assert_eq!(channel.migrated_from, Some(-chat_id));
    }
    dc.send_message(b_id, PeerTarget::Channel(channel_id), "marker two")
        .expect("B writes to the supergroup");
    let migrated = vec![(chat_id, what(&["migrated"]), Some(supergroup))];
    let a_seen = until_marker(&mut a_stream, "marker two").await;
    assert_eq!(chat_updates(&a_seen), migrated, "A: {a_seen:#?}");
    let c_seen = until_marker(&mut c_stream, "marker two").await;
    assert_eq!(chat_updates(&c_seen), migrated, "C: {c_seen:#?}");
}
