use clap::{Args, Subcommand};

use super::{DbArgs, block_on};
use crate::app::Caller;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain from its first entry and compare every stored row with it.
    /// Exits with 1 when anything does not verify.
    Verify(VerifyArgs),
    /// Print an entry's private parts and their salts, to show an auditor what its public
    /// commitments hide: `SHA-256(salt ‖ private)` equals the entry's `private_commitment`.
    /// Prints JSON; check a part with
    /// `ayni audit reveal SEQ | jq -j '.after.salt, .after.private' | sha256sum`.
    Reveal(RevealArgs),
}

#[derive(Debug, Args)]
pub struct RevealArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The entry's sequence number.
    seq: i64,
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
        AuditCommand::Reveal(args) => block_on(async move {
            let app = super::offline_app(&args.db, 1).await?;
            let entry = app
                .audit_reveal(&Caller::operator(), args.seq)
                .await
                .map_err(|e| e.to_string())?;
            let text = serde_json::to_string_pretty(&entry).map_err(|e| e.to_string())?;
            println!("{text}");
            Ok(())
        })?,
        AuditCommand::Verify(args) => {
            // Verification only reads: the database is not migrated first.
            verify(&args.db, args.json)
        }
    }
}

/// Verifies a database's audit chain and prints the report (as JSON with `json`); an error
/// when anything does not verify.
pub fn verify(db: &DbArgs, json: bool) -> Result<(), String> {
    let app = super::unmigrated_app(db)?;
    let report = block_on(app.audit_chain(None))?.map_err(|e| e.to_string())?;
    if json {
        let value = serde_json::to_value(&report).map_err(|e| e.to_string())?;
        println!("{value}");
    } else {
        println!("entries: {}", report.length);
        println!("head:    {} {}", report.head_seq, report.head_hash);
        match (&report.first_broken_seq, &report.break_reason) {
            (Some(seq), Some(why)) => println!("chain:   BROKEN at entry {seq}: {why}"),
            _ => println!("chain:   intact, every private part matches its commitment"),
        }
        if let Some(v1) = &report.sealed_v1 {
            let verdict = match (&v1.first_broken_seq, &v1.break_reason) {
                (Some(seq), Some(why)) => format!("BROKEN at entry {seq}: {why}"),
                (None, Some(why)) => format!("BROKEN: {why}"),
                _ => "intact, and the seal records its head".to_string(),
            };
            println!(
                "sealed:  format-1 log of {} entries, head {} {}: {verdict}",
                v1.length, v1.head_seq, v1.head_hash
            );
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
    if report.verified {
        Ok(())
    } else {
        Err("the audit chain does not verify".into())
    }
}
