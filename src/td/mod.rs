//! td_api-shaped objects: what commands return, with TDLib's type names
//! (`"@type"`) and field names, built from MTProto constructors. One file
//! per domain.
//!
//! # Which vocabulary is used where
//!
//! - `td::*` (this module) is what commands return: TDLib's names, so a
//!   backend that read TDLib's JSON reads these unchanged. Every object
//!   carries its `"@type"` through `#[serde(tag = "@type")]`.
//! - [`crate::media`] and the transfer types ([`crate::transfer`]) are the
//!   library's own Rust API, named for what they are in Rust.
//! - grammers' types never appear in the public API, except
//!   [`crate::error::RpcError`] inside [`crate::Error`] (and the raw
//!   `invoke` escape hatch, which takes grammers' TL functions).
//!
//! Ids follow TDLib's JSON ([`ids`]): 53-bit ids are numbers, 64-bit
//! values are decimal strings, and chat ids are marked.

mod chat;
mod common;
mod contact;
pub mod ids;
mod message;
mod photo;
pub mod privacy;
mod session;
mod user;

/// A count the server sent, as td_api shows it: never negative (a
/// negative count from the server means "unknown", shown as 0).
pub(crate) fn count<T: Ord + Default>(value: T) -> T {
    value.max(T::default())
}

pub use chat::{
    BasicGroup, BasicGroupFullInfo, Chat, ChatMember, ChatMemberStatus, ChatPermissions, ChatType,
    Supergroup, SupergroupFullInfo,
};
pub use common::{Done, FormattedText};
pub use contact::ImportedContacts;
pub use message::{MessageSender, MessageSenders};
pub use photo::{ChatPhoto, ChatPhotoInfo, PhotoSize};
pub use privacy::{NewChatPrivacySettings, PrivacyRule, PrivacyRules, PrivacyValue};
pub use session::{Session, SessionType, Sessions};
pub use user::{Birthdate, BlockList, ProfilePhoto, User, UserFullInfo, UserType, Usernames};
