//! How a fake cluster is set up: its size, limits, link shaping and the
//! accounts it starts with.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Telegram limits that differ per deployment (they come from appConfig).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `upload_max_fileparts_default`: parts a non-Premium user may upload.
    pub upload_max_fileparts_default: i32,
    /// `upload_max_fileparts_premium`: parts a Premium user may upload.
    pub upload_max_fileparts_premium: i32,
    /// Bytes per `upload.getFileHashes` entry.
    pub file_hash_part_size: usize,
    /// Entries per `upload.getFileHashes` answer.
    pub file_hashes_per_call: usize,
    /// `about_length_limit_default`: the longest bio of a non-Premium user.
    pub about_length_limit_default: usize,
    /// `about_length_limit_premium`: the longest bio of a Premium user.
    pub about_length_limit_premium: usize,
    /// How many entries each user's and channel's update log keeps; a
    /// client further behind gets `differenceTooLong`.
    pub update_log_capacity: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            upload_max_fileparts_default: 4000,
            upload_max_fileparts_premium: 8000,
            file_hash_part_size: 128 * 1024,
            file_hashes_per_call: 8,
            about_length_limit_default: 70,
            about_length_limit_premium: 140,
            update_log_capacity: crate::world::messages::UPDATE_LOG_CAPACITY,
        }
    }
}

impl Limits {
    /// The bio length limit for a user.
    pub fn max_about_len(&self, premium: bool) -> usize {
        if premium {
            self.about_length_limit_premium
        } else {
            self.about_length_limit_default
        }
    }

    /// The part-count limit for a user.
    pub fn max_parts(&self, premium: bool) -> i32 {
        if premium {
            self.upload_max_fileparts_premium
        } else {
            self.upload_max_fileparts_default
        }
    }
}

/// Link shaping, adjustable while the cluster runs.
#[derive(Debug, Default)]
pub struct Shaping {
    latency_micros: AtomicU64,
    bandwidth_bytes_per_sec: AtomicU64,
}

impl Shaping {
    /// Shaping with this round-trip delay and per-connection cap (bytes/s, `None` = unlimited).
    pub fn new(latency: Duration, bandwidth: Option<u64>) -> Self {
        let shaping = Self::default();
        shaping.set_latency(latency);
        shaping.set_bandwidth(bandwidth);
        shaping
    }

    /// The delay added before every response: the round-trip time.
    pub fn latency(&self) -> Duration {
        Duration::from_micros(self.latency_micros.load(Ordering::Relaxed))
    }

    /// Sets the delay added before every response.
    pub fn set_latency(&self, latency: Duration) {
        self.latency_micros
            .store(latency.as_micros() as u64, Ordering::Relaxed);
    }

    /// The per-connection cap in bytes per second, each direction.
    pub fn bandwidth(&self) -> Option<u64> {
        match self.bandwidth_bytes_per_sec.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }

    /// Sets the per-connection cap in bytes per second, each direction (`None` = unlimited).
    pub fn set_bandwidth(&self, bytes_per_sec: Option<u64>) {
        self.bandwidth_bytes_per_sec
            .store(bytes_per_sec.unwrap_or(0), Ordering::Relaxed);
    }
}

/// The account a cluster starts with, signed in on its home DC through the
/// pre-shared keys.
#[derive(Debug, Clone)]
pub struct SelfUser {
    /// The account's first name.
    pub first_name: String,
    /// The account's last name (may be empty).
    pub last_name: String,
    /// The public username, without the `@`.
    pub username: Option<String>,
    /// The phone number, digits only; the code sign-in flow looks the account up by it.
    pub phone: String,
    /// Whether the account has Telegram Premium (raises its upload part limit).
    pub premium: bool,
}

impl Default for SelfUser {
    fn default() -> Self {
        Self {
            first_name: "Demo".into(),
            last_name: "User".into(),
            username: Some("demo_user".into()),
            phone: "15550000001".into(),
            premium: false,
        }
    }
}

/// How to start a cluster.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address every DC listens on (each on its own port).
    pub host: IpAddr,
    /// Port of DC 1; the others take the next ones. 0 picks free ports.
    pub base_port: u16,
    /// Number of DCs, with ids 1..=dcs.
    pub dcs: u8,
    /// The DC the self user lives on.
    pub home_dc: i32,
    /// Round-trip delay added before every response (see [`Shaping::latency`]).
    pub latency: Duration,
    /// Per-connection cap in bytes per second.
    pub bandwidth: Option<u64>,
    /// Per-deployment Telegram limits the services enforce.
    pub limits: Limits,
    /// The account the cluster starts with, signed in on [`Config::home_dc`].
    pub self_user: SelfUser,
    /// How many users the cluster starts with (at least 1): user 0 is
    /// [`Config::self_user`], the others are seeded (`Demo User N`,
    /// `@demo_userN`, phone `1555` + N in 7 digits, N = index + 1). Each has
    /// its own pre-shared key on every DC, signed in on its home DC, and
    /// all of them are each other's contacts.
    pub users: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: 0,
            dcs: 2,
            home_dc: 1,
            latency: Duration::ZERO,
            bandwidth: None,
            limits: Limits::default(),
            self_user: SelfUser::default(),
            users: 1,
        }
    }
}
