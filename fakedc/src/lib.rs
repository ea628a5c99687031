//! `fakedc`: a loopback MTProto 2.0 server with an in-memory Telegram world.
//!
//! No machine in this project can reach Telegram, so everything the library
//! claims is shown against this server. It speaks the real protocol (full,
//! intermediate and abridged transports, MTProto 2.0 encryption, containers,
//! gzip, salts, pings), so clients nobody here wrote — grammers, Telethon,
//! Pyrogram — work against it unchanged.
//!
//! Real clients hard-code Telegram's RSA keys, so the DH handshake cannot
//! run against a test server: auth keys are pre-shared instead. Every DC of
//! a cluster gets one key at start, signed in as the self user on its home
//! DC and unauthorised elsewhere (so clients exercise
//! `auth.exportAuthorization` / `importAuthorization` as on Telegram).
//!
//! ```no_run
//! # async fn f() -> std::io::Result<()> {
//! let dc = fakedc::FakeDc::start(fakedc::Config::default()).await?;
//! let home = dc.home_dc();
//! println!("DC {} at {}", home.dc_id, home.addr);
//! // Seed a client session with `home.auth_key` for `home.addr`.
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod config;
pub mod connection;
pub mod crypto;
pub mod faults;
pub mod legacy_layer;
pub mod proto;
pub mod random;
pub mod rpc;
pub mod services;
pub mod srp;
pub mod transport;
pub mod world;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::net::{TcpListener, TcpSocket};
use tokio::task::{JoinHandle, JoinSet};
use tracing::{info, warn};

pub use config::{Config, Limits, SelfUser, Shaping};
pub use crypto::AuthKey;
pub use faults::{FaultCounts, Faults};
pub use rpc::{Access, CallContext, Router, RpcError};
pub use world::{BasicGroup, Channel, Draft, FileKind, PeerTarget, StoredFile, User, World};

use connection::DcShared;
use world::DcAddress;

/// How long ago the pre-shared keys' sessions were signed in (30 days).
const ESTABLISHED_SESSION_AGE: i32 = 30 * 24 * 3600;

/// One DC of a running cluster, as a client needs to know it.
#[derive(Clone)]
pub struct DcInfo {
    /// The DC's id, 1 to [`Config::dcs`].
    pub dc_id: i32,
    /// Where the DC listens for client connections.
    pub addr: SocketAddr,
    /// The pre-shared key for this DC. Secret: not shown by `Debug`.
    pub auth_key: [u8; 256],
}

impl fmt::Debug for DcInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DcInfo")
            .field("dc_id", &self.dc_id)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// One of the users a cluster starts with ([`Config::users`]), with its
/// pre-shared keys.
#[derive(Clone)]
pub struct FakeUser {
    /// 0 for the self user ([`Config::self_user`]), then 1, 2, …
    pub index: usize,
    /// The user's id.
    pub user_id: i64,
    /// The phone number, digits only.
    pub phone: String,
    /// Every DC with this user's key for it (signed in on the home DC).
    pub dcs: Vec<DcInfo>,
}

impl fmt::Debug for FakeUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeUser")
            .field("index", &self.index)
            .field("user_id", &self.user_id)
            .field("phone", &self.phone)
            .field("dcs", &self.dcs)
            .finish()
    }
}

/// A running cluster of fake DCs over one shared world.
///
/// Dropping it stops every listener and connection.
pub struct FakeDc {
    world: Arc<World>,
    router: Arc<Router>,
    dcs: Vec<DcInfo>,
    home_dc: i32,
    user_id: i64,
    users: Vec<FakeUser>,
    listeners: Vec<JoinHandle<()>>,
}

impl fmt::Debug for FakeDc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeDc")
            .field("dcs", &self.dcs)
            .field("home_dc", &self.home_dc)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // Lets `restart` take the same port back while old connections linger.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

async fn accept_loop(listener: TcpListener, shared: Arc<DcShared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection::serve(stream, Arc::clone(&shared)));
                }
                Err(e) => warn!(dc = shared.dc_id, "accept failed: {e}"),
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

impl FakeDc {
    /// Starts a cluster: binds one listener per DC, creates the self user
    /// and the pre-shared keys.
    pub async fn start(config: Config) -> io::Result<FakeDc> {
        if config.dcs == 0 || !(1..=i32::from(config.dcs)).contains(&config.home_dc) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the home DC must be one of the cluster's DCs",
            ));
        }
        let world = Arc::new(World::new(
            config.limits,
            Shaping::new(config.latency, config.bandwidth),
        ));
        let router = Arc::new(services::router());

        let mut listeners = Vec::new();
        let mut bound = Vec::new();
        for index in 0..config.dcs {
            let dc_id = i32::from(index) + 1;
            let port = match config.base_port {
                0 => 0,
                base => base + u16::from(index),
            };
            let listener = bind(SocketAddr::new(config.host, port)).await?;
            bound.push((dc_id, listener.local_addr()?));
            listeners.push(listener);
        }
        world.set_dcs(
            bound
                .iter()
                .map(|&(dc_id, addr)| DcAddress { dc_id, addr })
                .collect(),
        );

        let users = seed_users(&world, &config, &bound);
        let dcs = users[0].dcs.clone();
        let user_id = users[0].user_id;

        let mut fake = FakeDc {
            world,
            router,
            dcs,
            home_dc: config.home_dc,
            user_id,
            users,
            listeners: Vec::new(),
        };
        for (listener, &(dc_id, addr)) in listeners.into_iter().zip(&bound) {
            info!(dc_id, %addr, "fake DC listening");
            fake.spawn_listener(dc_id, listener);
        }
        Ok(fake)
    }

    fn spawn_listener(&mut self, dc_id: i32, listener: TcpListener) {
        let shared = Arc::new(DcShared {
            dc_id,
            world: Arc::clone(&self.world),
            router: Arc::clone(&self.router),
        });
        self.listeners
            .push(tokio::spawn(accept_loop(listener, shared)));
    }

    /// Every DC of the cluster.
    pub fn dcs(&self) -> &[DcInfo] {
        &self.dcs
    }

    /// Every user the cluster started with; the first is the self user.
    pub fn users(&self) -> &[FakeUser] {
        &self.users
    }

    /// Sends a text message from `from_user_id` as if one of its other
    /// sessions had called `messages.sendMessage`: the same checks, copies
    /// and pushes (every session of the sender and of the receivers gets
    /// it). Returns the id of the sender's copy.
    pub fn send_message(
        &self,
        from_user_id: i64,
        to: PeerTarget,
        text: &str,
    ) -> Result<i32, RpcError> {
        self.send_draft(from_user_id, to, Draft::text(text))
    }

    /// [`FakeDc::send_message`] with everything a message may carry
    /// (entities, media, a reply, a forward header).
    pub fn send_draft(
        &self,
        from_user_id: i64,
        to: PeerTarget,
        draft: Draft,
    ) -> Result<i32, RpcError> {
        let mut state = self.world.lock();
        let stored =
            world::sending::store_message(&self.world, &mut state, from_user_id, to, draft)?;
        let id = stored.message.id;
        let (_, pushes) = world::sending::answer_and_pushes(
            &self.world,
            &mut state,
            &[stored],
            &[random::i64()],
            false,
            None,
        );
        drop(state);
        self.world.push(pushes);
        Ok(id)
    }

    /// `user_id` reads `dialog` up to `max_id` (0: everything), as
    /// `messages.readHistory` / `channels.readHistory` from another
    /// session would, with the same pushes.
    pub fn read_history(&self, user_id: i64, dialog: PeerTarget, max_id: i32) {
        let mut state = self.world.lock();
        let pushes = match dialog {
            PeerTarget::Channel(channel_id) => world::reading::read_channel(
                &self.world,
                &mut state,
                user_id,
                channel_id,
                max_id,
                None,
            ),
            _ => {
                world::reading::read_history(&self.world, &mut state, user_id, dialog, max_id, None)
                    .1
            }
        };
        drop(state);
        self.world.push(pushes);
    }

    /// How many sessions of `user_id` are subscribed to updates now.
    pub fn update_sessions(&self, user_id: i64) -> usize {
        self.world.subscribers().sessions_of(user_id)
    }

    /// The DC with this id.
    pub fn dc(&self, dc_id: i32) -> Option<&DcInfo> {
        self.dcs.iter().find(|dc| dc.dc_id == dc_id)
    }

    /// The self user's home DC.
    pub fn home_dc(&self) -> &DcInfo {
        self.dc(self.home_dc)
            .expect("the home DC is checked to exist at start")
    }

    /// The id of the self user the pre-shared keys are signed in as.
    pub fn user_id(&self) -> i64 {
        self.user_id
    }

    /// The shared world, to seed or inspect state.
    pub fn world(&self) -> &Arc<World> {
        &self.world
    }

    /// The fault switchboard.
    pub fn faults(&self) -> &Faults {
        self.world.faults()
    }

    /// Latency and bandwidth, adjustable at any time.
    pub fn shaping(&self) -> &Shaping {
        self.world.shaping()
    }

    /// Registers a fresh key on `dc_id` that is not signed in, for testing
    /// sign-in flows. `None` if the DC does not exist.
    pub fn new_auth_key(&self, dc_id: i32) -> Option<[u8; 256]> {
        self.dc(dc_id)?;
        let key = AuthKey::generate();
        let bytes = *key.bytes();
        self.world.lock().keys.register(dc_id, key);
        Some(bytes)
    }

    /// `dc_id`, or the home DC for 0 (what the `add_*` methods default to).
    pub(crate) fn dc_or_home(&self, dc_id: i32) -> i32 {
        if dc_id == 0 { self.home_dc } else { dc_id }
    }

    /// Adds a user (or a bot, with `bot` and `bot_token` set) and returns its id.
    pub fn add_user(&self, user: User) -> i64 {
        let user = User {
            home_dc: self.dc_or_home(user.home_dc),
            ..user
        };
        self.world.lock().users.insert(user)
    }

    /// Sets the 2FA password of a user (slow: runs the real KDF).
    pub fn set_password(&self, user_id: i64, password: &str, hint: Option<&str>) {
        let password = Arc::new(srp::SrpPassword::new(password, hint.map(String::from)));
        if let Some(user) = self.world.lock().users.get_mut(user_id) {
            user.password = Some(password);
        }
    }

    /// The last login code "sent" to `phone`, as the user would read it.
    pub fn login_code(&self, phone: &str) -> Option<String> {
        self.world
            .lock()
            .extensions
            .get_mut::<services::LoginCodes>()
            .latest(phone)
    }

    /// Stores `bytes` as a photo on the user's home DC and makes it the
    /// user's profile photo, as `photos.uploadProfilePhoto` would. `None` if
    /// the user does not exist.
    pub fn set_profile_photo(&self, user_id: i64, bytes: impl Into<Bytes>) -> Option<StoredFile> {
        let mut state = self.world.lock();
        let dc_id = state.users.get(user_id)?.home_dc;
        let photo = state
            .files
            .store(
                FileKind::Photo,
                dc_id,
                bytes.into(),
                "image/jpeg".into(),
                "profile.jpg".into(),
            )
            .clone();
        state.users.get_mut(user_id)?.photo_id = Some(photo.id);
        Some(photo)
    }

    /// Adds a channel or supergroup and returns its id. An `id` of 0 takes
    /// the next free one, a `dc_id` of 0 the home DC, a `date` of 0 now.
    pub fn add_channel(&self, channel: Channel) -> i64 {
        let channel = Channel {
            dc_id: self.dc_or_home(channel.dc_id),
            date: if channel.date == 0 {
                self.world.now()
            } else {
                channel.date
            },
            ..channel
        };
        self.world.lock().chats.insert_channel(channel)
    }

    /// Adds a basic group and returns its id; defaults as for
    /// [`FakeDc::add_channel`](FakeDc::add_channel).
    pub fn add_basic_group(&self, group: BasicGroup) -> i64 {
        let group = BasicGroup {
            dc_id: self.dc_or_home(group.dc_id),
            date: if group.date == 0 {
                self.world.now()
            } else {
                group.date
            },
            ..group
        };
        self.world.lock().chats.insert_group(group)
    }

    /// Stores a file directly on `dc_id`, e.g. to test `FILE_MIGRATE_X`.
    pub fn put_file(
        &self,
        dc_id: i32,
        kind: FileKind,
        bytes: impl Into<Bytes>,
        mime_type: &str,
        name: &str,
    ) -> StoredFile {
        self.world
            .lock()
            .files
            .store(kind, dc_id, bytes.into(), mime_type.into(), name.into())
            .clone()
    }

    /// Expires a file's current reference; downloads presenting it get
    /// `FILE_REFERENCE_EXPIRED`. Returns the stored file with its new reference.
    pub fn expire_file_reference(&self, file_id: i64) -> Option<StoredFile> {
        let mut state = self.world.lock();
        let file = state.files.get_mut(file_id)?;
        file.rotate_reference();
        Some(file.clone())
    }

    /// Closes every listener and connection, then listens again on the same
    /// addresses. The world (users, keys, files) survives, as it would a
    /// real server restart.
    pub async fn restart(&mut self) -> io::Result<()> {
        self.stop_listeners().await;
        for dc in self.dcs.clone() {
            let listener = bind(dc.addr).await?;
            self.spawn_listener(dc.dc_id, listener);
        }
        info!("fake DC cluster restarted");
        Ok(())
    }

    async fn stop_listeners(&mut self) {
        for handle in self.listeners.drain(..) {
            handle.abort();
            let _ = handle.await;
        }
    }
}

/// Creates the users of [`Config::users`] (mutual contacts of each other)
/// and their pre-shared keys: one per DC, signed in on the home DC.
fn seed_users(world: &World, config: &Config, bound: &[(i32, SocketAddr)]) -> Vec<FakeUser> {
    let count = config.users.max(1);
    let mut users = Vec::with_capacity(count);
    for index in 0..count {
        let number = index + 1;
        let user = if index == 0 {
            User {
                first_name: config.self_user.first_name.clone(),
                last_name: config.self_user.last_name.clone(),
                username: config.self_user.username.clone(),
                phone: Some(config.self_user.phone.clone()),
                premium: config.self_user.premium,
                home_dc: config.home_dc,
                ..User::default()
            }
        } else {
            User {
                first_name: "Demo".into(),
                last_name: format!("User {number}"),
                username: Some(format!("demo_user{number}")),
                phone: Some(format!("1555{number:07}")),
                home_dc: config.home_dc,
                ..User::default()
            }
        };
        let phone = user.phone.clone().unwrap_or_default();
        let user_id = world.lock().users.insert(user);
        let mut dcs = Vec::new();
        for &(dc_id, addr) in bound {
            let key = AuthKey::generate();
            let auth_key = *key.bytes();
            let mut state = world.lock();
            let key_id = state.keys.register(dc_id, key);
            if dc_id == config.home_dc {
                state.keys.sign_in(key_id, user_id);
                // An established session, old enough to manage the others.
                state.keys.backdate(key_id, ESTABLISHED_SESSION_AGE);
            }
            dcs.push(DcInfo {
                dc_id,
                addr,
                auth_key,
            });
        }
        users.push(FakeUser {
            index,
            user_id,
            phone,
            dcs,
        });
    }
    let mut state = world.lock();
    for a in &users {
        for b in &users {
            if a.user_id == b.user_id {
                continue;
            }
            if let Some(user) = state.users.get_mut(a.user_id) {
                user.contacts.insert(b.user_id);
                user.contact_of.insert(b.user_id);
            }
        }
    }
    drop(state);
    users
}

impl Drop for FakeDc {
    fn drop(&mut self) {
        for handle in &self.listeners {
            handle.abort();
        }
    }
}
