//! The client against the fake DC: connecting, `get_me`, the three sign-in
//! flows, session files and what `Debug` shows.

mod support;

use fakedc::User as FakeUser;
use tgcmd::{ClientBuilder, SignInError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_with_pre_shared_keys_and_gets_me() {
    let dc = support::fake_dc().await;
    let client = support::signed_in_client(&dc).await;
    assert!(client.is_authorized().await.expect("is_authorized"));
    let me = client.get_me().await.expect("get_me");
    assert_eq!(me.id, dc.user_id());
    assert_eq!(me.first_name, "Demo");
    assert_eq!(me.last_name, "User");
    assert_eq!(me.username.as_deref(), Some("demo_user"));
    assert_eq!(me.phone.as_deref(), Some("15550000001"));
    assert!(me.is_self);
    assert!(!me.is_bot);
    assert_eq!(client.home_dc_id().expect("home dc"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_key_is_not_authorized() {
    let dc = support::fake_dc().await;
    let client = support::signed_out_client(&dc).await;
    assert!(!client.is_authorized().await.expect("is_authorized"));
    let err = client.get_me().await.expect_err("not signed in");
    assert_eq!(
        err.telegram_name().as_deref(),
        Some("AUTH_KEY_UNREGISTERED")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_key_fails_at_connect() {
    let dc = support::fake_dc().await;
    let mut bogus = [7u8; 256];
    bogus[0] = 1;
    let err = support::builder_with_keys(&dc, &[(1, bogus)])
        .connect()
        .await
        .expect_err("the fake DC has no such key");
    // grammers answers -404 by trying the DH handshake, which the fake DC
    // (like any server whose RSA key the client lacks) cannot complete.
    assert!(err.is_network(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_sign_in() {
    let dc = support::fake_dc().await;
    let bot_id = dc.add_user(FakeUser {
        first_name: "Test Bot".into(),
        username: Some("test_bot".into()),
        bot: true,
        bot_token: Some("4242:secret-token".into()),
        ..FakeUser::default()
    });
    let client = support::signed_out_client(&dc).await;
    let err = client
        .bot_sign_in("4242:wrong")
        .await
        .expect_err("wrong token");
    assert_eq!(err.telegram_name().as_deref(), Some("ACCESS_TOKEN_INVALID"));
    let bot = client
        .bot_sign_in("4242:secret-token")
        .await
        .expect("bot sign-in");
    assert_eq!(bot.id, bot_id);
    assert!(bot.is_bot);
    assert_eq!(client.get_me().await.expect("get_me").id, bot_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_bot_token_is_refused_without_a_call() {
    let dc = support::fake_dc().await;
    let client = support::signed_out_client(&dc).await;
    let before = dc.world().total_calls();
    let err = client.bot_sign_in("  ").await.expect_err("empty token");
    assert!(err.is_invalid_input());
    assert_eq!(dc.world().total_calls(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_and_code_sign_in() {
    let dc = support::fake_dc().await;
    let user_id = dc.add_user(FakeUser {
        first_name: "Alice".into(),
        phone: Some("15551234567".into()),
        ..FakeUser::default()
    });
    let client = support::signed_out_client(&dc).await;
    let token = client
        .request_login_code("+1 555 123 4567")
        .await
        .expect("code sent");
    let code = dc.login_code("15551234567").expect("a code was sent");
    assert_eq!(code.len(), 5);

    let wrong = if code == "00000" { "11111" } else { "00000" };
    let err = client.sign_in(&token, wrong).await.expect_err("wrong code");
    assert!(matches!(err, SignInError::InvalidCode), "{err:?}");

    let user = client.sign_in(&token, &code).await.expect("signed in");
    assert_eq!(user.id, user_id);
    assert_eq!(user.first_name, "Alice");
    assert!(client.is_authorized().await.expect("is_authorized"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unregistered_phone_needs_sign_up() {
    let dc = support::fake_dc().await;
    let client = support::signed_out_client(&dc).await;
    let token = client
        .request_login_code("15559990000")
        .await
        .expect("code sent");
    let code = dc.login_code("15559990000").expect("a code was sent");
    let err = client.sign_in(&token, &code).await.expect_err("no account");
    assert!(matches!(err, SignInError::SignUpRequired), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_sign_in() {
    let dc = support::fake_dc().await;
    let user_id = dc.add_user(FakeUser {
        first_name: "Bob".into(),
        phone: Some("15557654321".into()),
        ..FakeUser::default()
    });
    dc.set_password(user_id, "correct horse", Some("the usual"));
    let client = support::signed_out_client(&dc).await;
    let token = client
        .request_login_code("15557654321")
        .await
        .expect("code sent");
    let code = dc.login_code("15557654321").expect("a code was sent");
    let Err(SignInError::PasswordRequired(password)) = client.sign_in(&token, &code).await else {
        panic!("2FA must be asked for");
    };
    assert_eq!(password.hint(), Some("the usual"));
    let shown = format!("{password:?}");
    assert!(
        shown.contains("the usual") && !shown.contains("srp"),
        "{shown}"
    );

    let calls = dc.world().total_calls();
    let err = client
        .check_password(&password, "wrong")
        .await
        .expect_err("wrong password");
    assert!(matches!(err, SignInError::InvalidPassword), "{err:?}");
    assert!(!client.is_authorized().await.expect("reachable"));

    // The same token works again: each attempt gets a fresh SRP challenge,
    // so a mistyped password needs no new login code.
    let user = client
        .check_password(&password, "correct horse")
        .await
        .expect("right password");
    assert!(
        dc.world().total_calls() >= calls + 4,
        "two challenges and two checks"
    );
    assert_eq!(user.id, user_id);
    assert_eq!(client.get_me().await.expect("get_me").id, user_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_file_is_private_and_reusable() {
    use std::os::unix::fs::PermissionsExt;
    let dc = support::fake_dc().await;
    let dir = std::env::temp_dir().join(format!("tgcmd-session-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("account.session");
    let _ = std::fs::remove_file(&path);

    let client = support::builder(&dc)
        .session_file(&path)
        .connect()
        .await
        .expect("connects");
    assert_eq!(client.get_me().await.expect("get_me").id, dc.user_id());
    drop(client);
    let mode = std::fs::metadata(&path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);

    // The keys and addresses persisted: a builder without them still works.
    let home = dc.home_dc();
    let again = ClientBuilder::new(support::API_ID, support::API_HASH)
        .session_file(&path)
        .connect()
        .await
        .expect("reconnects from the session file alone");
    assert_eq!(again.home_dc_id().expect("home"), home.dc_id);
    assert_eq!(again.get_me().await.expect("get_me").id, dc.user_id());
    drop(again);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_output_hides_secrets() {
    let dc = support::fake_dc().await;
    let builder = support::builder(&dc);
    let shown = format!("{builder:?}");
    assert!(!shown.contains(support::API_HASH), "{shown}");
    let key_hex: String = dc.home_dc().auth_key[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!shown.contains(&key_hex), "{shown}");
    assert!(
        !shown.contains(&format!("{:?}", &dc.home_dc().auth_key[..8])),
        "{shown}"
    );
    let client = builder.connect().await.expect("connects");
    let shown = format!("{client:?}");
    assert!(!shown.contains(support::API_HASH), "{shown}");
    assert!(shown.contains("api_id"), "{shown}");
}

#[tokio::test]
async fn invalid_builder_input_is_refused() {
    let err = ClientBuilder::new(0, "hash")
        .connect()
        .await
        .expect_err("api_id 0");
    assert!(err.is_invalid_input());
    let err = ClientBuilder::new(1, "")
        .connect()
        .await
        .expect_err("no hash");
    assert!(err.is_invalid_input());
}
