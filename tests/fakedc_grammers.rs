//! The fake DC serves a stock grammers client: connect with the pre-shared
//! key, `get_me`, upload through `saveFilePart` and `saveBigFilePart`, and
//! download the files back byte-identical.

#[path = "support/data.rs"]
mod data;
#[path = "support/grammers.rs"]
mod grammers_support;

use data::pattern;

use fakedc::{Config, FakeDc};
use grammers_client::media::Document;
use grammers_client::tl;

async fn upload_and_fetch(client: &grammers_client::Client, data: &[u8], name: &str) -> Vec<u8> {
    let mut reader = std::io::Cursor::new(data.to_vec());
    let uploaded = client
        .upload_stream(&mut reader, data.len(), name.to_string())
        .await
        .expect("upload");
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
        .await
        .expect("uploadMedia");
    let tl::enums::MessageMedia::Document(media) = media else {
        panic!("expected a document, got {media:?}");
    };
    let document = Document::from_raw_media(media);
    assert_eq!(document.size(), Some(data.len()));
    assert_eq!(document.name(), Some(name));
    let mut download = client.iter_download(&document);
    let mut out = Vec::new();
    while let Some(chunk) = download.next().await.expect("download chunk") {
        out.extend_from_slice(&chunk);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grammers_connects_and_gets_me() {
    let dc = FakeDc::start(Config::default())
        .await
        .expect("fake DC starts");
    let (client, _runner) = grammers_support::signed_in_client(&dc).await;
    assert!(client.is_authorized().await.expect("is_authorized"));
    let me = client.get_me().await.expect("get_me");
    assert_eq!(me.id().bare_id_unchecked(), dc.user_id());
    assert_eq!(me.first_name(), Some("Demo"));
    assert_eq!(me.username(), Some("demo_user"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grammers_small_upload_round_trips() {
    let dc = FakeDc::start(Config::default())
        .await
        .expect("fake DC starts");
    let (client, _runner) = grammers_support::signed_in_client(&dc).await;
    let data = pattern(1024 * 1024 + 777, 1);
    assert_eq!(upload_and_fetch(&client, &data, "small.bin").await, data);
    let save_part = <tl::functions::upload::SaveFilePart as tl::Identifiable>::CONSTRUCTOR_ID;
    let save_big = <tl::functions::upload::SaveBigFilePart as tl::Identifiable>::CONSTRUCTOR_ID;
    assert_eq!(dc.world().call_count(save_part), 3);
    assert_eq!(dc.world().call_count(save_big), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grammers_big_upload_round_trips() {
    let dc = FakeDc::start(Config::default())
        .await
        .expect("fake DC starts");
    let (client, _runner) = grammers_support::signed_in_client(&dc).await;
    let data = pattern(10 * 1024 * 1024 + 1, 2);
    assert_eq!(upload_and_fetch(&client, &data, "big.bin").await, data);
    let save_big = <tl::functions::upload::SaveBigFilePart as tl::Identifiable>::CONSTRUCTOR_ID;
    assert_eq!(dc.world().call_count(save_big), 21);
}
