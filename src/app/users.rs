use crate::auth::{hash_password, verify_password};
use crate::db::models::actor;
use crate::db::models::user::{self, NewUser};
use crate::db::models::web_session;
use crate::domain::{Email, FieldError, Password, Role, ValidationErrors};

use super::model::{self, User};
use super::session::{busy, locked_out};
use super::{AppError, Ayni, Caller};

/// A new user as the interfaces receive it.
#[derive(Debug, Clone)]
pub struct NewUserInput {
    pub email: String,
    pub password: String,
    pub role: Role,
    pub actor_id: Option<i64>,
}

impl Ayni {
    /// Every user (admin only).
    pub async fn users(&self, caller: &Caller) -> Result<Vec<User>, AppError> {
        caller.require(|r| r == Role::Admin, "list users")?;
        self.db
            .run(|conn| user::list(conn).map_err(AppError::from))
            .await
            .map(model::all)
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>, AppError> {
        self.db
            .run(move |conn| user::by_id(conn, id).map_err(AppError::from))
            .await
            .map(|u| u.map(User::from))
    }

    /// Creates a user (admin only). A contributor must be bound to an actor: it reports for
    /// that actor only.
    pub async fn create_user(
        &self,
        caller: &Caller,
        input: NewUserInput,
    ) -> Result<User, AppError> {
        self.create_user_marked(caller, input, false).await
    }

    /// Creates a user with a temporary password (admin only) and returns the password, to
    /// hand over once: the user must change it at the first sign-in.
    pub async fn create_user_with_temporary_password(
        &self,
        caller: &Caller,
        email: String,
        role: Role,
        actor_id: Option<i64>,
    ) -> Result<(User, String), AppError> {
        let password = super::web_sessions::temporary_password();
        let input = NewUserInput {
            email,
            password: password.clone(),
            role,
            actor_id,
        };
        let user = self.create_user_marked(caller, input, true).await?;
        Ok((user, password))
    }

    async fn create_user_marked(
        &self,
        caller: &Caller,
        input: NewUserInput,
        temporary: bool,
    ) -> Result<User, AppError> {
        caller.require(|r| r == Role::Admin, "create users")?;
        let mut errors = ValidationErrors::new();
        let email = errors.check(Email::parse("email", &input.email));
        let password = errors.check(Password::parse_for(
            "password",
            &input.password,
            &[input.email.as_str()],
        ));
        if input.role == Role::Contributor && input.actor_id.is_none() {
            errors.push(FieldError::new(
                "actorId",
                "required",
                "a contributor must be bound to the actor it reports for",
            ));
        }
        let (Some(email), Some(password)) = (email, password) else {
            return Err(AppError::Invalid(errors));
        };
        errors.into_result()?;
        let set_by = caller.user_id;
        let permit = self.guard().hash_permit().await.map_err(busy)?;
        let password_hash = self
            .guard()
            .hash(move || {
                let hash = hash_password(&password);
                drop(permit);
                hash
            })
            .await?
            .map_err(AppError::internal)?;
        self.db
            .write(caller.author(), move |tx| {
                if let Some(actor_id) = input.actor_id
                    && actor::by_id(tx.conn(), actor_id)?.is_none()
                {
                    return Err(AppError::from(FieldError::new(
                        "actorId",
                        "exists",
                        format!("no actor with id {actor_id}"),
                    )));
                }
                let new = NewUser {
                    email: &email,
                    password_hash,
                    role: input.role,
                    actor_id: input.actor_id,
                };
                let created = user::create(tx, new)?;
                if temporary {
                    let now = tx.now();
                    web_session::set_temporary(tx.conn(), created.id, set_by, now)?;
                }
                Ok::<_, AppError>(created)
            })
            .await
            .map(User::from)
    }

    /// Changes the caller's own password: the current one is checked first. Audited (the
    /// chain commits to a digest of the new hash, privately).
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: String,
        new: String,
    ) -> Result<(), AppError> {
        let Some(user_id) = caller.user_id else {
            return Err(AppError::Forbidden(
                "the operator has no password: use `ayni user` at the command line".into(),
            ));
        };
        let new = Password::parse_for("newPassword", &new, &[caller.email.as_str()])?;
        // The current password is a password check like a login: throttled per account.
        let account = caller.email.clone();
        self.guard().check(&account, None).map_err(locked_out)?;
        let permit = self.guard().hash_permit().await.map_err(busy)?;
        let stored_hash = self
            .db
            .run(move |conn| user::by_id(conn, user_id).map_err(AppError::from))
            .await?
            .ok_or_else(|| AppError::not_found(format!("user {user_id}")))?
            .password_hash;
        let (matches, password_hash) = self
            .guard()
            .hash(move || {
                let matches = verify_password(&current, &stored_hash);
                let hashed = (matches, matches.then(|| hash_password(&new)));
                drop(permit);
                hashed
            })
            .await?;
        if !matches {
            let started = self.guard().record_failure(&account, None);
            self.audit_lockouts(started).await?;
            return Err(AppError::invalid(
                "currentPassword",
                "matches",
                "the current password is not correct",
            ));
        }
        let password_hash = password_hash
            .transpose()
            .map_err(AppError::internal)?
            .ok_or_else(|| AppError::internal("no new password hash"))?;
        self.db
            .write(caller.author(), move |tx| {
                let before = user::by_id(tx.conn(), user_id)?
                    .ok_or_else(|| AppError::not_found(format!("user {user_id}")))?;
                user::set_password_hash(tx, &before, &password_hash).map_err(AppError::from)
            })
            .await?;
        Ok(())
    }
}
