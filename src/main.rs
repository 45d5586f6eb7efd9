//! `midi`: parse the command line, run it, map errors to exit codes.

use clap::{CommandFactory, Parser};
use midi_loopback::app;
use midi_loopback::cli::args::Cli;
use midi_loopback::face::{classify, output::print_error};

fn main() {
    // Shell completion calls back into `midi` with COMPLETE=<shell> set (the scripts from
    // `midi completions`): answer and exit here, before anything else runs or prints.
    clap_complete::CompleteEnv::with_factory(Cli::command).complete();
    let cli = Cli::parse();
    let code = match app::run(cli) {
        Ok(code) => code,
        Err(err) => {
            let (code, hint) = classify(&err);
            print_error(&format!("{err:#}"), hint.as_deref());
            code
        }
    };
    std::process::exit(code);
}
