//! The services: one module per domain, each registering its methods with
//! the [`Router`]. A new service is a new module plus one line in [`router`].

mod account;
mod auth;
mod chats;
mod contacts;
mod files;
mod help;
mod messages;
mod settings;
mod updates;
mod users;

pub use auth::LoginCodes;
pub use contacts::ContactImports;

use grammers_tl_types as tl;

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
    settings::register(&mut router);
    contacts::register(&mut router);
    chats::register(&mut router);
    router
}

/// Notification settings with nothing set (the defaults apply), as full
/// user and chat infos carry them.
pub(crate) fn empty_notify_settings() -> tl::enums::PeerNotifySettings {
    tl::types::PeerNotifySettings {
        show_previews: None,
        silent: None,
        mute_until: None,
        ios_sound: None,
        android_sound: None,
        other_sound: None,
        stories_muted: None,
        stories_hide_sender: None,
        stories_ios_sound: None,
        stories_android_sound: None,
        stories_other_sound: None,
    }
    .into()
}
