use crate::auth::hash_password;
use crate::db::models::actor;
use crate::db::models::user::{self, NewUser, User};
use crate::domain::{Email, FieldError, Password, Role, ValidationErrors};

use super::{AppError, Ayni, Caller, blocking};

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
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>, AppError> {
        self.db
            .run(move |conn| user::by_id(conn, id).map_err(AppError::from))
            .await
    }

    /// Creates a user (admin only). A contributor must be bound to an actor: it reports for
    /// that actor only.
    pub async fn create_user(
        &self,
        caller: &Caller,
        input: NewUserInput,
    ) -> Result<User, AppError> {
        caller.require(|r| r == Role::Admin, "create users")?;
        let mut errors = ValidationErrors::new();
        let email = errors.check(Email::parse("email", &input.email));
        let password = errors.check(Password::parse("password", &input.password));
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
        let password_hash = blocking(move || hash_password(&password))
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
                user::create(tx, new).map_err(AppError::from)
            })
            .await
    }
}
