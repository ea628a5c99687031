//! The message commands refuse bad input with a clear error and send
//! nothing, through the JSON dispatcher and through the typed API.

mod support;

use serde_json::{Value, json};
use support::commands::{CommandBed, CommandChecks};

async fn bed() -> CommandBed {
    let dc = support::fake_dc().await;
    let client = support::commands::client_with_data_dir(&dc, "messages_input").await;
    let friend = fakedc::User {
        first_name: "Friend".into(),
        ..fakedc::User::default()
    };
    CommandBed::new(dc, client, friend).await
}

fn with(action: &str, fields: Value) -> Value {
    let mut request = fields;
    request["action"] = json!(action);
    request["userbot_id"] = json!(1);
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_command_refuses_bad_input_and_sends_nothing() {
    let bed = bed().await;
    let friend = bed.friend;
    let long = "x".repeat(4097);
    let cases: Vec<(&str, Value, &str)> = vec![
        ("send_msg", json!({"text": "hi"}), "chat_id is required"),
        ("send_msg", json!({"chat_id": friend}), "text is required"),
        (
            "send_msg",
            json!({"chat_id": 0, "text": "hi"}),
            "chat_id is invalid",
        ),
        (
            "send_msg",
            json!({"chat_id": "abc", "text": "hi"}),
            "chat_id must be an integer",
        ),
        (
            "send_msg",
            json!({"chat_id": friend, "text": "  \n"}),
            "text must not be empty",
        ),
        (
            "send_msg",
            json!({"chat_id": friend, "text": long}),
            "text must be at most 4096 characters",
        ),
        (
            "send_msg",
            json!({"chat_id": friend, "text": "hi", "reply": -3}),
            "reply must be a positive message id",
        ),
        (
            "send_msg",
            json!({"chat_id": friend, "text": "hi", "reply": 4294967296_i64}),
            "reply must be a positive message id",
        ),
        (
            "send_msg",
            json!({"chat_id": friend, "text": "hi", "preview": "yes"}),
            "preview: invalid type: string \"yes\", expected a boolean",
        ),
        ("send_text", json!({"chat_id": friend}), "file is required"),
        (
            "send_text",
            json!({"chat_id": friend, "file": "/nonexistent/tgcmd-note.txt"}),
            "file not found: /nonexistent/tgcmd-note.txt",
        ),
        (
            "send_location",
            json!({"chat_id": friend, "longitude": 1.0}),
            "latitude is required",
        ),
        (
            "send_location",
            json!({"chat_id": friend, "latitude": 1.0}),
            "longitude is required",
        ),
        (
            "send_location",
            json!({"chat_id": friend, "latitude": 95.0, "longitude": 1.0}),
            "latitude must be between -90 and 90",
        ),
        (
            "send_location",
            json!({"chat_id": friend, "latitude": 1.0, "longitude": 200.0}),
            "longitude must be between -180 and 180",
        ),
        ("fwd_msg", json!({"chat_id": friend}), "msg_id is required"),
        (
            "fwd_msg",
            json!({"chat_id": friend, "msg_id": 0}),
            "msg_id must be a positive message id",
        ),
        (
            "fwd_msg",
            json!({"chat_id": friend, "msg_id": 1, "from_chat_id": 0}),
            "from_chat_id is invalid",
        ),
        ("fwd_media", json!({"msg_id": 1}), "chat_id is required"),
        ("mark_read", json!({}), "chat_id is required"),
        (
            "send_typing",
            json!({"chat_id": -1_000_000_000_000_i64}),
            "chat_id is invalid",
        ),
        ("send_typing_abort", json!({}), "chat_id is required"),
        (
            "delete_msg",
            json!({"chat_id": friend}),
            "msg_id is required",
        ),
        (
            "delete_msg",
            json!({"chat_id": friend, "msg_id": "x"}),
            "msg_id must be an integer",
        ),
        ("restore_msg", json!({}), "msg_id is required"),
        (
            "get_history",
            json!({"chat_id": friend, "limit": 0}),
            "limit must be between 1 and 10000",
        ),
        (
            "get_history",
            json!({"chat_id": friend, "limit": 10001}),
            "limit must be between 1 and 10000",
        ),
        (
            "get_history",
            json!({"chat_id": friend, "offset": -1}),
            "offset must be between 0 and 1000000",
        ),
        ("msg_search", json!({"chat_id": friend}), "text is required"),
        (
            "msg_search",
            json!({"chat_id": friend, "text": " "}),
            "text must not be empty",
        ),
        ("msg_global_search", json!({}), "text is required"),
        (
            "msg_global_search",
            json!({"text": "y".repeat(4097)}),
            "text must be at most 4096 characters",
        ),
    ];
    for (action, fields, expected) in cases {
        bed.invalid(with(action, fields), expected).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_calls_refuse_the_same_input() {
    let bed = bed().await;
    let client = &bed.client;
    bed.invalid_typed(client.send_msg(bed.friend, ""), "text must not be empty")
        .await;
    bed.invalid_typed(
        client.send_location(bed.friend, f64::NAN, 0.0),
        "latitude must be between -90 and 90",
    )
    .await;
    bed.invalid_typed(
        client.get_history(bed.friend, 0, 0),
        "limit must be between 1 and 10000",
    )
    .await;
    bed.invalid_typed(client.delete_msg(0, 1), "chat_id is invalid")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_the_session_never_met_is_not_found_before_sending() {
    let bed = bed().await;
    let unknown_channel = -1_000_000_000_000_i64 - 987_654;
    for action in ["send_msg", "mark_read", "send_typing", "get_history"] {
        bed.invalid(
            with(action, json!({"chat_id": unknown_channel, "text": "hi"})),
            "Chat not found",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_msg_is_unsupported_and_sends_nothing() {
    let bed = bed().await;
    let before = bed.dc.world().total_calls();
    let error = bed.error(with("restore_msg", json!({"msg_id": 5}))).await;
    assert_eq!(
        error,
        "unsupported: restore_msg: Telegram removed messages.restoreMessages from the API"
    );
    assert_eq!(bed.dc.world().total_calls(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_text_refuses_binary_and_oversized_files() {
    let bed = bed().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let binary = dir.path().join("binary.bin");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x81]).expect("written");
    let big = dir.path().join("big.txt");
    std::fs::write(&big, "a".repeat(16 * 1024 + 1)).expect("written");
    let binary = binary.display().to_string();
    let big = big.display().to_string();
    bed.invalid(
        with("send_text", json!({"chat_id": bed.friend, "file": binary})),
        &format!("file is not UTF-8 text: {binary}"),
    )
    .await;
    bed.invalid(
        with("send_text", json!({"chat_id": bed.friend, "file": big})),
        &format!("file is larger than 16384 bytes: {big}"),
    )
    .await;
}
