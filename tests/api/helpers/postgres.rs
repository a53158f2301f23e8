//! A throwaway PostgreSQL server for the test process: `initdb` + `pg_ctl` in a temporary
//! directory, listening on 127.0.0.1 on a free port, one fresh database per test, stopped
//! when the test binary exits.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::{Connection, PgConnection, RunQueryDsl};

pub struct PgServer {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

const INSTALL_HINT: &str = "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in \
     /usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: `apt-get install -y postgresql`) \
     or run `bash .ci/run`, which installs them. The PostgreSQL half of the suite never skips.";

/// The bin directory holding `initdb` and `pg_ctl`: Debian's versioned directories first
/// (newest), then PATH.
fn find_bin_dir() -> Option<PathBuf> {
    let mut versioned: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
        .collect();
    versioned.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(dir) = versioned.pop() {
        return Some(dir);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

impl PgServer {
    /// The process-wide server, started on first use.
    pub fn get() -> &'static PgServer {
        match SERVER.get_or_init(PgServer::start) {
            Ok(s) => s,
            Err(e) => panic!("cannot start the test PostgreSQL server: {e}"),
        }
    }

    fn start() -> Result<PgServer, String> {
        let bin = find_bin_dir().ok_or_else(|| INSTALL_HINT.to_string())?;
        let as_postgres_user = is_root();
        let base = std::env::temp_dir().join(format!("ayni-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).map_err(|e| format!("{}: {e}", base.display()))?;
        if as_postgres_user {
            // initdb refuses to run as root: the server runs as the `postgres` system user.
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&base))?;
        }
        let data = base.join("data");
        let server = PgServer {
            bin,
            data,
            port: free_port()?,
            as_postgres_user,
        };
        server.pg(
            "initdb",
            &[
                "-D",
                &server.data.to_string_lossy(),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
        )?;
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000",
            server.port,
            base.display()
        );
        let log = base.join("server.log");
        server.pg(
            "pg_ctl",
            &[
                "-D",
                &server.data.to_string_lossy(),
                "-l",
                &log.to_string_lossy(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )?;
        Ok(server)
    }

    fn pg(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args).current_dir(std::env::temp_dir());
        run(&mut cmd)
    }

    /// A client tool of the server's installation (`psql`), for benchmarks.
    #[allow(dead_code)]
    pub fn tool(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// A new empty database; returns its URL.
    pub fn create_database(&self) -> String {
        let name = format!("ayni_test_{}", NEXT_DB.fetch_add(1, Ordering::SeqCst));
        let mut admin = PgConnection::establish(&self.url("postgres"))
            .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL server: {e}"));
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        self.url(&name)
    }

    fn stop(&self) {
        let _ = self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data.to_string_lossy(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
        if let Some(base) = self.data.parent() {
            let _ = std::fs::remove_dir_all(base);
        }
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Stops the server when the test binary exits.
#[ctor::dtor]
fn stop_server() {
    if let Some(Ok(server)) = SERVER.get() {
        server.stop();
    }
}
