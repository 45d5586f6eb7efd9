//! The binary documents itself: completion scripts and manual pages come from the same clap
//! definitions as `--help`, so they cannot drift from the real flags.

use super::args::Cli;
use clap::CommandFactory;
use std::path::Path;

/// `midi completions SHELL`: the completion script on stdout.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<i32> {
    clap_complete::generate(shell, &mut Cli::command(), "midi", &mut std::io::stdout());
    Ok(0)
}

/// `midi man --out-dir DIR`: one page per command (`midi.1`, `midi-loopback-create.1`, …).
pub fn man(out_dir: &Path) -> anyhow::Result<i32> {
    std::fs::create_dir_all(out_dir)?;
    clap_mangen::generate_to(Cli::command(), out_dir)?;
    Ok(0)
}
