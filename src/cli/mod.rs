//! The scriptable command line: clap definitions in [`args`], one module per command group,
//! and the shared output style in [`output`]. Commands are thin: they parse, call the client
//! library, and print.

pub mod args;
mod bench;
mod docs;
mod endpoint;
mod interrupt;
pub(crate) mod loopback;
mod measure;
pub mod output;
mod service;
mod watch;
mod words;

use crate::client::{Client, ClientError, ClientOptions};
use crate::core::ErrorKind;
use crate::core::model::ConflictError;
use crate::core::paths::PathError;
use crate::core::rules::RuleError;
use args::{Cli, Command};
use output::Style;
use serde::Serialize;
use std::fmt;

/// An error a command raises itself, with the kind that decides the exit code and a hint.
#[derive(Debug)]
pub struct CliError {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
}

impl CliError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> CliError {
        CliError {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> CliError {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The exit code for an error, and a hint where one helps (SPEC §10).
pub fn classify(err: &anyhow::Error) -> (i32, Option<String>) {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<CliError>() {
            return (e.kind.exit_code(), e.hint.clone());
        }
        if let Some(e) = cause.downcast_ref::<ClientError>() {
            let hint = match e {
                ClientError::NotRunning { .. } => None,
                ClientError::StartFailed { log, .. } => {
                    Some(format!("the engine's log is {}", log.display()))
                }
                ClientError::Refused { .. } => {
                    Some("`midi service restart` replaces an engine of another version".into())
                }
                _ => None,
            };
            return (e.kind().exit_code(), hint);
        }
        if cause.downcast_ref::<RuleError>().is_some() {
            return (ErrorKind::Invalid.exit_code(), None);
        }
        if cause.downcast_ref::<ConflictError>().is_some() {
            return (ErrorKind::Conflict.exit_code(), None);
        }
        if cause.downcast_ref::<PathError>().is_some() {
            return (ErrorKind::Failed.exit_code(), None);
        }
    }
    (ErrorKind::Failed.exit_code(), None)
}

/// What every command gets: how to reach the engine and how to print.
pub struct Context {
    pub options: ClientOptions,
    pub style: Style,
}

impl Context {
    /// A control connection, starting the engine if needed (with a spinner on a terminal).
    pub fn client(&self) -> Result<Client, ClientError> {
        Client::connect(&self.options)
    }
}

/// Prints a value as pretty JSON on stdout (the only thing printed in `--json` mode).
pub fn print_json<T: Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("output types always serialise")
    );
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    let style = Style::new(cli.color);
    if let Command::Service(args::ServiceCommand::Run { background }) = cli.command {
        return service::run_engine(cli.home.as_deref(), background);
    }
    let mut options = ClientOptions::from_env(cli.home.as_deref())?;
    options.progress = true;
    options.client_name = format!(
        "midi {} (pid {})",
        env!("CARGO_PKG_VERSION"),
        std::process::id()
    );
    let ctx = Context { options, style };
    match cli.command {
        Command::Loopback(cmd) => loopback::run(&ctx, cmd),
        Command::Service(cmd) => service::run(&ctx, cmd),
        Command::Endpoint(cmd) => endpoint::run(&ctx, cmd),
        Command::Enumerate(args::EnumerateCommand::Endpoints(flag)) => {
            endpoint::list(&ctx, flag.json)
        }
        Command::Dashboard(args) => crate::dashboard::run(&ctx, args),
        Command::WatchEndpoints(args) => watch::run(&ctx, args),
        Command::Bench(args) => bench::run(&ctx, args),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { out_dir } => docs::man(&out_dir),
    }
}
