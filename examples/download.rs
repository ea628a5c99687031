//! Run with `cargo run --release --example download -- [--range START..END] [--output FILE] [--size-mib N]`.
//!
//! Downloads a document (whole, or the byte range `--range START..END`, end
//! exclusive; `START..` and `..END` work too) through tgcmd's transfer
//! engine with a progress bar. Every part is checked against the server's
//! SHA-256 hashes unless `--no-verify`. The bytes go to `--output FILE`, or
//! are hashed and discarded.
//!
//! By default everything runs against the embedded fake DC: the example first
//! uploads `--size-mib` MiB of sample data to Saved Messages, so there is
//! something to download, and checks the downloaded bytes against it.
//!
//! Against real Telegram, give the app's credentials and a signed-in session
//! (make one with `cargo run --example login`). The example then downloads the
//! newest document in your Saved Messages: it reads the last 100 messages with
//! `messages.getHistory` on `inputPeerSelf` and takes the first one with a
//! document. Send one first, e.g. with `cargo run --example upload -- FILE
//! --api-id …`.
//!
//! ```text
//! cargo run --release --example download -- --range 0..1048576 --output first-mib.bin \
//!     --api-id 12345 --api-hash 0123456789abcdef0123456789abcdef --session tgcmd.session
//! ```

use std::io;
use std::ops::Bound;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use fakedc::{Config, FakeDc};
use grammers_tl_types as tl;
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use tgcmd::media::{Document, UploadSource};
use tgcmd::transfer::{DownloadOptions, Progress, UploadOptions};
use tgcmd::{Client, ClientBuilder};
use tokio::io::AsyncWrite;

/// A byte range `START..END` (end exclusive); either side may be left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ByteRange {
    start: u64,
    end: Option<u64>,
}

fn parse_range(text: &str) -> Result<ByteRange, String> {
    let (start, end) = text
        .split_once("..")
        .ok_or_else(|| format!("{text:?} is not START..END"))?;
    let number = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("{s:?} is not a byte offset"))
    };
    let start = if start.trim().is_empty() {
        0
    } else {
        number(start)?
    };
    let end = if end.trim().is_empty() {
        None
    } else {
        Some(number(end)?)
    };
    if end.is_some_and(|end| end < start) {
        return Err(format!("the range {text:?} ends before it starts"));
    }
    Ok(ByteRange { start, end })
}

/// Downloads a document with a progress bar.
#[derive(Parser, Debug)]
#[command(about, long_about = None)]
struct Args {
    /// Bytes to download, `START..END` with END exclusive (default: all).
    #[arg(long, value_parser = parse_range)]
    range: Option<ByteRange>,
    /// Where to write the bytes (default: hash them and discard).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Do not check the parts against the server's SHA-256 hashes.
    #[arg(long)]
    no_verify: bool,
    /// Parallel media connections the transfer engine opens per DC.
    #[arg(long)]
    media_connections: Option<usize>,
    /// Bytes in flight at once, in MiB.
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
    /// Fake DC only: size of the sample file uploaded first, in MiB.
    #[arg(long, default_value_t = 32, conflicts_with = "api_id")]
    size_mib: u64,
    /// Fake DC only: round-trip time added to every answer, in ms.
    #[arg(long, default_value_t = 0, conflicts_with = "api_id")]
    latency_ms: u64,
    /// Fake DC only: per-connection bandwidth cap in MiB/s (0 = none).
    #[arg(long, default_value_t = 0, conflicts_with = "api_id")]
    bandwidth_mib: u64,
}

type BoxError = Box<dyn std::error::Error>;

/// What to download, and what it should contain if we know.
struct Target {
    client: Client,
    document: Document,
    /// The uploaded sample, when running against the fake DC.
    expected: Option<Bytes>,
    _fake: Option<FakeDc>,
}

fn builder_options(args: &Args, builder: ClientBuilder) -> ClientBuilder {
    match args.media_connections {
        Some(count) => builder.media_connections(count),
        None => builder,
    }
}

/// Real Telegram: the newest document in Saved Messages.
async fn newest_saved_document(client: &Client) -> Result<Document, BoxError> {
    let history = client
        .invoke(&tl::functions::messages::GetHistory {
            peer: tl::enums::InputPeer::PeerSelf,
            offset_id: 0,
            offset_date: 0,
            add_offset: 0,
            limit: 100,
            max_id: 0,
            min_id: 0,
            hash: 0,
        })
        .await?;
    let messages = match history {
        tl::enums::messages::Messages::Messages(m) => m.messages,
        tl::enums::messages::Messages::Slice(m) => m.messages,
        tl::enums::messages::Messages::ChannelMessages(m) => m.messages,
        tl::enums::messages::Messages::NotModified(_) => Vec::new(),
    };
    // Newest first.
    messages
        .iter()
        .find_map(|message| match message {
            tl::enums::Message::Message(m) => match &m.media {
                Some(tl::enums::MessageMedia::Document(media)) => {
                    media.document.as_ref().and_then(Document::from_tl)
                }
                _ => None,
            },
            _ => None,
        })
        .ok_or_else(|| {
            "no document among the last 100 messages of Saved Messages; send one first \
             (e.g. `cargo run --example upload -- FILE --api-id … --api-hash … --session …`)"
                .into()
        })
}

async fn target(args: &Args) -> Result<Target, BoxError> {
    if let (Some(api_id), Some(api_hash), Some(session)) =
        (args.api_id, &args.api_hash, &args.session)
    {
        let builder = ClientBuilder::new(api_id, api_hash.as_str()).session_file(session);
        let client = builder_options(args, builder).connect().await?;
        if !client.is_authorized().await? {
            return Err(format!(
                "{} is not signed in; run `cargo run --example login -- {}` first",
                session.display(),
                session.display()
            )
            .into());
        }
        let document = newest_saved_document(&client).await?;
        return Ok(Target {
            client,
            document,
            expected: None,
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
    let client = builder_options(args, builder).connect().await?;
    println!(
        "using the embedded fake DC at {} (latency {} ms, bandwidth cap {})",
        fake.home_dc().addr,
        args.latency_ms,
        match args.bandwidth_mib {
            0 => "none".to_string(),
            mib => format!("{mib} MiB/s per connection"),
        }
    );
    let len = usize::try_from(args.size_mib * 1024 * 1024)
        .map_err(|_| "--size-mib is too large for this machine")?;
    let data = Bytes::from(sample(len));
    let started = Instant::now();
    let (message_id, document) = client
        .send_document_to_self(
            &UploadSource::Bytes {
                name: format!("sample-{}MiB.bin", args.size_mib),
                data: data.clone(),
            },
            "application/octet-stream",
            "a sample for tgcmd's download example",
            UploadOptions::default(),
        )
        .await?;
    println!(
        "uploaded a {len}-byte sample first (message {message_id}, document {}) in {:.2?}",
        document.id,
        started.elapsed()
    );
    Ok(Target {
        client,
        document,
        expected: Some(data),
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

/// Hashes what it is given, optionally writing it to a file as well.
struct Output {
    file: Option<tokio::fs::File>,
    hasher: Sha256,
    /// For the fake DC: a copy to compare with the uploaded sample.
    copy: Option<Vec<u8>>,
}

impl AsyncWrite for Output {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let n = match this.file.as_mut() {
            Some(file) => match Pin::new(file).poll_write(cx, buf) {
                Poll::Ready(Ok(n)) => n,
                other => return other,
            },
            None => buf.len(),
        };
        this.hasher.update(&buf[..n]);
        if let Some(copy) = this.copy.as_mut() {
            copy.extend_from_slice(&buf[..n]);
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.file.as_mut() {
            Some(file) => Pin::new(file).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.file.as_mut() {
            Some(file) => Pin::new(file).poll_shutdown(cx),
            None => Poll::Ready(Ok(())),
        }
    }
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
    let target = target(&args).await?;
    let document = &target.document;
    let range = args.range.unwrap_or(ByteRange {
        start: 0,
        end: None,
    });
    let end = range.end.unwrap_or(document.size).min(document.size);
    if range.start > end {
        return Err(format!(
            "the range starts at {} but the document has {} bytes",
            range.start, document.size
        )
        .into());
    }
    println!(
        "downloading bytes {}..{end} of document {} ({}, {} bytes, DC {})",
        range.start,
        document.id,
        document.file_name.as_deref().unwrap_or("unnamed"),
        document.size,
        document.dc_id
    );

    let file = match &args.output {
        Some(path) => Some(
            tokio::fs::File::create(path)
                .await
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?,
        ),
        None => None,
    };
    let mut output = Output {
        file,
        hasher: Sha256::new(),
        copy: target.expected.as_ref().map(|_| Vec::new()),
    };

    let bar = progress_bar(end - range.start);
    let mut options = DownloadOptions {
        verify: !args.no_verify,
        ..DownloadOptions::default()
    };
    if let Some(mib) = args.window_mib {
        options.window_bytes = mib.max(1) * 1024 * 1024;
    }
    let shown = bar.clone();
    options.progress = Some(Arc::new(move |p: Progress| shown.set_position(p.done)));

    let bounds = (
        Bound::Included(range.start),
        range.end.map_or(Bound::Unbounded, Bound::Excluded),
    );
    let started = Instant::now();
    let result = target
        .client
        .download(&document.location(), bounds, &mut output, &options)
        .await;
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    let report = result?;

    let mib = report.bytes as f64 / (1024.0 * 1024.0);
    println!(
        "downloaded {} bytes in {elapsed:.2?} ({:.1} MiB/s) with {} getFile requests over {} media connections; {} bytes checked against the server's hashes",
        report.bytes,
        mib / elapsed.as_secs_f64(),
        report.requests,
        target.client.media_connections(),
        report.verified_bytes
    );
    println!("sha256 of the bytes: {}", hex(&output.hasher.finalize()));
    if let Some(path) = &args.output {
        println!("written to {}", path.display());
    }
    if let (Some(expected), Some(copy)) = (&target.expected, &output.copy) {
        let expected = &expected[range.start as usize..end as usize];
        if copy.as_slice() != expected {
            return Err("the downloaded bytes differ from the uploaded sample".into());
        }
        println!("identical to the uploaded sample");
    }
    Ok(())
}
