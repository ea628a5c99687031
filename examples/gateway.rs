//! Run with `cargo run --example gateway`, then type JSON commands, one per line.
//!
//! A line-oriented front end to the command dispatcher: each line on stdin
//! is a request such as
//! `{"action": "set_bio", "userbot_id": 1, "bio": "Backend engineer"}` and
//! each answer is one `chat_update` event on stdout. Bad lines get an error
//! event; the gateway keeps answering.
//!
//! Each account's lines run in order, one after the other; different
//! accounts run at the same time, so a slow command of one account (a
//! profile photo download, a flood wait slept out) never holds up another.
//! Events come out as they complete, as TDLib's do.
//!
//! By default it starts the embedded fake DC and serves its account as
//! `userbot_id` 1, so the protocol can be tried without a Telegram account.
//! Real accounts are added with `--account USERBOT_ID=SESSION_FILE` (each an
//! already signed-in session, e.g. made by `cargo run --example login`),
//! together with `TG_API_ID` and `TG_API_HASH` in the environment; any
//! `--account` turns the fake DC off.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::Arc;

use serde_json::Value;
use tgcmd::ClientBuilder;
use tgcmd::commands::{AccountPool, Dispatcher};
use tokio::sync::mpsc;

const FAKE_API_ID: i32 = 12345;
const FAKE_API_HASH: &str = "0123456789abcdef0123456789abcdef";

fn parse_accounts() -> Result<Vec<(i64, String)>, String> {
    let mut accounts = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--account" => {
                let spec = args
                    .next()
                    .ok_or("--account needs USERBOT_ID=SESSION_FILE")?;
                let (id, path) = spec
                    .split_once('=')
                    .ok_or("--account needs USERBOT_ID=SESSION_FILE")?;
                let id = id.parse().map_err(|_| format!("not a userbot id: {id}"))?;
                accounts.push((id, path.to_string()));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(accounts)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let accounts = AccountPool::new();
    let configured = parse_accounts()?;
    // Kept alive for as long as the gateway runs.
    let mut _fake = None;
    if configured.is_empty() {
        let fake = fakedc::FakeDc::start(fakedc::Config::default()).await?;
        let mut builder =
            ClientBuilder::new(FAKE_API_ID, FAKE_API_HASH).home_dc(fake.home_dc().dc_id);
        for dc in fake.dcs() {
            builder = builder
                .dc_address(dc.dc_id, dc.addr)
                .pre_shared_key(dc.dc_id, dc.auth_key);
        }
        accounts.insert(1, builder.connect().await?);
        eprintln!("gateway: serving the embedded fake DC's account as userbot_id 1");
        _fake = Some(fake);
    } else {
        let api_id: i32 = std::env::var("TG_API_ID")
            .map_err(|_| "set TG_API_ID")?
            .parse()
            .map_err(|_| "TG_API_ID must be a number")?;
        let api_hash = std::env::var("TG_API_HASH").map_err(|_| "set TG_API_HASH")?;
        for (userbot_id, session) in configured {
            let client = ClientBuilder::new(api_id, api_hash.clone())
                .session_file(&session)
                .connect()
                .await?;
            if !client.is_authorized().await? {
                return Err(format!("{session} is not signed in (use the login example)").into());
            }
            accounts.insert(userbot_id, client);
            eprintln!("gateway: serving {session} as userbot_id {userbot_id}");
        }
    }

    let dispatcher = Arc::new(Dispatcher::new(accounts));
    // stdin is read on a plain thread: a blocking read there costs nothing.
    let (tx, mut lines) = mpsc::channel::<String>(16);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    // One writer, so events never interleave on stdout.
    let (events, mut to_write) = mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(async move {
        let mut stdout = std::io::stdout();
        while let Some(event) = to_write.recv().await {
            writeln!(stdout, "{event}")?;
            stdout.flush()?;
        }
        std::io::Result::Ok(())
    });
    // One worker per userbot_id (lines without a readable one share a worker).
    let mut workers: HashMap<Option<i64>, mpsc::UnboundedSender<String>> = HashMap::new();
    while let Some(line) = lines.recv().await {
        if line.trim().is_empty() {
            continue;
        }
        let worker = workers
            .entry(userbot_id_of(&line))
            .or_insert_with(|| spawn_worker(Arc::clone(&dispatcher), events.clone()));
        // A worker only stops when its sender is dropped, below.
        let _ = worker.send(line);
    }
    // End of input: let every worker finish its queue, then the writer.
    drop(workers);
    drop(events);
    writer.await??;
    Ok(())
}

/// The `userbot_id` a line names, if it can be read; the dispatcher makes
/// the authoritative check (and the error event) itself.
fn userbot_id_of(line: &str) -> Option<i64> {
    match serde_json::from_str::<Value>(line)
        .ok()?
        .get("userbot_id")?
    {
        Value::Number(id) => id.as_i64(),
        Value::String(id) => id.trim().parse().ok(),
        _ => None,
    }
}

/// Runs one account's lines in order, sending each event to the writer.
fn spawn_worker(
    dispatcher: Arc<Dispatcher>,
    events: mpsc::UnboundedSender<String>,
) -> mpsc::UnboundedSender<String> {
    let (tx, mut queue) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        while let Some(line) = queue.recv().await {
            let event = dispatcher.dispatch_line(&line).await;
            if events.send(event.to_json()).is_err() {
                break;
            }
        }
    });
    tx
}
