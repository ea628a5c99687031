//! The messages API of the fake DC called raw through a stock grammers
//! client: the answer shapes of `sendMessage`, `sendMedia` and
//! `forwardMessages` per peer kind, history paging, search, read state and
//! Telegram's error names.

#[path = "support/grammers.rs"]
mod grammers_support;
#[path = "support/people.rs"]
mod people;

use fakedc::{BasicGroup, Channel, FakeDc, PeerTarget, world::GroupMember};
use grammers_client::tl;
use people::{Person, assert_error, channel_peer, cluster, input_channel, person, user_peer};

fn send_message(
    peer: tl::enums::InputPeer,
    text: &str,
    random_id: i64,
) -> tl::functions::messages::SendMessage {
    tl::functions::messages::SendMessage {
        no_webpage: false,
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer,
        reply_to: None,
        message: text.into(),
        random_id,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
        rich_message: None,
    }
}

fn history(
    peer: tl::enums::InputPeer,
    offset_id: i32,
    add_offset: i32,
    limit: i32,
) -> tl::functions::messages::GetHistory {
    tl::functions::messages::GetHistory {
        peer,
        offset_id,
        offset_date: 0,
        add_offset,
        limit,
        max_id: 0,
        min_id: 0,
        hash: 0,
    }
}

fn ids(messages: &[tl::enums::Message]) -> Vec<i32> {
    messages
        .iter()
        .map(|m| match m {
            tl::enums::Message::Message(m) => m.id,
            other => panic!("expected a message, got {other:?}"),
        })
        .collect()
}

async fn group_of(dc: &FakeDc, a: &Person, b: i64) -> i64 {
    dc.add_basic_group(BasicGroup {
        title: "Group".into(),
        creator: a.user_id,
        members: vec![GroupMember {
            user_id: b,
            inviter_id: a.user_id,
            date: 0,
            admin: false,
        }],
        ..BasicGroup::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_message_answers_as_telegram_per_peer_kind() {
    let dc = cluster(2).await;
    let a = person(&dc, 0).await;
    let b = dc.users()[1].user_id;
    let private = a
        .client
        .invoke(&send_message(user_peer(&dc, a.user_id, b), "hi", 1))
        .await
        .expect("private");
    assert!(
        matches!(private, tl::enums::Updates::UpdateShortSentMessage(ref s) if s.out && s.id == 1 && s.pts_count == 1),
        "{private:?}"
    );
    let group = group_of(&dc, &a, b).await;
    let in_group = a
        .client
        .invoke(&send_message(
            tl::types::InputPeerChat { chat_id: group }.into(),
            "hi all",
            2,
        ))
        .await
        .expect("group");
    assert!(matches!(in_group, tl::enums::Updates::UpdateShortSentMessage(ref s) if s.id == 2));

    let channel = dc.add_channel(Channel {
        title: "Channel".into(),
        creator: a.user_id,
        members: [a.user_id, b].into(),
        broadcast: true,
        ..Channel::default()
    });
    let posted = a
        .client
        .invoke(&send_message(
            channel_peer(&dc, a.user_id, channel),
            "post",
            77,
        ))
        .await
        .expect("channel");
    let tl::enums::Updates::Updates(posted) = posted else {
        panic!("expected updates, got {posted:?}");
    };
    assert!(
        matches!(
            posted.updates.as_slice(),
            [
                tl::enums::Update::MessageId(m),
                tl::enums::Update::NewChannelMessage(n),
            ] if m.random_id == 77 && m.id == 1 && n.pts_count == 1
        ),
        "{:?}",
        posted.updates
    );
    assert_eq!(posted.seq, 0);
    assert_eq!(posted.chats.len(), 1);

    // A link to the known page gets its preview, also in the short answer.
    let with_link = a
        .client
        .invoke(&send_message(
            user_peer(&dc, a.user_id, b),
            "see https://example.com/",
            3,
        ))
        .await
        .expect("link");
    assert!(matches!(
        with_link,
        tl::enums::Updates::UpdateShortSentMessage(ref s) if matches!(s.media, Some(tl::enums::MessageMedia::WebPage(_)))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_media_and_forward_answer_updates() {
    let dc = cluster(2).await;
    let a = person(&dc, 0).await;
    let b = dc.users()[1].user_id;
    let geo = tl::functions::messages::SendMedia {
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer: user_peer(&dc, a.user_id, b),
        reply_to: None,
        media: tl::types::InputMediaGeoPoint {
            geo_point: tl::types::InputGeoPoint {
                lat: 52.5,
                long: 13.4,
                accuracy_radius: None,
            }
            .into(),
        }
        .into(),
        message: String::new(),
        random_id: 5,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
    };
    let sent = a.client.invoke(&geo).await.expect("sendMedia");
    let tl::enums::Updates::Updates(sent) = sent else {
        panic!("expected updates, got {sent:?}");
    };
    assert!(
        matches!(
            sent.updates.as_slice(),
            [tl::enums::Update::MessageId(m), tl::enums::Update::NewMessage(n)]
                if m.random_id == 5 && matches!(&n.message, tl::enums::Message::Message(msg) if matches!(msg.media, Some(tl::enums::MessageMedia::Geo(_))))
        ),
        "{:?}",
        sent.updates
    );
    assert_eq!(sent.seq, 1, "the first container of A's box");

    let text_id = dc
        .send_message(b, PeerTarget::User(a.user_id), "forward me")
        .expect("sent");
    let _ = text_id;
    let forwarded = a
        .client
        .invoke(&tl::functions::messages::ForwardMessages {
            silent: false,
            background: false,
            with_my_score: false,
            drop_author: false,
            drop_media_captions: false,
            noforwards: false,
            allow_paid_floodskip: false,
            from_ephemeral: false,
            from_peer: user_peer(&dc, a.user_id, b),
            id: vec![2],
            random_id: vec![9],
            to_peer: tl::enums::InputPeer::PeerSelf,
            top_msg_id: None,
            reply_to: None,
            schedule_date: None,
            schedule_repeat_period: None,
            send_as: None,
            quick_reply_shortcut: None,
            effect: None,
            video_timestamp: None,
            allow_paid_stars: None,
            suggested_post: None,
        })
        .await
        .expect("forward");
    let tl::enums::Updates::Updates(forwarded) = forwarded else {
        panic!("expected updates, got {forwarded:?}");
    };
    let Some(tl::enums::Update::NewMessage(new)) = forwarded.updates.get(1) else {
        panic!("{:?}", forwarded.updates);
    };
    let tl::enums::Message::Message(copy) = &new.message else {
        panic!("a message");
    };
    assert_eq!(copy.message, "forward me");
    let Some(tl::enums::MessageFwdHeader::Header(header)) = &copy.fwd_from else {
        panic!("a forward header");
    };
    assert_eq!(
        header.from_id,
        Some(tl::types::PeerUser { user_id: b }.into())
    );
    assert_eq!(forwarded.seq, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_like_telegram() {
    let dc = cluster(2).await;
    let a = person(&dc, 0).await;
    let b = dc.users()[1].user_id;
    for i in 0..150 {
        dc.send_message(b, PeerTarget::User(a.user_id), &format!("m{i}"))
            .expect("sent");
    }
    let peer = user_peer(&dc, a.user_id, b);
    let first = a
        .client
        .invoke(&history(peer.clone(), 0, 0, 500))
        .await
        .expect("history");
    let tl::enums::messages::Messages::Slice(first) = first else {
        panic!("expected a slice, got {first:?}");
    };
    assert_eq!(first.count, 150);
    assert_eq!(ids(&first.messages), (51..=150).rev().collect::<Vec<_>>());
    let older = a
        .client
        .invoke(&history(peer.clone(), 51, 0, 100))
        .await
        .expect("history");
    let tl::enums::messages::Messages::Slice(older) = older else {
        panic!("expected a slice, got {older:?}");
    };
    assert_eq!(ids(&older.messages), (1..=50).rev().collect::<Vec<_>>());
    // A negative add_offset reaches newer messages around the offset.
    let around = a
        .client
        .invoke(&history(peer.clone(), 100, -2, 4))
        .await
        .expect("history");
    assert_eq!(ids(around_messages(&around)), [101, 100, 99, 98]);

    let search = a
        .client
        .invoke(&tl::functions::messages::Search {
            peer: peer.clone(),
            q: "M14".into(),
            from_id: None,
            saved_peer_id: None,
            saved_reaction: None,
            top_msg_id: None,
            filter: tl::enums::MessagesFilter::InputMessagesFilterEmpty,
            min_date: 0,
            max_date: 0,
            offset_id: 0,
            add_offset: 0,
            limit: 5,
            max_id: 0,
            min_id: 0,
            hash: 0,
        })
        .await
        .expect("search");
    let tl::enums::messages::Messages::Slice(search) = search else {
        panic!("expected a slice, got {search:?}");
    };
    // m14 and m140..m149.
    assert_eq!(search.count, 11);
    assert_eq!(ids(&search.messages), [150, 149, 148, 147, 146]);

    let read = a
        .client
        .invoke(&tl::functions::messages::ReadHistory { peer, max_id: 100 })
        .await
        .expect("read");
    let tl::enums::messages::AffectedMessages::Messages(read) = read;
    assert_eq!(read.pts_count, 1);
    let box_state = dc
        .world()
        .lock()
        .mailboxes
        .user(a.user_id)
        .unread_count(PeerTarget::User(b));
    assert_eq!(box_state, 50);
}

fn around_messages(messages: &tl::enums::messages::Messages) -> &[tl::enums::Message] {
    match messages {
        tl::enums::messages::Messages::Messages(m) => &m.messages,
        tl::enums::messages::Messages::Slice(m) => &m.messages,
        tl::enums::messages::Messages::ChannelMessages(m) => &m.messages,
        tl::enums::messages::Messages::NotModified(_) => &[],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_keep_telegrams_names() {
    let dc = cluster(2).await;
    let a = person(&dc, 0).await;
    let b = dc.users()[1].user_id;
    let to_b = user_peer(&dc, a.user_id, b);
    assert_error(
        a.client.invoke(&send_message(to_b.clone(), "  ", 1)).await,
        "MESSAGE_EMPTY",
    );
    assert_error(
        a.client
            .invoke(&send_message(to_b.clone(), &"x".repeat(4097), 1))
            .await,
        "MESSAGE_TOO_LONG",
    );
    let wrong_hash = tl::types::InputPeerUser {
        user_id: b,
        access_hash: 1,
    };
    assert_error(
        a.client
            .invoke(&send_message(wrong_hash.into(), "hi", 1))
            .await,
        "USER_ID_INVALID",
    );
    assert_error(
        a.client
            .invoke(&send_message(
                tl::types::InputPeerChat { chat_id: 99 }.into(),
                "hi",
                1,
            ))
            .await,
        "PEER_ID_INVALID",
    );
    let private = dc.add_channel(Channel {
        title: "Private".into(),
        creator: b,
        ..Channel::default()
    });
    assert_error(
        a.client
            .invoke(&send_message(
                channel_peer(&dc, a.user_id, private),
                "hi",
                1,
            ))
            .await,
        "CHANNEL_PRIVATE",
    );
    let broadcast = dc.add_channel(Channel {
        title: "Broadcast".into(),
        creator: b,
        members: [a.user_id, b].into(),
        broadcast: true,
        ..Channel::default()
    });
    assert_error(
        a.client
            .invoke(&send_message(
                channel_peer(&dc, a.user_id, broadcast),
                "hi",
                1,
            ))
            .await,
        "CHAT_ADMIN_REQUIRED",
    );
    assert_error(
        a.client
            .invoke(&tl::functions::channels::DeleteMessages {
                channel: input_channel(&dc, a.user_id, 1_999_999_999),
                id: vec![1],
            })
            .await,
        "CHANNEL_INVALID",
    );
    let forward_missing = tl::functions::messages::ForwardMessages {
        silent: false,
        background: false,
        with_my_score: false,
        drop_author: false,
        drop_media_captions: false,
        noforwards: false,
        allow_paid_floodskip: false,
        from_ephemeral: false,
        from_peer: to_b.clone(),
        id: vec![42],
        random_id: vec![1],
        to_peer: tl::enums::InputPeer::PeerSelf,
        top_msg_id: None,
        reply_to: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        video_timestamp: None,
        allow_paid_stars: None,
        suggested_post: None,
    };
    assert_error(
        a.client.invoke(&forward_missing).await,
        "MESSAGE_ID_INVALID",
    );

    // A reply to a message that does not exist is sent without the reply, as on Telegram.
    let mut reply = send_message(to_b, "replying", 2);
    reply.reply_to = Some(
        tl::types::InputReplyToMessage {
            reply_to_msg_id: 12345,
            top_msg_id: None,
            reply_to_peer_id: None,
            quote_text: None,
            quote_entities: None,
            quote_offset: None,
            monoforum_peer_id: None,
            todo_item_id: None,
            poll_option: None,
        }
        .into(),
    );
    let sent = a
        .client
        .invoke(&reply)
        .await
        .expect("sent without the reply");
    assert!(matches!(
        sent,
        tl::enums::Updates::UpdateShortSentMessage(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_hold_every_other_seeded_user() {
    let dc = cluster(3).await;
    let b = person(&dc, 1).await;
    let contacts = b
        .client
        .invoke(&tl::functions::contacts::GetContacts { hash: 0 })
        .await
        .expect("getContacts");
    let tl::enums::contacts::Contacts::Contacts(contacts) = contacts else {
        panic!("expected contacts, got {contacts:?}");
    };
    let mut ids: Vec<i64> = contacts
        .users
        .iter()
        .map(|u| match u {
            tl::enums::User::User(u) => {
                assert_eq!(u.access_hash, Some(dc.world().access_hash(b.user_id, u.id)));
                assert!(u.mutual_contact);
                u.id
            }
            other => panic!("{other:?}"),
        })
        .collect();
    ids.sort_unstable();
    let mut expected = vec![dc.users()[0].user_id, dc.users()[2].user_id];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    assert_eq!(dc.users()[2].phone, "15550000003");
}
