use clap::{Args, Subcommand};

use crate::app::{Caller, NewUserInput};
use crate::domain::Role;

use super::{DbArgs, block_on, read_secret};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is asked on the terminal, or read from stdin with
    /// --password-stdin.
    Add(AddArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[command(flatten)]
    db: DbArgs,
    #[arg(long)]
    email: String,
    /// admin, coordinator, contributor or monitor.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// Name of the actor the user reports for (required for contributors).
    #[arg(long, value_name = "NAME")]
    actor: Option<String>,
    /// Read the password from the first line of stdin instead of prompting.
    #[arg(long)]
    password_stdin: bool,
}

fn parse_role(raw: &str) -> Result<Role, String> {
    Role::parse("role", raw).map_err(|e| e.message)
}

pub fn run(cmd: UserCommand) -> Result<(), String> {
    match cmd {
        UserCommand::Add(args) => add(args),
    }
}

fn add(args: AddArgs) -> Result<(), String> {
    let password = if args.password_stdin {
        read_secret("")?
    } else {
        let first = read_secret("Password: ")?;
        let again = read_secret("Repeat password: ")?;
        if first != again {
            return Err("the passwords do not match".into());
        }
        first
    };
    block_on(async move {
        let app = super::offline_app(&args.db, 1).await?;
        let actor_id = match &args.actor {
            Some(name) => {
                let actors = app.actors().await.map_err(|e| e.to_string())?;
                let found = actors.into_iter().find(|a| &a.name == name);
                Some(found.map(|a| a.id).ok_or_else(|| {
                    format!(
                        "--actor: no actor named '{}'",
                        args.actor.as_deref().unwrap_or_default()
                    )
                })?)
            }
            None => None,
        };
        let user = app
            .create_user(
                &Caller::operator(),
                NewUserInput {
                    email: args.email,
                    password,
                    role: args.role,
                    actor_id,
                },
            )
            .await
            .map_err(|e| describe(&e))?;
        println!(
            "created user {} ({}) with id {}",
            user.email, user.role, user.id
        );
        Ok(())
    })?
}

/// An application error for the terminal: field errors one per line.
pub(super) fn describe(e: &crate::app::AppError) -> String {
    let fields = e.field_errors();
    if fields.is_empty() {
        e.to_string()
    } else {
        fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
