//! Credentials: Argon2id password hashes and signed access tokens (JWT, HS256 pinned).

mod password;
mod token;

pub use password::{hash_password, verify_password, verify_against_dummy};
pub use token::{Claims, TokenError, TokenKeys, AUDIENCE, ISSUER};
