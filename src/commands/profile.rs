//! The profile half of the profile & bootstrap group
//! (`shared/spec/commands-profile-bootstrap.txt`): the account's own profile
//! (`refresh_self_profile`, `set_name`, `set_bio`, `set_username`,
//! `set_birthdate`) and other people's and chats' profiles (`get_user`,
//! `get_chat_profile`). The bootstrap half is in [`super::bootstrap`].
//!
//! # Errors invented here
//!
//! The spec lists only "`<field>` is required" errors (and the fixed
//! `refresh_self_profile` and `set_birthdate` strings, used verbatim).
//! Checks the spec leaves open use TDLib's words where TDLib makes the same
//! decision, and these messages otherwise, each refused before anything is
//! sent:
//!
//! | Command | Message | When |
//! |---|---|---|
//! | `get_user`, `get_chat_profile` | `user_id must be an integer`, `chat_id must be an integer` | neither a number nor a string of digits |
//! | `get_user` | `User not found` (TDLib's) | an id ≤ 0 (also when neither the session nor Telegram knows the user) |
//! | `get_chat_profile` | `chat_id is invalid` | 0, which names no chat in TDLib's marking |
//! | `get_chat_profile` | `Chat not found` (TDLib's) | a channel whose access hash the session does not know |
//! | `set_username` | `Username is invalid` (TDLib's) | a name that breaks Telegram's rules (below) |
//! | `set_birthdate` | `day must be an integer`, `month must be an integer`, `year must be an integer` | a non-numeric value |
//! | `set_birthdate` | `year is out of range` | a year beyond 32 bits |
//! | strict typed variants | `<field> must be at most <n> characters` | see [`super::limits::TextPolicy`] |
//!
//! The username rules are Telegram's own (those of TDLib's
//! `is_allowed_username`: 5 to 32 characters, a letter first, letters,
//! digits and single underscores, no underscore last), so a name that
//! passes them can only fail on the server for being taken
//! (`USERNAME_OCCUPIED`) or reserved.
//!
//! # Cleaning, as TDLib does
//!
//! `set_name` cleans both names with TDLib's `clean_name` and cuts them to
//! 64 characters; `set_bio` cleans the bio (line feeds become spaces) and
//! cuts it to the account's `bio_length_max` (70, or 140 with Premium). The
//! typed API has strict variants ([`SetName::strict`], [`SetBio::strict`])
//! that refuse what would be cut.

use std::path::{Path, PathBuf};

use grammers_tl_types as tl;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};
use tracing::{debug, warn};

use super::ids::{self, ChatRef};
use super::limits::{self, TextPolicy};
use super::profile_store::{ProfileStore, StoredProfile};
use super::td;
use super::{Command, CommandError, CommandInfo, Method, SpecRef};
use crate::client::Client;
use crate::error::Error;
use crate::transfer::{DownloadOptions, FileLocation};

/// `refresh_self_profile`'s error when the profile store cannot be opened or
/// written (the spec's exact string).
pub const DATABASE_UNAVAILABLE: &str =
    "Database connection is unavailable. Please retry self profile refresh.";
/// `refresh_self_profile`'s error for any other failure that is not an RPC
/// or transport error (the spec's exact string). The cause is logged.
pub const UNEXPECTED_REFRESH_ERROR: &str = "Unexpected error during self profile refresh.";

fn unexpected(cause: impl std::fmt::Display) -> CommandError {
    warn!(%cause, "self profile refresh failed");
    CommandError::failed_after_send(UNEXPECTED_REFRESH_ERROR)
}

fn protocol(message: &str) -> CommandError {
    CommandError::Failed(Error::Protocol(message.into()))
}

/// The `user` constructor with id `id` among `users`.
fn find_user(users: &[tl::enums::User], id: i64) -> Option<&tl::types::User> {
    users.iter().find_map(|user| match user {
        tl::enums::User::User(u) if u.id == id => Some(u),
        _ => None,
    })
}

/// A user and the full info Telegram keeps about them: the answer of
/// `get_user`, and part of `refresh_self_profile`'s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserProfile {
    /// TDLib's `user`.
    pub user: td::User,
    /// TDLib's `userFullInfo`.
    pub full_info: td::UserFullInfo,
}

/// `users.getFullUser`, remembering everyone it names.
async fn full_user(
    client: &Client,
    input: tl::enums::InputUser,
) -> Result<(tl::types::User, tl::enums::UserFull), CommandError> {
    let tl::enums::users::UserFull::Full(full) = client
        .invoke(&tl::functions::users::GetFullUser { id: input })
        .await?;
    client.remember_users(&full.users).await?;
    client.remember_chats(&full.chats).await?;
    let tl::enums::UserFull::Full(info) = &full.full_user;
    let user = find_user(&full.users, info.id)
        .cloned()
        .ok_or_else(|| protocol("users.getFullUser returned no user"))?;
    Ok((user, full.full_user))
}

// ---------------------------------------------------------------------------
// refresh_self_profile

/// `refresh_self_profile`: reads the account's profile
/// (`users.getUsers([inputUserSelf])` and `users.getFullUser(inputUserSelf)`),
/// caches the profile photo in the media cache, and persists the profile in
/// the [profile store](super::profile_store).
///
/// ```json
/// {"action": "refresh_self_profile", "userbot_id": 1}
/// ```
///
/// Answers with [`SelfProfile`]. The store is opened before anything is
/// sent; when it cannot be opened (or written) the error is
/// [`DATABASE_UNAVAILABLE`]. RPC and transport errors of the two reads come
/// through by name (`FLOOD_WAIT_30`); anything else, such as the photo
/// download failing, is [`UNEXPECTED_REFRESH_ERROR`] with the cause logged.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RefreshSelfProfile {}

/// What `refresh_self_profile` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelfProfile {
    /// TDLib's `user` for the account.
    pub user: td::User,
    /// TDLib's `userFullInfo` for the account.
    pub full_info: td::UserFullInfo,
    /// Where the profile photo is cached; `null` without a photo.
    pub photo_path: Option<String>,
    /// The profile store written.
    pub store_path: String,
    /// Unix time of the refresh.
    pub synced_at: i64,
}

/// Downloads the profile photo into the media cache (unless it is there
/// already) and returns its path.
async fn cache_profile_photo(
    client: &Client,
    user_id: i64,
    photo: &tl::types::UserProfilePhoto,
) -> Result<PathBuf, Error> {
    let dir = client.media_cache_dir().to_path_buf();
    let name = format!("profile_{user_id}_{}.jpg", photo.photo_id);
    let path = dir.join(&name);
    if tokio::fs::metadata(&path)
        .await
        .is_ok_and(|meta| meta.is_file() && meta.len() > 0)
    {
        debug!(path = %path.display(), "profile photo already cached");
        return Ok(path);
    }
    let location = FileLocation {
        location: tl::types::InputPeerPhotoFileLocation {
            big: true,
            peer: tl::enums::InputPeer::PeerSelf,
            photo_id: photo.photo_id,
        }
        .into(),
        dc_id: photo.dc_id,
        size: None,
    };
    let mut bytes = Vec::new();
    client
        .download(&location, .., &mut bytes, &DownloadOptions::default())
        .await?;
    // A private directory, and a unique temporary file renamed into place
    // and synced, so a cached file is never partial, never another's, and
    // never written through a planted symlink.
    let written = tokio::task::spawn_blocking(move || {
        crate::private_files::create_private_dir(&dir)?;
        crate::private_files::write_atomically(&dir, &name, &bytes)
    })
    .await
    .map_err(std::io::Error::other)??;
    Ok(written)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn path_string(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

impl Command for RefreshSelfProfile {
    const ACTION: &'static str = "refresh_self_profile";
    const SPEC: SpecRef = SpecRef::profile_bootstrap("Command: refresh_self_profile");
    const FIRST_METHOD: Method = Method::of::<tl::functions::users::GetUsers>("users.getUsers");
    type Json = Self;
    type Response = SelfProfile;

    fn validate(json: Self) -> Result<Self, CommandError> {
        Ok(json)
    }

    fn sample() -> Value {
        json!({})
    }

    async fn run(self, client: &Client) -> Result<SelfProfile, CommandError> {
        let store = ProfileStore::open(client.profile_store_path())
            .await
            .map_err(|e| {
                warn!(error = %e, "profile store unavailable");
                CommandError::Unavailable(DATABASE_UNAVAILABLE.into())
            })?;
        let users = client
            .invoke(&tl::functions::users::GetUsers {
                id: vec![tl::enums::InputUser::UserSelf],
            })
            .await?;
        client.remember_users(&users).await?;
        let me = users
            .iter()
            .find_map(|user| match user {
                tl::enums::User::User(u) if u.is_self => Some(u.clone()),
                _ => None,
            })
            .ok_or_else(|| unexpected("users.getUsers returned no self user"))?;
        let (_, full) = full_user(client, tl::enums::InputUser::UserSelf).await?;
        let user = td::User::from_tl(&me.clone().into())
            .ok_or_else(|| unexpected("the self user is empty"))?;
        let full_info = td::UserFullInfo::from_tl(&full);
        let photo_path = match &me.photo {
            Some(tl::enums::UserProfilePhoto::Photo(photo)) => Some(
                cache_profile_photo(client, me.id, photo)
                    .await
                    .map_err(unexpected)?,
            ),
            _ => None,
        };
        let synced_at = unix_now();
        let profile_json = serde_json::to_string(&UserProfile {
            user: user.clone(),
            full_info: full_info.clone(),
        })
        .map_err(unexpected)?;
        let stored = StoredProfile {
            user_id: me.id,
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            username: me.username.clone(),
            phone_number: user.phone_number.clone(),
            bio: full_info
                .bio
                .as_ref()
                .map(|b| b.text.clone())
                .unwrap_or_default(),
            birthdate: full_info.birthdate,
            is_premium: user.is_premium,
            photo_id: user.profile_photo.as_ref().map(|p| p.id),
            photo_path: photo_path.clone(),
            profile_json,
            synced_at,
        };
        store.save(&stored).await.map_err(|e| {
            warn!(error = %e, "profile store write failed");
            CommandError::Unavailable(DATABASE_UNAVAILABLE.into())
        })?;
        Ok(SelfProfile {
            user,
            full_info,
            photo_path: photo_path.as_deref().map(path_string),
            store_path: path_string(store.path()),
            synced_at,
        })
    }
}

// ---------------------------------------------------------------------------
// get_user

/// `get_user`: a user with their full info (`users.getFullUser`; for a user
/// whose access hash the session does not know, `users.getUsers` first).
///
/// ```json
/// {"action": "get_user", "userbot_id": 1, "user_id": 123456789}
/// ```
///
/// Answers with [`UserProfile`]: `{"user": {"@type": "user", …},
/// "full_info": {"@type": "userFullInfo", …}}`. `user_id is required` when
/// `user_id` is missing; `User not found` when neither the session nor
/// Telegram knows the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUser {
    user_id: i64,
}

/// The JSON form of [`GetUser`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GetUserJson {
    /// The user (a number or a string of digits).
    pub user_id: Option<Value>,
}

impl GetUser {
    /// The request for `user_id`; `User not found` for an id ≤ 0.
    pub fn new(user_id: i64) -> Result<Self, CommandError> {
        if user_id <= 0 {
            return Err(CommandError::invalid(USER_NOT_FOUND));
        }
        Ok(Self { user_id })
    }
}

/// TDLib's answer for a user it cannot name.
pub const USER_NOT_FOUND: &str = "User not found";

impl Command for GetUser {
    const ACTION: &'static str = "get_user";
    const SPEC: SpecRef = SpecRef::profile_bootstrap("Command: get_user");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::users::GetFullUser>("users.getFullUser");
    type Json = GetUserJson;
    type Response = UserProfile;

    fn validate(json: GetUserJson) -> Result<Self, CommandError> {
        Self::new(ids::required_id(json.user_id.as_ref(), "user_id")?)
    }

    fn sample() -> Value {
        json!({"user_id": "$FRIEND"})
    }

    async fn run(self, client: &Client) -> Result<UserProfile, CommandError> {
        let input = client.input_user(self.user_id).await?;
        let (user, full) = full_user(client, input).await?;
        Ok(UserProfile {
            user: td::User::from_tl(&user.into())
                .ok_or_else(|| protocol("users.getFullUser returned an empty user"))?,
            full_info: td::UserFullInfo::from_tl(&full),
        })
    }
}

// ---------------------------------------------------------------------------
// set_name / set_bio

/// `set_name`: changes the account's name (`account.updateProfile` with
/// `first_name`, and `last_name` when given).
///
/// ```json
/// {"action": "set_name", "userbot_id": 1, "first_name": "Ihor", "last_name": "Petrenko"}
/// ```
///
/// Answers with the updated `user`. Both names are cleaned as TDLib cleans
/// them (blanks collapsed, invisible characters dropped) and cut to 64
/// characters; `first_name is required` when `first_name` is missing or
/// cleans to nothing. A missing `last_name` keeps the current one; `""`
/// removes it. `full_name` is accepted for compatibility with the spec's
/// payload and not sent: MTProto has no full-name field, and the spec makes
/// `first_name` the required source of truth, so `full_name` never fills in
/// for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetName {
    first_name: String,
    last_name: Option<String>,
}

/// The JSON form of [`SetName`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SetNameJson {
    /// Required; blank counts as missing.
    pub first_name: Option<String>,
    /// Absent keeps the current last name; `""` removes it.
    pub last_name: Option<String>,
    /// Accepted and not sent (see [`SetName`]).
    pub full_name: Option<String>,
}

impl SetName {
    /// The request, with both names cleaned and cut as TDLib does; `None`
    /// keeps the last name, `Some("")` removes it.
    pub fn new(first_name: &str, last_name: Option<&str>) -> Result<Self, CommandError> {
        Self::with_policy(first_name, last_name, TextPolicy::Clean)
    }

    /// Like [`SetName::new`], but a name longer than 64 characters is
    /// refused (`first_name must be at most 64 characters`) instead of cut.
    pub fn strict(first_name: &str, last_name: Option<&str>) -> Result<Self, CommandError> {
        Self::with_policy(first_name, last_name, TextPolicy::Strict)
    }

    fn with_policy(
        first_name: &str,
        last_name: Option<&str>,
        policy: TextPolicy,
    ) -> Result<Self, CommandError> {
        let fit =
            |field, text| limits::fit(field, text, limits::NAME_MAX, policy, limits::clean_name);
        let first_name = fit("first_name", first_name)?;
        if first_name.is_empty() {
            return Err(CommandError::invalid("first_name is required"));
        }
        let last_name = last_name.map(|last| fit("last_name", last)).transpose()?;
        Ok(Self {
            first_name,
            last_name,
        })
    }
}

impl Command for SetName {
    const ACTION: &'static str = "set_name";
    const SPEC: SpecRef = SpecRef::profile_bootstrap("Command: set_name");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::account::UpdateProfile>("account.updateProfile");
    type Json = SetNameJson;
    type Response = td::User;

    fn validate(json: SetNameJson) -> Result<Self, CommandError> {
        let first_name = json
            .first_name
            .ok_or_else(|| CommandError::invalid("first_name is required"))?;
        Self::new(&first_name, json.last_name.as_deref())
    }

    fn sample() -> Value {
        json!({"first_name": "New"})
    }

    async fn run(self, client: &Client) -> Result<td::User, CommandError> {
        let user = client
            .invoke(&tl::functions::account::UpdateProfile {
                first_name: Some(self.first_name),
                last_name: self.last_name,
                about: None,
            })
            .await?;
        client.remember_users(std::slice::from_ref(&user)).await?;
        td::User::from_tl(&user).ok_or_else(|| protocol("updateProfile returned no user"))
    }
}

/// `set_bio`: changes the account's bio (`account.updateProfile` with `about`).
///
/// ```json
/// {"action": "set_bio", "userbot_id": 1, "bio": "Backend engineer"}
/// ```
///
/// Answers with the updated `user`. `bio is required` when `bio` is
/// missing; `""` removes the bio. The bio is cleaned as TDLib cleans it
/// (line feeds become spaces, invisible characters at the ends are dropped)
/// and cut to the account's limit: 70 characters, or 140 with Premium. The
/// limit needs the network: a bio longer than 70 characters costs two reads
/// first (`users.getUsers` for the Premium flag and `help.getAppConfig` for
/// `about_length_limit_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetBio {
    bio: String,
    policy: TextPolicy,
}

/// The JSON form of [`SetBio`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SetBioJson {
    /// The new bio; `""` removes it.
    pub bio: Option<String>,
}

impl SetBio {
    /// The request, cleaned and cut as TDLib does.
    pub fn new(bio: &str) -> Self {
        Self {
            bio: limits::clean_bio(bio, limits::BIO_MAX_PREMIUM),
            policy: TextPolicy::Clean,
        }
    }

    /// Like [`SetBio::new`], but a bio longer than the account's limit is
    /// refused (`bio must be at most 70 characters`) instead of cut. The
    /// Premium limit is checked here; the account's own when it runs.
    pub fn strict(bio: &str) -> Result<Self, CommandError> {
        Ok(Self {
            bio: limits::fit(
                "bio",
                bio,
                limits::BIO_MAX_PREMIUM,
                TextPolicy::Strict,
                limits::clean_bio,
            )?,
            policy: TextPolicy::Strict,
        })
    }

    /// The bio that will be sent (before the account's own limit).
    pub fn bio(&self) -> &str {
        &self.bio
    }
}

/// The account's bio limit: `about_length_limit_premium` or
/// `about_length_limit_default` from the app config, by the Premium flag.
async fn bio_length_max(client: &Client) -> Result<usize, CommandError> {
    let users = client
        .invoke(&tl::functions::users::GetUsers {
            id: vec![tl::enums::InputUser::UserSelf],
        })
        .await?;
    let premium = users
        .iter()
        .any(|user| matches!(user, tl::enums::User::User(u) if u.is_self && u.premium));
    let (key, fallback) = if premium {
        ("about_length_limit_premium", limits::BIO_MAX_PREMIUM)
    } else {
        ("about_length_limit_default", limits::BIO_MAX_DEFAULT)
    };
    let reported = client
        .app_config_number(key)
        .await?
        .filter(|n| *n >= 0.0)
        // Saturating float-to-int conversion: never panics.
        .map(|n| n as usize);
    // A server's number is bounded by the Premium limit: it only ever
    // shortens what is sent.
    Ok(reported.map_or(fallback, |n| n.min(limits::BIO_MAX_PREMIUM)))
}

impl Command for SetBio {
    const ACTION: &'static str = "set_bio";
    const SPEC: SpecRef = SpecRef::profile_bootstrap("Command: set_bio");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::account::UpdateProfile>("account.updateProfile");
    type Json = SetBioJson;
    type Response = td::User;

    fn validate(json: SetBioJson) -> Result<Self, CommandError> {
        let bio = json
            .bio
            .ok_or_else(|| CommandError::invalid("bio is required"))?;
        Ok(Self::new(&bio))
    }

    fn sample() -> Value {
        json!({"bio": "about me"})
    }

    async fn run(self, client: &Client) -> Result<td::User, CommandError> {
        let mut bio = self.bio;
        if limits::char_len(&bio) > limits::BIO_MAX_DEFAULT {
            let max = bio_length_max(client).await?;
            bio = limits::fit("bio", &bio, max, self.policy, limits::clean_bio)?;
        }
        let user = client
            .invoke(&tl::functions::account::UpdateProfile {
                first_name: None,
                last_name: None,
                about: Some(bio),
            })
            .await?;
        client.remember_users(std::slice::from_ref(&user)).await?;
        td::User::from_tl(&user).ok_or_else(|| protocol("updateProfile returned no user"))
    }
}

// ---------------------------------------------------------------------------
// set_username

/// TDLib's answer for a username that breaks Telegram's rules.
pub const USERNAME_INVALID: &str = "Username is invalid";

/// Telegram's username rules (TDLib's `is_allowed_username`), checked
/// before anything is sent: `Username is invalid` when they are broken.
pub fn check_username(username: &str) -> Result<(), CommandError> {
    let allowed = limits::USERNAME_LEN.contains(&limits::char_len(username))
        && username.starts_with(|c: char| c.is_ascii_alphabetic())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !username.ends_with('_')
        && !username.contains("__");
    if allowed {
        Ok(())
    } else {
        Err(CommandError::invalid(USERNAME_INVALID))
    }
}

/// `set_username`: sets or removes the account's username
/// (`account.updateUsername`).
///
/// ```json
/// {"action": "set_username", "userbot_id": 1, "username": "ihor_p"}
/// ```
///
/// Answers with the updated `user`. `""` removes the username. Surrounding
/// spaces and one leading `@` are dropped, then the name is checked against
/// Telegram's rules locally (`Username is invalid`, as TDLib says). Setting
/// the name the account already has is a success (Telegram's
/// `USERNAME_NOT_MODIFIED` is answered with the current `user`); a name
/// someone else holds is `USERNAME_OCCUPIED`. `username is required` when
/// `username` is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetUsername {
    username: String,
}

/// The JSON form of [`SetUsername`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SetUsernameJson {
    /// The new username, `""` to remove it.
    pub username: Option<String>,
}

impl SetUsername {
    /// The request; `""` removes the username.
    pub fn new(username: &str) -> Result<Self, CommandError> {
        let trimmed = username.trim();
        let username = trimmed.strip_prefix('@').unwrap_or(trimmed).to_string();
        if !username.is_empty() {
            check_username(&username)?;
        }
        Ok(Self { username })
    }
}

impl Command for SetUsername {
    const ACTION: &'static str = "set_username";
    const SPEC: SpecRef = SpecRef::profile_bootstrap("Command: set_username");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::account::UpdateUsername>("account.updateUsername");
    type Json = SetUsernameJson;
    type Response = td::User;

    fn validate(json: SetUsernameJson) -> Result<Self, CommandError> {
        let raw = json
            .username
            .ok_or_else(|| CommandError::invalid("username is required"))?;
        Self::new(&raw)
    }

    fn sample() -> Value {
        json!({"username": "fresh_name"})
    }

    async fn run(self, client: &Client) -> Result<td::User, CommandError> {
        let user = match client
            .invoke(&tl::functions::account::UpdateUsername {
                username: self.username,
            })
            .await
        {
            Ok(user) => user,
            Err(e) if e.is_rpc("USERNAME_NOT_MODIFIED") => {
                debug!("username unchanged");
                let users = client
                    .invoke(&tl::functions::users::GetUsers {
                        id: vec![tl::enums::InputUser::UserSelf],
                    })
                    .await?;
                users
                    .into_iter()
                    .next()
                    .ok_or_else(|| protocol("users.getUsers returned no self user"))?
            }
            Err(e) => return Err(e.into()),
        };
        client.remember_users(std::slice::from_ref(&user)).await?;
        td::User::from_tl(&user).ok_or_else(|| protocol("updateUsername returned no user"))
    }
}

// ---------------------------------------------------------------------------
// set_birthdate

/// Keeps an explicit `null` apart from an absent field.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// `set_birthdate`: sets or removes the account's birthdate
/// (`account.updateBirthday`).
///
/// ```json
/// {"action": "set_birthdate", "userbot_id": 1, "day": 30, "month": 3, "year": 1994}
/// {"action": "set_birthdate", "userbot_id": 1, "birthdate": {"@type": "birthdate", "day": 30, "month": 3}}
/// {"action": "set_birthdate", "userbot_id": 1, "clear": true}
/// ```
///
/// The date comes from the `birthdate` object when one is given, otherwise
/// from the separate `day`, `month` and `year` fields; `year` is optional (0
/// or absent: unknown). The birthdate is removed when `clear` is true, when
/// `birthdate` is `null`, or when `birthdate_provided` is true without a
/// `birthdate` (the backend's way of saying "given as null").
///
/// Answers with [`BirthdateResult`]. Errors, in the order checked:
/// `birthdate must be an object or null`, `day is required`, `month is
/// required`, `day must be in range 1..31`, `month must be in range 1..12`,
/// `year must be >= 0`; a date Telegram refuses (31 April, an age over 150)
/// is `BIRTHDAY_INVALID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetBirthdate {
    birthdate: Option<td::Birthdate>,
}

/// The JSON form of [`SetBirthdate`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SetBirthdateJson {
    /// Day of the month (with `month`, when there is no `birthdate` object).
    pub day: Option<Value>,
    /// Month, 1–12.
    pub month: Option<Value>,
    /// Year; absent or 0 when unknown.
    pub year: Option<Value>,
    /// `Some(Value::Null)` when given as `null`.
    #[serde(deserialize_with = "present")]
    pub birthdate: Option<Value>,
    /// Remove the birthdate.
    pub clear: Option<bool>,
    /// The backend's flag that `birthdate` was given (as `null` when absent).
    pub birthdate_provided: Option<bool>,
}

/// What `set_birthdate` answers: the birthdate now set, `null` once removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BirthdateResult {
    /// The birthdate set, `null` when removed.
    pub birthdate: Option<td::Birthdate>,
}

fn birthdate_part(value: Option<&Value>, name: &str) -> Result<Option<i64>, CommandError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => ids::id_from_value(value)
            .map(Some)
            .ok_or_else(|| CommandError::invalid(format!("{name} must be an integer"))),
    }
}

/// Checks a date: day 1–31, month 1–12, year ≥ 0 (0: unknown).
fn check_birthdate(day: i64, month: i64, year: i64) -> Result<td::Birthdate, CommandError> {
    if !(1..=31).contains(&day) {
        return Err(CommandError::invalid("day must be in range 1..31"));
    }
    if !(1..=12).contains(&month) {
        return Err(CommandError::invalid("month must be in range 1..12"));
    }
    if year < 0 {
        return Err(CommandError::invalid("year must be >= 0"));
    }
    let year = i32::try_from(year).map_err(|_| CommandError::invalid("year is out of range"))?;
    // Both fit: they were checked against 1..=31 and 1..=12.
    Ok(td::Birthdate::new(day as i32, month as i32, year))
}

/// The date of `fields` (the `birthdate` object or the request itself).
fn parse_birthdate(fields: &Map<String, Value>) -> Result<td::Birthdate, CommandError> {
    let day = birthdate_part(fields.get("day"), "day")?
        .ok_or_else(|| CommandError::invalid("day is required"))?;
    let month = birthdate_part(fields.get("month"), "month")?
        .ok_or_else(|| CommandError::invalid("month is required"))?;
    let year = birthdate_part(fields.get("year"), "year")?.unwrap_or(0);
    check_birthdate(day, month, year)
}

impl SetBirthdate {
    /// Sets the birthdate (`year` optional).
    pub fn new(day: i32, month: i32, year: Option<i32>) -> Result<Self, CommandError> {
        Ok(Self {
            birthdate: Some(check_birthdate(
                day.into(),
                month.into(),
                year.unwrap_or(0).into(),
            )?),
        })
    }

    /// Removes the birthdate.
    pub fn clear() -> Self {
        Self { birthdate: None }
    }
}

impl Command for SetBirthdate {
    const ACTION: &'static str = "set_birthdate";
    const SPEC: SpecRef = SpecRef::profile_bootstrap("Command: set_birthdate");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::account::UpdateBirthday>("account.updateBirthday");
    type Json = SetBirthdateJson;
    type Response = BirthdateResult;

    fn validate(json: SetBirthdateJson) -> Result<Self, CommandError> {
        if json.clear == Some(true) {
            return Ok(Self::clear());
        }
        let birthdate = match &json.birthdate {
            Some(Value::Null) => None,
            Some(Value::Object(fields)) => Some(parse_birthdate(fields)?),
            Some(_) => return Err(CommandError::invalid("birthdate must be an object or null")),
            None if json.birthdate_provided == Some(true) => None,
            None => {
                let mut fields = Map::new();
                for (name, value) in [
                    ("day", json.day),
                    ("month", json.month),
                    ("year", json.year),
                ] {
                    if let Some(value) = value {
                        fields.insert(name.into(), value);
                    }
                }
                Some(parse_birthdate(&fields)?)
            }
        };
        Ok(Self { birthdate })
    }

    fn sample() -> Value {
        json!({"birthdate": {"day": 1, "month": 2, "year": 1990}})
    }

    async fn run(self, client: &Client) -> Result<BirthdateResult, CommandError> {
        client
            .invoke(&tl::functions::account::UpdateBirthday {
                birthday: self.birthdate.map(|b| {
                    tl::types::Birthday {
                        day: b.day,
                        month: b.month,
                        year: (b.year != 0).then_some(b.year),
                    }
                    .into()
                }),
            })
            .await?;
        Ok(BirthdateResult {
            birthdate: self.birthdate,
        })
    }
}

// ---------------------------------------------------------------------------
// get_chat_profile

/// The full info of a chat, by its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ChatFullInfo {
    /// `userFullInfo`, for a private chat.
    User(td::UserFullInfo),
    /// `basicGroupFullInfo`
    BasicGroup(td::BasicGroupFullInfo),
    /// `supergroupFullInfo`, for channels and supergroups.
    Supergroup(td::SupergroupFullInfo),
}

/// What `get_chat_profile` answers: the `chat`, the basic info of what it is
/// (`user`, `basic_group` or `supergroup`; only that one is present), and
/// its `full_info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatProfile {
    /// TDLib's `chat`.
    pub chat: td::Chat,
    /// The `user`, for a private chat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<td::User>,
    /// The `basicGroup`, for a basic group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basic_group: Option<td::BasicGroup>,
    /// The `supergroup`, for a channel or supergroup.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supergroup: Option<td::Supergroup>,
    /// `userFullInfo`, `basicGroupFullInfo` or `supergroupFullInfo`.
    pub full_info: ChatFullInfo,
}

/// `get_chat_profile`: a chat's basic and full info, by the kind of chat
/// its TDLib id names: `users.getFullUser` for a user (`id`),
/// `messages.getFullChat` for a basic group (`-id`), `channels.getFullChannel`
/// for a channel or supergroup (`-1000000000000 - id`).
///
/// ```json
/// {"action": "get_chat_profile", "userbot_id": 1, "chat_id": -1001234567890}
/// ```
///
/// Answers with [`ChatProfile`]. `chat_id is required` when `chat_id` is
/// missing. A channel must be known to the session (met through
/// `search_user`, a dialog list…) for its access hash, else `Chat not found`.
/// Telegram's errors come through by name: `CHAT_ID_INVALID`,
/// `CHANNEL_INVALID`, `CHANNEL_PRIVATE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetChatProfile {
    chat: ChatRef,
}

/// The JSON form of [`GetChatProfile`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GetChatProfileJson {
    /// The TDLib chat id (a number or a string of digits).
    pub chat_id: Option<Value>,
}

impl GetChatProfile {
    /// The request for a TDLib chat id; `chat_id is invalid` for 0.
    pub fn new(chat_id: i64) -> Result<Self, CommandError> {
        let chat = ChatRef::from_chat_id(chat_id)
            .ok_or_else(|| CommandError::invalid("chat_id is invalid"))?;
        Ok(Self { chat })
    }
}

impl Command for GetChatProfile {
    const ACTION: &'static str = "get_chat_profile";
    const SPEC: SpecRef = SpecRef::profile_bootstrap("Command: get_chat_profile");
    const FIRST_METHOD: Method =
        Method::of::<tl::functions::users::GetFullUser>("users.getFullUser");
    type Json = GetChatProfileJson;
    type Response = ChatProfile;

    fn validate(json: GetChatProfileJson) -> Result<Self, CommandError> {
        Self::new(ids::required_id(json.chat_id.as_ref(), "chat_id")?)
    }

    fn sample() -> Value {
        json!({"chat_id": "$FRIEND"})
    }

    async fn run(self, client: &Client) -> Result<ChatProfile, CommandError> {
        match self.chat {
            ChatRef::User(user_id) => {
                let input = client.input_user(user_id).await?;
                let (user, full) = full_user(client, input).await?;
                Ok(ChatProfile {
                    chat: td::Chat::private(&user),
                    user: td::User::from_tl(&user.into()),
                    basic_group: None,
                    supergroup: None,
                    full_info: ChatFullInfo::User(td::UserFullInfo::from_tl(&full)),
                })
            }
            ChatRef::BasicGroup(id) => {
                let tl::enums::messages::ChatFull::Full(answer) = client
                    .invoke(&tl::functions::messages::GetFullChat { chat_id: id })
                    .await?;
                client.remember_users(&answer.users).await?;
                client.remember_chats(&answer.chats).await?;
                let tl::enums::ChatFull::Full(full) = &answer.full_chat else {
                    return Err(protocol("messages.getFullChat returned no chatFull"));
                };
                let group = answer
                    .chats
                    .iter()
                    .find_map(|chat| match chat {
                        tl::enums::Chat::Chat(c) if c.id == id => Some(c),
                        _ => None,
                    })
                    .ok_or_else(|| protocol("messages.getFullChat returned no chat"))?;
                Ok(ChatProfile {
                    chat: td::Chat::from_tl(&group.clone().into())
                        .ok_or_else(|| protocol("unexpected chat kind"))?,
                    user: None,
                    basic_group: Some(td::BasicGroup::from_tl(group)),
                    supergroup: None,
                    full_info: ChatFullInfo::BasicGroup(td::BasicGroupFullInfo::from_tl(full)),
                })
            }
            ChatRef::Channel(id) => {
                let channel = client.input_channel(id).await?;
                let tl::enums::messages::ChatFull::Full(answer) = client
                    .invoke(&tl::functions::channels::GetFullChannel { channel })
                    .await?;
                client.remember_users(&answer.users).await?;
                client.remember_chats(&answer.chats).await?;
                let tl::enums::ChatFull::ChannelFull(full) = &answer.full_chat else {
                    return Err(protocol("channels.getFullChannel returned no channelFull"));
                };
                let channel = answer
                    .chats
                    .iter()
                    .find_map(|chat| match chat {
                        tl::enums::Chat::Channel(c) if c.id == id => Some(c),
                        _ => None,
                    })
                    .ok_or_else(|| protocol("channels.getFullChannel returned no channel"))?;
                Ok(ChatProfile {
                    chat: td::Chat::from_tl(&channel.clone().into())
                        .ok_or_else(|| protocol("unexpected chat kind"))?,
                    user: None,
                    basic_group: None,
                    supergroup: Some(td::Supergroup::from_tl(channel)),
                    full_info: ChatFullInfo::Supergroup(td::SupergroupFullInfo::from_tl(full)),
                })
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Registry

/// This group's commands, for [`super::Registry`].
pub(super) fn commands() -> Vec<CommandInfo> {
    vec![
        CommandInfo::of::<RefreshSelfProfile>(),
        CommandInfo::of::<GetUser>(),
        CommandInfo::of::<SetName>(),
        CommandInfo::of::<SetBio>(),
        CommandInfo::of::<SetUsername>(),
        CommandInfo::of::<SetBirthdate>(),
        CommandInfo::of::<GetChatProfile>(),
    ]
}

// ---------------------------------------------------------------------------
// Typed methods

impl Client {
    /// Reads the account's profile, caches its photo and saves it in the
    /// profile store. See [`RefreshSelfProfile`].
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// let me = client.refresh_self_profile().await?;
    /// println!("{} (photo at {:?})", me.user.first_name, me.photo_path);
    /// # Ok(()) }
    /// ```
    pub async fn refresh_self_profile(&self) -> Result<SelfProfile, CommandError> {
        self.run(RefreshSelfProfile {}).await
    }

    /// A user with their full info. See [`GetUser`].
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// let profile = client.get_user(123456789).await?;
    /// let bio = profile.full_info.bio.map(|b| b.text).unwrap_or_default();
    /// # Ok(()) }
    /// ```
    pub async fn get_user(&self, user_id: i64) -> Result<UserProfile, CommandError> {
        self.run(GetUser::new(user_id)?).await
    }

    /// Sets the account's first name, and the last name when given (`None`
    /// keeps it, `Some("")` removes it), cleaned and cut as TDLib does; see
    /// [`SetName::strict`] to refuse overlong names instead.
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// let me = client.set_name("Ihor", Some("Petrenko")).await?;
    /// assert_eq!(me.last_name, "Petrenko");
    /// # Ok(()) }
    /// ```
    pub async fn set_name(
        &self,
        first_name: &str,
        last_name: Option<&str>,
    ) -> Result<td::User, CommandError> {
        self.run(SetName::new(first_name, last_name)?).await
    }

    /// Sets the account's bio, cleaned and cut as TDLib does; see
    /// [`SetBio::strict`] to refuse an overlong bio instead.
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// let me = client.set_bio("Backend engineer").await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_bio(&self, bio: &str) -> Result<td::User, CommandError> {
        self.run(SetBio::new(bio)).await
    }

    /// Sets the account's username; `""` removes it. See [`SetUsername`].
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// match client.set_username("ihor_p").await {
    ///     Ok(me) => println!("now @{}", me.usernames.unwrap().editable_username),
    ///     Err(e) if e.is_rpc("USERNAME_OCCUPIED") => println!("taken"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn set_username(&self, username: &str) -> Result<td::User, CommandError> {
        self.run(SetUsername::new(username)?).await
    }

    /// Sets the account's birthdate (`year` optional). See [`SetBirthdate`].
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// client.set_birthdate(30, 3, Some(1994)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_birthdate(
        &self,
        day: i32,
        month: i32,
        year: Option<i32>,
    ) -> Result<BirthdateResult, CommandError> {
        self.run(SetBirthdate::new(day, month, year)?).await
    }

    /// Removes the account's birthdate. See [`SetBirthdate`].
    pub async fn clear_birthdate(&self) -> Result<BirthdateResult, CommandError> {
        self.run(SetBirthdate::clear()).await
    }

    /// A chat's basic and full info, by TDLib chat id. See [`GetChatProfile`].
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// use tgcmd::commands::profile::ChatFullInfo;
    /// let profile = client.get_chat_profile(-1001234567890).await?;
    /// if let ChatFullInfo::Supergroup(full) = &profile.full_info {
    ///     println!("{} members", full.member_count);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_chat_profile(&self, chat_id: i64) -> Result<ChatProfile, CommandError> {
        self.run(GetChatProfile::new(chat_id)?).await
    }
}
