use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::export::map::{MapDocument, to_dot, to_svg};

use super::{DbArgs, block_on};

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write an ecosystem's strategy map: perspectives as bands, objectives as boxes, links
    /// as arrows.
    Map(MapArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MapFormat {
    Svg,
    Dot,
    Json,
}

#[derive(Debug, Args)]
pub struct MapArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The ecosystem's slug.
    #[arg(long)]
    ecosystem: String,
    #[arg(long, value_enum, default_value = "svg")]
    format: MapFormat,
    /// File to write; stdout when omitted.
    #[arg(long, short)]
    out: Option<PathBuf>,
}

pub fn run(cmd: ExportCommand) -> Result<(), String> {
    match cmd {
        ExportCommand::Map(args) => map(args),
    }
}

fn map(args: MapArgs) -> Result<(), String> {
    let text = block_on(async {
        let app = super::offline_app(&args.db, 1).await?;
        let eco = app
            .ecosystem_by_slug(args.ecosystem.clone())
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("--ecosystem: no ecosystem with slug '{}'", args.ecosystem))?;
        let map = app.strategy_map(eco.id).await.map_err(|e| e.to_string())?;
        let doc = MapDocument::new(&eco, &map);
        Ok::<_, String>(match args.format {
            MapFormat::Svg => to_svg(&doc),
            MapFormat::Dot => to_dot(&doc),
            MapFormat::Json => {
                serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())? + "\n"
            }
        })
    })??;
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}
