use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

use crate::domain::Password;

/// Hashes a password with Argon2id (the crate's defaults follow OWASP's recommendation).
/// CPU-heavy: call it from a blocking thread.
pub fn hash_password(password: &Password) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against a stored PHC hash; a malformed hash never matches.
pub fn verify_password(candidate: &str, stored_hash: &str) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the same work as a real verification, for unknown e-mails, so a login's timing
/// does not tell whether an account exists.
pub fn verify_against_dummy(candidate: &str) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| {
        Password::parse("password", "ayni-dummy-password-never-used")
            .ok()
            .and_then(|p| hash_password(&p).ok())
    });
    if let Some(hash) = dummy {
        let _ = verify_password(candidate, hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let p = Password::parse("password", "quellaveco-2026").unwrap();
        let h1 = hash_password(&p).unwrap();
        let h2 = hash_password(&p).unwrap();
        assert!(h1.starts_with("$argon2id$"));
        assert_ne!(h1, h2, "each hash has its own salt");
        assert!(verify_password("quellaveco-2026", &h1));
        assert!(!verify_password("quellaveco-2027", &h1));
        assert!(!verify_password("quellaveco-2026", "not a hash"));
    }
}
