//! JSON conformance, byte for byte: a fixed set of request lines (every
//! command's success path, its validation errors, wrong types, bad
//! envelopes) is replayed through the dispatcher against a fresh fake DC,
//! and each event is compared with the one recorded in
//! `tests/replay/events.jsonl`.
//!
//! The recording was made before the command layer was reshaped (Commands
//! v2), so this test is what proves that the reshaping changed nothing a
//! backend can see. Deliberate changes (TDLib's wording, TDLib's
//! truncation) are listed in [`DELIBERATE_CHANGES`], each with its reason;
//! every other line must match exactly.
//!
//! Values that differ from run to run (clocks, temp paths) are masked
//! under the keys in [`VOLATILE`] before comparing, in the event's text, so
//! key order and everything else is compared byte for byte. Ids are deterministic: the fake DC numbers users from
//! 1000000001 and groups from 1.
//!
//! Re-record (only when a change to the JSON is intended, and say so in the
//! commit): `TGCMD_RECORD_REPLAY=1 cargo test --test commands_replay`.

mod support;

use support::commands::CommandBed;

/// Keys whose values change between runs; masked as `"<volatile>"`.
const VOLATILE: &[&str] = &[
    "synced_at",
    "store_path",
    "photo_path",
    "log_in_date",
    "last_active_date",
];

/// Request lines whose event is meant to differ from the recording:
/// (request template, why, the event expected now).
const DELIBERATE_CHANGES: &[(&str, &str, &str)] = &[
    (
        r#"{"action": "get_user", "userbot_id": 1, "user_id": 424242}"#,
        "TDLib's wording: `User not found`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"get_user_error","error":"User not found"}}"#,
    ),
    (
        r#"{"action": "get_chat_profile", "userbot_id": 1, "chat_id": "-100$CHANNEL"}"#,
        "TDLib's wording: `Chat not found`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"get_chat_profile_error","error":"Chat not found"}}"#,
    ),
    (
        r#"{"action": "get_chat_profile", "userbot_id": 1, "chat_id": -1000000000777}"#,
        "TDLib's wording: `Chat not found`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"get_chat_profile_error","error":"Chat not found"}}"#,
    ),
    (
        r#"{"action": "create_private_chat", "userbot_id": 1, "user_id": 424242}"#,
        "TDLib's wording: `User not found`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"create_private_chat_error","error":"User not found"}}"#,
    ),
    (
        r#"{"action": "block_user", "userbot_id": 1, "user_id": 424242}"#,
        "TDLib's wording: `User not found`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"block_user_error","error":"User not found"}}"#,
    ),
    (
        r#"{"action": "unblock_user", "userbot_id": 1, "user_id": 424242}"#,
        "TDLib's wording: `User not found`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"unblock_user_error","error":"User not found"}}"#,
    ),
    (
        r#"{"action": "get_user", "userbot_id": 1, "user_id": -5}"#,
        "TDLib's wording: `User not found`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"get_user_error","error":"User not found"}}"#,
    ),
    (
        r#"{"action": "get_user", "userbot_id": 1, "user_id": 0}"#,
        "TDLib's wording: `User not found`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"get_user_error","error":"User not found"}}"#,
    ),
    (
        r#"{"action": "set_username", "userbot_id": 1, "username": "abc"}"#,
        "TDLib's wording: every broken username rule is `Username is invalid`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"set_username_error","error":"Username is invalid"}}"#,
    ),
    (
        r#"{"action": "set_username", "userbot_id": 1, "username": "1abcdef"}"#,
        "TDLib's wording: every broken username rule is `Username is invalid`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"set_username_error","error":"Username is invalid"}}"#,
    ),
    (
        r#"{"action": "set_username", "userbot_id": 1, "username": "abc-def"}"#,
        "TDLib's wording: every broken username rule is `Username is invalid`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"set_username_error","error":"Username is invalid"}}"#,
    ),
    (
        r#"{"action": "set_username", "userbot_id": 1, "username": "abcdef_"}"#,
        "TDLib's wording: every broken username rule is `Username is invalid`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"set_username_error","error":"Username is invalid"}}"#,
    ),
    (
        r#"{"action": "set_username", "userbot_id": 1, "username": "abc__def"}"#,
        "TDLib's wording: every broken username rule is `Username is invalid`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"set_username_error","error":"Username is invalid"}}"#,
    ),
    (
        r#"{"action": "search_user", "userbot_id": 1, "query": "@@friend_user"}"#,
        "TDLib drops one leading `@`, not every `@`; `@friend_user` is then not a valid username",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"search_user_error","error":"USERNAME_INVALID"}}"#,
    ),
    (
        r#"{"action": "create_private_chat", "userbot_id": 1, "user_id": -5, "force": true}"#,
        "TDLib's wording: `User not found`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"create_private_chat_error","error":"User not found"}}"#,
    ),
    (
        r#"{"action": "create_private_chat", "userbot_id": 1, "user_id": 424242, "force": true}"#,
        "TDLib fails `force` for a user it never met with `Chat info not found`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"create_private_chat_error","error":"Chat info not found"}}"#,
    ),
    (
        r#"{"action": "create_supergroup_chat", "userbot_id": 1, "title": "$TITLE129"}"#,
        "TDLib cleans the title and cuts it to 128 characters instead of failing (hardening)",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"create_supergroup_chat","result":{"@type":"chat","has_protected_content":false,"id":-1001800000004,"message_auto_delete_time":0,"permissions":{"@type":"chatPermissions","can_add_link_previews":true,"can_change_info":false,"can_create_topics":false,"can_invite_users":true,"can_pin_messages":false,"can_send_audios":true,"can_send_basic_messages":true,"can_send_documents":true,"can_send_other_messages":true,"can_send_photos":true,"can_send_polls":true,"can_send_video_notes":true,"can_send_videos":true,"can_send_voice_notes":true},"photo":null,"title":"tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt","type":{"@type":"chatTypeSupergroup","is_channel":false,"supergroup_id":1800000004}}}}"#,
    ),
    (
        r#"{"action": "create_supergroup_chat", "userbot_id": 1, "title": "T", "description": "$ABOUT256"}"#,
        "TDLib cuts the description to 255 characters instead of failing (hardening)",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"create_supergroup_chat","result":{"@type":"chat","has_protected_content":false,"id":-1001800000005,"message_auto_delete_time":0,"permissions":{"@type":"chatPermissions","can_add_link_previews":true,"can_change_info":false,"can_create_topics":false,"can_invite_users":true,"can_pin_messages":false,"can_send_audios":true,"can_send_basic_messages":true,"can_send_documents":true,"can_send_other_messages":true,"can_send_photos":true,"can_send_polls":true,"can_send_video_notes":true,"can_send_videos":true,"can_send_voice_notes":true},"photo":null,"title":"T","type":{"@type":"chatTypeSupergroup","is_channel":false,"supergroup_id":1800000005}}}}"#,
    ),
    (
        r#"{"action": "block_user", "userbot_id": 1, "user_id": $SELF}"#,
        "TDLib's wording: `Can't block self`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"block_user_error","error":"Can't block self"}}"#,
    ),
    (
        r#"{"action": "get_blocked_users", "userbot_id": 1, "offset": -1}"#,
        "TDLib's wording: `Parameter offset must be non-negative`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"get_blocked_users_error","error":"Parameter offset must be non-negative"}}"#,
    ),
    (
        r#"{"action": "get_blocked_users", "userbot_id": 1, "limit": 0}"#,
        "TDLib's wording: `Parameter limit must be positive`",
        r#"{"type":"chat_update","userbot_id":1,"payload":{"userbot_id":1,"type":"get_blocked_users_error","error":"Parameter limit must be positive"}}"#,
    ),
];

/// The requests, in order. `$FRIEND`, `$GROUP`, `$CHANNEL` and `$SELF` are
/// replaced with the ids of the fixture's world.
const REQUESTS: &[&str] = &[
    // Envelopes and bad input.
    r#"{not json"#,
    r#"[1, 2]"#,
    r#""just a string""#,
    r#"{"userbot_id": 1}"#,
    r#"{"action": "", "userbot_id": 1}"#,
    r#"{"action": 5, "userbot_id": 1}"#,
    r#"{"action": "set_bio", "bio": "x"}"#,
    r#"{"action": "set_bio", "userbot_id": "abc"}"#,
    r#"{"action": "set_bio", "userbot_id": 1.5}"#,
    r#"{"action": "fly_to_moon", "userbot_id": 1}"#,
    r#"{"action": "set_bio", "userbot_id": 7, "bio": "x"}"#,
    r#"{"action": "set_bio", "userbot_id": 1, "bio": 5}"#,
    r#"{"action": "set_bio", "userbot_id": 1, "bio": ["a"]}"#,
    r#"{"action": "set_bio", "userbot_id": 1, "bio": null}"#,
    r#"{"action": "set_bio", "userbot_id": "1"}"#,
    // Profile.
    r#"{"action": "refresh_self_profile", "userbot_id": 1}"#,
    r#"{"action": "refresh_self_profile", "userbot_id": 1, "extra": [1, 2, 3]}"#,
    r#"{"action": "get_user", "userbot_id": 1, "user_id": $FRIEND}"#,
    r#"{"action": "get_user", "userbot_id": 1, "user_id": "$FRIEND"}"#,
    r#"{"action": "get_user", "userbot_id": 1}"#,
    r#"{"action": "get_user", "userbot_id": 1, "user_id": null}"#,
    r#"{"action": "get_user", "userbot_id": 1, "user_id": "abc"}"#,
    r#"{"action": "get_user", "userbot_id": 1, "user_id": true}"#,
    r#"{"action": "get_user", "userbot_id": 1, "user_id": -5}"#,
    r#"{"action": "get_user", "userbot_id": 1, "user_id": 0}"#,
    r#"{"action": "get_user", "userbot_id": 1, "user_id": 424242}"#,
    r#"{"action": "set_name", "userbot_id": 1, "first_name": "Ihor", "last_name": "Petrenko"}"#,
    r#"{"action": "set_name", "userbot_id": 1, "first_name": "Ihor"}"#,
    r#"{"action": "set_name", "userbot_id": 1, "first_name": "Ihor", "last_name": ""}"#,
    r#"{"action": "set_name", "userbot_id": 1}"#,
    r#"{"action": "set_name", "userbot_id": 1, "last_name": "X", "full_name": "A X"}"#,
    r#"{"action": "set_name", "userbot_id": 1, "first_name": "   "}"#,
    r#"{"action": "set_name", "userbot_id": 1, "first_name": null}"#,
    r#"{"action": "set_name", "userbot_id": 1, "first_name": 7}"#,
    r#"{"action": "set_bio", "userbot_id": 1, "bio": "Backend engineer"}"#,
    r#"{"action": "set_bio", "userbot_id": 1, "bio": ""}"#,
    r#"{"action": "set_bio", "userbot_id": 1}"#,
    r#"{"action": "set_username", "userbot_id": 1, "username": " @Ihor_P "}"#,
    r#"{"action": "set_username", "userbot_id": 1, "username": "Ihor_P"}"#,
    r#"{"action": "set_username", "userbot_id": 1, "username": ""}"#,
    r#"{"action": "set_username", "userbot_id": 1}"#,
    r#"{"action": "set_username", "userbot_id": 1, "username": "abc"}"#,
    r#"{"action": "set_username", "userbot_id": 1, "username": "1abcdef"}"#,
    r#"{"action": "set_username", "userbot_id": 1, "username": "abc-def"}"#,
    r#"{"action": "set_username", "userbot_id": 1, "username": "abcdef_"}"#,
    r#"{"action": "set_username", "userbot_id": 1, "username": "abc__def"}"#,
    r#"{"action": "set_username", "userbot_id": 1, "username": "Friend_User"}"#,
    r#"{"action": "set_username", "userbot_id": 1, "username": 12345}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1, "day": 30, "month": 3, "year": 1994}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1, "birthdate": {"@type": "birthdate", "day": 30, "month": 3}}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1, "day": "5", "month": "5"}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1, "clear": true, "day": 1, "month": 1}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1, "birthdate": null}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1, "birthdate_provided": true}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1, "day": 5}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1, "birthdate": 5}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1, "day": 32, "month": 1}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1, "day": 1, "month": 13}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1, "day": 1, "month": 1, "year": -1}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1, "day": 1, "month": 1, "year": 99999999999}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1, "day": "x", "month": 1}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1, "day": 31, "month": 4}"#,
    r#"{"action": "set_birthdate", "userbot_id": 1, "clear": "yes"}"#,
    r#"{"action": "get_chat_profile", "userbot_id": 1, "chat_id": $FRIEND}"#,
    r#"{"action": "get_chat_profile", "userbot_id": 1, "chat_id": -$GROUP}"#,
    r#"{"action": "get_chat_profile", "userbot_id": 1, "chat_id": "-100$CHANNEL"}"#,
    r#"{"action": "get_chat_profile", "userbot_id": 1}"#,
    r#"{"action": "get_chat_profile", "userbot_id": 1, "chat_id": true}"#,
    r#"{"action": "get_chat_profile", "userbot_id": 1, "chat_id": 0}"#,
    r#"{"action": "get_chat_profile", "userbot_id": 1, "chat_id": -1000000000777}"#,
    r#"{"action": "get_chat_profile", "userbot_id": 1, "chat_id": -999}"#,
    // Bootstrap.
    r#"{"action": "search_user", "userbot_id": 1, "query": " @FRIEND_USER "}"#,
    r#"{"action": "search_user", "userbot_id": 1, "query": "product_news"}"#,
    r#"{"action": "search_user", "userbot_id": 1, "query": "@@friend_user"}"#,
    r#"{"action": "search_user", "userbot_id": 1}"#,
    r#"{"action": "search_user", "userbot_id": 1, "query": ""}"#,
    r#"{"action": "search_user", "userbot_id": 1, "query": "nobody_here"}"#,
    r#"{"action": "search_user", "userbot_id": 1, "query": "bad-name!"}"#,
    r#"{"action": "search_user", "userbot_id": 1, "query": 5}"#,
    r#"{"action": "create_private_chat", "userbot_id": 1, "user_id": $FRIEND}"#,
    r#"{"action": "create_private_chat", "userbot_id": 1, "user_id": $FRIEND, "force": true}"#,
    r#"{"action": "create_private_chat", "userbot_id": 1}"#,
    r#"{"action": "create_private_chat", "userbot_id": 1, "user_id": null, "force": true}"#,
    r#"{"action": "create_private_chat", "userbot_id": 1, "user_id": [1]}"#,
    r#"{"action": "create_private_chat", "userbot_id": 1, "user_id": -5, "force": true}"#,
    r#"{"action": "create_private_chat", "userbot_id": 1, "user_id": 424242}"#,
    r#"{"action": "create_private_chat", "userbot_id": 1, "user_id": 424242, "force": true}"#,
    r#"{"action": "create_private_chat", "userbot_id": 1, "user_id": $FRIEND, "force": "no"}"#,
    r#"{"action": "create_supergroup_chat", "userbot_id": 1, "title": "Team", "is_channel": false, "description": "Work"}"#,
    r#"{"action": "create_supergroup_chat", "userbot_id": 1, "title": "News", "is_channel": true}"#,
    r#"{"action": "create_supergroup_chat", "userbot_id": 1}"#,
    r#"{"action": "create_supergroup_chat", "userbot_id": 1, "title": "   ", "is_channel": true}"#,
    r#"{"action": "create_supergroup_chat", "userbot_id": 1, "title": "$TITLE129"}"#,
    r#"{"action": "create_supergroup_chat", "userbot_id": 1, "title": "T", "description": "$ABOUT256"}"#,
    r#"{"action": "create_supergroup_chat", "userbot_id": 1, "title": "T", "description": 7}"#,
    r#"{"action": "create_supergroup_chat", "userbot_id": 1, "title": "T", "is_channel": "yes"}"#,
    r#"{"action": "import_contacts", "userbot_id": 1, "phone": "+15550001111", "first_name": "A", "last_name": "B"}"#,
    r#"{"action": "import_contacts", "userbot_id": 1, "phone": "+15557654321", "first_name": "Friend"}"#,
    r#"{"action": "import_contacts", "userbot_id": 1, "phone": "+15550008888"}"#,
    r#"{"action": "import_contacts", "userbot_id": 1, "first_name": "X"}"#,
    r#"{"action": "import_contacts", "userbot_id": 1, "phone": ""}"#,
    r#"{"action": "import_contacts", "userbot_id": 1, "phone": "   "}"#,
    r#"{"action": "import_contacts", "userbot_id": 1, "phone": "+1555", "contact_user_id": "x"}"#,
    r#"{"action": "import_contacts", "userbot_id": 1, "phone": 15551234567}"#,
    // Sessions.
    r#"{"action": "get_active_sessions", "userbot_id": 1}"#,
    r#"{"action": "terminate_session", "userbot_id": 1}"#,
    r#"{"action": "terminate_session", "userbot_id": 1, "session_id": 12345}"#,
    r#"{"action": "terminate_session", "userbot_id": 1, "session_id": "x"}"#,
    r#"{"action": "set_session_settings", "userbot_id": 1, "can_accept_calls": true}"#,
    r#"{"action": "set_session_settings", "userbot_id": 1, "session_id": 5}"#,
    r#"{"action": "set_session_settings", "userbot_id": 1, "session_id": 12345, "can_accept_calls": false}"#,
    r#"{"action": "set_session_settings", "userbot_id": 1, "session_id": 12345, "can_accept_calls": "no"}"#,
    r#"{"action": "terminate_all_other_sessions", "userbot_id": 1}"#,
    // Blocking.
    r#"{"action": "block_user", "userbot_id": 1}"#,
    r#"{"action": "block_user", "userbot_id": 1, "user_id": $FRIEND, "block_list": "blockListNope"}"#,
    r#"{"action": "block_user", "userbot_id": 1, "user_id": $FRIEND, "block_list": 7}"#,
    r#"{"action": "block_user", "userbot_id": 1, "user_id": $SELF}"#,
    r#"{"action": "block_user", "userbot_id": 1, "user_id": "$FRIEND"}"#,
    r#"{"action": "block_user", "userbot_id": 1, "user_id": $FRIEND, "block_list": "blockListStories"}"#,
    r#"{"action": "block_user", "userbot_id": 1, "user_id": 424242}"#,
    r#"{"action": "get_blocked_users", "userbot_id": 1}"#,
    r#"{"action": "get_blocked_users", "userbot_id": 1, "block_list": "blockListStories"}"#,
    r#"{"action": "get_blocked_users", "userbot_id": 1, "block_list": "blockListNope"}"#,
    r#"{"action": "get_blocked_users", "userbot_id": 1, "offset": -1}"#,
    r#"{"action": "get_blocked_users", "userbot_id": 1, "limit": 0}"#,
    r#"{"action": "get_blocked_users", "userbot_id": 1, "offset": 0, "limit": 1}"#,
    r#"{"action": "block_user", "userbot_id": 1, "user_id": $FRIEND, "is_blocked": false}"#,
    r#"{"action": "unblock_user", "userbot_id": 1}"#,
    r#"{"action": "unblock_user", "userbot_id": 1, "user_id": $FRIEND}"#,
    r#"{"action": "unblock_user", "userbot_id": 1, "user_id": 424242}"#,
    // Privacy.
    r#"{"action": "get_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingShowStatus"}"#,
    r#"{"action": "get_privacy_setting", "userbot_id": 1, "setting": {"@type": "userPrivacySettingShowBio"}}"#,
    r#"{"action": "get_privacy_setting", "userbot_id": 1, "setting": "newChatPrivacySettings"}"#,
    r#"{"action": "get_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingShowMood"}"#,
    r#"{"action": "get_privacy_setting", "userbot_id": 1}"#,
    r#"{"action": "get_privacy_setting", "userbot_id": 1, "setting": 5}"#,
    r#"{"action": "get_privacy_settings", "userbot_id": 1}"#,
    r#"{"action": "get_privacy_settings", "userbot_id": 1, "settings": ["userPrivacySettingShowBio", "userPrivacySettingShowPhoneNumber"]}"#,
    r#"{"action": "get_privacy_settings", "userbot_id": 1, "settings": 5}"#,
    r#"{"action": "get_privacy_settings", "userbot_id": 1, "settings": "userPrivacySettingShowBio"}"#,
    r#"{"action": "get_privacy_settings", "userbot_id": 1, "settings": ["userPrivacySettingNope"]}"#,
    r#"{"action": "set_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingShowBio", "mode": "contacts"}"#,
    r#"{"action": "set_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingShowStatus", "mode": "nobody"}"#,
    r#"{"action": "set_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingShowBio", "rules": {"@type": "userPrivacySettingRules", "rules": [{"@type": "userPrivacySettingRuleAllowAll"}]}}"#,
    r#"{"action": "set_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingShowBio", "mode": "everyone", "allow_user_ids": [$FRIEND]}"#,
    r#"{"action": "set_privacy_setting", "userbot_id": 1, "setting": "newChatPrivacySettings", "allow_new_chats_from_unknown_users": false}"#,
    r#"{"action": "set_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingShowBio"}"#,
    r#"{"action": "set_privacy_setting", "userbot_id": 1, "mode": "contacts"}"#,
    r#"{"action": "set_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingShowBio", "mode": "sometimes"}"#,
    r#"{"action": "set_privacy_setting", "userbot_id": 1, "setting": "userPrivacySettingNope", "mode": "contacts"}"#,
];

/// The world the requests run in: the self user, a friend with a username
/// and phone, a basic group the account is in, and a public channel.
struct World {
    bed: CommandBed,
    group: i64,
    channel: i64,
}

async fn world() -> World {
    let dc = support::fake_dc().await;
    let client = support::commands::client_with_data_dir(&dc, "commands_replay").await;
    let friend = fakedc::User {
        first_name: "Friend".into(),
        last_name: "Person".into(),
        username: Some("friend_user".into()),
        phone: Some("15557654321".into()),
        about: Some("Friendly".into()),
        ..fakedc::User::default()
    };
    let bed = CommandBed::new(dc, client, friend).await;
    let me = bed.dc.user_id();
    let group = bed.dc.add_basic_group(fakedc::world::BasicGroup {
        title: "Family".into(),
        about: "Just us".into(),
        creator: bed.friend,
        members: vec![fakedc::world::GroupMember {
            user_id: me,
            inviter_id: bed.friend,
            date: 1_700_000_000,
            admin: false,
        }],
        ..Default::default()
    });
    let channel = bed.dc.add_channel(fakedc::world::Channel {
        title: "Product News".into(),
        about: "Releases".into(),
        username: Some("product_news".into()),
        broadcast: true,
        creator: bed.friend,
        ..Default::default()
    });
    World {
        bed,
        group,
        channel,
    }
}

impl World {
    fn line(&self, template: &str) -> String {
        template
            .replace("$FRIEND", &self.bed.friend.to_string())
            .replace("$SELF", &self.bed.dc.user_id().to_string())
            .replace("$GROUP", &self.group.to_string())
            .replace(
                "-100$CHANNEL",
                &(-1_000_000_000_000 - self.channel).to_string(),
            )
            .replace("$TITLE129", &"t".repeat(129))
            .replace("$ABOUT256", &"a".repeat(256))
    }
}

/// Masks the values that change between runs, in the event's own text, so
/// that everything else (key order included) is compared byte for byte.
fn normalized(event_json: &str) -> String {
    let mut out = String::with_capacity(event_json.len());
    let mut rest = event_json;
    while let Some((at, key_len)) = next_volatile_key(rest) {
        out.push_str(&rest[..at + key_len]);
        rest = &rest[at + key_len..];
        let value_len = scalar_len(rest);
        if rest.starts_with("null") {
            out.push_str("null");
        } else {
            out.push_str("\"<volatile>\"");
        }
        rest = &rest[value_len..];
    }
    out.push_str(rest);
    out
}

/// The first `"key":` of [`VOLATILE`] in `text`: (where, its length).
fn next_volatile_key(text: &str) -> Option<(usize, usize)> {
    VOLATILE
        .iter()
        .filter_map(|key| {
            let pattern = format!("\"{key}\":");
            text.find(&pattern).map(|at| (at, pattern.len()))
        })
        .min()
}

/// The length of the JSON scalar (number, string, literal) at the start of
/// `text`.
fn scalar_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    if bytes.first() == Some(&b'"') {
        let mut i = 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => return i + 1,
                _ => i += 1,
            }
        }
        return bytes.len();
    }
    text.find([',', '}', ']']).unwrap_or(text.len())
}

fn fixture_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/replay/events.jsonl")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatcher_events_match_the_recording() {
    let world = world().await;
    let mut events = Vec::with_capacity(REQUESTS.len());
    for template in REQUESTS {
        let event = world
            .bed
            .dispatcher
            .dispatch_line(&world.line(template))
            .await;
        events.push(normalized(&event.to_json()));
    }
    if std::env::var_os("TGCMD_RECORD_REPLAY").is_some() {
        let path = fixture_path();
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&path, events.join("\n") + "\n").expect("writes the recording");
        return;
    }
    let recorded = std::fs::read_to_string(fixture_path()).expect("the recording exists");
    let recorded: Vec<&str> = recorded.lines().collect();
    assert_eq!(
        recorded.len(),
        REQUESTS.len(),
        "the recording has one event per request"
    );
    let mut differences = Vec::new();
    for ((template, now), before) in REQUESTS.iter().zip(&events).zip(&recorded) {
        let expected = DELIBERATE_CHANGES
            .iter()
            .find(|(request, _, _)| request == template)
            .map_or(*before, |(_, _, event)| *event);
        if now != expected {
            differences.push(format!(
                "request {template}\n  recorded {expected}\n  now      {now}"
            ));
        }
    }
    // Every listed change names a replayed request and really changes it.
    for (template, why, event) in DELIBERATE_CHANGES {
        let index = REQUESTS
            .iter()
            .position(|request| request == template)
            .unwrap_or_else(|| panic!("a listed change names no request: {template}"));
        assert_ne!(recorded[index], *event, "not a change ({why}): {template}");
    }
    assert!(
        differences.is_empty(),
        "{} of {} events changed:\n{}",
        differences.len(),
        REQUESTS.len(),
        differences.join("\n")
    );
}
