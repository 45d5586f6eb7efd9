//! The guided flow for new users (SPEC §8). Being built; until then it explains what to type.

use crate::cli::{CliError, Context};
use crate::core::ErrorKind;
use crate::core::PairSpec;

/// Runs the wizard on a terminal, starting from what the user already gave.
pub fn run_wizard(_ctx: &Context, _given: Option<PairSpec>) -> anyhow::Result<i32> {
    Err(CliError::new(
        ErrorKind::Invalid,
        "no names given: `midi loopback create` needs --root-name NAME, or --name-a NAME and --name-b NAME",
    )
    .into())
}
