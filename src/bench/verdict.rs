//! The targets `midi bench` judges, and the verdict: for each target, the figure (a median
//! across the rounds, or the median of the per-round ratios) and whether it holds.
//!
//! The targets are one table read from the folded report by JSON pointer, so the text output,
//! `--json` and `--check` can never disagree about what was promised.

use serde::Serialize;
use serde_json::Value;

/// How a figure is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Microseconds (shown as ms from 1,000 µs on).
    Micros,
    /// A ratio of engine to baseline.
    Times,
    /// Messages per second.
    PerSecond,
    /// A plain count.
    Count,
    /// A share of one core (1.0 = a whole core).
    Core,
    /// A plain fraction, such as a count per message.
    Plain,
}

impl Unit {
    pub fn show(self, v: f64) -> String {
        if !v.is_finite() {
            return "—".into();
        }
        match self {
            Unit::Micros if v >= 1_000.0 => format!("{:.2} ms", v / 1_000.0),
            Unit::Micros if v >= 100.0 => format!("{v:.0} µs"),
            Unit::Micros if v >= 10.0 => format!("{v:.1} µs"),
            Unit::Micros => format!("{v:.2} µs"),
            Unit::Times => format!("{v:.2}×"),
            Unit::PerSecond if v >= 1e6 => format!("{:.2} M/s", v / 1e6),
            Unit::PerSecond => format!("{:.0} k/s", v / 1e3),
            Unit::Count => format!("{v:.0}"),
            Unit::Core => format!("{:.1} %", v * 100.0),
            Unit::Plain => format!("{v:.2}"),
        }
    }

    /// A limit as people write it: `50 µs`, `1.25×`, `1 M/s`.
    fn show_limit(self, v: f64) -> String {
        match self {
            Unit::Micros => format!("{v} µs"),
            Unit::Times => format!("{v}×"),
            Unit::PerSecond => format!("{} M/s", v / 1e6),
            Unit::Count => format!("{v}"),
            Unit::Core => format!("{} %", v * 100.0),
            Unit::Plain => format!("{v}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    AtMost(f64),
    AtLeast(f64),
}

/// One promise: a figure of the folded report and the bound it must keep.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// What is measured, as a person reads it.
    pub figure: &'static str,
    /// Where the figure is in the folded report (a JSON pointer).
    pub pointer: &'static str,
    pub bound: Bound,
    pub unit: Unit,
    /// What a ratio is taken against.
    pub against: Option<&'static str>,
}

impl Target {
    /// The promise in words: `scheduled lateness p99 ≤ 2× the sleeping baseline`.
    pub fn describe(&self) -> String {
        let (sign, limit) = match self.bound {
            Bound::AtMost(0.0) => ("=", 0.0),
            Bound::AtMost(v) => ("≤", v),
            Bound::AtLeast(v) => ("≥", v),
        };
        let against = self.against.map(|a| format!(" {a}")).unwrap_or_default();
        format!(
            "{} {sign} {}{against}",
            self.figure,
            self.unit.show_limit(limit)
        )
    }

    pub fn holds(&self, value: f64) -> bool {
        match self.bound {
            Bound::AtMost(limit) => value <= limit,
            Bound::AtLeast(limit) => value >= limit,
        }
    }
}

const fn target(figure: &'static str, pointer: &'static str, bound: Bound, unit: Unit) -> Target {
    Target {
        figure,
        pointer,
        bound,
        unit,
        against: None,
    }
}

const fn ratio(
    figure: &'static str,
    pointer: &'static str,
    bound: Bound,
    against: &'static str,
) -> Target {
    Target {
        figure,
        pointer,
        bound,
        unit: Unit::Times,
        against: Some(against),
    }
}

/// What `midi bench` promises, judged on the medians of one run's rounds (release build).
pub const TARGETS: &[Target] = &[
    target(
        "scheduled lateness p50",
        "/engine/scheduled_p50_us",
        Bound::AtMost(50.0),
        Unit::Micros,
    ),
    target(
        "scheduled lateness p99",
        "/engine/scheduled_p99_us",
        Bound::AtMost(100.0),
        Unit::Micros,
    ),
    ratio(
        "scheduled lateness p99",
        "/ratios/scheduled_p99",
        Bound::AtMost(2.0),
        "the sleeper",
    ),
    target(
        "scheduled lateness p99.9",
        "/engine/scheduled_p999_us",
        Bound::AtMost(500.0),
        Unit::Micros,
    ),
    ratio(
        "round trip p50",
        "/ratios/rtt_p50",
        Bound::AtMost(1.25),
        "the relay",
    ),
    ratio(
        "round trip p99",
        "/ratios/rtt_p99",
        Bound::AtMost(1.5),
        "the relay",
    ),
    ratio(
        "throughput",
        "/ratios/throughput",
        Bound::AtLeast(0.8),
        "the relay",
    ),
    target(
        "throughput",
        "/engine/throughput_msgs_per_s",
        Bound::AtLeast(1e6),
        Unit::PerSecond,
    ),
    target(
        "engine CPU per message, 16 pairs",
        "/cost/engine_cpu_us_per_message",
        Bound::AtMost(2.0),
        Unit::Micros,
    ),
    target(
        "messages the engine lost",
        "/lost",
        Bound::AtMost(0.0),
        Unit::Count,
    ),
    target(
        "held messages sent early",
        "/engine/scheduled_early",
        Bound::AtMost(0.0),
        Unit::Count,
    ),
];

/// One target judged.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The promise in words.
    pub target: String,
    /// Where the figure is in the report (a JSON pointer).
    pub figure: &'static str,
    /// The figure (`null` if the report lacks it, which never holds).
    pub value: Option<f64>,
    pub holds: bool,
    #[serde(skip)]
    pub unit: Unit,
}

/// Every target judged.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// Every target holds.
    pub holds: bool,
    pub missed: usize,
    pub targets: Vec<Outcome>,
}

/// Judges every target against the folded report.
pub fn judge(folded: &Value) -> Verdict {
    let targets: Vec<Outcome> = TARGETS
        .iter()
        .map(|t| {
            let value = folded
                .pointer(t.pointer)
                .and_then(Value::as_f64)
                .filter(|v| v.is_finite());
            Outcome {
                target: t.describe(),
                figure: t.pointer,
                value,
                holds: value.is_some_and(|v| t.holds(v)),
                unit: t.unit,
            }
        })
        .collect();
    let missed = targets.iter().filter(|o| !o.holds).count();
    Verdict {
        holds: missed == 0,
        missed,
        targets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(p50: f64, lost: u64) -> Value {
        json!({
            "engine": {"scheduled_p50_us": p50, "scheduled_p99_us": 80.0,
                       "scheduled_p999_us": 300.0, "throughput_msgs_per_s": 2e7,
                       "scheduled_early": 0},
            "ratios": {"scheduled_p99": 1.5, "rtt_p50": 1.1, "rtt_p99": 1.2, "throughput": 0.9},
            "cost": {"engine_cpu_us_per_message": 1.0},
            "lost": lost,
        })
    }

    #[test]
    fn every_target_holds_on_good_figures() {
        let v = judge(&report(20.0, 0));
        assert!(v.holds, "{v:?}");
        assert_eq!(v.missed, 0);
        assert_eq!(v.targets.len(), TARGETS.len());
    }

    #[test]
    fn a_late_median_or_a_lost_message_is_a_miss() {
        let v = judge(&report(1_150.0, 1));
        assert!(!v.holds);
        assert_eq!(v.missed, 2);
        let missed: Vec<&str> = v
            .targets
            .iter()
            .filter(|o| !o.holds)
            .map(|o| o.target.as_str())
            .collect();
        assert_eq!(
            missed,
            [
                "scheduled lateness p50 ≤ 50 µs",
                "messages the engine lost = 0"
            ]
        );
    }

    #[test]
    fn a_missing_figure_never_holds() {
        let v = judge(&json!({}));
        assert_eq!(v.missed, TARGETS.len());
        assert!(v.targets.iter().all(|o| o.value.is_none()));
    }

    #[test]
    fn limits_read_as_written() {
        let described: Vec<String> = TARGETS.iter().map(Target::describe).collect();
        assert!(described.contains(&"scheduled lateness p99 ≤ 2× the sleeper".to_string()));
        assert!(described.contains(&"throughput ≥ 0.8× the relay".to_string()));
        assert!(described.contains(&"throughput ≥ 1 M/s".to_string()));
        assert_eq!(Unit::Micros.show(1_150.0), "1.15 ms");
        assert_eq!(Unit::Micros.show(33.94), "33.9 µs");
    }
}
