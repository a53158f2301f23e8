//! Administration: disabling users, changing roles and actors, rotating the signing secret.

use rand::Rng;

use crate::db::models::actor;
use crate::db::models::setting;
use crate::db::models::user;
use crate::domain::Role;

use super::model::User;
use super::{AppError, Ayni, Caller};

/// What an administrator may change on a user; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub disabled: Option<bool>,
    pub role: Option<Role>,
    /// `Some(None)` unbinds the user from its actor.
    pub actor_id: Option<Option<i64>>,
}

impl From<UserChange> for user::UserChange {
    fn from(c: UserChange) -> Self {
        user::UserChange {
            disabled: c.disabled,
            role: c.role,
            actor_id: c.actor_id,
        }
    }
}

fn admin(caller: &Caller, what: &str) -> Result<(), AppError> {
    caller.require(|r| r == Role::Admin, what)
}

impl Ayni {
    /// Whether nobody has used this database yet: no users and no actors (where the demo
    /// may be loaded).
    pub async fn is_unused(&self) -> Result<bool, AppError> {
        self.db
            .run(|conn| Ok(user::count(conn)? == 0 && actor::list(conn)?.is_empty()))
            .await
    }

    /// Changes a user's status, role or actor (admin only). A contributor always keeps an
    /// actor; an admin cannot disable or demote itself (there must be someone left to undo it).
    pub async fn change_user(
        &self,
        caller: &Caller,
        id: i64,
        change: UserChange,
    ) -> Result<User, AppError> {
        admin(caller, "administer users")?;
        if caller.user_id == Some(id)
            && (change.disabled == Some(true) || change.role.is_some_and(|r| r != Role::Admin))
        {
            return Err(AppError::invalid(
                "id",
                "self",
                "an administrator cannot disable or demote itself",
            ));
        }
        self.db
            .write(caller.author(), move |tx| {
                let before = user::by_id(tx.conn(), id)?
                    .ok_or_else(|| AppError::not_found(format!("user {id}")))?;
                if let Some(Some(actor_id)) = change.actor_id
                    && actor::by_id(tx.conn(), actor_id)?.is_none()
                {
                    return Err(AppError::invalid(
                        "actorId",
                        "exists",
                        format!("no actor with id {actor_id}"),
                    ));
                }
                let role = change.role.unwrap_or(before.role);
                let actor_after = change.actor_id.unwrap_or(before.actor_id);
                if role == Role::Contributor && actor_after.is_none() {
                    return Err(AppError::invalid(
                        "actorId",
                        "required",
                        "a contributor must be bound to the actor it reports for",
                    ));
                }
                user::update(tx, &before, &change.into()).map_err(AppError::from)
            })
            .await
            .map(User::from)
    }

    /// Replaces the token signing secret: every token issued before stops working at once.
    /// Refused when the secret comes from `AYNI_JWT_SECRET` (change it there instead).
    pub async fn rotate_jwt_secret(&self, caller: &Caller) -> Result<(), AppError> {
        admin(caller, "rotate the signing secret")?;
        if self.tokens.is_configured() {
            return Err(AppError::Conflict {
                field: "secret".into(),
                message:
                    "the signing secret comes from AYNI_JWT_SECRET: change it there and restart"
                        .into(),
            });
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill(&mut bytes);
        let fresh = hex::encode(bytes);
        let stored = fresh.clone();
        self.db
            .write(caller.author(), move |tx| {
                setting::put_secret(tx, setting::JWT_SECRET, &stored).map_err(AppError::from)
            })
            .await?;
        self.tokens.replace_secret(fresh.as_bytes());
        Ok(())
    }
}
