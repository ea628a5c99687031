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
//! The interface is stable: UTF-8 JSON lines in (`\n` or `\r\n`, blank
//! lines ignored), one JSON `chat_update` event per line out, flushed at
//! once; diagnostics go to stderr. The serving itself is
//! `tgcmd::lines::LineServer`, with its default limits:
//!
//! - a line may be at most 2 MiB (`DEFAULT_MAX_LINE_BYTES`); a longer one,
//!   or one that is not UTF-8, gets an `invalid_request_error` event and is
//!   not run, and the gateway goes on with the next line;
//! - at most 64 requests wait per account; one more gets an
//!   `<action>_error` event starting with `queue full` and is not run
//!   (other accounts are never held up);
//! - an account's worker stops after 60 s without requests and restarts on
//!   its next line.
//!
//! At the end of stdin every queued request is answered before it exits.
//!
//! By default it starts the embedded fake DC and serves its account as
//! `userbot_id` 1, so the protocol can be tried without a Telegram account.
//! Real accounts are added with `--account USERBOT_ID=SESSION_FILE` (each an
//! already signed-in session, e.g. made by `cargo run --example login`),
//! together with `TG_API_ID` and `TG_API_HASH` in the environment; any
//! `--account` turns the fake DC off.

use std::sync::Arc;

use tgcmd::ClientBuilder;
use tgcmd::commands::{AccountPool, Dispatcher};
use tgcmd::lines::{LineServer, LineServerConfig};

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
    let server = LineServer::new(dispatcher, LineServerConfig::default());
    let (input, output, stdout_copier) = std_streams();
    server
        .serve(tokio::io::BufReader::new(input), output)
        .await?;
    // Every event is in the pipe; wait until it is on stdout too.
    tokio::task::spawn_blocking(move || stdout_copier.join())
        .await?
        .ok();
    Ok(())
}

/// The process's stdin and stdout as async streams. Each is bridged by a
/// thread of its own, as tokio's `io-std` does internally (the workspace
/// builds tokio without that feature): a blocking read of stdin feeds one
/// in-memory pipe, and what the server writes to the other is copied to
/// stdout and flushed at once.
fn std_streams() -> (
    tokio::io::DuplexStream,
    tokio::io::DuplexStream,
    std::thread::JoinHandle<()>,
) {
    use std::io::{Read, Write};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const PIPE: usize = 64 * 1024;
    let runtime = tokio::runtime::Handle::current();
    let (mut to_server, input) = tokio::io::duplex(PIPE);
    let (output, mut from_server) = tokio::io::duplex(PIPE);
    let reading = runtime.clone();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; PIPE];
        let mut stdin = std::io::stdin().lock();
        while let Ok(n @ 1..) = stdin.read(&mut buf) {
            if reading.block_on(to_server.write_all(&buf[..n])).is_err() {
                break;
            }
        }
        // Dropping the pipe's end is the server's end of input.
    });
    let stdout_copier = std::thread::spawn(move || {
        let mut buf = vec![0u8; PIPE];
        let mut stdout = std::io::stdout().lock();
        while let Ok(n @ 1..) = runtime.block_on(from_server.read(&mut buf)) {
            if stdout
                .write_all(&buf[..n])
                .and_then(|()| stdout.flush())
                .is_err()
            {
                break;
            }
        }
    });
    (input, output, stdout_copier)
}
