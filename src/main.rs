use std::process::ExitCode;

fn main() -> ExitCode {
    ayni::cli::main()
}
