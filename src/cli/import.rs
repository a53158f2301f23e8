//! `ayni import observations FILE.csv`: bulk entry from the command line, with a progress
//! bar on large files; `ayni import investments FILE --ecosystem SLUG --as-of DATE`: MEF's
//! investment file.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::app::{Caller, ImportPhase, InvestmentLineError, MAX_IMPORT_BYTES, Progress};
use crate::domain::investment::parse_date;

use super::{DbArgs, block_on};

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import observations from CSV (header: variable,period,territory,value,evidence),
    /// all or nothing; every bad row is listed with its line.
    Observations(ObservationArgs),
    /// Import MEF's "Detalle de inversiones" file (Invierte.pe) as snapshots dated --as-of,
    /// all or nothing; rows outside the ecosystem's territory are skipped.
    Investments(InvestmentArgs),
}

#[derive(Debug, Args)]
pub struct InvestmentArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The file, as MEF publishes it or as a spreadsheet saved it.
    file: PathBuf,
    /// The ecosystem's slug: its territory bounds the rows.
    #[arg(long, short)]
    ecosystem: String,
    /// The snapshots' date, YYYY-MM-DD (the day the file was downloaded; not in the future).
    #[arg(long)]
    as_of: String,
}

#[derive(Debug, Args)]
pub struct ObservationArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The CSV file.
    file: PathBuf,
    /// The ecosystem's slug: its variable selection and territory bound the rows.
    #[arg(long, short)]
    ecosystem: String,
    /// The actor the values come from (its id or exact name).
    #[arg(long, short)]
    actor: String,
    /// Approve the imported rows at once (as the operator), so they count immediately.
    #[arg(long)]
    approve: bool,
}

pub fn run(cmd: ImportCommand) -> Result<(), String> {
    match cmd {
        ImportCommand::Observations(args) => observations(args),
        ImportCommand::Investments(args) => investments(args),
    }
}

/// Files larger than this get a progress bar.
const BAR_FROM_BYTES: u64 = 1024 * 1024;

fn progress_bar(total_bytes: u64) -> Option<(ProgressBar, Progress)> {
    if total_bytes < BAR_FROM_BYTES {
        return None;
    }
    let bar = ProgressBar::new(total_bytes);
    let style = ProgressStyle::with_template("{msg:10} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message("checking");
    let shown = bar.clone();
    let progress: Progress = Arc::new(move |phase, done, total| {
        match phase {
            ImportPhase::Validating => shown.set_message("checking"),
            ImportPhase::Storing => shown.set_message("storing"),
        }
        shown.set_length(total);
        shown.set_position(done);
    });
    Some((bar, progress))
}

/// Reads a file, stopping one byte past `limit`: an endless or huge input (`/dev/zero`, a
/// pipe) is refused as soon as it passes the limit, never held whole in memory.
fn read_limited(path: &std::path::Path, limit: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() > limit {
        return Err(format!(
            "{} is larger than {limit} bytes, the most one import takes; split it",
            path.display()
        ));
    }
    Ok(bytes)
}

fn observations(args: ObservationArgs) -> Result<(), String> {
    let bytes = read_limited(&args.file, MAX_IMPORT_BYTES)?;
    let file_name = args
        .file
        .file_name()
        .map_or_else(|| "import.csv".into(), |n| n.to_string_lossy().into_owned());
    let bar = progress_bar(bytes.len() as u64);
    block_on(async move {
        let app = super::offline_app(&args.db, 2).await?;
        let eco = app
            .ecosystem_by_slug(args.ecosystem.clone())
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no ecosystem '{}'", args.ecosystem))?;
        let actors = app.actors().await.map_err(|e| e.to_string())?;
        let actor = actors
            .iter()
            .find(|a| a.name == args.actor || a.id.to_string() == args.actor)
            .ok_or_else(|| format!("no actor '{}' (give its id or exact name)", args.actor))?;
        let operator = Caller::operator();
        let report = app
            .import_observations(
                &operator,
                eco.id,
                file_name,
                bytes,
                Some(actor.id),
                bar.as_ref().map(|(_, p)| p.clone()),
            )
            .await
            .map_err(|e| e.to_string())?;
        if let Some((bar, _)) = &bar {
            bar.finish_and_clear();
        }
        if !report.imported {
            for e in &report.errors {
                match &e.column {
                    Some(c) => eprintln!("line {}: {c}: {}", e.line, e.message),
                    None => eprintln!("line {}: {}", e.line, e.message),
                }
            }
            if report.error_count > report.errors.len() as u64 {
                eprintln!(
                    "… and {} more",
                    report.error_count - report.errors.len() as u64
                );
            }
            return Err(report.message);
        }
        println!("{}", report.message);
        for f in &report.flags {
            println!(
                "line {}: {} (z = {}): {}",
                f.line, f.kind, f.z_score, f.reason
            );
        }
        if report.flag_count > report.flags.len() as u64 {
            println!(
                "… and {} more flag(s)",
                report.flag_count - report.flags.len() as u64
            );
        }
        if let Some(id) = report.import_id {
            println!("import {id}: {} rows read", report.rows_read);
            if args.approve {
                let n = app
                    .approve_import(&operator, id)
                    .await
                    .map_err(|e| e.to_string())?;
                println!("approved {n} row(s)");
            }
        }
        Ok(())
    })?
}

fn print_line(e: &InvestmentLineError) -> String {
    match &e.column {
        Some(c) => format!("line {}, {c}: {} ({})", e.line, e.message_en, e.rule),
        None => format!("line {}: {} ({})", e.line, e.message_en, e.rule),
    }
}

fn investments(args: InvestmentArgs) -> Result<(), String> {
    let as_of = parse_date("asOf", &args.as_of).map_err(|e| format!("--as-of: {}", e.message))?;
    crate::app::check_investment_as_of(as_of).map_err(|e| format!("--as-of: {e}"))?;
    let bytes = read_limited(&args.file, MAX_IMPORT_BYTES)?;
    block_on(async move {
        let app = super::offline_app(&args.db, 2).await?;
        let report = app
            .import_investments(&Caller::operator(), &args.ecosystem, as_of, bytes)
            .await
            .map_err(|e| e.to_string())?;
        if !report.imported {
            for e in &report.errors {
                eprintln!("{}", print_line(e));
            }
            if report.error_count > report.errors.len() as u64 {
                eprintln!(
                    "… and {} more",
                    report.error_count - report.errors.len() as u64
                );
            }
            return Err(report.message_en);
        }
        println!("{}", report.message_en);
        println!(
            "{} row(s) read, {} inside the territory, {} outside (skipped); {} investment(s) created, {} updated, {} unchanged; {} snapshot(s) written, {} unchanged",
            report.rows_read,
            report.rows_imported,
            report.skipped_outside,
            report.investments_created,
            report.investments_updated,
            report.investments_unchanged,
            report.snapshots_written,
            report.snapshots_unchanged
        );
        for w in &report.warnings {
            println!("warning: {}", print_line(w));
        }
        if report.warning_count > report.warnings.len() as u64 {
            println!(
                "… and {} more warning(s)",
                report.warning_count - report.warnings.len() as u64
            );
        }
        Ok(())
    })?
}
