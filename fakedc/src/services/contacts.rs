//! The contact list: `contacts.getContacts` (with Telegram's hash, so an
//! unchanged list is `contacts.contactsNotModified`), `importContacts`
//! (adds or renames by phone; the name is the importer's own for that
//! user), `deleteContacts`, `getStatuses`, and `contacts.resolveUsername`.

use std::collections::{BTreeSet, HashMap};

use grammers_tl_types as tl;

use crate::rpc::{Router, RpcError};
use crate::world::{ContactName, MAX_USERNAME_LEN};

/// Phone-book state: who imported which unregistered numbers.
///
/// Tests reach it through the world's extensions to make Telegram refuse
/// imports for now (`retry_contacts`):
///
/// ```no_run
/// # fn f(dc: &fakedc::FakeDc) {
/// dc.world()
///     .lock()
///     .extensions
///     .get_mut::<fakedc::services::ContactImports>()
///     .unknown_phone_quota = Some(0);
/// # }
/// ```
#[derive(Debug, Default)]
pub struct ContactImports {
    /// Unregistered number (digits only) → the accounts that imported it.
    pub phone_importers: HashMap<String, BTreeSet<i64>>,
    /// How many unregistered numbers one account may import; beyond it the
    /// numbers come back in `retry_contacts`. `None` is unlimited.
    pub unknown_phone_quota: Option<usize>,
    /// How many `contacts.getContacts` calls were answered
    /// `contacts.contactsNotModified` (their hash matched).
    pub not_modified_answers: u64,
}

impl ContactImports {
    fn imported_by(&self, account: i64) -> usize {
        self.phone_importers
            .values()
            .filter(|importers| importers.contains(&account))
            .count()
    }
}

/// Digits only, as Telegram stores phone numbers.
fn phone_digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::contacts::GetContacts, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut guard = ctx.world.lock();
        let state = &mut *guard;
        let me = state
            .users
            .get(viewer)
            .ok_or_else(|| RpcError::internal("USER_GONE"))?;
        // A hash of 0 always asks for the list.
        if request.hash != 0 && request.hash == state.users.contacts_hash(viewer) {
            state
                .extensions
                .get_mut::<ContactImports>()
                .not_modified_answers += 1;
            return Ok(tl::enums::contacts::Contacts::NotModified);
        }
        let mut contacts = Vec::new();
        let mut users = Vec::new();
        for &id in &me.contacts {
            let Some(user) = state.users.get(id) else {
                continue;
            };
            let mutual = user.contacts.contains(&viewer);
            contacts.push(
                tl::types::Contact {
                    user_id: id,
                    mutual,
                }
                .into(),
            );
            users.push(user.to_tl(ctx.world, viewer));
        }
        Ok(tl::types::contacts::Contacts {
            contacts,
            saved_count: 0,
            users,
        }
        .into())
    });
    router.add::<tl::functions::contacts::GetStatuses, _>(|ctx, _| {
        let viewer = ctx.require_user()?;
        let state = ctx.world.lock();
        let me = state
            .users
            .get(viewer)
            .ok_or_else(|| RpcError::internal("USER_GONE"))?;
        Ok(me
            .contacts
            .iter()
            .filter_map(|id| state.users.get(*id))
            .filter_map(|user| {
                let status = user.presence.to_tl()?;
                Some(
                    tl::types::ContactStatus {
                        user_id: user.id,
                        status,
                    }
                    .into(),
                )
            })
            .collect::<Vec<tl::enums::ContactStatus>>())
    });
    router.add::<tl::functions::contacts::DeleteContacts, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut guard = ctx.world.lock();
        let state = &mut *guard;
        let mut removed = Vec::new();
        for input in &request.id {
            let target = ctx.resolve_input_user(state, input)?;
            if target != viewer {
                removed.push(target);
            }
        }
        for &target in &removed {
            if let Some(me) = state.users.get_mut(viewer) {
                me.contacts.remove(&target);
            }
            if let Some(user) = state.users.get_mut(target) {
                user.contact_of.remove(&viewer);
                user.named_by.remove(&viewer);
            }
        }
        removed.sort_unstable();
        removed.dedup();
        // Telegram answers with the users as they now look (no longer
        // contacts: profile names, no phone).
        let users = removed
            .iter()
            .filter_map(|id| state.users.get(*id))
            .map(|u| u.to_tl(ctx.world, viewer))
            .collect();
        Ok(tl::types::Updates {
            updates: Vec::new(),
            users,
            chats: Vec::new(),
            date: ctx.world.now(),
            seq: 0,
        }
        .into())
    });
    router.add::<tl::functions::contacts::ImportContacts, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut guard = ctx.world.lock();
        let state = &mut *guard;
        let mut imported = Vec::new();
        let mut popular_invites = Vec::new();
        let mut retry_contacts = Vec::new();
        let mut user_ids = Vec::new();
        for tl::enums::InputContact::InputPhoneContact(contact) in &request.contacts {
            let phone = phone_digits(&contact.phone);
            if phone.is_empty() {
                continue;
            }
            if let Some(target) = state.users.by_phone(&phone).map(|u| u.id) {
                if target == viewer {
                    // Your own number is not a contact.
                    continue;
                }
                if let Some(me) = state.users.get_mut(viewer) {
                    me.contacts.insert(target);
                }
                if let Some(user) = state.users.get_mut(target) {
                    user.contact_of.insert(viewer);
                    // Without a first name the profile name stays.
                    let first_name = contact.first_name.trim();
                    if !first_name.is_empty() {
                        user.named_by.insert(
                            viewer,
                            ContactName {
                                first_name: first_name.to_string(),
                                last_name: contact.last_name.trim().to_string(),
                            },
                        );
                    }
                }
                imported.push(
                    tl::types::ImportedContact {
                        user_id: target,
                        client_id: contact.client_id,
                    }
                    .into(),
                );
                user_ids.push(target);
                continue;
            }
            let book = state.extensions.get_mut::<ContactImports>();
            let known = book
                .phone_importers
                .get(&phone)
                .is_some_and(|importers| importers.contains(&viewer));
            if !known
                && book
                    .unknown_phone_quota
                    .is_some_and(|quota| book.imported_by(viewer) >= quota)
            {
                retry_contacts.push(contact.client_id);
                continue;
            }
            let importers = book.phone_importers.entry(phone).or_default();
            importers.insert(viewer);
            popular_invites.push(
                tl::types::PopularContact {
                    client_id: contact.client_id,
                    importers: importers.len() as i32,
                }
                .into(),
            );
        }
        user_ids.sort_unstable();
        user_ids.dedup();
        let users = user_ids
            .iter()
            .filter_map(|id| state.users.get(*id))
            .map(|u| u.to_tl(ctx.world, viewer))
            .collect();
        Ok(tl::types::contacts::ImportedContacts {
            imported,
            popular_invites,
            retry_contacts,
            users,
        }
        .into())
    });

    router.add::<tl::functions::contacts::ResolveUsername, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let name = request.username.as_str();
        let well_formed = !name.is_empty()
            && name.len() <= MAX_USERNAME_LEN
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !well_formed {
            return Err(RpcError::bad_request("USERNAME_INVALID"));
        }
        let state = ctx.world.lock();
        if let Some(user) = state.users.by_username(name) {
            return Ok(tl::types::contacts::ResolvedPeer {
                peer: tl::types::PeerUser { user_id: user.id }.into(),
                chats: Vec::new(),
                users: vec![user.to_tl(ctx.world, viewer)],
            }
            .into());
        }
        if let Some(channel) = state.chats.channel_by_username(name) {
            return Ok(tl::types::contacts::ResolvedPeer {
                peer: tl::types::PeerChannel {
                    channel_id: channel.id,
                }
                .into(),
                chats: vec![channel.to_tl(ctx.world, viewer)],
                users: Vec::new(),
            }
            .into());
        }
        Err(RpcError::bad_request("USERNAME_NOT_OCCUPIED"))
    });
}
