use clap::Args;

use crate::app::Caller;

use super::{DbArgs, block_on};

#[derive(Debug, Args)]
pub struct BenchDataArgs {
    #[command(flatten)]
    db: DbArgs,
    /// 1 = 50 objectives, 500 quarterly indicators, 10 years × 20 territories of approved
    /// values (400 000 measurements); grows linearly.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=100))]
    scale: u16,
}

pub fn run(args: BenchDataArgs) -> Result<(), String> {
    block_on(async move {
        let app = super::offline_app(&args.db, 2).await?;
        let started = std::time::Instant::now();
        let made = app
            .generate_bench_data(&Caller::operator(), usize::from(args.scale))
            .await
            .map_err(|e| crate::cli::user::describe(&e))?;
        println!(
            "ecosystem '{}': {} indicators, {} measurements in {:.1} s",
            made.slug,
            made.indicators,
            made.measurements,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    })?
}
