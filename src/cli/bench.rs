//! `midi bench`: latency and throughput of the engine beside a bare relay baseline.

use super::args::BenchArgs;
use super::{CliError, Context};
use crate::core::ErrorKind;

pub fn run(_ctx: &Context, _args: BenchArgs) -> anyhow::Result<i32> {
    Err(CliError::new(ErrorKind::Failed, "`midi bench` is not built yet").into())
}
