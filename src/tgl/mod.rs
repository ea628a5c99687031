//! tg-cli's vocabulary: [`Peer`] and [`Msg`], the objects the tg-cli
//! Python bindings (`shared/spec/tg-cli-python-bindings.txt`) hand to their
//! callbacks, as typed Rust structs built from MTProto constructors.
//!
//! They sit beside [`crate::td`] (TDLib's objects for the backend's
//! commands) and are pure data: nothing here calls the network. Their JSON
//! form keeps the spec's attribute names and carries `"@type": "peer"` or
//! `"@type": "msg"`.
//!
//! Ids follow the command layer: a peer's `id` is TDLib's marked chat id
//! (a user is its id, a basic group `-id`, a channel `-1000000000000 - id`),
//! and 64-bit file ids are decimal strings.
//!
//! ```
//! use tgcmd::tgl::{Peer, PeerType};
//! let peer = Peer::unknown_user(42);
//! assert_eq!(peer.kind, PeerType::User);
//! assert_eq!(peer.type_name, "user");
//! assert_eq!(serde_json::to_value(&peer).unwrap()["@type"], "peer");
//! ```

mod action;
mod media;
mod msg;
mod peer;

pub use action::Action;
pub(crate) use media::constructor_name;
pub use media::{Media, PollAnswer};
pub use msg::{Msg, MsgFlags, ReadState, users_of_message};
pub use peer::{Peer, PeerDirectory, PeerType, UserStatus, chat_ref_of};
