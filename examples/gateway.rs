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
//! Every served account's updates are printed too, as they arrive and
//! interleaved with the answers: `chat_update` events whose payload `type`
//! is the update's (`our_id`, `binlog_replay_end`, `get_difference_end`,
//! `msg_receive`, `typing`, `read_outbox`, `msg_delete`, …), e.g.
//! `{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"msg_receive","msg":{…},"edited":false}}`.
//!
//! Where the accounts come from (the flags are exclusive):
//!
//! - By default it starts the embedded fake DC and serves its users as
//!   `userbot_id` 1, 2, …: one user, or `--users N`, so the protocol
//!   (messages between users included) can be tried without a Telegram
//!   account.
//! - `--dcs FILE` attaches to an external `fakedc serve --users N`: FILE
//!   holds the lines it printed (one JSON object per user and DC, with
//!   `user_index`, `dc_id`, `host`, `port`, `auth_key_hex` and `home`),
//!   and user index k−1 is served as `userbot_id` k. (A file, since stdin
//!   carries the requests.)
//! - `--account USERBOT_ID=SESSION_FILE` (repeatable) serves real accounts,
//!   each an already signed-in session (e.g. made by `cargo run --example
//!   login`), with `TG_API_ID` and `TG_API_HASH` in the environment.
//!
//! As on Telegram, an account can only write to a user it has met: look the
//! other user up first (`search_user` with its username; the fake DC's
//! users are `demo_user`, `demo_user2`, `demo_user3`, …), or receive a
//! message from it.
//!
//! ```text
//! cargo run -p fakedc -- serve --users 3 > dcs.jsonl &
//! cargo run --example gateway -- --dcs dcs.jsonl
//! {"action": "search_user", "userbot_id": 1, "query": "demo_user2"}
//! {"action": "send_msg", "userbot_id": 1, "chat_id": 1000000002, "text": "Hi"}
//! ```
//!
//! userbot 2 then prints a `msg_receive` event with the message.

use std::sync::Arc;

use tgcmd::ClientBuilder;
use tgcmd::commands::{AccountPool, Dispatcher};
use tgcmd::lines::{LineServer, LineServerConfig};

const FAKE_API_ID: i32 = 12345;
const FAKE_API_HASH: &str = "0123456789abcdef0123456789abcdef";

/// Where the served accounts come from.
enum Accounts {
    /// The embedded fake DC with this many users.
    Embedded { users: usize },
    /// An external `fakedc serve`, from the lines it printed.
    External { dcs_file: String },
    /// Real accounts: `(userbot_id, session file)`.
    Real(Vec<(i64, String)>),
}

fn parse_args() -> Result<Accounts, String> {
    let mut real = Vec::new();
    let mut users = None;
    let mut dcs_file = None;
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
                real.push((id, path.to_string()));
            }
            "--users" => {
                let n = args.next().ok_or("--users needs a number")?;
                users = Some(
                    n.parse::<usize>()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or(format!("--users needs a number from 1 to 1000, not {n}"))?,
                );
            }
            "--dcs" => dcs_file = Some(args.next().ok_or("--dcs needs a FILE")?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    match (real.is_empty(), users, dcs_file) {
        (true, users, None) => Ok(Accounts::Embedded {
            users: users.unwrap_or(1),
        }),
        (true, None, Some(dcs_file)) => Ok(Accounts::External { dcs_file }),
        (false, None, None) => Ok(Accounts::Real(real)),
        _ => Err("--account, --users and --dcs do not go together".into()),
    }
}

/// One line of `fakedc serve`.
#[derive(serde::Deserialize)]
struct DcLine {
    user_index: usize,
    dc_id: i32,
    host: String,
    port: u16,
    auth_key_hex: String,
    home: bool,
}

fn parse_key(hex: &str) -> Result<[u8; 256], String> {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or("auth_key_hex is not hex")
        })
        .collect::<Result<_, _>>()?;
    bytes
        .try_into()
        .map_err(|_| "auth_key_hex is not 256 bytes".to_string())
}

/// A client for each user of the `fakedc serve` lines in `path`, by user
/// index.
fn builders_from_dcs_file(path: &str) -> Result<Vec<ClientBuilder>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut users: std::collections::BTreeMap<usize, ClientBuilder> = Default::default();
    for (number, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line: DcLine =
            serde_json::from_str(line).map_err(|e| format!("{path}:{}: {e}", number + 1))?;
        let addr: std::net::SocketAddr = format!("{}:{}", line.host, line.port)
            .parse()
            .map_err(|e| format!("{path}:{}: {e}", number + 1))?;
        let key =
            parse_key(&line.auth_key_hex).map_err(|e| format!("{path}:{}: {e}", number + 1))?;
        let builder = users
            .remove(&line.user_index)
            .unwrap_or_else(|| ClientBuilder::new(FAKE_API_ID, FAKE_API_HASH));
        let mut builder = builder
            .dc_address(line.dc_id, addr)
            .pre_shared_key(line.dc_id, key);
        if line.home {
            builder = builder.home_dc(line.dc_id);
        }
        users.insert(line.user_index, builder);
    }
    if users.is_empty() {
        return Err(format!("{path} lists no users"));
    }
    Ok(users.into_values().collect())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let accounts = AccountPool::new();
    // Kept alive for as long as the gateway runs.
    let mut _fake = None;
    match parse_args()? {
        Accounts::Embedded { users } => {
            let fake = fakedc::FakeDc::start(fakedc::Config {
                users,
                ..fakedc::Config::default()
            })
            .await?;
            for (index, user) in fake.users().iter().enumerate() {
                let mut builder =
                    ClientBuilder::new(FAKE_API_ID, FAKE_API_HASH).home_dc(fake.home_dc().dc_id);
                for dc in &user.dcs {
                    builder = builder
                        .dc_address(dc.dc_id, dc.addr)
                        .pre_shared_key(dc.dc_id, dc.auth_key);
                }
                let userbot_id = index as i64 + 1;
                accounts.insert(userbot_id, builder.connect().await?);
                eprintln!(
                    "gateway: serving the embedded fake DC's user {} as userbot_id {userbot_id}",
                    user.user_id
                );
            }
            _fake = Some(fake);
        }
        Accounts::External { dcs_file } => {
            for (index, builder) in builders_from_dcs_file(&dcs_file)?.into_iter().enumerate() {
                let userbot_id = index as i64 + 1;
                accounts.insert(userbot_id, builder.connect().await?);
                eprintln!(
                    "gateway: serving user index {index} of {dcs_file} as userbot_id {userbot_id}"
                );
            }
        }
        Accounts::Real(configured) => {
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
                    return Err(
                        format!("{session} is not signed in (use the login example)").into(),
                    );
                }
                accounts.insert(userbot_id, client);
                eprintln!("gateway: serving {session} as userbot_id {userbot_id}");
            }
        }
    }

    let dispatcher = Arc::new(Dispatcher::new(accounts));
    let config = LineServerConfig {
        forward_updates: true,
        ..LineServerConfig::default()
    };
    let server = LineServer::new(dispatcher, config);
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
