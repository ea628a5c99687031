//! Helpers shared by the integration tests: a fake DC and tgcmd clients
//! pointed at it.
#![allow(dead_code)] // Each test crate uses a subset.

pub mod commands;
pub mod data;
pub mod transfer;

use fakedc::FakeDc;
use tgcmd::{Client, ClientBuilder};

pub const API_ID: i32 = 12345;
pub const API_HASH: &str = "0123456789abcdef0123456789abcdef";

/// Starts a two-DC fake cluster with default settings.
pub async fn fake_dc() -> FakeDc {
    FakeDc::start(fakedc::Config::default())
        .await
        .expect("the fake DC starts")
}

/// A builder pointed at every DC of `dc`, with `keys` as pre-shared keys.
pub fn builder_with_keys(dc: &FakeDc, keys: &[(i32, [u8; 256])]) -> ClientBuilder {
    let mut builder = ClientBuilder::new(API_ID, API_HASH).home_dc(dc.home_dc().dc_id);
    for info in dc.dcs() {
        builder = builder.dc_address(info.dc_id, info.addr);
    }
    for &(dc_id, key) in keys {
        builder = builder.pre_shared_key(dc_id, key);
    }
    builder
}

/// A builder seeded with the cluster's own keys (signed in as the self user).
pub fn builder(dc: &FakeDc) -> ClientBuilder {
    let keys: Vec<_> = dc.dcs().iter().map(|d| (d.dc_id, d.auth_key)).collect();
    builder_with_keys(dc, &keys)
}

/// A connected client signed in as the fake DC's self user.
pub async fn signed_in_client(dc: &FakeDc) -> Client {
    builder(dc).connect().await.expect("the client connects")
}

/// A connected client whose keys are fresh and not signed in anywhere.
pub async fn signed_out_client(dc: &FakeDc) -> Client {
    let keys: Vec<_> = dc
        .dcs()
        .iter()
        .map(|d| (d.dc_id, dc.new_auth_key(d.dc_id).expect("the DC exists")))
        .collect();
    builder_with_keys(dc, &keys)
        .connect()
        .await
        .expect("the client connects")
}
