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
    /// Failed logins per account within the window before it is locked out (0: no limit).
    #[arg(
        long,
        env = "AYNI_LOGIN_MAX_FAILURES",
        default_value_t = 5,
        value_name = "N"
    )]
    login_max_failures: u32,
    /// Failed logins per client address within the window before it is locked out (0: no
    /// limit).
    #[arg(
        long,
        env = "AYNI_LOGIN_MAX_FAILURES_PER_ADDRESS",
        default_value_t = 20,
        value_name = "N"
    )]
    login_max_failures_per_address: u32,
    /// The window failed logins are counted in, in seconds.
    #[arg(long, env = "AYNI_LOGIN_WINDOW_SECS", default_value_t = 900, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=604_800))]
    login_window_secs: u64,
    /// Password hashes computed at once (default: the number of cores).
    #[arg(long, env = "AYNI_MAX_CONCURRENT_HASHES", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    max_concurrent_hashes: Option<u32>,
    /// How long a password check waits for a hashing slot before a 503, in milliseconds.
    #[arg(long, env = "AYNI_HASH_WAIT_MS", default_value_t = 2000, value_name = "MS",
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    hash_wait_ms: u64,
    /// Send Strict-Transport-Security (only when clients reach the service over https).
    #[arg(long, env = "AYNI_HSTS")]
    hsts: bool,
    /// When set, `/metrics` answers only `Authorization: Bearer TOKEN`.
    #[arg(
        long,
        env = "AYNI_METRICS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    metrics_token: Option<String>,
    /// Workspace sessions end after this many seconds without a request.
    #[arg(long, env = "AYNI_SESSION_IDLE_SECS", default_value_t = 1800, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(60..=604_800))]
    session_idle_secs: u64,
    /// Workspace sessions end this many seconds after sign-in, whatever the activity.
    #[arg(long, env = "AYNI_SESSION_MAX_SECS", default_value_t = 43_200, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(60..=2_592_000))]
    session_max_secs: u64,
    /// Directory for evidence files (default: beside the SQLite file, `<database>.files`).
    #[arg(long, env = "AYNI_FILES_DIR", value_name = "DIR")]
    files_dir: Option<std::path::PathBuf>,
    /// The largest evidence file accepted, in bytes.
    #[arg(long, env = "AYNI_MAX_EVIDENCE_BYTES", default_value_t = crate::domain::evidence::DEFAULT_MAX_EVIDENCE_BYTES,
          value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..=1_073_741_824))]
    max_evidence_bytes: u64,
    /// SMTP server for e-mailing notifications, e.g. `smtp://mail.example.org:587?tls=required`
    /// or `smtps://user:pass@mail.example.org` (default: no e-mail).
    #[arg(long, env = "AYNI_SMTP_URL", value_name = "URL")]
    smtp_url: Option<String>,
    /// The sender of notification e-mails.
    #[arg(
        long,
        env = "AYNI_SMTP_FROM",
        value_name = "ADDRESS",
        default_value = "Ayni <ayni@localhost>"
    )]
    smtp_from: String,
    /// The address people reach Ayni at, e.g. `https://ayni.example.org`: links in e-mails
    /// become absolute (default: paths such as `/app/tareas`).
    #[arg(long, env = "AYNI_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// Memory for the public read cache, in MiB (0 turns it off).
    #[arg(long, env = "AYNI_CACHE_MB", default_value_t = crate::config::DEFAULT_CACHE_MB, value_name = "MIB",
          value_parser = clap::value_parser!(u64).range(0..=65_536))]
    cache_mb: u64,
    /// How old the known audit head may get before it is read again (writes of other
    /// processes are seen within this), in milliseconds.
    #[arg(long, env = "AYNI_CACHE_HEAD_CHECK_MS", default_value_t = 1000, value_name = "MS",
          value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    cache_head_check_ms: u64,
    /// How long a cached answer is kept at most, in seconds.
    #[arg(long, env = "AYNI_CACHE_TTL_SECS", default_value_t = 300, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    cache_ttl_secs: u64,
}

pub fn run(args: ServeArgs) -> Result<(), String> {
    let mut settings = Settings::new(args.db.database_url, args.bind);
    settings.demo = args.demo;
    settings.jwt_secret = args.secret.jwt_secret;
    settings.token_ttl_secs = args.secret.token_ttl;
    settings.pool_size = args.pool_size;
    settings.login.max_failures = args.login_max_failures;
    settings.login.max_failures_per_address = args.login_max_failures_per_address;
    settings.login.window = std::time::Duration::from_secs(args.login_window_secs);
    if let Some(n) = args.max_concurrent_hashes {
        settings.login.max_concurrent_hashes = n as usize;
    }
    settings.login.hash_wait = std::time::Duration::from_millis(args.hash_wait_ms);
    settings.hsts = args.hsts;
    settings.metrics_token = args.metrics_token;
    settings.sessions = crate::app::SessionPolicy {
        idle: std::time::Duration::from_secs(args.session_idle_secs),
        absolute: std::time::Duration::from_secs(args.session_max_secs),
    };
    settings.files_dir = args.files_dir;
    settings.max_evidence_bytes = args.max_evidence_bytes;
    settings.smtp = args.smtp_url.map(|url| crate::app::MailSettings {
        url,
        from: args.smtp_from,
        public_url: args.public_url,
    });
    settings.cache = crate::config::CacheSettings {
        max_bytes: args.cache_mb * 1024 * 1024,
        head_check: std::time::Duration::from_millis(args.cache_head_check_ms),
        ttl: std::time::Duration::from_secs(args.cache_ttl_secs),
    };
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
