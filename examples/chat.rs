//! Run with `cargo run --example chat`, then type.
//!
//! A small terminal chat client against the embedded fake DC. You are its
//! first user ("A"); the second ("B") is simulated in process by another
//! tgcmd client, which reads its own update stream, shows "typing…" and
//! answers every message. Incoming messages are printed as they arrive
//! (from A's update stream), as are B's typing and read receipts.
//!
//! A line is sent to B as a message, unless it is a command:
//!
//! ```text
//! /history [N]        the last N messages (default 10), oldest first
//! /search TEXT        messages of the chat containing TEXT
//! /send_photo PATH    sends an image as a photo
//! /typing             tells B you are typing
//! /quit               (or end of input) leaves
//! ```
//!
//! The interface is for people; lines on stdin, text on stdout.

use std::time::Duration;

use fakedc::{Config, FakeDc};
use tgcmd::update_stream::Update;
use tgcmd::{Client, ClientBuilder};

const API_ID: i32 = 12345;
const API_HASH: &str = "0123456789abcdef0123456789abcdef";

/// A client signed in as fake-DC user `index`, on its pre-shared keys.
async fn signed_in(fake: &FakeDc, index: usize) -> Result<Client, Box<dyn std::error::Error>> {
    let user = fake.users().get(index).ok_or("no such fake user")?;
    let mut builder = ClientBuilder::new(API_ID, API_HASH).home_dc(fake.home_dc().dc_id);
    for dc in &user.dcs {
        builder = builder
            .dc_address(dc.dc_id, dc.addr)
            .pre_shared_key(dc.dc_id, dc.auth_key);
    }
    Ok(builder.connect().await?)
}

/// User B: answers each message it receives, after "typing…".
async fn simulate_b(b: Client) {
    let Ok(mut updates) = b.updates() else {
        return;
    };
    while let Some(update) = updates.next().await {
        let Update::MsgReceive { msg, edited: false } = update else {
            continue;
        };
        if msg.out {
            continue;
        }
        let _ = b.mark_read(msg.chat_id).await;
        let _ = b.send_typing(msg.chat_id).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let answer = match (&msg.text, &msg.media) {
            (_, Some(media)) => format!("Nice {}!", media_kind(media)),
            (Some(text), None) => format!("You said: {text}"),
            (None, None) => "Hm?".to_string(),
        };
        let _ = b.send_msg(msg.chat_id, &answer).await;
    }
}

fn media_kind(media: &tgcmd::tgl::Media) -> String {
    serde_json::to_value(media)
        .ok()
        .and_then(|v| v["type"].as_str().map(str::to_string))
        .unwrap_or_else(|| "media".into())
}

/// What A's update stream shows, printed as it arrives.
async fn print_updates(a: Client, b_id: i64) {
    let Ok(mut updates) = a.updates() else {
        return;
    };
    while let Some(update) = updates.next().await {
        match update {
            Update::MsgReceive { msg, edited } if !msg.out => {
                let who = msg.src.as_ref().map_or("?", |p| p.name.as_str());
                let edit = if edited { " (edited)" } else { "" };
                println!("<{who}>{edit} {}", msg.text.as_deref().unwrap_or(""));
            }
            Update::Typing {
                user_id,
                typing: true,
                ..
            } if user_id == b_id => println!("  (B is typing…)"),
            Update::ReadOutbox { max_id, .. } => println!("  (B read up to {max_id})"),
            Update::GapsPossible { .. } => println!("  (history may have gaps)"),
            _ => {}
        }
    }
}

/// Lines of stdin, read by a thread (the workspace's tokio has no io-std).
fn stdin_lines() -> tokio::sync::mpsc::Receiver<String> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    rx
}

async fn run_line(a: &Client, b_id: i64, line: &str) -> Result<(), tgcmd::commands::CommandError> {
    let (command, rest) = line.split_once(' ').unwrap_or((line, ""));
    match command {
        "/history" => {
            let limit = rest.trim().parse().unwrap_or(10);
            let mut history = a.get_history(b_id, 0, limit).await?;
            history.reverse();
            for msg in history {
                let who = msg.src.as_ref().map_or("?", |p| p.name.as_str());
                let body = msg.text.clone().unwrap_or_default();
                let media = msg.media.as_ref().map(media_kind).unwrap_or_default();
                println!("  #{} <{who}> {body} {media}", msg.id);
            }
        }
        "/search" => {
            for msg in a.msg_search(b_id, rest).await? {
                println!("  #{} {}", msg.id, msg.text.unwrap_or_default());
            }
        }
        "/send_photo" => {
            let msg = a.send_photo(b_id, rest.trim()).await?;
            println!("  sent photo as message #{}", msg.id);
        }
        "/typing" => {
            a.send_typing(b_id).await?;
        }
        _ if command.starts_with('/') => println!("  unknown command {command}"),
        _ => {
            a.send_msg(b_id, line).await?;
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fake = FakeDc::start(Config {
        users: 2,
        ..Config::default()
    })
    .await?;
    let a = signed_in(&fake, 0).await?;
    let b = signed_in(&fake, 1).await?;
    let me = a.get_me().await?;
    // A meets B the way a user would: by B's username.
    let b_user = fake.users().get(1).ok_or("no user B")?.user_id;
    let b_name = fake
        .world()
        .lock()
        .users
        .get(b_user)
        .and_then(|u| u.username.clone())
        .ok_or("user B has no username")?;
    a.run(tgcmd::commands::bootstrap::SearchUser::new(&b_name)?)
        .await?;
    tokio::spawn(simulate_b(b));
    tokio::spawn(print_updates(a.clone(), b_user));
    println!(
        "You are {} {}, talking to @{b_name} (simulated). /history, /search TEXT, /send_photo PATH, /typing, /quit",
        me.first_name, me.last_name
    );

    let mut lines = stdin_lines();
    while let Some(line) = lines.recv().await {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line == "/quit" {
            break;
        }
        if let Err(error) = run_line(&a, b_user, line).await {
            println!("  error: {error}");
        }
    }
    // Let B's last answer arrive before leaving.
    tokio::time::sleep(Duration::from_millis(800)).await;
    Ok(())
}
