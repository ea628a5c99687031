//! Ids in command requests: the JSON id rules of [`crate::td::ids`], plus
//! the spec's errors for a required id.

use serde_json::Value;

pub use crate::td::ids::*;

use super::CommandError;

/// A required id field: `<field> is required` when absent or null,
/// `<field> must be an integer` when it is neither a number nor a string of
/// digits.
pub fn required_id(value: Option<&Value>, field: &str) -> Result<i64, CommandError> {
    match value {
        None | Some(Value::Null) => Err(CommandError::invalid(format!("{field} is required"))),
        Some(value) => id_from_value(value)
            .ok_or_else(|| CommandError::invalid(format!("{field} must be an integer"))),
    }
}
