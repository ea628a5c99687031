//! Signing in to fakedc the way real clients do: a stock grammers client on a
//! fresh, unauthorised key signs in as a bot with its token, or as a user
//! with phone + code (+ the 2FA password), following `*_MIGRATE_X` to the
//! account's home DC. The raw calls show the exact errors the stock client
//! folds into its own error types.

#[path = "support/grammers.rs"]
mod grammers_support;
#[path = "support/rpc.rs"]
mod rpc;

use fakedc::{Config, FakeDc, User};
use grammers_client::client::PasswordToken;
use grammers_client::{Client, SignInError, tl};
use grammers_support::{API_HASH, API_ID, signed_in_user, unauthorised_client};
use rpc::{assert_bad_request, assert_rpc_error};

const BOT_TOKEN: &str = "4242:AAHelperBotTokenForTests";
const PHONE: &str = "15550001111";

async fn start() -> FakeDc {
    FakeDc::start(Config::default())
        .await
        .expect("fake DC starts")
}

fn add_bot(fake: &FakeDc, home_dc: i32) -> i64 {
    fake.add_user(User {
        bot: true,
        bot_token: Some(BOT_TOKEN.into()),
        first_name: "Helper".into(),
        username: Some("helper_bot".into()),
        home_dc,
        ..User::default()
    })
}

fn add_person(fake: &FakeDc, phone: &str, home_dc: i32) -> i64 {
    fake.add_user(User {
        first_name: "Alice".into(),
        last_name: "Liddell".into(),
        phone: Some(phone.into()),
        home_dc,
        ..User::default()
    })
}

fn send_code(phone: &str) -> tl::functions::auth::SendCode {
    tl::functions::auth::SendCode {
        phone_number: phone.into(),
        api_id: API_ID,
        api_hash: API_HASH.into(),
        settings: tl::types::CodeSettings {
            allow_flashcall: false,
            current_number: false,
            allow_app_hash: false,
            allow_missed_call: false,
            allow_firebase: false,
            unknown_number: false,
            logout_tokens: None,
            token: None,
            app_sandbox: None,
        }
        .into(),
    }
}

async fn sent_code(client: &Client, phone: &str) -> tl::types::auth::SentCode {
    match client
        .invoke(&send_code(phone))
        .await
        .expect("auth.sendCode")
    {
        tl::enums::auth::SentCode::Code(code) => code,
        other => panic!("expected a sent code, got {other:?}"),
    }
}

fn sign_in(phone: &str, hash: &str, code: &str) -> tl::functions::auth::SignIn {
    tl::functions::auth::SignIn {
        phone_number: phone.into(),
        phone_code_hash: hash.into(),
        phone_code: Some(code.into()),
        email_verification: None,
    }
}

/// The code with its first digit changed.
fn wrong(code: &str) -> String {
    let mut digits: Vec<char> = code.chars().collect();
    digits[0] = if digits[0] == '1' { '2' } else { '1' };
    digits.into_iter().collect()
}

#[tokio::test]
async fn a_bot_signs_in_with_its_token() {
    let fake = start().await;
    let bot_id = add_bot(&fake, 0);
    let (client, _runner, keys) = unauthorised_client(&fake, &[1], 1).await;
    let key = keys[0].1;
    assert!(!client.is_authorized().await.expect("is_authorized"));
    assert_rpc_error(client.get_me().await, 401, "AUTH_KEY_UNREGISTERED", None);

    // Wrong token, or no api_hash: refused, nothing signed in.
    assert_bad_request(
        client.bot_sign_in("4242:not-the-token", API_HASH).await,
        "ACCESS_TOKEN_INVALID",
    );
    assert_bad_request(client.bot_sign_in(BOT_TOKEN, "").await, "API_ID_INVALID");
    assert_eq!(signed_in_user(&fake, &key), None);

    let bot = client
        .bot_sign_in(BOT_TOKEN, API_HASH)
        .await
        .expect("bot_sign_in");
    assert_eq!(bot.id().bare_id_unchecked(), bot_id);
    assert!(bot.is_bot());
    assert_eq!(bot.first_name(), Some("Helper"));
    assert_eq!(signed_in_user(&fake, &key), Some(bot_id));
    assert!(client.is_authorized().await.expect("is_authorized"));
    let me = client.get_me().await.expect("get_me as the bot");
    assert_eq!(me.username(), Some("helper_bot"));

    // The authorization is recorded like Telegram's session list shows it.
    let state = fake.world().lock();
    let record = state
        .keys
        .get(grammers_support::key_id(&key))
        .expect("registered");
    assert!(record.authorization.is_some());
    assert_eq!(
        record.client.as_ref().map(|c| c.api_id),
        Some(API_ID),
        "initConnection was recorded"
    );
}

#[tokio::test]
async fn a_bot_living_on_another_dc_is_migrated_there() {
    let fake = start().await;
    let bot_id = add_bot(&fake, 2);
    let (client, _runner, keys) = unauthorised_client(&fake, &[1, 2], 1).await;
    let request = tl::functions::auth::ImportBotAuthorization {
        flags: 0,
        api_id: API_ID,
        api_hash: API_HASH.into(),
        bot_auth_token: BOT_TOKEN.into(),
    };
    assert_rpc_error(client.invoke(&request).await, 303, "USER_MIGRATE", Some(2));

    // grammers follows USER_MIGRATE_2: its home DC becomes 2.
    let bot = client
        .bot_sign_in(BOT_TOKEN, API_HASH)
        .await
        .expect("bot_sign_in");
    assert_eq!(bot.id().bare_id_unchecked(), bot_id);
    assert_eq!(signed_in_user(&fake, &keys[0].1), None, "DC 1 key");
    assert_eq!(signed_in_user(&fake, &keys[1].1), Some(bot_id), "DC 2 key");
}

#[tokio::test]
async fn a_user_signs_in_with_phone_and_code() {
    let fake = start().await;
    let user_id = add_person(&fake, PHONE, 0);
    let (client, _runner, keys) = unauthorised_client(&fake, &[1], 1).await;
    let key = keys[0].1;

    let token = client
        .request_login_code("+1 555 000 1111", API_HASH)
        .await
        .expect("request_login_code");
    let code = fake.login_code(PHONE).expect("a code was sent");
    assert_eq!(code.len(), 5);
    assert!(code.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(fake.login_code("+1 (555) 000-1111"), Some(code.clone()));

    match client.sign_in(&token, &wrong(&code)).await {
        Err(SignInError::InvalidCode) => {}
        other => panic!("expected InvalidCode, got {other:?}"),
    }
    assert_eq!(signed_in_user(&fake, &key), None);
    let user = client.sign_in(&token, &code).await.expect("sign_in");
    assert_eq!(user.id().bare_id_unchecked(), user_id);
    assert_eq!(user.first_name(), Some("Alice"));
    assert_eq!(user.phone(), Some(PHONE));
    assert_eq!(signed_in_user(&fake, &key), Some(user_id));
    let me = client.get_me().await.expect("get_me");
    assert_eq!(me.id().bare_id_unchecked(), user_id);

    // Signing out unbinds the key.
    client.sign_out().await.expect("sign_out");
    assert_eq!(signed_in_user(&fake, &key), None);
    assert!(!client.is_authorized().await.expect("is_authorized"));
}

#[tokio::test]
async fn sign_in_errors_are_exact() {
    let fake = start().await;
    let user_id = add_person(&fake, PHONE, 0);
    let (client, _runner, keys) = unauthorised_client(&fake, &[1], 1).await;
    let key = keys[0].1;

    // A registered number gets the code in the app.
    let sent = sent_code(&client, PHONE).await;
    assert_eq!(
        sent.r#type,
        tl::enums::auth::SentCodeType::App(tl::types::auth::SentCodeTypeApp { length: 5 })
    );
    let hash = sent.phone_code_hash.as_str();
    let code = fake.login_code(PHONE).expect("a code was sent");

    assert_bad_request(
        client.invoke(&sign_in(PHONE, hash, &wrong(&code))).await,
        "PHONE_CODE_INVALID",
    );
    assert_bad_request(
        client.invoke(&sign_in(PHONE, hash, "")).await,
        "PHONE_CODE_EMPTY",
    );
    assert_bad_request(
        client.invoke(&sign_in(PHONE, "", &code)).await,
        "PHONE_CODE_HASH_EMPTY",
    );
    assert_bad_request(
        client.invoke(&sign_in("15559999999", hash, &code)).await,
        "PHONE_NUMBER_INVALID",
    );
    assert_eq!(signed_in_user(&fake, &key), None);

    // Wrong attempts do not burn the code.
    let tl::enums::auth::Authorization::Authorization(authorization) = client
        .invoke(&sign_in(PHONE, hash, &code))
        .await
        .expect("auth.signIn")
    else {
        panic!("a registered user needs no sign-up");
    };
    let tl::enums::User::User(user) = authorization.user else {
        panic!("expected a user");
    };
    assert_eq!(user.id, user_id);
    assert!(user.is_self);
    assert_eq!(signed_in_user(&fake, &key), Some(user_id));

    // A used code cannot be replayed.
    assert_bad_request(
        client.invoke(&sign_in(PHONE, hash, &code)).await,
        "PHONE_CODE_EXPIRED",
    );
}

#[tokio::test]
async fn unknown_numbers_need_sign_up_and_bad_numbers_are_invalid() {
    let fake = start().await;
    let (client, _runner, _keys) = unauthorised_client(&fake, &[1], 1).await;
    let sent = sent_code(&client, "15557777777").await;
    assert_eq!(
        sent.r#type,
        tl::enums::auth::SentCodeType::Sms(tl::types::auth::SentCodeTypeSms { length: 5 }),
        "a number without an account gets an SMS"
    );
    let token = client
        .request_login_code("15557777777", API_HASH)
        .await
        .expect("request_login_code");
    let code = fake.login_code("15557777777").expect("sent");
    match client.sign_in(&token, &code).await {
        Err(SignInError::SignUpRequired) => {}
        other => panic!("expected SignUpRequired, got {other:?}"),
    }
    assert_bad_request(
        client
            .request_login_code("call me maybe", API_HASH)
            .await
            .map(drop),
        "PHONE_NUMBER_INVALID",
    );
    assert_bad_request(
        client.request_login_code(PHONE, "").await.map(drop),
        "API_ID_INVALID",
    );
}

#[tokio::test]
async fn a_user_on_another_dc_is_migrated_there() {
    let fake = start().await;
    let user_id = add_person(&fake, PHONE, 2);
    let (client, _runner, keys) = unauthorised_client(&fake, &[1, 2], 1).await;
    assert_rpc_error(
        client.invoke(&send_code(PHONE)).await,
        303,
        "PHONE_MIGRATE",
        Some(2),
    );
    // grammers follows PHONE_MIGRATE_2 and signs in on DC 2.
    let token = client
        .request_login_code(PHONE, API_HASH)
        .await
        .expect("request_login_code");
    let code = fake.login_code(PHONE).expect("sent");
    let user = client.sign_in(&token, &code).await.expect("sign_in");
    assert_eq!(user.id().bare_id_unchecked(), user_id);
    assert_eq!(signed_in_user(&fake, &keys[0].1), None, "DC 1 key");
    assert_eq!(signed_in_user(&fake, &keys[1].1), Some(user_id), "DC 2 key");
    let me = client.get_me().await.expect("get_me on the new home DC");
    assert_eq!(me.id().bare_id_unchecked(), user_id);
}

#[tokio::test]
async fn two_factor_sign_in_needs_the_password() {
    let fake = start().await;
    let user_id = add_person(&fake, PHONE, 0);
    fake.set_password(user_id, "pw", Some("hint"));
    let (client, _runner, keys) = unauthorised_client(&fake, &[1], 1).await;
    let key = keys[0].1;

    let token = client
        .request_login_code(PHONE, API_HASH)
        .await
        .expect("request_login_code");
    let code = fake.login_code(PHONE).expect("sent");
    // The raw answer grammers turns into PasswordRequired.
    let sent = sent_code(&client, PHONE).await;
    let fresh_code = fake.login_code(PHONE).expect("sent again");
    assert_rpc_error(
        client
            .invoke(&sign_in(PHONE, &sent.phone_code_hash, &fresh_code))
            .await,
        401,
        "SESSION_PASSWORD_NEEDED",
        None,
    );

    let password_token = match client.sign_in(&token, &code).await {
        Err(SignInError::PasswordRequired(password_token)) => password_token,
        other => panic!("expected PasswordRequired, got {other:?}"),
    };
    assert_eq!(password_token.hint(), Some("hint"));
    assert_eq!(signed_in_user(&fake, &key), None, "not before the password");
    assert!(!client.is_authorized().await.expect("is_authorized"));

    match client
        .check_password(password_token, "not the password")
        .await
    {
        Err(SignInError::InvalidPassword(_)) => {}
        other => panic!("expected InvalidPassword, got {other:?}"),
    }
    assert_eq!(signed_in_user(&fake, &key), None);

    // Each check consumes its challenge: fetch a fresh one, as TDLib does.
    let password: tl::types::account::Password = client
        .invoke(&tl::functions::account::GetPassword {})
        .await
        .expect("account.getPassword")
        .into();
    assert!(password.has_password);
    let user = client
        .check_password(PasswordToken::new(password), "pw")
        .await
        .expect("check_password");
    assert_eq!(user.id().bare_id_unchecked(), user_id);
    assert_eq!(signed_in_user(&fake, &key), Some(user_id));
    assert!(client.is_authorized().await.expect("is_authorized"));
}
