use clap::Args;

use crate::app::Ayni;
use crate::startup;

use super::user::describe;
use super::{DbArgs, SecretArgs, block_on, read_secret};

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    secret: SecretArgs,
    #[arg(long)]
    email: String,
}

pub fn run(args: TokenArgs) -> Result<(), String> {
    super::existing_database(&args.db)?;
    let password = read_secret("Password: ")?;
    block_on(async move {
        let db = startup::open_database(&args.db.database_url, 1)
            .await
            .map_err(|e| e.to_string())?;
        let keys = startup::token_keys(
            &db,
            args.secret.jwt_secret.as_deref(),
            args.secret.token_ttl,
        )
        .await
        .map_err(|e| e.to_string())?;
        let issued = Ayni::new(db, keys)
            .login(&args.email, &password)
            .await
            .map_err(|e| describe(&e))?;
        println!("{}", issued.access_token);
        Ok(())
    })?
}
