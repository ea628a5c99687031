//! fakedc at the MTProto level: every transport, the transport error for an
//! unknown key, salts and message ids, `rpc_error` for methods it does not
//! know, and the protocol faults (flood waits, dropped connections, latency
//! and bandwidth shaping). Raw connections show what the wire carries; a
//! stock grammers client shows what a real client makes of it.

#[path = "support/grammers.rs"]
mod grammers_support;
#[path = "support/raw_mtproto.rs"]
mod raw;
#[path = "support/rpc.rs"]
mod rpc;

use std::time::{Duration, Instant};

use fakedc::{Config, FakeDc, FileKind};
use grammers_client::sender::InvocationError;
use grammers_client::tl::{self, Deserializable, Serializable};
use raw::{Failure, Framing, RawConnection, Reply};
use rpc::{assert_bad_request, assert_rpc_error, id_of, pattern, rpc_error, stored_location};

const TRANSPORT_AUTH_KEY_NOT_FOUND: i32 = -404;

async fn start() -> FakeDc {
    FakeDc::start(Config::default())
        .await
        .expect("fake DC starts")
}

fn get_config() -> Vec<u8> {
    tl::functions::help::GetConfig {}.to_bytes()
}

#[track_caller]
fn expect_result(reply: Result<Reply, Failure>) -> Vec<u8> {
    match reply {
        Ok(Reply::Result(bytes)) => bytes,
        other => panic!("expected a result, got {other:?}"),
    }
}

#[track_caller]
fn expect_rpc_error(reply: Result<Reply, Failure>, code: i32, message: &str) {
    match reply {
        Ok(Reply::Error {
            code: c,
            message: m,
        }) => assert_eq!((c, m.as_str()), (code, message)),
        other => panic!("expected rpc_error {code} {message}, got {other:?}"),
    }
}

#[tokio::test]
async fn every_transport_carries_encrypted_calls() {
    let fake = start().await;
    let home = fake.home_dc().clone();
    for framing in [
        Framing::Abridged,
        Framing::Intermediate,
        Framing::PaddedIntermediate,
        Framing::Full,
    ] {
        let mut conn = RawConnection::connect(home.addr, home.auth_key, framing)
            .await
            .expect("connects");
        let config = expect_result(conn.invoke(&get_config()).await);
        let tl::enums::Config::Config(config) =
            tl::enums::Config::from_bytes(&config).expect("a config");
        assert_eq!(config.this_dc, home.dc_id, "{framing:?}");

        // A second call on the same connection: sequence numbers (full
        // transport) and the session carry on.
        let users = expect_result(
            conn.invoke(
                &tl::functions::users::GetUsers {
                    id: vec![tl::enums::InputUser::UserSelf],
                }
                .to_bytes(),
            )
            .await,
        );
        let users = Vec::<tl::enums::User>::from_bytes(&users).expect("users");
        let [tl::enums::User::User(me)] = &users[..] else {
            panic!("expected one user, got {users:?}");
        };
        assert_eq!(me.id, fake.user_id(), "{framing:?}");
        assert!(me.is_self);
    }
    assert_eq!(
        fake.world()
            .call_count(id_of::<tl::functions::users::GetUsers>()),
        4
    );
}

#[tokio::test]
async fn unknown_auth_key_gets_transport_error_404_and_the_connection_closes() {
    let fake = start().await;
    let home = fake.home_dc();
    let mut stranger = [0u8; 256];
    stranger
        .iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = (i * 7 + 3) as u8);
    for framing in [Framing::Intermediate, Framing::Abridged, Framing::Full] {
        let mut conn = RawConnection::connect(home.addr, stranger, framing)
            .await
            .expect("connects");
        match conn.invoke(&get_config()).await {
            Err(Failure::Transport(code)) => assert_eq!(code, TRANSPORT_AUTH_KEY_NOT_FOUND),
            other => panic!("expected transport error -404, got {other:?}"),
        }
        conn.expect_closed().await;
    }
    assert_eq!(
        fake.world()
            .call_count(id_of::<tl::functions::help::GetConfig>()),
        0,
        "nothing sent with an unknown key reaches a handler"
    );
}

#[tokio::test]
async fn a_key_is_unknown_on_the_other_dcs() {
    let fake = start().await;
    let dc1 = fake.dc(1).expect("DC 1").clone();
    let dc2 = fake.dc(2).expect("DC 2").clone();
    let mut conn = RawConnection::connect(dc1.addr, dc2.auth_key, Framing::Intermediate)
        .await
        .expect("connects");
    match conn.invoke(&get_config()).await {
        Err(Failure::Transport(code)) => assert_eq!(code, TRANSPORT_AUTH_KEY_NOT_FOUND),
        other => panic!("expected transport error -404, got {other:?}"),
    }
    conn.expect_closed().await;

    // The same key on its own DC works.
    let mut conn = RawConnection::connect(dc2.addr, dc2.auth_key, Framing::Intermediate)
        .await
        .expect("connects");
    let config = expect_result(conn.invoke(&get_config()).await);
    let tl::enums::Config::Config(config) =
        tl::enums::Config::from_bytes(&config).expect("a config");
    assert_eq!(config.this_dc, 2);
}

#[tokio::test]
async fn a_tampered_packet_gets_404_and_the_connection_closes() {
    let fake = start().await;
    let home = fake.home_dc();
    let mut conn = RawConnection::connect(home.addr, home.auth_key, Framing::Intermediate)
        .await
        .expect("connects");
    expect_result(conn.invoke(&get_config()).await);

    // The right key id, then 16 bytes of msg_key and 32 of "ciphertext"
    // that do not match it.
    let mut packet = fakedc::AuthKey::new(home.auth_key)
        .id()
        .to_le_bytes()
        .to_vec();
    packet.extend_from_slice(&[0x42; 16 + 32]);
    conn.send_packet(&packet).await.expect("sends");
    match conn.read_packet().await {
        Err(Failure::Transport(code)) => assert_eq!(code, TRANSPORT_AUTH_KEY_NOT_FOUND),
        other => panic!("expected transport error -404, got {other:?}"),
    }
    conn.expect_closed().await;
}

#[tokio::test]
async fn a_new_session_learns_the_salt_from_new_session_created_and_bad_server_salt() {
    let fake = start().await;
    let home = fake.home_dc();
    let mut conn = RawConnection::connect(home.addr, home.auth_key, Framing::Intermediate)
        .await
        .expect("connects");
    assert_eq!(conn.salt(), 0);
    let msg_id = conn.send(&get_config()).await.expect("sends");

    // new_session_created#9ec20908 first_msg_id:long unique_id:long server_salt:long
    let created = conn.receive().await.expect("new_session_created");
    assert_eq!(created.constructor(), 0x9ec20908);
    assert_eq!(created.msg_id % 4, 3, "a server-initiated message");
    let first_msg_id = i64::from_le_bytes(created.body[4..12].try_into().expect("8 bytes"));
    assert_eq!(first_msg_id, msg_id);
    let announced_salt = i64::from_le_bytes(created.body[20..28].try_into().expect("8 bytes"));

    // bad_server_salt#edab447b bad_msg_id:long bad_msg_seqno:int error_code:int new_server_salt:long
    let bad_salt = conn.receive().await.expect("bad_server_salt");
    assert_eq!(bad_salt.constructor(), 0xedab447b);
    let bad_msg_id = i64::from_le_bytes(bad_salt.body[4..12].try_into().expect("8 bytes"));
    let error_code = i32::from_le_bytes(bad_salt.body[16..20].try_into().expect("4 bytes"));
    let new_salt = i64::from_le_bytes(bad_salt.body[20..28].try_into().expect("8 bytes"));
    assert_eq!(bad_msg_id, msg_id);
    assert_eq!(error_code, 48);
    assert_eq!(new_salt, announced_salt);
    assert_ne!(new_salt, 0);
    assert_eq!(
        fake.world()
            .call_count(id_of::<tl::functions::help::GetConfig>()),
        0,
        "a message with a bad salt is not processed"
    );

    // `invoke` resends with the corrected salt and gets the answer.
    expect_result(conn.invoke(&get_config()).await);
    assert_eq!(conn.salt(), new_salt);
    assert_eq!(
        fake.world()
            .call_count(id_of::<tl::functions::help::GetConfig>()),
        1
    );
}

#[tokio::test]
async fn message_ids_from_the_far_past_or_not_divisible_by_4_are_refused() {
    let fake = start().await;
    let home = fake.home_dc();
    let mut conn = RawConnection::connect(home.addr, home.auth_key, Framing::Intermediate)
        .await
        .expect("connects");
    // Learn the salt first.
    expect_result(conn.invoke(&get_config()).await);

    for (msg_id, code) in [
        // bad_msg_notification error 16: msg_id too low (an hour ago).
        (conn.fresh_msg_id() - (3600 << 32), 16),
        // 17: msg_id too high (an hour ahead).
        (conn.fresh_msg_id() + (3600 << 32), 17),
        // 18: the two low bits of a client msg_id must be zero.
        (conn.fresh_msg_id() + 1, 18),
    ] {
        conn.send_with_msg_id(msg_id, &get_config())
            .await
            .expect("sends");
        let reply = conn.receive().await.expect("bad_msg_notification");
        // bad_msg_notification#a7eff811 bad_msg_id:long bad_msg_seqno:int error_code:int
        assert_eq!(reply.constructor(), 0xa7eff811);
        let bad_msg_id = i64::from_le_bytes(reply.body[4..12].try_into().expect("8 bytes"));
        let error_code = i32::from_le_bytes(reply.body[16..20].try_into().expect("4 bytes"));
        assert_eq!((bad_msg_id, error_code), (msg_id, code));
    }
    // The connection is still good.
    expect_result(conn.invoke(&get_config()).await);
    assert_eq!(
        fake.world()
            .call_count(id_of::<tl::functions::help::GetConfig>()),
        2
    );
}

/// A method no Telegram layer defines, as a client with a newer schema might send.
struct UnknownMethod;

const UNKNOWN_METHOD_ID: u32 = 0x0bad_c0de;

impl Serializable for UnknownMethod {
    fn serialize(&self, buf: &mut impl Extend<u8>) {
        buf.extend(UNKNOWN_METHOD_ID.to_le_bytes());
        buf.extend(7i32.to_le_bytes());
    }
}

impl tl::RemoteCall for UnknownMethod {
    type Return = bool;
}

#[tokio::test]
async fn an_unknown_method_gets_rpc_error_and_the_connection_stays_usable() {
    let fake = start().await;
    let home = fake.home_dc();
    let mut conn = RawConnection::connect(home.addr, home.auth_key, Framing::Intermediate)
        .await
        .expect("connects");
    expect_rpc_error(
        conn.invoke(&UnknownMethod.to_bytes()).await,
        400,
        "INPUT_METHOD_INVALID",
    );
    expect_result(conn.invoke(&get_config()).await);

    // The same through grammers, which keeps using its connection.
    let (client, _runner) = grammers_support::signed_in_client(&fake).await;
    assert_bad_request(client.invoke(&UnknownMethod).await, "INPUT_METHOD_INVALID");
    let me = client.get_me().await.expect("get_me after the error");
    assert_eq!(me.id().bare_id_unchecked(), fake.user_id());
    assert_eq!(fake.world().call_count(UNKNOWN_METHOD_ID), 2);
}

#[tokio::test]
async fn a_truncated_request_gets_input_fetch_error() {
    let fake = start().await;
    let home = fake.home_dc();
    let mut conn = RawConnection::connect(home.addr, home.auth_key, Framing::Intermediate)
        .await
        .expect("connects");
    // upload.saveFilePart with only its file_id: the rest is missing.
    let mut body = id_of::<tl::functions::upload::SaveFilePart>()
        .to_le_bytes()
        .to_vec();
    body.extend_from_slice(&5i64.to_le_bytes());
    expect_rpc_error(conn.invoke(&body).await, 400, "INPUT_FETCH_ERROR");
    expect_result(conn.invoke(&get_config()).await);
}

#[tokio::test]
async fn flood_wait_is_injected_for_one_method_the_requested_number_of_times() {
    let fake = start().await;
    let (client, _runner) = grammers_support::signed_in_client_without_retries(&fake).await;
    let get_users = tl::functions::users::GetUsers {
        id: vec![tl::enums::InputUser::UserSelf],
    };
    client.invoke(&get_users).await.expect("connected");

    fake.faults()
        .flood_wait(Some(id_of::<tl::functions::users::GetUsers>()), 7, 2);
    assert_rpc_error(client.invoke(&get_users).await, 420, "FLOOD_WAIT", Some(7));
    // Other methods are not flooded.
    client
        .invoke(&tl::functions::updates::GetState {})
        .await
        .expect("getState is not flooded");
    let error = rpc_error(client.invoke(&get_users).await);
    assert_eq!(
        (error.code, error.name.as_str(), error.value),
        (420, "FLOOD_WAIT", Some(7))
    );
    assert_eq!(
        error.caused_by,
        Some(id_of::<tl::functions::users::GetUsers>())
    );
    // Armed for two calls only.
    let users = client.invoke(&get_users).await.expect("the flood is over");
    assert_eq!(users.len(), 1);
    assert_eq!(
        fake.world()
            .call_count(id_of::<tl::functions::users::GetUsers>()),
        4
    );
}

#[tokio::test]
async fn flood_wait_for_any_method() {
    let fake = start().await;
    let (client, _runner) = grammers_support::signed_in_client_without_retries(&fake).await;
    client
        .invoke(&tl::functions::updates::GetState {})
        .await
        .expect("connected");
    fake.faults().flood_wait(None, 3, 1);
    assert_rpc_error(
        client.invoke(&tl::functions::help::GetNearestDc {}).await,
        420,
        "FLOOD_WAIT",
        Some(3),
    );
    client
        .invoke(&tl::functions::help::GetNearestDc {})
        .await
        .expect("the flood fired once");
}

#[tokio::test]
async fn clearing_the_faults_disarms_them() {
    let fake = start().await;
    let (client, _runner) = grammers_support::signed_in_client_without_retries(&fake).await;
    let data = pattern(8192, 1);
    let file = fake.put_file(1, FileKind::Document, data.clone(), "a/b", "f.bin");
    let location = stored_location(&file);
    client
        .invoke(&tl::functions::updates::GetState {})
        .await
        .expect("connected");
    fake.faults().flood_wait(None, 9, 5);
    fake.faults().corrupt_get_file(3);
    fake.faults().drop_connection_after(1);
    fake.faults().lose_uploaded_part(0);
    fake.faults().clear();

    assert_eq!(
        rpc::get_file(&client, &location, false, 0, 8192)
            .await
            .expect("no flood, no drop"),
        data
    );
    assert!(rpc::save_part(&client, 1, 0, &data).await.expect("saved"));
    let key = grammers_support::key_id(&fake.home_dc().auth_key);
    let state = fake.world().lock();
    let upload = state.files.upload(key, 1).expect("the part was kept");
    assert_eq!(upload.parts.len(), 1);
}

#[tokio::test]
async fn a_stock_client_sleeps_through_a_short_flood_wait() {
    let fake = start().await;
    // grammers' default policy sleeps once through floods of up to 60 s.
    let (client, _runner) = grammers_support::signed_in_client(&fake).await;
    client
        .invoke(&tl::functions::updates::GetState {})
        .await
        .expect("connected");
    fake.faults()
        .flood_wait(Some(id_of::<tl::functions::updates::GetState>()), 1, 1);
    client
        .invoke(&tl::functions::updates::GetState {})
        .await
        .expect("grammers retries after FLOOD_WAIT_1");
    assert_eq!(
        fake.world()
            .call_count(id_of::<tl::functions::updates::GetState>()),
        3,
        "one call to connect, the flooded one and its retry"
    );
}

#[tokio::test]
async fn drop_connection_after_closes_the_connection_once() {
    let fake = start().await;
    let home = fake.home_dc().clone();
    let mut conn = RawConnection::connect(home.addr, home.auth_key, Framing::Intermediate)
        .await
        .expect("connects");
    expect_result(conn.invoke(&get_config()).await);

    fake.faults().drop_connection_after(1);
    conn.send(&get_config()).await.expect("sends");
    conn.expect_closed().await;
    assert_eq!(
        fake.world()
            .call_count(id_of::<tl::functions::help::GetConfig>()),
        1,
        "the request that crossed the budget was not processed"
    );

    // The fault fired once: a new connection works.
    let mut conn = RawConnection::connect(home.addr, home.auth_key, Framing::Intermediate)
        .await
        .expect("connects");
    expect_result(conn.invoke(&get_config()).await);
}

#[tokio::test]
async fn a_connection_dropped_mid_response_fails_the_call_with_an_io_error() {
    let fake = start().await;
    let data = pattern(512 * 1024, 9);
    let file = fake.put_file(
        1,
        FileKind::Document,
        data.clone(),
        "application/x-test",
        "a.bin",
    );
    let location = stored_location(&file);
    let (client, _runner) = grammers_support::signed_in_client_without_retries(&fake).await;
    client
        .invoke(&tl::functions::updates::GetState {})
        .await
        .expect("connected");

    // The request fits in the budget, the 512 KiB answer does not.
    fake.faults().drop_connection_after(64 * 1024);
    match rpc::get_file(&client, &location, false, 0, 512 * 1024).await {
        Err(InvocationError::Io(_)) => {}
        other => panic!("expected an I/O error, got {:?}", other.map(|b| b.len())),
    }
    assert_eq!(
        fake.world()
            .call_count(id_of::<tl::functions::upload::GetFile>()),
        1,
        "the call was served; its answer was lost"
    );

    // A new client (new connection) gets the bytes.
    let (client, _runner) = grammers_support::signed_in_client_without_retries(&fake).await;
    let bytes = rpc::get_file(&client, &location, false, 0, 512 * 1024)
        .await
        .expect("the fault fired once");
    assert_eq!(bytes, data);
}

#[tokio::test]
async fn a_stock_client_reconnects_after_a_dropped_connection() {
    let fake = start().await;
    let data = pattern(100_000, 3);
    let file = fake.put_file(
        1,
        FileKind::Document,
        data.clone(),
        "application/x-test",
        "b.bin",
    );
    let location = stored_location(&file);
    // grammers' default policy retries once on I/O errors, over a new connection.
    let (client, _runner) = grammers_support::signed_in_client(&fake).await;
    client
        .invoke(&tl::functions::updates::GetState {})
        .await
        .expect("connected");

    // The next byte the server sees, the request, drops the connection.
    fake.faults().drop_connection_after(1);
    let bytes = rpc::get_file(&client, &location, false, 0, 128 * 1024)
        .await
        .expect("grammers reconnects and retries");
    assert_eq!(bytes, data);
    assert_eq!(
        fake.world()
            .call_count(id_of::<tl::functions::upload::GetFile>()),
        1,
        "only the retry reached a handler"
    );
}

#[tokio::test]
async fn latency_and_bandwidth_shaping_keep_answers_correct() {
    let fake = FakeDc::start(Config {
        latency: Duration::from_millis(5),
        bandwidth: Some(4 * 1024 * 1024),
        ..Config::default()
    })
    .await
    .expect("fake DC starts");
    assert_eq!(fake.shaping().latency(), Duration::from_millis(5));
    assert_eq!(fake.shaping().bandwidth(), Some(4 * 1024 * 1024));

    let data = pattern(512 * 1024, 5);
    let file = fake.put_file(
        1,
        FileKind::Document,
        data.clone(),
        "application/x-test",
        "c.bin",
    );
    let location = stored_location(&file);
    let (client, _runner) = grammers_support::signed_in_client(&fake).await;

    // Latency: every answer is held for the round-trip time, so even a tiny
    // call takes at least that long. Unshaped loopback answers in well under
    // a millisecond; the bound is the configured delay itself, which holds
    // however loaded the machine is.
    fake.shaping().set_latency(Duration::from_millis(300));
    fake.shaping().set_bandwidth(None);
    let started = Instant::now();
    client
        .invoke(&tl::functions::help::GetNearestDc {})
        .await
        .expect("getNearestDc");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(300),
        "latency: {elapsed:?}"
    );

    // Bandwidth: 512 KiB through a 1 MiB/s link takes half a second.
    fake.shaping().set_latency(Duration::ZERO);
    fake.shaping().set_bandwidth(Some(1024 * 1024));
    let started = Instant::now();
    let got = rpc::get_file(&client, &location, false, 0, 512 * 1024)
        .await
        .expect("a paced answer");
    let elapsed = started.elapsed();
    assert_eq!(got, data);
    assert!(
        elapsed >= Duration::from_millis(450),
        "bandwidth: {elapsed:?}"
    );

    // Several calls in flight at once through a shaped link still get their
    // own answers.
    fake.shaping().set_latency(Duration::from_millis(20));
    fake.shaping().set_bandwidth(Some(8 * 1024 * 1024));
    let (a, b, me) = tokio::join!(
        rpc::get_file(&client, &location, false, 0, 256 * 1024),
        rpc::get_file(&client, &location, false, 256 * 1024, 256 * 1024),
        client.get_me(),
    );
    let mut joined = a.expect("first half");
    joined.extend(b.expect("second half"));
    assert_eq!(joined, data);
    assert_eq!(me.expect("get_me").id().bare_id_unchecked(), fake.user_id());

    fake.shaping().set_latency(Duration::ZERO);
    fake.shaping().set_bandwidth(None);
    assert_eq!(fake.shaping().bandwidth(), None);
    assert_eq!(
        rpc::get_file(&client, &location, true, 1024, 1024)
            .await
            .expect("precise read"),
        data[1024..2048]
    );
}
