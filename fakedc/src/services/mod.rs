//! The services: one module per domain, each registering its methods with
//! the [`Router`]. A new service is a new module plus one line in [`router`].
//!
//! Services import only [`crate::rpc`] and [`crate::world`] (plus the leaf
//! helpers `random` and `srp`, which import nothing of the crate), never
//! each other: what two services share lives in the world (block lists,
//! username rules, `StoredFile::to_photo`) or on the call context
//! (resolving input users and peers). `tests/structure.rs` checks this.

mod account;
mod auth;
mod chat_admin;
mod chats;
mod contacts;
mod dialogs;
mod files;
mod help;
mod invites;
mod messages;
mod messages_edit;
mod messages_history;
mod messages_read;
mod messages_send;
mod participants;
mod settings;
mod updates;
mod users;

pub use auth::LoginCodes;
pub use contacts::ContactImports;

use crate::rpc::Router;

/// A router with every service of the fake DC registered.
pub fn router() -> Router {
    let mut router = Router::default();
    help::register(&mut router);
    account::register(&mut router);
    auth::register(&mut router);
    users::register(&mut router);
    updates::register(&mut router);
    files::register(&mut router);
    messages::register(&mut router);
    messages_send::register(&mut router);
    messages_history::register(&mut router);
    messages_read::register(&mut router);
    messages_edit::register(&mut router);
    dialogs::register(&mut router);
    settings::register(&mut router);
    contacts::register(&mut router);
    chats::register(&mut router);
    chat_admin::register(&mut router);
    invites::register(&mut router);
    participants::register(&mut router);
    router
}
