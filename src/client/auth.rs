//! Signing in: bot token, phone + code, and the 2FA password (SRP, done by
//! grammers).

use std::fmt;

use grammers_client::SignInError;
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

/// What [`Client::check_password`] needs after [`Error::PasswordRequired`].
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

fn sign_in_error(error: SignInError) -> Error {
    match error {
        SignInError::SignUpRequired => Error::SignUpRequired,
        SignInError::PasswordRequired(token) => Error::PasswordRequired(PasswordToken(token)),
        SignInError::InvalidCode => Error::InvalidCode,
        SignInError::InvalidPassword(_) => Error::InvalidPassword,
        SignInError::Other(e) => e.into(),
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
    /// Returns [`Error::PasswordRequired`] when the account has 2FA: pass
    /// its token to [`Client::check_password`].
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client, code: &str) -> tgcmd::Result<()> {
    /// let token = client.request_login_code("+15550000001").await?;
    /// let user = match client.sign_in(&token, code).await {
    ///     Err(tgcmd::Error::PasswordRequired(password)) => {
    ///         client.check_password(&password, "hunter2").await?
    ///     }
    ///     other => other?,
    /// };
    /// # Ok(()) }
    /// ```
    pub async fn sign_in(&self, token: &LoginToken, code: &str) -> Result<User> {
        let code = code.trim();
        if code.is_empty() {
            return Err(Error::invalid_input("the login code is empty"));
        }
        if code.len() > MAX_INPUT_LEN {
            return Err(Error::invalid_input("the login code is too long"));
        }
        let outcome = self
            .on_connection("auth.signIn", self.inner.request_timeout, |tg| async move {
                match tg.sign_in(&token.0, code).await {
                    Err(SignInError::Other(e)) => Err(e),
                    other => Ok(other),
                }
            })
            .await?;
        match outcome {
            Ok(user) => signed_in(user),
            Err(e) => Err(sign_in_error(e)),
        }
    }

    /// Completes a login that needs the 2FA password.
    ///
    /// Each attempt asks Telegram for a fresh SRP challenge
    /// (`account.getPassword`; a challenge is good for one try), so after
    /// [`Error::InvalidPassword`] the same token can be used again with
    /// another password, without a new login code.
    ///
    /// ```no_run
    /// # async fn f(client: tgcmd::Client, password: tgcmd::auth::PasswordToken) -> tgcmd::Result<()> {
    /// let user = match client.check_password(&password, "first guess").await {
    ///     Err(tgcmd::Error::InvalidPassword) => client.check_password(&password, "hunter2").await?,
    ///     other => other?,
    /// };
    /// # Ok(()) }
    /// ```
    pub async fn check_password(&self, _token: &PasswordToken, password: &str) -> Result<User> {
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
            ));
        }
        let outcome = self
            .on_connection("auth.checkPassword", self.inner.request_timeout, |tg| {
                let challenge = challenge.clone();
                async move {
                    match tg
                        .check_password(GrammersPasswordToken::new(challenge), password)
                        .await
                    {
                        Err(SignInError::Other(e)) => Err(e),
                        other => Ok(other),
                    }
                }
            })
            .await?;
        match outcome {
            Ok(user) => signed_in(user),
            Err(e) => Err(sign_in_error(e)),
        }
    }

    /// Signs out and invalidates the session's key.
    pub async fn sign_out(&self) -> Result<()> {
        self.on_connection("auth.logOut", self.inner.request_timeout, |tg| async move {
            tg.sign_out().await.map(drop)
        })
        .await
    }
}
