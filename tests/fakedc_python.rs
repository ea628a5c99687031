//! Third-party Python clients against the fake DC: Telethon 1.45 and
//! Pyrogram 2.0.106, installed from PyPI into `.venv` (see
//! `tests/interop/README.md`). Each connects with the pre-shared key,
//! checks who it is signed in as, uploads a small file (only
//! `upload.saveFilePart`) and a file of 10 MiB + 1 byte (only
//! `upload.saveBigFilePart`), and downloads it back. The verdict is the
//! test's own: it compares the downloaded file and the server's stored copy
//! with the bytes it wrote, and reads the server's call counters.
//!
//! The interpreter is `$TGCMD_INTEROP_PYTHON` (set by `.ci/run`), or else
//! `.venv/bin/python`, created or brought up to date by `.ci/python-env`
//! when it lacks the pinned clients.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fakedc::{Config, FakeDc};
use grammers_tl_types::{self as tl, Identifiable};
use serde_json::{Value, json};

/// Files above this go through `upload.saveBigFilePart`.
const BIG_FILE_THRESHOLD: usize = 10 * 1024 * 1024;
const SMALL: usize = 1024 * 1024 + 777;
const BIG: usize = BIG_FILE_THRESHOLD + 1;
/// A script that takes longer has hung (the slowest case takes seconds).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(240);
const API_ID: i32 = 12345;
const API_HASH: &str = "0123456789abcdef0123456789abcdef";
/// What `.venv` must hold; kept in step with tests/interop/requirements.txt.
const VERSION_CHECK: &str = "import telethon, pyrogram, tgcrypto; \
    assert telethon.__version__ == '1.45.0', telethon.__version__; \
    assert pyrogram.__version__ == '2.0.106', pyrogram.__version__";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Python interpreter with the pinned clients, found or set up once
/// per test binary.
fn python() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(find_python) {
        Ok(path) => path,
        Err(message) => panic!("{message}"),
    }
}

fn has_pinned_clients(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", VERSION_CHECK])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn find_python() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("TGCMD_INTEROP_PYTHON") {
        let path = PathBuf::from(path);
        if !has_pinned_clients(&path) {
            return Err(format!(
                "TGCMD_INTEROP_PYTHON={} cannot import the pinned Telethon, Pyrogram and \
                 TgCrypto (tests/interop/requirements.txt); run .ci/python-env",
                path.display()
            ));
        }
        return Ok(path);
    }
    let venv_python = repo().join(".venv/bin/python");
    if venv_python.exists() && has_pinned_clients(&venv_python) {
        return Ok(venv_python);
    }
    // A fresh checkout (or a stale venv): build it the way CI does.
    let which = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !which.is_ok_and(|status| status.success()) {
        return Err(
            "the Python interop tests need python3 (with its venv module) on PATH, \
             or TGCMD_INTEROP_PYTHON pointing at an interpreter with \
             tests/interop/requirements.txt installed"
                .into(),
        );
    }
    let output = Command::new(repo().join(".ci/python-env"))
        .current_dir(repo())
        .output()
        .map_err(|e| format!("cannot run .ci/python-env: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            ".ci/python-env failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    if !has_pinned_clients(&venv_python) {
        return Err(format!(
            ".ci/python-env ran, but {} still cannot import the pinned clients",
            venv_python.display()
        ));
    }
    Ok(venv_python)
}

/// Incompressible, non-repeating bytes (splitmix64), so a part sent twice,
/// dropped or swapped cannot go unnoticed.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A scratch directory removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(label: &str) -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "tgcmd-interop-{label}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create the scratch directory");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a script did, as it reported it, plus its stderr for diagnosis.
struct Run {
    report: Value,
    stderr: String,
}

/// Runs `tests/interop/<script>` with `job` on stdin, with a timeout.
fn run_script(script: &str, job: &Value, scratch: &Path) -> Run {
    let python = python();
    let stdout_path = scratch.join("stdout.txt");
    let stderr_path = scratch.join("stderr.txt");
    let mut child = Command::new(python)
        .arg(repo().join("tests/interop").join(script))
        .current_dir(repo().join("tests/interop"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::piped())
        .stdout(File::create(&stdout_path).expect("create stdout file"))
        .stderr(File::create(&stderr_path).expect("create stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {} {script}: {e}", python.display()));
    {
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin
            .write_all(job.to_string().as_bytes())
            .expect("write the job to the script");
    }
    let deadline = Instant::now() + SCRIPT_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the script") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let Some(status) = status else {
        panic!(
            "{script} did not finish within {SCRIPT_TIMEOUT:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
    };
    assert!(
        status.success(),
        "{script} failed ({status})\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    let last = stdout.lines().last().unwrap_or_default();
    let report = serde_json::from_str(last).unwrap_or_else(|e| {
        panic!("{script} printed no JSON report ({e})\n--- stdout\n{stdout}\n--- stderr\n{stderr}")
    });
    Run { report, stderr }
}

/// Which Python client, and what the test expects of it.
#[derive(Clone, Copy)]
struct Client {
    script: &'static str,
    name: &'static str,
    version: &'static str,
    layer: i64,
    /// How many times the call that turns the upload into a document ran.
    finalise: fn(&FakeDc) -> u64,
}

const TELETHON: Client = Client {
    script: "telethon_roundtrip.py",
    name: "telethon",
    version: "1.45.0",
    layer: 229,
    // `send_file("me", …)`
    finalise: call_count::<tl::functions::messages::SendMedia>,
};

const PYROGRAM: Client = Client {
    script: "pyrogram_roundtrip.py",
    name: "pyrogram",
    version: "2.0.106",
    layer: 158,
    // a raw `messages.uploadMedia`, sent in its layer-158 form
    finalise: call_count::<tl::functions::messages::UploadMedia>,
};

/// One client, one file: connect, upload, finalise, download, then check
/// everything the server and the filesystem say.
async fn round_trip(client: Client, size: usize, seed: u64) {
    let fake = FakeDc::start(Config::default())
        .await
        .expect("fake DC starts");
    let scratch = Scratch::new(client.name);
    let name = if size > BIG_FILE_THRESHOLD {
        "big.bin"
    } else {
        "small.bin"
    };
    let data = pattern(size, seed);
    let input = scratch.0.join(name);
    let output = scratch.0.join(format!("{name}.downloaded"));
    std::fs::write(&input, &data).expect("write the file to upload");

    let dcs: Vec<Value> = fake
        .dcs()
        .iter()
        .map(|dc| {
            json!({
                "dc_id": dc.dc_id,
                "host": dc.addr.ip().to_string(),
                "port": dc.addr.port(),
                "auth_key_hex": hex(&dc.auth_key),
            })
        })
        .collect();
    let job = json!({
        "dcs": dcs,
        "home_dc": fake.home_dc().dc_id,
        "user_id": fake.user_id(),
        "api_id": API_ID,
        "api_hash": API_HASH,
        "input": input,
        "output": output,
        "name": name,
    });

    let started = Instant::now();
    let scratch_dir = scratch.0.clone();
    let run = tokio::task::spawn_blocking(move || run_script(client.script, &job, &scratch_dir))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    let elapsed = started.elapsed();
    let report = &run.report;
    let world = fake.world();
    let context = format!(
        "{} {name}: report {report}\ncalls {:?}\n--- stderr\n{}",
        client.name,
        world.call_log(),
        run.stderr
    );
    eprintln!(
        "{} {name} ({size} bytes) took {elapsed:?}; calls {:?}",
        client.name,
        world.call_log()
    );

    // The client is the one pinned, and it announced its own layer.
    assert_eq!(report["client"], client.name, "{context}");
    assert_eq!(report["version"], client.version, "{context}");
    assert_eq!(report["layer"], client.layer, "{context}");
    // Signed in with the pre-shared key, as the fake DC's self user.
    assert_eq!(report["me_id"], fake.user_id(), "{context}");
    assert_eq!(report["me_first_name"], "Demo", "{context}");

    // Byte-identical after the round trip: checked here, not by the script.
    let downloaded = std::fs::read(&output).expect("the script wrote the download");
    assert_eq!(downloaded.len(), data.len(), "{context}");
    assert!(
        downloaded == data,
        "downloaded bytes differ from the upload\n{context}"
    );
    // And the server stored exactly what was sent.
    let document_id = report["document_id"].as_i64().expect("document_id");
    let stored = world
        .lock()
        .files
        .get(document_id)
        .map(|file| file.bytes.clone())
        .expect("the document the client named exists on the server");
    assert!(stored == data, "the server stored other bytes\n{context}");

    // The upload method was the client's own choice, by size.
    let save_part = world.call_count(tl::functions::upload::SaveFilePart::CONSTRUCTOR_ID);
    let save_big = world.call_count(tl::functions::upload::SaveBigFilePart::CONSTRUCTOR_ID);
    let get_file = world.call_count(tl::functions::upload::GetFile::CONSTRUCTOR_ID);
    if size > BIG_FILE_THRESHOLD {
        assert_eq!(report["input_file"], "InputFileBig", "{context}");
        assert_eq!(
            save_part, 0,
            "a big file must not use saveFilePart\n{context}"
        );
        assert!(save_big > 0, "{context}");
    } else {
        assert_eq!(report["input_file"], "InputFile", "{context}");
        assert_eq!(
            save_big, 0,
            "a small file must not use saveBigFilePart\n{context}"
        );
        assert!(save_part > 0, "{context}");
    }
    // Every part the client declared was sent exactly once.
    let parts = report["parts"].as_u64().expect("parts");
    assert!(parts > 0, "{context}");
    assert_eq!(save_part + save_big, parts, "{context}");
    // Finalised into a document the way the script says, then downloaded.
    assert_eq!((client.finalise)(&fake), 1, "{context}");
    assert!(get_file > 0, "{context}");
}

fn call_count<F: Identifiable>(fake: &FakeDc) -> u64 {
    fake.world().call_count(F::CONSTRUCTOR_ID)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telethon_small_file_round_trips_through_save_file_part() {
    round_trip(TELETHON, SMALL, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telethon_big_file_round_trips_through_save_big_file_part() {
    round_trip(TELETHON, BIG, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyrogram_small_file_round_trips_through_save_file_part() {
    round_trip(PYROGRAM, SMALL, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyrogram_big_file_round_trips_through_save_big_file_part() {
    round_trip(PYROGRAM, BIG, 4).await;
}
