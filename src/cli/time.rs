//! `midi time`: the clock every timestamp uses, its resolution and the current timestamp, so
//! a script can compute `--timestamp` values and read the monitor's.

use crate::core::clock::{MAX_SCHEDULE_AHEAD_NS, monotonic_ns, resolution_ns};
use crate::face::Context;
use crate::face::output::{self, key_values, print_json};
use serde::Serialize;

/// What `midi time` reports.
#[derive(Debug, Serialize)]
struct ClockReport {
    clock: &'static str,
    unit: &'static str,
    resolution_ns: u64,
    now_ns: u64,
    /// The same moment in seconds, as the monitor's TIME column counts.
    now_s: f64,
    max_schedule_ahead_ns: u64,
    /// Years until the nanosecond count wraps (a u64 lasts about 584 years).
    years_until_wrap: f64,
}

fn report() -> ClockReport {
    let now_ns = monotonic_ns();
    const YEAR_NS: f64 = 365.25 * 86_400.0 * 1e9;
    ClockReport {
        clock: "CLOCK_MONOTONIC",
        unit: "nanoseconds",
        resolution_ns: resolution_ns(),
        now_ns,
        now_s: now_ns as f64 / 1e9,
        max_schedule_ahead_ns: MAX_SCHEDULE_AHEAD_NS,
        years_until_wrap: (u64::MAX - now_ns) as f64 / YEAR_NS,
    }
}

pub fn run(ctx: &Context, json: bool) -> anyhow::Result<i32> {
    let r = report();
    if json {
        print_json(&r)?;
        return Ok(0);
    }
    let s = ctx.style;
    output::out(&format!(
        "{}\n{}",
        s.bold("The clock of every timestamp"),
        key_values(
            s,
            &[
                ("Clock", format!("{} (shared by every process)", r.clock)),
                ("Unit", "1 ns (a timestamp counts nanoseconds)".to_string()),
                ("Resolution", format!("{} ns", r.resolution_ns)),
                ("Now", format!("{} ({:.6} s)", r.now_ns, r.now_s)),
                (
                    "Timestamp 0",
                    "means now: the engine stamps the message on arrival".into()
                ),
                (
                    "Ahead",
                    format!(
                        "up to {} s: such a message is held and delivered when due",
                        r.max_schedule_ahead_ns / 1_000_000_000
                    )
                ),
                ("Wraps in", format!("{:.0} years", r.years_until_wrap)),
            ],
        )
    ))?;
    Ok(0)
}
