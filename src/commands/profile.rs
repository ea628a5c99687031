//! The profile & bootstrap group (`shared/spec/commands-profile-bootstrap.txt`).

use grammers_tl_types as tl;
use serde::Deserialize;

use super::td;
use super::{Command, CommandError};
use crate::client::Client;
use crate::error::Error;

/// `set_bio`: changes the account's bio (`account.updateProfile` with `about`).
///
/// ```json
/// {"action": "set_bio", "userbot_id": 1, "bio": "Backend engineer"}
/// ```
///
/// Answers with the updated `user`. `bio is required` when `bio` is missing.
#[derive(Debug, Clone, Deserialize)]
pub struct SetBio {
    #[serde(default)]
    pub bio: Option<String>,
}

impl Command for SetBio {
    const ACTION: &'static str = "set_bio";
    type Response = td::User;

    async fn run(self, client: &Client) -> Result<td::User, CommandError> {
        let bio = self
            .bio
            .ok_or_else(|| CommandError::invalid("bio is required"))?;
        let user = client
            .invoke(&tl::functions::account::UpdateProfile {
                first_name: None,
                last_name: None,
                about: Some(bio),
            })
            .await?;
        td::User::from_tl(&user).ok_or_else(|| {
            CommandError::Failed(Error::Protocol("updateProfile returned no user".into()))
        })
    }
}

impl Client {
    /// Sets the account's bio. See [`SetBio`].
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> Result<(), tgcmd::commands::CommandError> {
    /// let me = client.set_bio("Backend engineer").await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_bio(&self, bio: impl Into<String>) -> Result<td::User, CommandError> {
        SetBio {
            bio: Some(bio.into()),
        }
        .run(self)
        .await
    }
}
