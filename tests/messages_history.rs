//! `get_history`, `msg_search` and `msg_global_search` against a fake DC
//! with two users: paging past Telegram's 100 per call, `offset`, read
//! state, and search within one chat and across chats.

mod support;

use fakedc::PeerTarget;
use grammers_tl_types::{self as tl, Identifiable};
use serde_json::json;
use support::commands::{CommandChecks, TwoUsers, channel_chat_id, request};
use tgcmd::commands::history::{MAX_SEARCH_RESULTS, PAGE};

/// How often the fake DC has served `R` so far.
fn calls<R: Identifiable>(t: &TwoUsers) -> u64 {
    t.dc.world().call_count(R::CONSTRUCTOR_ID)
}

/// B writes `texts` to `to`, in order.
fn b_writes(t: &TwoUsers, to: PeerTarget, texts: impl IntoIterator<Item = String>) {
    for text in texts {
        t.dc.send_message(t.b_id, to, &text).expect("B writes");
    }
}

fn texts(msgs: &[tgcmd::tgl::Msg]) -> Vec<String> {
    msgs.iter()
        .map(|m| m.text.clone().unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_history_pages_past_a_hundred_newest_first() {
    let t = TwoUsers::start("get_history_paging").await;
    b_writes(
        &t,
        PeerTarget::User(t.a_id),
        (0..250).map(|i| format!("m{i}")),
    );

    let before = calls::<tl::functions::messages::GetHistory>(&t);
    let all = t.a.get_history(t.b_id, 0, 250).await.expect("history");
    assert_eq!(
        calls::<tl::functions::messages::GetHistory>(&t) - before,
        250_u64.div_ceil(PAGE as u64),
        "one call per page of {PAGE}"
    );
    let expected: Vec<String> = (0..250).rev().map(|i| format!("m{i}")).collect();
    assert_eq!(texts(&all), expected);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert!(
        all.iter()
            .all(|m| m.chat_id == t.b_id && !m.out && m.unread)
    );
    assert!(
        all.iter()
            .all(|m| m.src.as_ref().map(|p| p.id) == Some(t.b_id))
    );

    // Asking for more than there is returns what there is.
    let more = t.a.get_history(t.b_id, 0, 400).await.expect("history");
    assert_eq!(more.len(), 250);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_history_skips_offset_messages() {
    let t = TwoUsers::start("get_history_offset").await;
    b_writes(
        &t,
        PeerTarget::User(t.a_id),
        (0..150).map(|i| format!("m{i}")),
    );
    let page = t
        .ok(request(
            1,
            "get_history",
            json!({"chat_id": t.b_id, "offset": 10, "limit": 5}),
        ))
        .await;
    let got: Vec<&str> = page
        .as_array()
        .expect("a list")
        .iter()
        .map(|m| m["text"].as_str().expect("text"))
        .collect();
    assert_eq!(got, ["m139", "m138", "m137", "m136", "m135"]);
    assert!(
        page.as_array()
            .expect("list")
            .iter()
            .all(|m| m["@type"] == "msg")
    );

    // An offset that crosses a page boundary and a limit past 100.
    let deep = t.a.get_history(t.b_id, 95, 120).await.expect("history");
    let expected: Vec<String> = (0..55).rev().map(|i| format!("m{i}")).collect();
    assert_eq!(texts(&deep), expected, "150 - 95 = 55 messages are left");

    // An offset past the end is an empty list, not an error.
    let none = t.a.get_history(t.b_id, 500, 10).await.expect("history");
    assert!(none.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_history_of_groups_and_supergroups() {
    let t = TwoUsers::start("get_history_groups").await;
    let group = t.group("History group");
    let channel = t.supergroup("History supergroup").await;
    let supergroup = channel_chat_id(channel);
    b_writes(&t, PeerTarget::Chat(-group), ["g1".into(), "g2".into()]);
    t.a.send_msg(group, "g3").await.expect("A writes");
    b_writes(&t, PeerTarget::Channel(channel), ["s1".into()]);
    t.a.send_msg(supergroup, "s2").await.expect("A writes");

    let in_group = t.a.get_history(group, 0, 10).await.expect("history");
    assert_eq!(texts(&in_group), ["g3", "g2", "g1"]);
    assert!(in_group[0].out && !in_group[1].out);
    assert!(
        in_group
            .iter()
            .all(|m| m.chat_id == group && m.dest.id == group)
    );
    let in_supergroup = t.a.get_history(supergroup, 0, 10).await.expect("history");
    assert_eq!(texts(&in_supergroup), ["s2", "s1"]);
    assert!(in_supergroup.iter().all(|m| m.chat_id == supergroup));

    // Both members see the same supergroup messages under the same ids.
    let b_side = t.b.get_history(supergroup, 0, 10).await.expect("history");
    let ids = |msgs: &[tgcmd::tgl::Msg]| msgs.iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(ids(&b_side), ids(&in_supergroup));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msg_search_finds_every_match_in_the_chat() {
    let t = TwoUsers::start("msg_search").await;
    b_writes(
        &t,
        PeerTarget::User(t.a_id),
        (0..230).map(|i| {
            if i % 2 == 0 {
                format!("apple {i}")
            } else {
                format!("pear {i}")
            }
        }),
    );
    let before = calls::<tl::functions::messages::Search>(&t);
    let found = t.a.msg_search(t.b_id, "apple").await.expect("search");
    assert_eq!(found.len(), 115);
    assert!(
        calls::<tl::functions::messages::Search>(&t) - before >= 2,
        "paged"
    );
    assert!(
        found
            .iter()
            .all(|m| m.text.as_deref().is_some_and(|s| s.starts_with("apple")))
    );
    assert!(found.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert_eq!(found[0].text.as_deref(), Some("apple 228"));

    let none = t
        .ok(request(
            1,
            "msg_search",
            json!({"chat_id": t.b_id, "text": "banana"}),
        ))
        .await;
    assert_eq!(none, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msg_global_search_spans_chats() {
    let t = TwoUsers::start("msg_global_search").await;
    let group = t.group("Search group");
    let channel = t.supergroup("Search supergroup").await;
    let supergroup = channel_chat_id(channel);
    b_writes(
        &t,
        PeerTarget::User(t.a_id),
        ["needle private".into(), "hay".into()],
    );
    b_writes(&t, PeerTarget::Chat(-group), ["needle group".into()]);
    b_writes(
        &t,
        PeerTarget::Channel(channel),
        ["needle supergroup".into()],
    );

    let found = t
        .ok(request(1, "msg_global_search", json!({"text": "needle"})))
        .await;
    let mut hits: Vec<(i64, String)> = found
        .as_array()
        .expect("a list")
        .iter()
        .map(|m| {
            (
                m["chat_id"].as_i64().expect("chat_id"),
                m["text"].as_str().expect("text").to_string(),
            )
        })
        .collect();
    hits.sort();
    let mut expected = vec![
        (t.b_id, "needle private".to_string()),
        (group, "needle group".to_string()),
        (supergroup, "needle supergroup".to_string()),
    ];
    expected.sort();
    assert_eq!(hits, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msg_global_search_pages_to_its_cap() {
    let t = TwoUsers::start("msg_global_search_paging").await;
    b_writes(
        &t,
        PeerTarget::User(t.a_id),
        (0..MAX_SEARCH_RESULTS + 20).map(|i| format!("many {i}")),
    );
    let found = t.a.msg_global_search("many").await.expect("search");
    assert_eq!(found.len(), MAX_SEARCH_RESULTS, "the documented cap");
    let mut ids: Vec<i32> = found.iter().map(|m| m.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), MAX_SEARCH_RESULTS, "no message twice");
}
