//! Contacts: `importedContacts`.

use serde::Serialize;

/// `importedContacts`: per contact, the user id (0 when the number has no
/// account) and how many people imported the number (0 for registered ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "importedContacts")]
pub struct ImportedContacts {
    /// Per contact, the user found for the number (0 if none).
    pub user_ids: Vec<i64>,
    /// Per contact, how many people imported the number (0 for registered ones).
    pub importer_count: Vec<i32>,
}
