//! The dispatch: the one place that knows every face. `main` parses the command line and
//! hands it here; this picks the engine or a face, builds the [`Context`] the faces share,
//! and routes between faces where one command leads to another (`midi loopback create`
//! without names on a terminal becomes the wizard).

use crate::cli::args::{Cli, Command, EnumerateCommand, ServiceCommand};
use crate::cli::loopback::{self, Next};
use crate::cli::{bench, docs, endpoint, network, service, time, watch};
use crate::core::paths::Paths;
use crate::face::Context;
use crate::face::output::{self, Style};
use crate::{dashboard, engine, wizard};
use std::path::Path;
use std::time::Duration;

/// Runs the parsed command line; the exit code, or the error `main` reports. A command whose
/// standard output was closed by its reader (`| head`) ends quietly with 0, whatever it was
/// doing: the one place that decides so (see [`crate::face::output`]).
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match dispatch(cli) {
        Err(err) if output::reader_gone(&err) => Ok(0),
        other => other,
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    if let Command::Service(ServiceCommand::Run {
        background,
        no_alsa,
    }) = cli.command
    {
        return run_engine(cli.home.as_deref(), background, no_alsa);
    }
    let ctx = Context::for_command(cli.home.as_deref(), Style::new(cli.color))?;
    match cli.command {
        Command::Loopback(cmd) => match loopback::run(&ctx, cmd)? {
            Next::Exit(code) => Ok(code),
            Next::Wizard(given) => wizard::run_wizard(&ctx, given),
        },
        Command::Service(cmd) => service::run(&ctx, cmd),
        Command::Endpoint(cmd) => endpoint::run(&ctx, cmd),
        Command::Enumerate(EnumerateCommand::Endpoints(flag)) => endpoint::list(&ctx, flag.json),
        Command::Dashboard(args) => dashboard::run(&ctx, Duration::from_millis(args.refresh_ms)),
        Command::WatchEndpoints(args) => watch::run(&ctx, args),
        Command::Bench(args) => bench::run(&ctx, args),
        Command::Time(flag) => time::run(&ctx, flag.json),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { out_dir } => docs::man(&out_dir),
        Command::Network(cmd) => network::run(&ctx, cmd),
    }
}

/// `midi service run`: the engine itself, in the foreground (or, with `--background`, as
/// the process an autostarting client spawned).
fn run_engine(home: Option<&Path>, background: bool, no_alsa: bool) -> anyhow::Result<i32> {
    let paths = Paths::resolve(home)?;
    engine::init_logging(&paths, !background);
    let alsa = if no_alsa {
        engine::AlsaRequest::Off("--no-alsa".into())
    } else {
        engine::AlsaRequest::Auto
    };
    if let Err(e) = engine::run_with(&paths, engine::Limits::default(), alsa) {
        // Logged so that a client that started us in the background can tell the user why.
        engine::log_to_file(&paths, &e.to_string());
        if background {
            return Ok(1);
        }
        return Err(e.into());
    }
    Ok(0)
}
