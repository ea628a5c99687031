//! [`Client`] and [`ClientBuilder`]: the session, where the DCs are, and the
//! connection to them.
//!
//! - `mod.rs`: the builder, [`Client`] and its `ClientInner`, and the one
//!   path every RPC on the main connection takes (size guard, deadline,
//!   the supervised runner);
//! - `runner.rs`: the supervisor that keeps grammers' runner alive;
//! - `auth.rs`: signing in; `peers.rs`: access hashes;
//! - `media_pool.rs`: the media connections and the [`crate::transfer::TransferApi`]
//!   implementation the transfer engine runs on;
//! - `update_feed.rs`: pushed updates and the update state in answers,
//!   handed to the update stream.

mod app_config;
pub mod auth;
mod media_pool;
mod peers;
mod runner;
mod update_feed;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use grammers_mtsender::{AutoSleep, ConnectionParams, SenderPool};
use grammers_session::Session;
use grammers_session::storages::{ErasedSession, MemorySession, SqliteSession};
use grammers_session::types::DcOption;
use grammers_tl_types::{self as tl, RemoteCall};
use tracing::debug;

use crate::error::{Error, Result};
use crate::transfer::limits::{check_request_size, serialized_size};
use crate::types::User;
use runner::{PoolFactory, Supervisor};

pub(crate) use media_pool::MediaPool;
use update_feed::UpdateFeed;
pub(crate) use update_feed::UpdateInput;

/// The default number of extra connections the transfer engine opens per DC.
pub const DEFAULT_MEDIA_CONNECTIONS: usize = 4;

/// Where the session (auth keys, DC addresses, cached peers) is kept.
#[derive(Clone, PartialEq, Eq)]
enum SessionStore {
    Memory,
    Sqlite(PathBuf),
}

/// What the caller said about one DC.
#[derive(Clone, Default)]
struct DcSeed {
    addr: Option<SocketAddr>,
    /// Wiped from memory when the builder goes away (the copy handed to the
    /// session is grammers' to keep).
    auth_key: Option<zeroize::Zeroizing<[u8; 256]>>,
}

/// Builds a [`Client`].
///
/// Against Telegram, give the api_id/api_hash from <https://my.telegram.org>
/// and a session file; keys are made with the DH handshake on first use.
/// Against a test server such as the bundled fake DC, also give the DC
/// addresses and the pre-shared keys.
///
/// # Examples
///
/// ```no_run
/// # async fn f() -> tgcmd::Result<()> {
/// let client = tgcmd::ClientBuilder::new(12345, "0123456789abcdef0123456789abcdef")
///     .session_file("account.session")
///     .connect()
///     .await?;
/// if !client.is_authorized().await? {
///     client.bot_sign_in("123456:ABC-DEF").await?;
/// }
/// println!("signed in as {}", client.get_me().await?.first_name);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    api_id: i32,
    api_hash: String,
    session: SessionStore,
    dcs: BTreeMap<i32, DcSeed>,
    home_dc: Option<i32>,
    media_connections: usize,
    device_model: String,
    app_version: String,
    flood_sleep_threshold: Duration,
    data_dir: Option<PathBuf>,
    media_stall_timeout: Duration,
    request_timeout: Duration,
    connect_timeout: Duration,
}

/// The longest timeout any setting takes; longer ones (up to
/// `Duration::MAX`) are clamped to it, so deadline arithmetic never
/// overflows. One year is "never" for a network call.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// How long an RPC on the main connection may take by default, flood
/// waits slept through included (see [`ClientBuilder::request_timeout`]).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// How long opening a connection (TCP connect and `initConnection`) may
/// take by default (see [`ClientBuilder::connect_timeout`]).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// The longest device model or app version sent in `initConnection`.
const MAX_INIT_STRING: usize = 256;

/// `timeout` clamped to `min..=MAX_TIMEOUT`.
fn clamp_timeout(timeout: Duration, min: Duration) -> Duration {
    timeout.clamp(min, MAX_TIMEOUT)
}

/// How long a media connection may go without progress (an answer, or
/// 64 KiB more of one) with requests outstanding before it is dropped and its
/// requests retried on a new one.
pub const DEFAULT_MEDIA_STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Flood waits up to this long are slept through by default; longer ones
/// are returned as errors (`FLOOD_WAIT_X`) for the caller to schedule.
pub const DEFAULT_FLOOD_SLEEP_THRESHOLD: Duration = Duration::from_secs(5);

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // api_hash and the keys stay out of logs.
        f.debug_struct("ClientBuilder")
            .field("api_id", &self.api_id)
            .field("session", &self.session_description())
            .field(
                "dcs",
                &self
                    .dcs
                    .iter()
                    .map(|(id, seed)| (id, seed.addr, seed.auth_key.is_some()))
                    .collect::<Vec<_>>(),
            )
            .field("home_dc", &self.home_dc)
            .field("media_connections", &self.media_connections)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Starts a builder with the app's credentials and an in-memory session.
    pub fn new(api_id: i32, api_hash: impl Into<String>) -> Self {
        Self {
            api_id,
            api_hash: api_hash.into(),
            session: SessionStore::Memory,
            dcs: BTreeMap::new(),
            home_dc: None,
            media_connections: DEFAULT_MEDIA_CONNECTIONS,
            device_model: "tgcmd".into(),
            app_version: env!("CARGO_PKG_VERSION").into(),
            flood_sleep_threshold: DEFAULT_FLOOD_SLEEP_THRESHOLD,
            data_dir: None,
            media_stall_timeout: DEFAULT_MEDIA_STALL_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// How long an RPC on the main connection may take before it fails with
    /// [`Error::Timeout`] (default [`DEFAULT_REQUEST_TIMEOUT`]); flood waits
    /// that grammers sleeps through count towards it. Per call, use
    /// [`Client::invoke_with_timeout`]. Clamped to 1 ms..=[`MAX_TIMEOUT`].
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = clamp_timeout(timeout, Duration::from_millis(1));
        self
    }

    /// How long opening a connection may take: TCP connect plus
    /// `initConnection`, for the main connection to any DC and for the media
    /// connections (default [`DEFAULT_CONNECT_TIMEOUT`]). grammers opens
    /// main connections inside its runner, which serves no other call
    /// meanwhile; a runner that stays busy that long with calls waiting is
    /// replaced, and those calls fail with [`Error::Timeout`]. Clamped to
    /// 10 ms..=[`MAX_TIMEOUT`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = clamp_timeout(timeout, Duration::from_millis(10));
        self
    }

    /// How long a media connection may go without progress while requests
    /// are outstanding before it counts as dead (a half-open TCP connection
    /// never reports an error by itself). Progress is an answer to a request,
    /// or another 64 KiB of a long answer: a server trickling a byte now and
    /// then is stalled too. Its requests are then retried on a fresh
    /// connection.
    ///
    /// Clamped to 100 ms..=[`MAX_TIMEOUT`] (so `Duration::MAX` means "a year").
    pub fn media_stall_timeout(mut self, timeout: Duration) -> Self {
        self.media_stall_timeout = clamp_timeout(timeout, Duration::from_millis(100));
        self
    }

    /// Where the client keeps what it stores besides the session: the
    /// profile store (`profile.sqlite`, written by `refresh_self_profile`)
    /// and the media cache (`media/`). Created on first use.
    ///
    /// Without it, a session file `account.session` gets
    /// `account.session.profile.sqlite` and `account.session.media/` beside
    /// it, and an in-memory session gets a fresh private directory (mode
    /// 0700, an unpredictable name under the system temp directory), one
    /// per client, removed when the client is dropped.
    ///
    /// They hold the account's phone number and pictures, so a data
    /// directory tgcmd creates is 0700, the media cache is 0700 and the
    /// files are 0600; an existing profile store or media cache with looser
    /// modes is tightened.
    ///
    /// ```no_run
    /// # async fn f() -> tgcmd::Result<()> {
    /// let client = tgcmd::ClientBuilder::new(12345, "0123456789abcdef0123456789abcdef")
    ///     .session_file("account.session")
    ///     .data_dir("account-data")
    ///     .connect()
    ///     .await?;
    /// assert!(client.profile_store_path().ends_with("profile.sqlite"));
    /// # Ok(()) }
    /// ```
    pub fn data_dir(mut self, path: impl AsRef<Path>) -> Self {
        self.data_dir = Some(path.as_ref().to_path_buf());
        self
    }

    /// Flood waits up to `threshold` are slept through and the call retried
    /// once; longer ones return [`Error::Rpc`] with `FLOOD_WAIT_X`. Zero
    /// turns automatic sleeping off. Clamped to [`MAX_TIMEOUT`].
    pub fn flood_sleep_threshold(mut self, threshold: Duration) -> Self {
        self.flood_sleep_threshold = threshold.min(MAX_TIMEOUT);
        self
    }

    /// Keeps the session in a SQLite file (grammers-session's storage),
    /// created with mode 0600 because it holds the auth keys.
    pub fn session_file(mut self, path: impl AsRef<Path>) -> Self {
        self.session = SessionStore::Sqlite(path.as_ref().to_path_buf());
        self
    }

    /// Keeps the session in memory only: nothing survives the process.
    pub fn in_memory_session(mut self) -> Self {
        self.session = SessionStore::Memory;
        self
    }

    /// Connects to `addr` for DC `dc_id` instead of the address in the session.
    pub fn dc_address(mut self, dc_id: i32, addr: SocketAddr) -> Self {
        self.dcs.entry(dc_id).or_default().addr = Some(addr);
        self
    }

    /// Uses a pre-shared auth key for DC `dc_id` instead of running the DH
    /// handshake (the only way to reach a test server, whose RSA key no
    /// client knows).
    pub fn pre_shared_key(mut self, dc_id: i32, auth_key: [u8; 256]) -> Self {
        self.dcs.entry(dc_id).or_default().auth_key = Some(zeroize::Zeroizing::new(auth_key));
        self
    }

    /// The DC to talk to first (the account's home, once signed in).
    pub fn home_dc(mut self, dc_id: i32) -> Self {
        self.home_dc = Some(dc_id);
        self
    }

    /// How many extra connections (each its own MTProto session on the same
    /// auth key) the transfer engine may open per DC. At least 1.
    pub fn media_connections(mut self, count: usize) -> Self {
        self.media_connections = count.max(1);
        self
    }

    /// The device model sent in `initConnection` (shown in the session list).
    pub fn device_model(mut self, model: impl Into<String>) -> Self {
        self.device_model = model.into();
        self
    }

    fn session_description(&self) -> String {
        match &self.session {
            SessionStore::Memory => "memory".into(),
            SessionStore::Sqlite(path) => format!("sqlite:{}", path.display()),
        }
    }

    /// Where the profile store and the media cache go (see [`ClientBuilder::data_dir`]).
    fn store_paths(&self) -> Result<StorePaths> {
        if let Some(dir) = &self.data_dir {
            return Ok(StorePaths {
                profile_db: dir.join("profile.sqlite"),
                media_dir: dir.join("media"),
                _temporary: None,
            });
        }
        match &self.session {
            SessionStore::Sqlite(session) => {
                let beside = |suffix: &str| {
                    let mut name = session.as_os_str().to_os_string();
                    name.push(suffix);
                    PathBuf::from(name)
                };
                Ok(StorePaths {
                    profile_db: beside(".profile.sqlite"),
                    media_dir: beside(".media"),
                    _temporary: None,
                })
            }
            SessionStore::Memory => {
                let dir = crate::private_files::private_temp_dir()?;
                Ok(StorePaths {
                    profile_db: dir.path().join("profile.sqlite"),
                    media_dir: dir.path().join("media"),
                    _temporary: Some(Arc::new(dir)),
                })
            }
        }
    }

    fn check(&self) -> Result<()> {
        if self.api_id <= 0 {
            return Err(Error::invalid_input("api_id must be positive"));
        }
        if self.api_hash.is_empty() {
            return Err(Error::invalid_input("api_hash must not be empty"));
        }
        if let Some(&bad) = self.dcs.keys().find(|&&id| id <= 0) {
            return Err(Error::invalid_input(format!("invalid DC id {bad}")));
        }
        if self.device_model.len() > MAX_INIT_STRING || self.app_version.len() > MAX_INIT_STRING {
            return Err(Error::invalid_input(format!(
                "the device model and app version may be {MAX_INIT_STRING} bytes at most"
            )));
        }
        Ok(())
    }

    /// Opens the session, applies the DC settings and connects to the home DC.
    ///
    /// Bounded: a server that accepts the connection and answers nothing
    /// makes it fail with [`Error::Timeout`] after about the connect timeout
    /// (at most the request timeout).
    pub async fn connect(self) -> Result<Client> {
        self.check()?;
        let params = ParamsSeed {
            device_model: self.device_model.clone(),
            app_version: self.app_version.clone(),
            flood_sleep_threshold: self.flood_sleep_threshold,
        };
        let api_id = self.api_id;
        let (make_pool, session): (PoolFactory, _) = match &self.session {
            SessionStore::Memory => {
                let session = Arc::new(MemorySession::default());
                self.seed(session.as_ref()).await?;
                let erased = grammers_session::storages::erase(Arc::clone(&session));
                let factory = Box::new(move || {
                    SenderPool::with_configuration(Arc::clone(&session), api_id, params.build())
                });
                (factory, erased)
            }
            SessionStore::Sqlite(path) => {
                let session = Arc::new(open_sqlite_session(path).await?);
                self.seed(session.as_ref()).await?;
                let erased = grammers_session::storages::erase(Arc::clone(&session));
                let factory = Box::new(move || {
                    SenderPool::with_configuration(Arc::clone(&session), api_id, params.build())
                });
                (factory, erased)
            }
        };
        // Every runner's pushed updates go to the one feed.
        let update_feed = Arc::new(UpdateFeed::new());
        let feed = Arc::clone(&update_feed);
        let runners = std::sync::atomic::AtomicU64::new(0);
        let factory: PoolFactory = Box::new(move || {
            let mut pool = make_pool();
            let (_, closed) = tokio::sync::mpsc::channel(1);
            let pushed = std::mem::replace(&mut pool.updates, closed);
            let first = runners.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0;
            feed.attach(pushed, first);
            pool
        });
        let stores = self.store_paths()?;
        let client = Client {
            inner: Arc::new(ClientInner {
                supervisor: Supervisor::start(factory, self.connect_timeout),
                session,
                api_id: self.api_id,
                api_hash: self.api_hash,
                media_connections: self.media_connections,
                device_model: self.device_model.clone(),
                app_version: self.app_version.clone(),
                media_stall_timeout: self.media_stall_timeout,
                request_timeout: self.request_timeout,
                connect_timeout: self.connect_timeout,
                media: Default::default(),
                self_id: Default::default(),
                known_users: Default::default(),
                contact_list: Default::default(),
                migrated_groups: Default::default(),
                stores,
                update_feed,
            }),
        };
        // grammers connects lazily; make the first round trip now so a wrong
        // address or key fails here rather than on the first real call.
        client.invoke(&tl::functions::help::GetNearestDc {}).await?;
        debug!(home_dc = client.home_dc_id()?, "connected");
        Ok(client)
    }

    async fn seed<S>(&self, session: &S) -> Result<()>
    where
        S: Session,
        S::Error: fmt::Display,
    {
        let err = |e: S::Error| Error::Session(e.to_string());
        for (&dc_id, seed) in &self.dcs {
            let mut option = session.dc_option(dc_id).map_err(err)?.unwrap_or(DcOption {
                id: dc_id,
                ipv4: SocketAddrV4::new(std::net::Ipv4Addr::UNSPECIFIED, 0),
                ipv6: SocketAddrV6::new(std::net::Ipv6Addr::UNSPECIFIED, 0, 0, 0),
                auth_key: None,
            });
            match seed.addr {
                Some(SocketAddr::V4(v4)) => {
                    option.ipv4 = v4;
                    option.ipv6 = SocketAddrV6::new(v4.ip().to_ipv6_mapped(), v4.port(), 0, 0);
                }
                Some(SocketAddr::V6(v6)) => option.ipv6 = v6,
                None => {}
            }
            if let Some(key) = &seed.auth_key {
                option.auth_key = Some(**key);
            }
            session.set_dc_option(&option).await.map_err(err)?;
        }
        if let Some(home) = self.home_dc {
            session.set_home_dc_id(home).await.map_err(err)?;
        }
        Ok(())
    }
}

/// What each new `SenderPool` is configured with (grammers' parameters
/// are not `Clone`, so they are built afresh for every runner).
struct ParamsSeed {
    device_model: String,
    app_version: String,
    flood_sleep_threshold: Duration,
}

impl ParamsSeed {
    fn build(&self) -> ConnectionParams {
        ConnectionParams {
            device_model: self.device_model.clone(),
            app_version: self.app_version.clone(),
            retry_policy: Box::new(AutoSleep {
                threshold: self.flood_sleep_threshold,
                ..AutoSleep::default()
            }),
            // Drained at once into the update feed; a burst beyond it is a
            // gap the updates engine fetches.
            updates_channel_capacity: std::num::NonZeroUsize::new(1024)
                .unwrap_or(std::num::NonZeroUsize::MIN),
            ..ConnectionParams::default()
        }
    }
}

/// Opens (or creates) a SQLite session readable by the owner only.
async fn open_sqlite_session(path: &Path) -> Result<SqliteSession> {
    crate::private_files::create_private_file(path)?;
    SqliteSession::open(path)
        .await
        .map_err(|e| Error::Session(e.to_string()))
}

/// The files a client keeps besides its session.
#[derive(Debug, Clone)]
pub(crate) struct StorePaths {
    pub(crate) profile_db: PathBuf,
    pub(crate) media_dir: PathBuf,
    /// The private directory of an in-memory session, removed with the
    /// client.
    _temporary: Option<Arc<tempfile::TempDir>>,
}

pub(crate) struct ClientInner {
    /// The main connection: grammers' runner, supervised and replaced when
    /// it ends.
    supervisor: Supervisor,
    pub(crate) session: Arc<ErasedSession>,
    pub(crate) api_id: i32,
    pub(crate) api_hash: String,
    pub(crate) media_connections: usize,
    pub(crate) device_model: String,
    pub(crate) app_version: String,
    pub(crate) media_stall_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) media: MediaPool,
    pub(crate) self_id: tokio::sync::OnceCell<i64>,
    /// The last full `user` seen of everyone met (names and photos for
    /// answers built without a network call).
    pub(crate) known_users: std::sync::Mutex<HashMap<i64, tl::types::User>>,
    /// The last full `contacts.getContacts` answer and its hash, so an
    /// unchanged list is asked for with the hash and costs nothing.
    pub(crate) contact_list: std::sync::Mutex<Option<ContactListCache>>,
    /// Basic groups that became supergroups (`chat.migrated_to`), by the
    /// group's id: later calls naming the group go to the supergroup.
    pub(crate) migrated_groups: std::sync::Mutex<HashMap<i64, i64>>,
    pub(crate) stores: StorePaths,
    /// Pushed updates and the update state in answers, for the update stream.
    pub(crate) update_feed: Arc<UpdateFeed>,
}

/// The contact list as Telegram last sent it, with the hash that names it
/// (`contacts.getContacts` answers `contactsNotModified` to that hash
/// while the list is unchanged).
#[derive(Debug, Clone)]
pub(crate) struct ContactListCache {
    /// The `contacts.getContacts` hash of this list.
    pub(crate) hash: i64,
    /// The contacts, in Telegram's order.
    pub(crate) contacts: Vec<tl::enums::Contact>,
    /// The contacts' users.
    pub(crate) users: Vec<tl::enums::User>,
}

/// A connected Telegram account (or one still signing in).
///
/// Cheap to clone: clones share the connection. The connection closes when
/// the last clone is dropped.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_id", &self.inner.api_id)
            .field("home_dc", &self.home_dc_id().ok())
            .field("media_connections", &self.inner.media_connections)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Sends a raw TL function to the home DC.
    ///
    /// Every request is checked against the MTProto size limit first
    /// ([`Error::RequestTooLarge`], nothing sent) and has a deadline
    /// ([`ClientBuilder::request_timeout`]; [`Error::Timeout`]). If the
    /// connection's runner dies with the request in flight, the error is
    /// [`Error::ConnectionLost`]; the client reconnects by itself.
    pub async fn invoke<R: RemoteCall<Return: 'static> + 'static>(
        &self,
        request: &R,
    ) -> Result<R::Return> {
        self.invoke_with_timeout(request, self.inner.request_timeout)
            .await
    }

    /// Like [`Client::invoke`], with its own deadline instead of the
    /// builder's (clamped to [`MAX_TIMEOUT`]).
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> tgcmd::Result<()> {
    /// use grammers_tl_types as tl;
    /// let config = client
    ///     .invoke_with_timeout(&tl::functions::help::GetConfig {}, std::time::Duration::from_secs(5))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn invoke_with_timeout<R: RemoteCall<Return: 'static> + 'static>(
        &self,
        request: &R,
        timeout: Duration,
    ) -> Result<R::Return> {
        let dc_id = self.home_dc_id()?;
        self.call_in_dc(dc_id, request, timeout).await
    }

    /// Like [`Client::invoke`], owning the request (handy in closures).
    pub(crate) async fn invoke_owned<R: RemoteCall<Return: 'static> + 'static>(
        &self,
        request: R,
    ) -> Result<R::Return> {
        self.invoke(&request).await
    }

    /// Sends a raw TL function to a given DC (same guard and deadline as
    /// [`Client::invoke`]).
    pub async fn invoke_in_dc<R: RemoteCall<Return: 'static> + 'static>(
        &self,
        dc_id: i32,
        request: &R,
    ) -> Result<R::Return> {
        self.call_in_dc(dc_id, request, self.inner.request_timeout)
            .await
    }

    async fn call_in_dc<R: RemoteCall<Return: 'static> + 'static>(
        &self,
        dc_id: i32,
        request: &R,
        timeout: Duration,
    ) -> Result<R::Return> {
        check_request_size(serialized_size(request))?;
        let answer = self
            .on_connection("an answer from Telegram", timeout, |tg| async move {
                tg.invoke_in_dc(dc_id, request).await
            })
            .await?;
        self.inner.update_feed.record_answer(request, &answer);
        Ok(answer)
    }

    /// Runs `call` with the current grammers client, within `timeout`
    /// (clamped), through the supervisor (see [`runner`]). Every path into
    /// grammers' main connection goes through here.
    pub(crate) async fn on_connection<T, E, F, Fut>(
        &self,
        what: &'static str,
        timeout: Duration,
        call: F,
    ) -> Result<T>
    where
        E: runner::CallError,
        F: FnMut(grammers_client::Client) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, E>>,
    {
        let timeout = clamp_timeout(timeout, Duration::ZERO);
        let deadline = tokio::time::Instant::now() + timeout;
        self.inner
            .supervisor
            .run(what, timeout, deadline, call)
            .await
    }

    /// How many times the main connection's runner has been started: 1
    /// after [`ClientBuilder::connect`], one more each time it ended (a
    /// panic inside grammers, a `disconnect`) or hung and was replaced.
    pub fn connection_generation(&self) -> u64 {
        self.inner.supervisor.generation()
    }

    /// The account's home DC.
    pub fn home_dc_id(&self) -> Result<i32> {
        self.inner
            .session
            .home_dc_id()
            .map_err(|e| Error::Session(e.to_string()))
    }

    /// The underlying grammers client, for anything tgcmd does not wrap.
    ///
    /// It is bound to the current runner (see
    /// [`Client::connection_generation`]): after the runner is replaced, an
    /// old one fails every call, so ask for it again rather than keeping it.
    /// Calls made through it bypass tgcmd's size guard and deadlines.
    pub fn grammers(&self) -> grammers_client::Client {
        self.inner.supervisor.current().tg.clone()
    }

    /// How many extra connections per DC the transfer engine may use.
    pub fn media_connections(&self) -> usize {
        self.inner.media_connections
    }

    /// The SQLite file `refresh_self_profile` writes the profile to (see
    /// [`ClientBuilder::data_dir`]).
    pub fn profile_store_path(&self) -> &Path {
        &self.inner.stores.profile_db
    }

    /// The directory downloaded profile media is cached in (see
    /// [`ClientBuilder::data_dir`]).
    pub fn media_cache_dir(&self) -> &Path {
        &self.inner.stores.media_dir
    }

    /// Whether the session is signed in.
    pub async fn is_authorized(&self) -> Result<bool> {
        self.on_connection(
            "updates.getState",
            self.inner.request_timeout,
            |tg| async move { tg.is_authorized().await },
        )
        .await
    }

    /// The signed-in user.
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> tgcmd::Result<()> {
    /// let me = client.get_me().await?;
    /// assert!(me.id > 0);
    /// # Ok(()) }
    /// ```
    pub async fn get_me(&self) -> Result<User> {
        let users = self
            .invoke(&tl::functions::users::GetUsers {
                id: vec![tl::enums::InputUser::UserSelf],
            })
            .await?;
        // Kept with the other known users, so answers can name the account
        // itself (`src` of its own messages) without asking again.
        self.remember_users(&users).await?;
        users
            .iter()
            .find_map(User::from_tl)
            .ok_or_else(|| Error::Protocol("users.getUsers returned no self user".into()))
    }
}
