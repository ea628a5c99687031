//! The JSON-lines server (`tgcmd::lines::LineServer`) driven through
//! in-memory pipes: line limits, bad bytes, full queues, idle workers,
//! a flood over 50 accounts, the oversized-bio line, and forwarded
//! updates (`forward_updates`: an incoming message as a `msg_receive`
//! `chat_update` event).

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tgcmd::commands::{AccountPool, Dispatcher};
use tgcmd::lines::{LineServer, LineServerConfig};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines};
use tokio::task::JoinHandle;

/// The longest any single wait may take; a failure, never a speed claim.
const WAIT: Duration = Duration::from_secs(120);

struct Bed {
    server: LineServer,
    input: Option<DuplexStream>,
    output: Lines<BufReader<DuplexStream>>,
    serving: JoinHandle<std::io::Result<()>>,
}

impl Bed {
    fn start(dispatcher: Dispatcher, config: LineServerConfig) -> Self {
        let server = LineServer::new(Arc::new(dispatcher), config);
        let (input, server_in) = tokio::io::duplex(64 * 1024);
        let (server_out, output) = tokio::io::duplex(64 * 1024);
        let serving = tokio::spawn({
            let server = server.clone();
            async move { server.serve(BufReader::new(server_in), server_out).await }
        });
        Self {
            server,
            input: Some(input),
            output: BufReader::new(output).lines(),
            serving,
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        let input = self.input.as_mut().expect("input open");
        tokio::time::timeout(WAIT, input.write_all(bytes))
            .await
            .expect("writing a line timed out")
            .expect("the server reads");
    }

    async fn event(&mut self) -> Value {
        let line = tokio::time::timeout(WAIT, self.output.next_line())
            .await
            .expect("no event in time")
            .expect("output readable")
            .expect("an event, not the end of output");
        serde_json::from_str(&line).expect("events are JSON")
    }

    async fn finish(mut self) {
        drop(self.input.take());
        let rest = tokio::time::timeout(WAIT, self.output.next_line())
            .await
            .expect("the output ends in time")
            .expect("output readable");
        assert_eq!(rest, None, "no event after the last one expected");
        tokio::time::timeout(WAIT, self.serving)
            .await
            .expect("serve ends in time")
            .expect("serve does not panic")
            .expect("serve ends cleanly");
    }
}

fn kind(event: &Value) -> &str {
    event["payload"]["type"].as_str().unwrap_or("")
}

fn error(event: &Value) -> &str {
    event["payload"]["error"].as_str().unwrap_or("")
}

async fn pool(accounts: impl IntoIterator<Item = i64>) -> (fakedc::FakeDc, Dispatcher) {
    let dc = support::fake_dc().await;
    let client = support::signed_in_client(&dc).await;
    let pool = AccountPool::new();
    for id in accounts {
        pool.insert(id, client.clone());
    }
    (dc, Dispatcher::new(pool))
}

#[tokio::test]
async fn overlong_and_non_utf8_lines_get_error_events_and_serving_goes_on() {
    let config = LineServerConfig {
        max_line_bytes: 1000,
        ..Default::default()
    };
    let mut bed = Bed::start(Dispatcher::new(AccountPool::new()), config);
    let long = format!(
        "{{\"action\":\"set_bio\",\"bio\":\"{}\"}}\n",
        "x".repeat(5000)
    );
    bed.send(long.as_bytes()).await;
    let event = bed.event().await;
    assert_eq!(kind(&event), "invalid_request_error");
    assert!(error(&event).contains("line too long"), "{event}");
    assert!(error(&event).contains("1000 bytes"), "{event}");

    bed.send(b"{\"action\": \"set_bio\", \"bio\": \"\xff\xfe\"}\n")
        .await;
    let event = bed.event().await;
    assert_eq!(kind(&event), "invalid_request_error");
    assert!(error(&event).contains("UTF-8"), "{event}");

    // Blank lines are skipped; the next request is answered.
    bed.send(b"\n\r\n{\"action\": \"set_bio\", \"bio\": \"a\"}\r\n")
        .await;
    let event = bed.event().await;
    assert_eq!(kind(&event), "set_bio_error");
    assert_eq!(error(&event), "userbot_id is required");

    // Exactly at the limit is accepted (here: malformed JSON, answered as such).
    bed.send(format!("{}\n", "y".repeat(1000)).as_bytes()).await;
    let event = bed.event().await;
    assert!(error(&event).starts_with("malformed JSON"), "{event}");
    bed.finish().await;
}

#[tokio::test]
async fn idle_workers_stop_and_restart() {
    // Long enough that the worker is certainly still there when the first
    // answer is read, even on a loaded machine.
    let config = LineServerConfig {
        idle_timeout: Duration::from_secs(8),
        ..Default::default()
    };
    let mut bed = Bed::start(Dispatcher::new(AccountPool::new()), config);
    assert_eq!(bed.server.worker_count(), 0);
    bed.send(b"{\"action\": \"set_bio\", \"userbot_id\": 7}\n")
        .await;
    assert_eq!(kind(&bed.event().await), "set_bio_error");
    assert_eq!(bed.server.worker_count(), 1);

    tokio::time::timeout(WAIT, async {
        while bed.server.worker_count() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the idle worker stops");

    bed.send(b"{\"action\": \"get_active_sessions\", \"userbot_id\": 7}\n")
        .await;
    let event = bed.event().await;
    assert_eq!(kind(&event), "get_active_sessions_error");
    assert_eq!(error(&event), "unknown userbot_id: 7");
    assert_eq!(
        bed.server.worker_count(),
        1,
        "a new worker serves the account"
    );
    let server = bed.server.clone();
    bed.finish().await;
    assert_eq!(server.worker_count(), 0, "serve waits for its workers");
}

#[tokio::test]
async fn idle_account_workers_stop_against_the_fake_dc() {
    let (_dc, dispatcher) = pool(1..=3).await;
    let config = LineServerConfig {
        idle_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let mut bed = Bed::start(dispatcher, config);
    for id in 1..=3 {
        bed.send(
            format!("{{\"action\": \"get_active_sessions\", \"userbot_id\": {id}}}\n").as_bytes(),
        )
        .await;
    }
    for _ in 0..3 {
        let event = bed.event().await;
        assert_eq!(kind(&event), "get_active_sessions", "{event}");
    }
    tokio::time::timeout(WAIT, async {
        while bed.server.worker_count() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the idle workers stop");
    bed.send(b"{\"action\": \"get_active_sessions\", \"userbot_id\": 2}\n")
        .await;
    assert_eq!(kind(&bed.event().await), "get_active_sessions");
    bed.finish().await;
}

#[tokio::test]
async fn a_full_queue_refuses_the_request_with_an_error_event() {
    let (dc, dispatcher) = pool([1, 2]).await;
    dc.shaping().set_latency(Duration::from_millis(300));
    let config = LineServerConfig {
        queue_capacity: 1,
        ..Default::default()
    };
    let mut bed = Bed::start(dispatcher, config);
    let mut burst = String::new();
    for i in 0..6 {
        burst.push_str(&format!(
            "{{\"action\": \"set_bio\", \"userbot_id\": 1, \"bio\": \"n{i}\"}}\n"
        ));
    }
    bed.send(burst.as_bytes()).await;
    let mut full = 0;
    let mut done = 0;
    for _ in 0..6 {
        let event = bed.event().await;
        assert_eq!(event["userbot_id"], 1);
        match kind(&event) {
            "set_bio" => done += 1,
            "set_bio_error" => {
                assert!(error(&event).starts_with("queue full"), "{event}");
                full += 1;
            }
            other => panic!("unexpected event {other}: {event}"),
        }
    }
    assert!(full >= 1, "at least one request found the queue full");
    assert!(done >= 1, "the queued requests ran");
    assert_eq!(full + done, 6, "every line was answered once");
    bed.finish().await;
}

#[tokio::test]
async fn a_flood_over_50_accounts_is_answered_completely_in_order_per_account() {
    let (_dc, dispatcher) = pool(1..=50).await;
    let mut bed = Bed::start(dispatcher, LineServerConfig::default());
    // Requests vary per account and sequence number, so an out-of-order
    // answer shows up as a different action.
    let action = |id: i64, seq: usize| {
        if (id as usize + seq).is_multiple_of(3) {
            "get_active_sessions"
        } else {
            "set_bio"
        }
    };
    let mut expected: HashMap<i64, Vec<&str>> = HashMap::new();
    let mut flood = String::new();
    for seq in 0..1000 {
        let id = (seq % 50) as i64 + 1;
        let a = action(id, seq);
        expected.entry(id).or_default().push(a);
        let line = json!({"action": a, "userbot_id": id, "bio": format!("seq {seq}")});
        flood.push_str(&line.to_string());
        flood.push('\n');
    }
    let mut input = bed.input.take().expect("input open");
    let writer = tokio::spawn(async move {
        input.write_all(flood.as_bytes()).await?;
        input.shutdown().await?;
        // Kept open until the end so that the server reads to its end.
        std::io::Result::Ok(input)
    });
    let mut got: HashMap<i64, Vec<String>> = HashMap::new();
    for _ in 0..1000 {
        let event = bed.event().await;
        assert!(event["payload"]["error"].is_null(), "{event}");
        let id = event["userbot_id"].as_i64().expect("a userbot_id");
        got.entry(id).or_default().push(kind(&event).to_string());
    }
    let _input = tokio::time::timeout(WAIT, writer)
        .await
        .expect("the flood was written")
        .expect("no panic")
        .expect("written");
    assert_eq!(got.len(), 50);
    for (id, actions) in &expected {
        assert_eq!(got.get(id).map(Vec::len), Some(20), "account {id}");
        assert_eq!(
            got.get(id)
                .map(|g| g.iter().map(String::as_str).collect::<Vec<_>>()),
            Some(actions.clone()),
            "account {id}'s answers are in request order"
        );
    }
    drop(_input);
    bed.finish().await;
}

#[tokio::test]
async fn the_gateway_survives_an_oversized_bio_and_an_oversized_line() {
    let (_dc, dispatcher) = pool([1]).await;
    let mut bed = Bed::start(dispatcher, LineServerConfig::default());

    let bio = "b".repeat(1_100_000);
    let line = json!({"action": "set_bio", "userbot_id": 1, "bio": bio}).to_string() + "\n";
    bed.send(line.as_bytes()).await;
    let event = bed.event().await;
    assert_eq!(kind(&event), "set_bio", "{event}");

    for action in ["get_active_sessions", "set_bio"] {
        let line = json!({"action": action, "userbot_id": 1, "bio": "after"}).to_string() + "\n";
        bed.send(line.as_bytes()).await;
        let event = bed.event().await;
        assert_eq!(kind(&event), action, "{event}");
    }

    let huge = json!({"action": "set_bio", "userbot_id": 1, "bio": "c".repeat(3_000_000)})
        .to_string()
        + "\n";
    let mut input = bed.input.take().expect("input open");
    let writer =
        tokio::spawn(async move { input.write_all(huge.as_bytes()).await.map(|()| input) });
    let event = bed.event().await;
    assert_eq!(kind(&event), "invalid_request_error");
    assert!(error(&event).contains("line too long"), "{event}");
    assert!(error(&event).contains(&tgcmd::lines::DEFAULT_MAX_LINE_BYTES.to_string()));
    bed.input = Some(
        tokio::time::timeout(WAIT, writer)
            .await
            .expect("written in time")
            .expect("no panic")
            .expect("written"),
    );

    bed.send(b"{\"action\": \"get_active_sessions\", \"userbot_id\": 1}\n")
        .await;
    assert_eq!(kind(&bed.event().await), "get_active_sessions");
    bed.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_updates_are_chat_update_events_with_the_msg() {
    use support::commands::{client_as, introduce};
    let dc = fakedc::FakeDc::start(fakedc::Config {
        users: 2,
        ..fakedc::Config::default()
    })
    .await
    .expect("the fake DC starts");
    let (a_id, b_id) = (dc.users()[0].user_id, dc.users()[1].user_id);
    let a = client_as(&dc, 0, "lines-updates").await;
    introduce(&dc, &a, a_id, b_id).await;
    // Not 1, and not A's user index: the event names the account as served.
    const USERBOT: i64 = 7;
    let accounts = AccountPool::new();
    accounts.insert(USERBOT, a.clone());
    let mut bed = Bed::start(
        Dispatcher::new(accounts),
        LineServerConfig {
            forward_updates: true,
            ..LineServerConfig::default()
        },
    );
    let start_up =
        json!({"type": "chat_update", "userbot_id": USERBOT, "payload": {"userbot_id": USERBOT}});
    for (kind, extra) in [
        ("binlog_replay_end", json!({})),
        ("our_id", json!({"id": a_id})),
        ("get_difference_end", json!({})),
    ] {
        let mut expected = start_up.clone();
        expected["payload"]["type"] = json!(kind);
        for (key, value) in extra.as_object().expect("an object") {
            expected["payload"][key] = value.clone();
        }
        assert_eq!(bed.event().await, expected);
    }

    let sent = dc
        .send_message(b_id, fakedc::PeerTarget::User(a_id), "hello over JSON")
        .expect("B sends");
    let event = bed.event().await;
    let msg = event["payload"]["msg"].clone();
    assert_eq!(
        event,
        json!({
            "type": "chat_update",
            "userbot_id": USERBOT,
            "payload": {
                "userbot_id": USERBOT,
                "type": "msg_receive",
                "msg": msg,
                "edited": false,
            },
        })
    );
    assert_eq!(msg["@type"], "msg", "{msg}");
    assert_eq!(msg["id"], sent, "{msg}");
    assert_eq!(msg["chat_id"], b_id, "{msg}");
    assert_eq!(msg["text"], "hello over JSON", "{msg}");
    assert_eq!(msg["out"], false, "{msg}");
    assert_eq!(msg["unread"], true, "{msg}");
    assert_eq!(msg["service"], false, "{msg}");
    assert_eq!(msg["mention"], false, "{msg}");
    assert_eq!(msg["flags"], tgcmd::tgl::MsgFlags::UNREAD, "{msg}");
    assert_eq!(msg["src"]["@type"], "peer", "{msg}");
    assert_eq!(msg["src"]["id"], b_id, "{msg}");
    assert_eq!(msg["src"]["first_name"], "Demo", "{msg}");
    assert_eq!(msg["dest"]["id"], a_id, "{msg}");
    assert!(msg["date"].as_i64().is_some_and(|d| d > 0), "{msg}");
    for absent in [
        "media", "fwd_src", "fwd_date", "reply", "reply_id", "action",
    ] {
        assert_eq!(msg[absent], Value::Null, "{absent}: {msg}");
    }
    // The same message as the history shows it.
    let history = a.get_history(b_id, 0, 1).await.expect("history");
    assert_eq!(
        msg,
        serde_json::to_value(&history[0]).expect("a msg serializes")
    );
    bed.finish().await;
}
