//! Credentials: Argon2id password hashes and signed access tokens (JWT, HS256 pinned).

mod guard;
mod password;
mod token;

pub use guard::{Busy, HashPoolGone, Lockout, LoginGuard, ThrottleKey};
pub use password::{hash_password, verify_against_dummy, verify_password};
pub use token::{AUDIENCE, Claims, ISSUER, TokenError, TokenKeys};
