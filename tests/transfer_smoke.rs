//! First end-to-end check of the transfer engine.

mod support;

use bytes::Bytes;
use tgcmd::media::UploadSource;
use tgcmd::transfer::{DownloadOptions, UploadOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_then_download_whole_and_range() {
    let dc = support::fake_dc().await;
    let client = support::signed_in_client(&dc).await;
    for (len, seed) in [
        (1usize, 1u32),
        (1023, 2),
        (512 * 1024, 3),
        (3 * 1024 * 1024 + 5, 4),
        (10 * 1024 * 1024 + 1, 5),
    ] {
        let data = support::data::pattern(len, seed);
        let source = UploadSource::Bytes {
            name: "f.bin".into(),
            data: Bytes::from(data.clone()),
        };
        let doc = client
            .upload_document(
                &source,
                "application/octet-stream",
                UploadOptions::default(),
            )
            .await
            .expect("upload");
        assert_eq!(doc.size, len as u64);
        let mut out = Vec::new();
        let report = client
            .download(&doc.location(), .., &mut out, &DownloadOptions::default())
            .await
            .expect("download");
        assert_eq!(out, data, "len {len}");
        assert_eq!(report.bytes, len as u64);
        assert_eq!(report.verified_bytes, len as u64);
        if len > 10 {
            let mut part = Vec::new();
            client
                .download(
                    &doc.location(),
                    3..len as u64 - 2,
                    &mut part,
                    &DownloadOptions::default(),
                )
                .await
                .expect("range");
            assert_eq!(part, data[3..len - 2]);
        }
    }
}
