//! `midi loopback …`: create, list, remove, update, mute and unmute pairs. `wizard`, and
//! `create` without names on a terminal, are handed back to the dispatch as [`Next::Wizard`]:
//! the wizard is a face of its own, and faces do not call each other.

use super::args::{CreateArgs, LoopbackCommand, PairChoice, PairRef, UpdateArgs};
use crate::client::Client;
use crate::core::ErrorKind;
use crate::core::ids::AssociationId;
use crate::core::model::{NameSpec, PairInfo, PairSpec, PairUpdate};
use crate::core::rules;
use crate::face::output::{self, Fit, Table, outln, print_json};
use crate::face::{Context, UserError, pair_ref, pair_text};
use std::io::IsTerminal;

/// What is left to do after a loopback command.
#[derive(Debug)]
pub enum Next {
    /// Done: exit with this code.
    Exit(i32),
    /// Ask the wizard, skipping the questions these answers (`create`'s flags) settle.
    Wizard(Option<PairSpec>),
}

pub fn run(ctx: &Context, cmd: LoopbackCommand) -> anyhow::Result<Next> {
    let code = match cmd {
        LoopbackCommand::Create(args) => return create(ctx, args),
        LoopbackCommand::Wizard => return Ok(Next::Wizard(None)),
        LoopbackCommand::List(flag) => list(ctx, flag.json)?,
        LoopbackCommand::Remove(r) => {
            let mut client = ctx.client()?;
            let id = chosen_pair(&mut client, &r.which, "remove")?;
            let pair = client.remove_pair(id)?;
            if r.json {
                print_json(&pair)?;
            } else {
                output::out(&format!(
                    "{}\n\n{}",
                    ctx.style.ok("Removed loopback pair."),
                    pair_text::removed(ctx.style, &pair)
                ))?;
            }
            0
        }
        LoopbackCommand::Update(args) => update(ctx, args)?,
        LoopbackCommand::Mute(r) => set_muted(ctx, &r, true)?,
        LoopbackCommand::Unmute(r) => set_muted(ctx, &r, false)?,
    };
    Ok(Next::Exit(code))
}

/// The association id of the pair a command names: `-i GUID` as given (the engine says when
/// no pair has it); PAIR looked up among the engine's pairs by every name a pair has.
fn chosen_pair(
    client: &mut Client,
    which: &PairChoice,
    command: &str,
) -> anyhow::Result<AssociationId> {
    match (&which.association_id, &which.pair) {
        (Some(id), _) => Ok(dash_i(id, command)?),
        (None, Some(name)) => {
            let pairs = client.list_pairs()?;
            Ok(pair_ref::resolve(&pairs, name)?.association_id)
        }
        (None, None) => Err(UserError::new(
            ErrorKind::Invalid,
            "no pair given: name it (PAIR) or give --association-id GUID",
        )
        .into()),
    }
}

/// `-i` takes a GUID only; one that is not a GUID is usually a name, so say how to give one.
fn dash_i(raw: &str, command: &str) -> Result<AssociationId, UserError> {
    rules::parse_association_id(raw).map_err(|e| {
        let hint = match e {
            rules::RuleError::MalformedGuid { .. } => Some(format!(
                "to name the pair instead, leave out -i: midi loopback {command} {:?}",
                raw.trim()
            )),
            _ => None,
        };
        let err = UserError::new(ErrorKind::Invalid, e.to_string());
        match hint {
            Some(h) => err.hint(h),
            None => err,
        }
    })
}

fn create(ctx: &Context, args: CreateArgs) -> anyhow::Result<Next> {
    let spec = PairSpec {
        names: NameSpec::from_parts(args.root_name, args.name_a, args.name_b),
        association_id: args.association_id,
        unique_identifier: args.unique_identifier,
        description: args.description,
        persistent: args.persistent,
    };
    if spec.names.is_none() {
        let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        if interactive && !args.json {
            return Ok(Next::Wizard(Some(spec)));
        }
        return Err(UserError::new(
            ErrorKind::Invalid,
            "no names given: `midi loopback create` needs --root-name NAME, or --name-a NAME and --name-b NAME",
        )
        .hint("for example: midi loopback create --root-name \"My Loopback\" (on a terminal, `midi loopback wizard` guides you)")
        .into());
    }
    // The rules run here first, so a bad value never needs an engine.
    let def = spec.resolve()?;
    let pair = ctx.client()?.create_pair(def)?;
    if args.json {
        print_json(&pair)?;
    } else {
        output::out(&pair_text::created(ctx.style, &pair))?;
    }
    Ok(Next::Exit(0))
}

fn report(ctx: &Context, pair: &PairInfo, json: bool, headline: &str) -> std::io::Result<()> {
    if json {
        return print_json(pair);
    }
    output::out(&format!(
        "{}\n\n{}",
        ctx.style.ok(&format!("{headline}.")),
        pair_text::details(ctx.style, pair)
    ))
}

fn list(ctx: &Context, json: bool) -> anyhow::Result<i32> {
    let mut client = ctx.client()?;
    let pairs = client.list_pairs()?;
    // Entries of the configuration file the engine skipped at start would otherwise be
    // missing from the list without a word; stderr keeps `--json` clean.
    for warning in client.status()?.warnings {
        output::print_warning(&warning, None);
    }
    if json {
        print_json(&pairs)?;
        return Ok(0);
    }
    if pairs.is_empty() {
        outln!(
            "No loopback pairs. Create one with: midi loopback create --root-name \"My Loopback\""
        )?;
        return Ok(0);
    }
    output::out(&pairs_table(ctx, &pairs))?;
    Ok(0)
}

/// The table of pairs that `list` prints.
fn pairs_table(ctx: &Context, pairs: &[PairInfo]) -> String {
    // On a narrow screen the ids give way first; the names keep their end, so `Studio (A)`
    // and `Studio (B)` stay apart.
    let name = Fit::Middle { min: 10 };
    let mut t = Table::new(&[
        "ASSOCIATION ID",
        "ENDPOINT A",
        "ENDPOINT B",
        "UNIQUE ID",
        "FLAGS",
        "CLIENTS A/B",
    ])
    .fit(0, Fit::End { min: 8 }, 0)
    .short_header(0, "ASSOC ID")
    .fit(1, name, 1)
    .fit(2, name, 1)
    .fit(3, Fit::End { min: 8 }, 0)
    .short_header(3, "UNIQUE");
    // The sessions' column shows only when there are sessions, and gives way with the names.
    let network = pairs.iter().any(|p| network_cell(p).is_some());
    if network {
        t = t.column("NETWORK", Fit::End { min: 12 }, 1);
    }
    for p in pairs {
        let mut flags = Vec::new();
        flags.push(if p.persistent {
            "persistent"
        } else {
            "transient"
        });
        if p.feedback_loop {
            flags.push("muted (feedback loop)");
        } else if p.muted {
            flags.push("muted");
        }
        let mut row = vec![
            p.association_id.to_string(),
            p.endpoint_a.name.clone(),
            p.endpoint_b.name.clone(),
            p.unique_identifier.to_string(),
            flags.join(","),
            format!("{}/{}", p.endpoint_a.clients, p.endpoint_b.clients),
        ];
        if network {
            row.push(network_cell(p).unwrap_or_default());
        }
        t.row(row);
    }
    t.render(ctx.style, output::terminal_width())
}

/// The network sessions of a pair's endpoints, each line led by its side:
/// `A hosted on 127.0.0.1:5673`; `None` when there are none.
fn network_cell(p: &PairInfo) -> Option<String> {
    let lines: Vec<String> = [&p.endpoint_a, &p.endpoint_b]
        .into_iter()
        .flat_map(|e| {
            let side = e.side.letter();
            e.network_presence
                .iter()
                .flat_map(|n| n.short_lines())
                .map(move |line| format!("{side} {line}"))
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join("; "))
}

fn update(ctx: &Context, args: UpdateArgs) -> anyhow::Result<i32> {
    if let Some(raw) = &args.which.association_id {
        dash_i(raw, "update")?; // a malformed id is refused before anything else
    }
    let update = PairUpdate {
        names: args.root_name.map(NameSpec::Root),
        name_a: args.name_a,
        name_b: args.name_b,
        description: args.description,
        persistent: match (args.persistent, args.transient) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
    };
    if update.is_empty() {
        return Err(UserError::new(
            ErrorKind::Invalid,
            "nothing to update: give at least one of --root-name, --name-a, --name-b, --description, --persistent, --transient",
        )
        .into());
    }
    let mut client = ctx.client()?;
    let id = chosen_pair(&mut client, &args.which, "update")?;
    let pair = client.update_pair(id, &update)?;
    report(ctx, &pair, args.json, "Loopback pair updated")?;
    Ok(0)
}

fn set_muted(ctx: &Context, r: &PairRef, muted: bool) -> anyhow::Result<i32> {
    let mut client = ctx.client()?;
    let command = if muted { "mute" } else { "unmute" };
    let id = chosen_pair(&mut client, &r.which, command)?;
    let pair = client.set_muted(id, muted)?;
    let headline = if muted {
        "Loopback pair muted: it drops every message until unmuted"
    } else {
        "Loopback pair unmuted"
    };
    report(ctx, &pair, r.json, headline)?;
    Ok(0)
}
