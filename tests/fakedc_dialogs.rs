//! The dialog list of the fake DC through stock grammers 0.11 clients:
//! `messages.getDialogs` order and paging (every dialog exactly once, the
//! total in each slice), pinned dialogs first, the archive, the
//! not-modified answer for an equal hash, `getPeerDialogs` with unread
//! counts and read maxima after `readHistory`, and Telegram's errors.

#[path = "support/grammers.rs"]
mod grammers_support;
#[path = "support/people.rs"]
mod people;

use fakedc::world::dialogs::{dialogs_hash, marked_id};
use fakedc::{BasicGroup, Channel, FakeDc, PeerTarget};
use grammers_client::tl;
use people::{Person, assert_error, channel_peer, cluster, person, user_peer};

fn marked(peer: PeerTarget) -> i64 {
    marked_id(&peer.to_tl())
}

/// How `viewer` names `peer` in a request.
fn input_peer(dc: &FakeDc, viewer: i64, peer: &tl::enums::Peer) -> tl::enums::InputPeer {
    match peer {
        tl::enums::Peer::User(u) => user_peer(dc, viewer, u.user_id),
        tl::enums::Peer::Chat(c) => tl::types::InputPeerChat { chat_id: c.chat_id }.into(),
        tl::enums::Peer::Channel(c) => channel_peer(dc, viewer, c.channel_id),
    }
}

fn get_dialogs(limit: i32) -> tl::functions::messages::GetDialogs {
    tl::functions::messages::GetDialogs {
        exclude_pinned: false,
        folder_id: None,
        offset_date: 0,
        offset_id: 0,
        offset_peer: tl::enums::InputPeer::Empty,
        limit,
        hash: 0,
    }
}

fn dialog_peer(peer: tl::enums::InputPeer) -> tl::enums::InputDialogPeer {
    tl::types::InputDialogPeer { peer }.into()
}

fn plain(dialog: &tl::enums::Dialog) -> &tl::types::Dialog {
    match dialog {
        tl::enums::Dialog::Dialog(d) => d,
        other => panic!("expected a dialog, got {other:?}"),
    }
}

/// The dialogs, messages and (for slices) the count of an answer.
fn parts(
    answer: tl::enums::messages::Dialogs,
) -> (Vec<tl::enums::Dialog>, Vec<tl::enums::Message>, Option<i32>) {
    match answer {
        tl::enums::messages::Dialogs::Dialogs(d) => (d.dialogs, d.messages, None),
        tl::enums::messages::Dialogs::Slice(d) => (d.dialogs, d.messages, Some(d.count)),
        other => panic!("expected dialogs, got {other:?}"),
    }
}

fn message_text(messages: &[tl::enums::Message], dialog: &tl::types::Dialog) -> Option<String> {
    messages.iter().find_map(|m| match m {
        tl::enums::Message::Message(m)
            if m.id == dialog.top_message && m.peer_id == dialog.peer =>
        {
            Some(m.message.clone())
        }
        _ => None,
    })
}

fn message_date(messages: &[tl::enums::Message], dialog: &tl::types::Dialog) -> i32 {
    messages
        .iter()
        .find_map(|m| match m {
            tl::enums::Message::Message(m)
                if m.id == dialog.top_message && m.peer_id == dialog.peer =>
            {
                Some(m.date)
            }
            _ => None,
        })
        .expect("the top message comes along")
}

/// 23 groups, a private chat, a channel and Saved Messages, each with one
/// message, sent in that order; returns the marked ids newest first.
fn seed(dc: &FakeDc, a: i64, b: i64, c: i64) -> Vec<i64> {
    let mut sent = Vec::new();
    for i in 0..23 {
        let group = dc.add_basic_group(BasicGroup {
            title: format!("g{i}"),
            creator: a,
            ..BasicGroup::default()
        });
        dc.send_message(a, PeerTarget::Chat(group), &format!("in g{i}"))
            .expect("sent");
        sent.push(PeerTarget::Chat(group));
    }
    dc.send_message(b, PeerTarget::User(a), "from b")
        .expect("sent");
    sent.push(PeerTarget::User(b));
    let channel = dc.add_channel(Channel {
        title: "News".into(),
        broadcast: true,
        creator: c,
        members: [a, c].into(),
        ..Channel::default()
    });
    dc.send_message(c, PeerTarget::Channel(channel), "post")
        .expect("posted");
    sent.push(PeerTarget::Channel(channel));
    dc.send_message(a, PeerTarget::User(a), "note")
        .expect("saved");
    sent.push(PeerTarget::User(a));
    sent.into_iter().rev().map(marked).collect()
}

/// Pages through the main list `limit` at a time, as grammers does
/// (offsets from the last dialog, `exclude_pinned` after the first page).
async fn page_through(dc: &FakeDc, person: &Person, limit: i32) -> (Vec<i64>, Vec<Option<i32>>) {
    let mut request = get_dialogs(limit);
    let mut seen = Vec::new();
    let mut counts = Vec::new();
    loop {
        let answer = person.client.invoke(&request).await.expect("getDialogs");
        let (dialogs, messages, count) = parts(answer);
        assert!(
            dialogs.len() <= limit as usize,
            "a page holds at most limit"
        );
        counts.push(count);
        let Some(last) = dialogs.last().map(plain) else {
            break;
        };
        seen.extend(dialogs.iter().map(|d| marked_id(&plain(d).peer)));
        if count.is_none() {
            break;
        }
        request.exclude_pinned = true;
        request.offset_date = message_date(&messages, last);
        request.offset_id = last.top_message;
        request.offset_peer = input_peer(dc, person.user_id, &last.peer);
    }
    (seen, counts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_returns_every_dialog_once_newest_first() {
    let dc = cluster(3).await;
    let a = person(&dc, 0).await;
    let (b, c) = (dc.users()[1].user_id, dc.users()[2].user_id);
    let expected = seed(&dc, a.user_id, b, c);
    assert_eq!(expected.len(), 26);

    let (seen, counts) = page_through(&dc, &a, 5).await;
    assert_eq!(seen, expected);
    // Six slices of 5 (the last one short, then an empty one), each with the total.
    assert!(counts.iter().all(|&c| c == Some(26)), "{counts:?}");
    assert_eq!(counts.len(), 7);

    // Everything fits: `messages.dialogs`, with each top message resolved.
    let all = a
        .client
        .invoke(&get_dialogs(100))
        .await
        .expect("getDialogs");
    let tl::enums::messages::Dialogs::Dialogs(all) = all else {
        panic!("expected messages.dialogs, got {all:?}");
    };
    assert_eq!(all.dialogs.len(), 26);
    let first = plain(&all.dialogs[0]);
    assert_eq!(message_text(&all.messages, first).as_deref(), Some("note"));
    let channel = plain(&all.dialogs[1]);
    assert!(channel.pts.is_some(), "channel dialogs carry their pts");
    assert_eq!(
        message_text(&all.messages, channel).as_deref(),
        Some("post")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinned_dialogs_come_first_in_pinned_order() {
    let dc = cluster(3).await;
    let a = person(&dc, 0).await;
    let (b, c) = (dc.users()[1].user_id, dc.users()[2].user_id);
    let expected = seed(&dc, a.user_id, b, c);
    let oldest_group = *expected.last().expect("dialogs");
    let pin = |peer: tl::enums::InputPeer, pinned: bool| tl::functions::messages::ToggleDialogPin {
        pinned,
        peer: dialog_peer(peer),
    };
    a.client
        .invoke(&pin(user_peer(&dc, a.user_id, b), true))
        .await
        .expect("pin b");
    let group_peer: tl::enums::InputPeer = tl::types::InputPeerChat {
        chat_id: -oldest_group,
    }
    .into();
    a.client
        .invoke(&pin(group_peer.clone(), true))
        .await
        .expect("pin the oldest group");
    // The newest pin goes on top.
    let pinned_first = [oldest_group, marked(PeerTarget::User(b))];
    let mut order = pinned_first.to_vec();
    order.extend(expected.iter().filter(|id| !pinned_first.contains(id)));

    // Stock grammers sees them first, then the rest, each exactly once.
    let mut dialogs = a.client.iter_dialogs();
    let mut seen = Vec::new();
    let mut pinned = Vec::new();
    let mut first_text = None;
    while let Some(dialog) = dialogs.next().await.expect("iter_dialogs") {
        let raw = plain(&dialog.raw);
        seen.push(marked_id(&raw.peer));
        pinned.push(raw.pinned);
        if first_text.is_none() {
            first_text = dialog.last_message.as_ref().map(|m| m.text().to_string());
        }
    }
    assert_eq!(seen, order);
    assert_eq!(&pinned[..3], [true, true, false]);
    assert_eq!(first_text.as_deref(), Some("in g0"));

    // Paging with small pages keeps them once too.
    let (paged, _) = page_through(&dc, &a, 4).await;
    assert_eq!(paged, order);

    // exclude_pinned leaves them out.
    let mut request = get_dialogs(3);
    request.exclude_pinned = true;
    let (dialogs, _, count) = parts(a.client.invoke(&request).await.expect("getDialogs"));
    assert_eq!(count, Some(26));
    assert_eq!(marked_id(&plain(&dialogs[0]).peer), order[2]);

    // getPinnedDialogs has them in order; unpinning takes one off.
    let pinned = a
        .client
        .invoke(&tl::functions::messages::GetPinnedDialogs { folder_id: 0 })
        .await
        .expect("getPinnedDialogs");
    let tl::enums::messages::PeerDialogs::Dialogs(pinned) = pinned;
    let ids: Vec<i64> = pinned
        .dialogs
        .iter()
        .map(|d| marked_id(&plain(d).peer))
        .collect();
    assert_eq!(ids, order[..2]);
    a.client
        .invoke(&pin(group_peer, false))
        .await
        .expect("unpin");
    let (dialogs, _, _) = parts(a.client.invoke(&get_dialogs(1)).await.expect("getDialogs"));
    assert_eq!(marked_id(&plain(&dialogs[0]).peer), order[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equal_hash_is_not_modified() {
    let dc = cluster(3).await;
    let a = person(&dc, 0).await;
    let (b, c) = (dc.users()[1].user_id, dc.users()[2].user_id);
    seed(&dc, a.user_id, b, c);
    let (dialogs, messages, _) = parts(a.client.invoke(&get_dialogs(100)).await.expect("dialogs"));
    let hash = dialogs_hash(&dialogs, &messages);
    assert_ne!(hash, 0);
    let mut request = get_dialogs(100);
    request.hash = hash;
    let again = a.client.invoke(&request).await.expect("getDialogs");
    assert!(
        matches!(again, tl::enums::messages::Dialogs::NotModified(ref n) if n.count == 26),
        "{again:?}"
    );
    // A new message changes the list: the full answer again, b on top.
    dc.send_message(b, PeerTarget::User(a.user_id), "again")
        .expect("sent");
    let changed = a.client.invoke(&request).await.expect("getDialogs");
    let (dialogs, messages, _) = parts(changed);
    assert_eq!(marked_id(&plain(&dialogs[0]).peer), b);
    assert_eq!(
        message_text(&messages, plain(&dialogs[0])).as_deref(),
        Some("again")
    );
    assert_ne!(dialogs_hash(&dialogs, &messages), hash);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_dialogs_show_unread_counts_and_read_maxima() {
    let dc = cluster(2).await;
    let a = person(&dc, 0).await;
    let b = person(&dc, 1).await;
    let mut b_ids = Vec::new();
    for text in ["one", "two", "three"] {
        b_ids.push(
            dc.send_message(b.user_id, PeerTarget::User(a.user_id), text)
                .expect("sent"),
        );
    }
    let peer_dialogs = |viewer: &Person, of: i64| {
        let request = tl::functions::messages::GetPeerDialogs {
            peers: vec![dialog_peer(user_peer(&dc, viewer.user_id, of))],
        };
        let client = viewer.client.clone();
        async move {
            let tl::enums::messages::PeerDialogs::Dialogs(d) =
                client.invoke(&request).await.expect("getPeerDialogs");
            d
        }
    };
    let before = peer_dialogs(&a, b.user_id).await;
    let dialog = plain(&before.dialogs[0]).clone();
    assert_eq!(dialog.unread_count, 3);
    assert_eq!(dialog.read_inbox_max_id, 0);
    assert_eq!(
        message_text(&before.messages, &dialog).as_deref(),
        Some("three")
    );
    assert!(
        dialog.pts.is_none(),
        "private chats have no pts of their own"
    );
    let tl::enums::updates::State::State(state) = a
        .client
        .invoke(&tl::functions::updates::GetState {})
        .await
        .expect("getState");
    let tl::enums::updates::State::State(carried) = &before.state;
    assert_eq!(carried.pts, state.pts);
    assert_eq!(carried.unread_count, 3);

    // A reads up to the second message.
    a.client
        .invoke(&tl::functions::messages::ReadHistory {
            peer: user_peer(&dc, a.user_id, b.user_id),
            max_id: dialog.top_message - 1,
        })
        .await
        .expect("readHistory");
    let after = peer_dialogs(&a, b.user_id).await;
    let read = plain(&after.dialogs[0]);
    assert_eq!(read.unread_count, 1);
    assert_eq!(read.read_inbox_max_id, dialog.top_message - 1);
    // B sees its second message read, by its own id.
    let theirs = peer_dialogs(&b, a.user_id).await;
    let theirs = plain(&theirs.dialogs[0]);
    assert_eq!(theirs.read_outbox_max_id, b_ids[1]);
    assert_eq!(theirs.unread_count, 0);
    assert_eq!(theirs.top_message, b_ids[2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_archive_and_telegrams_errors() {
    let dc = cluster(3).await;
    let a = person(&dc, 0).await;
    let (b, c) = (dc.users()[1].user_id, dc.users()[2].user_id);
    let expected = seed(&dc, a.user_id, b, c);

    // Archiving b's chat moves it out of the main list.
    let archive = tl::functions::folders::EditPeerFolders {
        folder_peers: vec![
            tl::types::InputFolderPeer {
                peer: user_peer(&dc, a.user_id, b),
                folder_id: 1,
            }
            .into(),
        ],
    };
    let answer = a.client.invoke(&archive).await.expect("editPeerFolders");
    assert!(
        matches!(&answer, tl::enums::Updates::Updates(u)
            if matches!(u.updates.as_slice(), [tl::enums::Update::FolderPeers(f)] if f.pts_count == 1)),
        "{answer:?}"
    );
    let (main, _, _) = parts(a.client.invoke(&get_dialogs(100)).await.expect("dialogs"));
    assert_eq!(main.len(), 25);
    assert!(main.iter().all(|d| marked_id(&plain(d).peer) != b));
    let mut request = get_dialogs(100);
    request.folder_id = Some(1);
    let (archived, _, _) = parts(a.client.invoke(&request).await.expect("archive"));
    assert_eq!(archived.len(), 1);
    assert_eq!(marked_id(&plain(&archived[0]).peer), b);
    assert_eq!(plain(&archived[0]).folder_id, Some(1));
    request.folder_id = Some(2);
    assert_error(a.client.invoke(&request).await, "FOLDER_ID_INVALID");

    // Five pins at most in the main list.
    for &group in &expected[3..8] {
        a.client
            .invoke(&tl::functions::messages::ToggleDialogPin {
                pinned: true,
                peer: dialog_peer(tl::types::InputPeerChat { chat_id: -group }.into()),
            })
            .await
            .expect("pin");
    }
    let sixth = tl::functions::messages::ToggleDialogPin {
        pinned: true,
        peer: dialog_peer(
            tl::types::InputPeerChat {
                chat_id: -expected[9],
            }
            .into(),
        ),
    };
    assert_error(a.client.invoke(&sixth).await, "PINNED_DIALOGS_TOO_MUCH");

    // Unknown peers are PEER_ID_INVALID, like Telegram.
    let bad_hash: tl::enums::InputPeer = tl::types::InputPeerUser {
        user_id: b,
        access_hash: 1,
    }
    .into();
    let request = |peer| tl::functions::messages::GetPeerDialogs {
        peers: vec![dialog_peer(peer)],
    };
    assert_error(a.client.invoke(&request(bad_hash)).await, "PEER_ID_INVALID");
    assert_error(
        a.client.invoke(&request(tl::enums::InputPeer::Empty)).await,
        "PEER_ID_INVALID",
    );
    assert_error(
        a.client
            .invoke(&request(
                tl::types::InputPeerChat { chat_id: 424242 }.into(),
            ))
            .await,
        "PEER_ID_INVALID",
    );
    // No dialog with c yet: nothing to pin.
    let pin_c = tl::functions::messages::ToggleDialogPin {
        pinned: true,
        peer: dialog_peer(user_peer(&dc, a.user_id, c)),
    };
    assert_error(a.client.invoke(&pin_c).await, "PEER_ID_INVALID");
}
