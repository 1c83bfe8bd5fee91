use std::process::ExitCode;

fn main() -> ExitCode {
    ztpath::cli::main()
}
