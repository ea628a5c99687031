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
    let stored = put_document(&fake, 1, &data);
    let location = stored_location(&stored, 1);
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
    // Prove the disorder: the flood fired, and the server answered the
    // chunks of this file in an order other than their offsets'.
    assert_eq!(fake.faults().fired().floods, 1, "the flood fired");
    let offsets: Vec<i64> = fake
        .world()
        .served_chunks()
        .iter()
        .filter(|chunk| chunk.file_id == stored.id)
        .map(|chunk| chunk.offset)
        .collect();
    assert_eq!(offsets.len(), data.len().div_ceil(512 * KIB), "{offsets:?}");
    assert!(
        offsets.windows(2).any(|pair| pair[0] > pair[1]),
        "the chunks arrived in order: {offsets:?}"
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

/// The temporary files beside `path` where downloads in progress go
/// (`.<name>.<random>.part`).
fn partials_of(path: &std::path::Path) -> Vec<PathBuf> {
    let name = path.file_name().expect("a file name").to_string_lossy();
    let prefix = format!(".{name}.");
    let dir = path.parent().expect("a directory");
    std::fs::read_dir(dir)
        .expect("the directory")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".part"))
        })
        .collect()
}

/// A download that fails (a chunk corrupted on both tries) leaves the file
/// that was at `path` untouched and no partial file behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_download_leaves_the_old_file_and_no_partial_one() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(200 * KIB, 6);
    let location = stored_location(&put_document(&fake, 1, &data), 1);
    let path = temp_path("failed.bin");
    std::fs::write(&path, b"the previous version").expect("pre-existing file");
    fake.faults().corrupt_get_file(2);
    let error = no_hang(
        "download",
        client.download_to_path(&location, &path, &DownloadOptions::default()),
    )
    .await
    .expect_err("the chunk is damaged both times");
    assert!(
        matches!(error, tgcmd::Error::HashMismatch { .. }),
        "{error}"
    );
    assert_eq!(
        std::fs::read(&path).expect("the old file is there"),
        b"the previous version"
    );
    assert!(
        partials_of(&path).is_empty(),
        "the partial file was removed"
    );
    std::fs::remove_file(&path).expect("clean up");
}

/// Dropping the future mid-download (cancellation by drop) removes the
/// partial file too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_download_leaves_no_partial_file() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(2 * MIB, 7);
    let location = stored_location(&put_document(&fake, 1, &data), 1);
    let path = temp_path("dropped.bin");
    let _ = std::fs::remove_file(&path);
    // The first getFile waits four seconds, so the download is still
    // running when it is dropped.
    fake.faults()
        .flood_wait(Some(support::transfer::GET_FILE), 4, 1);
    let options = DownloadOptions::default();
    let mut download = Box::pin(client.download_to_path(&location, &path, &options));
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        tokio::select! {
            result = &mut download => Some(result),
            () = async {
                while partials_of(&path).is_empty() {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                std::future::pending::<()>().await
            } => None,
        }
    })
    .await;
    assert!(
        outcome.is_err(),
        "the download was still running: {outcome:?}"
    );
    assert_eq!(
        partials_of(&path).len(),
        1,
        "the download writes to a partial file"
    );
    drop(download);
    assert!(
        partials_of(&path).is_empty(),
        "dropping the download removed it"
    );
    assert!(!path.exists(), "nothing was put in place");
}

/// Two downloads to the same path at once each write their own temporary
/// file, so the result is one whole copy, never an interleaving; and a
/// symlink planted at the old fixed `<path>.part` name is not followed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_downloads_to_one_path_do_not_corrupt_each_other() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let first = support::data::pattern(3 * MIB + 11, 8);
    let second = support::data::pattern(3 * MIB + 11, 9);
    let first_location = stored_location(&put_document(&fake, 1, &first), 1);
    let second_location = stored_location(&put_document(&fake, 1, &second), 1);
    let path = temp_path("contended.bin");
    let _ = std::fs::remove_file(&path);
    #[cfg(unix)]
    let victim = {
        let victim = temp_path("contended.victim");
        std::fs::write(&victim, b"not yours").expect("victim");
        let planted = path.with_file_name("contended.bin.part");
        let _ = std::fs::remove_file(&planted);
        std::os::unix::fs::symlink(&victim, &planted).expect("planted symlink");
        victim
    };
    let options = DownloadOptions::default();
    let (a, b) = no_hang("two downloads", async {
        tokio::join!(
            client.download_to_path(&first_location, &path, &options),
            client.download_to_path(&second_location, &path, &options),
        )
    })
    .await;
    a.expect("first download");
    b.expect("second download");
    let got = std::fs::read(&path).expect("read back");
    assert!(
        got == first || got == second,
        "the file is one whole download, not a mix ({} bytes)",
        got.len()
    );
    assert!(partials_of(&path).is_empty(), "no temporary file is left");
    #[cfg(unix)]
    {
        assert_eq!(std::fs::read(&victim).expect("victim"), b"not yours");
        std::fs::remove_file(path.with_file_name("contended.bin.part")).expect("clean up");
        std::fs::remove_file(&victim).expect("clean up");
    }
    std::fs::remove_file(&path).expect("clean up");
}
