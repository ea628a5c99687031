//! Objects every domain uses: `ok` and `formattedText`.

use serde::Serialize;

/// `ok`: the request succeeded and has nothing else to return. (Named
/// `Done` so that it never shadows the prelude's `Ok`.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "ok")]
pub struct Done {}

impl Done {
    /// The `ok` object.
    pub const fn new() -> Self {
        Self {}
    }
}

impl Default for Done {
    fn default() -> Self {
        Self::new()
    }
}

/// `formattedText` (plain text: entities are not converted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "formattedText")]
pub struct FormattedText {
    /// The text.
    pub text: String,
    /// Text entities; always empty here.
    pub entities: Vec<serde_json::Value>,
}

impl FormattedText {
    /// Plain text.
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            entities: Vec::new(),
        }
    }
}
