//! Run with `cargo run --release --example upload -- [FILE] [--size-mib N] [--latency-ms N] [--bandwidth-mib N]`.
//!
//! Uploads a file (or, without FILE, `--size-mib` MiB of generated data)
//! through tgcmd's transfer engine with a progress bar, and sends it to
//! Saved Messages as a document.
//!
//! By default everything runs against the embedded fake DC (no network, no
//! account); `--latency-ms` and `--bandwidth-mib` shape its link.
//!
//! Against real Telegram, give the app's credentials and a session file that
//! is already signed in (make one with `cargo run --example login`):
//!
//! ```text
//! cargo run --release --example upload -- photo.jpg \
//!     --api-id 12345 --api-hash 0123456789abcdef0123456789abcdef --session tgcmd.session
//! ```
//!
//! `examples/download.rs` then fetches the newest document of Saved
//! Messages back.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use fakedc::{Config, FakeDc};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use tgcmd::media::UploadSource;
use tgcmd::transfer::{Progress, UploadOptions};
use tgcmd::{Client, ClientBuilder};

/// Uploads a file to Saved Messages with a progress bar.
#[derive(Parser, Debug)]
#[command(about, long_about = None)]
struct Args {
    /// The file to upload; without it, generated data is uploaded.
    file: Option<PathBuf>,
    /// Size of the generated data when no FILE is given, in MiB.
    #[arg(long, default_value_t = 32)]
    size_mib: u64,
    /// Parallel media connections the transfer engine opens per DC.
    #[arg(long)]
    media_connections: Option<usize>,
    /// Bytes of parts in flight at once, in MiB.
    #[arg(long)]
    window_mib: Option<usize>,
    /// api_id from https://my.telegram.org (uses real Telegram).
    #[arg(long, requires_all = ["api_hash", "session"])]
    api_id: Option<i32>,
    /// api_hash from https://my.telegram.org.
    #[arg(long, requires = "api_id")]
    api_hash: Option<String>,
    /// A signed-in session file (see `cargo run --example login`).
    #[arg(long, requires = "api_id")]
    session: Option<PathBuf>,
    /// Fake DC only: round-trip time added to every answer, in ms.
    #[arg(long, default_value_t = 0, conflicts_with = "api_id")]
    latency_ms: u64,
    /// Fake DC only: per-connection bandwidth cap in MiB/s (0 = none).
    #[arg(long, default_value_t = 0, conflicts_with = "api_id")]
    bandwidth_mib: u64,
}

type BoxError = Box<dyn std::error::Error>;

/// The client, and the fake DC it talks to if it is not real Telegram.
struct Connection {
    client: Client,
    _fake: Option<FakeDc>,
}

async fn connect(args: &Args) -> Result<Connection, BoxError> {
    if let (Some(api_id), Some(api_hash), Some(session)) =
        (args.api_id, &args.api_hash, &args.session)
    {
        let mut builder = ClientBuilder::new(api_id, api_hash.as_str()).session_file(session);
        if let Some(count) = args.media_connections {
            builder = builder.media_connections(count);
        }
        let client = builder.connect().await?;
        if !client.is_authorized().await? {
            return Err(format!(
                "{} is not signed in; run `cargo run --example login -- {}` first",
                session.display(),
                session.display()
            )
            .into());
        }
        return Ok(Connection {
            client,
            _fake: None,
        });
    }
    let fake = FakeDc::start(Config {
        latency: Duration::from_millis(args.latency_ms),
        bandwidth: (args.bandwidth_mib > 0).then(|| args.bandwidth_mib * 1024 * 1024),
        ..Config::default()
    })
    .await?;
    let mut builder =
        ClientBuilder::new(12345, "0123456789abcdef0123456789abcdef").home_dc(fake.home_dc().dc_id);
    for dc in fake.dcs() {
        builder = builder
            .dc_address(dc.dc_id, dc.addr)
            .pre_shared_key(dc.dc_id, dc.auth_key);
    }
    if let Some(count) = args.media_connections {
        builder = builder.media_connections(count);
    }
    println!(
        "using the embedded fake DC at {} (latency {} ms, bandwidth cap {})",
        fake.home_dc().addr,
        args.latency_ms,
        match args.bandwidth_mib {
            0 => "none".to_string(),
            mib => format!("{mib} MiB/s per connection"),
        }
    );
    Ok(Connection {
        client: builder.connect().await?,
        _fake: Some(fake),
    })
}

/// `len` bytes of incompressible sample data.
fn sample(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
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

fn progress_bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let connection = connect(&args).await?;
    let client = &connection.client;

    let (source, len, digest) = match &args.file {
        Some(path) => {
            let len = std::fs::metadata(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?
                .len();
            (UploadSource::Path(path.clone()), len, None)
        }
        None => {
            let len = usize::try_from(args.size_mib * 1024 * 1024)
                .map_err(|_| "--size-mib is too large for this machine")?;
            let data = sample(len);
            let digest = hex(&Sha256::digest(&data));
            let source = UploadSource::Bytes {
                name: format!("sample-{}MiB.bin", args.size_mib),
                data: Bytes::from(data),
            };
            (source, len as u64, Some(digest))
        }
    };

    let bar = progress_bar(len);
    let mut options = UploadOptions::default();
    if let Some(mib) = args.window_mib {
        options.window_bytes = mib.max(1) * 1024 * 1024;
    }
    let shown = bar.clone();
    options.progress = Some(Arc::new(move |p: Progress| shown.set_position(p.done)));

    let started = Instant::now();
    let result = client
        .send_document_to_self(
            &source,
            "application/octet-stream",
            "uploaded by tgcmd's upload example",
            options,
        )
        .await;
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    let (message_id, document) = result?;

    let mib = len as f64 / (1024.0 * 1024.0);
    println!(
        "uploaded {len} bytes in {elapsed:.2?} ({:.1} MiB/s) over {} media connections",
        mib / elapsed.as_secs_f64(),
        client.media_connections()
    );
    println!(
        "Saved Messages message {message_id} holds document {} ({}, {} bytes, DC {})",
        document.id,
        document.file_name.as_deref().unwrap_or("unnamed"),
        document.size,
        document.dc_id
    );
    if let Some(digest) = digest {
        println!("sha256 of the sample data: {digest}");
    }
    Ok(())
}
