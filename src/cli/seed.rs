use std::path::PathBuf;

use clap::Args;

use crate::seed;

use super::{DbArgs, block_on};

#[derive(Debug, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    db: DbArgs,
    /// A directory of seed files (*.json), or one file. See seeds/README.md.
    path: PathBuf,
}

pub fn run(args: SeedArgs) -> Result<(), String> {
    // Parse everything before writing anything: a bad file changes nothing.
    let docs = seed::read_path(&args.path).map_err(|e| e.to_string())?;
    block_on(async move {
        let app = super::offline_app(&args.db, 2).await?;
        let report = seed::load(&app, &docs).await.map_err(|e| e.to_string())?;
        println!(
            "{}: {} created, {} already there",
            args.path.display(),
            report.created,
            report.kept
        );
        Ok(())
    })?
}
