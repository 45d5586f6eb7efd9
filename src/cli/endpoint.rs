//! `midi endpoint …`: the dispatch of the endpoint commands, `list`, and what they share
//! (choosing and opening an endpoint). Sending lives in [`super::send`], monitoring in
//! [`super::monitor`], the other commands in modules of their own (`properties`, `request`,
//! `play`, `sysex`).

use super::args::EndpointCommand;
use super::{monitor, play, properties, request, send, sysex};
use crate::client::{ClientError, EndpointConnection};
use crate::core::ErrorKind;
use crate::face::output::{self, Fit, Table, outln, print_json};
use crate::face::{Context, UserError, pair_ref};
use std::io::IsTerminal;

pub fn run(ctx: &Context, cmd: EndpointCommand) -> anyhow::Result<i32> {
    match cmd {
        EndpointCommand::List(flag) => list(ctx, flag.json),
        EndpointCommand::SendMessage(args) => send::send_message(ctx, args),
        EndpointCommand::SendMessageFile(args) => send::send_file(ctx, args),
        EndpointCommand::Monitor(args) => monitor::monitor(ctx, args),
        EndpointCommand::Properties(args) => properties::properties(ctx, args),
        EndpointCommand::Request(cmd) => request::run(ctx, cmd),
        EndpointCommand::PlayNotes(args) => play::play_notes(ctx, args),
        EndpointCommand::SendSysexFile(args) => sysex::send_sysex_file(ctx, args),
    }
}

/// `midi endpoint list` and `midi enumerate endpoints`.
pub fn list(ctx: &Context, json: bool) -> anyhow::Result<i32> {
    let endpoints = ctx.client()?.list_endpoints()?;
    if json {
        print_json(&endpoints)?;
        return Ok(0);
    }
    if endpoints.is_empty() {
        outln!(
            "No endpoints. Create a pair with: midi loopback create --root-name \"My Loopback\""
        )?;
        return Ok(0);
    }
    let mut t = Table::new(&["ENDPOINT ID", "NAME", "SIDE", "ASSOCIATION ID", "CLIENTS"])
        .fit(0, Fit::End { min: 16 }, 1)
        .fit(1, Fit::Middle { min: 10 }, 1)
        .fit(3, Fit::End { min: 8 }, 0)
        .short_header(3, "ASSOC ID");
    for e in &endpoints {
        t.row(vec![
            e.id.to_string(),
            e.name.clone(),
            e.side.letter().to_string(),
            e.association_id.to_string(),
            e.clients.to_string(),
        ]);
    }
    output::out(&t.render(ctx.style, output::terminal_width()))?;
    Ok(0)
}

pub(super) fn on_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Lets the user choose an endpoint from a list (on a terminal only).
pub(super) fn pick_endpoint(ctx: &Context) -> anyhow::Result<String> {
    let endpoints = ctx.client()?.list_endpoints()?;
    if endpoints.is_empty() {
        return Err(
            UserError::new(ErrorKind::NotFound, "there are no endpoints to choose from")
                .hint("create a pair first: midi loopback create --root-name \"My Loopback\"")
                .into(),
        );
    }
    let items: Vec<String> = endpoints
        .iter()
        .map(|e| format!("{}  ({})", e.name, e.id))
        .collect();
    let chosen = dialoguer::Select::new()
        .with_prompt("Please select an endpoint")
        .items(&items)
        .default(0)
        .interact_opt()?;
    match chosen {
        Some(i) => Ok(endpoints[i].id.to_string()),
        None => Err(UserError::new(ErrorKind::Failed, "cancelled, nothing sent").into()),
    }
}

/// Opens an endpoint on a connection of its own (exit 4 when there is no such endpoint, with
/// the names it may have meant: `X` for `X (A)`).
pub(super) fn open(ctx: &Context, endpoint: &str) -> anyhow::Result<EndpointConnection> {
    match ctx.client()?.open_endpoint(endpoint) {
        Err(e @ ClientError::Engine { .. }) if e.kind() == ErrorKind::NotFound => {
            let pairs = ctx.client()?.list_pairs()?;
            let near = pair_ref::near_endpoint_names(&pairs, endpoint);
            let mut err = UserError::new(ErrorKind::NotFound, e.to_string());
            if !near.is_empty() {
                err = err.hint(format!("did you mean {}?", pair_ref::quoted_list(&near)));
            }
            Err(err.into())
        }
        other => Ok(other?),
    }
}
