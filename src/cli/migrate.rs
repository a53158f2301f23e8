use crate::db::Db;

use super::DbArgs;

pub fn run(args: DbArgs) -> Result<(), String> {
    let db = Db::connect(&args.database_url, 1).map_err(|e| e.to_string())?;
    let applied = db.migrate_blocking().map_err(|e| e.to_string())?;
    if applied.is_empty() {
        println!("{}: up to date", args.database_url);
    } else {
        for version in applied {
            println!("applied {version}");
        }
    }
    Ok(())
}
