use clap::{Args, Subcommand};

use crate::db::Db;
use crate::db::verify;

use super::DbArgs;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain from its first entry and compare every stored row with it.
    /// Exits with 1 when anything does not verify.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: AuditCommand) -> Result<(), String> {
    match cmd {
        AuditCommand::Verify(args) => {
            let db = Db::connect(&args.db.database_url, 1).map_err(|e| e.to_string())?;
            let report = db.run_blocking(verify::verify).map_err(|e| e.to_string())?;
            if args.json {
                let mut value = serde_json::to_value(&report).map_err(|e| e.to_string())?;
                value["verified"] = serde_json::Value::Bool(report.verified());
                println!("{value}");
            } else {
                println!("entries: {}", report.length);
                println!("head:    {} {}", report.head_seq, report.head_hash);
                match (&report.first_broken_seq, &report.break_reason) {
                    (Some(seq), Some(why)) => println!("chain:   BROKEN at entry {seq}: {why}"),
                    _ => println!("chain:   intact"),
                }
                if report.mismatch_count == 0 {
                    println!("rows:    every stored row matches its latest audit entry");
                } else {
                    println!("rows:    {} differ from the chain:", report.mismatch_count);
                    for m in &report.mismatches {
                        let seq = m
                            .audit_seq
                            .map(|s| format!(" (audit entry {s})"))
                            .unwrap_or_default();
                        println!("  {} {}{seq}: {}", m.entity_type, m.entity_id, m.problem);
                    }
                }
            }
            if report.verified() {
                Ok(())
            } else {
                Err("the audit chain does not verify".into())
            }
        }
    }
}
