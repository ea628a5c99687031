//! `RemoteFile`, the seekable reader over a remote file, against the fake
//! DC: reading it whole, seeking to seeded random offsets and reading
//! ranges, `SeekFrom::Current` and `SeekFrom::End`, reading at and past the
//! end, a file of unknown size, a failed read being retried, and that
//! dropping a reader stops its read-ahead.

mod support;

use std::io::SeekFrom;
use std::time::Duration;

use support::transfer::{
    GET_FILE, KIB, MIB, Rng, assert_same, no_hang, put_document, stored_location,
};
use tgcmd::transfer::{DownloadMode, DownloadOptions, FileLocation};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

fn options(mode: DownloadMode) -> DownloadOptions {
    DownloadOptions {
        mode,
        ..DownloadOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_file_reads_whole_and_seeks_anywhere() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(5 * MIB + 123, 1);
    let len = data.len() as u64;
    let location = stored_location(&put_document(&fake, 1, &data), 1);
    let mut rng = Rng::new(0x5eed);

    for mode in [DownloadMode::NonPrecise, DownloadMode::Precise] {
        let mut file = client.open_remote(location.clone(), options(mode));
        assert_eq!(file.size(), Some(len));
        let mut whole = Vec::new();
        no_hang("read_to_end", file.read_to_end(&mut whole))
            .await
            .expect("reads to the end");
        assert_same(&whole, &data, &format!("whole file, {mode:?}"));
        assert_eq!(file.position(), len);
        let mut byte = [0u8; 1];
        assert_eq!(file.read(&mut byte).await.expect("read at EOF"), 0);

        // Random seeks and reads.
        for _ in 0..12 {
            let range = rng.range_at_most(len, 2 * MIB as u64);
            let at = file.seek(SeekFrom::Start(range.start)).await.expect("seek");
            assert_eq!(at, range.start);
            let mut buf = vec![0u8; (range.end - range.start) as usize];
            no_hang("read_exact", file.read_exact(&mut buf))
                .await
                .expect("read_exact");
            assert_same(
                &buf,
                &data[range.start as usize..range.end as usize],
                &format!("{range:?}, {mode:?}"),
            );
            assert_eq!(file.position(), range.end);
        }

        // Relative seeks: back, then forward within what is buffered.
        file.seek(SeekFrom::Start(MIB as u64)).await.expect("seek");
        let mut buf = vec![0u8; 1000];
        file.read_exact(&mut buf).await.expect("read");
        let at = file.seek(SeekFrom::Current(-500)).await.expect("seek back");
        assert_eq!(at, MIB as u64 + 500);
        file.read_exact(&mut buf).await.expect("read");
        assert_same(&buf, &data[MIB + 500..MIB + 1500], "after seeking back");
        let at = file.seek(SeekFrom::Current(10)).await.expect("skip ahead");
        assert_eq!(at, MIB as u64 + 1510);
        file.read_exact(&mut buf).await.expect("read");
        assert_same(&buf, &data[MIB + 1510..MIB + 2510], "after skipping ahead");

        // From the end.
        let at = file
            .seek(SeekFrom::End(-4000))
            .await
            .expect("seek from end");
        assert_eq!(at, len - 4000);
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).await.expect("read the tail");
        assert_same(&tail, &data[data.len() - 4000..], "the last 4000 bytes");
        assert_eq!(file.seek(SeekFrom::End(0)).await.expect("seek"), len);
        assert_eq!(file.read(&mut byte).await.expect("read at EOF"), 0);
        // Past the end reads nothing; before the start is an error.
        file.seek(SeekFrom::End(10))
            .await
            .expect("seek past the end");
        assert_eq!(file.read(&mut byte).await.expect("read past EOF"), 0);
        file.seek(SeekFrom::End(-(len as i64) - 1))
            .await
            .expect_err("before the start");
        // And back to the beginning.
        file.seek(SeekFrom::Start(0)).await.expect("rewind");
        let mut head = vec![0u8; 3 * KIB];
        file.read_exact(&mut head).await.expect("read the head");
        assert_same(&head, &data[..3 * KIB], "the head after rewinding");
    }
}

/// Without a known size the reader still reads to the end; seeking from
/// the end is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_file_of_unknown_size() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    for len in [2 * MIB + 7, MIB] {
        let data = support::data::pattern(len, 2);
        let location = FileLocation {
            size: None,
            ..stored_location(&put_document(&fake, 1, &data), 1)
        };
        let mut file = client.open_remote(location, options(DownloadMode::Precise));
        let mut whole = Vec::new();
        no_hang("read_to_end", file.read_to_end(&mut whole))
            .await
            .expect("reads to the end");
        assert_same(&whole, &data, "unknown size");
        file.seek(SeekFrom::Start(12_345)).await.expect("seek");
        let mut rest = Vec::new();
        file.read_to_end(&mut rest).await.expect("read");
        assert_same(&rest, &data[12_345..], "unknown size from an offset");
        let error = file
            .seek(SeekFrom::End(-1))
            .await
            .expect_err("no end to seek from");
        assert_eq!(error.kind(), std::io::ErrorKind::Unsupported);
    }
}

/// A reader that is dropped part-way stops asking for chunks.
///
/// With one chunk in flight and 150 ms per round trip, a reader whose
/// read-ahead task kept running would fill its buffer (four chunks ahead)
/// while a second, identical reader fetches four chunks one after the
/// other. The second reader is the clock: when it is done, a reader that
/// never stopped has fetched at least five chunks, while the dropped one
/// fetched the chunk it read and at most the one already in flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_remote_file_stops_its_read_ahead() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(16 * MIB, 3);
    let dropped = put_document(&fake, 1, &data);
    let other = support::data::pattern(16 * MIB, 4);
    let clock = put_document(&fake, 1, &other);
    fake.shaping().set_latency(Duration::from_millis(150));
    let one_at_a_time = DownloadOptions {
        window_bytes: 512 * KIB,
        ..options(DownloadMode::NonPrecise)
    };
    let chunks_of = |file_id: i64| {
        fake.world()
            .served_chunks()
            .iter()
            .filter(|chunk| chunk.file_id == file_id)
            .count()
    };

    let mut file = client.open_remote(stored_location(&dropped, 1), one_at_a_time.clone());
    let mut buf = vec![0u8; 100 * KIB];
    no_hang("read", file.read_exact(&mut buf))
        .await
        .expect("read");
    assert_same(&buf, &data[..100 * KIB], "the first bytes");
    drop(file);

    let mut second = client.open_remote(stored_location(&clock, 1), one_at_a_time);
    let mut four_chunks = vec![0u8; 4 * 512 * KIB];
    no_hang("the second reader", second.read_exact(&mut four_chunks))
        .await
        .expect("read");
    assert_same(&four_chunks, &other[..4 * 512 * KIB], "the second reader");
    assert!(chunks_of(clock.id) >= 4);

    let fetched = chunks_of(dropped.id);
    assert!(
        (1..=2).contains(&fetched),
        "{fetched} chunks of the dropped reader's file were fetched"
    );
}

/// A read that fails (here a flood wait too long to sleep through) can be
/// retried: the next read starts again at the same position instead of
/// reporting the end of the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_read_can_be_retried() {
    let fake = support::fake_dc().await;
    let client = support::signed_in_client(&fake).await;
    let data = support::data::pattern(MIB + 5, 4);
    let location = stored_location(&put_document(&fake, 1, &data), 1);
    fake.faults().flood_wait(Some(GET_FILE), 3600, 1);
    let mut file = client.open_remote(location, options(DownloadMode::NonPrecise));
    let mut buf = vec![0u8; 1000];
    let error = no_hang("read", file.read_exact(&mut buf))
        .await
        .expect_err("the first getFile is refused");
    let cause = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<tgcmd::Error>())
        .expect("the engine's error inside");
    assert_eq!(cause.flood_wait_seconds(), Some(3600), "{cause}");
    assert_eq!(file.position(), 0);
    let mut whole = Vec::new();
    no_hang("read_to_end", file.read_to_end(&mut whole))
        .await
        .expect("the retried read succeeds");
    assert_same(&whole, &data, "after a failed read");
}
