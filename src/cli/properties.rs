//! `midi endpoint properties` (alias `info`): everything the engine knows of one endpoint —
//! its names and ids, its pair and the endpoint on the other side, persistence, mute, the
//! clients attached and the traffic it sent and received — as text or one JSON object.

use super::args::PropertiesArgs;
use crate::core::ErrorKind;
use crate::core::model::{DirectionStats, EndpointInfo, PairInfo, find_endpoint};
use crate::face::output::{self, key_values, print_json};
use crate::face::{Context, UserError, pair_ref};
use serde::Serialize;

/// The JSON shape of `properties --json`.
#[derive(Debug, Serialize)]
struct Properties<'a> {
    #[serde(flatten)]
    endpoint: &'a EndpointInfo,
    pair: PairPart<'a>,
    /// The endpoint on the other side: what this one sends arrives there.
    partner: &'a EndpointInfo,
    /// What this endpoint sent (its outgoing direction).
    sent: &'a DirectionStats,
    /// What arrived at this endpoint (the other direction).
    received: &'a DirectionStats,
    /// The Network MIDI 2.0 host or client sessions on this endpoint, one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    network: Vec<String>,
}

#[derive(Debug, Serialize)]
struct PairPart<'a> {
    association_id: String,
    /// `Studio` for `Studio (A)` / `Studio (B)`; null for a pair named side by side.
    root_name: Option<&'a str>,
    unique_identifier: &'a str,
    persistent: bool,
    muted: bool,
}

pub(super) fn properties(ctx: &Context, args: PropertiesArgs) -> anyhow::Result<i32> {
    let mut client = ctx.client()?;
    let pairs = client.list_pairs()?;
    let (pair, endpoint) = locate(&pairs, &args.endpoint)?;
    let partner = pair.endpoint(endpoint.side.other());
    let props = Properties {
        endpoint,
        pair: PairPart {
            association_id: pair.association_id.to_string(),
            root_name: pair_ref::root_name(pair),
            unique_identifier: pair.unique_identifier.as_str(),
            persistent: pair.persistent,
            muted: pair.muted,
        },
        partner,
        sent: pair.stats(endpoint.side.outgoing()),
        received: pair.stats(partner.side.outgoing()),
        network: endpoint
            .network_presence
            .as_ref()
            .map(|n| n.lines())
            .unwrap_or_default(),
    };
    if args.json {
        print_json(&props)?;
    } else {
        output::out(&text(ctx, pair, &props))?;
    }
    Ok(0)
}

/// The pair and the endpoint `wanted` names (by id or exact name, ignoring case), or not
/// found (exit 4) with the names it may have meant.
fn locate<'a>(
    pairs: &'a [PairInfo],
    wanted: &str,
) -> Result<(&'a PairInfo, &'a EndpointInfo), UserError> {
    let found = find_endpoint(pairs, wanted).and_then(|e| {
        pairs
            .iter()
            .find(|p| p.association_id == e.association_id)
            .map(|p| (p, e))
    });
    found.ok_or_else(|| {
        let near = pair_ref::near_endpoint_names(pairs, wanted);
        let err = UserError::new(
            ErrorKind::NotFound,
            format!("no endpoint has the id or name {wanted:?}"),
        );
        if near.is_empty() {
            err.hint("`midi endpoint list` shows the endpoints")
        } else {
            err.hint(format!("did you mean {}?", pair_ref::quoted_list(&near)))
        }
    })
}

fn traffic(d: &DirectionStats) -> String {
    format!(
        "{}, {}; dropped {} muted, {} overflow; {} refused; {} msg/s now",
        output::count(d.messages, "message", "messages"),
        output::count(d.words, "word", "words"),
        d.dropped_muted,
        d.dropped_overflow,
        output::count(d.refused, "batch", "batches"),
        d.rate_msgs_per_s
    )
}

fn text(ctx: &Context, pair: &PairInfo, p: &Properties) -> String {
    let s = ctx.style;
    let (e, partner) = (p.endpoint, p.partner);
    let side = e.side.letter();
    let other = partner.side.letter();
    let description = if e.description.is_empty() {
        s.dim("(none)")
    } else {
        e.description.clone()
    };
    let pair_line = match p.pair.root_name {
        Some(root) => format!("{root} ({})", s.id(&p.pair.association_id)),
        None => s.id(&p.pair.association_id),
    };
    let persistent = if pair.persistent {
        "yes (stored in the configuration file)"
    } else {
        "no (lasts until the engine stops)"
    };
    let muted = if pair.feedback_loop {
        "yes: a feedback loop (its output came back into it); midi loopback unmute clears it once the wiring is undone"
    } else if pair.muted {
        "yes: every message is dropped (midi loopback unmute unmutes it)"
    } else {
        "no"
    };
    let alsa = match &e.alsa {
        Some(a) => format!("{} {} ({})", a.address, a.name, a.kind),
        None => s.dim("(none)"),
    };
    let mut rows = vec![
        ("Name", s.bold(&e.name)),
        ("Id", s.id(e.id.as_str())),
        ("Side", format!("{side} (what it sends arrives at {other})")),
        ("Description", description),
        ("Pair", pair_line),
        (
            "Other side",
            format!("{} {}", partner.name, s.id(partner.id.as_str())),
        ),
        ("Unique Id", p.pair.unique_identifier.to_string()),
        ("Persistent", persistent.to_string()),
        ("Muted", muted.to_string()),
        ("Clients", e.clients.to_string()),
        (
            if side == "A" {
                "Sent A→B"
            } else {
                "Sent B→A"
            },
            traffic(p.sent),
        ),
        (
            if side == "A" {
                "Received B→A"
            } else {
                "Received A→B"
            },
            traffic(p.received),
        ),
    ];
    if e.alsa.is_some() {
        rows.insert(rows.len() - 2, ("ALSA", alsa));
    }
    if !p.network.is_empty() {
        rows.push(("Network", p.network.join("; ")));
    }
    format!("{}\n{}", s.bold(&e.name), key_values(s, &rows))
}
