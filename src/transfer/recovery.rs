//! The protocol rules for a failed transfer request, in one pure function.
//!
//! The executors (`upload.rs`, `download.rs`) and the finalising step
//! (`media.rs`) send requests and, when one fails, ask [`decide`] what to do
//! next. The rules come from the files spec and from Telegram's error list:
//!
//! | Error | Request | Then |
//! |---|---|---|
//! | `FLOOD_WAIT_X`, `FLOOD_PREMIUM_WAIT_X` (≤ [`MAX_FLOOD_WAIT`]) | parts and downloads | sleep X seconds, retry |
//! | a longer flood wait | any | fail: the caller decides whether to wait that long |
//! | `FILE_MIGRATE_X` (303) | `getFile`, `getFileHashes` | send to DC X |
//! | `FILE_REFERENCE_*` | `getFile`, `getFileHashes` | ask for a fresh location, retry |
//! | `FILE_PART_X_MISSING` | finalising an upload | send part X again, finalise again |
//! | `AUTH_KEY_UNREGISTERED` | parts and downloads (twice at most) | export/import the authorization, retry |
//! | network failures, 500, −503 | parts and downloads ([`MAX_NETWORK_RETRIES`] times) | back off, retry |
//! | anything else while finalising | | fail: the message may have been posted, and sending it again could post it twice; flood waits are the caller's |
//! | anything else, or a limit reached | | fail with the error |
//!
//! Nothing here does IO or sleeps: the caller carries the [`Attempts`] and
//! performs the [`Recovery`], so every rule has a table test below.

use std::time::Duration;

use crate::error::Error;

/// Retries allowed for network failures of one request before giving up.
pub const MAX_NETWORK_RETRIES: u32 = 8;
/// Longest flood wait an executor sleeps through on its own.
pub const MAX_FLOOD_WAIT: Duration = Duration::from_secs(300);
/// Migrations and reference refreshes allowed for one request (a server
/// that keeps redirecting must not keep a download busy forever).
pub const MAX_REDIRECTS: u32 = 4;
/// Times finalising an upload may ask for a part again.
pub const MAX_PART_REPAIRS: u32 = 8;
/// Authorization imports tried for one request.
pub const MAX_AUTHORIZATIONS: u32 = 2;

/// The kind of request that failed: the same error means different things
/// for different requests (a migration makes sense for a download only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// `upload.saveFilePart` / `upload.saveBigFilePart`.
    SavePart,
    /// `upload.getFile` or `upload.getFileHashes`: anything that names a
    /// file location.
    Located,
    /// The call that turns an uploaded file into media
    /// (`messages.sendMedia`, `photos.uploadProfilePhoto`, …).
    Finalise,
}

/// What to do about a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Wait this long, then send the request again.
    RetryAfter(Duration),
    /// Make the account's authorization valid on the DC, then retry.
    Authorize,
    /// The file lives on this DC: send the request there from now on.
    MigrateTo(i32),
    /// The file reference expired: get a fresh location, then retry.
    RefreshReference,
    /// The server lost this part of the upload: send it again, then
    /// finalise again.
    ResendPart(u32),
    /// Give up: the error is the answer.
    Fail,
}

/// How often each kind of recovery was already tried for one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempts {
    /// Retries after network failures, server errors and authorizations.
    pub retries: u32,
    /// Authorizations imported.
    pub authorizations: u32,
    /// Migrations and reference refreshes.
    pub redirects: u32,
    /// Parts sent again while finalising.
    pub repairs: u32,
}

impl Attempts {
    /// Counts `recovery` as tried.
    pub fn record(&mut self, recovery: Recovery) {
        match recovery {
            Recovery::RetryAfter(_) => self.retries += 1,
            Recovery::Authorize => self.authorizations += 1,
            Recovery::MigrateTo(_) | Recovery::RefreshReference => self.redirects += 1,
            Recovery::ResendPart(_) => self.repairs += 1,
            Recovery::Fail => {}
        }
    }
}

/// Decides what a failed `request` calls for, given what was tried already.
///
/// ```
/// use tgcmd::transfer::recovery::{decide, Attempts, Recovery, Request};
/// let flood = tgcmd::Error::Rpc(grammers_mtsender::RpcError::from(
///     grammers_tl_types::types::RpcError { error_code: 420, error_message: "FLOOD_WAIT_3".into() },
/// ));
/// assert_eq!(
///     decide(Request::SavePart, &flood, &Attempts::default()),
///     Recovery::RetryAfter(std::time::Duration::from_secs(3)),
/// );
/// ```
pub fn decide(request: Request, error: &Error, attempts: &Attempts) -> Recovery {
    if request == Request::Finalise {
        return decide_finalise(error, attempts);
    }
    if let Some(seconds) = error.flood_wait_seconds() {
        let wait = Duration::from_secs(u64::from(seconds));
        return if wait <= MAX_FLOOD_WAIT {
            Recovery::RetryAfter(wait)
        } else {
            Recovery::Fail
        };
    }
    if let Some(rpc) = error.rpc() {
        match request {
            Request::Located if rpc.code == 303 && rpc.is("FILE_MIGRATE") => {
                return match rpc.value.and_then(|dc| i32::try_from(dc).ok()) {
                    Some(dc) if attempts.redirects < MAX_REDIRECTS => Recovery::MigrateTo(dc),
                    _ => Recovery::Fail,
                };
            }
            Request::Located if rpc.is("FILE_REFERENCE_*") => {
                return if attempts.redirects < MAX_REDIRECTS {
                    Recovery::RefreshReference
                } else {
                    Recovery::Fail
                };
            }
            _ => {}
        }
        if rpc.is("AUTH_KEY_UNREGISTERED") {
            return if attempts.authorizations < MAX_AUTHORIZATIONS {
                Recovery::Authorize
            } else {
                Recovery::Fail
            };
        }
    }
    let transient =
        error.is_network() || error.rpc().is_some_and(|e| e.code == 500 || e.code == -503);
    if transient && attempts.retries < MAX_NETWORK_RETRIES {
        return Recovery::RetryAfter(backoff(attempts.retries));
    }
    Recovery::Fail
}

/// Finalising posts a message or sets a photo: it is not idempotent, and
/// its flood waits are the caller's to wait out (the command layer reports
/// them as Telegram's `FLOOD_WAIT_X`). Only a lost part is repaired here.
fn decide_finalise(error: &Error, attempts: &Attempts) -> Recovery {
    match error.rpc() {
        Some(rpc) if rpc.is("FILE_PART_MISSING") => match rpc.value {
            Some(part) if attempts.repairs < MAX_PART_REPAIRS => Recovery::ResendPart(part),
            _ => Recovery::Fail,
        },
        _ => Recovery::Fail,
    }
}

/// 50 ms doubling per retry, capped at 3.2 s.
fn backoff(retries: u32) -> Duration {
    Duration::from_millis(50 * 2u64.pow(retries.min(6)))
}

/// Whether a failed `upload.getFileHashes` means the server publishes no
/// hashes for this file (any 400), so the download goes on unverified and
/// says so, rather than failing.
pub fn hashes_unavailable(error: &Error) -> bool {
    error.rpc().is_some_and(|rpc| rpc.code == 400)
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    fn rpc(code: i32, message: &str) -> Error {
        Error::Rpc(grammers_mtsender::RpcError::from(
            grammers_tl_types::types::RpcError {
                error_code: code,
                error_message: message.into(),
            },
        ))
    }

    fn network() -> Error {
        Error::Io(io::Error::from(io::ErrorKind::ConnectionReset))
    }

    const FRESH: Attempts = Attempts {
        retries: 0,
        authorizations: 0,
        redirects: 0,
        repairs: 0,
    };

    fn after(retries: u32, authorizations: u32, redirects: u32, repairs: u32) -> Attempts {
        Attempts {
            retries,
            authorizations,
            redirects,
            repairs,
        }
    }

    #[test]
    fn the_rules() {
        use Recovery::*;
        use Request::*;
        let secs = Duration::from_secs;
        let ms = Duration::from_millis;
        #[rustfmt::skip]
        let cases: Vec<(&str, Request, Error, Attempts, Recovery)> = vec![
            ("a short flood wait is slept through", SavePart, rpc(420, "FLOOD_WAIT_3"), FRESH, RetryAfter(secs(3))),
            ("a premium flood wait too", Located, rpc(420, "FLOOD_PREMIUM_WAIT_7"), FRESH, RetryAfter(secs(7))),
            ("a flood wait of exactly the limit is slept", Located, rpc(420, "FLOOD_WAIT_300"), FRESH, RetryAfter(secs(300))),
            ("a flood wait while finalising is the caller's", Finalise, rpc(420, "FLOOD_WAIT_3"), FRESH, Fail),
            ("a longer flood wait fails", Located, rpc(420, "FLOOD_WAIT_301"), FRESH, Fail),
            ("flood waits do not use up retries", SavePart, rpc(420, "FLOOD_WAIT_1"), after(99, 0, 0, 0), RetryAfter(secs(1))),
            ("FILE_MIGRATE on a download migrates", Located, rpc(303, "FILE_MIGRATE_4"), FRESH, MigrateTo(4)),
            ("FILE_MIGRATE with another code is not a migration", Located, rpc(400, "FILE_MIGRATE_4"), FRESH, Fail),
            ("FILE_MIGRATE on an upload part fails", SavePart, rpc(303, "FILE_MIGRATE_4"), FRESH, Fail),
            ("a fifth redirect fails", Located, rpc(303, "FILE_MIGRATE_2"), after(0, 0, 4, 0), Fail),
            ("an expired reference is refreshed", Located, rpc(400, "FILE_REFERENCE_EXPIRED"), FRESH, RefreshReference),
            ("an invalid reference is refreshed", Located, rpc(400, "FILE_REFERENCE_INVALID"), after(0, 0, 3, 0), RefreshReference),
            ("a reference that stays expired fails", Located, rpc(400, "FILE_REFERENCE_EXPIRED"), after(0, 0, 4, 0), Fail),
            ("a reference error on an upload fails", SavePart, rpc(400, "FILE_REFERENCE_EXPIRED"), FRESH, Fail),
            ("a lost part is sent again", Finalise, rpc(400, "FILE_PART_7_MISSING"), FRESH, ResendPart(7)),
            ("a lost part without its number fails", Finalise, rpc(400, "FILE_PART_MISSING"), FRESH, Fail),
            ("a part lost a ninth time fails", Finalise, rpc(400, "FILE_PART_7_MISSING"), after(0, 0, 0, 8), Fail),
            ("a lost part outside finalising fails", SavePart, rpc(400, "FILE_PART_7_MISSING"), FRESH, Fail),
            ("an unregistered key is authorized", SavePart, rpc(401, "AUTH_KEY_UNREGISTERED"), FRESH, Authorize),
            ("on a download too", Located, rpc(401, "AUTH_KEY_UNREGISTERED"), after(3, 1, 0, 0), Authorize),
            ("a third authorization fails", Located, rpc(401, "AUTH_KEY_UNREGISTERED"), after(0, 2, 0, 0), Fail),
            ("a dropped connection is retried", Located, network(), FRESH, RetryAfter(ms(50))),
            ("with a doubling backoff", SavePart, network(), after(3, 0, 0, 0), RetryAfter(ms(400))),
            ("capped at 3.2 s", SavePart, network(), after(7, 0, 0, 0), RetryAfter(ms(3200))),
            ("a ninth network failure fails", SavePart, network(), after(8, 0, 0, 0), Fail),
            ("a lost connection is a network failure", SavePart, Error::ConnectionLost, FRESH, RetryAfter(ms(50))),
            ("an internal server error is retried", Located, rpc(500, "INTERNAL"), after(1, 0, 0, 0), RetryAfter(ms(100))),
            ("a -503 timeout is retried", Located, rpc(-503, "Timeout"), FRESH, RetryAfter(ms(50))),
            ("a -503 while finalising fails: the message may have been posted", Finalise, rpc(-503, "Timeout"), FRESH, Fail),
            ("a dropped connection while finalising fails", Finalise, network(), FRESH, Fail),
            ("an unregistered key while finalising fails", Finalise, rpc(401, "AUTH_KEY_UNREGISTERED"), FRESH, Fail),
            ("a bad request fails", SavePart, rpc(400, "FILE_PART_INVALID"), FRESH, Fail),
            ("an unsupported location fails", Located, rpc(400, "LOCATION_INVALID"), FRESH, Fail),
            ("a local error fails", Located, Error::invalid_input("bad"), FRESH, Fail),
        ];
        let mut failures = Vec::new();
        for (name, request, error, attempts, expected) in cases {
            let got = decide(request, &error, &attempts);
            if got != expected {
                failures.push(format!("{name}: expected {expected:?}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn attempts_count_what_was_tried() {
        let mut attempts = Attempts::default();
        for recovery in [
            Recovery::RetryAfter(Duration::ZERO),
            Recovery::Authorize,
            Recovery::MigrateTo(2),
            Recovery::RefreshReference,
            Recovery::ResendPart(1),
            Recovery::Fail,
        ] {
            attempts.record(recovery);
        }
        assert_eq!(attempts, after(1, 1, 2, 1));
    }

    #[test]
    fn a_redirecting_server_is_given_up_on() {
        // Follow the rules as a caller would: a server that answers
        // FILE_MIGRATE forever ends in Fail, not a loop.
        let error = rpc(303, "FILE_MIGRATE_3");
        let mut attempts = Attempts::default();
        let mut steps = 0;
        loop {
            let recovery = decide(Request::Located, &error, &attempts);
            if recovery == Recovery::Fail {
                break;
            }
            attempts.record(recovery);
            steps += 1;
            assert!(steps <= MAX_REDIRECTS, "no end to redirects");
        }
        assert_eq!(steps, MAX_REDIRECTS);
    }

    #[test]
    fn missing_hashes_are_a_400() {
        assert!(hashes_unavailable(&rpc(400, "FILE_HASHES_INVALID")));
        assert!(!hashes_unavailable(&rpc(500, "INTERNAL")));
        assert!(!hashes_unavailable(&network()));
    }
}
