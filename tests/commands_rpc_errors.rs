//! Telegram's errors reach the caller by name for every one of the 21
//! commands, through the JSON dispatcher (`<action>_error` with
//! `FLOOD_WAIT_30`) and through the typed API (`CommandError::message`).
//!
//! The fake DC answers the command's MTProto method with `FLOOD_WAIT_30`
//! once; the client's flood sleep threshold (5 s) is below that, so the
//! error is passed through rather than slept out. Each case also checks that
//! the armed error was consumed, i.e. that the command really called the
//! method named in its mapping.

mod support;

use grammers_tl_types::{self as tl, Identifiable};
use serde_json::{Value, json};
use support::commands::{CommandBed, CommandChecks};
use tgcmd::Client;
use tgcmd::commands::CommandError;
use tgcmd::commands::bootstrap::PhoneContact;
use tgcmd::commands::settings::{BlockList, PrivacyRule, PrivacySetting};

const FLOOD: &str = "FLOOD_WAIT_30";

type Fixture = CommandBed;

async fn fixture() -> Fixture {
    let dc = support::fake_dc().await;
    let data = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("commands_rpc_errors-{}", std::process::id()));
    let client = support::builder(&dc)
        .data_dir(data)
        .connect()
        .await
        .expect("the client connects");
    let friend = fakedc::User {
        first_name: "Friend".into(),
        username: Some("friend_user".into()),
        phone: Some("15557654321".into()),
        ..fakedc::User::default()
    };
    CommandBed::new(dc, client, friend).await
}

fn id<F: Identifiable>() -> u32 {
    F::CONSTRUCTOR_ID
}

/// The MTProto method each command calls first, from the mapping.
fn method_of(action: &str) -> u32 {
    use tl::functions::{account, auth, channels, contacts, users};
    match action {
        "refresh_self_profile" => id::<users::GetUsers>(),
        "get_user" | "get_chat_profile" => id::<users::GetFullUser>(),
        "set_name" | "set_bio" => id::<account::UpdateProfile>(),
        "set_username" => id::<account::UpdateUsername>(),
        "set_birthdate" => id::<account::UpdateBirthday>(),
        "search_user" => id::<contacts::ResolveUsername>(),
        "create_private_chat" => id::<users::GetUsers>(),
        "create_supergroup_chat" => id::<channels::CreateChannel>(),
        "import_contacts" => id::<contacts::ImportContacts>(),
        "get_active_sessions" => id::<account::GetAuthorizations>(),
        "terminate_session" => id::<account::ResetAuthorization>(),
        "set_session_settings" => id::<account::ChangeAuthorizationSettings>(),
        "terminate_all_other_sessions" => id::<auth::ResetAuthorizations>(),
        "block_user" => id::<contacts::Block>(),
        "unblock_user" => id::<contacts::Unblock>(),
        "get_blocked_users" => id::<contacts::GetBlocked>(),
        "get_privacy_setting" | "get_privacy_settings" => id::<account::GetPrivacy>(),
        "set_privacy_setting" => id::<account::SetPrivacy>(),
        other => panic!("no method for {other}"),
    }
}

/// A valid JSON request for `action`.
fn request(action: &str, friend: i64) -> Value {
    let mut request = match action {
        "get_user" | "block_user" | "unblock_user" => json!({"user_id": friend}),
        "create_private_chat" => json!({"user_id": friend, "force": false}),
        "get_chat_profile" => json!({"chat_id": friend}),
        "set_name" => json!({"first_name": "New"}),
        "set_bio" => json!({"bio": "about me"}),
        "set_username" => json!({"username": "fresh_name"}),
        "set_birthdate" => json!({"birthdate": {"day": 1, "month": 2, "year": 1990}}),
        "search_user" => json!({"query": "@friend_user"}),
        "create_supergroup_chat" => json!({"title": "Group", "is_channel": false}),
        "import_contacts" => {
            json!({"phone": "+15550001111", "first_name": "A", "last_name": "B"})
        }
        "terminate_session" => json!({"session_id": 12345}),
        "set_session_settings" => json!({"session_id": 12345, "can_accept_calls": false}),
        "get_privacy_setting" => json!({"setting": "userPrivacySettingShowBio"}),
        "get_privacy_settings" => json!({"settings": ["userPrivacySettingShowBio"]}),
        "set_privacy_setting" => {
            json!({"setting": "userPrivacySettingShowBio", "mode": "contacts"})
        }
        _ => json!({}),
    };
    request["action"] = json!(action);
    request["userbot_id"] = json!(1);
    request
}

/// The same request through the typed API; the result is dropped.
async fn typed(action: &str, client: &Client, friend: i64) -> Result<(), CommandError> {
    let bio = || PrivacySetting::parse(&json!("userPrivacySettingShowBio")).expect("known");
    match action {
        "refresh_self_profile" => client.refresh_self_profile().await.map(drop),
        "get_user" => client.get_user(friend).await.map(drop),
        "set_name" => client.set_name("New", None).await.map(drop),
        "set_bio" => client.set_bio("about me").await.map(drop),
        "set_username" => client.set_username("fresh_name").await.map(drop),
        "set_birthdate" => client.set_birthdate(1, 2, Some(1990)).await.map(drop),
        "get_chat_profile" => client.get_chat_profile(friend).await.map(drop),
        "search_user" => client.search_user("@friend_user").await.map(drop),
        "create_private_chat" => client.create_private_chat(friend, false).await.map(drop),
        "create_supergroup_chat" => client
            .create_supergroup_chat("Group", false, None)
            .await
            .map(drop),
        "import_contacts" => client
            .import_contacts(&[PhoneContact {
                phone: "+15550001111".into(),
                first_name: "A".into(),
                last_name: "B".into(),
            }])
            .await
            .map(drop),
        "get_active_sessions" => client.get_active_sessions().await.map(drop),
        "terminate_session" => client.terminate_session(12345).await.map(drop),
        "set_session_settings" => client
            .set_session_settings(12345, Some(false), None)
            .await
            .map(drop),
        "terminate_all_other_sessions" => client.terminate_all_other_sessions().await.map(drop),
        "block_user" => client
            .block_user(friend, true, BlockList::Main)
            .await
            .map(drop),
        "unblock_user" => client.unblock_user(friend).await.map(drop),
        "get_blocked_users" => client
            .get_blocked_users(BlockList::Main, 0, 10)
            .await
            .map(drop),
        "get_privacy_setting" => client.get_privacy_setting(&bio()).await.map(drop),
        "get_privacy_settings" => client.get_privacy_settings(&[bio()]).await.map(drop),
        "set_privacy_setting" => client
            .set_privacy_rules(&bio(), vec![PrivacyRule::AllowContacts])
            .await
            .map(drop),
        other => panic!("no typed call for {other}"),
    }
}

impl Fixture {
    /// Arms one flood wait on `action`'s method and checks, after `run`,
    /// that the method was called and the flood used up.
    async fn with_flood<T>(&self, action: &str, run: impl Future<Output = T>) -> T {
        let method = method_of(action);
        let before = self.dc.world().call_count(method);
        self.dc.faults().flood_wait(Some(method), 30, 1);
        let outcome = run.await;
        assert!(
            self.dc.world().call_count(method) > before,
            "{action} did not call its method"
        );
        self.dc.faults().clear();
        outcome
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_passes_rpc_errors_through_json_and_typed() {
    let f = fixture().await;
    let actions = tgcmd::commands::Registry::new().actions();
    assert_eq!(actions.len(), 21, "{actions:?}");
    // get_privacy_settings reports per-setting failures instead (below).
    for action in actions
        .into_iter()
        .filter(|&action| action != "get_privacy_settings")
    {
        let json_error = f
            .with_flood(action, f.error(request(action, f.friend)))
            .await;
        assert_eq!(json_error, FLOOD, "{action} through JSON");

        let typed_error = f
            .with_flood(action, typed(action, &f.client, f.friend))
            .await
            .expect_err(action);
        assert_eq!(typed_error.message(), FLOOD, "{action} typed");
        assert!(!typed_error.is_invalid(), "{action}: a request was sent");
    }
}

/// `get_privacy_settings` lists a setting it could not read, with
/// Telegram's error, and still answers with the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_privacy_settings_lists_the_error_of_a_failed_setting() {
    let f = fixture().await;
    let action = "get_privacy_settings";
    let mut both = request(action, f.friend);
    both["settings"] = json!(["userPrivacySettingShowBio", "userPrivacySettingShowStatus"]);
    let result = f.with_flood(action, f.ok(both)).await;
    assert_eq!(
        result["failed"],
        json!([{"setting": "userPrivacySettingShowBio", "error": FLOOD}])
    );
    assert_eq!(
        result["settings"][0]["setting"],
        "userPrivacySettingShowStatus"
    );

    let settings = [
        PrivacySetting::parse(&json!("userPrivacySettingShowBio")).expect("known"),
        PrivacySetting::parse(&json!("userPrivacySettingShowStatus")).expect("known"),
    ];
    let typed = f
        .with_flood(action, f.client.get_privacy_settings(&settings))
        .await
        .expect("one setting was read");
    assert_eq!(typed.failed.len(), 1);
    assert_eq!(typed.failed[0].setting, "userPrivacySettingShowBio");
    assert_eq!(typed.failed[0].error, FLOOD);
    assert_eq!(typed.settings.len(), 1);

    // When every setting fails, the command fails with the spec's string,
    // and that is not a validation error: requests were sent.
    let error = f
        .with_flood(action, f.client.get_privacy_settings(&settings[..1]))
        .await
        .expect_err("nothing was read");
    assert_eq!(error.message(), "failed to get privacy settings");
    assert!(!error.is_invalid());
    let json_error = f
        .with_flood(action, f.error(request(action, f.friend)))
        .await;
    assert_eq!(json_error, "failed to get privacy settings");
}
