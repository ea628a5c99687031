#![allow(dead_code)] // Shared by several test crates; each uses a subset.

//! Stock grammers clients pointed at a fake DC, for interop tests and as the
//! baseline in benches. Nothing here is tgcmd code: it is what any grammers
//! user would write, plus seeding the session with the pre-shared keys.

use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;

use fakedc::FakeDc;
use grammers_client::Client;
use grammers_client::session::Session;
use grammers_client::session::storages::MemorySession;
use grammers_client::session::types::DcOption;
use grammers_mtsender::{ConnectionParams, NoRetries, SenderPool};
use tokio::task::JoinHandle;

/// The api_id the tests present; the fake DC accepts any positive one.
pub const API_ID: i32 = 12345;
pub const API_HASH: &str = "0123456789abcdef0123456789abcdef";

/// A session seeded with every DC's address and key, with `home` as its home DC.
pub async fn seeded_session(
    dc: &FakeDc,
    keys: &[(i32, [u8; 256])],
    home: i32,
) -> Arc<MemorySession> {
    let session = Arc::new(MemorySession::default());
    for info in dc.dcs() {
        let SocketAddr::V4(v4) = info.addr else {
            panic!("the tests run the fake DC on IPv4 loopback");
        };
        let key = keys
            .iter()
            .find(|(id, _)| *id == info.dc_id)
            .map(|(_, key)| *key);
        session
            .set_dc_option(&DcOption {
                id: info.dc_id,
                ipv4: SocketAddrV4::new(*v4.ip(), v4.port()),
                ipv6: SocketAddrV6::new(v4.ip().to_ipv6_mapped(), v4.port(), 0, 0),
                auth_key: key,
            })
            .await
            .expect("memory session");
    }
    session.set_home_dc_id(home).await.expect("memory session");
    session
}

/// A grammers client signed in as the fake DC's self user.
pub async fn signed_in_client(dc: &FakeDc) -> (Client, JoinHandle<()>) {
    let keys: Vec<_> = dc.dcs().iter().map(|d| (d.dc_id, d.auth_key)).collect();
    let session = seeded_session(dc, &keys, dc.home_dc().dc_id).await;
    client_for(session)
}

/// A grammers client on `session`, with its sender pool running.
pub fn client_for(session: Arc<MemorySession>) -> (Client, JoinHandle<()>) {
    let pool = SenderPool::new(session, API_ID);
    let client = Client::new(pool.handle);
    let runner = tokio::spawn(pool.runner.run());
    (client, runner)
}

/// A grammers client on `session` that never sleeps and retries: flood
/// waits and dropped connections reach the caller as they happened.
pub fn client_without_retries(session: Arc<MemorySession>) -> (Client, JoinHandle<()>) {
    let pool = SenderPool::with_configuration(
        session,
        API_ID,
        ConnectionParams {
            retry_policy: Box::new(NoRetries),
            ..ConnectionParams::default()
        },
    );
    let client = Client::new(pool.handle);
    let runner = tokio::spawn(pool.runner.run());
    (client, runner)
}

/// [`signed_in_client`] without retries (see [`client_without_retries`]).
pub async fn signed_in_client_without_retries(dc: &FakeDc) -> (Client, JoinHandle<()>) {
    let keys: Vec<_> = dc.dcs().iter().map(|d| (d.dc_id, d.auth_key)).collect();
    let session = seeded_session(dc, &keys, dc.home_dc().dc_id).await;
    client_without_retries(session)
}

/// A client whose session holds a fresh, unauthorised key for each DC in
/// `dc_ids` (and none for the others), with `home` as its home DC: what a
/// new install looks like before signing in. Returns the keys too.
pub async fn unauthorised_client(
    dc: &FakeDc,
    dc_ids: &[i32],
    home: i32,
) -> (Client, JoinHandle<()>, Vec<(i32, [u8; 256])>) {
    let keys: Vec<_> = dc_ids
        .iter()
        .map(|&id| (id, dc.new_auth_key(id).expect("the DC exists")))
        .collect();
    let session = seeded_session(dc, &keys, home).await;
    let (client, runner) = client_for(session);
    (client, runner, keys)
}

/// The id the fake DC files a pre-shared key under.
pub fn key_id(key: &[u8; 256]) -> i64 {
    fakedc::AuthKey::new(*key).id()
}

/// The user a key is signed in as, according to the fake DC's world.
pub fn signed_in_user(dc: &FakeDc, key: &[u8; 256]) -> Option<i64> {
    dc.world()
        .lock()
        .keys
        .get(key_id(key))
        .and_then(|record| record.user_id)
}
