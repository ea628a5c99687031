//! Auth keys. The DH handshake cannot happen against a test server (clients
//! hard-code Telegram's RSA keys), so keys are pre-shared: registered here
//! and handed to the client, which seeds its session with them.

use std::collections::HashMap;

use crate::crypto::AuthKey;
use crate::proto::{ClientInfo, unix_now};

/// A signed-in session of an account, as `account.getAuthorizations` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The id Telegram uses to name the session (0 is "the current one").
    pub hash: i64,
    /// When the session signed in (Unix time, seconds).
    pub date_created: i32,
    /// When the session was last active (Unix time, seconds).
    pub date_active: i32,
    /// The client still has to pass the 2FA check.
    pub password_pending: bool,
    /// The session does not accept incoming calls.
    pub call_requests_disabled: bool,
    /// The session does not accept new secret chats.
    pub encrypted_requests_disabled: bool,
}

/// A registered auth key and what it is bound to.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    /// The 256-byte key itself.
    pub key: AuthKey,
    /// Keys belong to one DC; elsewhere they are unknown (-404).
    pub dc_id: i32,
    /// The user this key is signed in as.
    pub user_id: Option<i64>,
    /// The user that passed the code check but still owes its 2FA password.
    pub password_pending_user: Option<i64>,
    /// The session the key is signed in with, as `account.getAuthorizations` lists it.
    pub authorization: Option<Authorization>,
    /// From the last `initConnection`.
    pub client: Option<ClientInfo>,
}

/// All keys, by key id.
#[derive(Debug, Default)]
pub struct Keys {
    by_id: HashMap<i64, KeyRecord>,
}

impl Keys {
    /// Registers `key` on `dc_id`, not signed in.
    pub fn register(&mut self, dc_id: i32, key: AuthKey) -> i64 {
        let id = key.id();
        self.by_id.insert(
            id,
            KeyRecord {
                key,
                dc_id,
                user_id: None,
                password_pending_user: None,
                authorization: None,
                client: None,
            },
        );
        id
    }

    /// The record of a key id.
    pub fn get(&self, key_id: i64) -> Option<&KeyRecord> {
        self.by_id.get(&key_id)
    }

    /// The record of a key id, mutably.
    pub fn get_mut(&mut self, key_id: i64) -> Option<&mut KeyRecord> {
        self.by_id.get_mut(&key_id)
    }

    /// Signs `key_id` in as `user_id`, creating its authorization.
    pub fn sign_in(&mut self, key_id: i64, user_id: i64) {
        if let Some(record) = self.by_id.get_mut(&key_id) {
            let now = unix_now();
            record.user_id = Some(user_id);
            record.password_pending_user = None;
            record.authorization = Some(Authorization {
                hash: crate::random::positive_i64(),
                date_created: now,
                date_active: now,
                password_pending: false,
                call_requests_disabled: false,
                encrypted_requests_disabled: false,
            });
        }
    }

    /// Makes a key's authorization `seconds` older, like a session that
    /// was signed in long ago (new ones may not terminate others).
    pub fn backdate(&mut self, key_id: i64, seconds: i32) {
        if let Some(auth) = self
            .by_id
            .get_mut(&key_id)
            .and_then(|record| record.authorization.as_mut())
        {
            auth.date_created = auth.date_created.saturating_sub(seconds);
        }
    }

    /// Signs a key out (`auth.logOut`, or a terminated session).
    pub fn sign_out(&mut self, key_id: i64) {
        if let Some(record) = self.by_id.get_mut(&key_id) {
            record.user_id = None;
            record.password_pending_user = None;
            record.authorization = None;
        }
    }

    /// Every key signed in as `user_id`, on any DC.
    pub fn of_user(&self, user_id: i64) -> impl Iterator<Item = &KeyRecord> {
        self.by_id
            .values()
            .filter(move |record| record.user_id == Some(user_id))
    }

    /// Every key signed in as `user_id`, mutably.
    pub fn of_user_mut(&mut self, user_id: i64) -> impl Iterator<Item = &mut KeyRecord> {
        self.by_id
            .values_mut()
            .filter(move |record| record.user_id == Some(user_id))
    }
}
