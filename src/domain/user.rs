//! Users of Ayni: e-mail identity, role, password rules.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use validator::ValidateEmail;

use super::error::{FieldError, bounded_text};

/// What a user may do (DESIGN.md, "Who uses it").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The operator: users, actors, system settings.
    Admin,
    /// The coordinating body: strategy, targets, approvals.
    Coordinator,
    /// Enters numbers for its own actor only.
    Contributor,
    /// Civil-society monitor: reads everything published, may challenge values.
    Monitor,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Coordinator,
        Role::Contributor,
        Role::Monitor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coordinator => "coordinator",
            Role::Contributor => "contributor",
            Role::Monitor => "monitor",
        }
    }

    /// Coordinators and admins manage shared reference data such as actors.
    pub fn manages_actors(self) -> bool {
        matches!(self, Role::Admin | Role::Coordinator)
    }

    /// Coordinators and admins define the strategy: ecosystems, maps, indicators, targets.
    pub fn manages_strategy(self) -> bool {
        matches!(self, Role::Admin | Role::Coordinator)
    }

    pub fn parse(field: &str, raw: &str) -> Result<Role, FieldError> {
        raw.parse().map_err(|()| {
            FieldError::new(
                field,
                "unknown_value",
                format!(
                    "unknown role '{raw}'; expected one of: {}",
                    Role::ALL.map(Role::as_str).join(", ")
                ),
            )
        })
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or(())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A syntactically valid e-mail address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(field: &str, raw: &str) -> Result<Email, FieldError> {
        let value = bounded_text(field, raw, 1, Self::MAX_LEN)?.to_lowercase();
        if !value.validate_email() {
            return Err(FieldError::new(
                field,
                "email",
                format!("'{value}' is not a valid e-mail address"),
            ));
        }
        Ok(Email(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password that satisfies the password policy. Never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 10;
    pub const MAX_LEN: usize = 128;

    /// The least zxcvbn score (0 to 4) a new password must reach: 3 is "safely unguessable:
    /// moderate protection from an offline slow-hash scenario".
    pub const MIN_SCORE: u8 = 3;

    /// Checks the password policy: 10 to 128 characters, no control characters (NUL, tabs,
    /// line breaks…), no leading or trailing whitespace, and a zxcvbn strength score of at
    /// least [`Password::MIN_SCORE`] (common passwords, keyboard runs, dates and repeats
    /// score low).
    pub fn parse(field: &str, raw: &str) -> Result<Password, FieldError> {
        Password::parse_for(field, raw, &[])
    }

    /// As [`Password::parse`], also scoring low a password built from `user_inputs` (the
    /// user's e-mail, for instance).
    pub fn parse_for(field: &str, raw: &str, user_inputs: &[&str]) -> Result<Password, FieldError> {
        let len = raw.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(FieldError::new(
                field,
                "length",
                format!(
                    "la contraseña debe tener entre {min} y {max} caracteres / must have between {min} and {max} characters",
                    min = Self::MIN_LEN,
                    max = Self::MAX_LEN
                ),
            ));
        }
        if raw.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "control_characters",
                "la contraseña no puede contener caracteres de control (NUL, tabuladores, saltos de línea) / must not contain control characters (NUL, tabs, line breaks)",
            ));
        }
        if raw.trim() != raw {
            return Err(FieldError::new(
                field,
                "whitespace",
                "la contraseña no puede empezar ni terminar con espacios / must not start or end with whitespace",
            ));
        }
        let entropy = zxcvbn::zxcvbn(raw, user_inputs);
        if u8::from(entropy.score()) < Self::MIN_SCORE {
            let hint = entropy
                .feedback()
                .map(|f| {
                    f.warning()
                        .map(|w| w.to_string())
                        .into_iter()
                        .chain(f.suggestions().iter().map(|s| s.to_string()))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .filter(|h| !h.is_empty())
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            return Err(FieldError::new(
                field,
                "strength",
                format!(
                    "contraseña demasiado fácil de adivinar: use una frase de varias palabras poco comunes / too easy to guess: use a passphrase of several uncommon words{hint}"
                ),
            ));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_case_insensitively_and_name_the_choices_on_error() {
        assert_eq!("Coordinator".parse::<Role>(), Ok(Role::Coordinator));
        let e = Role::parse("role", "superuser").unwrap_err();
        assert_eq!(e.field, "role");
        assert!(
            e.message
                .contains("admin, coordinator, contributor, monitor")
        );
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("email", " Ana@Ayni.Local ").unwrap().as_str(),
            "ana@ayni.local"
        );
        assert_eq!(
            Email::parse("email", "not-an-email").unwrap_err().rule,
            "email"
        );
        let long = format!("{}@x.pe", "a".repeat(260));
        assert_eq!(Email::parse("email", &long).unwrap_err().rule, "length");
    }

    #[test]
    fn passwords_have_a_minimum_length_and_are_never_debug_printed() {
        assert!(Password::parse("password", "short").is_err());
        assert!(Password::parse("password", " leading-space-pw").is_err());
        let p = Password::parse("password", "correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[test]
    fn weak_passwords_and_control_characters_are_refused() {
        for weak in [
            "1234567890",
            "password12",
            "qwertyuiop",
            "aaaaaaaaaaaa",
            "Password123",
        ] {
            assert_eq!(
                Password::parse("password", weak).unwrap_err().rule,
                "strength",
                "{weak}"
            );
        }
        let nul = "\0".repeat(10);
        let e = Password::parse("password", &nul).unwrap_err();
        assert_eq!(e.rule, "control_characters");
        assert!(Password::parse("password", "clave\tde-rosa-2026").is_err());
        assert_eq!(
            Password::parse_for(
                "password",
                "rosa.quispe@ayni.test",
                &["rosa.quispe@ayni.test"]
            )
            .unwrap_err()
            .rule,
            "strength"
        );
    }

    #[test]
    fn the_passwords_used_in_tests_docs_and_the_demo_pass_the_policy() {
        for good in [
            "contraseña-de-prueba",
            "clave-de-rosa-2026",
            "clave-de-prueba-1",
            "una-clave-larga",
            "quellaveco-2026",
            "ayni-dummy-password-never-used",
            "7HcV0m0gJ2xkq1Xz9bQe",
        ] {
            assert!(Password::parse("password", good).is_ok(), "{good}");
        }
    }
}
