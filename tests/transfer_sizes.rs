//! Uploads and downloads at the size boundaries of the files spec, against
//! the fake DC: 1 byte, 1 KiB − 1, exactly one part (512 KiB), one part and
//! a byte, exactly 10 MiB (the largest `saveFilePart` file, with its MD5),
//! 10 MiB + 1 (the smallest `saveBigFilePart` file) and 100 MiB.
//!
//! Each file is uploaded, checked for the method it used (by the server's
//! call counts), finalised, and read back whole and in seeded random
//! ranges, in both precise and non-precise mode, byte for byte.

mod support;

use md5::{Digest, Md5};
use support::transfer::{
    KIB, MIB, Rng, SAVE_BIG_FILE_PART, SAVE_FILE_PART, assert_same, fetch, finalise_document,
    no_hang,
};
use tgcmd::Client;
use tgcmd::transfer::{DownloadMode, DownloadOptions, UploadOptions};

/// Which upload method a size must use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Small,
    Big,
}

/// Uploads `len` bytes with a known size, checks the method and the
/// `InputFile`, finalises, and reads the document back.
async fn round_trip(len: usize, method: Method, seed: u32, ranges: usize, max_range: usize) {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(len, seed);
    let world = fake.world();

    let (small_before, big_before) = (
        world.call_count(SAVE_FILE_PART),
        world.call_count(SAVE_BIG_FILE_PART),
    );
    let uploaded = no_hang(
        "upload",
        client.upload_stream(
            &data[..],
            Some(len as u64),
            UploadOptions::named("sized.bin"),
        ),
    )
    .await
    .expect("the upload succeeds");
    let parts = len.div_ceil(512 * KIB) as u64;
    let small_calls = world.call_count(SAVE_FILE_PART) - small_before;
    let big_calls = world.call_count(SAVE_BIG_FILE_PART) - big_before;
    assert_eq!(uploaded.size, len as u64);
    match (method, &uploaded.input_file) {
        (Method::Small, grammers_tl_types::enums::InputFile::File(file)) => {
            assert_eq!((small_calls, big_calls), (parts, 0), "len {len}");
            assert_eq!(file.parts as u64, parts);
            let md5: String = Md5::digest(&data)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(
                file.md5_checksum, md5,
                "len {len}: inputFile carries the MD5"
            );
            assert_eq!(uploaded.md5.as_deref(), Some(md5.as_str()));
            assert!(!uploaded.handle.big);
        }
        (Method::Big, grammers_tl_types::enums::InputFile::Big(file)) => {
            assert_eq!((small_calls, big_calls), (0, parts), "len {len}");
            assert_eq!(file.parts as u64, parts);
            assert_eq!(uploaded.md5, None);
            assert!(uploaded.handle.big);
        }
        (method, other) => panic!("len {len}: expected {method:?}, got {other:?}"),
    }

    let document = finalise_document(&client, uploaded.input_file.clone())
        .await
        .expect("finalising succeeds");
    assert_eq!(document.size, len as u64);
    read_back(&client, &document, &data, seed, ranges, max_range).await;
}

/// Reads `data` back whole and in random ranges, in both modes.
async fn read_back(
    client: &Client,
    document: &tgcmd::media::Document,
    data: &[u8],
    seed: u32,
    ranges: usize,
    max_range: usize,
) {
    let len = data.len() as u64;
    let location = document.location();
    let mut rng = Rng::new(u64::from(seed) << 32 | len);
    for mode in [DownloadMode::NonPrecise, DownloadMode::Precise] {
        let options = DownloadOptions {
            mode,
            ..DownloadOptions::default()
        };
        let (whole, report) = no_hang("download", fetch(client, &location, 0..len, &options))
            .await
            .expect("the download succeeds");
        assert_same(
            &whole,
            data,
            &format!("whole file of {len} bytes, {mode:?}"),
        );
        assert_eq!(report.bytes, len);
        assert_eq!(report.verified_bytes, len, "{mode:?}: every byte verified");
        assert_eq!(report.refetched_chunks, 0);
        assert_eq!(report.dc_id, 1);

        // Random ranges (at most `max_range` long), plus the edges: the first and last byte, and the
        // empty range at the end.
        let mut wanted: Vec<_> = (0..ranges)
            .map(|_| rng.range_at_most(len, max_range as u64))
            .collect();
        wanted.extend([0..1, len - 1..len, len..len]);
        for range in wanted {
            let (got, report) = no_hang("range", fetch(client, &location, range.clone(), &options))
                .await
                .expect("the range downloads");
            let expected = &data[range.start as usize..range.end as usize];
            assert_same(
                &got,
                expected,
                &format!("range {range:?} of {len}, {mode:?}"),
            );
            assert_eq!(report.bytes, range.end - range.start);
            assert!(report.verified_bytes >= report.bytes);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_byte() {
    round_trip(1, Method::Small, 1, 2, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_kib_minus_one() {
    round_trip(KIB - 1, Method::Small, 2, 8, KIB).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_part() {
    round_trip(512 * KIB, Method::Small, 3, 8, MIB).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_part_and_a_byte() {
    round_trip(512 * KIB + 1, Method::Small, 4, 8, MIB).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_ten_mib_is_still_small_with_md5() {
    round_trip(10 * MIB, Method::Small, 5, 8, 10 * MIB).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_mib_and_a_byte_is_big() {
    round_trip(10 * MIB + 1, Method::Big, 6, 8, 10 * MIB).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hundred_mib() {
    round_trip(100 * MIB, Method::Big, 7, 8, 3 * MIB).await;
}

/// A stream of unknown length goes through `saveBigFilePart` even when it
/// turns out small, and still reads back identically.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_size_stream_is_big_even_when_small() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let len = 3 * 512 * KIB + 77;
    let data = support::data::pattern(len, 8);
    let uploaded = no_hang(
        "upload",
        client.upload_stream(&data[..], None, UploadOptions::named("stream.bin")),
    )
    .await
    .expect("the upload succeeds");
    assert_eq!(uploaded.size, len as u64);
    assert!(matches!(
        uploaded.input_file,
        grammers_tl_types::enums::InputFile::Big(ref f) if f.parts == 4
    ));
    assert_eq!(fake.world().call_count(SAVE_BIG_FILE_PART), 4);
    assert_eq!(fake.world().call_count(SAVE_FILE_PART), 0);
    let document = finalise_document(&client, uploaded.input_file)
        .await
        .expect("finalising succeeds");
    read_back(&client, &document, &data, 8, 4, MIB).await;
}
