//! The registry against the spec: every command the command specs list is
//! implemented, and random JSON never makes the dispatcher panic or answer
//! with a malformed event.

mod support;

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use tgcmd::commands::{AccountPool, Dispatcher, Event, INVALID_REQUEST_ACTION, Registry};

/// The command lists of the two spec files, for when `shared/spec` is not
/// beside the repository.
const SPEC_COMMANDS: &[(&str, &[&str])] = &[
    (
        "commands-profile-bootstrap.txt",
        &[
            "refresh_self_profile",
            "get_user",
            "set_name",
            "set_bio",
            "set_username",
            "set_birthdate",
            "get_chat_profile",
            "search_user",
            "create_private_chat",
            "create_supergroup_chat",
            "import_contacts",
        ],
    ),
    (
        "commands-sessions-privacy.txt",
        &[
            "get_active_sessions",
            "terminate_session",
            "set_session_settings",
            "terminate_all_other_sessions",
            "block_user",
            "unblock_user",
            "get_blocked_users",
            "get_privacy_setting",
            "get_privacy_settings",
            "set_privacy_setting",
        ],
    ),
];

/// The commands a spec file lists (`Command: <name>` headings), checked
/// against its `Registered commands: N` line.
fn parse_spec(text: &str) -> Vec<String> {
    let commands: Vec<String> = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Command: "))
        .map(|name| name.trim().to_string())
        .collect();
    let registered = text.lines().find_map(|line| {
        line.trim()
            .trim_start_matches(['•', ' '])
            .strip_prefix("Registered commands: ")
            .and_then(|n| n.trim().parse::<usize>().ok())
    });
    if let Some(count) = registered {
        assert_eq!(commands.len(), count, "the spec's own count");
    }
    commands
}

/// The spec's commands by file: parsed from `shared/spec` beside the
/// repository, or the snapshot above when it is not there.
fn spec_commands() -> Vec<(String, Vec<String>)> {
    let spec_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/spec");
    SPEC_COMMANDS
        .iter()
        .map(|(file, fallback)| {
            let commands = match std::fs::read_to_string(spec_dir.join(file)) {
                Ok(text) => {
                    let parsed = parse_spec(&text);
                    assert!(!parsed.is_empty(), "{file} lists no commands");
                    parsed
                }
                Err(_) => fallback.iter().map(|s| s.to_string()).collect(),
            };
            (file.to_string(), commands)
        })
        .collect()
}

/// Whether `action` is one of tg-cli's functions, named as the bindings
/// spec names it (`peer.send_msg` → `send_msg`) and found in that spec
/// when it is beside the repository.
fn is_tg_cli_function(registry: &Registry, action: &str) -> bool {
    let Some(info) = registry.get(action) else {
        return false;
    };
    if info.spec.file != "tg-cli-python-bindings.txt" {
        return false;
    }
    let (object, name) = info
        .spec
        .section
        .split_once('.')
        .expect("tg-cli sections are object.function");
    assert!(
        ["tgl", "peer", "msg"].contains(&object),
        "{action}: {object}"
    );
    assert_eq!(name, action, "the action is the tg-cli name");
    let spec =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/spec/tg-cli-python-bindings.txt");
    if let Ok(text) = std::fs::read_to_string(spec) {
        let written = text.contains(&format!("{object}.{name} ("))
            || text.contains(&format!("{object}.{name}("));
        assert!(
            written,
            "{action}: {object}.{name} is not in the bindings spec"
        );
    }
    true
}

#[test]
fn the_registry_and_the_spec_list_the_same_commands() {
    let registry = Registry::new();
    let spec = spec_commands();
    let mut missing = Vec::new();
    for (file, commands) in &spec {
        for command in commands {
            match registry.get(command) {
                None => missing.push(format!("{command} ({file})")),
                Some(info) => {
                    assert_eq!(
                        &info.spec.file, file,
                        "{command}: its SpecRef names another file"
                    );
                    assert_eq!(info.spec.section, format!("Command: {command}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "in the spec, not registered: {missing:?}"
    );
    let unspecified: Vec<_> = registry
        .actions()
        .into_iter()
        .filter(|action| {
            !spec
                .iter()
                .any(|(_, commands)| commands.iter().any(|c| c == action))
                && !is_tg_cli_function(&registry, action)
        })
        .collect();
    assert!(
        unspecified.is_empty(),
        "registered, not in the spec: {unspecified:?}"
    );
}

/// Every command's sample is valid, uses only fields of its JSON form, and
/// the metadata is filled in.
#[test]
fn every_command_describes_itself() {
    for info in Registry::new().commands() {
        let sample = (info.sample)();
        let fields = sample.as_object().expect("samples are objects");
        for field in fields.keys() {
            assert!(
                info.fields.contains(&field.as_str()),
                "{}: sample field {field}",
                info.action
            );
        }
        let sample = with_ids(sample, 1_000_000_002);
        assert!(
            info.validate_json(sample.clone()).is_ok(),
            "{}: its sample {sample} is invalid",
            info.action
        );
        assert!(!info.first_method.name.is_empty(), "{}", info.action);
        // Only restore_msg sends nothing (Telegram removed its method).
        assert_eq!(
            info.first_method.is_nothing(),
            info.action == "restore_msg",
            "{}",
            info.action
        );
    }
}

/// `$FRIEND` in a sample replaced with `friend`.
fn with_ids(sample: Value, friend: i64) -> Value {
    let text = sample
        .to_string()
        .replace("\"$FRIEND\"", &friend.to_string());
    serde_json::from_str(&text).expect("still JSON")
}

/// Validation is pure: thousands of generated requests per command, no
/// server. It never panics, and what it refuses is a validation error
/// (nothing would be sent) with a message.
#[test]
fn validation_is_pure_and_total() {
    let registry = Registry::new();
    let known_ids = vec![1_000_000_002, 1_000_000_001, 0, -1];
    let mut runner = TestRunner::new(Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(2000),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        prop::sample::select(registry.actions()),
        input(registry.actions(), known_ids),
    );
    let result = runner.run(&strategy, |(action, input)| {
        let Input::Json(mut payload) = input else {
            return Ok(());
        };
        if let Value::Object(object) = &mut payload {
            object.remove("action");
            object.remove("userbot_id");
        }
        let info = registry.get(action).expect("registered");
        if let Err(error) = info.validate_json(payload.clone()) {
            prop_assert!(error.is_invalid(), "{action} {payload}: {error:?}");
            prop_assert!(!error.message().is_empty());
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

// ---------------------------------------------------------------------------
// Random JSON through the dispatcher

/// Every request field any command reads (from the registry), so random
/// requests often hit a real field with a wrong (or right) type.
fn all_fields() -> Vec<&'static str> {
    let mut fields: Vec<&'static str> = Registry::new()
        .commands()
        .iter()
        .flat_map(|info| info.fields.iter().copied())
        .chain(["@type"])
        .collect();
    fields.sort_unstable();
    fields.dedup();
    fields
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-40i64..40).prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        "[a-zA-Z0-9_@. +-]{0,40}".prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        (1i64..10_000_000_000).prop_map(|n| Value::from(n.to_string())),
        prop::sample::select(vec![
            "current",
            "all",
            "contacts",
            "nobody",
            "blockListMain",
            "blockListStories",
            "userPrivacySettingShowBio",
            "newChatPrivacySettings",
            "",
        ])
        .prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    prop::sample::select(vec!["@type", "day", "month", "year", "user_ids"])
                        .prop_map(String::from),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..4
            )
            .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// What the dispatcher is fed: a request object, any JSON value, or a line
/// of text.
#[derive(Debug, Clone)]
enum Input {
    Json(Value),
    Line(String),
}

/// The fields `action` reads (from the registry); random requests for a
/// command mostly use these, so they get past "is required" and reach
/// Telegram's rules too.
fn fields_of(action: &str) -> Vec<&'static str> {
    match Registry::new().get(action) {
        Some(info) => info.fields.to_vec(),
        None => all_fields(),
    }
}

/// A value of the type `field` wants (most of the time) or anything.
fn field_value(field: &str, known_ids: &[i64]) -> BoxedStrategy<Value> {
    let ids = known_ids.to_vec();
    let typed: BoxedStrategy<Value> = match field {
        "user_id" | "chat_id" | "session_id" | "contact_user_id" => prop_oneof![
            3 => prop::sample::select(ids).prop_map(Value::from),
            1 => any::<i64>().prop_map(|n| Value::from(n.to_string())),
        ]
        .boxed(),
        "day" | "month" | "year" | "offset" | "limit" => (-2i64..40).prop_map(Value::from).boxed(),
        "is_channel" | "force" | "clear" | "birthdate_provided" | "can_accept_calls"
        | "can_accept_secret_chats" | "is_blocked" | "allow_premium_users"
        | "allow_new_chats_from_unknown_users" => any::<bool>().prop_map(Value::from).boxed(),
        "allow_user_ids" | "restrict_user_ids" | "allow_chat_ids" | "restrict_chat_ids" => {
            prop::collection::vec(prop::sample::select(ids), 0..3)
                .prop_map(|ids| json!(ids))
                .boxed()
        }
        "birthdate" => (0i64..33, 0i64..14, prop::option::of(1800i64..2100))
            .prop_map(|(day, month, year)| json!({"@type": "birthdate", "day": day, "month": month, "year": year}))
            .boxed(),
        "setting" | "settings" | "block_list" | "mode" => prop::sample::select(vec![
            "userPrivacySettingShowBio",
            "userPrivacySettingShowStatus",
            "newChatPrivacySettings",
            "blockListMain",
            "blockListStories",
            "all",
            "contacts",
            "nobody",
        ])
        .prop_map(Value::from)
        .boxed(),
        "rules" => Just(json!([{"@type": "userPrivacySettingRuleAllowContacts"},
                               {"@type": "userPrivacySettingRuleRestrictAll"}]))
        .boxed(),
        _ => prop_oneof![
            3 => prop::sample::select(vec![
                "friend_user",
                "@friend_user",
                "+15557654321",
                "+15550001111",
                "Product Team",
                "Ihor",
                "ihor_p",
                "",
            ])
            .prop_map(Value::from),
            1 => "[a-zA-Z0-9_@. ]{0,40}".prop_map(Value::from),
        ]
        .boxed(),
    };
    prop_oneof![3 => typed, 1 => value()].boxed()
}

fn input(actions: Vec<&'static str>, known_ids: Vec<i64>) -> impl Strategy<Value = Input> {
    let friend = known_ids.first().copied().unwrap_or(0);
    let action = prop_oneof![
        8 => prop::sample::select(actions).prop_map(Value::from),
        1 => "[a-z_]{0,20}".prop_map(Value::from),
        1 => leaf(),
    ];
    let userbot_id = prop_oneof![
        6 => Just(Some(json!(1))),
        1 => Just(Some(json!("1"))),
        1 => Just(None),
        1 => leaf().prop_map(Some),
    ];
    let request = (
        prop::option::weighted(0.95, action),
        userbot_id,
        prop::collection::vec(
            prop_oneof![
                1 => prop::sample::select(all_fields()).prop_map(String::from),
                1 => "[a-z_]{1,10}",
            ],
            0..2,
        ),
        any::<prop::sample::Index>(),
    )
        .prop_flat_map(move |(action, userbot_id, extra, drop)| {
            let own = fields_of(action.as_ref().and_then(Value::as_str).unwrap_or_default());
            let mut names: Vec<String> = own.iter().map(|s| s.to_string()).collect();
            // Leave one field out now and then, to reach the "is required" paths.
            if !names.is_empty() && drop.index(4) == 0 {
                names.remove(drop.index(names.len()));
            }
            names.extend(extra);
            let values: Vec<_> = names
                .iter()
                .map(|name| field_value(name, &known_ids))
                .collect();
            (Just(action), Just(userbot_id), Just(names), values)
        })
        .prop_map(|(action, userbot_id, names, values)| {
            let mut object: serde_json::Map<String, Value> =
                names.into_iter().zip(values).collect();
            if let Some(action) = action {
                object.insert("action".into(), action);
            }
            if let Some(id) = userbot_id {
                object.insert("userbot_id".into(), id);
            }
            Input::Json(Value::Object(object))
        });
    prop_oneof![
        18 => request,
        1 => value().prop_map(Input::Json),
        1 => any::<String>().prop_map(Input::Line),
        4 => mutated_line(sample_lines(friend)),
    ]
}

/// Every command's sample request as a line, for account 1.
fn sample_lines(friend: i64) -> Vec<String> {
    Registry::new()
        .commands()
        .iter()
        .map(|info| {
            let mut sample = with_ids((info.sample)(), friend);
            if let Value::Object(object) = &mut sample {
                object.insert("action".into(), Value::from(info.action));
                object.insert("userbot_id".into(), Value::from(1));
            }
            sample.to_string()
        })
        .collect()
}

/// How a valid line is damaged.
#[derive(Debug, Clone)]
enum LineMutation {
    /// Cut off at this character.
    Truncate(prop::sample::Index),
    /// A character replaced.
    Replace(prop::sample::Index, char),
    /// JSON punctuation inserted.
    Insert(prop::sample::Index, String),
    /// A field (one of the command's, or any) given a huge string value,
    /// after the sample's own, so it wins.
    Huge(prop::sample::Index, usize),
    /// A field given an array nested this deep.
    Deep(prop::sample::Index, usize),
    /// The whole line repeated (two objects on one line).
    Doubled,
}

fn mutated_line(samples: Vec<String>) -> impl Strategy<Value = Input> {
    let mutation = prop_oneof![
        2 => any::<prop::sample::Index>().prop_map(LineMutation::Truncate),
        2 => (any::<prop::sample::Index>(), any::<char>())
            .prop_map(|(i, c)| LineMutation::Replace(i, c)),
        2 => (any::<prop::sample::Index>(), "[\\[\\]{}\",:0-9a-z\\\\ ]{1,4}")
            .prop_map(|(i, s)| LineMutation::Insert(i, s)),
        1 => (any::<prop::sample::Index>(), prop_oneof![Just(5000usize), Just(70_000), Just(1_100_000)])
            .prop_map(|(i, n)| LineMutation::Huge(i, n)),
        1 => (any::<prop::sample::Index>(), prop_oneof![Just(100usize), Just(129), Just(10_000)])
            .prop_map(|(i, n)| LineMutation::Deep(i, n)),
        1 => Just(LineMutation::Doubled),
    ];
    (prop::sample::select(samples), mutation).prop_map(|(line, mutation)| {
        let chars: Vec<char> = line.chars().collect();
        let fields = all_fields();
        let line = match mutation {
            LineMutation::Truncate(at) => chars[..at.index(chars.len())].iter().collect(),
            LineMutation::Replace(at, c) => {
                let mut chars = chars;
                let i = at.index(chars.len());
                chars[i] = c;
                chars.into_iter().collect()
            }
            LineMutation::Insert(at, text) => {
                let i = at.index(chars.len());
                let mut out: String = chars[..i].iter().collect();
                out.push_str(&text);
                out.extend(&chars[i..]);
                out
            }
            LineMutation::Huge(field, len) => {
                let field = fields[field.index(fields.len())];
                let body = line.trim_end_matches('}');
                format!("{body},\"{field}\":\"{}\"}}", "é".repeat(len / 2))
            }
            LineMutation::Deep(field, depth) => {
                let field = fields[field.index(fields.len())];
                let body = line.trim_end_matches('}');
                format!(
                    "{body},\"{field}\":{}{}}}",
                    "[".repeat(depth),
                    "]".repeat(depth)
                )
            }
            LineMutation::Doubled => format!("{line}{line}"),
        };
        Input::Line(line)
    })
}

/// The checks every event must pass, whatever went in.
fn check_event(input: &Input, event: &Event) -> Result<(), TestCaseError> {
    prop_assert_eq!(event.kind.as_str(), "chat_update");
    prop_assert_eq!(event.userbot_id, event.payload.userbot_id);
    match (&event.payload.result, &event.payload.error) {
        (Some(_), None) => {}
        (None, Some(error)) => {
            prop_assert!(!error.is_empty(), "empty error for {:?}", input);
            prop_assert!(event.payload.kind.ends_with("_error"), "{:?}", event);
        }
        other => prop_assert!(false, "result and error: {:?}", other),
    }
    // A line that is still JSON is handled as that JSON.
    let parsed = match input {
        Input::Json(value) => Some(value.clone()),
        Input::Line(line) => serde_json::from_str::<Value>(line).ok(),
    };
    if let Some(Value::Object(object)) = &parsed
        && let Some(Value::String(action)) = object.get("action")
        && !action.is_empty()
    {
        let kind = event.payload.kind.as_str();
        prop_assert!(
            kind == action || kind == format!("{action}_error"),
            "{} answered as {}",
            action,
            kind
        );
    } else {
        prop_assert_eq!(
            event.payload.kind.clone(),
            format!("{INVALID_REQUEST_ACTION}_error")
        );
    }
    let line = event.to_json();
    let back: Event =
        serde_json::from_str(&line).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, event);
    Ok(())
}

#[test]
fn random_json_never_breaks_the_dispatcher() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let data = std::env::temp_dir().join(format!("tgcmd-registry-test-{}", std::process::id()));
    let (dc, dispatcher, known_ids) = runtime.block_on(async {
        let dc = support::fake_dc().await;
        let client = support::builder(&dc)
            .data_dir(&data)
            .connect()
            .await
            .expect("connects");
        let friend = dc.add_user(fakedc::User {
            first_name: "Friend".into(),
            username: Some("friend_user".into()),
            phone: Some("15557654321".into()),
            ..fakedc::User::default()
        });
        support::commands::introduce_user(&dc, &client, friend).await;
        let accounts = AccountPool::new();
        accounts.insert(1, client);
        let known_ids = vec![friend, dc.user_id(), 0, -1];
        (dc, Dispatcher::new(accounts), known_ids)
    });
    let actions = Registry::new().actions();
    let mut runner = TestRunner::new(Config {
        // PROPTEST_CASES raises it for a longer soak.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(256),
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&input(actions, known_ids), |input| {
        let event = runtime.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(20), async {
                match &input {
                    Input::Json(value) => dispatcher.dispatch(value.clone()).await,
                    Input::Line(line) => dispatcher.dispatch_line(line).await,
                }
            })
            .await
        });
        let event = event.map_err(|_| TestCaseError::fail(format!("no answer to {input:?}")))?;
        check_event(&input, &event)
    });
    // Whatever came before, the account still answers.
    let alive = runtime.block_on(async {
        tokio::time::timeout(
            std::time::Duration::from_secs(20),
            dispatcher.dispatch(json!({"action": "get_active_sessions", "userbot_id": 1})),
        )
        .await
    });
    drop(dispatcher);
    drop(dc);
    let _ = std::fs::remove_dir_all(&data);
    if let Err(e) = result {
        panic!("{e}");
    }
    let alive = alive.expect("the account answers after the fuzzing");
    assert_eq!(alive.payload.kind, "get_active_sessions", "{alive:?}");
}
