//! The `slipway` command.

fn main() -> std::process::ExitCode {
    slipway::cli::main()
}
