//! Workspace sign-in: server-side sessions stored in the database. The browser holds a random
//! token in a cookie; the database holds only its SHA-256, the user, a CSRF token and the
//! times that idle and absolute expiry are checked against. Every request loads the user
//! again, so a disabled user or a changed role takes effect on the next request.

use std::net::IpAddr;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::auth::hash_password;
use crate::db::models::user;
use crate::db::models::web_session::{self, WebSession};
use crate::domain::{Password, Role};

use super::session::busy;
use super::{AppError, Ayni, Caller};

/// How long a session lives: `idle` since its last request, `absolute` since sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 60 * 60),
        }
    }
}

/// How stale a session's recorded last request may get before a request records it again.
const TOUCH_EVERY_SECS: i64 = 60;

/// A session just opened: the token goes into the cookie, once.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    pub token: String,
    pub must_change_password: bool,
}

/// The signed-in user of a workspace request.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub caller: Caller,
    /// The stored session's id (the token's digest), to end this session.
    pub session_id: String,
    /// The token every state-changing form must carry.
    pub csrf_token: String,
    /// A temporary password: nothing but changing it is allowed.
    pub must_change_password: bool,
    /// How many of the user's notifications are unread (for the navigation).
    pub unread_notifications: i64,
}

/// 32 random bytes as 64 hex digits.
fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn since(d: Duration) -> chrono::NaiveDateTime {
    let now = crate::db::audit::now();
    now - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// A temporary password: 4 groups of 5 letters and digits (no look-alikes), easy to read
/// aloud or copy, ≈ 99 bits.
pub(super) fn temporary_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::new();
    for group in 0..4 {
        if group > 0 {
            out.push('-');
        }
        for _ in 0..5 {
            let i = rand::random_range(0..ALPHABET.len());
            out.push(char::from(ALPHABET[i]));
        }
    }
    out
}

impl Ayni {
    /// Sets how long workspace sessions live.
    pub fn with_session_policy(mut self, policy: SessionPolicy) -> Ayni {
        self.sessions = policy;
        self
    }

    pub fn session_policy(&self) -> SessionPolicy {
        self.sessions
    }

    /// Signs in to the workspace: the same throttled password check as the token endpoint.
    pub async fn open_session(
        &self,
        email: &str,
        password: &str,
        address: Option<IpAddr>,
    ) -> Result<OpenedSession, AppError> {
        let user = self.check_credentials(email, password, address).await?;
        let token = random_token();
        let now = crate::db::audit::now();
        let row = WebSession {
            id: digest(&token),
            user_id: user.id,
            csrf_token: random_token(),
            created_at: now,
            last_seen_at: now,
        };
        let policy = self.sessions;
        let must_change_password = self
            .db
            .run(move |conn| {
                // Sign-ins sweep the expired sessions: the table stays the size of the
                // sessions alive.
                web_session::delete_expired(conn, since(policy.idle), since(policy.absolute))?;
                web_session::create(conn, &row)?;
                web_session::is_temporary(conn, row.user_id).map_err(AppError::from)
            })
            .await?;
        tracing::info!(target: "ayni::security", user = user.id, "workspace sign-in");
        Ok(OpenedSession {
            token,
            must_change_password,
        })
    }

    /// The session a cookie's token names, if it is alive and its user is enabled; marks it
    /// used. An expired session is removed.
    pub async fn session(&self, token: &str) -> Result<Option<SignedIn>, AppError> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let id = digest(token);
        let policy = self.sessions;
        self.db
            .run(move |conn| {
                let Some(s) = web_session::by_id(conn, &id)? else {
                    return Ok(None);
                };
                if s.last_seen_at < since(policy.idle) || s.created_at < since(policy.absolute) {
                    web_session::delete(conn, &id)?;
                    return Ok(None);
                }
                let Some(u) = user::by_id(conn, s.user_id)?.filter(|u| !u.disabled) else {
                    web_session::delete(conn, &id)?;
                    return Ok(None);
                };
                // A write per request would queue every page behind SQLite's one writer: the
                // last request is recorded at most once a minute (idle expiry is in minutes).
                let now = crate::db::audit::now();
                if now - s.last_seen_at >= chrono::Duration::seconds(TOUCH_EVERY_SECS) {
                    web_session::touch(conn, &id, now)?;
                }
                let must_change_password = web_session::is_temporary(conn, u.id)?;
                let unread_notifications =
                    crate::db::models::notification::unread_count(conn, u.id)?;
                Ok(Some(SignedIn {
                    caller: Caller {
                        user_id: Some(u.id),
                        email: u.email,
                        role: u.role,
                        actor_id: u.actor_id,
                    },
                    session_id: s.id,
                    csrf_token: s.csrf_token,
                    must_change_password,
                    unread_notifications,
                }))
            })
            .await
    }

    /// Signs out: the session ends at once.
    pub async fn close_session(&self, signed: &SignedIn) -> Result<(), AppError> {
        let id = signed.session_id.clone();
        self.db
            .run(move |conn| web_session::delete(conn, &id).map_err(AppError::from))
            .await
    }

    /// Changes the signed-in user's password: the current one is checked as in
    /// [`Ayni::change_password`]; a temporary password stops being one, and every other
    /// session of the user ends.
    pub async fn change_session_password(
        &self,
        signed: &SignedIn,
        current: String,
        new: String,
    ) -> Result<(), AppError> {
        self.change_password(&signed.caller, current, new).await?;
        let (user_id, keep) = (signed.caller.user_id, signed.session_id.clone());
        if let Some(user_id) = user_id {
            self.db
                .run(move |conn| {
                    web_session::clear_temporary(conn, user_id)?;
                    web_session::delete_for_user(conn, user_id, Some(&keep))?;
                    Ok::<_, AppError>(())
                })
                .await?;
        }
        Ok(())
    }

    /// Gives a user a new, temporary password (admin only) and returns it, to hand over: the
    /// user must change it at the next sign-in, and the user's sessions end. Audited like any
    /// password change (the chain commits to a digest of the new hash, privately).
    pub async fn set_temporary_password(
        &self,
        caller: &Caller,
        user_id: i64,
    ) -> Result<String, AppError> {
        caller.require(|r| r == Role::Admin, "set temporary passwords")?;
        let password = temporary_password();
        let checked = Password::parse("password", &password)?;
        let permit = self.guard().hash_permit().await.map_err(busy)?;
        let password_hash = self
            .guard()
            .hash(move || {
                let hashed = hash_password(&checked);
                drop(permit);
                hashed
            })
            .await?
            .map_err(AppError::internal)?;
        let set_by = caller.user_id;
        self.db
            .write(caller.author(), move |tx| {
                let before = user::by_id(tx.conn(), user_id)?
                    .ok_or_else(|| AppError::not_found(format!("user {user_id}")))?;
                user::set_password_hash(tx, &before, &password_hash)?;
                let now = tx.now();
                web_session::set_temporary(tx.conn(), user_id, set_by, now)?;
                web_session::delete_for_user(tx.conn(), user_id, None)?;
                Ok::<_, AppError>(())
            })
            .await?;
        Ok(password)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_are_random_and_pass_the_policy() {
        let a = temporary_password();
        let b = temporary_password();
        assert_ne!(a, b);
        assert_eq!(a.len(), 23);
        assert!(Password::parse("password", &a).is_ok());
    }

    #[test]
    fn a_token_is_stored_only_as_its_digest() {
        let t = random_token();
        assert_eq!(t.len(), 64);
        assert_ne!(digest(&t), t);
        assert_eq!(digest(&t).len(), 64);
    }
}
