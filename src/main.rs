//! The `notes2anki` command: arguments → options, run, print diagnostics, exit code.

mod cli;

use std::process::ExitCode;

use clap::Parser;

use notes2anki::Error;

/// mimalloc: with tens of thousands of small strings per build, a third faster than the
/// system allocator (docs/development.md, Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Returns the pages mimalloc holds free to the system, on every worker thread and this
/// one (called between the pipeline's stages; see `notes2anki::memory`).
fn release_memory() {
    // SAFETY: `mi_collect` has no preconditions: it only frees what is unused.
    rayon::broadcast(|_| unsafe { libmimalloc_sys::mi_collect(true) });
    // SAFETY: as above.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

fn main() -> ExitCode {
    notes2anki::memory::set_release(release_memory);
    let cli = cli::args::Cli::parse();
    match cli::commands::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err @ Error::Usage { .. }) => {
            anstream::eprintln!("{err}");
            ExitCode::from(2)
        }
        Err(err) => {
            anstream::eprintln!("{err}");
            let count = match &err {
                Error::Invalid(diagnostics) => diagnostics.len(),
                _ => 1,
            };
            let refused = cli::print::plural(count, "error");
            anstream::eprintln!("refused: {refused}; nothing was written");
            ExitCode::from(1)
        }
    }
}
