//! Sessions: `session`, `sessions`, `sessionType*`.

use grammers_tl_types as tl;
use serde::Serialize;

use super::ids;

/// `sessionType*`, guessed from the device and app like TDLib does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "@type")]
#[allow(missing_docs)] // Each variant is the td_api type it is renamed to.
pub enum SessionType {
    #[serde(rename = "sessionTypeAndroid")]
    Android,
    #[serde(rename = "sessionTypeIphone")]
    Iphone,
    #[serde(rename = "sessionTypeIpad")]
    Ipad,
    #[serde(rename = "sessionTypeMac")]
    Mac,
    #[serde(rename = "sessionTypeWindows")]
    Windows,
    #[serde(rename = "sessionTypeLinux")]
    Linux,
    #[serde(rename = "sessionTypeUbuntu")]
    Ubuntu,
    #[serde(rename = "sessionTypeChrome")]
    Chrome,
    #[serde(rename = "sessionTypeFirefox")]
    Firefox,
    #[serde(rename = "sessionTypeSafari")]
    Safari,
    #[serde(rename = "sessionTypeEdge")]
    Edge,
    #[serde(rename = "sessionTypeOpera")]
    Opera,
    #[serde(rename = "sessionTypeBrave")]
    Brave,
    #[serde(rename = "sessionTypeVivaldi")]
    Vivaldi,
    #[serde(rename = "sessionTypeUnknown")]
    Unknown,
}

/// `session`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "session")]
pub struct Session {
    /// The authorization hash (0 for the current session), int64 as a string.
    #[serde(serialize_with = "ids::as_string")]
    pub id: i64,
    /// True, if this session is the current session.
    pub is_current: bool,
    /// True, if a 2-step verification password is needed to complete authorization of the session.
    pub is_password_pending: bool,
    /// True, if the session wasn't confirmed from another session yet.
    pub is_unconfirmed: bool,
    /// True, if incoming secret chats can be accepted by the session.
    pub can_accept_secret_chats: bool,
    /// True, if incoming calls can be accepted by the session.
    pub can_accept_calls: bool,
    /// Session type based on the system and application, for choosing an icon (`type` in JSON).
    #[serde(rename = "type")]
    pub session_type: SessionType,
    /// Telegram API identifier, as provided by the application.
    pub api_id: i32,
    /// Name of the application, as provided by the application.
    pub application_name: String,
    /// Version of the application, as provided by the application.
    pub application_version: String,
    /// True, if the application is an official one or uses the `api_id` of an official one.
    pub is_official_application: bool,
    /// Model of the device the application runs or ran on, as provided by the application.
    pub device_model: String,
    /// Operating system the application runs or ran on, as provided by the application.
    pub platform: String,
    /// Version of that operating system, as provided by the application.
    pub system_version: String,
    /// Point in time (Unix timestamp) when the user logged in.
    pub log_in_date: i32,
    /// Point in time (Unix timestamp) when the session was last used.
    pub last_active_date: i32,
    /// IP address from which the session was created, in human-readable form.
    pub ip_address: String,
    /// Human-readable location the session was created from (`"region, country"`), based on the IP address.
    pub location: String,
}

fn session_type(auth: &tl::types::Authorization) -> SessionType {
    let text = format!("{} {} {}", auth.app_name, auth.device_model, auth.platform).to_lowercase();
    let known = [
        ("android", SessionType::Android),
        ("iphone", SessionType::Iphone),
        ("ipad", SessionType::Ipad),
        ("mac", SessionType::Mac),
        ("windows", SessionType::Windows),
        ("linux", SessionType::Linux),
        ("ubuntu", SessionType::Ubuntu),
        ("chrome", SessionType::Chrome),
        ("firefox", SessionType::Firefox),
        ("safari", SessionType::Safari),
        ("edge", SessionType::Edge),
        ("opera", SessionType::Opera),
        ("brave", SessionType::Brave),
        ("vivaldi", SessionType::Vivaldi),
    ];
    known
        .iter()
        .find(|(needle, _)| text.contains(needle))
        .map_or(SessionType::Unknown, |&(_, kind)| kind)
}

impl Session {
    /// Converts an `authorization`, with the flags negated as TDLib does
    /// (`can_accept_calls = !call_requests_disabled`).
    pub fn from_tl(auth: &tl::enums::Authorization) -> Self {
        let tl::enums::Authorization::Authorization(a) = auth;
        Self {
            id: a.hash,
            is_current: a.current,
            is_password_pending: a.password_pending,
            is_unconfirmed: a.unconfirmed,
            can_accept_secret_chats: !a.encrypted_requests_disabled,
            can_accept_calls: !a.call_requests_disabled,
            session_type: session_type(a),
            api_id: a.api_id,
            application_name: a.app_name.clone(),
            application_version: a.app_version.clone(),
            is_official_application: a.official_app,
            device_model: a.device_model.clone(),
            platform: a.platform.clone(),
            system_version: a.system_version.clone(),
            log_in_date: a.date_created,
            last_active_date: a.date_active,
            ip_address: a.ip.clone(),
            location: [a.region.as_str(), a.country.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// `sessions`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "sessions")]
pub struct Sessions {
    /// List of sessions.
    pub sessions: Vec<Session>,
    /// Days of inactivity after which sessions are terminated automatically.
    pub inactive_session_ttl_days: i32,
}
