//! `midi bench`: prints the engine's figures beside the baseline's, with their ratios.

use super::args::BenchArgs;
use super::measure::{Summary, summarize};
use crate::bench::{self, Link, PrivateEngine, Relay, Throughput};
use crate::face::Context;
use crate::face::output::{Table, print_json};
use serde::Serialize;

#[derive(Debug, Serialize)]
struct Side {
    rtt_p50_us: f64,
    rtt_p90_us: f64,
    rtt_p99_us: f64,
    rtt_p999_us: f64,
    rtt_max_us: f64,
    throughput_msgs_per_s: f64,
    throughput_words_per_s: f64,
    lost: u64,
}

impl Side {
    fn new(rtt: Summary, tp: Throughput) -> Side {
        Side {
            rtt_p50_us: rtt.p50_us,
            rtt_p90_us: rtt.p90_us,
            rtt_p99_us: rtt.p99_us,
            rtt_p999_us: rtt.p999_us,
            rtt_max_us: rtt.max_us,
            throughput_msgs_per_s: tp.msgs_per_s,
            throughput_words_per_s: tp.words_per_s,
            lost: tp.lost,
        }
    }
}

#[derive(Debug, Serialize)]
struct FanOut {
    receivers: usize,
    msgs_per_s_per_receiver: f64,
    lost: u64,
}

#[derive(Debug, Serialize)]
struct Ratios {
    /// Engine throughput ÷ baseline throughput (target ≥ 0.8).
    throughput: f64,
    /// Engine p50 ÷ baseline p50 (target ≤ 1.25).
    rtt_p50: f64,
    /// Engine p99 ÷ baseline p99 (target ≤ 1.5).
    rtt_p99: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    engine: Side,
    baseline: Side,
    ratios: Ratios,
    fan_out: FanOut,
    round_trips: u32,
    messages: u64,
    batch: usize,
    quick: bool,
}

pub fn run(ctx: &Context, args: BenchArgs) -> anyhow::Result<i32> {
    if let Some(socket) = &args.relay_socket {
        bench::relay::serve(socket)?;
        return Ok(0);
    }
    let (round_trips, messages) = if args.quick {
        (args.round_trips.min(2_000), args.messages.min(200_000))
    } else {
        (args.round_trips.max(10_000), args.messages)
    };
    const FAN: usize = 4;
    // Work units: round trips (both sides) + messages (both sides, and fan-out).
    let total = 2 * round_trips as u64 + 3 * messages;
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:28} {bar:30} {percent:>3}%")
            .expect("valid template"),
    );
    let base = std::cell::Cell::new(0u64);
    let rtt_tick = || bar.set_position(bar.position() + 1000);
    let tp_tick = |sent: u64| bar.set_position(base.get() + sent);

    let engine = PrivateEngine::start()?;
    bar.set_message("engine round trips");
    let (mut a, mut bs) = engine.links("rtt", 1)?;
    let engine_rtt = summarize(&mut bench::round_trips(
        &mut a,
        Box::new(bs.remove(0)),
        round_trips,
        &rtt_tick,
    )?);

    bar.set_message("baseline round trips");
    let (_relay, mut ra, rb) = Relay::start(engine.dir(), "rtt")?;
    let base_rtt = summarize(&mut bench::round_trips(
        &mut ra,
        Box::new(rb),
        round_trips,
        &rtt_tick,
    )?);
    drop(_relay);

    bar.set_message("engine throughput");
    base.set(2 * round_trips as u64);
    let (mut a, bs) = engine.links("throughput", 1)?;
    let receivers: Vec<Box<dyn Link>> = bs
        .into_iter()
        .map(|b| Box::new(b) as Box<dyn Link>)
        .collect();
    let mut engine_tp = bench::throughput(&mut a, receivers, messages, &tp_tick)?;
    // Whatever the engine itself dropped is lost too, even if the counts happened to match.
    let pairs = engine.client()?.list_pairs()?;
    engine_tp.lost += pairs
        .iter()
        .map(|p| p.a_to_b.dropped_overflow + p.a_to_b.refused)
        .sum::<u64>();

    bar.set_message("baseline throughput");
    base.set(base.get() + messages);
    let (_relay, mut ra, rb) = Relay::start(engine.dir(), "throughput")?;
    let base_tp = bench::throughput(&mut ra, vec![Box::new(rb)], messages, &tp_tick)?;
    drop(_relay);

    bar.set_message(format!("engine fan-out to {FAN}"));
    base.set(base.get() + messages);
    let (mut a, bs) = engine.links("fan-out", FAN)?;
    let receivers: Vec<Box<dyn Link>> = bs
        .into_iter()
        .map(|b| Box::new(b) as Box<dyn Link>)
        .collect();
    let fan = bench::throughput(&mut a, receivers, messages, &tp_tick)?;
    bar.finish_and_clear();
    drop(engine);

    let report = Report {
        ratios: Ratios {
            throughput: engine_tp.msgs_per_s / base_tp.msgs_per_s,
            rtt_p50: engine_rtt.p50_us / base_rtt.p50_us,
            rtt_p99: engine_rtt.p99_us / base_rtt.p99_us,
        },
        engine: Side::new(engine_rtt, engine_tp),
        baseline: Side::new(base_rtt, base_tp),
        fan_out: FanOut {
            receivers: FAN,
            msgs_per_s_per_receiver: fan.msgs_per_s,
            lost: fan.lost,
        },
        round_trips,
        messages,
        batch: bench::BATCH,
        quick: args.quick,
    };
    if args.json {
        print_json(&report);
    } else {
        print_report(ctx, &report);
    }
    let lost = report.engine.lost + report.fan_out.lost;
    Ok(if lost == 0 { 0 } else { 1 })
}

fn print_report(ctx: &Context, r: &Report) {
    let s = ctx.style;
    println!(
        "{}",
        s.bold(&format!(
            "midi bench: engine vs a bare relay over the same socket ({} round trips, {} messages, {} per write{})",
            r.round_trips,
            r.messages,
            r.batch,
            if r.quick { ", quick" } else { "" }
        ))
    );
    println!();
    let us = |v: f64| format!("{v:.1} µs");
    let rate = |v: f64| {
        if v >= 1e6 {
            format!("{:.2} M/s", v / 1e6)
        } else {
            format!("{:.0} k/s", v / 1e3)
        }
    };
    let (e, b) = (&r.engine, &r.baseline);
    // One row: the name, both sides shown with `show`, and their ratio.
    let row = |name: &str, show: &dyn Fn(f64) -> String, pick: fn(&Side) -> f64| {
        let (ev, bv) = (pick(e), pick(b));
        (
            name.to_string(),
            show(ev),
            show(bv),
            format!("{:.2}×", ev / bv),
        )
    };
    let mut rows = vec![
        row("round trip p50", &us, |s| s.rtt_p50_us),
        row("round trip p90", &us, |s| s.rtt_p90_us),
        row("round trip p99", &us, |s| s.rtt_p99_us),
        row("round trip p99.9", &us, |s| s.rtt_p999_us),
        row("round trip max", &us, |s| s.rtt_max_us),
        row("throughput A→B (messages)", &rate, |s| {
            s.throughput_msgs_per_s
        }),
        row("throughput A→B (words)", &rate, |s| {
            s.throughput_words_per_s
        }),
    ];
    rows.push((
        "lost messages".into(),
        e.lost.to_string(),
        b.lost.to_string(),
        String::new(),
    ));
    let mut t = Table::new(&["", "ENGINE", "BASELINE", "RATIO"]);
    for (name, eng, base, rat) in rows {
        t.row(vec![name, eng, base, rat]);
    }
    t.row(vec![
        format!("fan-out to {} (each)", r.fan_out.receivers),
        rate(r.fan_out.msgs_per_s_per_receiver),
        "—".into(),
        String::new(),
    ]);
    print!("{}", t.render(s, None));
    println!();
    println!(
        "{}",
        s.dim("Targets: throughput ≥ 0.8× and ≥ 1 M/s with no loss; p50 ≤ 1.25×, p99 ≤ 1.5× the baseline.")
    );
}
