//! The generated contracts: GraphQL SDL and OpenAPI, written where they are committed.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct OutArgs {
    /// File to write; `-` writes to stdout. Defaults to the committed location.
    #[arg(long, short)]
    out: Option<PathBuf>,
}

pub const SCHEMA_PATH: &str = "schema/schema.graphql";
pub const OPENAPI_PATH: &str = "openapi/openapi.yaml";

pub fn write_schema(args: OutArgs) -> Result<(), String> {
    write(args.out, SCHEMA_PATH, crate::graphql::sdl())
}

pub fn write_openapi(args: OutArgs) -> Result<(), String> {
    let yaml = crate::rest::openapi()
        .to_yaml()
        .map_err(|e| e.to_string())?;
    write(args.out, OPENAPI_PATH, yaml)
}

fn write(out: Option<PathBuf>, default: &str, text: String) -> Result<(), String> {
    let path = out.unwrap_or_else(|| PathBuf::from(default));
    if path.as_os_str() == "-" {
        print!("{text}");
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
