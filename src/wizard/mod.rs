//! The guided flow for new users: `midi loopback wizard`, and `midi loopback create`
//! with no names on a terminal.
//!
//! - [`flow`]: the questions, as a pure function of the answers and the pairs that exist;
//!   every answer checked with the rules `create` uses, and with the engine's conflict check.
//! - [`prompt`]: the [`Prompter`] trait they are asked through: a terminal in real life,
//!   a script in tests.
//! - this file: the terminal check, the engine, the creation and the next steps.
//!
//! The confirmed pair is created through the same client call and printed by the same
//! function as `midi loopback create` (the summary shows the equivalent command line).
//!
//! Esc or Ctrl-C cancels at any question: nothing is created, "cancelled, nothing created" is
//! printed on stderr and the exit status is 1 (a failure like any other: no pair exists).

pub mod flow;
pub mod prompt;

pub use flow::{Given, Outcome, Wizard};
pub use prompt::{Answer, PromptError, Prompter, ScriptedPrompter, TerminalPrompter};

use crate::core::ErrorKind;
use crate::core::ids::{AssociationId, Side};
use crate::core::model::{PairDefinition, PairSpec};
use crate::face::output::{self, Style, errln};
use crate::face::{Context, UserError, pair_text};
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
            errln!("cancelled, nothing created");
            return Ok(EXIT_CANCELLED);
        }
    };
    let pair = ctx.client()?.create_pair(def.clone())?;
    output::out(&pair_text::created(ctx.style, &pair))?;
    output::out(&next_steps(ctx.style, &def))?;
    Ok(0)
}

/// Off a terminal there is nobody to answer: say which flags do the same (exit 2).
fn off_terminal() -> UserError {
    UserError::new(
        ErrorKind::Invalid,
        "`midi loopback wizard` asks its questions on a terminal, and this is not one (stdin and stderr must both be terminals)",
    )
    .hint(
        "in a script, pass the answers as flags: midi loopback create --root-name NAME \
         (or --name-a NAME --name-b NAME) [--association-id GUID] [--unique-identifier ID] \
         [--description TEXT] [--persistent]",
    )
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
