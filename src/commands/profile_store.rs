//! The profile store: where `refresh_self_profile` persists the account's
//! own profile, a SQLite file beside the session (see
//! [`ClientBuilder::data_dir`](crate::ClientBuilder::data_dir)).
//!
//! It plays the part of the `UserBot` row the spec's backend updates: one
//! row per account, replaced on every refresh.
//!
//! ```no_run
//! # async fn f(client: tgcmd::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use tgcmd::commands::profile_store::ProfileStore;
//! let me = client.refresh_self_profile().await?;
//! let store = ProfileStore::open(client.profile_store_path()).await?;
//! let saved = store.load(me.user.id).await?.expect("just saved");
//! assert_eq!(saved.first_name, me.user.first_name);
//! # Ok(()) }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use libsql::Value;

use super::td;

/// Why the profile store could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Creating the directory or the file failed.
    #[error("profile store {path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// SQLite refused.
    #[error("profile store {path}: {message}")]
    Sql {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        message: String,
    },
}

/// One account's profile as last synced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProfile {
    /// The account's user id.
    pub user_id: i64,
    /// First name.
    pub first_name: String,
    /// Last name, possibly empty.
    pub last_name: String,
    /// The editable username, without `@`.
    pub username: Option<String>,
    /// The phone number, digits only.
    pub phone_number: String,
    /// The bio, possibly empty.
    pub bio: String,
    /// The birthdate, if set.
    pub birthdate: Option<td::Birthdate>,
    /// Whether the account has Telegram Premium.
    pub is_premium: bool,
    /// The profile photo's id, if there is one.
    pub photo_id: Option<i64>,
    /// The cached profile photo, if there is one.
    pub photo_path: Option<PathBuf>,
    /// The `user` and `userFullInfo` objects as JSON.
    pub profile_json: String,
    /// Unix time of the refresh.
    pub synced_at: i64,
}

/// An open profile store.
pub struct ProfileStore {
    path: PathBuf,
    // Kept alive for the connection's sake.
    _db: libsql::Database,
    conn: libsql::Connection,
}

impl fmt::Debug for ProfileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS self_profile (
    user_id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    username TEXT,
    phone_number TEXT NOT NULL,
    bio TEXT NOT NULL,
    birth_day INTEGER,
    birth_month INTEGER,
    birth_year INTEGER,
    is_premium INTEGER NOT NULL,
    photo_id TEXT,
    photo_path TEXT,
    profile_json TEXT NOT NULL,
    synced_at INTEGER NOT NULL
)";

const COLUMNS: &str = "user_id, first_name, last_name, username, phone_number, bio, \
    birth_day, birth_month, birth_year, is_premium, photo_id, photo_path, profile_json, synced_at";

fn text(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |s| Value::Text(s.to_string()))
}

impl ProfileStore {
    /// Opens (or creates) the store at `path`, creating its directory. The
    /// file is readable by the owner only (0600; an existing looser file is
    /// tightened): it holds a phone number.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let io = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        // A directory made for the store is private; one that exists is
        // the caller's (the directory of their session file, say).
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.exists()
        {
            crate::private_files::create_private_dir(parent).map_err(io)?;
        }
        crate::private_files::create_private_file(&path).map_err(io)?;
        let sql = |e: libsql::Error| StoreError::Sql {
            path: path.clone(),
            message: e.to_string(),
        };
        let db = libsql::Builder::new_local(&path)
            .build()
            .await
            .map_err(sql)?;
        let conn = db.connect().map_err(sql)?;
        conn.execute(SCHEMA, ()).await.map_err(sql)?;
        Ok(Self {
            path: path.clone(),
            _db: db,
            conn,
        })
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql(&self, e: libsql::Error) -> StoreError {
        StoreError::Sql {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// Writes `profile`, replacing the account's previous row.
    pub async fn save(&self, profile: &StoredProfile) -> Result<(), StoreError> {
        let birth = profile.birthdate;
        let params = vec![
            Value::Integer(profile.user_id),
            Value::Text(profile.first_name.clone()),
            Value::Text(profile.last_name.clone()),
            text(profile.username.as_deref()),
            Value::Text(profile.phone_number.clone()),
            Value::Text(profile.bio.clone()),
            birth.map_or(Value::Null, |b| Value::Integer(b.day.into())),
            birth.map_or(Value::Null, |b| Value::Integer(b.month.into())),
            birth
                .filter(|b| b.year != 0)
                .map_or(Value::Null, |b| Value::Integer(b.year.into())),
            Value::Integer(profile.is_premium.into()),
            // int64 as text, like every 64-bit id this crate writes out.
            text(profile.photo_id.map(|id| id.to_string()).as_deref()),
            text(
                profile
                    .photo_path
                    .as_ref()
                    .map(|p| p.to_string_lossy().into_owned())
                    .as_deref(),
            ),
            Value::Text(profile.profile_json.clone()),
            Value::Integer(profile.synced_at),
        ];
        let statement = format!(
            "INSERT OR REPLACE INTO self_profile ({COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
        );
        self.conn
            .execute(&statement, params)
            .await
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// The stored profile of `user_id`, if one was saved.
    pub async fn load(&self, user_id: i64) -> Result<Option<StoredProfile>, StoreError> {
        let statement = format!("SELECT {COLUMNS} FROM self_profile WHERE user_id = ?1");
        let mut rows = self
            .conn
            .query(&statement, vec![Value::Integer(user_id)])
            .await
            .map_err(|e| self.sql(e))?;
        let Some(row) = rows.next().await.map_err(|e| self.sql(e))? else {
            return Ok(None);
        };
        let read = || -> libsql::Result<StoredProfile> {
            let day = row.get::<Option<i64>>(6)?;
            let month = row.get::<Option<i64>>(7)?;
            let year = row.get::<Option<i64>>(8)?;
            let birthdate = match (day, month) {
                (Some(day), Some(month)) => Some(td::Birthdate::new(
                    day as i32,
                    month as i32,
                    year.unwrap_or(0) as i32,
                )),
                _ => None,
            };
            Ok(StoredProfile {
                user_id: row.get(0)?,
                first_name: row.get(1)?,
                last_name: row.get(2)?,
                username: row.get(3)?,
                phone_number: row.get(4)?,
                bio: row.get(5)?,
                birthdate,
                is_premium: row.get::<i64>(9)? != 0,
                photo_id: row
                    .get::<Option<String>>(10)?
                    .and_then(|id| id.parse().ok()),
                photo_path: row.get::<Option<String>>(11)?.map(PathBuf::from),
                profile_json: row.get(12)?,
                synced_at: row.get(13)?,
            })
        };
        read().map(Some).map_err(|e| self.sql(e))
    }
}
