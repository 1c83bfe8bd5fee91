use std::process::ExitCode;

// The scan allocates millions of small strings and tree nodes from two threads; mimalloc's
// thread-local free lists cut the allocator's share of a large scan by more than half.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ztpath::cli::main()
}
