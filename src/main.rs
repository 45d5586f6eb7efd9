//! `midi`: parse the command line, run the face it asks for, map errors to exit codes.

use clap::{CommandFactory, Parser};
use midi_loopback::cli::{self, args::Cli, output::print_error};

fn main() {
    // Shell completion calls back into `midi` with COMPLETE=<shell> set (the scripts from
    // `midi completions`): answer and exit here, before anything else runs or prints.
    clap_complete::CompleteEnv::with_factory(Cli::command).complete();
    let cli = Cli::parse();
    let code = match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            let (code, hint) = cli::classify(&err);
            print_error(&format!("{err:#}"), hint.as_deref());
            code
        }
    };
    std::process::exit(code);
}
