//! Telegram's errors reach the caller by name for every one of the 21
//! commands, through the JSON dispatcher (`<action>_error` with
//! `FLOOD_WAIT_30`) and through the typed API (`CommandError::message`).
//!
//! The fake DC answers the command's MTProto method with `FLOOD_WAIT_30`
//! once; the client's flood sleep threshold (5 s) is below that, so the
//! error is passed through rather than slept out. Each case also checks that
//! the armed error was consumed, i.e. that the command really called the
//! method its `Command::FIRST_METHOD` names. The commands, their sample
//! requests and their methods all come from the registry.

mod support;

use serde_json::{Value, json};
use support::commands::{CommandBed, CommandChecks};
use tgcmd::commands::settings::PrivacySetting;
use tgcmd::commands::{CommandInfo, Registry};

const FLOOD: &str = "FLOOD_WAIT_30";

type Fixture = CommandBed;

async fn fixture() -> Fixture {
    let dc = support::fake_dc().await;
    let client = support::commands::client_with_data_dir(&dc, "commands_rpc_errors").await;
    let friend = fakedc::User {
        first_name: "Friend".into(),
        username: Some("friend_user".into()),
        phone: Some("15557654321".into()),
        ..fakedc::User::default()
    };
    CommandBed::new(dc, client, friend).await
}

/// A command's sample request with the fixture's friend in it, as JSON
/// for the dispatcher.
fn request(info: &CommandInfo, friend: i64) -> Value {
    let text = (info.sample)()
        .to_string()
        .replace("\"$FRIEND\"", &friend.to_string());
    let mut request: Value = serde_json::from_str(&text).expect("samples are JSON");
    request["action"] = json!(info.action);
    request["userbot_id"] = json!(1);
    request
}

impl Fixture {
    /// Arms one flood wait on `action`'s method and checks, after `run`,
    /// that the method was called and the flood used up.
    async fn with_flood<T>(&self, action: &str, run: impl Future<Output = T>) -> T {
        let registry = Registry::new();
        let method = registry
            .get(action)
            .expect("registered")
            .first_method
            .constructor_id;
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
    let registry = Registry::new();
    // The backend's 21; the tg-cli functions have their own tests.
    let commands: Vec<_> = registry
        .commands()
        .into_iter()
        .filter(|info| info.spec.file.starts_with("commands-"))
        .collect();
    assert_eq!(commands.len(), 21, "{:?}", registry.actions());
    // get_privacy_settings reports per-setting failures instead (below).
    for info in commands
        .into_iter()
        .filter(|info| info.action != "get_privacy_settings")
    {
        let action = info.action;
        let json_error = f.with_flood(action, f.error(request(info, f.friend))).await;
        assert_eq!(json_error, FLOOD, "{action} through JSON");

        // The typed path: the same request validated and run with
        // `Client::run`, as every typed method does.
        let mut payload = request(info, f.friend);
        if let Some(object) = payload.as_object_mut() {
            object.remove("action");
            object.remove("userbot_id");
        }
        let typed_error = f
            .with_flood(action, registry.run(&f.client, action, payload))
            .await
            .expect_err(action);
        assert_eq!(typed_error.message(), FLOOD, "{action} typed");
        assert_eq!(
            typed_error.telegram_name().as_deref(),
            Some(FLOOD),
            "{action}"
        );
        assert_eq!(typed_error.flood_wait_seconds(), Some(30), "{action}");
        assert!(typed_error.is_rpc("FLOOD_WAIT"), "{action}");
        assert!(!typed_error.is_invalid(), "{action}: a request was sent");
    }
}

/// `get_privacy_settings` lists a setting it could not read, with
/// Telegram's error, and still answers with the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_privacy_settings_lists_the_error_of_a_failed_setting() {
    let f = fixture().await;
    let action = "get_privacy_settings";
    let registry = Registry::new();
    let mut both = request(registry.get(action).expect("registered"), f.friend);
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
        .with_flood(
            action,
            f.error(request(registry.get(action).expect("registered"), f.friend)),
        )
        .await;
    assert_eq!(json_error, "failed to get privacy settings");
}
