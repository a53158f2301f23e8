//! Field-level validation errors shared by every domain type.

use std::fmt;

/// One rule broken by one input field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The input field, in the caller's words (`email`, `input.name`).
    pub field: String,
    /// A stable machine code for the rule (`length`, `email`, `unknown_value`).
    pub rule: &'static str,
    /// A sentence for people.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule,
            message: message.into(),
        }
    }

    /// The same error reported under another field name (e.g. `name` → `input.name`).
    pub fn in_field(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// All the field errors of one input; never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// Records the error of a parse, returning the value when it parsed.
    pub fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl From<FieldError> for ValidationErrors {
    fn from(e: FieldError) -> Self {
        Self(vec![e])
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for ValidationErrors {}

/// The text fields that may hold several lines (descriptions, comments, reasons, evidence…):
/// newlines (`\n`, `\r`) and tabs are allowed there; every other control character is
/// refused everywhere, and names and other one-line texts take none at all.
pub const MULTI_LINE_FIELDS: &[&str] = &[
    "description",
    "mission",
    "vision",
    "comment",
    "reason",
    "answer",
    "note",
    "justification",
    "text",
    "textEn",
    "evidenceText",
    "sourceDetail",
    "availabilityNote",
];

/// Refuses control characters (Unicode `Cc`: NUL, escape, backspace…); `multi_line` allows
/// line breaks and tabs.
pub fn no_control_characters(field: &str, value: &str, multi_line: bool) -> Result<(), FieldError> {
    let allowed = |c: char| multi_line && matches!(c, '\n' | '\r' | '\t');
    match value.chars().find(|&c| c.is_control() && !allowed(c)) {
        None => Ok(()),
        Some(c) => Err(FieldError::new(
            field,
            "control_character",
            format!(
                "must not contain control characters (found U+{:04X}){}",
                u32::from(c),
                if multi_line {
                    ""
                } else {
                    "; this text is one line"
                }
            ),
        )),
    }
}

/// Trims `raw`, refuses control characters (line breaks only in [`MULTI_LINE_FIELDS`]) and
/// checks its length in characters. Every free-text field goes through this.
pub fn bounded_text(field: &str, raw: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let value = raw.trim();
    no_control_characters(field, value, MULTI_LINE_FIELDS.contains(&field))?;
    let len = value.chars().count();
    if len < min {
        let message = if min == 1 {
            "must not be empty".to_string()
        } else {
            format!("must have at least {min} characters")
        };
        return Err(FieldError::new(field, "length", message));
    }
    if len > max {
        return Err(FieldError::new(
            field,
            "length",
            format!("must have at most {max} characters (got {len})"),
        ));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_trims_and_counts_characters() {
        assert_eq!(bounded_text("name", "  Ilo ", 1, 3).unwrap(), "Ilo");
        assert_eq!(bounded_text("name", "ñññ", 1, 3).unwrap(), "ñññ");
        let e = bounded_text("name", "   ", 1, 3).unwrap_err();
        assert_eq!((e.field.as_str(), e.rule), ("name", "length"));
        assert!(
            bounded_text("name", "abcd", 1, 3)
                .unwrap_err()
                .message
                .contains("at most 3")
        );
    }

    #[test]
    fn control_characters_are_refused_and_line_breaks_only_in_multi_line_texts() {
        let e = bounded_text("name", "Coop\u{0}erativa", 1, 100).unwrap_err();
        assert_eq!((e.field.as_str(), e.rule), ("name", "control_character"));
        assert!(bounded_text("name", "Línea 1\nLínea 2", 1, 100).is_err());
        assert!(bounded_text("name", "a\u{1b}[31m", 1, 100).is_err());
        assert_eq!(
            bounded_text("description", "Línea 1\r\nLínea 2\tfin", 1, 100).unwrap(),
            "Línea 1\r\nLínea 2\tfin"
        );
        assert!(bounded_text("description", "a\u{7}b", 1, 100).is_err());
        assert!(bounded_text("comment", "a\u{0}", 1, 100).is_err());
    }
}
