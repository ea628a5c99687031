//! Groups and their administration (`commands::chats`) against the fake
//! DC: three tgcmd clients, A (userbot 1), B (2) and C (3), who know each
//! other. Each command's success with the fields and the fake DC's state
//! checked, in basic groups and supergroups; Telegram's errors by name;
//! privacy keeping a user out (`missing_invitees`, `USER_PRIVACY_RESTRICTED`);
//! invite links used, used up, revoked and needing approval; photos stored
//! as real files; and bad input with nothing sent.

mod support;

use fakedc::{FakeDc, PeerTarget};
use grammers_tl_types as tl;
use serde_json::{Value, json};
use support::commands::{CommandChecks, client_as, introduce, introduce_channel, request};
use tgcmd::Client;
use tgcmd::commands::chats::ChatLinkOptions;
use tgcmd::commands::{AccountPool, Dispatcher};

/// A small JPEG: the magic bytes and a body (the fake DC keeps bytes as
/// they are).
fn jpeg(seed: u8) -> Vec<u8> {
    let mut bytes = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
    ];
    bytes.extend((0..3000u32).map(|i| (i as u8).wrapping_mul(seed)));
    bytes
}

struct Three {
    dc: FakeDc,
    clients: Vec<Client>,
    ids: Vec<i64>,
    dispatcher: Dispatcher,
    dir: std::path::PathBuf,
}

impl Three {
    async fn start(test: &str) -> Self {
        let dc = FakeDc::start(fakedc::Config {
            users: 3,
            ..fakedc::Config::default()
        })
        .await
        .expect("the fake DC starts");
        let ids: Vec<i64> = dc.users().iter().map(|u| u.user_id).collect();
        let mut clients = Vec::new();
        for index in 0..3 {
            clients.push(client_as(&dc, index, test).await);
        }
        for (viewer, client) in clients.iter().enumerate() {
            for &target in &ids {
                if target != ids[viewer] {
                    introduce(&dc, client, ids[viewer], target).await;
                }
            }
        }
        let accounts = AccountPool::new();
        for (index, client) in clients.iter().enumerate() {
            accounts.insert(index as i64 + 1, client.clone());
        }
        let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("chats-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("test dir");
        Three {
            dc,
            clients,
            ids,
            dispatcher: Dispatcher::new(accounts),
            dir,
        }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        path.display().to_string()
    }

    /// A creates a basic group with B and C; its TDLib chat id.
    async fn group(&self, title: &str) -> i64 {
        let result = self
            .ok(request(
                1,
                "create_group_chat",
                json!({"peer_list": [self.ids[1], self.ids[2]], "name": title}),
            ))
            .await;
        result["chat"]["id"].as_i64().expect("id")
    }

    fn group_state(&self, chat_id: i64) -> fakedc::BasicGroup {
        self.dc
            .world()
            .lock()
            .chats
            .group(-chat_id)
            .cloned()
            .expect("the group exists")
    }

    fn members(&self, chat_id: i64) -> Vec<i64> {
        let mut members: Vec<i64> = self
            .group_state(chat_id)
            .members
            .iter()
            .map(|m| m.user_id)
            .collect();
        members.sort_unstable();
        members
    }

    /// User `index` lets nobody add them to groups, through
    /// `account.setPrivacy` as their own client would.
    async fn refuse_invites(&self, index: usize) {
        self.clients[index]
            .invoke(&tl::functions::account::SetPrivacy {
                key: tl::enums::InputPrivacyKey::ChatInvite,
                rules: vec![tl::enums::InputPrivacyRule::InputPrivacyValueDisallowAll],
            })
            .await
            .expect("privacy set");
    }

    /// The last message of `user`'s box in a dialog, on the wire.
    fn last_message(&self, user: i64, dialog: PeerTarget) -> tl::enums::Message {
        let state = self.dc.world().lock();
        let message = match dialog {
            PeerTarget::Channel(id) => state
                .mailboxes
                .channel_ref(id)
                .and_then(|b| b.messages.values().next_back().cloned()),
            _ => state.mailboxes.user_ref(user).and_then(|b| {
                b.messages
                    .values()
                    .rev()
                    .find(|m| m.dialog() == dialog)
                    .cloned()
            }),
        };
        message.expect("a message").view(user)
    }
}

impl CommandChecks for Three {
    fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }
    fn fake_dc(&self) -> &FakeDc {
        &self.dc
    }
}

/// A channel's bare id from its TDLib chat id.
fn bare_channel(chat_id: i64) -> i64 {
    -1_000_000_000_000 - chat_id
}

fn action_of(message: &tl::enums::Message) -> tl::enums::MessageAction {
    match message {
        tl::enums::Message::Service(s) => s.action.clone(),
        other => panic!("not a service message: {other:?}"),
    }
}

#[tokio::test]
async fn a_basic_group_is_created_with_everyone_in_it() {
    let bed = Three::start("create").await;
    let result = bed
        .ok(request(
            1,
            "create_group_chat",
            json!({"peer_list": [bed.ids[1], bed.ids[2].to_string()], "name": "  Team  "}),
        ))
        .await;
    assert_eq!(result["@type"], "group_chat_created");
    assert_eq!(result["missing_invitees"], json!([]));
    assert_eq!(result["chat"]["type_name"], "chat");
    assert_eq!(result["chat"]["name"], "Team");
    let chat_id = result["chat"]["id"].as_i64().expect("id");
    let mut expected = bed.ids.clone();
    expected.sort_unstable();
    assert_eq!(bed.members(chat_id), expected);
    let group = bed.group_state(chat_id);
    assert_eq!((group.title.as_str(), group.creator), ("Team", bed.ids[0]));
    // Every member's box has the creation message, naming all three.
    for &user in &bed.ids {
        let tl::enums::MessageAction::ChatCreate(created) =
            action_of(&bed.last_message(user, PeerTarget::Chat(-chat_id)))
        else {
            panic!("not chatCreate");
        };
        assert_eq!(created.title, "Team");
        assert_eq!(created.users.len(), 3);
    }
}

#[tokio::test]
async fn privacy_keeps_a_user_out_and_says_so() {
    let bed = Three::start("privacy").await;
    bed.refuse_invites(2).await;
    let result = bed
        .ok(request(
            1,
            "create_group_chat",
            json!({"peer_list": [bed.ids[1], bed.ids[2], bed.ids[1]], "name": "Some"}),
        ))
        .await;
    assert_eq!(result["missing_invitees"], json!([bed.ids[2]]));
    let chat_id = result["chat"]["id"].as_i64().expect("id");
    let mut expected = vec![bed.ids[0], bed.ids[1]];
    expected.sort_unstable();
    assert_eq!(bed.members(chat_id), expected);
    let error = bed
        .error(request(
            1,
            "chat_add_user",
            json!({"chat_id": chat_id, "user_id": bed.ids[2]}),
        ))
        .await;
    assert_eq!(error, "USER_PRIVACY_RESTRICTED");
    assert_eq!(bed.members(chat_id), expected, "nobody was added");
}

#[tokio::test]
async fn a_supergroup_is_created_and_its_members_invited() {
    let bed = Three::start("supergroup").await;
    let created = bed.clients[0]
        .create_supergroup_with_users(&[bed.ids[1], bed.ids[2]], "Big")
        .await
        .expect("created");
    assert_eq!(created.chat.title.as_deref(), Some("Big"));
    assert!(created.missing_invitees.is_empty());
    let channel_id = bare_channel(created.chat.id);
    let state = bed.dc.world().lock();
    let channel = state.chats.channel(channel_id).expect("the supergroup");
    assert!(!channel.broadcast);
    assert_eq!(channel.creator, bed.ids[0]);
    assert_eq!(channel.members.len(), 3);
}

#[tokio::test]
async fn rename_chat_changes_the_title_of_groups_and_supergroups() {
    let bed = Three::start("rename").await;
    let chat_id = bed.group("Old").await;
    bed.ok(request(
        1,
        "rename_chat",
        json!({"chat_id": chat_id, "new_name": "New"}),
    ))
    .await;
    assert_eq!(bed.group_state(chat_id).title, "New");
    let tl::enums::MessageAction::ChatEditTitle(edit) =
        action_of(&bed.last_message(bed.ids[1], PeerTarget::Chat(-chat_id)))
    else {
        panic!("not editTitle");
    };
    assert_eq!(edit.title, "New");
    // Telegram's errors by name.
    let same = request(
        1,
        "rename_chat",
        json!({"chat_id": chat_id, "new_name": "New"}),
    );
    assert_eq!(bed.error(same).await, "CHAT_NOT_MODIFIED");
    let by_member = request(
        2,
        "rename_chat",
        json!({"chat_id": chat_id, "new_name": "B's"}),
    );
    assert_eq!(bed.error(by_member).await, "CHAT_ADMIN_REQUIRED");

    let created = bed.clients[0]
        .create_supergroup_with_users(&[bed.ids[1], bed.ids[2]], "Super")
        .await
        .expect("created");
    let super_id = created.chat.id;
    bed.clients[0]
        .rename_chat(super_id, "Renamed")
        .await
        .expect("renamed");
    let title = bed
        .dc
        .world()
        .lock()
        .chats
        .channel(bare_channel(created.chat.id))
        .map(|c| c.title.clone());
    assert_eq!(title.as_deref(), Some("Renamed"));
}

#[tokio::test]
async fn chat_set_photo_uploads_a_picture_that_can_be_read_back() {
    let bed = Three::start("photo").await;
    let chat_id = bed.group("Pictured").await;
    let bytes = jpeg(3);
    let path = bed.file("logo.jpg", &bytes);
    let msg = bed
        .ok(request(
            1,
            "chat_set_photo",
            json!({"chat_id": chat_id, "file": path}),
        ))
        .await;
    assert_eq!(msg["service"], true, "{msg}");
    let group = bed.group_state(chat_id);
    let photo_id = group.photo_id.expect("the group has a photo");
    let stored = bed
        .dc
        .world()
        .lock()
        .files
        .get(photo_id)
        .map(|f| f.bytes.to_vec());
    assert_eq!(stored.as_deref(), Some(&bytes[..]), "the uploaded bytes");
    assert!(matches!(
        action_of(&bed.last_message(bed.ids[2], PeerTarget::Chat(-chat_id))),
        tl::enums::MessageAction::ChatEditPhoto(_)
    ));
}

#[tokio::test]
async fn members_are_added_and_removed_in_groups_and_supergroups() {
    let bed = Three::start("members").await;
    let created = bed.clients[0]
        .create_group_chat(&[bed.ids[1], bed.ids[2]], "Crew")
        .await
        .expect("created");
    let chat_id = created.chat.id;
    bed.ok(request(
        1,
        "chat_del_user",
        json!({"chat_id": chat_id, "user_id": bed.ids[2]}),
    ))
    .await;
    assert!(!bed.members(chat_id).contains(&bed.ids[2]));
    // The removed user sees their removal.
    assert!(matches!(
        action_of(&bed.last_message(bed.ids[2], PeerTarget::Chat(-chat_id))),
        tl::enums::MessageAction::ChatDeleteUser(d) if d.user_id == bed.ids[2]
    ));
    let again = request(
        1,
        "chat_del_user",
        json!({"chat_id": chat_id, "user_id": bed.ids[2]}),
    );
    assert_eq!(bed.error(again).await, "USER_NOT_PARTICIPANT");
    bed.ok(request(
        1,
        "chat_add_user",
        json!({"chat_id": chat_id, "user_id": bed.ids[2]}),
    ))
    .await;
    assert!(bed.members(chat_id).contains(&bed.ids[2]));
    let twice = request(
        1,
        "chat_add_user",
        json!({"chat_id": chat_id, "user_id": bed.ids[2]}),
    );
    assert_eq!(bed.error(twice).await, "USER_ALREADY_PARTICIPANT");
    // B may not remove C, whom A added.
    let by_b = request(
        2,
        "chat_del_user",
        json!({"chat_id": chat_id, "user_id": bed.ids[2]}),
    );
    assert_eq!(bed.error(by_b).await, "CHAT_ADMIN_REQUIRED");

    let created = bed.clients[0]
        .create_supergroup_with_users(&[bed.ids[1]], "Wide")
        .await;
    assert_eq!(
        created.expect_err("one user").message(),
        "peer_list must name at least 2 users"
    );
    let created = bed.clients[0]
        .create_supergroup_with_users(&[bed.ids[1], bed.ids[2]], "Wide")
        .await
        .expect("created");
    let super_id = created.chat.id;
    bed.clients[0]
        .chat_del_user(super_id, bed.ids[2])
        .await
        .expect("removed");
    {
        let state = bed.dc.world().lock();
        let channel = state
            .chats
            .channel(bare_channel(created.chat.id))
            .expect("channel");
        assert!(!channel.members.contains(&bed.ids[2]));
        assert!(channel.kicked.contains(&bed.ids[2]));
    }
    bed.clients[0]
        .chat_add_user(super_id, bed.ids[2])
        .await
        .expect("invited back");
    let state = bed.dc.world().lock();
    let channel = state
        .chats
        .channel(bare_channel(created.chat.id))
        .expect("channel");
    assert!(channel.members.contains(&bed.ids[2]));
    assert!(!channel.kicked.contains(&bed.ids[2]));
}

#[tokio::test]
async fn invite_links_join_once_and_stop_when_revoked_or_used_up() {
    let bed = Three::start("links").await;
    let created = bed.clients[0]
        .create_group_chat(&[bed.ids[1], bed.ids[2]], "Linked")
        .await
        .expect("created");
    let chat_id = created.chat.id;
    bed.clients[0]
        .chat_del_user(chat_id, bed.ids[2])
        .await
        .expect("C removed");
    let link = bed.clients[0]
        .export_chat_link(chat_id, ChatLinkOptions::default())
        .await
        .expect("a link");
    assert!(link.link.starts_with("https://t.me/+"), "{}", link.link);

    let joined = bed
        .ok(request(3, "import_chat_link", json!({"link": link.link})))
        .await;
    assert_eq!(joined["@type"], "chat_link_imported");
    assert_eq!(joined["outcome"], "joined");
    assert_eq!(joined["title"], "Linked");
    assert_eq!(joined["chat"]["id"], created.chat.id);
    assert!(bed.members(chat_id).contains(&bed.ids[2]));
    assert!(matches!(
        action_of(&bed.last_message(bed.ids[0], PeerTarget::Chat(-chat_id))),
        tl::enums::MessageAction::ChatJoinedByLink(j) if j.inviter_id == bed.ids[0]
    ));
    // Every accepted form of the link, once a member: already there.
    let hash = link.link.trim_start_matches("https://t.me/+").to_string();
    for form in [
        format!("t.me/joinchat/{hash}"),
        format!("tg://join?invite={hash}"),
        hash.clone(),
    ] {
        let again = bed
            .ok(request(3, "import_chat_link", json!({"link": form})))
            .await;
        assert_eq!(again["outcome"], "already_participant", "{form}");
    }

    // Revoked: expired for everyone.
    bed.clients[0]
        .revoke_chat_link(chat_id, &link.link)
        .await
        .expect("revoked");
    bed.clients[0]
        .chat_del_user(chat_id, bed.ids[2])
        .await
        .expect("C removed again");
    let revoked = request(3, "import_chat_link", json!({"link": link.link}));
    assert_eq!(bed.error(revoked).await, "INVITE_HASH_EXPIRED");

    // A link for one use: the second user finds it used up.
    let once = bed.clients[0]
        .export_chat_link(
            chat_id,
            ChatLinkOptions {
                usage_limit: Some(1),
                ..ChatLinkOptions::default()
            },
        )
        .await
        .expect("a link");
    assert_eq!(once.usage_limit, Some(1));
    bed.clients[0]
        .chat_del_user(chat_id, bed.ids[1])
        .await
        .expect("B removed");
    let first = bed
        .ok(request(2, "import_chat_link", json!({"link": once.link})))
        .await;
    assert_eq!(first["outcome"], "joined");
    let used_up = request(3, "import_chat_link", json!({"link": once.link}));
    assert_eq!(bed.error(used_up).await, "INVITE_HASH_EXPIRED");

    let unknown = request(
        3,
        "import_chat_link",
        json!({"link": "https://t.me/+NoSuchLink0"}),
    );
    assert_eq!(bed.error(unknown).await, "INVITE_HASH_INVALID");
    // Only admins make links.
    let by_member = bed.clients[1]
        .export_chat_link(chat_id, ChatLinkOptions::default())
        .await
        .expect_err("B is no admin");
    assert_eq!(by_member.message(), "CHAT_ADMIN_REQUIRED");
}

#[tokio::test]
async fn a_link_that_needs_approval_files_a_request_the_admin_approves() {
    let bed = Three::start("requests").await;
    let created = bed.clients[0]
        .create_supergroup_with_users(&[bed.ids[1], bed.ids[2]], "Guarded")
        .await
        .expect("created");
    let super_id = created.chat.id;
    bed.clients[0]
        .chat_del_user(super_id, bed.ids[1])
        .await
        .expect("B removed");
    // A removed user cannot come back by a link until an admin adds them.
    let link = bed.clients[0]
        .export_chat_link(
            super_id,
            ChatLinkOptions {
                request_needed: true,
                ..ChatLinkOptions::default()
            },
        )
        .await
        .expect("a link");
    assert!(link.request_needed);
    let kicked = request(2, "import_chat_link", json!({"link": link.link}));
    assert_eq!(bed.error(kicked).await, "USER_KICKED");

    // C leaves by herself, so nothing bars her way back.
    introduce_channel(&bed.dc, &bed.clients[2], bed.ids[2], bare_channel(super_id)).await;
    bed.clients[2]
        .chat_del_user(super_id, bed.ids[2])
        .await
        .expect("C left");
    assert!(matches!(
        action_of(&bed.last_message(bed.ids[0], PeerTarget::Channel(bare_channel(created.chat.id)))),
        tl::enums::MessageAction::ChatDeleteUser(d) if d.user_id == bed.ids[2]
    ));
    let requested = bed
        .ok(request(3, "import_chat_link", json!({"link": link.link})))
        .await;
    assert_eq!(requested["outcome"], "request_sent");
    assert_eq!(requested["title"], "Guarded");
    assert!(requested["chat"].is_null());
    let member = |bed: &Three| {
        bed.dc
            .world()
            .lock()
            .chats
            .channel(bare_channel(created.chat.id))
            .is_some_and(|c| c.members.contains(&bed.ids[2]))
    };
    assert!(!member(&bed), "not a member before approval");
    let c_peer = bed.clients[0]
        .input_user(bed.ids[2])
        .await
        .expect("C is known");
    let channel = bed.clients[0]
        .input_channel(bare_channel(created.chat.id))
        .await
        .expect("known");
    let tl::enums::InputChannel::Channel(channel) = channel else {
        panic!("a channel");
    };
    let tl::enums::InputUser::User(c_user) = c_peer else {
        panic!("a user");
    };
    bed.clients[0]
        .invoke(&tl::functions::messages::HideChatJoinRequest {
            approved: true,
            peer: tl::types::InputPeerChannel {
                channel_id: channel.channel_id,
                access_hash: channel.access_hash,
            }
            .into(),
            user_id: c_user.into(),
        })
        .await
        .expect("approved");
    assert!(member(&bed), "a member once approved");
    assert!(matches!(
        action_of(&bed.last_message(
            bed.ids[0],
            PeerTarget::Channel(bare_channel(created.chat.id))
        )),
        tl::enums::MessageAction::ChatJoinedByRequest
    ));
}

#[tokio::test]
async fn set_profile_photo_stores_the_picture() {
    let bed = Three::start("profile_photo").await;
    let bytes = jpeg(5);
    let path = bed.file("me.jpg", &bytes);
    let result = bed
        .ok(request(1, "set_profile_photo", json!({"file_path": path})))
        .await;
    assert_eq!(result["@type"], "ok");
    let state = bed.dc.world().lock();
    let photo_id = state
        .users
        .get(bed.ids[0])
        .and_then(|u| u.photo_id)
        .expect("a profile photo");
    assert_eq!(
        state
            .files
            .get(photo_id)
            .map(|f| f.bytes.to_vec())
            .as_deref(),
        Some(&bytes[..])
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_nothing_sent() {
    let bed = Three::start("bad_input").await;
    let chat_id = bed.group("Target").await;
    let not_image = bed.file("notes.jpg", b"just some text, not a picture at all");
    let empty = bed.file("empty.jpg", b"");
    let missing = bed.dir.join("missing.jpg").display().to_string();
    let (b, c) = (bed.ids[1], bed.ids[2]);
    let cases: Vec<(Value, String)> = vec![
        (
            request(
                1,
                "create_group_chat",
                json!({"peer_list": [b], "name": "x"}),
            ),
            "peer_list must name at least 2 users".into(),
        ),
        (
            request(1, "create_group_chat", json!({"name": "x"})),
            "peer_list is required".into(),
        ),
        (
            request(1, "create_group_chat", json!({"peer_list": [b, c]})),
            "name is required".into(),
        ),
        (
            request(
                1,
                "create_group_chat",
                json!({"peer_list": [b, c], "name": "  "}),
            ),
            "name must not be empty".into(),
        ),
        (
            request(
                1,
                "create_group_chat",
                json!({"peer_list": [b, chat_id], "name": "x"}),
            ),
            format!("peer_list must name users only: {chat_id} is a group or channel"),
        ),
        (
            request(1, "rename_chat", json!({"chat_id": b, "new_name": "x"})),
            "chat_id is a user: rename_chat needs a basic group or a channel".into(),
        ),
        (
            request(1, "rename_chat", json!({"new_name": "x"})),
            "chat_id is required".into(),
        ),
        (
            request(1, "chat_add_user", json!({"chat_id": b, "user_id": c})),
            "chat_id is a user: chat_add_user needs a basic group or a channel".into(),
        ),
        (
            request(
                1,
                "chat_del_user",
                json!({"chat_id": chat_id, "user_id": chat_id}),
            ),
            "user_id is a group or channel: only users can be members".into(),
        ),
        (
            request(
                1,
                "chat_set_photo",
                json!({"chat_id": chat_id, "file": not_image}),
            ),
            format!("file is not an image: {not_image}"),
        ),
        (
            request(
                1,
                "chat_set_photo",
                json!({"chat_id": chat_id, "file": empty}),
            ),
            format!("file is empty: {empty}"),
        ),
        (
            request(1, "set_profile_photo", json!({"file_path": missing})),
            format!("file not found: {missing}"),
        ),
        (
            request(1, "import_chat_link", json!({"link": "https://t.me/durov"})),
            "link is not an invite link: https://t.me/durov".into(),
        ),
        (
            request(1, "import_chat_link", json!({})),
            "link is required".into(),
        ),
    ];
    for (request, expected) in cases {
        bed.invalid(request, &expected).await;
    }
    assert_eq!(bed.group_state(chat_id).title, "Target", "nothing changed");
}
