//! Run with `cargo run --example demo`.
//!
//! Starts the embedded fake data centre in-process, signs in with phone +
//! code, uploads a file to Saved Messages through the transfer engine,
//! downloads it back whole and as a byte range (both checked against the
//! server's SHA-256 hashes), then receives a message from a second user of
//! the fake world through its update stream and answers it, and prints what
//! happened at each step. Needs no network and no Telegram account.

use std::time::{Duration, Instant};

use bytes::Bytes;
use fakedc::{Config, FakeDc};
use sha2::{Digest, Sha256};
use tgcmd::ClientBuilder;
use tgcmd::media::UploadSource;
use tgcmd::transfer::{DownloadOptions, UploadOptions};
use tgcmd::update_stream::{Update, UpdateStream};

const API_ID: i32 = 12345;
const API_HASH: &str = "0123456789abcdef0123456789abcdef";

fn short_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Two users: the demo signs in as the first; the second writes to it.
    let fake = FakeDc::start(Config {
        users: 2,
        ..Config::default()
    })
    .await?;
    println!("fake DC cluster:");
    for dc in fake.dcs() {
        println!("  DC {} listening on {}", dc.dc_id, dc.addr);
    }
    let phone = fake
        .world()
        .lock()
        .users
        .get(fake.user_id())
        .and_then(|u| u.phone.clone())
        .ok_or("the fake DC has no self user")?;

    // A client with fresh keys: it must sign in like a new device would.
    let mut builder = ClientBuilder::new(API_ID, API_HASH).home_dc(fake.home_dc().dc_id);
    for dc in fake.dcs() {
        let key = fake.new_auth_key(dc.dc_id).ok_or("unknown DC")?;
        builder = builder
            .dc_address(dc.dc_id, dc.addr)
            .pre_shared_key(dc.dc_id, key);
    }
    let client = builder.connect().await?;
    println!("connected; authorized: {}", client.is_authorized().await?);

    let token = client.request_login_code(&phone).await?;
    let code = fake.login_code(&phone).ok_or("no code was sent")?;
    println!("login code sent to +{phone} (the fake DC shows it to us)");
    let me = client.sign_in(&token, &code).await?;
    println!(
        "signed in as {} {} (@{}, id {})",
        me.first_name,
        me.last_name,
        me.username.as_deref().unwrap_or("-"),
        me.id
    );

    let data: Vec<u8> = (0..12 * 1024 * 1024 + 12_345u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let source = UploadSource::Bytes {
        name: "demo.bin".into(),
        data: Bytes::from(data.clone()),
    };
    let started = Instant::now();
    let (message_id, document) = client
        .send_document_to_self(
            &source,
            "application/octet-stream",
            "sent by the tgcmd demo",
            UploadOptions::default(),
        )
        .await?;
    println!(
        "uploaded {} bytes (saveBigFilePart, {} connections) in {:.1?}; message {message_id} in Saved Messages holds document {} (sha256 {}…)",
        data.len(),
        client.media_connections(),
        started.elapsed(),
        document.id,
        short_hash(&data)
    );

    let started = Instant::now();
    let mut back = Vec::with_capacity(data.len());
    let report = client
        .download(
            &document.location(),
            ..,
            &mut back,
            &DownloadOptions::default(),
        )
        .await?;
    println!(
        "downloaded {} bytes in {:.1?} with {} getFile requests; {} bytes checked against the server's SHA-256 hashes (sha256 {}…): {}",
        back.len(),
        started.elapsed(),
        report.requests,
        report.verified_bytes,
        short_hash(&back),
        if back == data {
            "identical"
        } else {
            "DIFFERENT"
        }
    );
    if back != data {
        return Err("the downloaded file differs from the upload".into());
    }

    let range = 5_000_001..5_000_101u64;
    let mut slice = Vec::new();
    let report = client
        .download(
            &document.location(),
            range.clone(),
            &mut slice,
            &DownloadOptions::default(),
        )
        .await?;
    let expected = &data[range.start as usize..range.end as usize];
    println!(
        "ranged download {range:?}: {} bytes, verified {} bytes around them, {}",
        slice.len(),
        report.verified_bytes,
        if slice == expected {
            "identical"
        } else {
            "DIFFERENT"
        }
    );
    if slice != expected {
        return Err("the ranged download differs".into());
    }

    // Messages: the update stream catches up first, then a second user of
    // the fake world writes, and the demo answers.
    let mut updates = client.updates()?;
    next_update(&mut updates, |u| matches!(u, Update::GetDifferenceEnd)).await?;
    let friend = fake
        .users()
        .get(1)
        .ok_or("the fake DC has one user")?
        .user_id;
    fake.send_message(
        friend,
        fakedc::PeerTarget::User(me.id),
        "Hello from the fake world",
    )
    .map_err(|e| format!("the fake DC refused the message: {e:?}"))?;
    let Update::MsgReceive { msg, .. } =
        next_update(&mut updates, |u| matches!(u, Update::MsgReceive { .. })).await?
    else {
        unreachable!("only messages are accepted");
    };
    let sender = msg.src.as_ref().map_or("someone", |p| p.name.as_str());
    println!(
        "received message {} from {sender}: {:?}",
        msg.id,
        msg.text.as_deref().unwrap_or("")
    );
    let answer = client
        .send_msg(msg.chat_id, "Hello back from tgcmd")
        .await?;
    println!(
        "sent message {} to {}: {:?}",
        answer.id,
        answer.dest.name,
        answer.text.as_deref().unwrap_or("")
    );
    updates.close().await;
    Ok(())
}

/// The first update `wanted` accepts, within 10 seconds.
async fn next_update(
    updates: &mut UpdateStream,
    wanted: impl Fn(&Update) -> bool,
) -> Result<Update, Box<dyn std::error::Error>> {
    let wait = async {
        while let Some(update) = updates.next().await {
            if wanted(&update) {
                return Ok(update);
            }
        }
        Err("the update stream ended")
    };
    Ok(tokio::time::timeout(Duration::from_secs(10), wait).await??)
}
