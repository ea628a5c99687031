//! `info` (`peer.info()`) against the fake DC: a user in full, a basic
//! group with its members, a supergroup of over 200 members (paged
//! `channels.getParticipants`), a broadcast channel seen by a non-admin
//! (members hidden, no error), Telegram's errors by name, and bad input
//! with nothing sent. Also the fake DC's `channels.getParticipants` rules.

mod support;

use grammers_tl_types as tl;
use grammers_tl_types::Identifiable;
use serde_json::json;
use support::commands::{CommandChecks, TwoUsers, channel_chat_id, introduce_channel, request};
use tgcmd::tgl::{Peer, PeerType};

fn participants_calls(bed: &TwoUsers) -> u64 {
    bed.dc
        .world()
        .call_count(tl::functions::channels::GetParticipants::CONSTRUCTOR_ID)
}

fn ids(peer: &Peer) -> Vec<i64> {
    peer.user_list
        .as_ref()
        .expect("a user list")
        .iter()
        .map(|p| p.id)
        .collect()
}

/// `count` users added to the world, named `Member<i>`.
fn members(bed: &TwoUsers, count: usize) -> Vec<i64> {
    (0..count)
        .map(|i| {
            bed.dc.add_user(fakedc::User {
                first_name: format!("Member{i}"),
                last_name: "Crowd".into(),
                ..fakedc::User::default()
            })
        })
        .collect()
}

#[tokio::test]
async fn info_of_a_user_has_names_username_phone_status_and_bio() {
    let bed = TwoUsers::start("info_user").await;
    bed.b.status_online().await.expect("online");
    bed.dc
        .world()
        .lock()
        .users
        .get_mut(bed.b_id)
        .expect("B")
        .about = Some("Builds backends".into());

    let result = bed
        .ok(request(1, "info", json!({"chat_id": bed.b_id})))
        .await;
    assert_eq!(result["@type"], "peer");
    assert_eq!(result["type"], 1);
    assert!(
        result.get("members_hidden").is_none(),
        "unset extras stay out of the JSON: {result}"
    );
    let peer: Peer = serde_json::from_value(result).expect("a peer");
    assert_eq!(peer.id, bed.b_id);
    assert_eq!(peer.kind, PeerType::User);
    assert_eq!(peer.first_name.as_deref(), Some("Demo"));
    assert_eq!(peer.last_name.as_deref(), Some("User 2"));
    assert_eq!(peer.name, "Demo_User_2");
    assert_eq!(peer.username.as_deref(), Some("demo_user2"));
    assert_eq!(peer.phone.as_deref(), Some("15550000002"));
    assert_eq!(peer.about.as_deref(), Some("Builds backends"));
    assert!(peer.user_status.as_ref().expect("a status").online);
    assert_eq!(peer.user_list, None);

    // Typed; the account itself too.
    let me = bed.a.info(bed.a_id).await.expect("self");
    assert_eq!(me.id, bed.a_id);
    assert_eq!(me.about, None);
}

#[tokio::test]
async fn info_of_a_basic_group_lists_its_members() {
    let bed = TwoUsers::start("info_group").await;
    let group = bed.group("Team Room");
    bed.dc
        .world()
        .lock()
        .chats
        .group_mut(-group)
        .expect("the group")
        .about = "Where the team talks".into();
    let peer = bed.a.info(group).await.expect("the group");
    assert_eq!(peer.id, group);
    assert_eq!(peer.kind, PeerType::Chat);
    assert_eq!(peer.type_name, "chat");
    assert_eq!(peer.name, "Team_Room");
    assert_eq!(peer.about.as_deref(), Some("Where the team talks"));
    assert_eq!(ids(&peer), [bed.a_id, bed.b_id]);
    let list = peer.user_list.as_ref().expect("members");
    assert_eq!(list[1].name, "Demo_User_2");
    assert_eq!(list[1].kind, PeerType::User);
    assert_eq!(peer.user_list_complete, Some(true));
    assert_eq!(peer.members_count, Some(2));

    // Through JSON, B sees the same members.
    let result = bed.ok(request(2, "info", json!({"chat_id": group}))).await;
    assert_eq!(result["type"], 2);
    assert_eq!(result["user_list"].as_array().map(Vec::len), Some(2));
    assert_eq!(result["user_list"][0]["id"], bed.a_id);
    assert_eq!(result["user_list_complete"], true);
}

#[tokio::test]
async fn info_of_a_big_supergroup_pages_its_members() {
    let bed = TwoUsers::start("info_supergroup").await;
    let crowd = members(&bed, 450);
    let channel = bed.dc.add_channel(fakedc::Channel {
        title: "Big Group".into(),
        about: "Lots of people".into(),
        creator: bed.a_id,
        members: crowd.iter().copied().chain([bed.b_id]).collect(),
        ..fakedc::Channel::default()
    });
    introduce_channel(&bed.dc, &bed.b, bed.b_id, channel).await;
    let before = participants_calls(&bed);
    let peer = bed
        .b
        .info(channel_chat_id(channel))
        .await
        .expect("the supergroup");
    // 452 members (the crowd, A and B): pages of 200, 200 and 52.
    assert_eq!(participants_calls(&bed) - before, 3);
    let listed = ids(&peer);
    assert_eq!(listed.len(), 452);
    let unique: std::collections::HashSet<i64> = listed.iter().copied().collect();
    assert_eq!(unique.len(), 452, "no member twice");
    assert!(crowd.iter().all(|id| unique.contains(id)));
    assert!(unique.contains(&bed.a_id) && unique.contains(&bed.b_id));
    assert_eq!(peer.kind, PeerType::Channel);
    assert_eq!(peer.title.as_deref(), Some("Big Group"));
    assert_eq!(peer.about.as_deref(), Some("Lots of people"));
    assert_eq!(peer.members_count, Some(452));
    assert_eq!(peer.user_list_complete, Some(true));
    assert_eq!(peer.members_hidden, Some(false));
    let first = peer
        .user_list
        .as_ref()
        .and_then(|list| list.iter().find(|p| p.id == crowd[0]))
        .expect("the first of the crowd");
    assert_eq!(first.name, "Member0_Crowd");
}

#[tokio::test]
async fn a_broadcast_channel_hides_its_members_from_a_non_admin() {
    let bed = TwoUsers::start("info_broadcast").await;
    let channel = bed.dc.add_channel(fakedc::Channel {
        title: "News".into(),
        broadcast: true,
        creator: bed.b_id,
        members: [bed.a_id, bed.b_id].into_iter().collect(),
        ..fakedc::Channel::default()
    });
    introduce_channel(&bed.dc, &bed.a, bed.a_id, channel).await;
    introduce_channel(&bed.dc, &bed.b, bed.b_id, channel).await;
    let before = participants_calls(&bed);
    let result = bed
        .ok(request(
            1,
            "info",
            json!({"chat_id": channel_chat_id(channel)}),
        ))
        .await;
    assert_eq!(result["type"], 5);
    assert_eq!(result["title"], "News");
    assert_eq!(result["user_list"], json!([]));
    assert_eq!(result["members_hidden"], true);
    assert_eq!(result["user_list_complete"], false);
    assert_eq!(result["members_count"], 2);
    assert_eq!(participants_calls(&bed), before, "not asked: it would fail");

    // The creator sees them.
    let owner_view = bed.b.info(channel_chat_id(channel)).await.expect("B's");
    assert_eq!(owner_view.members_hidden, Some(false));
    let mut listed = ids(&owner_view);
    listed.sort_unstable();
    let mut both = vec![bed.a_id, bed.b_id];
    both.sort_unstable();
    assert_eq!(listed, both);
}

#[tokio::test]
async fn telegrams_errors_come_through_by_name() {
    let bed = TwoUsers::start("info_errors").await;
    // A private channel A is not in, though A's client knows it.
    let private = bed.dc.add_channel(fakedc::Channel {
        title: "Secret".into(),
        creator: bed.b_id,
        ..fakedc::Channel::default()
    });
    introduce_channel(&bed.dc, &bed.a, bed.a_id, private).await;
    let error = bed
        .error(request(
            1,
            "info",
            json!({"chat_id": channel_chat_id(private)}),
        ))
        .await;
    assert_eq!(error, "CHANNEL_PRIVATE");

    // A basic group A is not in.
    let group = bed.dc.add_basic_group(fakedc::BasicGroup {
        title: "Elsewhere".into(),
        creator: bed.b_id,
        ..fakedc::BasicGroup::default()
    });
    let error = bed.a.info(-group).await.expect_err("not a member");
    assert_eq!(error.message(), "CHAT_ID_INVALID");
    assert!(error.is_rpc("CHAT_ID_INVALID"));

    // A flood wait on getFullUser.
    let method = tl::functions::users::GetFullUser::CONSTRUCTOR_ID;
    bed.dc.faults().flood_wait(Some(method), 30, 1);
    let error = bed
        .error(request(1, "info", json!({"chat_id": bed.b_id})))
        .await;
    bed.dc.faults().clear();
    assert_eq!(error, "FLOOD_WAIT_30");
}

#[tokio::test]
async fn bad_input_is_refused_with_nothing_sent() {
    let bed = TwoUsers::start("info_bad_input").await;
    for (fields, expected) in [
        (json!({}), "chat_id is required"),
        (json!({"chat_id": null}), "chat_id is required"),
        (json!({"chat_id": 0}), "chat_id is invalid"),
        (json!({"chat_id": "x"}), "chat_id must be an integer"),
        (json!({"chat_id": 1.5}), "chat_id must be an integer"),
        // A channel the session never met: TDLib's words, nothing sent.
        (json!({"chat_id": -1_000_000_000_042_i64}), "Chat not found"),
    ] {
        bed.invalid(request(1, "info", fields), expected).await;
    }
    bed.invalid_typed(bed.a.info(0), "chat_id is invalid").await;
}

/// The first ten recent members of `channel`.
fn recent_ten(channel: tl::enums::InputChannel) -> tl::functions::channels::GetParticipants {
    tl::functions::channels::GetParticipants {
        channel,
        filter: tl::enums::ChannelParticipantsFilter::ChannelParticipantsRecent,
        offset: 0,
        limit: 10,
        hash: 0,
    }
}

/// The fake DC's `channels.getParticipants`: limit cut to 200, offsets,
/// the filters, the hash, and the broadcast rule.
#[tokio::test]
async fn the_fake_dcs_get_participants_follows_telegrams_rules() {
    let bed = TwoUsers::start("info_participants_rules").await;
    let crowd = members(&bed, 250);
    let channel = bed.dc.add_channel(fakedc::Channel {
        title: "Rules".into(),
        creator: bed.a_id,
        admins: [bed.b_id].into_iter().collect(),
        members: crowd.iter().copied().chain([bed.b_id]).collect(),
        ..fakedc::Channel::default()
    });
    let input = support::commands::input_channel_of(&bed.dc, bed.a_id, channel);
    let get = |filter, offset, limit, hash| tl::functions::channels::GetParticipants {
        channel: input.clone(),
        filter,
        offset,
        limit,
        hash,
    };
    let page = |answer: tl::enums::channels::ChannelParticipants| match answer {
        tl::enums::channels::ChannelParticipants::Participants(p) => p,
        other => panic!("a page, not {other:?}"),
    };
    use tl::enums::ChannelParticipantsFilter as F;
    let first = page(
        bed.a
            .invoke(&get(F::ChannelParticipantsRecent, 0, 500, 0))
            .await
            .expect("a page"),
    );
    assert_eq!(first.count, 252);
    assert_eq!(first.participants.len(), 200, "the limit is cut to 200");
    assert_eq!(first.users.len(), 200);
    let last = page(
        bed.a
            .invoke(&get(F::ChannelParticipantsRecent, 200, 200, 0))
            .await
            .expect("the rest"),
    );
    assert_eq!(last.participants.len(), 52);

    let admins = page(
        bed.a
            .invoke(&get(F::ChannelParticipantsAdmins, 0, 200, 0))
            .await
            .expect("admins"),
    );
    assert_eq!(admins.count, 2);
    assert!(matches!(
        admins.participants[0],
        tl::enums::ChannelParticipant::Creator(ref c) if c.user_id == bed.a_id
    ));
    assert!(matches!(
        admins.participants[1],
        tl::enums::ChannelParticipant::Admin(ref a) if a.user_id == bed.b_id
    ));

    let search = page(
        bed.a
            .invoke(&get(
                F::ChannelParticipantsSearch(tl::types::ChannelParticipantsSearch {
                    q: "member24".into(),
                }),
                0,
                200,
                0,
            ))
            .await
            .expect("search"),
    );
    // Member24 and Member240..Member249.
    assert_eq!(search.count, 11);

    // The same page again with its hash: not modified.
    let ids: Vec<i64> = admins
        .participants
        .iter()
        .map(|p| match p {
            tl::enums::ChannelParticipant::Creator(c) => c.user_id,
            tl::enums::ChannelParticipant::Admin(a) => a.user_id,
            _ => 0,
        })
        .collect();
    let hash = fakedc::world::dialogs::combine_hash(ids);
    let again = bed
        .a
        .invoke(&get(F::ChannelParticipantsAdmins, 0, 200, hash))
        .await
        .expect("not modified");
    assert!(matches!(
        again,
        tl::enums::channels::ChannelParticipants::NotModified
    ));

    // A broadcast channel's members are for admins only.
    let news = bed.dc.add_channel(fakedc::Channel {
        title: "News".into(),
        broadcast: true,
        creator: bed.b_id,
        members: [bed.a_id, bed.b_id].into_iter().collect(),
        ..fakedc::Channel::default()
    });
    let news_input = support::commands::input_channel_of(&bed.dc, bed.a_id, news);
    let refused = bed
        .a
        .invoke(&recent_ten(news_input))
        .await
        .expect_err("not an admin");
    assert!(refused.is_rpc("CHAT_ADMIN_REQUIRED"), "{refused:?}");

    // A wrong access hash.
    let wrong = bed
        .a
        .invoke(&recent_ten(
            tl::types::InputChannel {
                channel_id: channel,
                access_hash: 1,
            }
            .into(),
        ))
        .await
        .expect_err("a wrong hash");
    assert!(wrong.is_rpc("CHANNEL_INVALID"), "{wrong:?}");
}
