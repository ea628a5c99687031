//! Run with `TG_API_ID=… TG_API_HASH=… cargo run --example login [session-file]`.
//!
//! Interactive sign-in against real Telegram: the auth key is made with the
//! DH handshake, the session is saved (mode 0600) for next time. Asks for a
//! phone number or a bot token, then the code and the 2FA password if needed.
//! This path needs the internet, so no test runs it.

use std::io::{self, BufRead, Write};

use tgcmd::{ClientBuilder, SignInError};

fn ask(prompt: &str) -> io::Result<String> {
    print!("{prompt}");
    io::stdout().flush()?;
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api_id: i32 = std::env::var("TG_API_ID")
        .map_err(|_| "set TG_API_ID (from https://my.telegram.org)")?
        .parse()
        .map_err(|_| "TG_API_ID must be a number")?;
    let api_hash = std::env::var("TG_API_HASH").map_err(|_| "set TG_API_HASH")?;
    let session = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tgcmd.session".into());

    let client = ClientBuilder::new(api_id, api_hash)
        .session_file(&session)
        .connect()
        .await?;
    if !client.is_authorized().await? {
        let who = ask("phone number (international format) or bot token: ")?;
        let user = if who.contains(':') {
            client.bot_sign_in(&who).await?
        } else {
            let token = client.request_login_code(&who).await?;
            let code = ask("login code: ")?;
            match client.sign_in(&token, &code).await {
                Err(SignInError::PasswordRequired(password)) => {
                    let hint = password.hint().unwrap_or("none").to_string();
                    let secret = ask(&format!("2FA password (hint: {hint}): "))?;
                    client.check_password(&password, &secret).await?
                }
                other => other?,
            }
        };
        println!("signed in; session saved to {session}");
        drop(user);
    }
    let me = client.get_me().await?;
    println!(
        "you are {} {} (id {}, @{})",
        me.first_name,
        me.last_name,
        me.id,
        me.username.as_deref().unwrap_or("-")
    );
    Ok(())
}
