//! Sessions, privacy and block lists: `account.getAuthorizations` and
//! friends, `account.getPrivacy` / `setPrivacy`, the global privacy
//! settings, and `contacts.block` / `unblock` / `getBlocked`.

use std::collections::HashMap;

use grammers_tl_types as tl;

use crate::rpc::{CallContext, Peer, Router, RpcError};
use crate::world::{KeyRecord, WorldState};

/// A session younger than this may not terminate other sessions
/// (`FRESH_RESET_AUTHORISATION_FORBIDDEN`), as on Telegram.
const FRESH_SESSION_SECONDS: i32 = 24 * 3600;
/// `account.authorizations.authorization_ttl_days`.
const AUTHORIZATION_TTL_DAYS: i32 = 180;

/// Privacy rules and global settings, per user. Block lists live in the
/// world, because full user profiles show them too.
#[derive(Default)]
struct Settings {
    rules: HashMap<(i64, PrivacyKey), Vec<tl::enums::PrivacyRule>>,
    global: HashMap<i64, tl::types::GlobalPrivacySettings>,
}

/// `InputPrivacyKey` without its payload, usable as a map key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PrivacyKey {
    StatusTimestamp,
    ChatInvite,
    PhoneCall,
    PhoneP2P,
    Forwards,
    ProfilePhoto,
    PhoneNumber,
    AddedByPhone,
    VoiceMessages,
    About,
    Birthday,
    StarGiftsAutoSave,
    NoPaidMessages,
    SavedMusic,
}

impl From<&tl::enums::InputPrivacyKey> for PrivacyKey {
    fn from(key: &tl::enums::InputPrivacyKey) -> Self {
        use tl::enums::InputPrivacyKey as K;
        match key {
            K::StatusTimestamp => PrivacyKey::StatusTimestamp,
            K::ChatInvite => PrivacyKey::ChatInvite,
            K::PhoneCall => PrivacyKey::PhoneCall,
            K::PhoneP2P => PrivacyKey::PhoneP2P,
            K::Forwards => PrivacyKey::Forwards,
            K::ProfilePhoto => PrivacyKey::ProfilePhoto,
            K::PhoneNumber => PrivacyKey::PhoneNumber,
            K::AddedByPhone => PrivacyKey::AddedByPhone,
            K::VoiceMessages => PrivacyKey::VoiceMessages,
            K::About => PrivacyKey::About,
            K::Birthday => PrivacyKey::Birthday,
            K::StarGiftsAutoSave => PrivacyKey::StarGiftsAutoSave,
            K::NoPaidMessages => PrivacyKey::NoPaidMessages,
            K::SavedMusic => PrivacyKey::SavedMusic,
        }
    }
}

/// Telegram's defaults for an account that never changed a setting.
fn default_rules(key: PrivacyKey) -> Vec<tl::enums::PrivacyRule> {
    use tl::enums::PrivacyRule as R;
    match key {
        PrivacyKey::PhoneNumber | PrivacyKey::Birthday => {
            vec![R::PrivacyValueAllowContacts, R::PrivacyValueDisallowAll]
        }
        PrivacyKey::NoPaidMessages => vec![R::PrivacyValueDisallowAll],
        _ => vec![R::PrivacyValueAllowAll],
    }
}

fn default_global() -> tl::types::GlobalPrivacySettings {
    tl::types::GlobalPrivacySettings {
        archive_and_mute_new_noncontact_peers: false,
        keep_archived_unmuted: false,
        keep_archived_folders: false,
        hide_read_marks: false,
        new_noncontact_peers_require_premium: false,
        display_gifts_button: false,
        noncontact_peers_paid_stars: None,
        disallowed_gifts: None,
    }
}

/// The `authorization` constructor for one key; hash 0 marks the caller's own.
fn authorization_tl(record: &KeyRecord, current: bool) -> Option<tl::enums::Authorization> {
    let auth = record.authorization.as_ref()?;
    let client = record.client.clone().unwrap_or_default();
    Some(
        tl::types::Authorization {
            current,
            official_app: false,
            password_pending: auth.password_pending,
            encrypted_requests_disabled: auth.encrypted_requests_disabled,
            call_requests_disabled: auth.call_requests_disabled,
            unconfirmed: false,
            hash: if current { 0 } else { auth.hash },
            device_model: client.device_model,
            platform: String::new(),
            system_version: client.system_version,
            api_id: client.api_id,
            app_name: String::new(),
            app_version: client.app_version,
            date_created: auth.date_created,
            date_active: auth.date_active,
            ip: "127.0.0.1".into(),
            country: String::new(),
            region: String::new(),
        }
        .into(),
    )
}

/// Refuses to terminate other sessions from a session that is too new.
fn check_not_fresh(ctx: &CallContext<'_>, state: &WorldState, key_id: i64) -> Result<(), RpcError> {
    let created = state
        .keys
        .get(key_id)
        .and_then(|k| k.authorization.as_ref())
        .map_or(0, |a| a.date_created);
    if ctx.world.now() - created < FRESH_SESSION_SECONDS {
        Err(RpcError::new(406, "FRESH_RESET_AUTHORISATION_FORBIDDEN"))
    } else {
        Ok(())
    }
}

/// The key id of `user`'s session named by `hash` (0 is the caller's own).
fn session_key(
    ctx: &CallContext<'_>,
    state: &WorldState,
    user: i64,
    hash: i64,
) -> Result<i64, RpcError> {
    if hash == 0 {
        return Ok(ctx.auth_key_id);
    }
    state
        .keys
        .of_user(user)
        .find(|k| k.authorization.as_ref().is_some_and(|a| a.hash == hash))
        .map(|k| k.key.id())
        .ok_or_else(|| RpcError::bad_request("HASH_INVALID"))
}

fn users_for_rules(
    ctx: &CallContext<'_>,
    state: &WorldState,
    viewer: i64,
    rules: &[tl::enums::PrivacyRule],
) -> Vec<tl::enums::User> {
    let mut ids: Vec<i64> = rules
        .iter()
        .flat_map(|rule| match rule {
            tl::enums::PrivacyRule::PrivacyValueAllowUsers(r) => r.users.clone(),
            tl::enums::PrivacyRule::PrivacyValueDisallowUsers(r) => r.users.clone(),
            _ => Vec::new(),
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.iter()
        .filter_map(|id| state.users.get(*id))
        .map(|u| u.to_tl(ctx.world, viewer))
        .collect()
}

fn privacy_rules(
    ctx: &CallContext<'_>,
    state: &WorldState,
    viewer: i64,
    rules: Vec<tl::enums::PrivacyRule>,
) -> tl::enums::account::PrivacyRules {
    tl::types::account::PrivacyRules {
        users: users_for_rules(ctx, state, viewer, &rules),
        chats: Vec::new(),
        rules,
    }
    .into()
}

/// Stored form of an input rule: users by id, after checking their hashes.
fn store_rule(
    ctx: &CallContext<'_>,
    state: &WorldState,
    rule: &tl::enums::InputPrivacyRule,
) -> Result<tl::enums::PrivacyRule, RpcError> {
    use tl::enums::InputPrivacyRule as I;
    use tl::enums::PrivacyRule as R;
    let users = |inputs: &[tl::enums::InputUser]| -> Result<Vec<i64>, RpcError> {
        inputs
            .iter()
            .map(|input| ctx.resolve_input_user(state, input))
            .collect()
    };
    Ok(match rule {
        I::InputPrivacyValueAllowContacts => R::PrivacyValueAllowContacts,
        I::InputPrivacyValueAllowAll => R::PrivacyValueAllowAll,
        I::InputPrivacyValueAllowUsers(r) => tl::types::PrivacyValueAllowUsers {
            users: users(&r.users)?,
        }
        .into(),
        I::InputPrivacyValueDisallowContacts => R::PrivacyValueDisallowContacts,
        I::InputPrivacyValueDisallowAll => R::PrivacyValueDisallowAll,
        I::InputPrivacyValueDisallowUsers(r) => tl::types::PrivacyValueDisallowUsers {
            users: users(&r.users)?,
        }
        .into(),
        I::InputPrivacyValueAllowChatParticipants(r) => {
            tl::types::PrivacyValueAllowChatParticipants {
                chats: r.chats.clone(),
            }
            .into()
        }
        I::InputPrivacyValueDisallowChatParticipants(r) => {
            tl::types::PrivacyValueDisallowChatParticipants {
                chats: r.chats.clone(),
            }
            .into()
        }
        I::InputPrivacyValueAllowCloseFriends => R::PrivacyValueAllowCloseFriends,
        I::InputPrivacyValueAllowPremium => R::PrivacyValueAllowPremium,
        I::InputPrivacyValueAllowBots => R::PrivacyValueAllowBots,
        I::InputPrivacyValueDisallowBots => R::PrivacyValueDisallowBots,
    })
}

/// The user an `InputPeer` of a block call names (not the caller).
fn blocked_peer(
    ctx: &CallContext<'_>,
    state: &WorldState,
    viewer: i64,
    peer: &tl::enums::InputPeer,
) -> Result<i64, RpcError> {
    match peer {
        tl::enums::InputPeer::PeerSelf => Err(RpcError::bad_request("CONTACT_ID_INVALID")),
        tl::enums::InputPeer::User(_) => match ctx.resolve_input_peer(state, peer) {
            Ok(Peer::User(id)) if id == viewer => Err(RpcError::bad_request("CONTACT_ID_INVALID")),
            Ok(Peer::User(id)) => Ok(id),
            _ => Err(RpcError::bad_request("PEER_ID_INVALID")),
        },
        _ => Err(RpcError::bad_request("PEER_ID_INVALID")),
    }
}

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::account::GetAuthorizations, _>(|ctx, _| {
        let user = ctx.require_user()?;
        let state = ctx.world.lock();
        let authorizations = state
            .keys
            .of_user(user)
            .filter_map(|k| authorization_tl(k, k.key.id() == ctx.auth_key_id))
            .collect();
        Ok(tl::types::account::Authorizations {
            authorization_ttl_days: AUTHORIZATION_TTL_DAYS,
            authorizations,
        }
        .into())
    });

    router.add::<tl::functions::account::ResetAuthorization, _>(|ctx, request| {
        let user = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let key_id = session_key(ctx, &state, user, request.hash)?;
        if key_id == ctx.auth_key_id {
            // Telegram wants auth.logOut for the current session.
            return Err(RpcError::bad_request("HASH_INVALID"));
        }
        check_not_fresh(ctx, &state, ctx.auth_key_id)?;
        state.keys.sign_out(key_id);
        Ok(true)
    });

    router.add::<tl::functions::account::ChangeAuthorizationSettings, _>(|ctx, request| {
        let user = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let key_id = session_key(ctx, &state, user, request.hash)?;
        let auth = state
            .keys
            .get_mut(key_id)
            .and_then(|k| k.authorization.as_mut())
            .ok_or_else(|| RpcError::bad_request("HASH_INVALID"))?;
        if let Some(disabled) = request.call_requests_disabled {
            auth.call_requests_disabled = disabled;
        }
        if let Some(disabled) = request.encrypted_requests_disabled {
            auth.encrypted_requests_disabled = disabled;
        }
        Ok(true)
    });

    router.add::<tl::functions::auth::ResetAuthorizations, _>(|ctx, _| {
        let user = ctx.require_user()?;
        let mut state = ctx.world.lock();
        check_not_fresh(ctx, &state, ctx.auth_key_id)?;
        let others: Vec<i64> = state
            .keys
            .of_user(user)
            .map(|k| k.key.id())
            .filter(|&id| id != ctx.auth_key_id)
            .collect();
        for key_id in others {
            state.keys.sign_out(key_id);
        }
        Ok(true)
    });

    router.add::<tl::functions::account::GetPrivacy, _>(|ctx, request| {
        let user = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let key = PrivacyKey::from(&request.key);
        let rules = state
            .extensions
            .get_mut::<Settings>()
            .rules
            .get(&(user, key))
            .cloned()
            .unwrap_or_else(|| default_rules(key));
        Ok(privacy_rules(ctx, &state, user, rules))
    });

    router.add::<tl::functions::account::SetPrivacy, _>(|ctx, request| {
        let user = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let rules = request
            .rules
            .iter()
            .map(|rule| store_rule(ctx, &state, rule))
            .collect::<Result<Vec<_>, _>>()?;
        let key = PrivacyKey::from(&request.key);
        if key == PrivacyKey::ChatInvite {
            state.chat_invite_rules.insert(user, rules.clone());
        }
        state
            .extensions
            .get_mut::<Settings>()
            .rules
            .insert((user, key), rules.clone());
        Ok(privacy_rules(ctx, &state, user, rules))
    });

    router.add::<tl::functions::account::GetGlobalPrivacySettings, _>(|ctx, _| {
        let user = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let settings = state
            .extensions
            .get_mut::<Settings>()
            .global
            .get(&user)
            .cloned()
            .unwrap_or_else(default_global);
        Ok(settings.into())
    });

    router.add::<tl::functions::account::SetGlobalPrivacySettings, _>(|ctx, request| {
        let user = ctx.require_user()?;
        let tl::enums::GlobalPrivacySettings::Settings(settings) = request.settings;
        let premium = ctx.world.lock().users.get(user).is_some_and(|u| u.premium);
        if settings.noncontact_peers_paid_stars.is_some() && !premium {
            return Err(RpcError::forbidden("PREMIUM_ACCOUNT_REQUIRED"));
        }
        ctx.world
            .lock()
            .extensions
            .get_mut::<Settings>()
            .global
            .insert(user, settings.clone());
        Ok(settings.into())
    });

    router.add::<tl::functions::contacts::Block, _>(|ctx, request| {
        let user = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let target = blocked_peer(ctx, &state, user, &request.id)?;
        let now = ctx.world.now();
        state
            .blocks
            .block(user, request.my_stories_from, target, now);
        Ok(true)
    });

    router.add::<tl::functions::contacts::Unblock, _>(|ctx, request| {
        let user = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let target = blocked_peer(ctx, &state, user, &request.id)?;
        state.blocks.unblock(user, request.my_stories_from, target);
        Ok(true)
    });

    router.add::<tl::functions::contacts::GetBlocked, _>(|ctx, request| {
        let user = ctx.require_user()?;
        if request.offset < 0 || request.limit < 0 {
            return Err(RpcError::bad_request("LIMIT_INVALID"));
        }
        let state = ctx.world.lock();
        let list = state.blocks.list(user, request.my_stories_from);
        // Newest first, as Telegram lists them.
        let page: Vec<(i64, i32)> = list
            .iter()
            .rev()
            .skip(request.offset as usize)
            .take(request.limit.min(100) as usize)
            .copied()
            .collect();
        let blocked = page
            .iter()
            .map(|&(id, date)| {
                tl::types::PeerBlocked {
                    peer_id: tl::types::PeerUser { user_id: id }.into(),
                    date,
                }
                .into()
            })
            .collect();
        let users = page
            .iter()
            .filter_map(|(id, _)| state.users.get(*id))
            .map(|u| u.to_tl(ctx.world, user))
            .collect();
        Ok(if page.len() == list.len() {
            tl::types::contacts::Blocked {
                blocked,
                chats: Vec::new(),
                users,
            }
            .into()
        } else {
            tl::types::contacts::BlockedSlice {
                count: list.len() as i32,
                blocked,
                chats: Vec::new(),
                users,
            }
            .into()
        })
    });
}
