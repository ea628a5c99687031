//! Helpers for the command tests: running JSON requests through a
//! dispatcher and checking the events, and introducing fake-DC users to a
//! client so their access hashes are cached.
#![allow(dead_code)] // Each test crate uses a subset.

use fakedc::FakeDc;
use serde_json::Value;
use tgcmd::Client;
use tgcmd::commands::{AccountPool, CommandError, Dispatcher};

/// Makes `client` know `user_id` of the fake world (access hash cached), as
/// if it had seen the user in an update.
pub async fn introduce_user(dc: &FakeDc, client: &Client, user_id: i64) {
    let seen = {
        let state = dc.world().lock();
        let user = state.users.get(user_id).expect("the user exists");
        user.to_tl(dc.world(), dc.user_id())
    };
    client
        .remember_users(&[seen])
        .await
        .expect("the user is cached");
}

/// A client signed in to `dc` whose profile store and media cache go to a
/// directory of its own under the test target dir, named after `test`.
pub async fn client_with_data_dir(dc: &FakeDc, test: &str) -> Client {
    let data = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{test}-{}", std::process::id()));
    super::builder(dc)
        .data_dir(data)
        .connect()
        .await
        .expect("the client connects")
}

/// What the command tests share: a fake DC, one signed-in account behind a
/// dispatcher as `userbot_id` 1, and another user that account knows.
pub struct CommandBed {
    pub dc: FakeDc,
    pub client: Client,
    pub dispatcher: Dispatcher,
    /// Another user the account knows (its access hash is cached).
    pub friend: i64,
}

impl CommandBed {
    /// Puts `client` (connected to `dc`) behind a dispatcher as account 1,
    /// and adds `friend` to the world and to what the client knows.
    pub async fn new(dc: FakeDc, client: Client, friend: fakedc::User) -> Self {
        let friend = dc.add_user(friend);
        introduce_user(&dc, &client, friend).await;
        let accounts = AccountPool::new();
        accounts.insert(1, client.clone());
        CommandBed {
            dc,
            client,
            dispatcher: Dispatcher::new(accounts),
            friend,
        }
    }
}

impl CommandChecks for CommandBed {
    fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    fn fake_dc(&self) -> &FakeDc {
        &self.dc
    }
}

/// Checks of commands, run through a dispatcher (JSON) or the typed API,
/// against a fake DC that counts the calls.
pub trait CommandChecks {
    /// The dispatcher the requests go to.
    fn dispatcher(&self) -> &Dispatcher;
    /// The fake DC behind the dispatcher's accounts.
    fn fake_dc(&self) -> &FakeDc;

    /// Runs one request and returns its event as JSON.
    async fn run(&self, request: Value) -> Value {
        let event = self.dispatcher().dispatch(request).await;
        serde_json::from_str(&event.to_json()).expect("JSON event")
    }

    /// Runs a request that must succeed and returns its result.
    async fn ok(&self, request: Value) -> Value {
        let action = request["action"].as_str().expect("action").to_string();
        let event = self.run(request).await;
        assert_eq!(event["type"], "chat_update");
        assert_eq!(event["payload"]["type"], action, "{event}");
        event["payload"]["result"].clone()
    }

    /// Runs a request that must fail and returns its error string.
    async fn error(&self, request: Value) -> String {
        let action = request["action"].as_str().expect("action").to_string();
        let event = self.run(request).await;
        assert_eq!(
            event["payload"]["type"],
            format!("{action}_error"),
            "{event}"
        );
        event["payload"]["error"]
            .as_str()
            .expect("error")
            .to_string()
    }

    /// Runs a request that must fail validation without reaching the server.
    async fn invalid(&self, request: Value, expected: &str) {
        let before = self.fake_dc().world().total_calls();
        assert_eq!(self.error(request.clone()).await, expected, "{request}");
        assert_eq!(
            self.fake_dc().world().total_calls(),
            before,
            "{request} sent something"
        );
    }

    /// Checks that a typed call failed validation with `expected` and sent
    /// nothing.
    async fn invalid_typed<T: std::fmt::Debug>(
        &self,
        call: impl Future<Output = Result<T, CommandError>>,
        expected: &str,
    ) {
        let before = self.fake_dc().world().total_calls();
        let err = call.await.expect_err("must be refused");
        assert_eq!(err.message(), expected);
        assert!(err.is_invalid(), "{err:?}");
        assert_eq!(
            self.fake_dc().world().total_calls(),
            before,
            "sent something"
        );
    }
}

/// A client signed in as fake-DC user `index` (0 is the self user), with
/// its own data directory named after `test`.
pub async fn client_as(dc: &FakeDc, index: usize, test: &str) -> Client {
    let user = &dc.users()[index];
    let keys: Vec<_> = user.dcs.iter().map(|d| (d.dc_id, d.auth_key)).collect();
    let data = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{test}-{index}-{}", std::process::id()));
    super::builder_with_keys(dc, &keys)
        .data_dir(data)
        .connect()
        .await
        .expect("the client connects")
}

/// Makes `client` (signed in as `viewer`) know user `target` as `viewer`
/// sees it (its access hash cached).
pub async fn introduce(dc: &FakeDc, client: &Client, viewer: i64, target: i64) {
    let seen = {
        let state = dc.world().lock();
        let user = state.users.get(target).expect("the user exists");
        user.to_tl(dc.world(), viewer)
    };
    client
        .remember_users(&[seen])
        .await
        .expect("the user is cached");
}

/// Makes `client` (signed in as `viewer`) know channel `channel_id`.
pub async fn introduce_channel(dc: &FakeDc, client: &Client, viewer: i64, channel_id: i64) {
    let seen = {
        let state = dc.world().lock();
        let channel = state.chats.channel(channel_id).expect("the channel exists");
        channel.to_tl(dc.world(), viewer)
    };
    client
        .remember_chats(&[seen])
        .await
        .expect("the channel is cached");
}

/// TDLib's chat id of a basic group.
pub fn group_chat_id(group_id: i64) -> i64 {
    -group_id
}

/// TDLib's chat id of a channel or supergroup.
pub fn channel_chat_id(channel_id: i64) -> i64 {
    -1_000_000_000_000 - channel_id
}

/// Two users of one fake DC, each a tgcmd client, behind one dispatcher as
/// `userbot_id` 1 (user 0, "A") and 2 (user 1, "B"), knowing each other.
pub struct TwoUsers {
    pub dc: FakeDc,
    pub a: Client,
    pub b: Client,
    pub a_id: i64,
    pub b_id: i64,
    pub dispatcher: Dispatcher,
}

impl TwoUsers {
    /// Starts a two-user fake DC and connects both clients.
    pub async fn start(test: &str) -> Self {
        let dc = FakeDc::start(fakedc::Config {
            users: 2,
            ..fakedc::Config::default()
        })
        .await
        .expect("the fake DC starts");
        let (a_id, b_id) = (dc.users()[0].user_id, dc.users()[1].user_id);
        let a = client_as(&dc, 0, test).await;
        let b = client_as(&dc, 1, test).await;
        introduce(&dc, &a, a_id, b_id).await;
        introduce(&dc, &b, b_id, a_id).await;
        let accounts = AccountPool::new();
        accounts.insert(1, a.clone());
        accounts.insert(2, b.clone());
        TwoUsers {
            dc,
            a,
            b,
            a_id,
            b_id,
            dispatcher: Dispatcher::new(accounts),
        }
    }

    /// A basic group of A with B in it; its TDLib chat id.
    pub fn group(&self, title: &str) -> i64 {
        group_chat_id(self.dc.add_basic_group(fakedc::BasicGroup {
            title: title.into(),
            creator: self.a_id,
            members: vec![fakedc::world::chats::GroupMember {
                user_id: self.b_id,
                inviter_id: self.a_id,
                date: 0,
                admin: false,
            }],
            ..fakedc::BasicGroup::default()
        }))
    }

    /// A supergroup of A with B in it, known to both clients; its bare id.
    pub async fn supergroup(&self, title: &str) -> i64 {
        let channel = self.dc.add_channel(fakedc::Channel {
            title: title.into(),
            creator: self.a_id,
            members: [self.a_id, self.b_id].into_iter().collect(),
            ..fakedc::Channel::default()
        });
        introduce_channel(&self.dc, &self.a, self.a_id, channel).await;
        introduce_channel(&self.dc, &self.b, self.b_id, channel).await;
        channel
    }
}

impl CommandChecks for TwoUsers {
    fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    fn fake_dc(&self) -> &FakeDc {
        &self.dc
    }
}

/// A request for `action` by `userbot_id` with `fields`.
pub fn request(userbot_id: i64, action: &str, fields: Value) -> Value {
    let mut request = fields;
    request["action"] = Value::from(action);
    request["userbot_id"] = Value::from(userbot_id);
    request
}

/// How `viewer` names channel `channel_id` as an `InputChannel` (with the
/// access hash the fake DC gives that viewer).
pub fn input_channel_of(
    dc: &FakeDc,
    viewer: i64,
    channel_id: i64,
) -> grammers_tl_types::enums::InputChannel {
    grammers_tl_types::types::InputChannel {
        channel_id,
        access_hash: dc.world().access_hash(viewer, channel_id),
    }
    .into()
}
