//! Telegram's limits on what commands send, each with the rule it comes
//! from, and TDLib's way of cleaning text to fit them.
//!
//! Where TDLib cleans and truncates instead of failing (names, the bio,
//! chat titles and descriptions), the JSON commands do the same, so the
//! dispatcher stays a drop-in for a backend that sent these strings to
//! TDLib. The typed API offers a strict variant of each such command that
//! refuses what does not fit instead (see [`TextPolicy`]). Everywhere else a
//! string that does not fit is refused with nothing sent.
//!
//! Lengths are counted in Unicode scalar values, as TDLib's `utf8_length`
//! and Telegram's servers count them.

use std::ops::RangeInclusive;

use super::CommandError;

/// First and last names: TDLib's `MAX_NAME_LENGTH`; Telegram answers
/// `FIRSTNAME_INVALID` / `LASTNAME_INVALID` above it.
pub const NAME_MAX: usize = 64;
/// The bio of a regular account: the app config's
/// `about_length_limit_default` (TDLib's `bio_length_max` option).
pub const BIO_MAX_DEFAULT: usize = 70;
/// The bio of a Premium account: `about_length_limit_premium`.
pub const BIO_MAX_PREMIUM: usize = 140;
/// Chat titles: TDLib's `MAX_TITLE_LENGTH`, Telegram's `chat_title_length_max`.
pub const TITLE_MAX: usize = 128;
/// Chat descriptions: TDLib's `MAX_DESCRIPTION_LENGTH`, Telegram's
/// `chat_about_length_max`.
pub const DESCRIPTION_MAX: usize = 255;
/// Usernames: TDLib's `is_allowed_username` (5 to 32 characters).
pub const USERNAME_LEN: RangeInclusive<usize> = 5..=32;
/// Message text: Telegram's `message_length_max`.
pub const MESSAGE_TEXT_MAX: usize = 4096;
/// Media captions: Telegram's `caption_length_max` (without Premium).
pub const CAPTION_MAX: usize = 1024;
/// Phone numbers, as typed (with `+`, spaces and dashes): generous; the
/// longest E.164 number has 15 digits.
pub const PHONE_MAX: usize = 32;
/// Contact names sent with `contacts.importContacts`: as user names.
pub const CONTACT_NAME_MAX: usize = NAME_MAX;
/// Strings that are only echoed or matched locally (`query`, `vcard`):
/// anything longer is refused before it costs a request.
pub const SHORT_STRING_MAX: usize = 4096;

/// What to do with text longer than its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextPolicy {
    /// Clean and truncate it as TDLib does (the JSON commands' behaviour).
    #[default]
    Clean,
    /// Refuse it, with nothing sent, if cleaning would change more than
    /// surrounding blanks.
    Strict,
}

/// `text`'s length in characters.
pub fn char_len(text: &str) -> usize {
    text.chars().count()
}

/// The first `max` characters of `text`.
pub fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}

/// Characters TDLib turns into a plain space before anything else
/// (`strip_empty_characters`' list): typographic spaces, the Mongolian
/// vowel separator, the Braille blank, the ideographic space and the
/// object replacement character.
fn is_space_like(c: char) -> bool {
    matches!(c,
        '\u{1680}' | '\u{180E}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}'
        | '\u{2800}' | '\u{3000}' | '\u{FFFC}'
        // Unicode tag characters (U+E0000..U+E007F), used to hide text.
        | '\u{E0000}'..='\u{E007F}')
}

/// Characters that do not make a string non-empty: blanks, zero-width
/// characters, direction marks, the BOM and the no-break space.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        ' ' | '\n' | '\u{200B}'..='\u{200F}' | '\u{202E}' | '\u{FEFF}' | '\u{00A0}'
    )
}

/// TDLib's trim: ASCII blanks and control whitespace at both ends.
fn trim_blanks(text: &str) -> &str {
    text.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\r' | '\n' | '\0' | '\u{0B}' | '\u{0C}'))
}

/// TDLib's `strip_empty_characters`: space-like characters become spaces,
/// the text is trimmed and cut to `max` characters, and a text made only of
/// invisible characters becomes empty.
pub fn strip_empty_characters(text: &str, max: usize) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if is_space_like(c) { ' ' } else { c })
        .collect();
    let cut = trim_blanks(truncate_chars(trim_blanks(&spaced), max));
    if cut.chars().all(is_invisible) {
        String::new()
    } else {
        cut.to_string()
    }
}

/// TDLib's `clean_name`, for names and chat titles: [`strip_empty_characters`],
/// then every run of spaces, line feeds and no-break spaces becomes one
/// space, and the ends are trimmed.
pub fn clean_name(text: &str, max: usize) -> String {
    let stripped = strip_empty_characters(text, max);
    let mut out = String::with_capacity(stripped.len());
    let mut previous_space = false;
    for c in stripped.chars() {
        if matches!(c, ' ' | '\n' | '\u{00A0}') {
            if !previous_space {
                out.push(' ');
                previous_space = true;
            }
        } else {
            out.push(c);
            previous_space = false;
        }
    }
    trim_blanks(&out).to_string()
}

/// TDLib's cleaning of a bio: [`strip_empty_characters`], with line feeds
/// turned into spaces (a bio is one line).
pub fn clean_bio(text: &str, max: usize) -> String {
    strip_empty_characters(text, max).replace('\n', " ")
}

/// Refuses `text` if it has more than `max` characters:
/// `<field> must be at most <max> characters`.
pub fn check_max(field: &str, text: &str, max: usize) -> Result<(), CommandError> {
    if char_len(text) > max {
        return Err(CommandError::invalid(format!(
            "{field} must be at most {max} characters"
        )));
    }
    Ok(())
}

/// Applies `policy` to `text` cleaned by `clean` to `max` characters: the
/// cleaned text, or under [`TextPolicy::Strict`] an error when the text
/// does not fit (`<field> must be at most <max> characters`).
pub fn fit(
    field: &str,
    text: &str,
    max: usize,
    policy: TextPolicy,
    clean: fn(&str, usize) -> String,
) -> Result<String, CommandError> {
    if policy == TextPolicy::Strict {
        // Measured after the same cleaning minus the cut, so that blanks
        // TDLib would trim never count against the limit.
        check_max(field, &clean(text, usize::MAX), max)?;
    }
    Ok(clean(text, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_as_tdlib_cleans_them() {
        let cases = [
            ("plain", "Ihor", "Ihor"),
            ("surrounding blanks", "   Ihor  ", "Ihor"),
            (
                "inner runs collapse",
                "Ihor \n\n  Petrenko",
                "Ihor Petrenko",
            ),
            (
                "no-break spaces",
                "Ihor\u{00A0}\u{00A0}Petrenko",
                "Ihor Petrenko",
            ),
            (
                "typographic spaces",
                "Ihor\u{2003}Petrenko",
                "Ihor Petrenko",
            ),
            ("only invisible", "\u{200B}\u{200D} \u{FEFF}", ""),
            ("tag characters hide nothing", "A\u{E0041}B", "A B"),
        ];
        for (case, input, expected) in cases {
            assert_eq!(clean_name(input, NAME_MAX), expected, "{case}");
        }
    }

    #[test]
    fn cleaning_cuts_at_the_limit_in_characters() {
        let long = "я".repeat(NAME_MAX + 10);
        let cleaned = clean_name(&long, NAME_MAX);
        assert_eq!(char_len(&cleaned), NAME_MAX);
        // A cut that leaves a trailing blank trims it.
        let spaced = format!("{} tail", "a".repeat(NAME_MAX - 1));
        assert_eq!(clean_name(&spaced, NAME_MAX), "a".repeat(NAME_MAX - 1));
    }

    #[test]
    fn a_bio_is_one_line() {
        assert_eq!(clean_bio("line one\nline two", 70), "line one line two");
        assert_eq!(char_len(&clean_bio(&"x".repeat(500), 70)), 70);
    }

    #[test]
    fn strict_refuses_what_clean_truncates() {
        let long = "x".repeat(BIO_MAX_DEFAULT + 1);
        assert_eq!(
            fit("bio", &long, BIO_MAX_DEFAULT, TextPolicy::Clean, clean_bio)
                .map(|s| char_len(&s))
                .ok(),
            Some(BIO_MAX_DEFAULT)
        );
        let error = fit("bio", &long, BIO_MAX_DEFAULT, TextPolicy::Strict, clean_bio)
            .expect_err("too long");
        assert_eq!(error.message(), "bio must be at most 70 characters");
        // Blanks that cleaning drops do not count.
        let padded = format!("   {}   ", "x".repeat(BIO_MAX_DEFAULT));
        assert!(
            fit(
                "bio",
                &padded,
                BIO_MAX_DEFAULT,
                TextPolicy::Strict,
                clean_bio
            )
            .is_ok()
        );
    }

    #[test]
    fn truncation_never_splits_a_character() {
        for max in 0..6 {
            let text = "aé😀b";
            let cut = truncate_chars(text, max);
            assert!(text.starts_with(cut));
            assert_eq!(char_len(cut), max.min(4));
        }
    }
}
