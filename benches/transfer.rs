//! Run with `cargo bench --bench transfer` (about 6 minutes on 2 idle cores).
//!
//! Real file transfers through MTProto against the in-process fake DC:
//! tgcmd's transfer engine side by side with stock grammers-client 0.11
//! (`upload_stream`, `download_media`) in the same run, over the same
//! server, plus the "crypto floor": what MTProto's AES-IGE + SHA-256 alone
//! cost for the same bytes.
//!
//! - Sizes: 1, 8 and 64 MiB (`TRANSFER_BENCH_SIZES_MIB=1,8,64,256` to change).
//! - Links: `no-latency` (loopback as is) and `rtt40ms-50MiBps` (the fake DC
//!   delays every answer by 40 ms and paces each connection to 50 MiB/s in
//!   each direction).
//! - Uploads time only the parts (tgcmd `upload_stream` vs grammers
//!   `upload_stream`, bytes from memory); the finalising call is left out on
//!   both sides. Downloads fetch the same stored document: tgcmd with
//!   `DownloadOptions::default()` (SHA-256 verification on) into a `Vec`,
//!   grammers with `download_media` into a temporary file. A third line,
//!   `tgcmd-noverify`, turns verification off.
//! - The fake DC, tgcmd and grammers share one 2-worker tokio runtime, and so
//!   the machine's cores: the server's encryption competes with the client's.
//!   At the end the bench prints the CPU time and the busy cores of every
//!   benchmark's timed iterations.
//! - The crypto floor (`crypto-floor/{upload,download}-path`) does the
//!   MTProto work of both ends for 8 MiB in 512 KiB messages: the sender's
//!   `msg_key` SHA-256 and AES-256-IGE encryption, the receiver's decryption
//!   and `msg_key` check, on one thread and split over two.
//!
//! Knobs for exploring the engine from the outside:
//! `TGCMD_MEDIA_CONNECTIONS` (default: tgcmd's default) and
//! `TGCMD_WINDOW_MIB` (upload and download window; default: the engine's).
//! Filter as usual: `cargo bench --bench transfer -- download/rtt40ms`.

#[path = "../tests/support/grammers.rs"]
mod grammers_support;

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use fakedc::{Config, FakeDc, FileKind};
use grammers_tl_types as tl;
use tgcmd::transfer::{DownloadOptions, FileLocation, UploadOptions};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

const MIB: usize = 1024 * 1024;
/// The part size both clients use, and so the size of each MTProto message
/// the crypto floor encrypts.
const MESSAGE: usize = 512 * 1024;
/// What the MTProto envelope and the `saveBigFilePart` / `upload.file`
/// headers add to a part, roughly.
const MESSAGE_OVERHEAD: usize = 64;

/// One link setting of the fake DC.
struct Link {
    name: &'static str,
    latency: Duration,
    bandwidth: Option<u64>,
}

const LINKS: [Link; 2] = [
    Link {
        name: "no-latency",
        latency: Duration::ZERO,
        bandwidth: None,
    },
    Link {
        name: "rtt40ms-50MiBps",
        latency: Duration::from_millis(40),
        bandwidth: Some(50 << 20),
    },
];

/// Settings read from the environment.
struct Knobs {
    sizes_mib: Vec<usize>,
    media_connections: Option<usize>,
    window_bytes: Option<usize>,
}

fn env_number(name: &str) -> Option<usize> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {value:?}")),
    )
}

impl Knobs {
    fn from_env() -> Self {
        let sizes_mib = match std::env::var("TRANSFER_BENCH_SIZES_MIB") {
            Ok(list) => list
                .split(',')
                .map(|s| {
                    s.trim()
                        .parse()
                        .unwrap_or_else(|_| panic!("TRANSFER_BENCH_SIZES_MIB: not a number: {s:?}"))
                })
                .collect(),
            Err(_) => vec![1, 8, 64],
        };
        Knobs {
            sizes_mib,
            media_connections: env_number("TGCMD_MEDIA_CONNECTIONS"),
            window_bytes: env_number("TGCMD_WINDOW_MIB").map(|mib| mib * MIB),
        }
    }

    fn upload_options(&self) -> UploadOptions {
        let mut options = UploadOptions::named("bench.bin");
        if let Some(window) = self.window_bytes {
            options.window_bytes = window;
        }
        options
    }

    fn download_options(&self, verify: bool) -> DownloadOptions {
        let mut options = DownloadOptions {
            verify,
            ..DownloadOptions::default()
        };
        if let Some(window) = self.window_bytes {
            options.window_bytes = window;
        }
        options
    }
}

/// Incompressible test content (xorshift64), so that grammers' gzip of
/// outgoing requests cannot shrink what goes on the wire.
fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A document both clients can download.
struct StoredDocument {
    tgcmd: FileLocation,
    grammers: grammers_client::media::Document,
}

/// The fake DC with both clients connected to it.
struct Bed {
    fake: FakeDc,
    tgcmd: tgcmd::Client,
    grammers: grammers_client::Client,
    _grammers_runner: JoinHandle<()>,
    /// The id of the key both clients use, under which uploads are filed.
    key_id: i64,
}

impl Bed {
    async fn start(link: &Link, knobs: &Knobs) -> Bed {
        let fake = FakeDc::start(Config {
            latency: link.latency,
            bandwidth: link.bandwidth,
            ..Config::default()
        })
        .await
        .expect("the fake DC starts");
        let home = fake.home_dc();
        let mut builder =
            tgcmd::ClientBuilder::new(grammers_support::API_ID, grammers_support::API_HASH)
                .home_dc(home.dc_id);
        if let Some(count) = knobs.media_connections {
            builder = builder.media_connections(count);
        }
        for dc in fake.dcs() {
            builder = builder
                .dc_address(dc.dc_id, dc.addr)
                .pre_shared_key(dc.dc_id, dc.auth_key);
        }
        let tgcmd = builder.connect().await.expect("tgcmd connects");
        let (grammers, runner) = grammers_support::signed_in_client(&fake).await;
        grammers.get_me().await.expect("grammers connects");
        let key_id = grammers_support::key_id(&home.auth_key);
        Bed {
            fake,
            tgcmd,
            grammers,
            _grammers_runner: runner,
            key_id,
        }
    }

    /// Drops the parts of an unfinalised upload, so that repeated uploads
    /// do not pile up in the fake DC's memory.
    fn forget_upload(&self, file_id: i64) {
        self.fake
            .world()
            .lock()
            .files
            .remove_upload(self.key_id, file_id);
    }

    /// Stores `data` as a document on the home DC.
    fn store(&self, data: &[u8]) -> StoredDocument {
        let file = self.fake.put_file(
            self.fake.home_dc().dc_id,
            FileKind::Document,
            data.to_vec(),
            "application/octet-stream",
            "bench.bin",
        );
        let document = file.to_document(None);
        let tgcmd = tgcmd::media::Document::from_tl(&document)
            .expect("a document")
            .location();
        let grammers =
            grammers_client::media::Document::from_raw_media(tl::types::MessageMediaDocument {
                nopremium: false,
                spoiler: false,
                video: false,
                round: false,
                voice: false,
                document: Some(document),
                alt_documents: None,
                video_cover: None,
                video_timestamp: None,
                ttl_seconds: None,
            });
        StoredDocument { tgcmd, grammers }
    }

    async fn tgcmd_upload(&self, data: &[u8], options: &UploadOptions) -> Timed {
        let started = Stopwatch::start();
        let uploaded = self
            .tgcmd
            .upload_stream(data, Some(data.len() as u64), options.clone())
            .await
            .expect("tgcmd uploads");
        let elapsed = started.stop();
        assert_eq!(uploaded.size, data.len() as u64);
        self.forget_upload(uploaded.handle.file_id);
        elapsed
    }

    async fn grammers_upload(&self, data: &[u8]) -> Timed {
        let mut reader = std::io::Cursor::new(data);
        let started = Stopwatch::start();
        let uploaded = self
            .grammers
            .upload_stream(&mut reader, data.len(), "bench.bin".into())
            .await
            .expect("grammers uploads");
        let elapsed = started.stop();
        let file_id = match uploaded.raw {
            tl::enums::InputFile::File(f) => f.id,
            tl::enums::InputFile::Big(f) => f.id,
            other => panic!("unexpected input file {other:?}"),
        };
        self.forget_upload(file_id);
        elapsed
    }

    async fn tgcmd_download(
        &self,
        document: &StoredDocument,
        sink: &mut Vec<u8>,
        options: &DownloadOptions,
    ) -> Timed {
        sink.clear();
        let started = Stopwatch::start();
        self.tgcmd
            .download(&document.tgcmd, .., &mut *sink, options)
            .await
            .expect("tgcmd downloads");
        let elapsed = started.stop();
        assert_eq!(Some(sink.len() as u64), document.tgcmd.size);
        elapsed
    }

    async fn grammers_download(&self, document: &StoredDocument, path: &PathBuf) -> Timed {
        let started = Stopwatch::start();
        self.grammers
            .download_media(&document.grammers, path)
            .await
            .expect("grammers downloads");
        started.stop()
    }
}

/// CPU time this process has used so far, all threads (client, fake DC,
/// runtime and finished threads alike), from `/proc/self/stat` in clock
/// ticks of 10 ms; zero where that is unavailable. Differences of it are
/// accurate to a tick, which averages out over a benchmark's iterations.
fn process_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The fields after the command name, which ends with the last ')':
    // utime and stime are the 12th and 13th of them.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks: u64 = fields
        .get(11..13)
        .map_or(0, |f| f.iter().filter_map(|t| t.parse::<u64>().ok()).sum());
    Duration::from_millis(ticks * 10)
}

/// Wall-clock and CPU time of one timed transfer.
#[derive(Clone, Copy, Default)]
struct Timed {
    wall: Duration,
    cpu: Duration,
}

impl std::ops::AddAssign for Timed {
    fn add_assign(&mut self, other: Timed) {
        self.wall += other.wall;
        self.cpu += other.cpu;
    }
}

struct Stopwatch {
    wall: Instant,
    cpu: Duration,
}

impl Stopwatch {
    fn start() -> Self {
        Stopwatch {
            cpu: process_cpu(),
            wall: Instant::now(),
        }
    }

    fn stop(&self) -> Timed {
        let wall = self.wall.elapsed();
        Timed {
            wall,
            cpu: process_cpu().saturating_sub(self.cpu),
        }
    }
}

/// Wall-clock and CPU time of every benchmark's timed iterations, printed
/// at the end: CPU time per transfer is what it costs whatever else runs on
/// the machine, and CPU time over wall time shows how busy the cores were
/// (2.00 = both): a transfer that leaves them idle waits on round trips or
/// on itself.
static CPU_LOG: Mutex<Vec<(String, u64, Timed)>> = Mutex::new(Vec::new());

fn log_cpu(name: &str, iterations: u64, timed: Timed) {
    let mut entries = CPU_LOG.lock().unwrap_or_else(|e| e.into_inner());
    match entries.iter_mut().find(|(n, _, _)| n == name) {
        Some((_, count, total)) => {
            *count += iterations;
            *total += timed;
        }
        None => entries.push((name.to_string(), iterations, timed)),
    }
}

fn print_cpu_log() {
    println!(
        "\nCPU use in the timed iterations (this process: clients and fake DC):\n  {:<48} {:>10} {:>10} {:>6}",
        "benchmark", "wall/iter", "cpu/iter", "cores"
    );
    for (name, iterations, timed) in CPU_LOG.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        if *iterations > 0 && !timed.wall.is_zero() {
            let n = *iterations as f64;
            println!(
                "  {name:<48} {:>8.1}ms {:>8.1}ms {:>6.2}",
                timed.wall.as_secs_f64() * 1e3 / n,
                timed.cpu.as_secs_f64() * 1e3 / n,
                timed.cpu.as_secs_f64() / timed.wall.as_secs_f64()
            );
        }
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A benchmark group with what its benchmarks share.
struct Group<'c, 'r> {
    group: criterion::BenchmarkGroup<'c, criterion::measurement::WallTime>,
    name: String,
    rt: &'r Runtime,
}

impl<'c, 'r> Group<'c, 'r> {
    fn new(c: &'c mut Criterion, name: String, rt: &'r Runtime) -> Self {
        let mut group = c.benchmark_group(&name);
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        Group { group, name, rt }
    }

    /// Benchmarks one transfer of `size` bytes: `run` performs it once and
    /// times it.
    fn bench<F, Fut>(&mut self, function: &str, size: usize, mut run: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Timed>,
    {
        let label = format!("{}MiB", size / MIB);
        let name = format!("{}/{function}/{label}", self.name);
        let rt = self.rt;
        self.group.throughput(Throughput::Bytes(size as u64));
        self.group
            .bench_function(BenchmarkId::new(function, label), |b| {
                b.iter_custom(|iters| {
                    let mut total = Timed::default();
                    for _ in 0..iters {
                        total += rt.block_on(run());
                    }
                    log_cpu(&name, iters, total);
                    total.wall
                })
            });
    }

    fn finish(self) {
        self.group.finish();
    }
}

fn transfers(c: &mut Criterion) {
    let knobs = Knobs::from_env();
    let rt = runtime();
    let temp_path = std::env::temp_dir().join(format!("tgcmd-bench-{}.bin", std::process::id()));
    let upload_options = knobs.upload_options();
    let verified = knobs.download_options(true);
    let unverified = knobs.download_options(false);
    println!(
        "tgcmd settings: media_connections {}, window {}",
        knobs
            .media_connections
            .map_or("default".to_string(), |n| n.to_string()),
        knobs
            .window_bytes
            .map_or("default".to_string(), |w| format!("{} MiB", w / MIB)),
    );

    for link in &LINKS {
        let bed = rt.block_on(Bed::start(link, &knobs));
        let files: Vec<(usize, Vec<u8>)> = knobs
            .sizes_mib
            .iter()
            .map(|&mib| (mib * MIB, content(mib * MIB, mib as u64)))
            .collect();
        let documents: Vec<StoredDocument> =
            files.iter().map(|(_, data)| bed.store(data)).collect();

        // Check once that both clients move the right bytes, and open
        // every connection before anything is timed.
        rt.block_on(async {
            let (_, data) = &files[0];
            bed.tgcmd_upload(data, &upload_options).await;
            bed.grammers_upload(data).await;
            let mut sink = Vec::new();
            bed.tgcmd_download(&documents[0], &mut sink, &verified)
                .await;
            assert!(sink == *data, "tgcmd downloaded the wrong bytes");
            bed.grammers_download(&documents[0], &temp_path).await;
            // grammers' download_media does not flush its tokio file, so
            // the last write may still be on the blocking pool when it returns.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let written = std::fs::read(&temp_path).expect("grammers wrote the file");
            assert!(
                written == *data,
                "grammers downloaded the wrong bytes: {} bytes, first difference at {:?}",
                written.len(),
                written.iter().zip(data.iter()).position(|(a, b)| a != b)
            );
        });

        let mut group = Group::new(c, format!("upload/{}", link.name), &rt);
        for (size, data) in &files {
            group.bench("tgcmd", *size, || bed.tgcmd_upload(data, &upload_options));
            group.bench("grammers", *size, || bed.grammers_upload(data));
        }
        group.finish();

        let mut group = Group::new(c, format!("download/{}", link.name), &rt);
        for ((size, _), document) in files.iter().zip(&documents) {
            // One buffer for every iteration, so page faults are not timed.
            let sink = RefCell::new(Vec::with_capacity(*size));
            for (name, options) in [("tgcmd", &verified), ("tgcmd-noverify", &unverified)] {
                group.bench(name, *size, || async {
                    let mut buffer = sink.take();
                    let timed = bed.tgcmd_download(document, &mut buffer, options).await;
                    sink.replace(buffer);
                    timed
                });
            }
            group.bench("grammers", *size, || {
                bed.grammers_download(document, &temp_path)
            });
        }
        group.finish();
        rt.block_on(async move { drop(bed) });
    }
    let _ = std::fs::remove_file(&temp_path);
    print_cpu_log();
}

/// The MTProto crypto of moving `messages` through one direction of a
/// connection: the sender encrypts (SHA-256 for `msg_key`, AES-256-IGE) and
/// the receiver decrypts (AES-256-IGE, SHA-256 to check `msg_key`).
struct CryptoPath {
    client_key: grammers_crypto::AuthKey,
    server_key: fakedc::AuthKey,
}

impl CryptoPath {
    fn new() -> Self {
        let mut bytes = [0u8; 256];
        bytes.copy_from_slice(&content(256, 42));
        CryptoPath {
            client_key: grammers_crypto::AuthKey::from_bytes(bytes),
            server_key: fakedc::AuthKey::new(bytes),
        }
    }

    /// Client encrypts, server decrypts (an upload's parts).
    fn upload(&self, messages: &[&[u8]]) {
        for message in messages {
            let mut buffer = grammers_crypto::DequeBuffer::with_capacity(message.len() + 64, 32);
            buffer.extend(message.iter());
            grammers_crypto::encrypt_data_v2(&mut buffer, &self.client_key);
            let plaintext = fakedc::crypto::decrypt_from_client(&self.server_key, buffer.as_mut())
                .expect("the server decrypts");
            std::hint::black_box(plaintext);
        }
    }

    /// Server encrypts, client decrypts (a download's `upload.file` answers).
    fn download(&self, messages: &[&[u8]]) {
        for message in messages {
            let mut buffer =
                Vec::with_capacity(fakedc::crypto::ENVELOPE_HEADER_LEN + message.len() + 64);
            buffer.resize(fakedc::crypto::ENVELOPE_HEADER_LEN, 0);
            buffer.extend_from_slice(message);
            let mut packet = fakedc::crypto::encrypt_for_client(&self.server_key, buffer);
            let plaintext = grammers_crypto::decrypt_data_v2(&mut packet, &self.client_key)
                .expect("the client decrypts");
            std::hint::black_box(plaintext);
        }
    }
}

/// Runs `work` over `messages` split between `threads` threads.
fn split<F: Fn(&[&[u8]]) + Sync>(messages: &[&[u8]], threads: usize, work: F) {
    let per_thread = messages.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for chunk in messages.chunks(per_thread) {
            let work = &work;
            scope.spawn(move || work(chunk));
        }
    });
}

fn crypto_floor(c: &mut Criterion) {
    let size = 8 * MIB;
    let data = content(size + size / MESSAGE * MESSAGE_OVERHEAD, 7);
    let messages: Vec<&[u8]> = data.chunks(MESSAGE + MESSAGE_OVERHEAD).collect();
    let path = CryptoPath::new();

    let mut group = c.benchmark_group("crypto-floor");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Bytes(size as u64));
    for threads in [1, 2] {
        let label = format!("{threads}-thread");
        for (direction, run) in [
            (
                "upload-path",
                CryptoPath::upload as fn(&CryptoPath, &[&[u8]]),
            ),
            ("download-path", CryptoPath::download),
        ] {
            let name = format!("crypto-floor/{direction}/{label}");
            group.bench_function(BenchmarkId::new(direction, &label), |b| {
                b.iter_custom(|iters| {
                    let started = Stopwatch::start();
                    for _ in 0..iters {
                        split(&messages, threads, |m| run(&path, m));
                    }
                    let timed = started.stop();
                    log_cpu(&name, iters, timed);
                    timed.wall
                })
            });
        }
    }
    // The pieces, and what tgcmd's hash verification adds per side.
    let mut buffer = data[..size].to_vec();
    group.bench_function(BenchmarkId::new("aes-ige-encrypt", "1-thread"), |b| {
        b.iter(|| {
            for chunk in buffer.chunks_mut(MESSAGE) {
                grammers_crypto::aes::ige_encrypt(chunk, &[1; 32], &[2; 32]);
            }
        })
    });
    group.bench_function(BenchmarkId::new("sha256", "1-thread"), |b| {
        use sha2::Digest;
        b.iter(|| {
            for chunk in data[..size].chunks(128 * 1024) {
                std::hint::black_box(sha2::Sha256::digest(chunk));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, crypto_floor, transfers);
criterion_main!(benches);
