//! The in-memory Telegram world that every DC of a cluster shares: users,
//! groups and channels, auth keys, stored files and each account's update
//! state.
//!
//! Services reach it through [`World::lock`]. A service that needs state of
//! its own keeps it in an [`Extensions`] slot instead of a new field here, so
//! adding a service does not touch this module.

pub mod chat_admin;
pub mod chats;
pub mod dialogs;
pub mod editing;
pub mod files;
mod keys;
pub mod messages;
pub mod push;
pub mod reading;
pub mod sending;
mod users;

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock};

use sha2::{Digest, Sha256};

pub use chats::{BasicGroup, Channel, Chats, GroupMember, Invite};
pub use files::{
    DOCUMENT_THUMB_TYPE, FileKind, FileStore, FinaliseError, Finalised, PHOTO_SIZE_TYPE, PartCheck,
    StoredFile, Upload, UploadMode,
};
pub use keys::{Authorization, KeyRecord, Keys};
pub use messages::{Mailboxes, PeerTarget, StoredMessage};
pub use push::{Delivery, Subscribers};
pub use sending::{Draft, Refusal};
pub use users::{
    Birthday, ContactName, MAX_USERNAME_LEN, MIN_USERNAME_LEN, ONLINE_FOR_SECONDS, Presence, User,
    Users, is_valid_username,
};

use crate::config::{Limits, Shaping};
use crate::faults::Faults;
use crate::proto::unix_now;

/// Where one DC of the cluster listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DcAddress {
    /// The DC's id.
    pub dc_id: i32,
    /// Where the DC listens.
    pub addr: SocketAddr,
}

/// Per-type state slots for services.
#[derive(Default)]
pub struct Extensions(HashMap<TypeId, Box<dyn Any + Send>>);

impl Extensions {
    /// The slot for `T`, created with `T::default()` on first use.
    pub fn get_mut<T: Any + Send + Default>(&mut self) -> &mut T {
        self.0
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()))
            .downcast_mut::<T>()
            .expect("the slot for a TypeId always holds that type")
    }
}

/// The Saved Messages of an account, as earlier versions kept them: a
/// mirror of the account's own chat in its message box
/// ([`WorldState::mailboxes`], which has everything else), kept for the
/// tests that read it. `pts` is the box's `pts` after the latest message
/// saved.
#[derive(Debug, Clone, Default)]
pub struct AccountState {
    /// The box's `pts` after the latest message to Saved Messages.
    pub pts: i32,
    /// Messages in the account's own chat (Saved Messages), oldest first.
    pub saved_messages: Vec<grammers_tl_types::enums::Message>,
}

/// Everything that changes while the world runs, behind one lock.
#[derive(Default)]
pub struct WorldState {
    /// Every user, by id.
    pub users: Users,
    /// Basic groups, channels and supergroups.
    pub chats: Chats,
    /// Registered auth keys and what they are signed in as.
    pub keys: Keys,
    /// Uploads in progress and finalised files.
    pub files: FileStore,
    /// Every user's and channel's messages, `pts` and update log.
    pub mailboxes: Mailboxes,
    /// Each account's Saved Messages, by user id (a mirror, see [`AccountState`]).
    pub accounts: HashMap<i64, AccountState>,
    /// Who blocked whom: the contacts service writes them, the users
    /// service shows them in full profiles.
    pub blocks: BlockLists,
    /// Pinned dialogs and folders, per user.
    pub dialogs: dialogs::DialogPrefs,
    /// Each user's `inputPrivacyKeyChatInvite` rules (who may add them to
    /// groups). The settings service owns every privacy rule and mirrors
    /// these here, since creating and joining groups reads them.
    pub chat_invite_rules: HashMap<i64, Vec<grammers_tl_types::enums::PrivacyRule>>,
    /// State services keep for themselves.
    pub extensions: Extensions,
}

/// Block lists, per owner: the main list and the one that hides stories.
#[derive(Debug, Default)]
pub struct BlockLists {
    /// (owner, stories list?) → blocked user ids with the block date, oldest first.
    lists: HashMap<(i64, bool), Vec<(i64, i32)>>,
}

impl BlockLists {
    /// Adds `target` to a list of `owner` (no-op if it is there already).
    pub fn block(&mut self, owner: i64, stories: bool, target: i64, date: i32) {
        let list = self.lists.entry((owner, stories)).or_default();
        if !list.iter().any(|(id, _)| *id == target) {
            list.push((target, date));
        }
    }

    /// Removes `target` from a list of `owner`.
    pub fn unblock(&mut self, owner: i64, stories: bool, target: i64) {
        if let Some(list) = self.lists.get_mut(&(owner, stories)) {
            list.retain(|(id, _)| *id != target);
        }
    }

    /// A list of `owner`, oldest first, with the block dates.
    pub fn list(&self, owner: i64, stories: bool) -> &[(i64, i32)] {
        self.lists
            .get(&(owner, stories))
            .map_or(&[], |list| list.as_slice())
    }

    /// Whether `owner` has `target` on the main list.
    pub fn is_blocked(&self, owner: i64, target: i64) -> bool {
        self.list(owner, false).iter().any(|(id, _)| *id == target)
    }
}

/// Notification settings with nothing set (the defaults apply), as full
/// user and chat infos carry them.
pub fn empty_notify_settings() -> grammers_tl_types::enums::PeerNotifySettings {
    grammers_tl_types::types::PeerNotifySettings {
        show_previews: None,
        silent: None,
        mute_until: None,
        ios_sound: None,
        android_sound: None,
        other_sound: None,
        stories_muted: None,
        stories_hide_sender: None,
        stories_ios_sound: None,
        stories_android_sound: None,
        stories_other_sound: None,
    }
    .into()
}

impl WorldState {
    /// Whether a user other than `except_user`, or any channel, holds `name`.
    pub fn username_taken(&self, name: &str, except_user: i64) -> bool {
        self.users
            .by_username(name)
            .is_some_and(|u| u.id != except_user)
            || self.chats.channel_by_username(name).is_some()
    }

    /// Whether `user_id` has Telegram Premium (raises its upload limits).
    pub fn is_premium(&self, user_id: i64) -> bool {
        self.users.get(user_id).is_some_and(|u| u.premium)
    }
}

/// The shared world: state, limits, shaping, faults and the cluster layout.
pub struct World {
    state: Mutex<WorldState>,
    faults: Faults,
    shaping: Shaping,
    limits: Limits,
    /// Seeds derived values (access hashes, salts) so they are stable within a run.
    secret: [u8; 32],
    dcs: RwLock<Vec<DcAddress>>,
    calls: Mutex<BTreeMap<u32, u64>>,
    total_calls: AtomicU64,
    connections: AtomicU64,
    served_chunks: Mutex<Vec<ServedChunk>>,
    subscribers: Subscribers,
}

/// One `upload.getFile` answer with data, as [`World::served_chunks`] logs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServedChunk {
    /// The stored file's id.
    pub file_id: i64,
    /// The offset the request asked for.
    pub offset: i64,
    /// How many bytes the answer carried.
    pub len: usize,
}

impl World {
    /// An empty world with the given limits and shaping.
    pub fn new(limits: Limits, shaping: Shaping) -> Self {
        let mut secret = [0u8; 32];
        crate::random::fill(&mut secret);
        Self {
            state: Mutex::new(WorldState {
                mailboxes: Mailboxes::with_log_capacity(limits.update_log_capacity),
                ..WorldState::default()
            }),
            faults: Faults::default(),
            shaping,
            limits,
            secret,
            dcs: RwLock::new(Vec::new()),
            calls: Mutex::new(BTreeMap::new()),
            total_calls: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            served_chunks: Mutex::new(Vec::new()),
            subscribers: Subscribers::default(),
        }
    }

    /// Locks the world state. Handlers hold it only while they run, never across an await.
    pub fn lock(&self) -> MutexGuard<'_, WorldState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fault switchboard.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The sessions subscribed to updates.
    pub fn subscribers(&self) -> &Subscribers {
        &self.subscribers
    }

    /// Pushes updates to the sessions they are for, through the push
    /// faults, and notes how far each user got in each channel (what
    /// `updates.getDifference` need not report again).
    pub fn push(&self, deliveries: Vec<Delivery>) {
        let channel_pts: Vec<(i64, Vec<(i64, i32)>)> = deliveries
            .iter()
            .map(|d| (d.user_id, push::channel_pts(&d.updates)))
            .collect();
        let reached = self.subscribers.deliver(&self.faults, deliveries);
        let mut state = self.lock();
        for ((user_id, channels), reached) in channel_pts.into_iter().zip(reached) {
            if !reached {
                continue;
            }
            for (channel_id, pts) in channels {
                state
                    .mailboxes
                    .channel(channel_id)
                    .mark_delivered(user_id, pts);
            }
        }
    }

    /// Latency and bandwidth settings.
    pub fn shaping(&self) -> &Shaping {
        &self.shaping
    }

    /// Telegram limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The cluster's DCs and where they listen.
    pub fn dcs(&self) -> Vec<DcAddress> {
        self.dcs.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_dcs(&self, dcs: Vec<DcAddress>) {
        *self.dcs.write().unwrap_or_else(|e| e.into_inner()) = dcs;
    }

    /// Whether `dc_id` is part of the cluster.
    pub fn has_dc(&self, dc_id: i32) -> bool {
        self.dcs().iter().any(|dc| dc.dc_id == dc_id)
    }

    /// A value derived from the world secret and `parts`: stable for the
    /// run, unguessable for clients (access hashes, salts).
    pub fn derive(&self, domain: &str, parts: &[i64]) -> i64 {
        let mut hasher = Sha256::new();
        hasher.update(self.secret);
        hasher.update(domain.as_bytes());
        for part in parts {
            hasher.update(part.to_le_bytes());
        }
        let digest = hasher.finalize();
        let mut out = [0u8; 8];
        out.copy_from_slice(&digest[..8]);
        i64::from_le_bytes(out)
    }

    /// The access hash `viewer` must present for `target` (a user or
    /// channel). Telegram's are per viewer too, so one account's hash does
    /// not work for another.
    pub fn access_hash(&self, viewer: i64, target: i64) -> i64 {
        self.derive("access_hash", &[viewer, target])
    }

    /// The server's clock, in Unix seconds: what services stamp dates with.
    pub fn now(&self) -> i32 {
        unix_now()
    }

    /// The server salt for a 30-minute window.
    pub fn salt_for_window(&self, window: i64) -> i64 {
        self.derive("salt", &[window])
    }

    /// The salt window `unix_time` falls in.
    pub fn salt_window(unix_time: i32) -> i64 {
        i64::from(unix_time) / 1800
    }

    /// The salt clients should use now.
    pub fn current_salt(&self) -> i64 {
        self.salt_for_window(Self::salt_window(unix_now()))
    }

    /// Whether a client may use `salt` now (the current or the previous window's).
    pub fn salt_is_valid(&self, salt: i64) -> bool {
        let window = Self::salt_window(unix_now());
        salt == self.salt_for_window(window) || salt == self.salt_for_window(window - 1)
    }

    pub(crate) fn record_call(&self, constructor_id: u32) {
        self.total_calls.fetch_add(1, Ordering::Relaxed);
        *self
            .calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(constructor_id)
            .or_default() += 1;
    }

    /// How many times a method (by constructor id) reached the server.
    pub fn call_count(&self, constructor_id: u32) -> u64 {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&constructor_id)
            .copied()
            .unwrap_or(0)
    }

    /// How many method calls of any kind reached the server.
    pub fn total_calls(&self) -> u64 {
        self.total_calls.load(Ordering::Relaxed)
    }

    /// Every method called so far, by name, with its count.
    pub fn call_log(&self) -> Vec<(&'static str, u64)> {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(id, n)| (grammers_tl_types::name_for_id(*id), *n))
            .collect()
    }

    pub(crate) fn record_connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    /// How many client connections the cluster has accepted, on every DC.
    /// A test that cuts a connection can check that the client opened a new one.
    pub fn connections_accepted(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    pub(crate) fn record_served_chunk(&self, chunk: ServedChunk) {
        self.served_chunks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(chunk);
    }

    /// Every `upload.getFile` answer with data so far, in the order the
    /// server produced them: shows which chunks of which file a client
    /// fetched, and in what order.
    pub fn served_chunks(&self) -> Vec<ServedChunk> {
        self.served_chunks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
