//! tgcmd: a pure-Rust Telegram client library on MTProto.
//!
//! It talks to Telegram directly through the grammers crates, with no TDLib
//! underneath. Build a [`Client`] with a [`ClientBuilder`], sign in, then use
//! its methods.
//!
//! ```no_run
//! # async fn f() -> tgcmd::Result<()> {
//! let client = tgcmd::ClientBuilder::new(12345, "0123456789abcdef0123456789abcdef")
//!     .session_file("bot.session")
//!     .connect()
//!     .await?;
//! if !client.is_authorized().await? {
//!     client.bot_sign_in("123456:ABC-DEF").await?;
//! }
//! let me = client.get_me().await?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

/// The README's Rust examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;

pub mod client;
pub mod commands;
pub mod error;
pub mod lines;
pub mod media;
pub mod media_probe;
mod private_files;
pub mod td;
pub mod tgl;
pub mod transfer;
pub mod types;
pub mod update_stream;
pub mod updates;

/// Signing in (kept at its old path; lives in [`client::auth`]).
pub use client::auth;
pub use client::auth::{LoginToken, PasswordToken, SignInError};
pub use client::{Client, ClientBuilder};
pub use error::{Error, Result};

/// A boxed, `Send` future, as [`transfer::TransferApi`] methods and the
/// command handlers return.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
pub use types::User;
