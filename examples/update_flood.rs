//! Run with `cargo run --release --example update_flood [-- --messages N]`.
//!
//! Pushes N messages (default 10,000) into a basic group while two members
//! are connected: one reads tgcmd's update stream (`Client::updates`), the
//! other stock grammers-client 0.11's (`stream_updates`), the baseline. A
//! third user of the embedded fake DC sends them as fast as the server
//! takes them. For each reader it prints how many arrived, how many were
//! lost, duplicated or out of order, how long the last one took, the ratio
//! between the two, and the process's peak and current RSS, with the CPU
//! it ran on. It exits non-zero if tgcmd lost, duplicated or reordered a
//! message.
//!
//! Memory stays bounded by design: the update feed and the stream hold at
//! most `UPDATE_FEED_CAPACITY` and `UpdateStreamOptions::capacity` items;
//! what does not fit is fetched again as a gap. The fake DC (in this
//! process) keeps every message, so the RSS figures include its copy.

#[path = "../tests/support/grammers.rs"]
mod grammers_support;
#[path = "../tests/support/people.rs"]
mod people;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use fakedc::{Config, FakeDc, PeerTarget};
use grammers_client::update::Update as GrammersUpdate;
use tgcmd::ClientBuilder;
use tgcmd::update_stream::Update;

/// How long the whole run may take before it is called a failure.
const DEADLINE: Duration = Duration::from_secs(600);

/// What one reader saw.
#[derive(Debug, Default)]
struct Tally {
    received: usize,
    duplicates: usize,
    out_of_order: usize,
    last_at: Option<Duration>,
}

impl Tally {
    fn new_message(
        &mut self,
        text: &str,
        seen: &mut HashSet<usize>,
        last: &mut Option<usize>,
        started: Instant,
    ) {
        let Some(index) = text
            .strip_prefix("flood ")
            .and_then(|n| n.parse::<usize>().ok())
        else {
            return;
        };
        if !seen.insert(index) {
            self.duplicates += 1;
            return;
        }
        if last.is_some_and(|l| index < l) {
            self.out_of_order += 1;
        }
        *last = Some(index);
        self.received += 1;
        self.last_at = Some(started.elapsed());
    }
}

fn proc_status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .map(|l| l[field.len()..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn parse_messages() -> Result<usize, String> {
    let mut args = std::env::args().skip(1);
    let mut messages = 10_000;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--messages" => {
                messages = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or("--messages needs a positive number")?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(messages)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let messages = parse_messages()?;
    let fake = FakeDc::start(Config {
        users: 3,
        // Keep every message in the update log, so a gap can always be
        // filled from the difference.
        ..Config::default()
    })
    .await?;
    let ids: Vec<i64> = fake.users().iter().map(|u| u.user_id).collect();
    let (tgcmd_user, grammers_user, sender) = (ids[0], ids[1], ids[2]);
    let group = fake.add_basic_group(fakedc::BasicGroup {
        title: "Flood".into(),
        creator: sender,
        members: [tgcmd_user, grammers_user]
            .into_iter()
            .map(|user_id| fakedc::world::chats::GroupMember {
                user_id,
                inviter_id: sender,
                date: 0,
                admin: false,
            })
            .collect(),
        ..fakedc::BasicGroup::default()
    });

    // tgcmd, signed in as user 0 on its pre-shared keys.
    let user = &fake.users()[0];
    let mut builder = ClientBuilder::new(grammers_support::API_ID, grammers_support::API_HASH)
        .home_dc(fake.home_dc().dc_id);
    for dc in &user.dcs {
        builder = builder
            .dc_address(dc.dc_id, dc.addr)
            .pre_shared_key(dc.dc_id, dc.auth_key);
    }
    let client = builder.connect().await?;
    let mut updates = client.updates()?;
    while !matches!(updates.next().await, Some(Update::GetDifferenceEnd) | None) {}

    // grammers, signed in as user 1, its stream starting from now.
    let mut person = people::person(&fake, 1).await;
    let mut grammers_updates = person.stream().await;
    people::until_subscribed(&fake, grammers_user).await;

    let started = Instant::now();
    let tgcmd_reader = tokio::spawn(async move {
        let (mut tally, mut seen, mut last) = (Tally::default(), HashSet::new(), None);
        let wait = async {
            while tally.received < messages {
                match updates.next().await {
                    Some(Update::MsgReceive { msg, edited: false }) => {
                        let text = msg.text.as_deref().unwrap_or("");
                        tally.new_message(text, &mut seen, &mut last, started);
                    }
                    Some(_) => {}
                    None => break,
                }
            }
        };
        let _ = tokio::time::timeout(DEADLINE, wait).await;
        updates.close().await;
        tally
    });
    let grammers_reader = tokio::spawn(async move {
        let (mut tally, mut seen, mut last) = (Tally::default(), HashSet::new(), None);
        let wait = async {
            while tally.received < messages {
                match grammers_updates.next().await {
                    Ok(GrammersUpdate::NewMessage(message)) => {
                        tally.new_message(message.text(), &mut seen, &mut last, started);
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        };
        let _ = tokio::time::timeout(DEADLINE, wait).await;
        tally
    });

    for i in 0..messages {
        fake.send_message(sender, PeerTarget::Chat(group), &format!("flood {i}"))
            .map_err(|e| format!("the fake DC refused message {i}: {e:?}"))?;
        if i % 256 == 255 {
            // Let the connections drain, as a real server's pace would.
            tokio::task::yield_now().await;
        }
    }
    let pushed_in = started.elapsed();
    let tgcmd = tgcmd_reader.await?;
    let grammers = grammers_reader.await?;

    println!(
        "{messages} messages pushed into a basic group in {pushed_in:.2?} on {}",
        cpu_name()
    );
    for (name, tally) in [("tgcmd", &tgcmd), ("grammers 0.11", &grammers)] {
        println!(
            "{name:>14}: received {} (lost {}), duplicates {}, out of order {}, last after {}",
            tally.received,
            messages - tally.received,
            tally.duplicates,
            tally.out_of_order,
            tally
                .last_at
                .map_or("never".to_string(), |t| format!("{t:.2?}"))
        );
    }
    if let (Some(t), Some(g)) = (tgcmd.last_at, grammers.last_at) {
        println!(
            "time to the last message, grammers / tgcmd: {:.2}x",
            g.as_secs_f64() / t.as_secs_f64().max(1e-9)
        );
    }
    println!(
        "process RSS: peak {}, now {} (the fake DC's copy of the messages included)",
        proc_status("VmHWM:"),
        proc_status("VmRSS:")
    );
    person.runner.abort();
    if tgcmd.received != messages || tgcmd.duplicates > 0 || tgcmd.out_of_order > 0 {
        return Err("tgcmd lost, duplicated or reordered messages".into());
    }
    Ok(())
}
