//! The full-screen dashboard (SPEC §7). Being built.

use crate::cli::args::DashboardArgs;
use crate::cli::{CliError, Context};
use crate::core::ErrorKind;

pub fn run(_ctx: &Context, _args: DashboardArgs) -> anyhow::Result<i32> {
    Err(CliError::new(ErrorKind::Failed, "`midi dashboard` is not built yet").into())
}
