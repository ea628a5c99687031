//! `auth.*` and the 2FA part of `account.*`: phone + code, 2FA password,
//! bot tokens, and carrying an authorization from one DC to another.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use grammers_tl_types as tl;

use crate::rpc::{Access, CallContext, Router, RpcError};
use crate::srp;
use crate::world::WorldState;

/// How long a login code stays valid.
const CODE_TTL: Duration = Duration::from_secs(300);
const CODE_LENGTH: usize = 5;

/// Login codes "sent" by `auth.sendCode`, kept so tests can read them as a
/// user would read the SMS. `Debug` never shows the codes.
#[derive(Default)]
pub struct LoginCodes {
    by_hash: HashMap<String, PendingCode>,
    latest_by_phone: HashMap<String, String>,
}

struct PendingCode {
    phone: String,
    code: String,
    expires: Instant,
}

impl fmt::Debug for LoginCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginCodes")
            .field("pending", &self.by_hash.len())
            .finish_non_exhaustive()
    }
}

impl LoginCodes {
    /// The last code sent to `phone`, if any.
    pub fn latest(&self, phone: &str) -> Option<String> {
        self.latest_by_phone.get(&normalize_phone(phone)?).cloned()
    }
}

/// Authorizations exported for import on another DC.
#[derive(Default)]
struct ExportedAuths {
    by_id: HashMap<i64, Exported>,
}

struct Exported {
    user_id: i64,
    dc_id: i32,
    bytes: Vec<u8>,
}

/// Telegram takes phone numbers as digits; clients may add `+` and spaces.
fn normalize_phone(phone: &str) -> Option<String> {
    let digits: String = phone
        .chars()
        .filter(|c| !matches!(c, '+' | ' ' | '-' | '(' | ')'))
        .collect();
    (!digits.is_empty() && digits.len() <= 20 && digits.chars().all(|c| c.is_ascii_digit()))
        .then_some(digits)
}

fn phone_or_invalid(phone: &str) -> Result<String, RpcError> {
    normalize_phone(phone).ok_or_else(|| RpcError::bad_request("PHONE_NUMBER_INVALID"))
}

fn check_api(api_id: i32, api_hash: &str) -> Result<(), RpcError> {
    if api_id <= 0 || api_hash.is_empty() {
        Err(RpcError::bad_request("API_ID_INVALID"))
    } else {
        Ok(())
    }
}

/// `auth.authorization` for a user that just signed in on this key.
fn signed_in(
    ctx: &CallContext<'_>,
    state: &mut WorldState,
    user_id: i64,
) -> Result<tl::enums::auth::Authorization, RpcError> {
    state.keys.sign_in(ctx.auth_key_id, user_id);
    let user = state
        .users
        .get(user_id)
        .ok_or_else(|| RpcError::internal("USER_GONE"))?;
    Ok(tl::types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token: None,
        user: user.to_tl(ctx.world, user_id),
    }
    .into())
}

pub(super) fn register(router: &mut Router) {
    router.add_with_access::<tl::functions::auth::SendCode, _>(Access::Anyone, |ctx, request| {
        check_api(request.api_id, &request.api_hash)?;
        let phone = phone_or_invalid(&request.phone_number)?;
        let mut state = ctx.world.lock();
        let registered = match state.users.by_phone(&phone) {
            Some(user) if user.home_dc != ctx.dc_id => {
                return Err(RpcError::migrate("PHONE", user.home_dc));
            }
            Some(_) => true,
            None => false,
        };
        let code: String = crate::random::bytes(CODE_LENGTH)
            .iter()
            .map(|b| char::from(b'0' + b % 10))
            .collect();
        let hash = format!("{:016x}", crate::random::positive_i64());
        let codes = state.extensions.get_mut::<LoginCodes>();
        codes.latest_by_phone.insert(phone.clone(), code.clone());
        codes.by_hash.insert(
            hash.clone(),
            PendingCode {
                phone,
                code,
                expires: Instant::now() + CODE_TTL,
            },
        );
        // Registered accounts get the code in their other sessions, new
        // numbers by SMS, as Telegram does.
        let kind = if registered {
            tl::types::auth::SentCodeTypeApp {
                length: CODE_LENGTH as i32,
            }
            .into()
        } else {
            tl::types::auth::SentCodeTypeSms {
                length: CODE_LENGTH as i32,
            }
            .into()
        };
        Ok(tl::types::auth::SentCode {
            r#type: kind,
            phone_code_hash: hash,
            next_type: None,
            timeout: None,
        }
        .into())
    });

    router.add_with_access::<tl::functions::auth::SignIn, _>(Access::Anyone, |ctx, request| {
        let phone = phone_or_invalid(&request.phone_number)?;
        if request.phone_code_hash.is_empty() {
            return Err(RpcError::bad_request("PHONE_CODE_HASH_EMPTY"));
        }
        let code = request
            .phone_code
            .filter(|c| !c.is_empty())
            .ok_or_else(|| RpcError::bad_request("PHONE_CODE_EMPTY"))?;
        let mut state = ctx.world.lock();
        let codes = state.extensions.get_mut::<LoginCodes>();
        match codes.by_hash.get(&request.phone_code_hash) {
            Some(pending) if pending.phone != phone => {
                return Err(RpcError::bad_request("PHONE_NUMBER_INVALID"));
            }
            Some(pending) if pending.expires < Instant::now() => {
                codes.by_hash.remove(&request.phone_code_hash);
                return Err(RpcError::bad_request("PHONE_CODE_EXPIRED"));
            }
            Some(pending) if pending.code != code => {
                return Err(RpcError::bad_request("PHONE_CODE_INVALID"));
            }
            Some(_) => {
                codes.by_hash.remove(&request.phone_code_hash);
            }
            None => return Err(RpcError::bad_request("PHONE_CODE_EXPIRED")),
        }
        let Some(user) = state.users.by_phone(&phone) else {
            return Ok(tl::types::auth::AuthorizationSignUpRequired {
                terms_of_service: None,
            }
            .into());
        };
        let user_id = user.id;
        if user.password.is_some() {
            if let Some(record) = state.keys.get_mut(ctx.auth_key_id) {
                record.password_pending_user = Some(user_id);
            }
            return Err(RpcError::unauthorized("SESSION_PASSWORD_NEEDED"));
        }
        signed_in(ctx, &mut state, user_id)
    });

    router.add_with_access::<tl::functions::auth::ImportBotAuthorization, _>(
        Access::Anyone,
        |ctx, request| {
            check_api(request.api_id, &request.api_hash)?;
            let mut state = ctx.world.lock();
            let bot = state
                .users
                .by_bot_token(&request.bot_auth_token)
                .ok_or_else(|| RpcError::bad_request("ACCESS_TOKEN_INVALID"))?;
            if bot.home_dc != ctx.dc_id {
                return Err(RpcError::migrate("USER", bot.home_dc));
            }
            let bot_id = bot.id;
            signed_in(ctx, &mut state, bot_id)
        },
    );

    router.add_with_access::<tl::functions::account::GetPassword, _>(Access::Anyone, |ctx, _| {
        let state = ctx.world.lock();
        let user_id = password_subject(ctx, &state)?;
        Ok(
            match state.users.get(user_id).and_then(|u| u.password.as_ref()) {
                Some(password) => password.account_password(),
                None => srp::account_password_unset(),
            },
        )
    });

    router.add_with_access::<tl::functions::auth::CheckPassword, _>(
        Access::Anyone,
        |ctx, request| {
            let mut state = ctx.world.lock();
            let user_id = password_subject(ctx, &state)?;
            let password = state
                .users
                .get(user_id)
                .and_then(|u| u.password.clone())
                .ok_or_else(|| RpcError::bad_request("PASSWORD_HASH_INVALID"))?;
            password
                .check(&request.password)
                .map_err(|e| RpcError::bad_request(e.name()))?;
            signed_in(ctx, &mut state, user_id)
        },
    );

    router.add::<tl::functions::auth::ExportAuthorization, _>(|ctx, request| {
        let user_id = ctx.require_user()?;
        if request.dc_id == ctx.dc_id || !ctx.world.has_dc(request.dc_id) {
            return Err(RpcError::bad_request("DC_ID_INVALID"));
        }
        let id = crate::random::positive_i64();
        let bytes = crate::random::bytes(128);
        ctx.world
            .lock()
            .extensions
            .get_mut::<ExportedAuths>()
            .by_id
            .insert(
                id,
                Exported {
                    user_id,
                    dc_id: request.dc_id,
                    bytes: bytes.clone(),
                },
            );
        Ok(tl::types::auth::ExportedAuthorization { id, bytes }.into())
    });

    router.add_with_access::<tl::functions::auth::ImportAuthorization, _>(
        Access::Anyone,
        |ctx, request| {
            let mut state = ctx.world.lock();
            let exported = state.extensions.get_mut::<ExportedAuths>();
            let user_id = match exported.by_id.get(&request.id) {
                Some(e) if e.bytes == request.bytes && e.dc_id == ctx.dc_id => e.user_id,
                _ => return Err(RpcError::bad_request("AUTH_BYTES_INVALID")),
            };
            exported.by_id.remove(&request.id);
            signed_in(ctx, &mut state, user_id)
        },
    );

    router.add::<tl::functions::auth::LogOut, _>(|ctx, _| {
        ctx.world.lock().keys.sign_out(ctx.auth_key_id);
        Ok(tl::types::auth::LoggedOut {
            future_auth_token: None,
        }
        .into())
    });
}

/// Whose password a key may ask about: the user it is signed in as, or the
/// one that passed the code check and still owes the password.
fn password_subject(ctx: &CallContext<'_>, state: &WorldState) -> Result<i64, RpcError> {
    let record = state
        .keys
        .get(ctx.auth_key_id)
        .ok_or_else(|| RpcError::unauthorized("AUTH_KEY_UNREGISTERED"))?;
    record
        .user_id
        .or(record.password_pending_user)
        .ok_or_else(|| RpcError::unauthorized("AUTH_KEY_UNREGISTERED"))
}
