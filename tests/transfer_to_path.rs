//! `download_to_path` against the fake DC: chunks are written at their
//! positions as they arrive, in any order, and the file on disk ends up
//! identical to the remote one, whatever was in the file before.

mod support;

use std::path::PathBuf;

use support::transfer::{KIB, MIB, assert_same, no_hang, put_document, stored_location};
use tgcmd::transfer::{DownloadMode, DownloadOptions, FileLocation};

fn temp_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("transfer_to_path");
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positioned_writes_produce_the_identical_file() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    for (len, seed) in [(9 * MIB + 4321, 1u32), (300 * KIB, 2), (1, 3)] {
        let data = support::data::pattern(len, seed);
        let location = stored_location(&put_document(&fake, 1, &data), 1);
        for mode in [DownloadMode::NonPrecise, DownloadMode::Precise] {
            let path = temp_path(&format!("file-{len}-{mode:?}.bin"));
            // A longer file is there already: it must be cut to size.
            std::fs::write(&path, vec![0xeeu8; len + 100_000]).expect("pre-existing file");
            let options = DownloadOptions {
                mode,
                ..DownloadOptions::default()
            };
            let report = no_hang(
                "download",
                client.download_to_path(&location, &path, &options),
            )
            .await
            .expect("download_to_path");
            assert_eq!(report.bytes, len as u64);
            assert_eq!(report.verified_bytes, len as u64);
            let written = std::fs::read(&path).expect("read back");
            assert_same(&written, &data, &format!("{len} bytes to disk, {mode:?}"));
            std::fs::remove_file(&path).expect("clean up");
        }
    }
}

/// Chunks arriving out of order (a small window and one slow chunk) still
/// land in their places.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_order_chunks_land_in_place() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(4 * MIB + 1, 4);
    let location = stored_location(&put_document(&fake, 1, &data), 1);
    // The first getFile waits a second while the others are written.
    fake.faults()
        .flood_wait(Some(support::transfer::GET_FILE), 1, 1);
    let path = temp_path("out-of-order.bin");
    no_hang(
        "download",
        client.download_to_path(&location, &path, &DownloadOptions::default()),
    )
    .await
    .expect("download_to_path");
    assert_same(
        &std::fs::read(&path).expect("read back"),
        &data,
        "out of order",
    );
    std::fs::remove_file(&path).expect("clean up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_of_unknown_size_to_a_path() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(3 * MIB + 77, 5);
    let location = FileLocation {
        size: None,
        ..stored_location(&put_document(&fake, 1, &data), 1)
    };
    let path = temp_path("unknown-size.bin");
    std::fs::write(&path, vec![1u8; 5 * MIB]).expect("pre-existing file");
    let report = no_hang(
        "download",
        client.download_to_path(&location, &path, &DownloadOptions::default()),
    )
    .await
    .expect("download_to_path");
    assert_eq!(report.bytes, data.len() as u64);
    assert_same(
        &std::fs::read(&path).expect("read back"),
        &data,
        "unknown size",
    );
    std::fs::remove_file(&path).expect("clean up");
}
