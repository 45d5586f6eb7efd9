//! `midi endpoint …`: list endpoints, send messages, monitor what arrives.

use super::args::EndpointCommand;
use super::output::Table;
use super::{CliError, Context, print_json};
use crate::core::ErrorKind;

pub fn run(ctx: &Context, cmd: EndpointCommand) -> anyhow::Result<i32> {
    match cmd {
        EndpointCommand::List(flag) => list(ctx, flag.json),
        _ => Err(CliError::new(ErrorKind::Failed, "not built yet").into()),
    }
}

/// `midi endpoint list` and `midi enumerate endpoints`.
pub fn list(ctx: &Context, json: bool) -> anyhow::Result<i32> {
    let endpoints = ctx.client()?.list_endpoints()?;
    if json {
        print_json(&endpoints);
        return Ok(0);
    }
    if endpoints.is_empty() {
        println!(
            "No endpoints. Create a pair with: midi loopback create --root-name \"My Loopback\""
        );
        return Ok(0);
    }
    let mut t =
        Table::new(&["ENDPOINT ID", "NAME", "SIDE", "ASSOCIATION ID", "CLIENTS"]).shrink(&[0, 1]);
    for e in &endpoints {
        t.row(vec![
            e.id.to_string(),
            e.name.clone(),
            e.side.letter().to_string(),
            e.association_id.to_string(),
            e.clients.to_string(),
        ]);
    }
    print!("{}", t.render(ctx.style, super::output::terminal_width()));
    Ok(0)
}
