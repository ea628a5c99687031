//! Run with `cargo run --example demo`.
//!
//! Starts the embedded fake data centre in-process, signs in with phone +
//! code, uploads a file to Saved Messages, downloads it back, and prints
//! what happened at each step. Needs no network and no Telegram account.

use std::time::Instant;

use fakedc::{Config, FakeDc};
use grammers_client::media::Document;
use grammers_tl_types as tl;
use sha2::{Digest, Sha256};
use tgcmd::ClientBuilder;

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
    let fake = FakeDc::start(Config::default()).await?;
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

    let data: Vec<u8> = (0..3 * 1024 * 1024 + 12_345u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let started = Instant::now();
    let mut reader = std::io::Cursor::new(data.clone());
    let uploaded = client
        .grammers()
        .upload_stream(&mut reader, data.len(), "demo.bin".into())
        .await?;
    let media = client
        .invoke(&tl::functions::messages::UploadMedia {
            business_connection_id: None,
            peer: tl::enums::InputPeer::PeerSelf,
            media: tl::types::InputMediaUploadedDocument {
                nosound_video: false,
                force_file: true,
                spoiler: false,
                file: uploaded.raw,
                thumb: None,
                mime_type: "application/octet-stream".into(),
                attributes: vec![],
                stickers: None,
                video_cover: None,
                video_timestamp: None,
                ttl_seconds: None,
            }
            .into(),
        })
        .await?;
    let tl::enums::MessageMedia::Document(media) = media else {
        return Err("the server did not return a document".into());
    };
    let document = Document::from_raw_media(media);
    println!(
        "uploaded {} bytes as document {} in {:?} (sha256 {}…)",
        data.len(),
        document.id(),
        started.elapsed(),
        short_hash(&data)
    );

    let started = Instant::now();
    let mut download = client.grammers().iter_download(&document);
    let mut back = Vec::with_capacity(data.len());
    while let Some(chunk) = download.next().await? {
        back.extend_from_slice(&chunk);
    }
    println!(
        "downloaded {} bytes in {:?} (sha256 {}…): {}",
        back.len(),
        started.elapsed(),
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
    Ok(())
}
