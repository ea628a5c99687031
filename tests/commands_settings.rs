//! The sessions & privacy commands against the fake DC, through the JSON
//! dispatcher and the typed API: success paths with their fields, every
//! validation error of the spec (exact string, nothing sent), and RPC errors
//! passed through by name.

mod support;

use serde_json::json;
use support::commands::{CommandBed, CommandChecks, introduce_user};
use tgcmd::Client;
use tgcmd::commands::settings::{BlockList, PrivacyRule, PrivacySetting, PrivacyValue};

type Fixture = CommandBed;

async fn fixture() -> Fixture {
    let dc = support::fake_dc().await;
    let client = support::signed_in_client(&dc).await;
    let friend = fakedc::User {
        first_name: "Friend".into(),
        username: Some("friend_user".into()),
        ..fakedc::User::default()
    };
    CommandBed::new(dc, client, friend).await
}

impl Fixture {
    /// A second device signed in on the same account (a fresh session).
    async fn second_device(&self) -> Client {
        let keys: Vec<_> = self
            .dc
            .dcs()
            .iter()
            .map(|d| (d.dc_id, self.dc.new_auth_key(d.dc_id).expect("dc")))
            .collect();
        let device = support::builder_with_keys(&self.dc, &keys)
            .device_model("Pixel 8 (Android)")
            .connect()
            .await
            .expect("connects");
        let phone = "15550000001";
        let token = device.request_login_code(phone).await.expect("code");
        let code = self.dc.login_code(phone).expect("code sent");
        device.sign_in(&token, &code).await.expect("signed in");
        device
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_sessions_are_listed_current_first() {
    let f = fixture().await;
    let _device = f.second_device().await;
    let result = f
        .ok(json!({"action": "get_active_sessions", "userbot_id": 1}))
        .await;
    assert_eq!(result["@type"], "sessions");
    let sessions = result["sessions"].as_array().expect("list");
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["@type"], "session");
    assert_eq!(sessions[0]["is_current"], true);
    assert_eq!(sessions[0]["id"], "0", "int64 ids are strings");
    assert_eq!(sessions[0]["device_model"], "tgcmd");
    assert_eq!(sessions[0]["can_accept_calls"], true);
    assert_eq!(sessions[0]["can_accept_secret_chats"], true);
    assert_eq!(sessions[1]["is_current"], false);
    assert_eq!(sessions[1]["device_model"], "Pixel 8 (Android)");
    assert_eq!(sessions[1]["type"]["@type"], "sessionTypeAndroid");
    assert_ne!(sessions[1]["id"], "0");
    assert!(result["inactive_session_ttl_days"].as_i64().unwrap_or(0) > 0);

    let typed = f.client.get_active_sessions().await.expect("typed");
    assert_eq!(typed.sessions.len(), 2);
    assert!(typed.sessions[0].is_current);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_session_validation_and_success() {
    let f = fixture().await;
    let device = f.second_device().await;
    f.invalid(
        json!({"action": "terminate_session", "userbot_id": 1}),
        "session_id is required",
    )
    .await;
    for current in [json!(0), json!("0"), json!("current")] {
        f.invalid(
            json!({"action": "terminate_session", "userbot_id": 1, "session_id": current}),
            "current session can't be terminated via terminate_session",
        )
        .await;
    }
    let unknown = f
        .error(json!({"action": "terminate_session", "userbot_id": 1, "session_id": 12345}))
        .await;
    assert_eq!(unknown, "HASH_INVALID");

    let sessions = f.client.get_active_sessions().await.expect("sessions");
    let other = sessions.sessions[1].id;
    // The new device may not end older sessions yet, as on Telegram.
    let mine = device.get_active_sessions().await.expect("sessions");
    let older = mine
        .sessions
        .iter()
        .find(|s| !s.is_current)
        .expect("other")
        .id;
    let err = device
        .terminate_session(older)
        .await
        .expect_err("too fresh");
    assert_eq!(err.message(), "FRESH_RESET_AUTHORISATION_FORBIDDEN");

    let result = f
        .ok(json!({"action": "terminate_session", "userbot_id": 1, "session_id": other.to_string()}))
        .await;
    assert_eq!(result, json!({"@type": "ok"}));
    assert!(!device.is_authorized().await.expect("reachable"));
    assert_eq!(
        f.client
            .get_active_sessions()
            .await
            .expect("list")
            .sessions
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_settings_flip_only_the_flags_given() {
    let f = fixture().await;
    let _device = f.second_device().await;
    f.invalid(
        json!({"action": "set_session_settings", "userbot_id": 1, "can_accept_calls": true}),
        "session_id is required",
    )
    .await;
    f.invalid(
        json!({"action": "set_session_settings", "userbot_id": 1, "session_id": 5}),
        "at least one of can_accept_calls or can_accept_secret_chats is required",
    )
    .await;
    let other = f.client.get_active_sessions().await.expect("list").sessions[1].id;
    let result = f
        .ok(json!({"action": "set_session_settings", "userbot_id": 1,
                   "session_id": other, "can_accept_calls": false}))
        .await;
    assert_eq!(result["@type"], "ok");
    let after = f.client.get_active_sessions().await.expect("list");
    assert!(!after.sessions[1].can_accept_calls);
    assert!(after.sessions[1].can_accept_secret_chats, "untouched");
    f.client
        .set_session_settings(0, None, Some(false))
        .await
        .expect("typed, current session");
    let after = f.client.get_active_sessions().await.expect("list");
    assert!(!after.sessions[0].can_accept_secret_chats);
    assert!(after.sessions[0].can_accept_calls);
    let err = f
        .error(json!({"action": "set_session_settings", "userbot_id": 1,
                      "session_id": 99, "can_accept_calls": true}))
        .await;
    assert_eq!(err, "HASH_INVALID");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_all_other_sessions() {
    let f = fixture().await;
    let device = f.second_device().await;
    let err = device
        .terminate_all_other_sessions()
        .await
        .expect_err("a fresh session may not");
    assert_eq!(err.message(), "FRESH_RESET_AUTHORISATION_FORBIDDEN");
    let result = f
        .ok(json!({"action": "terminate_all_other_sessions", "userbot_id": 1}))
        .await;
    assert_eq!(result["@type"], "ok");
    assert!(!device.is_authorized().await.expect("reachable"));
    assert!(f.client.is_authorized().await.expect("reachable"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_and_unblock() {
    let f = fixture().await;
    f.invalid(
        json!({"action": "block_user", "userbot_id": 1}),
        "user_id is required",
    )
    .await;
    f.invalid(
        json!({"action": "block_user", "userbot_id": 1, "user_id": f.friend, "block_list": "blockListNope"}),
        "block_list must be a TDLib block list type",
    )
    .await;
    f.invalid(
        json!({"action": "block_user", "userbot_id": 1, "user_id": f.friend, "block_list": 7}),
        "block_list must be a TDLib block list type",
    )
    .await;
    f.invalid(
        json!({"action": "unblock_user", "userbot_id": 1}),
        "user_id is required",
    )
    .await;
    f.invalid(
        json!({"action": "get_blocked_users", "userbot_id": 1, "block_list": "blockListNope"}),
        "block_list must be a TDLib block list type",
    )
    .await;
    // The client learns its own id once (users.getUsers on a fresh
    // session); from then on refusing to block yourself sends nothing.
    let me = f.client.self_id().await.expect("own id");
    assert_eq!(me, f.dc.user_id());
    f.invalid(
        json!({"action": "block_user", "userbot_id": 1, "user_id": me}),
        "Can't block self",
    )
    .await;
    f.invalid_typed(
        f.client.block_user(me, true, BlockList::Main),
        "Can't block self",
    )
    .await;

    let result = f
        .ok(json!({"action": "block_user", "userbot_id": 1, "user_id": f.friend.to_string()}))
        .await;
    assert_eq!(result["@type"], "ok");
    let blocked = f
        .ok(json!({"action": "get_blocked_users", "userbot_id": 1}))
        .await;
    assert_eq!(blocked["@type"], "messageSenders");
    assert_eq!(blocked["total_count"], 1);
    assert_eq!(blocked["senders"][0]["@type"], "messageSenderUser");
    assert_eq!(blocked["senders"][0]["user_id"], f.friend);
    let stories = f
        .ok(json!({"action": "get_blocked_users", "userbot_id": 1,
                   "block_list": {"@type": "blockListStories"}}))
        .await;
    assert_eq!(stories["total_count"], 0, "the stories list is separate");

    // is_blocked: false unblocks.
    f.ok(
        json!({"action": "block_user", "userbot_id": 1, "user_id": f.friend, "is_blocked": false}),
    )
    .await;
    let blocked = f
        .client
        .get_blocked_users(BlockList::Main, 0, 50)
        .await
        .expect("typed");
    assert_eq!(blocked.total_count, 0);

    f.client
        .block_user(f.friend, true, BlockList::Stories)
        .await
        .expect("typed block");
    let stories = f
        .client
        .get_blocked_users(BlockList::Stories, 0, 50)
        .await
        .expect("typed");
    assert_eq!(stories.senders.len(), 1);
    f.ok(json!({"action": "block_user", "userbot_id": 1, "user_id": f.friend, "block_list": "blockListMain"}))
        .await;
    let result = f
        .ok(json!({"action": "unblock_user", "userbot_id": 1, "user_id": f.friend}))
        .await;
    assert_eq!(result, json!({"@type": "ok"}));
    assert_eq!(
        f.client
            .get_blocked_users(BlockList::Main, 0, 50)
            .await
            .expect("typed")
            .total_count,
        0
    );

    f.dc.faults().flood_wait(None, 30, 1);
    assert_eq!(
        f.error(json!({"action": "block_user", "userbot_id": 1, "user_id": f.friend}))
            .await,
        "FLOOD_WAIT_30"
    );
    let unknown = f
        .error(json!({"action": "block_user", "userbot_id": 1, "user_id": 424242}))
        .await;
    assert_eq!(unknown, "User not found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_users_are_paged() {
    let f = fixture().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let id = f.dc.add_user(fakedc::User {
            first_name: format!("U{i}"),
            ..fakedc::User::default()
        });
        introduce_user(&f.dc, &f.client, id).await;
        f.client
            .block_user(id, true, BlockList::Main)
            .await
            .expect("block");
        ids.push(id);
    }
    let page = f
        .ok(json!({"action": "get_blocked_users", "userbot_id": 1, "offset": 1, "limit": 2}))
        .await;
    assert_eq!(page["total_count"], 5);
    let senders: Vec<i64> = page["senders"]
        .as_array()
        .expect("list")
        .iter()
        .map(|s| s["user_id"].as_i64().expect("id"))
        .collect();
    // Newest first: skip the last blocked, take the two before it.
    assert_eq!(senders, vec![ids[3], ids[2]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_settings_read() {
    let f = fixture().await;
    f.invalid(
        json!({"action": "get_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingShowMood"}),
        "unsupported privacy setting",
    )
    .await;
    f.invalid(
        json!({"action": "get_privacy_setting", "userbot_id": 1}),
        "unsupported privacy setting",
    )
    .await;
    let status = f
        .ok(json!({"action": "get_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingShowStatus"}))
        .await;
    assert_eq!(
        status,
        json!({"@type": "userPrivacySettingRules", "rules": [{"@type": "userPrivacySettingRuleAllowAll"}]})
    );
    // Telegram's trailing disallow-all is dropped.
    let phone = f
        .ok(json!({"action": "get_privacy_setting", "userbot_id": 1,
                   "setting": {"@type": "userPrivacySettingShowPhoneNumber"}}))
        .await;
    assert_eq!(
        phone["rules"],
        json!([{"@type": "userPrivacySettingRuleAllowContacts"}])
    );
    let new_chats = f
        .ok(json!({"action": "get_privacy_setting", "userbot_id": 1, "setting": "newChatPrivacySettings"}))
        .await;
    assert_eq!(new_chats["@type"], "newChatPrivacySettings");
    assert_eq!(new_chats["allow_new_chats_from_unknown_users"], true);

    f.invalid(
        json!({"action": "get_privacy_settings", "userbot_id": 1, "settings": 5}),
        "settings must be a list or string",
    )
    .await;
    let two = f
        .ok(json!({"action": "get_privacy_settings", "userbot_id": 1,
                   "settings": ["userPrivacySettingShowStatus", "newChatPrivacySettings"]}))
        .await;
    assert_eq!(two["settings"].as_array().expect("list").len(), 2);
    assert_eq!(
        two["settings"][0]["setting"],
        "userPrivacySettingShowStatus"
    );
    assert_eq!(
        two["settings"][1]["value"]["@type"],
        "newChatPrivacySettings"
    );
    let one = f
        .ok(json!({"action": "get_privacy_settings", "userbot_id": 1, "settings": "userPrivacySettingShowBio"}))
        .await;
    assert_eq!(one["settings"].as_array().expect("list").len(), 1);
    let all = f
        .ok(json!({"action": "get_privacy_settings", "userbot_id": 1}))
        .await;
    assert_eq!(all["settings"].as_array().expect("list").len(), 12);

    f.dc.faults().flood_wait(None, 30, 100);
    assert_eq!(
        f.error(json!({"action": "get_privacy_settings", "userbot_id": 1,
                       "settings": ["userPrivacySettingShowStatus"]}))
            .await,
        "failed to get privacy settings"
    );
    assert_eq!(
        f.error(json!({"action": "get_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingShowBio"}))
            .await,
        "FLOOD_WAIT_30"
    );
    f.dc.faults().clear();

    let typed = f
        .client
        .get_privacy_setting(
            &PrivacySetting::parse(&json!("userPrivacySettingShowBirthdate")).expect("known"),
        )
        .await
        .expect("typed");
    let PrivacyValue::Rules(rules) = typed else {
        panic!("rules expected")
    };
    assert_eq!(rules.rules, vec![PrivacyRule::AllowContacts]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_settings_write() {
    let f = fixture().await;
    f.invalid(
        json!({"action": "set_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingNope", "mode": "all"}),
        "unsupported privacy setting",
    )
    .await;
    f.invalid(
        json!({"action": "set_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingShowStatus", "mode": "friends"}),
        "mode must be one of: all, contacts, nobody",
    )
    .await;
    f.invalid(
        json!({"action": "set_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingShowStatus"}),
        "mode must be one of: all, contacts, nobody",
    )
    .await;

    let result = f
        .ok(json!({"action": "set_privacy_setting", "userbot_id": 1,
                   "setting": "userPrivacySettingShowStatus", "mode": "contacts",
                   "allow_user_ids": [f.friend.to_string()], "restrict_chat_ids": [-42],
                   "allow_premium_users": true}))
        .await;
    assert_eq!(
        result["rules"],
        json!([
            {"@type": "userPrivacySettingRuleRestrictChatMembers", "chat_ids": [-42]},
            {"@type": "userPrivacySettingRuleAllowUsers", "user_ids": [f.friend]},
            {"@type": "userPrivacySettingRuleAllowPremiumUsers"},
            {"@type": "userPrivacySettingRuleAllowContacts"},
        ])
    );
    let read = f
        .ok(json!({"action": "get_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingShowStatus"}))
        .await;
    assert_eq!(read["rules"], result["rules"]);

    let nobody = f
        .ok(json!({"action": "set_privacy_setting", "userbot_id": 1,
                   "setting": "userPrivacySettingShowBio", "mode": "nobody"}))
        .await;
    assert_eq!(nobody["rules"], json!([]));

    // Raw rules, as an object and as a list; a trailing restrict-all is dropped.
    let raw = f
        .ok(json!({"action": "set_privacy_setting", "userbot_id": 1,
                   "setting": "userPrivacySettingAllowCalls",
                   "rules": {"@type": "userPrivacySettingRules", "rules": [
                       {"@type": "userPrivacySettingRuleRestrictUsers", "user_ids": [f.friend]},
                       {"@type": "userPrivacySettingRuleAllowAll"},
                       {"@type": "userPrivacySettingRuleRestrictAll"}]}}))
        .await;
    assert_eq!(
        raw["rules"],
        json!([{"@type": "userPrivacySettingRuleRestrictUsers", "user_ids": [f.friend]},
               {"@type": "userPrivacySettingRuleAllowAll"}])
    );
    let list = f
        .ok(json!({"action": "set_privacy_setting", "userbot_id": 1,
                   "setting": "userPrivacySettingAllowCalls",
                   "rules": [{"@type": "userPrivacySettingRuleAllowBots"}]}))
        .await;
    assert_eq!(
        list["rules"],
        json!([{"@type": "userPrivacySettingRuleAllowBots"}])
    );

    // newChatPrivacySettings: read-modify-write of the global settings.
    let new_chats = f
        .ok(json!({"action": "set_privacy_setting", "userbot_id": 1,
                   "setting": "newChatPrivacySettings", "allow_new_chats_from_unknown_users": false}))
        .await;
    assert_eq!(new_chats["allow_new_chats_from_unknown_users"], false);
    let read = f
        .ok(json!({"action": "get_privacy_setting", "userbot_id": 1, "setting": "newChatPrivacySettings"}))
        .await;
    assert_eq!(read["allow_new_chats_from_unknown_users"], false);

    let typed = f
        .client
        .set_privacy_rules(
            &PrivacySetting::parse(&json!("userPrivacySettingShowProfilePhoto")).expect("known"),
            vec![PrivacyRule::AllowContacts, PrivacyRule::RestrictAll],
        )
        .await
        .expect("typed");
    assert_eq!(
        typed,
        PrivacyValue::Rules(tgcmd::commands::settings::PrivacyRules {
            rules: vec![PrivacyRule::AllowContacts],
        })
    );

    let unknown_user = f
        .error(json!({"action": "set_privacy_setting", "userbot_id": 1,
                      "setting": "userPrivacySettingShowStatus", "mode": "all", "allow_user_ids": [999999]}))
        .await;
    assert_eq!(unknown_user, "User not found");
}

/// The session commands through the typed API: ending one session, ending
/// all others, and the validation errors a typed call can still make.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_session_commands() {
    let f = fixture().await;
    f.invalid_typed(
        f.client.terminate_session(0),
        "current session can't be terminated via terminate_session",
    )
    .await;
    f.invalid_typed(
        f.client.set_session_settings(5, None, None),
        "at least one of can_accept_calls or can_accept_secret_chats is required",
    )
    .await;

    let first = f.second_device().await;
    let other = f.client.get_active_sessions().await.expect("list").sessions[1].id;
    let ok = f.client.terminate_session(other).await.expect("typed");
    assert_eq!(
        serde_json::to_value(&ok).expect("json"),
        json!({"@type": "ok"})
    );
    assert!(!first.is_authorized().await.expect("reachable"));

    let _second = f.second_device().await;
    let _third = f.second_device().await;
    assert_eq!(
        f.client
            .get_active_sessions()
            .await
            .expect("list")
            .sessions
            .len(),
        3
    );
    f.client
        .terminate_all_other_sessions()
        .await
        .expect("typed");
    let left = f.client.get_active_sessions().await.expect("list");
    assert_eq!(left.sessions.len(), 1);
    assert!(left.sessions[0].is_current);
}

/// Unblocking and the privacy reads and writes through the typed API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_block_and_privacy_commands() {
    let f = fixture().await;
    f.client
        .block_user(f.friend, true, BlockList::Main)
        .await
        .expect("block");
    assert_eq!(
        f.client
            .get_blocked_users(BlockList::Main, 0, 10)
            .await
            .expect("list")
            .total_count,
        1
    );
    let ok = f.client.unblock_user(f.friend).await.expect("typed");
    assert_eq!(
        serde_json::to_value(&ok).expect("json"),
        json!({"@type": "ok"})
    );
    assert_eq!(
        f.client
            .get_blocked_users(BlockList::Main, 0, 10)
            .await
            .expect("list")
            .total_count,
        0
    );

    let all = f
        .client
        .get_privacy_settings(&PrivacySetting::all())
        .await
        .expect("typed");
    assert!(all.failed.is_empty(), "{:?}", all.failed);
    assert_eq!(all.settings.len(), 12);
    assert_eq!(all.settings[0].setting, "userPrivacySettingShowStatus");
    assert_eq!(all.settings[11].setting, "newChatPrivacySettings");

    let PrivacyValue::NewChats(saved) = f.client.set_new_chat_privacy(false).await.expect("typed")
    else {
        panic!("newChatPrivacySettings expected");
    };
    assert!(!saved.allow_new_chats_from_unknown_users);
    let PrivacyValue::NewChats(read) = f
        .client
        .get_privacy_setting(&PrivacySetting::NewChats)
        .await
        .expect("read back")
    else {
        panic!("newChatPrivacySettings expected");
    };
    assert!(!read.allow_new_chats_from_unknown_users);

    f.invalid_typed(
        f.client
            .set_privacy_rules(&PrivacySetting::NewChats, vec![]),
        "unsupported privacy setting",
    )
    .await;
    f.invalid_typed(
        async { PrivacySetting::parse(&json!("userPrivacySettingShowMood")) },
        "unsupported privacy setting",
    )
    .await;
}
