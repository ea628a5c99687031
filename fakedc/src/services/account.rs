//! `account.*` profile edits.

use grammers_tl_types as tl;

use crate::rpc::{Router, RpcError};

/// Telegram's limits on profile fields (from the client app config).
const MAX_NAME_LEN: usize = 64;
const MAX_ABOUT_LEN: usize = 70;
const MAX_ABOUT_LEN_PREMIUM: usize = 140;

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::account::UpdateProfile, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let user = state
            .users
            .get_mut(viewer)
            .ok_or_else(|| RpcError::internal("USER_GONE"))?;
        if let Some(first) = &request.first_name {
            let first = first.trim();
            if first.is_empty() || first.chars().count() > MAX_NAME_LEN {
                return Err(RpcError::bad_request("FIRSTNAME_INVALID"));
            }
        }
        if let Some(last) = &request.last_name
            && last.trim().chars().count() > MAX_NAME_LEN
        {
            return Err(RpcError::bad_request("LASTNAME_INVALID"));
        }
        if let Some(about) = &request.about {
            let max = if user.premium {
                MAX_ABOUT_LEN_PREMIUM
            } else {
                MAX_ABOUT_LEN
            };
            if about.chars().count() > max {
                return Err(RpcError::bad_request("ABOUT_TOO_LONG"));
            }
        }
        if let Some(first) = request.first_name {
            user.first_name = first.trim().to_string();
        }
        if let Some(last) = request.last_name {
            user.last_name = last.trim().to_string();
        }
        if let Some(about) = request.about {
            user.about = (!about.is_empty()).then_some(about);
        }
        Ok(user.to_tl(ctx.world, viewer))
    });
}
