//! `help.getAppConfig`: the server's JSON of client limits (bio length,
//! upload part counts, …), read without trusting its shape.
//!
//! The config is a TL `JSONValue`, a recursive type that grammers parses by
//! recursion. A server that nests arrays a hundred thousand deep would
//! overflow the stack, which aborts the process (it cannot be caught like
//! a panic). So the answer is fetched as bytes, its nesting is measured
//! without recursion, and only then is it parsed.

use grammers_tl_types::{self as tl, Deserializable, Identifiable, RemoteCall, Serializable};

use super::Client;
use crate::error::{Error, Result};

/// Deeper than any real config (Telegram's is 3 or 4 levels deep).
const MAX_JSON_DEPTH: usize = 32;

/// An answer kept as bytes.
struct RawAnswer(Vec<u8>);

impl Deserializable for RawAnswer {
    fn deserialize(buf: &mut tl::Cursor<'_>) -> tl::deserialize::Result<Self> {
        let mut bytes = Vec::new();
        buf.read_to_end(&mut bytes)?;
        Ok(Self(bytes))
    }
}

/// A request whose answer comes back unparsed.
struct Unparsed<R>(R);

impl<R: Serializable> Serializable for Unparsed<R> {
    fn serialize(&self, buf: &mut impl Extend<u8>) {
        self.0.serialize(buf);
    }
}

impl<R: Serializable> RemoteCall for Unparsed<R> {
    type Return = RawAnswer;
}

impl Client {
    /// A number from the app config (`help.getAppConfig`) under `key`;
    /// `None` when the key is missing, not a number, or the server sent no
    /// config. The number is the server's: callers bound it (it may be
    /// negative, infinite or NaN).
    pub(crate) async fn app_config_number(&self, key: &str) -> Result<Option<f64>> {
        let RawAnswer(bytes) = self
            .invoke(&Unparsed(tl::functions::help::GetAppConfig { hash: 0 }))
            .await?;
        let config = parse_app_config(&bytes)?;
        Ok(number_in(&config, key))
    }
}

/// Parses an `help.AppConfig` answer once its nesting is known to be sane.
fn parse_app_config(bytes: &[u8]) -> Result<Option<tl::enums::Jsonvalue>> {
    let constructor = bytes
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes);
    if constructor == Some(tl::types::help::AppConfigNotModified::CONSTRUCTOR_ID) {
        return Ok(None);
    }
    // `help.appConfig hash:int config:JSONValue`: the value starts at 8.
    let depth = json_depth(bytes.get(8..).unwrap_or_default())
        .ok_or_else(|| Error::Protocol("help.getAppConfig: malformed JSON value".into()))?;
    if depth > MAX_JSON_DEPTH {
        return Err(Error::Protocol(format!(
            "help.getAppConfig: JSON nested {depth} deep, more than {MAX_JSON_DEPTH}"
        )));
    }
    match tl::enums::help::AppConfig::from_bytes(bytes) {
        Ok(tl::enums::help::AppConfig::Config(config)) => Ok(Some(config.config)),
        Ok(tl::enums::help::AppConfig::NotModified) => Ok(None),
        Err(e) => Err(Error::Protocol(format!("help.getAppConfig: {e}"))),
    }
}

fn number_in(config: &Option<tl::enums::Jsonvalue>, key: &str) -> Option<f64> {
    let Some(tl::enums::Jsonvalue::JsonObject(object)) = config else {
        return None;
    };
    object.value.iter().find_map(|entry| {
        let tl::enums::JsonobjectValue::JsonObjectValue(entry) = entry;
        match &entry.value {
            tl::enums::Jsonvalue::JsonNumber(n) if entry.key == key => Some(n.value),
            _ => None,
        }
    })
}

const JSON_NULL: u32 = 0x3f6d7b68;
const JSON_BOOL: u32 = 0xc7345e6a;
const JSON_NUMBER: u32 = 0x2be0dfa4;
const JSON_STRING: u32 = 0xb71e767a;
const JSON_ARRAY: u32 = 0xf7444763;
const JSON_OBJECT: u32 = 0x99c1d49d;
const JSON_OBJECT_VALUE: u32 = 0xc0de1bd9;
const VECTOR: u32 = 0x1cb5c415;

/// The nesting depth of the TL `JSONValue` at the start of `bytes`,
/// measured with an explicit stack; `None` if it is not one. A scalar is
/// depth 0, `[]` depth 1, `[[1]]` depth 2.
fn json_depth(bytes: &[u8]) -> Option<usize> {
    let mut at = 0usize;
    let read_u32 = |at: &mut usize| -> Option<u32> {
        let word = bytes.get(*at..*at + 4)?;
        *at += 4;
        Some(u32::from_le_bytes(word.try_into().ok()?))
    };
    // Per open container: values still to read, and whether each is an
    // object entry (a key before the value).
    let mut open: Vec<(u32, bool)> = Vec::new();
    let mut deepest = 0usize;
    loop {
        // The next value: either the top level, or inside a container.
        if let Some(top) = open.last_mut() {
            if top.0 == 0 {
                open.pop();
                if open.is_empty() {
                    return Some(deepest);
                }
                continue;
            }
            top.0 -= 1;
            if top.1 {
                if read_u32(&mut at)? != JSON_OBJECT_VALUE {
                    return None;
                }
                at = skip_tl_string(bytes, at)?;
            }
        }
        match read_u32(&mut at)? {
            JSON_NULL => {}
            JSON_BOOL => at = at.checked_add(4).filter(|&end| end <= bytes.len())?,
            JSON_NUMBER => at = at.checked_add(8).filter(|&end| end <= bytes.len())?,
            JSON_STRING => at = skip_tl_string(bytes, at)?,
            kind @ (JSON_ARRAY | JSON_OBJECT) => {
                if read_u32(&mut at)? != VECTOR {
                    return None;
                }
                let count = read_u32(&mut at)?;
                open.push((count, kind == JSON_OBJECT));
                deepest = deepest.max(open.len());
                continue;
            }
            _ => return None,
        }
        if open.is_empty() {
            return Some(deepest);
        }
    }
}

/// The offset after the TL `string` at `at`.
fn skip_tl_string(bytes: &[u8], at: usize) -> Option<usize> {
    let first = *bytes.get(at)?;
    let (header, len) = if first < 254 {
        (1, usize::from(first))
    } else {
        let b = bytes.get(at + 1..at + 4)?;
        (
            4,
            usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16,
        )
    };
    let padded = (header + len).div_ceil(4) * 4;
    at.checked_add(padded).filter(|&end| end <= bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(value: f64) -> tl::enums::Jsonvalue {
        tl::types::JsonNumber { value }.into()
    }

    fn array(values: Vec<tl::enums::Jsonvalue>) -> tl::enums::Jsonvalue {
        tl::types::JsonArray { value: values }.into()
    }

    fn object(entries: Vec<(&str, tl::enums::Jsonvalue)>) -> tl::enums::Jsonvalue {
        tl::types::JsonObject {
            value: entries
                .into_iter()
                .map(|(key, value)| {
                    tl::types::JsonObjectValue {
                        key: key.into(),
                        value,
                    }
                    .into()
                })
                .collect(),
        }
        .into()
    }

    fn answer(config: tl::enums::Jsonvalue) -> Vec<u8> {
        tl::enums::help::AppConfig::Config(tl::types::help::AppConfig { hash: 7, config })
            .to_bytes()
    }

    #[test]
    fn depth_is_measured_as_grammers_would_recurse() {
        let config = object(vec![
            ("about_length_limit_default", number(70.0)),
            (
                "s",
                tl::types::JsonString {
                    value: "x".repeat(300),
                }
                .into(),
            ),
            ("b", tl::types::JsonBool { value: true }.into()),
            ("n", tl::enums::Jsonvalue::JsonNull),
            ("a", array(vec![array(vec![number(1.0)]), array(vec![])])),
        ]);
        let bytes = answer(config.clone());
        assert_eq!(json_depth(&bytes[8..]), Some(3));
        let parsed = parse_app_config(&bytes).expect("parses");
        assert_eq!(number_in(&parsed, "about_length_limit_default"), Some(70.0));
        assert_eq!(number_in(&parsed, "s"), None);
        assert_eq!(number_in(&parsed, "missing"), None);
        assert_eq!(json_depth(&number(1.0).to_bytes()), Some(0));
    }

    #[test]
    fn a_config_nested_a_hundred_thousand_deep_is_refused_without_recursion() {
        // Built as bytes: building it as a TL value would recurse too.
        let depth = 100_000;
        let mut bytes = tl::enums::help::AppConfig::Config(tl::types::help::AppConfig {
            hash: 0,
            config: tl::enums::Jsonvalue::JsonNull,
        })
        .to_bytes();
        bytes.truncate(8);
        for _ in 0..depth {
            bytes.extend_from_slice(&JSON_ARRAY.to_le_bytes());
            bytes.extend_from_slice(&VECTOR.to_le_bytes());
            bytes.extend_from_slice(&1u32.to_le_bytes());
        }
        bytes.extend_from_slice(&JSON_NULL.to_le_bytes());
        assert_eq!(json_depth(&bytes[8..]), Some(depth));
        let error = parse_app_config(&bytes).expect_err("too deep");
        assert!(error.to_string().contains("nested 100000 deep"), "{error}");
    }

    #[test]
    fn not_modified_is_no_config() {
        let bytes = tl::enums::help::AppConfig::NotModified.to_bytes();
        assert_eq!(parse_app_config(&bytes).expect("parses"), None);
    }

    #[test]
    fn malformed_json_is_an_error() {
        let mut bytes = answer(array(vec![number(1.0), number(2.0)]));
        bytes.truncate(bytes.len() - 3);
        assert_eq!(json_depth(&bytes[8..]), None);
        assert!(parse_app_config(&bytes).is_err());
        // A count that promises more values than there are bytes.
        let mut lying = answer(array(vec![]));
        let count_at = lying.len() - 4;
        lying[count_at..].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(json_depth(&lying[8..]), None);
    }
}
