//! The `slipway` command.

/// jemalloc rather than glibc malloc, to bound peak RSS under many
/// concurrent streams (the AWS CLI moves 10 parts at once; each upload has
/// a writer and a hasher thread, each download a reader thread). glibc
/// gives such threads up to 8 arenas per core, each keeping what its
/// threads freed; jemalloc here runs one arena per CPU (`.cargo/config.toml`).
/// Measured in docs/benchmarks.md (mimalloc was tried and peaked higher).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    slipway::cli::main()
}
