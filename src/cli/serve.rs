use std::net::SocketAddr;

use clap::Args;

use crate::config::{DEFAULT_BIND, Settings};
use crate::startup::Application;

use super::{DbArgs, SecretArgs};

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "AYNI_BIND", default_value = DEFAULT_BIND, value_name = "ADDR")]
    bind: SocketAddr,
    /// Load the demo data (Moquegua) when the database is empty.
    #[arg(long)]
    demo: bool,
    #[command(flatten)]
    secret: SecretArgs,
    /// Most database connections in the pool.
    #[arg(long, env = "AYNI_POOL_SIZE", default_value_t = 8, value_name = "N")]
    pool_size: u32,
    /// Send Strict-Transport-Security (only when clients reach the service over https).
    #[arg(long, env = "AYNI_HSTS")]
    hsts: bool,
}

pub fn run(args: ServeArgs) -> Result<(), String> {
    let mut settings = Settings::new(args.db.database_url, args.bind);
    settings.demo = args.demo;
    settings.jwt_secret = args.secret.jwt_secret;
    settings.token_ttl_secs = args.secret.token_ttl;
    settings.pool_size = args.pool_size;
    settings.hsts = args.hsts;
    actix_web::rt::System::new().block_on(async move {
        let application = Application::build(&settings).await.map_err(|e| e.to_string())?;
        application
            .run_until_signal(|application| {
                if let Some(admin) = application.demo_admin() {
                    // Shown once: the password is random and stored only as an Argon2id hash.
                    println!(
                        "Demo data loaded. Administrator: {} / password: {}",
                        admin.email, admin.password
                    );
                }
                let addr = format!("http://{}:{}", settings.bind.ip(), application.port());
                println!("Portal: {addr}/   GraphQL: {addr}/graphql");
                tracing::info!(database = %settings.database_url, %addr, "Ayni is serving: GraphQL at {addr}/graphql, health at {addr}/api/v1/health");
            })
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!("stopped");
        Ok(())
    })
}
