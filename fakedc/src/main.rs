//! `fakedc serve`: runs a fake DC cluster until killed, printing one JSON
//! line per user and DC so any MTProto client can be pointed at it.
//!
//! ```text
//! cargo run -p fakedc -- serve --listen 127.0.0.1:0 [--dcs N] [--home-dc N]
//!     [--users N] [--latency-ms N] [--bandwidth-mib N] [--max-parts N] [--premium]
//! ```
//!
//! The lines are a stable interface. Users come in order (user 0 is the
//! self user, which older tools read as the only one), each with one line
//! per DC:
//!
//! ```text
//! {"dc_id":1,"host":"127.0.0.1","port":40001,"auth_key_hex":"<512 hex digits>",
//!  "user_id":1000000001,"home":true,"user_index":0,"phone":"15550000001"}
//! ```
//!
//! `auth_key_hex` is that user's pre-shared key for that DC; it is signed
//! in on the line with `"home": true` and unauthorised on the others (the
//! client exports its authorization there, as on Telegram).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use fakedc::{Config, FakeDc};
use std::io::Write;

const USAGE: &str = "usage: fakedc serve [--listen HOST:PORT] [--dcs N] [--home-dc N] \
[--users N] [--latency-ms N] [--bandwidth-mib N] [--max-parts N] [--premium]";

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Config, String> {
    match args.next().as_deref() {
        Some("serve") => {}
        _ => return Err(USAGE.into()),
    }
    let mut config = Config::default();
    while let Some(flag) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let number = |name: &str, v: String| -> Result<u64, String> {
            v.parse().map_err(|_| format!("{name}: not a number: {v}"))
        };
        match flag.as_str() {
            "--listen" => {
                let addr: SocketAddr = value("--listen")?
                    .parse()
                    .map_err(|e| format!("--listen: {e}"))?;
                config.host = addr.ip();
                config.base_port = addr.port();
            }
            "--dcs" => {
                config.dcs = u8::try_from(number("--dcs", value("--dcs")?)?)
                    .map_err(|_| "--dcs: too many".to_string())?;
            }
            "--home-dc" => {
                config.home_dc = i32::try_from(number("--home-dc", value("--home-dc")?)?)
                    .map_err(|_| "--home-dc: out of range".to_string())?;
            }
            "--users" => {
                let users = number("--users", value("--users")?)?;
                if !(1..=1000).contains(&users) {
                    return Err("--users: 1 to 1000".into());
                }
                config.users = users as usize;
            }
            "--latency-ms" => {
                config.latency =
                    Duration::from_millis(number("--latency-ms", value("--latency-ms")?)?);
            }
            "--bandwidth-mib" => {
                let mib = number("--bandwidth-mib", value("--bandwidth-mib")?)?;
                config.bandwidth = (mib > 0).then(|| mib * 1024 * 1024);
            }
            "--max-parts" => {
                config.limits.upload_max_fileparts_default =
                    i32::try_from(number("--max-parts", value("--max-parts")?)?)
                        .map_err(|_| "--max-parts: out of range".to_string())?;
            }
            "--premium" => config.self_user.premium = true,
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    Ok(config)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let fake = match FakeDc::start(config).await {
        Ok(fake) => fake,
        Err(e) => {
            eprintln!("fakedc: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The key is printed on purpose: handing it to the client is the point
    // of this command. It only ever unlocks this throwaway loopback server.
    let mut stdout = std::io::stdout().lock();
    for user in fake.users() {
        for dc in &user.dcs {
            let line = serde_json::json!({
                "dc_id": dc.dc_id,
                "host": dc.addr.ip().to_string(),
                "port": dc.addr.port(),
                "auth_key_hex": hex(&dc.auth_key),
                "user_id": user.user_id,
                "home": dc.dc_id == fake.home_dc().dc_id,
                "user_index": user.index,
                "phone": user.phone,
            });
            if writeln!(stdout, "{line}").is_err() {
                return ExitCode::FAILURE;
            }
        }
    }
    if stdout.flush().is_err() {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
