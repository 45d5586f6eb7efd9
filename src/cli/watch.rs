//! `midi watch-endpoints`: every change to the pairs, live — as text lines or JSON lines.

use super::args::WatchArgs;
use crate::client::ClientError;
use crate::core::ErrorKind;
use crate::core::model::{EndpointInfo, PairInfo};
use crate::core::protocol::Event;
use crate::face::output::{self, errln};
use crate::face::{Context, interrupt};
use std::io::Write;
use std::time::{Duration, Instant};

pub fn run(ctx: &Context, args: WatchArgs) -> anyhow::Result<i32> {
    let mut watch = ctx.client()?.watch()?;
    interrupt::install();
    let deadline = args
        .timeout
        .map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    if !args.json {
        errln!("Watching the engine's endpoints. Press Ctrl-C to stop.");
    }
    let mut out = output::Stdout::new();
    loop {
        if interrupt::interrupted() {
            return Ok(0);
        }
        let mut wait = Duration::from_millis(100);
        if let Some(d) = deadline {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(0);
            }
            wait = wait.min(left);
        }
        let event = match watch.next_event(Some(wait)) {
            Ok(Some(e)) => e,
            Ok(None) => continue,
            Err(ClientError::Disconnected(_)) => return Ok(engine_gone(&args)),
            Err(e) => return Err(e.into()),
        };
        let stopping = matches!(event, Event::EngineStopping);
        let line = if args.json {
            serde_json::to_string(&event).expect("events always serialise")
        } else {
            text_line(ctx, &event)
        };
        writeln!(out, "{line}").and_then(|_| out.flush())?;
        if stopping {
            return Ok(engine_gone(&args));
        }
    }
}

fn engine_gone(args: &WatchArgs) -> i32 {
    if !args.json {
        errln!("the engine stopped; watch ended");
    }
    ErrorKind::Unreachable.exit_code()
}

fn pair_names(p: &PairInfo) -> String {
    format!("{} / {}", p.endpoint_a.name, p.endpoint_b.name)
}

fn endpoint_line(e: &EndpointInfo) -> String {
    format!(
        "{} ({} now)",
        e.name,
        output::count(u64::from(e.clients), "client", "clients")
    )
}

/// One human line per event: a fixed-width verb, then what it is about.
fn text_line(ctx: &Context, event: &Event) -> String {
    let (verb, what) = match event {
        Event::PairExisting { pair } => ("existing", pair_names(pair)),
        Event::Synced => (
            "synced",
            "every existing pair listed; changes follow".into(),
        ),
        Event::PairCreated { pair } => ("created", pair_names(pair)),
        Event::PairUpdated { pair, changed } => (
            "updated",
            format!("{} ({})", pair_names(pair), changed.join(", ")),
        ),
        Event::PairRemoved { pair } => ("removed", pair_names(pair)),
        Event::ClientAttached { endpoint } => ("attached", endpoint_line(endpoint)),
        Event::ClientDetached { endpoint } => ("detached", endpoint_line(endpoint)),
        Event::EngineStopping => ("stopping", "the engine is stopping".into()),
        other => ("event", format!("{other:?}")),
    };
    let verb = format!("{verb:<9}");
    let verb = match event {
        Event::PairRemoved { .. } | Event::EngineStopping => ctx.style.warn(&verb),
        Event::Synced => ctx.style.dim(&verb),
        _ => ctx.style.ok(&verb),
    };
    format!("{verb} {what}")
}
