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
