use std::net::IpAddr;

use crate::auth::{Busy, Lockout, LoginGuard, verify_against_dummy, verify_password};
use crate::db::models::user;
use crate::db::{Action, StoreError};
use crate::domain::Email;
use crate::domain::audit::AuditState;

use super::{AppError, Ayni, Caller};

/// An access token as returned by the token endpoint and `ayni token`.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: i64,
}

/// The one answer for every failed login, so it does not tell which part was wrong.
const BAD_CREDENTIALS: &str = "wrong e-mail or password";

/// A throttled password check, as an error.
pub(super) fn locked_out(l: Lockout) -> AppError {
    AppError::TooManyAttempts {
        message: format!(
            "demasiados intentos fallidos; vuelva a intentar en {s} s / too many failed attempts ({kind} locked out); retry in {s} s or ask an administrator",
            s = l.retry_after_secs,
            kind = l.key.kind()
        ),
        retry_after_secs: l.retry_after_secs,
    }
}

/// Every password-hashing slot busy, as an error.
pub(super) fn busy(b: Busy) -> AppError {
    AppError::Busy {
        message: format!(
            "servidor ocupado; vuelva a intentar en {s} s / too many password checks at once; retry in {s} s",
            s = b.retry_after_secs
        ),
        retry_after_secs: b.retry_after_secs,
    }
}

/// Audit entity types of login lock-outs and of their lifting (entries only: no table).
pub const LOGIN_LOCKOUT: &str = "login_lockout";
pub const LOGIN_UNLOCK: &str = "login_unlock";

/// A fresh id for an entry about something that has no row: 16 random hex digits, so the
/// public id says nothing about the e-mail or address.
fn audit_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

impl Ayni {
    /// Current login lock-outs (admin only).
    pub async fn login_lockouts(
        &self,
        caller: &Caller,
    ) -> Result<Vec<crate::auth::Lockout>, AppError> {
        caller.require(|r| r == crate::domain::Role::Admin, "see login lock-outs")?;
        Ok(self.login_guard.lockouts())
    }

    /// Lifts the login lock-out of an account (e-mail) and/or a client address (admin only);
    /// tells whether either was locked out. Logged.
    pub async fn unlock_login(
        &self,
        caller: &Caller,
        email: Option<String>,
        address: Option<String>,
    ) -> Result<bool, AppError> {
        caller.require(|r| r == crate::domain::Role::Admin, "lift login lock-outs")?;
        let email = email.map(|e| Email::parse("email", &e)).transpose()?;
        let address = address
            .map(|a| {
                a.trim().parse::<IpAddr>().map_err(|_| {
                    AppError::invalid("address", "ip", format!("'{a}' is not an IP address"))
                })
            })
            .transpose()?;
        if email.is_none() && address.is_none() {
            return Err(AppError::invalid(
                "email",
                "required",
                "give an e-mail and/or an address to unlock",
            ));
        }
        let lifted = self
            .login_guard
            .unlock(email.as_ref().map(Email::as_str), address);
        tracing::warn!(target: "ayni::security", by = %caller.email, lifted, "unlock login requested");
        // Audited: who lifted what is public by its user number; the e-mail and address are
        // private parts.
        let public = serde_json::json!({ "lifted": lifted });
        let private = serde_json::json!({
            "email": email.as_ref().map(Email::as_str),
            "address": address.map(|a| a.to_string()),
        });
        self.db
            .write(caller.author(), move |tx| {
                let state =
                    AuditState::new(&public, Some(&private)).map_err(StoreError::Corrupt)?;
                tx.record(
                    Action::Create,
                    LOGIN_UNLOCK,
                    &audit_id(),
                    None,
                    Some(&state),
                )
                .map_err(AppError::from)
            })
            .await?;
        Ok(lifted)
    }

    /// Records each lock-out a failed password check started: its kind, count and duration
    /// in public, the e-mail or address it applies to in the private part.
    pub(super) async fn audit_lockouts(&self, started: Vec<Lockout>) -> Result<(), AppError> {
        if started.is_empty() {
            return Ok(());
        }
        self.db
            .write(crate::db::Author::system(), move |tx| {
                for l in &started {
                    let public = serde_json::json!({
                        "kind": l.key.kind(),
                        "failures": l.failures,
                        "retry_after_secs": l.retry_after_secs,
                    });
                    let private = serde_json::json!({ "key": l.key.value() });
                    let state =
                        AuditState::new(&public, Some(&private)).map_err(StoreError::Corrupt)?;
                    tx.record(
                        Action::Create,
                        LOGIN_LOCKOUT,
                        &audit_id(),
                        None,
                        Some(&state),
                    )?;
                }
                Ok::<_, AppError>(())
            })
            .await
    }

    /// The throttle and hashing cap, for the other password checks.
    pub(super) fn guard(&self) -> &LoginGuard {
        &self.login_guard
    }

    /// Checks an e-mail and password and issues an access token.
    pub async fn login(&self, email: &str, password: &str) -> Result<IssuedToken, AppError> {
        self.login_from(email, password, None).await
    }

    /// As [`Ayni::login`], from a client address: failures are throttled per account and
    /// per address, and a locked-out login is refused without checking the password.
    pub async fn login_from(
        &self,
        email: &str,
        password: &str,
        address: Option<IpAddr>,
    ) -> Result<IssuedToken, AppError> {
        let user = self.check_credentials(email, password, address).await?;
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

    /// The one password check of every sign-in (token endpoint and workspace): throttled per
    /// account and per address, hashed on the hashing pool, the same answer for every failure.
    pub(super) async fn check_credentials(
        &self,
        email: &str,
        password: &str,
        address: Option<IpAddr>,
    ) -> Result<user::User, AppError> {
        let email = Email::parse("email", email)?;
        let guard = &self.login_guard;
        guard.check(email.as_str(), address).map_err(locked_out)?;
        let permit = guard.hash_permit().await.map_err(busy)?;
        let account = email.as_str().to_string();
        let found = self
            .db
            .run(move |conn| user::by_email(conn, email.as_str()).map_err(AppError::from))
            .await?;
        let candidate = password.to_string();
        let user = match found {
            Some(u) => {
                let hash = u.password_hash.clone();
                let ok = guard
                    .hash(move || {
                        let ok = verify_password(&candidate, &hash);
                        drop(permit);
                        ok
                    })
                    .await?;
                (ok && !u.disabled).then_some(u)
            }
            None => {
                guard
                    .hash(move || {
                        verify_against_dummy(&candidate);
                        drop(permit);
                    })
                    .await?;
                None
            }
        };
        match &user {
            Some(_) => guard.record_success(&account),
            None => {
                let started = guard.record_failure(&account, address);
                self.audit_lockouts(started).await?;
            }
        }
        user.ok_or_else(|| AppError::Unauthenticated(BAD_CREDENTIALS.into()))
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
