//! The file-transfer engine.
//!
//! - [`limits`] and [`plan`] are pure: every Telegram limit with the spec
//!   line it comes from, and the planners that turn sizes and ranges into
//!   valid `saveFilePart` / `getFile` requests.
//! - [`upload`] and [`download`] are the executors: they run a plan with a
//!   window of requests in flight spread over several connections (each its
//!   own MTProto session on the account's key), verify what they receive and
//!   recover from flood waits, migrations, dropped connections, expired file
//!   references and lost parts, as [`recovery`] decides.
//!
//! The executors talk to the network only through [`TransferApi`], so they
//! can be driven by a mock as well as by a [`crate::Client`].

pub(crate) mod connection;
pub mod download;
pub mod limits;
pub mod plan;
pub mod recovery;
pub mod upload;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use grammers_tl_types::{Deserializable, RemoteCall};
use tokio::sync::Notify;

use crate::error::{Error, Result};

pub use crate::types::{ChangedPart, UploadHandle, part_fingerprint};
pub use download::{DownloadOptions, DownloadReport, FileLocation, LocationRefresher, RemoteFile};
pub use plan::DownloadMode;
pub use upload::{UploadOptions, UploadedFile};

/// Kept at its old path; the alias lives at the crate root.
pub use crate::BoxFuture;

/// What the executors need from the network.
///
/// [`crate::Client`] provides the real one; tests can provide a mock that
/// inspects the serialized requests.
pub trait TransferApi: Send + Sync + 'static {
    /// How many parallel connections ("lanes") to spread requests over.
    fn lanes(&self) -> usize;
    /// The account's home DC, where uploads go.
    fn home_dc(&self) -> Result<i32>;
    /// Sends a serialized request to `dc_id` on connection `lane`.
    ///
    /// The body is shared, not copied, by retries and by the connection
    /// that keeps it until the answer comes.
    fn call_raw(&self, dc_id: i32, lane: usize, body: Bytes) -> BoxFuture<'_, Result<Vec<u8>>>;
    /// Makes the account's authorization valid on `dc_id` (export on the
    /// home DC, import on `dc_id`).
    fn authorize_dc(&self, dc_id: i32) -> BoxFuture<'_, Result<()>>;
    /// How many parts this account may upload per file.
    fn max_upload_parts(&self) -> BoxFuture<'_, Result<u32>>;
}

/// Sends a typed request through a [`TransferApi`].
pub(crate) async fn call<A: TransferApi + ?Sized, R: RemoteCall>(
    api: &A,
    dc_id: i32,
    lane: usize,
    request: &R,
) -> Result<R::Return> {
    let body = api
        .call_raw(dc_id, lane, Bytes::from(request.to_bytes()))
        .await?;
    R::Return::from_bytes(&body).map_err(|e| Error::Protocol(format!("bad answer: {e}")))
}

/// Progress of a transfer: bytes done so far and the total when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes transferred so far.
    pub done: u64,
    /// Bytes the transfer will move in all (the requested range for a ranged download), if known.
    pub total: Option<u64>,
}

/// A progress callback. Called from the transfer's task, so keep it quick.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Stops a transfer from elsewhere. Dropping the transfer's future stops it
/// too; the token is for when the future is owned by someone else.
#[derive(Clone, Default)]
pub struct CancelToken(Arc<CancelState>);

#[derive(Default)]
struct CancelState {
    cancelled: AtomicBool,
    notify: Notify,
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every transfer holding this token; they end with [`Error::Cancelled`].
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Resolves once the token is cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// Waits for `token` if there is one, forever otherwise.
pub(crate) async fn cancelled(token: Option<&CancelToken>) {
    match token {
        Some(token) => token.cancelled().await,
        None => std::future::pending().await,
    }
}

/// A random 64-bit id (file ids, ping ids).
pub(crate) fn random_i64() -> i64 {
    let mut bytes = [0u8; 8];
    // Without an OS random source nothing in MTProto can work at all.
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    i64::from_le_bytes(bytes)
}
