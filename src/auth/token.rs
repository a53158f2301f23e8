use std::sync::{Arc, RwLock};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

/// The `iss` claim of every token Ayni issues and accepts.
pub const ISSUER: &str = "ayni";
/// The `aud` claim of every token Ayni issues and accepts.
pub const AUDIENCE: &str = "ayni-api";
/// The one algorithm accepted: a token that names another (`none` included) is refused.
const ALGORITHM: Algorithm = Algorithm::HS256;

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub role: String,
    /// The user's actor, if bound to one.
    pub actor: Option<i64>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("invalid access token: {0}")]
    Invalid(String),
    #[error("cannot sign access token: {0}")]
    Sign(String),
}

/// The signing secret, shared by all workers; replaceable at run time (secret rotation).
#[derive(Clone)]
pub struct TokenKeys {
    secret: Arc<RwLock<Vec<u8>>>,
    ttl_secs: i64,
    /// The secret comes from configuration (`AYNI_JWT_SECRET`), not from the database.
    configured: bool,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl_secs: i64) -> TokenKeys {
        TokenKeys {
            secret: Arc::new(RwLock::new(secret.to_vec())),
            ttl_secs,
            configured: false,
        }
    }

    /// Keys whose secret comes from configuration: rotating them is a configuration change.
    pub fn configured(secret: &[u8], ttl_secs: i64) -> TokenKeys {
        TokenKeys {
            configured: true,
            ..TokenKeys::new(secret, ttl_secs)
        }
    }

    pub fn is_configured(&self) -> bool {
        self.configured
    }

    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    /// Replaces the secret: tokens signed with the old one stop working.
    pub fn replace_secret(&self, secret: &[u8]) {
        let mut guard = self
            .secret
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *guard = secret.to_vec();
    }

    fn secret(&self) -> Vec<u8> {
        self.secret
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Signs a token for a user, valid from `now` (Unix seconds) for the configured lifetime.
    pub fn issue(
        &self,
        user_id: i64,
        role: &str,
        actor: Option<i64>,
        now: i64,
    ) -> Result<String, TokenError> {
        let claims = Claims {
            sub: user_id.to_string(),
            role: role.to_string(),
            actor,
            iss: ISSUER.to_string(),
            aud: AUDIENCE.to_string(),
            iat: now,
            exp: now + self.ttl_secs,
        };
        encode(
            &Header::new(ALGORITHM),
            &claims,
            &EncodingKey::from_secret(&self.secret()),
        )
        .map_err(|e| TokenError::Sign(e.to_string()))
    }

    /// Checks signature, algorithm, expiry, issuer and audience; `exp`, `iss`, `aud` and `sub`
    /// must be present.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        decode::<Claims>(
            token,
            &DecodingKey::from_secret(&self.secret()),
            &validation,
        )
        .map(|data| data.claims)
        .map_err(|e| TokenError::Invalid(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn sign(claims: &serde_json::Value, secret: &[u8]) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(secret),
        )
        .unwrap()
    }

    #[test]
    fn a_fresh_token_verifies_and_carries_its_claims() {
        let keys = TokenKeys::new(b"secret-one", 3600);
        let t = keys.issue(7, "coordinator", Some(3), now()).unwrap();
        let c = keys.verify(&t).unwrap();
        assert_eq!(
            (c.sub.as_str(), c.role.as_str(), c.actor),
            ("7", "coordinator", Some(3))
        );
        assert_eq!((c.iss.as_str(), c.aud.as_str()), (ISSUER, AUDIENCE));
    }

    #[test]
    fn expired_tampered_and_foreign_tokens_are_refused() {
        let keys = TokenKeys::new(b"secret-one", 3600);
        let expired = keys.issue(1, "admin", None, now() - 7200).unwrap();
        assert!(keys.verify(&expired).is_err());

        let good = keys.issue(1, "monitor", None, now()).unwrap();
        let mut parts: Vec<&str> = good.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(
            serde_json::json!({"sub":"1","role":"admin","actor":null,"iss":ISSUER,"aud":AUDIENCE,"iat":now(),"exp":now()+60})
                .to_string(),
        );
        parts[1] = &forged;
        assert!(
            keys.verify(&parts.join(".")).is_err(),
            "payload changed, signature kept"
        );

        let other = TokenKeys::new(b"secret-two", 3600)
            .issue(1, "admin", None, now())
            .unwrap();
        assert!(keys.verify(&other).is_err());
    }

    #[test]
    fn alg_none_and_missing_or_wrong_audience_are_refused() {
        let keys = TokenKeys::new(b"secret-one", 3600);
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(
            serde_json::json!({"sub":"1","role":"admin","iss":ISSUER,"aud":AUDIENCE,"exp":now()+60}).to_string(),
        );
        assert!(keys.verify(&format!("{header}.{body}.")).is_err());

        let no_aud = serde_json::json!({"sub":"1","role":"admin","actor":null,"iss":ISSUER,"iat":now(),"exp":now()+60});
        assert!(keys.verify(&sign(&no_aud, b"secret-one")).is_err());
        let wrong_aud = serde_json::json!({"sub":"1","role":"admin","actor":null,"iss":ISSUER,"aud":"other","iat":now(),"exp":now()+60});
        assert!(keys.verify(&sign(&wrong_aud, b"secret-one")).is_err());
        let wrong_iss = serde_json::json!({"sub":"1","role":"admin","actor":null,"iss":"x","aud":AUDIENCE,"iat":now(),"exp":now()+60});
        assert!(keys.verify(&sign(&wrong_iss, b"secret-one")).is_err());
    }

    #[test]
    fn rotating_the_secret_invalidates_old_tokens() {
        let keys = TokenKeys::new(b"secret-one", 3600);
        let t = keys.issue(1, "admin", None, now()).unwrap();
        keys.replace_secret(b"secret-two");
        assert!(keys.verify(&t).is_err());
    }
}
