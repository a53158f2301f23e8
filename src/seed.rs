//! Demo data from `seeds/demo.json`, embedded in the binary and loaded by `ayni serve --demo`
//! into an empty database, through the same audited use cases as any other write.

use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Deserialize;

use crate::app::{AppError, Ayni, Caller, NewActorInput, NewUserInput};
use crate::domain::{ActorKind, Role};

const DEMO: &str = include_str!("../seeds/demo.json");

#[derive(Deserialize)]
struct DemoFile {
    admin: DemoAdminSpec,
    actors: Vec<DemoActor>,
}

#[derive(Deserialize)]
struct DemoAdminSpec {
    email: String,
}

#[derive(Deserialize)]
struct DemoActor {
    name: String,
    kind: ActorKind,
}

/// The demo administrator's credentials: the password is random and shown once.
#[derive(Debug, Clone)]
pub struct DemoAdmin {
    pub email: String,
    pub password: String,
}

/// Loads the demo data when the database has no users and no actors; otherwise does nothing
/// and returns `None`.
pub async fn load_demo(app: &Ayni) -> Result<Option<DemoAdmin>, AppError> {
    let empty = app
        .db
        .run(|conn| {
            let users = crate::db::models::user::count(conn)?;
            let actors = crate::db::models::actor::list(conn)?;
            Ok::<_, AppError>(users == 0 && actors.is_empty())
        })
        .await?;
    if !empty {
        return Ok(None);
    }
    let demo: DemoFile = serde_json::from_str(DEMO)
        .map_err(|e| AppError::internal(format!("seeds/demo.json: {e}")))?;
    let operator = Caller::operator();
    for actor in demo.actors {
        app.create_actor(
            &operator,
            NewActorInput {
                name: actor.name,
                kind: actor.kind,
            },
        )
        .await?;
    }
    let password: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(20)
        .map(char::from)
        .collect();
    app.create_user(
        &operator,
        NewUserInput {
            email: demo.admin.email.clone(),
            password: password.clone(),
            role: Role::Admin,
            actor_id: None,
        },
    )
    .await?;
    Ok(Some(DemoAdmin {
        email: demo.admin.email,
        password,
    }))
}
