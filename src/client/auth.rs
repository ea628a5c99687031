//! Signing in: bot token, phone + code, and the 2FA password (SRP, done by
//! grammers).

use std::fmt;

use grammers_client::SignInError as GrammersSignInError;
use grammers_client::client::{
    LoginToken as GrammersLoginToken, PasswordToken as GrammersPasswordToken,
};

use grammers_tl_types as tl;

use super::Client;
use crate::error::{Error, Result};
use crate::types::User;

/// The longest phone number, login code or bot token accepted (far above
/// any real one; keeps hostile input away from grammers' size assertion).
const MAX_INPUT_LEN: usize = 256;

/// Proof that a login code was sent; pass it to [`Client::sign_in`].
///
/// `Debug` shows nothing of the phone number or the code hash.
pub struct LoginToken(GrammersLoginToken);

impl fmt::Debug for LoginToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginToken").finish_non_exhaustive()
    }
}

/// What [`Client::check_password`] needs after [`SignInError::PasswordRequired`].
///
/// `Debug` shows only the hint.
pub struct PasswordToken(GrammersPasswordToken);

impl PasswordToken {
    /// The hint the user set for the password.
    pub fn hint(&self) -> Option<&str> {
        self.0.hint()
    }
}

impl fmt::Debug for PasswordToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordToken")
            .field("hint", &self.hint())
            .finish_non_exhaustive()
    }
}

fn signed_in(user: grammers_client::peer::User) -> Result<User> {
    User::from_tl(&user.raw).ok_or_else(|| Error::Protocol("signed in as an empty user".into()))
}

/// Why [`Client::sign_in`] or [`Client::check_password`] did not sign in.
///
/// The outcomes a login flow branches on get their own variants; anything
/// else (the network, an unexpected RPC error, bad input) is
/// [`SignInError::Other`], with the crate's [`Error`] inside.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignInError {
    /// The phone number has no account; Telegram wants it registered first.
    #[error("this phone number is not registered; sign up with an official app first")]
    SignUpRequired,
    /// The login code was wrong or expired.
    #[error("invalid login code")]
    InvalidCode,
    /// The account has a 2FA password: call [`Client::check_password`] with
    /// this token.
    #[error("a 2FA password is required")]
    PasswordRequired(PasswordToken),
    /// The 2FA password was wrong. The same [`PasswordToken`] can be tried
    /// again with another password.
    #[error("invalid 2FA password")]
    InvalidPassword,
    /// Anything else: the network, an RPC error, invalid input.
    #[error(transparent)]
    Other(#[from] Error),
}

impl SignInError {
    /// The crate error inside [`SignInError::Other`], if that is what this is.
    pub fn other(&self) -> Option<&Error> {
        match self {
            Self::Other(error) => Some(error),
            _ => None,
        }
    }

    /// Whether the code or password should be asked for again (a wrong code
    /// or password), rather than the login being abandoned.
    pub fn is_retryable_by_user(&self) -> bool {
        matches!(self, Self::InvalidCode | Self::InvalidPassword)
    }
}

impl From<GrammersSignInError> for SignInError {
    fn from(error: GrammersSignInError) -> Self {
        match error {
            GrammersSignInError::SignUpRequired => Self::SignUpRequired,
            GrammersSignInError::PasswordRequired(token) => {
                Self::PasswordRequired(PasswordToken(token))
            }
            GrammersSignInError::InvalidCode => Self::InvalidCode,
            GrammersSignInError::InvalidPassword(_) => Self::InvalidPassword,
            GrammersSignInError::Other(e) => Self::Other(e.into()),
        }
    }
}

impl Client {
    /// Signs in as a bot with the token from @BotFather.
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client) -> tgcmd::Result<()> {
    /// let bot = client.bot_sign_in("123456:ABC-DEF").await?;
    /// assert!(bot.is_bot);
    /// # Ok(()) }
    /// ```
    pub async fn bot_sign_in(&self, token: &str) -> Result<User> {
        if token.trim().is_empty() {
            return Err(Error::invalid_input("the bot token is empty"));
        }
        if token.len() > MAX_INPUT_LEN {
            return Err(Error::invalid_input("the bot token is too long"));
        }
        let api_hash = &self.inner.api_hash;
        let user = self
            .on_connection(
                "auth.importBotAuthorization",
                self.inner.request_timeout,
                |tg| async move { tg.bot_sign_in(token, api_hash).await },
            )
            .await?;
        signed_in(user)
    }

    /// Asks Telegram to send a login code to `phone` (international format).
    pub async fn request_login_code(&self, phone: &str) -> Result<LoginToken> {
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        if digits == 0 {
            return Err(Error::invalid_input("the phone number has no digits"));
        }
        if phone.len() > MAX_INPUT_LEN {
            return Err(Error::invalid_input("the phone number is too long"));
        }
        let api_hash = &self.inner.api_hash;
        let token = self
            .on_connection(
                "auth.sendCode",
                self.inner.request_timeout,
                |tg| async move { tg.request_login_code(phone, api_hash).await },
            )
            .await?;
        Ok(LoginToken(token))
    }

    /// Completes a phone login with the code the user received.
    ///
    /// Returns [`SignInError::PasswordRequired`] when the account has 2FA:
    /// pass its token to [`Client::check_password`].
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client, code: &str) -> Result<(), tgcmd::SignInError> {
    /// let token = client.request_login_code("+15550000001").await?;
    /// let user = match client.sign_in(&token, code).await {
    ///     Err(tgcmd::SignInError::PasswordRequired(password)) => {
    ///         client.check_password(&password, "hunter2").await?
    ///     }
    ///     other => other?,
    /// };
    /// # Ok(()) }
    /// ```
    pub async fn sign_in(&self, token: &LoginToken, code: &str) -> Result<User, SignInError> {
        let code = code.trim();
        if code.is_empty() {
            return Err(Error::invalid_input("the login code is empty").into());
        }
        if code.len() > MAX_INPUT_LEN {
            return Err(Error::invalid_input("the login code is too long").into());
        }
        let outcome = self
            .on_connection("auth.signIn", self.inner.request_timeout, |tg| async move {
                match tg.sign_in(&token.0, code).await {
                    Err(GrammersSignInError::Other(e)) => Err(e),
                    other => Ok(other),
                }
            })
            .await?;
        Ok(signed_in(outcome?)?)
    }

    /// Completes a login that needs the 2FA password.
    ///
    /// Each attempt asks Telegram for a fresh SRP challenge
    /// (`account.getPassword`; a challenge is good for one try), so after
    /// [`SignInError::InvalidPassword`] the same token can be used again with
    /// another password, without a new login code.
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client, password: tgcmd::auth::PasswordToken) -> Result<(), tgcmd::SignInError> {
    /// let user = match client.check_password(&password, "first guess").await {
    ///     Err(tgcmd::SignInError::InvalidPassword) => client.check_password(&password, "hunter2").await?,
    ///     other => other?,
    /// };
    /// # Ok(()) }
    /// ```
    pub async fn check_password(
        &self,
        _token: &PasswordToken,
        password: &str,
    ) -> Result<User, SignInError> {
        let tl::enums::account::Password::Password(challenge) =
            self.invoke(&tl::functions::account::GetPassword {}).await?;
        // grammers unwraps these; a server that leaves one out gets an
        // error here instead of a panic.
        if challenge.current_algo.is_none()
            || challenge.srp_b.is_none()
            || challenge.srp_id.is_none()
        {
            return Err(Error::Protocol(
                "account.getPassword returned no SRP challenge (is 2FA on?)".into(),
            )
            .into());
        }
        let outcome = self
            .on_connection("auth.checkPassword", self.inner.request_timeout, |tg| {
                let challenge = challenge.clone();
                async move {
                    match tg
                        .check_password(GrammersPasswordToken::new(challenge), password)
                        .await
                    {
                        Err(GrammersSignInError::Other(e)) => Err(e),
                        other => Ok(other),
                    }
                }
            })
            .await?;
        Ok(signed_in(outcome?)?)
    }

    /// Signs out and invalidates the session's key.
    pub async fn sign_out(&self) -> Result<()> {
        self.on_connection("auth.logOut", self.inner.request_timeout, |tg| async move {
            tg.sign_out().await.map(drop)
        })
        .await
    }
}
