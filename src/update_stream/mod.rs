//! The update stream: [`Client::updates`] yields typed [`Update`]s, in
//! order, each once, including what arrived while the client was offline.
//!
//! The rules live in the pure [`crate::updates::Engine`]; the driver here
//! (`driver.rs`) only carries them out: it feeds the engine what the
//! connection pushes and what the client's own requests answered (the
//! client's update feed), makes the `getDifference` / `getChannelDifference`
//! requests it asks for, turns its output into [`Update`]s, and persists
//! the state (pts, qts, seq, date and each channel's pts) in the session on
//! a timer and when the stream ends, so that a restarted client catches up
//! on exactly what it missed.
//!
//! ```no_run
//! # async fn f(client: tgcmd::Client) -> tgcmd::Result<()> {
//! use tgcmd::update_stream::Update;
//! let mut updates = client.updates()?;
//! while let Some(update) = updates.next().await {
//!     if let Update::MsgReceive { msg, .. } = update {
//!         tracing::info!(text = ?msg.text, "new message");
//!     }
//! }
//! # Ok(()) }
//! ```

mod driver;
mod update;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::mpsc;

pub use update::Update;

use crate::client::Client;
use crate::error::{Error, Result};

/// How the update stream runs.
#[derive(Debug, Clone)]
pub struct UpdateStreamOptions {
    /// How often a changed update state is written to the session.
    pub persist_every: Duration,
    /// How many updates wait for the application before the driver waits
    /// too (then the connection's own buffer fills, and what it drops is
    /// fetched again as a gap; nothing grows without bound).
    pub capacity: usize,
}

impl Default for UpdateStreamOptions {
    fn default() -> Self {
        UpdateStreamOptions {
            persist_every: Duration::from_secs(1),
            capacity: 1024,
        }
    }
}

/// The stream of an account's updates (see the [module docs](self)).
///
/// Dropping it stops the driver after it has saved the update state;
/// [`UpdateStream::close`] does the same and waits for the save.
#[derive(Debug)]
pub struct UpdateStream {
    updates: mpsc::Receiver<Update>,
    driver: tokio::task::JoinHandle<()>,
}

impl UpdateStream {
    /// The next update; `None` once the driver has stopped (the client
    /// was signed out or the session failed; see the log).
    pub async fn next(&mut self) -> Option<Update> {
        self.updates.recv().await
    }

    /// Stops the stream and waits until the update state is saved.
    pub async fn close(mut self) {
        self.updates.close();
        // The driver sees the closed channel, saves and ends.
        let _ = (&mut self.driver).await;
    }
}

impl futures_core::Stream for UpdateStream {
    type Item = Update;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Update>> {
        self.updates.poll_recv(cx)
    }
}

impl Client {
    /// The account's update stream, with the default options. There is one
    /// per client: a second call is an error.
    pub fn updates(&self) -> Result<UpdateStream> {
        self.updates_with(UpdateStreamOptions::default())
    }

    /// The account's update stream with `options`.
    pub fn updates_with(&self, options: UpdateStreamOptions) -> Result<UpdateStream> {
        let feed = self.take_update_feed().ok_or_else(|| {
            Error::invalid_input("the update stream of this client was taken already")
        })?;
        let (tx, updates) = mpsc::channel(options.capacity.max(1));
        let driver = tokio::spawn(driver::run(self.clone(), feed, tx, options));
        Ok(UpdateStream { updates, driver })
    }
}
