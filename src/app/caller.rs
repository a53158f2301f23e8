//! Who is asking: the authenticated user as loaded from the database for this request.

use crate::db::Author;
use crate::domain::Role;

use super::AppError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// `None` only for the operator acting through the CLI with direct database access.
    pub user_id: Option<i64>,
    pub email: String,
    pub role: Role,
    pub actor_id: Option<i64>,
}

impl Caller {
    /// The operator at the command line: admin rights, no user account.
    pub fn operator() -> Caller {
        Caller {
            user_id: None,
            email: "operator@cli".to_string(),
            role: Role::Admin,
            actor_id: None,
        }
    }

    /// Who the audit chain records for this caller's writes.
    pub fn author(&self) -> Author {
        Author {
            user_id: self.user_id,
            actor_id: self.actor_id,
        }
    }

    /// Refuses unless the caller's role passes `allowed`; `what` says what was attempted.
    pub fn require(&self, allowed: impl Fn(Role) -> bool, what: &str) -> Result<(), AppError> {
        if allowed(self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "the {} role may not {what}",
                self.role.as_str()
            )))
        }
    }
}

impl Caller {
    /// Refuses unless the caller may define the strategy (coordinator or admin).
    pub fn require_strategist(&self, what: &str) -> Result<(), AppError> {
        self.require(Role::manages_strategy, what)
    }
}

/// Resolves an optional caller into a logged-in one, or `UNAUTHENTICATED`.
pub fn logged_in(caller: Option<&Caller>) -> Result<&Caller, AppError> {
    caller.ok_or_else(|| {
        AppError::Unauthenticated("log in first: send Authorization: Bearer <token>".into())
    })
}
