//! Run with `cargo run --release --example transfer_rss -- --dcs dcs.jsonl [--size-mib 1024]`.
//!
//! Measures the client's memory for a big upload and a big download. It
//! uploads `--size-mib` MiB (default 1 GiB) generated on the fly by a reader
//! that never holds more than the buffer it is asked to fill, finalises it
//! into a document with `messages.uploadMedia`, downloads it back into a sink
//! that hashes and discards, checks that the two MD5s match, and prints the
//! process's peak RSS (`VmHWM`) after each step.
//!
//! The fake DC keeps every uploaded file in memory, so for a clean figure
//! run it as a separate process and measure only this one:
//!
//! ```text
//! cargo build --release -p fakedc && cargo build --release --example transfer_rss
//! target/release/fakedc serve --listen 127.0.0.1:0 > /tmp/dcs.jsonl &
//! /usr/bin/time -v target/release/examples/transfer_rss --dcs /tmp/dcs.jsonl
//! kill %1
//! ```
//!
//! `--dcs` takes the JSON lines `fakedc serve` prints. Without it the fake DC
//! runs in this process, and the peak RSS then includes its copy of the file.
//!
//! `/usr/bin/time` reports the peak over the whole run. To measure the two
//! halves as separate processes, run `--upload-only` first: it prints a
//! `--document …` argument that a second run takes to download that file
//! from the same `fakedc serve` without uploading anything.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use clap::Parser;
use grammers_tl_types as tl;
use md5::{Digest, Md5};
use tgcmd::media::Document;
use tgcmd::transfer::{DownloadOptions, UploadOptions};
use tgcmd::{Client, ClientBuilder};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Measures peak memory for a big upload and download.
#[derive(Parser, Debug)]
#[command(about, long_about = None)]
struct Args {
    /// The JSON lines printed by `fakedc serve` (default: an in-process fake DC).
    #[arg(long)]
    dcs: Option<PathBuf>,
    /// How much to upload and download, in MiB.
    #[arg(long, default_value_t = 1024)]
    size_mib: u64,
    /// Parallel media connections the transfer engine opens per DC.
    #[arg(long)]
    media_connections: Option<usize>,
    /// Bytes in flight at once, in MiB (upload and download).
    #[arg(long)]
    window_mib: Option<usize>,
    /// Stop after the upload (and print the `--document` for a later run).
    #[arg(long, conflicts_with = "document")]
    upload_only: bool,
    /// Download this document instead of uploading one first: the
    /// `DC:ID:ACCESS_HASH:REFERENCE_HEX:SIZE` an `--upload-only` run printed.
    #[arg(long, requires = "dcs")]
    document: Option<String>,
}

type BoxError = Box<dyn std::error::Error>;

/// Content made up as it is read: byte `i` is byte `i % 8` of
/// splitmix64(`i / 8`), so nothing but the position is kept.
struct Generated {
    position: u64,
    len: u64,
    md5: Md5,
}

fn word(index: u64) -> [u8; 8] {
    let mut z = index.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)).to_le_bytes()
}

impl AsyncRead for Generated {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let n = (this.len - this.position).min(buf.remaining() as u64) as usize;
        let out = buf.initialize_unfilled_to(n);
        let mut at = this.position;
        let mut filled = 0;
        while filled < n {
            let word = word(at / 8);
            let skip = (at % 8) as usize;
            let take = (8 - skip).min(n - filled);
            out[filled..filled + take].copy_from_slice(&word[skip..skip + take]);
            filled += take;
            at += take as u64;
        }
        this.md5.update(&*out);
        this.position += n as u64;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

/// Hashes what it is given and keeps nothing.
struct HashSink {
    md5: Md5,
    len: u64,
}

impl AsyncWrite for HashSink {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.md5.update(buf);
        self.len += buf.len() as u64;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Peak and current resident set size in KiB, from /proc (Linux only).
fn rss_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

fn report_rss(step: &str) {
    match rss_kib() {
        Some((peak, now)) => println!(
            "{step}: peak RSS {:.1} MiB, current RSS {:.1} MiB",
            peak as f64 / 1024.0,
            now as f64 / 1024.0
        ),
        None => println!("{step}: RSS unavailable on this system"),
    }
}

/// One DC from `fakedc serve`'s output.
struct DcLine {
    dc_id: i32,
    addr: SocketAddr,
    auth_key: [u8; 256],
    home: bool,
}

fn parse_dcs(text: &str) -> Result<Vec<DcLine>, BoxError> {
    let mut dcs = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("not a fakedc JSON line: {e}"))?;
        let field = |name: &str| {
            value
                .get(name)
                .ok_or_else(|| format!("a fakedc line has no {name:?}: {line}"))
        };
        let dc_id = field("dc_id")?
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or("dc_id is not a DC id")?;
        let host: IpAddr = field("host")?
            .as_str()
            .ok_or("host is not a string")?
            .parse()
            .map_err(|e| format!("bad host: {e}"))?;
        let port = field("port")?
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or("port is not a port")?;
        let hex = field("auth_key_hex")?
            .as_str()
            .ok_or("auth_key_hex is not a string")?;
        if hex.len() != 512 || !hex.is_ascii() {
            return Err("auth_key_hex is not 256 hex bytes".into());
        }
        let mut auth_key = [0u8; 256];
        for (i, byte) in auth_key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|_| "auth_key_hex is not hex")?;
        }
        let home = field("home")?.as_bool().unwrap_or(false);
        dcs.push(DcLine {
            dc_id,
            addr: SocketAddr::new(host, port),
            auth_key,
            home,
        });
    }
    if !dcs.iter().any(|dc| dc.home) {
        return Err("the fakedc output names no home DC".into());
    }
    Ok(dcs)
}

/// The client, and the in-process fake DC if there is one.
async fn connect(args: &Args) -> Result<(Client, Option<fakedc::FakeDc>), BoxError> {
    let (dcs, fake) = match &args.dcs {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            (parse_dcs(&text)?, None)
        }
        None => {
            println!(
                "no --dcs given: running the fake DC in this process, so the RSS below includes its copy of the file"
            );
            let fake = fakedc::FakeDc::start(fakedc::Config::default()).await?;
            let dcs = fake
                .dcs()
                .iter()
                .map(|dc| DcLine {
                    dc_id: dc.dc_id,
                    addr: dc.addr,
                    auth_key: dc.auth_key,
                    home: dc.dc_id == fake.home_dc().dc_id,
                })
                .collect();
            (dcs, Some(fake))
        }
    };
    let mut builder = ClientBuilder::new(12345, "0123456789abcdef0123456789abcdef");
    for dc in &dcs {
        builder = builder
            .dc_address(dc.dc_id, dc.addr)
            .pre_shared_key(dc.dc_id, dc.auth_key);
        if dc.home {
            builder = builder.home_dc(dc.dc_id);
        }
    }
    if let Some(count) = args.media_connections {
        builder = builder.media_connections(count);
    }
    Ok((builder.connect().await?, fake))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn mib_per_sec(bytes: u64, started: Instant) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / started.elapsed().as_secs_f64()
}

/// A finalised upload, as `--upload-only` prints it for a later run:
/// `DC:ID:ACCESS_HASH:REFERENCE_HEX:SIZE:MD5`.
struct Uploaded {
    document: Document,
    md5: String,
}

impl Uploaded {
    fn token(&self) -> String {
        let d = &self.document;
        format!(
            "{}:{}:{}:{}:{}:{}",
            d.dc_id,
            d.id,
            d.access_hash,
            hex(&d.file_reference),
            d.size,
            self.md5
        )
    }

    fn from_token(token: &str) -> Result<Self, BoxError> {
        let bad =
            || format!("--document {token:?} is not DC:ID:ACCESS_HASH:REFERENCE_HEX:SIZE:MD5");
        let fields: Vec<&str> = token.split(':').collect();
        let [dc_id, id, access_hash, reference, size, md5] = fields[..] else {
            return Err(bad().into());
        };
        if !reference.len().is_multiple_of(2) || !reference.is_ascii() {
            return Err(bad().into());
        }
        let file_reference = (0..reference.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&reference[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| bad())?;
        Ok(Uploaded {
            document: Document {
                id: id.parse().map_err(|_| bad())?,
                access_hash: access_hash.parse().map_err(|_| bad())?,
                file_reference,
                dc_id: dc_id.parse().map_err(|_| bad())?,
                size: size.parse().map_err(|_| bad())?,
                mime_type: "application/octet-stream".into(),
                file_name: None,
                date: 0,
            },
            md5: md5.to_string(),
        })
    }
}

/// Uploads `size` generated bytes and finalises them into a document.
async fn upload(client: &Client, size: u64, options: UploadOptions) -> Result<Uploaded, BoxError> {
    let started = Instant::now();
    let mut source = Generated {
        position: 0,
        len: size,
        md5: Md5::new(),
    };
    let uploaded = client
        .upload_stream(&mut source, Some(size), options)
        .await?;
    println!(
        "uploaded {} bytes in {:.2?} ({:.1} MiB/s)",
        uploaded.size,
        started.elapsed(),
        mib_per_sec(uploaded.size, started)
    );
    report_rss("after the upload");
    let media = client
        .invoke(&tl::functions::messages::UploadMedia {
            business_connection_id: None,
            peer: tl::enums::InputPeer::PeerSelf,
            media: tl::types::InputMediaUploadedDocument {
                nosound_video: false,
                force_file: true,
                spoiler: false,
                file: uploaded.input_file,
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
    let document = match &media {
        tl::enums::MessageMedia::Document(media) => {
            media.document.as_ref().and_then(Document::from_tl)
        }
        _ => None,
    }
    .ok_or("uploadMedia returned no document")?;
    Ok(Uploaded {
        document,
        md5: hex(&source.md5.finalize()),
    })
}

/// Downloads the document into a sink that hashes and discards, and checks it.
async fn download(
    client: &Client,
    uploaded: &Uploaded,
    options: &DownloadOptions,
) -> Result<(), BoxError> {
    let started = Instant::now();
    let mut sink = HashSink {
        md5: Md5::new(),
        len: 0,
    };
    let report = client
        .download(&uploaded.document.location(), .., &mut sink, options)
        .await?;
    println!(
        "downloaded {} bytes in {:.2?} ({:.1} MiB/s), {} verified against the server's hashes",
        sink.len,
        started.elapsed(),
        mib_per_sec(sink.len, started),
        report.verified_bytes
    );
    report_rss("after the download");
    let received = hex(&sink.md5.finalize());
    if sink.len != uploaded.document.size || received != uploaded.md5 {
        return Err(format!(
            "the download differs: {} bytes with MD5 {received}, uploaded {} bytes with MD5 {}",
            sink.len, uploaded.document.size, uploaded.md5
        )
        .into());
    }
    println!("MD5 {received} both ways");
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let (client, _fake) = connect(&args).await?;
    report_rss("connected");

    let mut upload_options = UploadOptions::named("rss.bin");
    let mut download_options = DownloadOptions::default();
    if let Some(mib) = args.window_mib {
        upload_options.window_bytes = mib.max(1) * 1024 * 1024;
        download_options.window_bytes = mib.max(1) * 1024 * 1024;
    }

    let uploaded = match &args.document {
        Some(token) => Uploaded::from_token(token)?,
        None => upload(&client, args.size_mib * 1024 * 1024, upload_options).await?,
    };
    if args.upload_only {
        println!(
            "to download it in another process: --document {}",
            uploaded.token()
        );
        return Ok(());
    }
    download(&client, &uploaded, &download_options).await
}
