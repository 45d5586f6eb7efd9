//! `midi loopback …`: create, list, remove, update, mute and unmute pairs.

use super::args::{CreateArgs, LoopbackCommand, PairRef, UpdateArgs};
use super::output::{self, Table, key_values};
use super::{CliError, Context, print_json};
use crate::core::ErrorKind;
use crate::core::ids::AssociationId;
use crate::core::model::{NameSpec, PairInfo, PairSpec, PairUpdate};
use crate::core::rules;
use std::io::IsTerminal;

pub fn run(ctx: &Context, cmd: LoopbackCommand) -> anyhow::Result<i32> {
    match cmd {
        LoopbackCommand::Create(args) => create(ctx, args),
        LoopbackCommand::List(flag) => list(ctx, flag.json),
        LoopbackCommand::Remove(r) => {
            let id = parse_id(&r)?;
            let pair = ctx.client()?.remove_pair(id)?;
            report(ctx, &pair, r.json, "Removed loopback pair");
            Ok(0)
        }
        LoopbackCommand::Update(args) => update(ctx, args),
        LoopbackCommand::Mute(r) => set_muted(ctx, &r, true),
        LoopbackCommand::Unmute(r) => set_muted(ctx, &r, false),
        LoopbackCommand::Wizard => crate::wizard::run_wizard(ctx, None),
    }
}

fn parse_id(r: &PairRef) -> anyhow::Result<AssociationId> {
    Ok(rules::parse_association_id(&r.association_id)?)
}

fn create(ctx: &Context, args: CreateArgs) -> anyhow::Result<i32> {
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
            return crate::wizard::run_wizard(ctx, Some(spec));
        }
        return Err(CliError::new(
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
        print_json(&pair);
    } else {
        print!("{}", describe_created(ctx, &pair));
    }
    Ok(0)
}

/// The human report of a new pair; the wizard prints the same.
pub fn describe_created(ctx: &Context, pair: &PairInfo) -> String {
    let s = ctx.style;
    let mut out = format!(
        "{}\n\n{}",
        s.ok("Loopback pair created."),
        pair_block(ctx, pair)
    );
    out.push_str(&format!(
        "\nWhat goes out on A arrives at B, and the other way round.\n{}\n",
        s.dim(&format!(
            "Remove it with: midi loopback remove --association-id {}",
            pair.association_id
        ))
    ));
    out
}

fn pair_block(ctx: &Context, pair: &PairInfo) -> String {
    let s = ctx.style;
    let persistence = if pair.persistent {
        "yes (stored in the configuration file)".to_string()
    } else {
        "no (lasts until the engine stops; --persistent keeps it)".to_string()
    };
    key_values(
        s,
        &[
            ("Endpoint A", s.bold(&pair.endpoint_a.name)),
            ("", s.id(pair.endpoint_a.id.as_str())),
            ("Endpoint B", s.bold(&pair.endpoint_b.name)),
            ("", s.id(pair.endpoint_b.id.as_str())),
            ("Association Id", s.id(&pair.association_id.to_string())),
            ("Unique Id", pair.unique_identifier.to_string()),
            ("Persistent", persistence),
            ("Muted", yes_no(pair.muted).to_string()),
        ],
    )
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn report(ctx: &Context, pair: &PairInfo, json: bool, headline: &str) {
    if json {
        print_json(pair);
    } else {
        print!(
            "{}\n\n{}",
            ctx.style.ok(&format!("{headline}.")),
            pair_block(ctx, pair)
        );
    }
}

fn list(ctx: &Context, json: bool) -> anyhow::Result<i32> {
    let pairs = ctx.client()?.list_pairs()?;
    if json {
        print_json(&pairs);
        return Ok(0);
    }
    if pairs.is_empty() {
        println!(
            "No loopback pairs. Create one with: midi loopback create --root-name \"My Loopback\""
        );
        return Ok(0);
    }
    print!("{}", pairs_table(ctx, &pairs));
    Ok(0)
}

/// The table of pairs that `list` prints.
pub fn pairs_table(ctx: &Context, pairs: &[PairInfo]) -> String {
    let mut t = Table::new(&[
        "ASSOCIATION ID",
        "ENDPOINT A",
        "ENDPOINT B",
        "UNIQUE ID",
        "FLAGS",
        "CLIENTS A/B",
    ])
    .shrink(&[1, 2, 3]);
    for p in pairs {
        let mut flags = Vec::new();
        flags.push(if p.persistent {
            "persistent"
        } else {
            "transient"
        });
        if p.muted {
            flags.push("muted");
        }
        t.row(vec![
            p.association_id.to_string(),
            p.endpoint_a.name.clone(),
            p.endpoint_b.name.clone(),
            p.unique_identifier.to_string(),
            flags.join(","),
            format!("{}/{}", p.endpoint_a.clients, p.endpoint_b.clients),
        ]);
    }
    t.render(ctx.style, output::terminal_width())
}

fn update(ctx: &Context, args: UpdateArgs) -> anyhow::Result<i32> {
    let id = rules::parse_association_id(&args.association_id)?;
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
        return Err(CliError::new(
            ErrorKind::Invalid,
            "nothing to update: give at least one of --root-name, --name-a, --name-b, --description, --persistent, --transient",
        )
        .into());
    }
    let pair = ctx.client()?.update_pair(id, &update)?;
    report(ctx, &pair, args.json, "Loopback pair updated");
    Ok(0)
}

fn set_muted(ctx: &Context, r: &PairRef, muted: bool) -> anyhow::Result<i32> {
    let id = parse_id(r)?;
    let pair = ctx.client()?.set_muted(id, muted)?;
    let headline = if muted {
        "Loopback pair muted: it drops every message until unmuted"
    } else {
        "Loopback pair unmuted"
    };
    report(ctx, &pair, r.json, headline);
    Ok(0)
}
