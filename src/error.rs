//! The library's one error type.

use std::fmt;
use std::io;

use grammers_mtsender::InvocationError;
pub use grammers_mtsender::RpcError;

/// Errors whose number sits inside the name rather than at its end. grammers
/// takes the number out of the name ([`RpcError::value`]); these are put back
/// where Telegram had them.
const INFIX_NUMBER_ERRORS: &[(&str, &str)] = &[
    ("FILE_PART_MISSING", "FILE_PART_{}_MISSING"),
    ("INTERDC_CALL_ERROR", "INTERDC_{}_CALL_ERROR"),
    ("INTERDC_CALL_RICH_ERROR", "INTERDC_{}_CALL_RICH_ERROR"),
];

/// Telegram's own spelling of an RPC error, number included: `FLOOD_WAIT_30`,
/// `FILE_MIGRATE_2`, `FILE_PART_7_MISSING`, `USERNAME_OCCUPIED`.
///
/// ```
/// use tgcmd::error::telegram_error_name;
/// let e = grammers_mtsender::RpcError::from(grammers_tl_types::types::RpcError {
///     error_code: 400,
///     error_message: "FILE_PART_7_MISSING".into(),
/// });
/// assert_eq!(telegram_error_name(&e), "FILE_PART_7_MISSING");
/// ```
pub fn telegram_error_name(error: &RpcError) -> String {
    let Some(value) = error.value else {
        return error.name.clone();
    };
    match INFIX_NUMBER_ERRORS
        .iter()
        .find(|(name, _)| *name == error.name)
    {
        Some((_, pattern)) => pattern.replace("{}", &value.to_string()),
        None => format!("{}_{value}", error.name),
    }
}

/// Everything that can go wrong in tgcmd.
///
/// Match on it, or use the `is_*` helpers; new variants may be added.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Telegram answered with an RPC error (code, name and value kept as
    /// grammers parsed them; [`Error::telegram_name`] gives the original).
    #[error("telegram error {}: {}", .0.code, telegram_error_name(.0))]
    Rpc(RpcError),
    /// The network failed (connection refused, reset, timed out…).
    #[error("network error: {0}")]
    Io(#[from] io::Error),
    /// The session storage failed.
    #[error("session storage error: {0}")]
    Session(String),
    /// A protocol-level failure below RPC errors: transport, decoding, a
    /// dropped request.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The connection to Telegram went away while the request was in flight
    /// (its runner ended, for example after a panic inside grammers).
    /// Telegram may or may not have executed the request. The client
    /// reconnects by itself: later calls work again.
    #[error(
        "the connection to Telegram was lost with the request in flight; it is being re-established"
    )]
    ConnectionLost,
    /// No answer came in time. For a request on the main connection the
    /// request may or may not have been executed.
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout {
        /// What was being waited for.
        what: &'static str,
        /// The deadline that passed.
        after: std::time::Duration,
    },
    /// The serialized request is bigger than one MTProto message may be;
    /// nothing was sent.
    #[error(
        "the request is {size} bytes, more than the {limit} bytes one MTProto message may carry"
    )]
    RequestTooLarge {
        /// The serialized size of the request.
        size: usize,
        /// The largest request tgcmd sends
        /// ([`crate::transfer::limits::MAX_REQUEST_SIZE`]).
        limit: usize,
    },
    /// The caller passed something that cannot be sent; nothing was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The operation is not implemented (yet). Nothing was sent.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Downloaded bytes did not match the SHA-256 the server published for
    /// them, even after fetching them again. No wrong bytes were handed out.
    #[error("hash mismatch for {len} bytes at offset {offset}, twice")]
    HashMismatch {
        /// Where the bad chunk starts in the file.
        offset: u64,
        /// How long the chunk is.
        len: u64,
    },
    /// The transfer was cancelled through its token.
    #[error("the transfer was cancelled")]
    Cancelled,
    /// An upload stopped part-way; `handle` lists the parts the server
    /// confirmed, so [`crate::Client::resume_upload`] sends only the rest.
    #[error("upload interrupted: {cause}")]
    UploadInterrupted {
        /// What the server already has.
        handle: Box<crate::types::UploadHandle>,
        /// Why the upload stopped.
        cause: Box<Error>,
    },
}

impl Error {
    /// The RPC error, if Telegram answered with one.
    pub fn rpc(&self) -> Option<&RpcError> {
        match self {
            Error::Rpc(e) => Some(e),
            _ => None,
        }
    }

    /// Telegram's name for the error (`FLOOD_WAIT_30`), if it is an RPC error.
    pub fn telegram_name(&self) -> Option<String> {
        self.rpc().map(telegram_error_name)
    }

    /// Whether this is the RPC error `name` (grammers-style, without the number,
    /// e.g. `"FLOOD_WAIT"`; a trailing `*` matches a prefix).
    pub fn is_rpc(&self, name: &str) -> bool {
        self.rpc().is_some_and(|e| e.is(name))
    }

    /// `FLOOD_WAIT_X`: the seconds to wait.
    pub fn flood_wait_seconds(&self) -> Option<u32> {
        self.rpc()
            .filter(|e| e.code == 420 || e.is("FLOOD_WAIT") || e.is("FLOOD_PREMIUM_WAIT"))
            .and_then(|e| e.value)
    }

    /// Whether the transfer was cancelled through its token, including an
    /// upload that was cancelled after some of its parts were sent.
    pub fn is_cancelled(&self) -> bool {
        match self {
            Error::Cancelled => true,
            Error::UploadInterrupted { cause, .. } => cause.is_cancelled(),
            _ => false,
        }
    }

    /// The handle to resume an interrupted upload from, if this is
    /// [`Error::UploadInterrupted`].
    pub fn upload_handle(&self) -> Option<&crate::types::UploadHandle> {
        match self {
            Error::UploadInterrupted { handle, .. } => Some(handle),
            _ => None,
        }
    }

    /// Whether the connection failed rather than the request (including
    /// [`Error::ConnectionLost`] and [`Error::Timeout`]).
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            Error::Io(_) | Error::Protocol(_) | Error::ConnectionLost | Error::Timeout { .. }
        )
    }

    /// Whether the connection went away with the request in flight
    /// ([`Error::ConnectionLost`]).
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, Error::ConnectionLost)
    }

    /// Whether a deadline passed ([`Error::Timeout`]).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// Whether the request was refused for its size before anything was
    /// sent ([`Error::RequestTooLarge`]).
    pub fn is_request_too_large(&self) -> bool {
        matches!(self, Error::RequestTooLarge { .. })
    }

    /// Whether the caller's input was refused before anything was sent.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::InvalidInput(_))
    }

    pub(crate) fn invalid_input(message: impl fmt::Display) -> Self {
        Error::InvalidInput(message.to_string())
    }
}

impl From<InvocationError> for Error {
    fn from(error: InvocationError) -> Self {
        match error {
            InvocationError::Rpc(e) => Error::Rpc(e),
            InvocationError::Io(e) => Error::Io(e),
            InvocationError::Session(e) => Error::Session(e.to_string()),
            // grammers' runner is gone (it ended or panicked): the request's
            // answer will never come.
            InvocationError::Dropped(_) => Error::ConnectionLost,
            other => Error::Protocol(other.to_string()),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn rpc(message: &str) -> RpcError {
        RpcError::from(grammers_tl_types::types::RpcError {
            error_code: 400,
            error_message: message.into(),
        })
    }

    #[test]
    fn names_round_trip_through_grammers() {
        for name in [
            "FLOOD_WAIT_30",
            "FILE_MIGRATE_2",
            "FILE_PART_7_MISSING",
            "USERNAME_OCCUPIED",
            "INTERDC_2_CALL_ERROR",
        ] {
            assert_eq!(telegram_error_name(&rpc(name)), name);
        }
    }
}
