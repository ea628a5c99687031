//! The JSON dispatcher: envelopes, bad input, accounts, and one command
//! through both the typed API and JSON.

mod support;

use serde_json::{Value, json};
use tgcmd::commands::{AccountPool, Dispatcher, Event};

async fn dispatcher() -> (fakedc::FakeDc, Dispatcher) {
    let dc = support::fake_dc().await;
    let client = support::signed_in_client(&dc).await;
    let accounts = AccountPool::new();
    accounts.insert(1, client);
    (dc, Dispatcher::new(accounts))
}

fn as_json(event: &Event) -> Value {
    serde_json::from_str(&event.to_json()).expect("events are JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_bio_through_json_and_typed() {
    let (dc, dispatcher) = dispatcher().await;
    let event = dispatcher
        .dispatch_line(r#"{"action": "set_bio", "userbot_id": 1, "bio": "Backend engineer"}"#)
        .await;
    let value = as_json(&event);
    assert_eq!(value["type"], "chat_update");
    assert_eq!(value["userbot_id"], 1);
    assert_eq!(value["payload"]["userbot_id"], 1);
    assert_eq!(value["payload"]["type"], "set_bio");
    assert_eq!(value["payload"]["result"]["@type"], "user");
    assert_eq!(value["payload"]["result"]["id"], dc.user_id());
    let about = dc
        .world()
        .lock()
        .users
        .get(dc.user_id())
        .and_then(|u| u.about.clone());
    assert_eq!(about.as_deref(), Some("Backend engineer"));

    let client = dispatcher.accounts().get(1).expect("account 1");
    client.set_bio("Second bio").await.expect("typed set_bio");
    let about = dc
        .world()
        .lock()
        .users
        .get(dc.user_id())
        .and_then(|u| u.about.clone());
    assert_eq!(about.as_deref(), Some("Second bio"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_use_the_spec_string_and_send_nothing() {
    let (dc, dispatcher) = dispatcher().await;
    let before = dc.world().total_calls();
    let event = dispatcher
        .dispatch(json!({"action": "set_bio", "userbot_id": "1"}))
        .await;
    assert_eq!(
        as_json(&event),
        json!({"type": "chat_update", "userbot_id": 1,
               "payload": {"userbot_id": 1, "type": "set_bio_error", "error": "bio is required"}})
    );
    assert_eq!(dc.world().total_calls(), before);
}

/// TDLib cuts an overlong bio to the account's limit (70 without Premium)
/// and turns line feeds into spaces; so does the dispatcher, even for a
/// bio of more than a megabyte, and the account keeps working after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlong_bio_is_cut_as_tdlib_cuts_it() {
    let (dc, dispatcher) = dispatcher().await;
    let about = |dc: &fakedc::FakeDc| {
        dc.world()
            .lock()
            .users
            .get(dc.user_id())
            .and_then(|u| u.about.clone())
            .unwrap_or_default()
    };
    let line = format!("first line\n{}", "x".repeat(200));
    let event = dispatcher
        .dispatch(json!({"action": "set_bio", "userbot_id": 1, "bio": line}))
        .await;
    assert_eq!(event.payload.kind, "set_bio", "{event:?}");
    let expected: String = format!("first line {}", "x".repeat(200))
        .chars()
        .take(70)
        .collect();
    assert_eq!(about(&dc), expected);

    let huge = "y".repeat(1_100_000);
    let event = dispatcher
        .dispatch(json!({"action": "set_bio", "userbot_id": 1, "bio": huge}))
        .await;
    assert_eq!(event.payload.kind, "set_bio", "{event:?}");
    assert_eq!(about(&dc), "y".repeat(70));
    let event = dispatcher
        .dispatch(json!({"action": "set_bio", "userbot_id": 1, "bio": "after"}))
        .await;
    assert_eq!(event.payload.kind, "set_bio", "{event:?}");
    assert_eq!(about(&dc), "after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_errors_carry_the_telegram_name() {
    let (dc, dispatcher) = dispatcher().await;
    dc.faults().flood_wait(None, 30, 1);
    let event = dispatcher
        .dispatch(json!({"action": "set_bio", "userbot_id": 1, "bio": "ok"}))
        .await;
    assert_eq!(event.payload.error.as_deref(), Some("FLOOD_WAIT_30"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_error_event() {
    let (dc, dispatcher) = dispatcher().await;
    let before = dc.world().total_calls();
    let cases = [
        ("{not json", "invalid_request_error", None, "malformed JSON"),
        (
            "[1, 2]",
            "invalid_request_error",
            None,
            "must be a JSON object",
        ),
        (
            r#"{"userbot_id": 1}"#,
            "invalid_request_error",
            Some(1),
            "action is required",
        ),
        (
            r#"{"action": "set_bio", "bio": "x"}"#,
            "set_bio_error",
            None,
            "userbot_id is required",
        ),
        (
            r#"{"action": "set_bio", "userbot_id": "abc"}"#,
            "set_bio_error",
            None,
            "userbot_id must be an integer",
        ),
        (
            r#"{"action": "fly_to_moon", "userbot_id": 1}"#,
            "fly_to_moon_error",
            Some(1),
            "unknown action: fly_to_moon",
        ),
        (
            r#"{"action": "set_bio", "userbot_id": 7, "bio": "x"}"#,
            "set_bio_error",
            Some(7),
            "unknown userbot_id: 7",
        ),
        (
            r#"{"action": "set_bio", "userbot_id": 1, "bio": 5}"#,
            "set_bio_error",
            Some(1),
            "bio: invalid type: integer `5`, expected a string",
        ),
    ];
    for (line, kind, userbot_id, needle) in cases {
        let event = dispatcher.dispatch_line(line).await;
        assert_eq!(event.payload.kind, kind, "{line}");
        assert_eq!(event.userbot_id, userbot_id, "{line}");
        let error = event.payload.error.clone().unwrap_or_default();
        assert!(error.contains(needle), "{line}: {error}");
        assert!(event.payload.result.is_none());
    }
    assert_eq!(
        dc.world().total_calls(),
        before,
        "nothing reached the server"
    );
}

/// A hostile line: 40,000 junk keys that sort before a badly typed `bio`.
/// Reading it is linear (the field is found while parsing, never by parsing
/// again once per key, which took 35 s for 8,000 keys before), so it is
/// answered at once; the bound is two orders of magnitude above what a
/// linear parse needs even on a loaded machine, and far below what the
/// quadratic one took.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_with_40000_junk_keys_is_answered_in_linear_time() {
    let (dc, dispatcher) = dispatcher().await;
    let mut object = serde_json::Map::new();
    for i in 0..40_000 {
        object.insert(format!("a{i:05}"), json!(i));
    }
    object.insert("action".into(), json!("set_bio"));
    object.insert("userbot_id".into(), json!(1));
    object.insert("bio".into(), json!(5));
    let line = Value::Object(object).to_string();
    assert!(line.len() > 400_000);
    let before = dc.world().total_calls();
    let event = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        dispatcher.dispatch_line(&line),
    )
    .await
    .expect("answered without a quadratic re-parse");
    assert_eq!(
        event.payload.error.as_deref(),
        Some("bio: invalid type: integer `5`, expected a string")
    );
    assert_eq!(dc.world().total_calls(), before, "nothing was sent");
}
