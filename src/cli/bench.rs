//! `midi bench`: runs the measures in rounds — engine, baseline, engine, baseline, … — and
//! prints each figure's median and spread beside the baseline's, their ratios, and whether
//! every target holds (the targets are `crate::bench::verdict::TARGETS`).

use super::args::BenchArgs;
use super::measure::{Summary, summarize};
use crate::bench::scheduled::{self, Lateness};
use crate::bench::verdict::{self, Unit, Verdict};
use crate::bench::{self, BaselineKind, Link, PrivateEngine, Relay, Throughput, cost, rounds};
use crate::face::Context;
use crate::face::output::{Style, print_json};
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// Receivers in the fan-out measure.
const FAN: usize = 4;

/// How much each measure sends, per round and side.
#[derive(Debug, Clone, Copy, Serialize)]
struct Sizes {
    round_trips: u32,
    messages: u64,
    batch: usize,
    scheduled_messages: u32,
    scheduled_rate_per_s: u32,
    scheduled_ahead_ms: [u64; 2],
    musical_pairs: usize,
    musical_rate_per_s: u32,
    musical_seconds: f64,
}

impl Sizes {
    fn new(args: &BenchArgs) -> Sizes {
        let (round_trips, messages, scheduled_messages, musical_seconds) = if args.quick {
            (
                args.round_trips.min(2_000),
                args.messages.min(200_000),
                200,
                0.5,
            )
        } else {
            (args.round_trips.max(10_000), args.messages, 5_000, 3.0)
        };
        Sizes {
            round_trips,
            messages,
            batch: bench::BATCH,
            scheduled_messages,
            scheduled_rate_per_s: scheduled::RATE_PER_S,
            scheduled_ahead_ms: [
                scheduled::AHEAD_MIN_NS / 1_000_000,
                scheduled::AHEAD_MAX_NS / 1_000_000,
            ],
            musical_pairs: cost::PAIRS,
            musical_rate_per_s: cost::RATE_PER_S,
            musical_seconds,
        }
    }

    // Rough durations of each measure in milliseconds, to weigh the progress bar.
    fn rtt_ms(&self) -> u64 {
        u64::from(self.round_trips) / 25
    }
    fn throughput_ms(&self) -> u64 {
        self.messages / 15_000 + 1
    }
    fn scheduled_ms(&self) -> u64 {
        u64::from(self.scheduled_messages) * 1_000 / u64::from(self.scheduled_rate_per_s) + 10
    }
    fn musical_ms(&self) -> u64 {
        (self.musical_seconds * 1_000.0) as u64
    }
    fn round_ms(&self) -> u64 {
        2 * self.rtt_ms()
            + 3 * self.throughput_ms()
            + 2 * self.scheduled_ms()
            + 2 * self.musical_ms()
    }
}

/// Everything measured on one side in one round.
#[derive(Debug, Serialize)]
struct Side {
    rtt_p50_us: f64,
    rtt_p90_us: f64,
    rtt_p99_us: f64,
    rtt_p999_us: f64,
    rtt_max_us: f64,
    throughput_msgs_per_s: f64,
    throughput_words_per_s: f64,
    /// Throughput messages that never arrived.
    lost: u64,
    /// How long after their timestamps held messages arrived.
    scheduled_p50_us: f64,
    scheduled_p99_us: f64,
    scheduled_p999_us: f64,
    scheduled_max_us: f64,
    scheduled_early: u64,
    scheduled_lost: u64,
}

impl Side {
    fn new(rtt: Summary, tp: Throughput, mut held: Lateness) -> Side {
        let late = summarize(&mut held.samples_ns);
        Side {
            rtt_p50_us: rtt.p50_us,
            rtt_p90_us: rtt.p90_us,
            rtt_p99_us: rtt.p99_us,
            rtt_p999_us: rtt.p999_us,
            rtt_max_us: rtt.max_us,
            throughput_msgs_per_s: tp.msgs_per_s,
            throughput_words_per_s: tp.words_per_s,
            lost: tp.lost,
            scheduled_p50_us: late.p50_us,
            scheduled_p99_us: late.p99_us,
            scheduled_p999_us: late.p999_us,
            scheduled_max_us: late.max_us,
            scheduled_early: held.early,
            scheduled_lost: held.lost,
        }
    }
}

/// Engine ÷ baseline for each figure of one round.
#[derive(Debug, Serialize)]
struct Ratios {
    rtt_p50: f64,
    rtt_p90: f64,
    rtt_p99: f64,
    rtt_p999: f64,
    rtt_max: f64,
    throughput: f64,
    throughput_words: f64,
    scheduled_p50: f64,
    scheduled_p99: f64,
    scheduled_p999: f64,
    scheduled_max: f64,
}

impl Ratios {
    fn new(e: &Side, b: &Side) -> Ratios {
        Ratios {
            rtt_p50: e.rtt_p50_us / b.rtt_p50_us,
            rtt_p90: e.rtt_p90_us / b.rtt_p90_us,
            rtt_p99: e.rtt_p99_us / b.rtt_p99_us,
            rtt_p999: e.rtt_p999_us / b.rtt_p999_us,
            rtt_max: e.rtt_max_us / b.rtt_max_us,
            throughput: e.throughput_msgs_per_s / b.throughput_msgs_per_s,
            throughput_words: e.throughput_words_per_s / b.throughput_words_per_s,
            scheduled_p50: e.scheduled_p50_us / b.scheduled_p50_us,
            scheduled_p99: e.scheduled_p99_us / b.scheduled_p99_us,
            scheduled_p999: e.scheduled_p999_us / b.scheduled_p999_us,
            scheduled_max: e.scheduled_max_us / b.scheduled_max_us,
        }
    }
}

#[derive(Debug, Serialize)]
struct FanOut {
    receivers: usize,
    msgs_per_s_per_receiver: f64,
    lost: u64,
}

/// The engine and the bare relay at musical rates: each one's own CPU time over the run.
#[derive(Debug, Serialize)]
struct Musical {
    seconds: f64,
    sent: u64,
    delivered: u64,
    lost: u64,
    engine_cpu_us_per_message: f64,
    /// Share of one core (1.0 = a whole core).
    engine_core_share: f64,
    /// How often the engine went to sleep (and was woken again), per delivered message.
    engine_sleeps_per_message: f64,
    /// The same load through the bare relay: the machine's own cost of a wake-up, a read and
    /// a write per message.
    baseline_cpu_us_per_message: f64,
    baseline_core_share: f64,
    baseline_sleeps_per_message: f64,
    baseline_lost: u64,
    /// Engine ÷ relay CPU time per delivered message.
    cpu_ratio: f64,
}

impl Musical {
    fn new(engine: cost::Cost, relay: cost::Cost) -> Musical {
        let engine_cpu_us_per_message = engine.cpu_ns_per_message() / 1_000.0;
        let baseline_cpu_us_per_message = relay.cpu_ns_per_message() / 1_000.0;
        Musical {
            seconds: engine.seconds,
            sent: engine.sent,
            delivered: engine.delivered,
            lost: engine.sent.saturating_sub(engine.delivered),
            engine_cpu_us_per_message,
            engine_core_share: engine.core_share(),
            engine_sleeps_per_message: engine.sleeps_per_message(),
            baseline_cpu_us_per_message,
            baseline_core_share: relay.core_share(),
            baseline_sleeps_per_message: relay.sleeps_per_message(),
            baseline_lost: relay.sent.saturating_sub(relay.delivered),
            // No CPU time counted for the relay (a coarse clock) leaves the ratio unknown.
            cpu_ratio: if baseline_cpu_us_per_message > 0.0 {
                engine_cpu_us_per_message / baseline_cpu_us_per_message
            } else {
                f64::NAN
            },
        }
    }
}

#[derive(Debug, Serialize)]
struct Round {
    engine: Side,
    baseline: Side,
    ratios: Ratios,
    fan_out: FanOut,
    cost: Musical,
    /// Messages of the engine's measures that never arrived, or that the engine counted as
    /// dropped or refused, whichever is more.
    lost: u64,
}

#[derive(Debug, Serialize)]
struct Settings {
    rounds: u32,
    quick: bool,
    #[serde(flatten)]
    sizes: Sizes,
    /// The machine's load average before the run (the p99.9 target is for an idle machine).
    load_average: Vec<f64>,
}

pub fn run(ctx: &Context, args: BenchArgs) -> anyhow::Result<i32> {
    if let Some(socket) = &args.relay_socket {
        bench::relay::serve(socket, args.relay_pairs)?;
        return Ok(0);
    }
    if let Some(socket) = &args.sleeper_socket {
        bench::sleeper::serve(socket)?;
        return Ok(0);
    }
    let sizes = Sizes::new(&args);
    let settings = Settings {
        rounds: args.rounds,
        quick: args.quick,
        sizes,
        load_average: load_average(),
    };
    let progress = Progress::new(args.rounds, sizes.round_ms());
    let measured = run_rounds(args.rounds, &sizes, &progress);
    progress.bar.finish_and_clear(); // also when a measure failed
    let all = measured?;

    let folded = rounds::medians(&all);
    let verdict = verdict::judge(&folded);
    if args.json {
        print_json(&json_report(&verdict, folded, &all, &settings)?)?;
    } else {
        let spread = rounds::spreads(&all);
        crate::face::output::out(&report_text(
            ctx.style, &folded, &spread, &verdict, &settings,
        ))?;
    }
    Ok(if args.check && !verdict.holds { 1 } else { 0 })
}

/// The verdict, the folded figures, their spreads, every round, and the settings.
fn json_report(
    verdict: &Verdict,
    folded: Value,
    all: &[Value],
    settings: &Settings,
) -> anyhow::Result<Value> {
    let mut out = Map::new();
    out.insert("verdict".into(), serde_json::to_value(verdict)?);
    if let Value::Object(figures) = folded {
        out.extend(figures);
    }
    out.insert("spread".into(), rounds::spreads(all));
    out.insert("rounds".into(), Value::Array(all.to_vec()));
    out.insert("settings".into(), serde_json::to_value(settings)?);
    Ok(Value::Object(out))
}

/// Every round, in a private engine stopped at the end, each round as JSON.
fn run_rounds(rounds: u32, sizes: &Sizes, progress: &Progress) -> anyhow::Result<Vec<Value>> {
    let engine = PrivateEngine::start()?;
    let mut all = Vec::with_capacity(rounds as usize);
    for r in 0..rounds {
        progress.start_round(r);
        all.push(serde_json::to_value(run_round(&engine, sizes, progress)?)?);
    }
    Ok(all)
}

/// One round: every measure, each on the engine and then on its baseline.
fn run_round(engine: &PrivateEngine, sizes: &Sizes, progress: &Progress) -> anyhow::Result<Round> {
    let (engine_rtt, base_rtt) = round_trips(engine, sizes, progress)?;
    let (engine_tp, base_tp) = throughputs(engine, sizes, progress)?;
    let (engine_held, base_held) = held_messages(engine, sizes, progress)?;
    let fan_out = fan_out(engine, sizes, progress)?;
    let musical = musical(engine, sizes, progress)?;
    let dropped = engine.clear_pairs()?;
    let missing = engine_tp.lost + fan_out.lost + engine_held.lost + musical.lost;
    let (e, b) = (
        Side::new(engine_rtt, engine_tp, engine_held),
        Side::new(base_rtt, base_tp, base_held),
    );
    Ok(Round {
        ratios: Ratios::new(&e, &b),
        engine: e,
        baseline: b,
        fan_out,
        cost: musical,
        lost: missing.max(dropped),
    })
}

fn round_trips(
    engine: &PrivateEngine,
    sizes: &Sizes,
    progress: &Progress,
) -> anyhow::Result<(Summary, Summary)> {
    let n = sizes.round_trips;
    let tick = |i: u64| progress.tick(i as f64 / f64::from(n));
    progress.phase("engine round trips", sizes.rtt_ms());
    let (mut a, mut bs) = engine.links("rtt", 1)?;
    let on_engine = summarize(&mut bench::round_trips(
        &mut a,
        Box::new(bs.remove(0)),
        n,
        &tick,
    )?);
    progress.phase("relay round trips", sizes.rtt_ms());
    let (_relay, mut ra, rb) = Relay::start(engine.dir(), "rtt", BaselineKind::Relay)?;
    let on_relay = summarize(&mut bench::round_trips(&mut ra, Box::new(rb), n, &tick)?);
    Ok((on_engine, on_relay))
}

fn throughputs(
    engine: &PrivateEngine,
    sizes: &Sizes,
    progress: &Progress,
) -> anyhow::Result<(Throughput, Throughput)> {
    let n = sizes.messages;
    let tick = |sent: u64| progress.tick(sent as f64 / n as f64);
    progress.phase("engine throughput", sizes.throughput_ms());
    let (mut a, bs) = engine.links("throughput", 1)?;
    let on_engine = bench::throughput(&mut a, boxed(bs), n, &tick)?;
    progress.phase("relay throughput", sizes.throughput_ms());
    let (_relay, mut ra, rb) = Relay::start(engine.dir(), "throughput", BaselineKind::Relay)?;
    let on_relay = bench::throughput(&mut ra, vec![Box::new(rb)], n, &tick)?;
    Ok((on_engine, on_relay))
}

fn held_messages(
    engine: &PrivateEngine,
    sizes: &Sizes,
    progress: &Progress,
) -> anyhow::Result<(Lateness, Lateness)> {
    let n = sizes.scheduled_messages;
    let tick = |i: u64| progress.tick(i as f64 / f64::from(n));
    progress.phase("engine scheduled", sizes.scheduled_ms());
    let (mut a, mut bs) = engine.links("scheduled", 1)?;
    let on_engine = scheduled::lateness(&mut a, Box::new(bs.remove(0)), n, &tick)?;
    progress.phase("sleeper scheduled", sizes.scheduled_ms());
    let (_sleeper, mut sa, sb) = Relay::start(engine.dir(), "scheduled", BaselineKind::Sleeper)?;
    let on_sleeper = scheduled::lateness(&mut sa, Box::new(sb), n, &tick)?;
    Ok((on_engine, on_sleeper))
}

/// The musical-rate load on the engine, then on a relay serving as many pairs.
fn musical(engine: &PrivateEngine, sizes: &Sizes, progress: &Progress) -> anyhow::Result<Musical> {
    let tick = |f: f64| progress.tick(f);
    progress.phase(
        &format!("engine, {} pairs at 1k/s", cost::PAIRS),
        sizes.musical_ms(),
    );
    let pid = engine.client()?.engine_pid();
    let on_engine = cost::musical_rates(
        pid,
        cost::engine_ends(engine)?,
        sizes.musical_seconds,
        &tick,
    )?;
    progress.phase(
        &format!("relay, {} pairs at 1k/s", cost::PAIRS),
        sizes.musical_ms(),
    );
    let (relay, links) =
        Relay::start_pairs(engine.dir(), "musical", BaselineKind::Relay, cost::PAIRS)?;
    let ends = links
        .into_iter()
        .map(|l| Box::new(l) as Box<dyn Link>)
        .collect();
    let on_relay = cost::musical_rates(relay.pid(), ends, sizes.musical_seconds, &tick)?;
    Ok(Musical::new(on_engine, on_relay))
}

fn fan_out(engine: &PrivateEngine, sizes: &Sizes, progress: &Progress) -> anyhow::Result<FanOut> {
    let n = sizes.messages;
    progress.phase(&format!("engine fan-out to {FAN}"), sizes.throughput_ms());
    let (mut a, bs) = engine.links("fan-out", FAN)?;
    let tp = bench::throughput(&mut a, boxed(bs), n, &|sent| {
        progress.tick(sent as f64 / n as f64)
    })?;
    Ok(FanOut {
        receivers: FAN,
        msgs_per_s_per_receiver: tp.msgs_per_s,
        lost: tp.lost,
    })
}

fn boxed(links: Vec<crate::client::EndpointConnection>) -> Vec<Box<dyn Link>> {
    links
        .into_iter()
        .map(|b| Box::new(b) as Box<dyn Link>)
        .collect()
}

/// The machine's 1, 5 and 15 minute load averages (empty where `/proc/loadavg` is missing).
fn load_average() -> Vec<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .filter_map(|v| v.parse().ok())
        .collect()
}

/// The progress bar of the whole run, weighed by each measure's expected duration.
struct Progress {
    bar: indicatif::ProgressBar,
    rounds: u32,
    round_ms: u64,
    round: AtomicU64,
    /// Where the current phase starts on the bar, and how much of it the phase takes.
    base: AtomicU64,
    weight: AtomicU64,
}

impl Progress {
    fn new(rounds: u32, round_ms: u64) -> Progress {
        let bar = indicatif::ProgressBar::new(u64::from(rounds) * round_ms);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg:38} {bar:28} {percent:>3}% {eta:>4}")
                .expect("valid template"),
        );
        Progress {
            bar,
            rounds,
            round_ms,
            round: AtomicU64::new(0),
            base: AtomicU64::new(0),
            weight: AtomicU64::new(0),
        }
    }

    fn start_round(&self, round: u32) {
        self.round.store(u64::from(round), Ordering::Relaxed);
        let at = u64::from(round) * self.round_ms;
        self.base.store(at, Ordering::Relaxed);
        self.weight.store(0, Ordering::Relaxed);
        self.bar.set_position(at);
    }

    fn phase(&self, what: &str, weight_ms: u64) {
        let base = self.base.load(Ordering::Relaxed) + self.weight.load(Ordering::Relaxed);
        self.base.store(base, Ordering::Relaxed);
        self.weight.store(weight_ms, Ordering::Relaxed);
        let round = self.round.load(Ordering::Relaxed) + 1;
        self.bar
            .set_message(format!("round {round}/{}: {what}", self.rounds));
        self.bar.set_position(base);
    }

    /// `done` of the current phase is done (0.0–1.0).
    fn tick(&self, done: f64) {
        let weight = self.weight.load(Ordering::Relaxed) as f64;
        let at = self.base.load(Ordering::Relaxed) + (weight * done.clamp(0.0, 1.0)) as u64;
        self.bar.set_position(at);
    }
}

/// The rows of the table: label, the figure in each side, its ratio, and its unit.
const ROWS: &[(&str, &str, &str, Unit)] = &[
    ("round trip p50", "rtt_p50_us", "rtt_p50", Unit::Micros),
    ("round trip p90", "rtt_p90_us", "rtt_p90", Unit::Micros),
    ("round trip p99", "rtt_p99_us", "rtt_p99", Unit::Micros),
    ("round trip p99.9", "rtt_p999_us", "rtt_p999", Unit::Micros),
    ("round trip max", "rtt_max_us", "rtt_max", Unit::Micros),
    (
        "throughput A→B",
        "throughput_msgs_per_s",
        "throughput",
        Unit::PerSecond,
    ),
    (
        "throughput, words",
        "throughput_words_per_s",
        "throughput_words",
        Unit::PerSecond,
    ),
    (
        "scheduled, late p50",
        "scheduled_p50_us",
        "scheduled_p50",
        Unit::Micros,
    ),
    (
        "scheduled, late p99",
        "scheduled_p99_us",
        "scheduled_p99",
        Unit::Micros,
    ),
    (
        "scheduled, late p99.9",
        "scheduled_p999_us",
        "scheduled_p999",
        Unit::Micros,
    ),
    (
        "scheduled, late max",
        "scheduled_max_us",
        "scheduled_max",
        Unit::Micros,
    ),
];

/// The whole text report: what ran, the figures, the verdict. Every line fits 80 columns.
fn report_text(style: Style, folded: &Value, spread: &Value, v: &Verdict, s: &Settings) -> String {
    let mut out = style.bold(&format!(
        "midi bench: {} round{}, engine and baseline alternating{}",
        s.rounds,
        if s.rounds == 1 { "" } else { "s" },
        if s.quick { " (quick)" } else { "" }
    ));
    out.push('\n');
    out.push_str(&style.dim(&describe_sizes(s)));
    out.push_str("\n\n");
    out.push_str(&figures_table(folded, spread, s.rounds).render(style, None));
    out.push('\n');
    out.push_str(
        &style
            .dim("± is half the range across rounds; a ratio is the median of the rounds' ratios."),
    );
    out.push_str("\n\n");
    out.push_str(&verdict_text(style, v, s.rounds));
    out
}

/// What each round did, in lines that fit 80 columns.
fn describe_sizes(s: &Settings) -> String {
    let z = &s.sizes;
    let load = match s.load_average.as_slice() {
        [one, five, fifteen] => format!("Load average before the run: {one} {five} {fifteen}."),
        _ => "Load average before the run: unknown.".into(),
    };
    format!(
        "Each round and side: {} round trips; {} messages, {} per write;\n\
{} held messages at {}/s stamped {}–{} ms ahead (baseline: a sleeper on\n\
a timerfd); {} pairs at {}/s both ways for {} s, one message per write.\n{load}",
        z.round_trips,
        z.messages,
        z.batch,
        z.scheduled_messages,
        z.scheduled_rate_per_s,
        z.scheduled_ahead_ms[0],
        z.scheduled_ahead_ms[1],
        z.musical_pairs,
        z.musical_rate_per_s,
        z.musical_seconds,
    )
}

/// A figure's median with its spread across rounds: `33.9 µs ±4%`.
fn with_spread(folded: &Value, spread: &Value, pointer: &str, unit: Unit, rounds: u32) -> String {
    let median = folded
        .pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or(f64::NAN);
    let shown = unit.show(median);
    let range = spread.pointer(pointer);
    let (min, max) = (
        range.and_then(|r| r["min"].as_f64()),
        range.and_then(|r| r["max"].as_f64()),
    );
    match (min, max) {
        (Some(min), Some(max)) if rounds > 1 && median.is_finite() => {
            let pct = rounds::relative_spread(median, min, max) * 100.0;
            format!("{shown} ±{pct:.0}%")
        }
        _ => shown,
    }
}

fn figures_table(folded: &Value, spread: &Value, rounds: u32) -> crate::face::output::Table {
    let cell = |pointer: &str, unit| with_spread(folded, spread, pointer, unit, rounds);
    let mut t = crate::face::output::Table::new(&["", "ENGINE", "BASELINE", "RATIO"]);
    for (label, key, ratio, unit) in ROWS {
        t.row(vec![
            label.to_string(),
            cell(&format!("/engine/{key}"), *unit),
            cell(&format!("/baseline/{key}"), *unit),
            cell(&format!("/ratios/{ratio}"), Unit::Times),
        ]);
    }
    let count = |p: &str| folded.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    t.row(vec![
        "lost messages".into(),
        count("/lost").to_string(),
        (count("/baseline/lost")
            + count("/baseline/scheduled_lost")
            + count("/cost/baseline_lost"))
        .to_string(),
        String::new(),
    ]);
    let engine_only = |label: String, pointer: &str, unit| {
        vec![label, cell(pointer, unit), "—".into(), String::new()]
    };
    t.row(engine_only(
        format!("fan-out to {FAN}, each"),
        "/fan_out/msgs_per_s_per_receiver",
        Unit::PerSecond,
    ));
    t.row(vec![
        format!("{} pairs: CPU/message", cost::PAIRS),
        cell("/cost/engine_cpu_us_per_message", Unit::Micros),
        cell("/cost/baseline_cpu_us_per_message", Unit::Micros),
        cell("/cost/cpu_ratio", Unit::Times),
    ]);
    t.row(vec![
        format!("{} pairs: CPU", cost::PAIRS),
        cell("/cost/engine_core_share", Unit::Core),
        cell("/cost/baseline_core_share", Unit::Core),
        String::new(),
    ]);
    t.row(vec![
        format!("{} pairs: sleeps/message", cost::PAIRS),
        cell("/cost/engine_sleeps_per_message", Unit::Plain),
        cell("/cost/baseline_sleeps_per_message", Unit::Plain),
        String::new(),
    ]);
    t
}

fn verdict_text(style: Style, v: &Verdict, rounds: u32) -> String {
    let mut out = style.bold(&format!("Verdict on the medians of {rounds} round(s):"));
    out.push('\n');
    for o in &v.targets {
        let mark = if o.holds {
            style.ok("held  ")
        } else {
            style.bad("MISSED")
        };
        let value = o
            .value
            .map(|x| o.unit.show(x))
            .unwrap_or_else(|| "—".into());
        let pad = 48usize.saturating_sub(crate::face::output::width(&o.target));
        out.push_str(&format!(
            "  {mark}  {}{}{value:>10}\n",
            o.target,
            " ".repeat(pad)
        ));
    }
    out.push('\n');
    if v.holds {
        out.push_str(&style.ok("Every target holds."));
    } else {
        out.push_str(&style.bad(&format!(
            "{} of {} targets missed (--check makes a miss exit 1).",
            v.missed,
            v.targets.len()
        )));
    }
    out.push('\n');
    out.push_str(
        &style.dim("Targets are for a release build; p99.9 is for an otherwise idle machine."),
    );
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A round with figures as wide as they get: milliseconds, big ratios, a loss.
    fn wide_round(scale: f64) -> Value {
        let side = |k: f64| {
            json!({
                "rtt_p50_us": 1234.5 * k, "rtt_p90_us": 23456.7 * k, "rtt_p99_us": 99999.9 * k,
                "rtt_p999_us": 123456.7 * k, "rtt_max_us": 999999.0 * k,
                "throughput_msgs_per_s": 123456789.0 * k, "throughput_words_per_s": 2.5e8 * k,
                "lost": 12345, "scheduled_p50_us": 1150.0 * k, "scheduled_p99_us": 4800.0 * k,
                "scheduled_p999_us": 99000.0 * k, "scheduled_max_us": 999000.0 * k,
                "scheduled_early": 0, "scheduled_lost": 99
            })
        };
        json!({
            "engine": side(scale), "baseline": side(0.001),
            "ratios": {"rtt_p50": 1000.0 * scale, "rtt_p90": 1.0, "rtt_p99": 1.0,
                       "rtt_p999": 1.0, "rtt_max": 1.0, "throughput": 0.1, "throughput_words": 0.1,
                       "scheduled_p50": 1.0, "scheduled_p99": 1.0, "scheduled_p999": 1.0,
                       "scheduled_max": 1.0},
            "fan_out": {"receivers": FAN, "msgs_per_s_per_receiver": 9.5e7, "lost": 0},
            "cost": {"seconds": 3.0, "sent": 96000, "delivered": 96000, "lost": 0,
                     "engine_cpu_us_per_message": 123.456 * scale, "engine_core_share": 0.999,
                     "baseline_cpu_us_per_message": 99.9, "baseline_core_share": 0.999,
                     "baseline_lost": 0, "cpu_ratio": 12.345 * scale,
                     "engine_sleeps_per_message": 1.25, "baseline_sleeps_per_message": 1.0},
            "lost": 12345,
        })
    }

    fn settings(quick: bool) -> Settings {
        let args = BenchArgs {
            quick,
            round_trips: 20_000,
            messages: 5_000_000,
            rounds: 100,
            check: false,
            json: false,
            relay_socket: None,
            relay_pairs: 1,
            sleeper_socket: None,
        };
        Settings {
            rounds: args.rounds,
            quick,
            sizes: Sizes::new(&args),
            load_average: vec![12.34, 10.01, 9.99],
        }
    }

    #[test]
    fn the_text_report_fits_80_columns() {
        let all: Vec<Value> = [1.0, 0.05, 3.0].map(wide_round).to_vec();
        let folded = rounds::medians(&all);
        let text = report_text(
            Style::plain(),
            &folded,
            &rounds::spreads(&all),
            &verdict::judge(&folded),
            &settings(false),
        );
        for line in text.lines() {
            assert!(
                crate::face::output::width(line) <= 80,
                "{} columns: {line}",
                crate::face::output::width(line)
            );
        }
        assert!(
            text.contains("MISSED  round trip p50 ≤ 1.25× the relay"),
            "{text}"
        );
        assert!(text.contains("±"), "spreads are shown: {text}");
    }

    #[test]
    fn one_round_shows_no_spread() {
        let all = vec![wide_round(1.0)];
        let folded = rounds::medians(&all);
        let table = figures_table(&folded, &rounds::spreads(&all), 1).render(Style::plain(), None);
        assert!(!table.contains('±'), "{table}");
    }
}
