use crate::auth::{verify_against_dummy, verify_password};
use crate::db::models::user;
use crate::domain::Email;

use super::{AppError, Ayni, Caller, blocking};

/// An access token as returned by the token endpoint and `ayni token`.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: i64,
}

/// The one answer for every failed login, so it does not tell which part was wrong.
const BAD_CREDENTIALS: &str = "wrong e-mail or password";

impl Ayni {
    /// Checks an e-mail and password and issues an access token.
    pub async fn login(&self, email: &str, password: &str) -> Result<IssuedToken, AppError> {
        let email = Email::parse("email", email)?;
        let found = self
            .db
            .run(move |conn| user::by_email(conn, email.as_str()).map_err(AppError::from))
            .await?;
        let candidate = password.to_string();
        let user = match found {
            Some(u) => {
                let hash = u.password_hash.clone();
                let ok = blocking(move || verify_password(&candidate, &hash)).await?;
                (ok && !u.disabled).then_some(u)
            }
            None => {
                blocking(move || verify_against_dummy(&candidate)).await?;
                None
            }
        };
        let user = user.ok_or_else(|| AppError::Unauthenticated(BAD_CREDENTIALS.into()))?;
        let access_token = self
            .tokens
            .issue(
                user.id,
                user.role.as_str(),
                user.actor_id,
                chrono::Utc::now().timestamp(),
            )
            .map_err(AppError::internal)?;
        Ok(IssuedToken {
            access_token,
            expires_in: self.tokens.ttl_secs(),
        })
    }

    /// Turns a bearer token into the caller, as the database knows them *now*: a disabled
    /// user or a changed role takes effect at once, not when the token expires.
    pub async fn authenticate(&self, token: &str) -> Result<Caller, AppError> {
        let claims = self
            .tokens
            .verify(token)
            .map_err(|e| AppError::Unauthenticated(e.to_string()))?;
        let id: i64 = claims
            .sub
            .parse()
            .map_err(|_| AppError::Unauthenticated("invalid access token: bad subject".into()))?;
        let user = self
            .user_by_id(id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(|| {
                AppError::Unauthenticated("invalid access token: unknown or disabled user".into())
            })?;
        Ok(Caller {
            user_id: Some(user.id),
            email: user.email.clone(),
            role: user.role,
            actor_id: user.actor_id,
        })
    }
}
