//! The guided flow for new users (SPEC §8): `midi loopback wizard`, and `midi loopback create`
//! with no names on a terminal.
//!
//! - [`flow`]: the questions, as a pure function of the answers and the pairs that exist;
//!   every answer checked with the rules `create` uses, and with the engine's conflict check.
//! - [`prompt`]: the [`Prompter`] trait they are asked through: a terminal in real life,
//!   a script in tests.
//! - this file: the terminal check, the engine, the creation and the next steps.
//!
//! The confirmed pair is created by running `midi loopback create` with the equivalent flags
//! (the summary shows that command line), so the wizard and the scriptable command cannot
//! differ in what they create or print.
//!
//! Esc or Ctrl-C cancels at any question: nothing is created, "cancelled, nothing created" is
//! printed on stderr and the exit status is 1 (a failure like any other: no pair exists).

pub mod flow;
pub mod prompt;

pub use flow::{Given, Outcome, Wizard};
pub use prompt::{Answer, PromptError, Prompter, ScriptedPrompter, TerminalPrompter};

use crate::cli::args::{Cli, ColorChoice};
use crate::cli::output::Style;
use crate::cli::{CliError, Context};
use crate::core::ErrorKind;
use crate::core::ids::{AssociationId, Side};
use crate::core::model::{PairDefinition, PairSpec};
use clap::Parser;
use std::ffi::OsString;
use std::io::IsTerminal;

/// The exit status of a cancelled wizard.
pub const EXIT_CANCELLED: i32 = 1;

/// Runs the wizard on a terminal, starting from what the user already gave (`create`'s flags
/// other than the names); those questions are skipped.
pub fn run_wizard(ctx: &Context, given: Option<PairSpec>) -> anyhow::Result<i32> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(off_terminal().into());
    }
    let pairs = ctx.client()?.list_pairs()?;
    let existing = flow::definitions(&pairs);
    let given = Given::from_spec(&given.unwrap_or_default(), &existing)?;
    let wizard = Wizard::new(&existing, given, AssociationId::new_random(), ctx.style);
    // The prompter (and with it the Ctrl-C guard) is gone before anything is created.
    let outcome = wizard.run(&mut TerminalPrompter::new())?;
    let def = match outcome {
        Outcome::Create(def) => def,
        Outcome::Cancelled => {
            eprintln!("cancelled, nothing created");
            return Ok(EXIT_CANCELLED);
        }
    };
    let code = crate::cli::run(create_command_line(ctx, &def)?)?;
    if code == 0 {
        print!("{}", next_steps(ctx.style, &def));
    }
    Ok(code)
}

/// Off a terminal there is nobody to answer: say which flags do the same (exit 2).
fn off_terminal() -> CliError {
    CliError::new(
        ErrorKind::Invalid,
        "`midi loopback wizard` asks its questions on a terminal, and this is not one (stdin and stderr must both be terminals)",
    )
    .hint(
        "in a script, pass the answers as flags: midi loopback create --root-name NAME \
         (or --name-a NAME --name-b NAME) [--association-id GUID] [--unique-identifier ID] \
         [--description TEXT] [--persistent]",
    )
}

/// `midi loopback create` with the flags that make exactly `def`, and this run's `--home`
/// and colour, ready for [`crate::cli::run`].
fn create_command_line(ctx: &Context, def: &PairDefinition) -> anyhow::Result<Cli> {
    let mut argv: Vec<OsString> = vec!["midi".into()];
    if let Some(home) = &ctx.options.paths.home {
        argv.push("--home".into());
        argv.push(home.into());
    }
    let color = if ctx.style.color {
        ColorChoice::Always
    } else {
        ColorChoice::Never
    };
    argv.push(format!("--color={}", color_name(color)).into());
    argv.extend(["loopback".into(), "create".into()]);
    for (flag, value) in flow::create_flags(def) {
        // `--flag=value`, so a value that starts with `-` stays a value.
        argv.push(match value {
            Some(v) => format!("{flag}={v}").into(),
            None => flag.into(),
        });
    }
    Ok(Cli::try_parse_from(argv)?)
}

fn color_name(choice: ColorChoice) -> &'static str {
    match choice {
        ColorChoice::Auto => "auto",
        ColorChoice::Always => "always",
        ColorChoice::Never => "never",
    }
}

/// What to try next: watch B, send on A.
fn next_steps(style: Style, def: &PairDefinition) -> String {
    let name = |side: Side| flow::shell_quote(&def.endpoint(side).name);
    format!(
        "\n{}\n  {}\n{}\n  {}\n",
        style.bold("Try it. In one terminal, watch what arrives at B:"),
        format_args!("midi endpoint monitor {}", name(Side::B)),
        style.bold("In another, send a note on out of A; the monitor shows it arrive:"),
        format_args!("midi endpoint send-message {} 0x20903C64", name(Side::A)),
    )
}
