//! The client's media connections: a few per DC, opened on first use and
//! reopened when they die, plus the per-DC authorization the transfers need.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicI32;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use grammers_tl_types as tl;
use tokio::sync::{Mutex, OnceCell};
use tracing::debug;

use super::{Client, ClientInner};
use crate::error::{Error, Result};
use crate::transfer::connection::{InitParams, MediaConnection};
use crate::transfer::limits;
use crate::transfer::{BoxFuture, TransferApi};

/// An authorization copied to a DC this recently is not copied again: the
/// other requests that failed at the same time just retry.
const REAUTHORIZE_AFTER: Duration = Duration::from_secs(5);

type Slot = Arc<Mutex<Option<Arc<MediaConnection>>>>;

/// When the account's authorization was last copied to one DC. Each DC has
/// its own lock, held across the export and import, so requests failing
/// on one DC at the same time copy it once, while a slow DC holds up only
/// its own transfers. A failed copy records nothing and is tried again.
type Authorized = Arc<Mutex<Option<Instant>>>;

/// Media connections by (DC, lane).
#[derive(Default)]
pub(crate) struct MediaPool {
    slots: StdMutex<HashMap<(i32, usize), Slot>>,
    authorized: StdMutex<HashMap<i32, Authorized>>,
    max_parts: OnceCell<u32>,
    /// The server's clock as the media connections last learned it (see
    /// [`InitParams::time_offset`]).
    time_offset: Arc<AtomicI32>,
}

impl MediaPool {
    fn slot(&self, dc_id: i32, lane: usize) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(slots.entry((dc_id, lane)).or_default())
    }

    fn authorized(&self, dc_id: i32) -> Authorized {
        let mut authorized = self.authorized.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(authorized.entry(dc_id).or_default())
    }
}

/// The address and auth key of `dc_id`. tgcmd's copy of the key is wiped
/// when dropped (the copies grammers keeps in its session and protocol
/// state are its own, and not wiped).
fn dc_endpoint(
    inner: &ClientInner,
    dc_id: i32,
) -> Result<Option<(SocketAddr, zeroize::Zeroizing<[u8; 256]>)>> {
    let option = inner
        .session
        .dc_option(dc_id)
        .map_err(|e| Error::Session(e.to_string()))?;
    Ok(option.and_then(|o| {
        let addr = if o.ipv4.ip().is_unspecified() {
            SocketAddr::V6(o.ipv6)
        } else {
            SocketAddr::V4(o.ipv4)
        };
        o.auth_key.map(|key| (addr, zeroize::Zeroizing::new(key)))
    }))
}

impl Client {
    /// A live media connection to `dc_id` for `lane`, connecting if needed.
    pub(crate) async fn media_connection(
        &self,
        dc_id: i32,
        lane: usize,
    ) -> Result<Arc<MediaConnection>> {
        let slot = self.inner.media.slot(dc_id, lane);
        let mut guard = slot.lock().await;
        if let Some(connection) = guard.as_ref().filter(|c| !c.is_closed()) {
            return Ok(Arc::clone(connection));
        }
        let endpoint = match dc_endpoint(&self.inner, dc_id)? {
            Some(endpoint) => endpoint,
            None => {
                // No key for this DC yet: let the main connection make one
                // (the DH handshake) and store it in the session.
                self.invoke_in_dc(dc_id, &tl::functions::help::GetNearestDc {})
                    .await?;
                dc_endpoint(&self.inner, dc_id)?
                    .ok_or_else(|| Error::Protocol(format!("no auth key for DC {dc_id}")))?
            }
        };
        let init = InitParams {
            api_id: self.inner.api_id,
            device_model: self.inner.device_model.clone(),
            app_version: self.inner.app_version.clone(),
            stall_timeout: self.inner.media_stall_timeout,
            connect_timeout: self.inner.connect_timeout,
            time_offset: Arc::clone(&self.inner.media.time_offset),
        };
        debug!(dc_id, lane, "opening media connection");
        let connection = Arc::new(MediaConnection::connect(endpoint.0, *endpoint.1, &init).await?);
        *guard = Some(Arc::clone(&connection));
        Ok(connection)
    }

    /// Copies the account's authorization to `dc_id`.
    pub(crate) async fn authorize_dc(&self, dc_id: i32) -> Result<()> {
        let home = self.home_dc_id()?;
        if dc_id == home {
            return Err(Error::Rpc(grammers_mtsender::RpcError::from(
                tl::types::RpcError {
                    error_code: 401,
                    error_message: "AUTH_KEY_UNREGISTERED".into(),
                },
            )));
        }
        let authorized = self.inner.media.authorized(dc_id);
        let mut last_copied = authorized.lock().await;
        if last_copied.is_some_and(|at| at.elapsed() < REAUTHORIZE_AFTER) {
            return Ok(());
        }
        let tl::enums::auth::ExportedAuthorization::Authorization(exported) = self
            .invoke(&tl::functions::auth::ExportAuthorization { dc_id })
            .await?;
        self.invoke_in_dc(
            dc_id,
            &tl::functions::auth::ImportAuthorization {
                id: exported.id,
                bytes: exported.bytes,
            },
        )
        .await?;
        debug!(dc_id, "authorization copied");
        *last_copied = Some(Instant::now());
        Ok(())
    }

    /// The part-count limit from appConfig, for this account's tier.
    async fn fetch_max_upload_parts(&self) -> Result<u32> {
        let premium = self.get_me().await?.is_premium;
        let key = if premium {
            "upload_max_fileparts_premium"
        } else {
            "upload_max_fileparts_default"
        };
        let fallback = if premium {
            limits::UPLOAD_MAX_FILEPARTS_PREMIUM
        } else {
            limits::UPLOAD_MAX_FILEPARTS_DEFAULT
        };
        let reported = self.app_config_number(key).await?;
        Ok(reported.and_then(part_limit).unwrap_or(fallback))
    }
}

/// A part-count limit from the server's app config, if usable: below 1
/// (or NaN) it is ignored; above what the wire format can count it is
/// clamped to [`limits::MAX_PART_COUNT`], so a huge value means "no limit"
/// instead of failing every upload's plan.
fn part_limit(reported: f64) -> Option<u32> {
    // `>=` is false for NaN; the float-to-int cast saturates.
    (reported >= 1.0).then(|| (reported.floor() as u32).min(limits::MAX_PART_COUNT))
}

impl TransferApi for Client {
    fn lanes(&self) -> usize {
        self.media_connections()
    }

    fn home_dc(&self) -> Result<i32> {
        self.home_dc_id()
    }

    fn call_raw(&self, dc_id: i32, lane: usize, body: Bytes) -> BoxFuture<'_, Result<Vec<u8>>> {
        Box::pin(async move {
            let connection = self.media_connection(dc_id, lane).await?;
            connection.invoke_raw(body).await
        })
    }

    fn authorize_dc(&self, dc_id: i32) -> BoxFuture<'_, Result<()>> {
        Box::pin(Client::authorize_dc(self, dc_id))
    }

    fn max_upload_parts(&self) -> BoxFuture<'_, Result<u32>> {
        Box::pin(async move {
            self.inner
                .media
                .max_parts
                .get_or_try_init(|| self.fetch_max_upload_parts())
                .await
                .copied()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_limits_from_the_server_are_clamped_or_ignored() {
        assert_eq!(part_limit(4000.0), Some(4000));
        assert_eq!(part_limit(4000.9), Some(4000));
        for huge in [1e10, 1e300, f64::MAX, f64::INFINITY] {
            assert_eq!(part_limit(huge), Some(limits::MAX_PART_COUNT), "{huge}");
        }
        for unusable in [0.0, 0.5, -1.0, -1e300, f64::NEG_INFINITY, f64::NAN] {
            assert_eq!(part_limit(unusable), None, "{unusable}");
        }
    }

    #[test]
    fn a_clamped_limit_still_plans_an_upload() {
        let max = part_limit(1e300).expect("clamped");
        let plan =
            crate::transfer::plan::UploadPlan::new(Some(1024), limits::DEFAULT_PART_SIZE, max);
        assert!(plan.is_ok(), "{plan:?}");
    }
}
