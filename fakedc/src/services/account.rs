//! `account.*` profile edits: name and bio, username, birthday; and
//! presence (`account.updateStatus`, pushed as `updateUserStatus` to the
//! users who have the account as a contact).

use grammers_tl_types as tl;

use crate::rpc::{Router, RpcError};
use crate::world::{Birthday, Delivery, ONLINE_FOR_SECONDS, Presence, is_valid_username};

/// Telegram's limits on profile fields (from the client app config).
const MAX_NAME_LEN: usize = 64;
/// "An invalid age was specified, must be between 0 and 150 years."
const MAX_AGE_YEARS: i32 = 150;

pub(super) fn register(router: &mut Router) {
    router.add::<tl::functions::account::UpdateStatus, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let now = ctx.world.now();
        let presence = if request.offline {
            Presence::Offline { was_online: now }
        } else {
            Presence::Online {
                expires: now.saturating_add(ONLINE_FOR_SECONDS),
            }
        };
        let watchers = ctx.world.lock().users.set_presence(viewer, presence);
        let Some(status) = presence.to_tl() else {
            return Ok(true);
        };
        let pushes = watchers
            .into_iter()
            .filter(|&watcher| watcher != viewer)
            .map(|watcher| Delivery {
                user_id: watcher,
                except_session: None,
                updates: tl::types::UpdateShort {
                    update: tl::types::UpdateUserStatus {
                        user_id: viewer,
                        status: status.clone(),
                    }
                    .into(),
                    date: now,
                }
                .into(),
            })
            .collect();
        ctx.world.push(pushes);
        Ok(true)
    });

    router.add::<tl::functions::account::UpdateProfile, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let limits = ctx.world.limits();
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
        if let Some(about) = &request.about
            && about.chars().count() > limits.max_about_len(user.premium)
        {
            return Err(RpcError::bad_request("ABOUT_TOO_LONG"));
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

    router.add::<tl::functions::account::CheckUsername, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        if !is_valid_username(&request.username) {
            return Err(RpcError::bad_request("USERNAME_INVALID"));
        }
        let state = ctx.world.lock();
        Ok(!state.username_taken(&request.username, viewer))
    });

    router.add::<tl::functions::account::UpdateUsername, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let mut state = ctx.world.lock();
        let current = state
            .users
            .get(viewer)
            .ok_or_else(|| RpcError::internal("USER_GONE"))?
            .username
            .clone();
        let name = request.username;
        let new = if name.is_empty() {
            if current.is_none() {
                return Err(RpcError::bad_request("USERNAME_NOT_MODIFIED"));
            }
            None
        } else {
            if !is_valid_username(&name) {
                return Err(RpcError::bad_request("USERNAME_INVALID"));
            }
            if current.as_deref() == Some(name.as_str()) {
                return Err(RpcError::bad_request("USERNAME_NOT_MODIFIED"));
            }
            // Changing only the case of one's own name is allowed.
            if state.username_taken(&name, viewer) {
                return Err(RpcError::bad_request("USERNAME_OCCUPIED"));
            }
            Some(name)
        };
        let user = state
            .users
            .get_mut(viewer)
            .ok_or_else(|| RpcError::internal("USER_GONE"))?;
        user.username = new;
        Ok(user.to_tl(ctx.world, viewer))
    });

    router.add::<tl::functions::account::UpdateBirthday, _>(|ctx, request| {
        let viewer = ctx.require_user()?;
        let birthday = match request.birthday {
            None => None,
            Some(tl::enums::Birthday::Birthday(b)) => {
                let birthday = Birthday {
                    day: b.day,
                    month: b.month,
                    year: b.year,
                };
                if !is_valid_birthday(birthday, current_year(ctx.world.now())) {
                    return Err(RpcError::bad_request("BIRTHDAY_INVALID"));
                }
                Some(birthday)
            }
        };
        let mut state = ctx.world.lock();
        let user = state
            .users
            .get_mut(viewer)
            .ok_or_else(|| RpcError::internal("USER_GONE"))?;
        user.birthday = birthday;
        Ok(true)
    });
}

/// The calendar year at `now` (UTC), close enough for an age check.
fn current_year(now: i32) -> i32 {
    const SECONDS_PER_YEAR: i64 = 31_556_952; // 365.2425 days
    1970 + (i64::from(now) / SECONDS_PER_YEAR) as i32
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// A real date (29 February only in leap years, or without a year), and an
/// age between 0 and 150 years.
fn is_valid_birthday(birthday: Birthday, this_year: i32) -> bool {
    let days = match birthday.month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if birthday.year.is_none_or(is_leap) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&birthday.day)
        && birthday
            .year
            .is_none_or(|year| (this_year - MAX_AGE_YEARS..=this_year).contains(&year))
}

#[cfg(test)]
mod tests {
    use super::{Birthday, is_valid_birthday};

    fn date(day: i32, month: i32, year: Option<i32>) -> Birthday {
        Birthday { day, month, year }
    }

    #[test]
    fn birthdays() {
        assert!(is_valid_birthday(date(30, 3, Some(1994)), 2025));
        assert!(is_valid_birthday(date(29, 2, None), 2025));
        assert!(is_valid_birthday(date(29, 2, Some(2000)), 2025));
        assert!(!is_valid_birthday(date(29, 2, Some(1900)), 2025));
        assert!(!is_valid_birthday(date(31, 4, None), 2025));
        assert!(!is_valid_birthday(date(1, 13, None), 2025));
        assert!(!is_valid_birthday(date(1, 1, Some(1850)), 2025));
        assert!(!is_valid_birthday(date(1, 1, Some(2030)), 2025));
        assert!(!is_valid_birthday(date(0, 1, None), 2025));
    }
}
