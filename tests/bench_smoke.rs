//! `midi bench --quick --json` runs, and its JSON has the promised keys with nothing lost:
//! the figures of both sides, the scheduled-delivery lateness, every round, and the verdict.
//! `--rounds` and `--check` are honoured. (Speed is never asserted in tests: whether a target
//! holds depends on the machine, so only the verdict's consistency is checked. BENCHMARKS.md
//! has the figures.)

use assert_cmd::Command;
use serde_json::Value;

fn bench(args: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_midi"))
        .arg("bench")
        .args(args)
        .env("NO_COLOR", "1")
        .env("MIDI_HOME", home.path())
        .env("MIDI_NO_ALSA", "1")
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    (out, home)
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

const SIDE_FIGURES: [&str; 7] = [
    "rtt_p50_us",
    "rtt_p99_us",
    "throughput_msgs_per_s",
    "scheduled_p50_us",
    "scheduled_p99_us",
    "scheduled_p999_us",
    "scheduled_max_us",
];

fn assert_side(side: &Value, what: &str) {
    for key in SIDE_FIGURES {
        let v = side[key].as_f64();
        assert!(
            v.is_some_and(|v| v >= 0.0),
            "{what}.{key} = {:?}",
            side[key]
        );
    }
    assert!(
        side["rtt_p50_us"].as_f64().unwrap() > 0.0,
        "{what}.rtt_p50_us"
    );
    assert!(side["throughput_msgs_per_s"].as_f64().unwrap() > 0.0);
    // Correctness, not speed: nothing lost, and no held message leaves before its time.
    assert_eq!(side["lost"], 0, "{what}.lost");
    assert_eq!(side["scheduled_lost"], 0, "{what}.scheduled_lost");
    assert_eq!(side["scheduled_early"], 0, "{what}.scheduled_early");
}

#[test]
fn quick_bench_reports_rounds_lateness_and_verdict_without_loss() {
    let (out, _home) = bench(&["--quick", "--json", "--rounds", "2"]);
    assert!(
        out.status.success(),
        "without --check the bench exits 0 whatever the verdict: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_side(&v["engine"], "engine");
    assert_side(&v["baseline"], "baseline");
    assert_eq!(v["lost"], 0);
    assert_eq!(v["fan_out"]["lost"], 0);
    assert!(v["ratios"]["throughput"].as_f64().is_some());
    assert!(v["ratios"]["scheduled_p99"].as_f64().is_some());
    assert!(v["cost"]["engine_cpu_us_per_message"].as_f64().unwrap() > 0.0);
    assert!(v["cost"]["engine_core_share"].as_f64().unwrap() > 0.0);
    assert_eq!(v["cost"]["lost"], 0);
    // The same musical load through the bare relay, its CPU beside the engine's.
    assert!(v["cost"]["baseline_cpu_us_per_message"].as_f64().unwrap() > 0.0);
    assert!(v["cost"]["cpu_ratio"].as_f64().unwrap() > 0.0);
    assert!(v["cost"]["engine_sleeps_per_message"].as_f64().is_some());
    assert_eq!(v["cost"]["baseline_lost"], 0);

    // Two rounds, each with both sides measured.
    assert_eq!(v["settings"]["rounds"], 2);
    let rounds = v["rounds"].as_array().expect("rounds");
    assert_eq!(rounds.len(), 2);
    for (i, r) in rounds.iter().enumerate() {
        assert_side(&r["engine"], &format!("rounds[{i}].engine"));
        assert_side(&r["baseline"], &format!("rounds[{i}].baseline"));
    }
    let p50 = v["spread"]["engine"]["scheduled_p50_us"].clone();
    assert!(p50["min"].as_f64().unwrap() <= p50["max"].as_f64().unwrap());

    // Every target judged, and the summary agrees with the targets.
    let targets = v["verdict"]["targets"].as_array().expect("targets");
    assert!(targets.len() >= 9, "{targets:?}");
    let missed = targets.iter().filter(|t| t["holds"] == false).count();
    assert_eq!(v["verdict"]["missed"], missed);
    assert_eq!(v["verdict"]["holds"], missed == 0);
    for t in targets {
        assert!(t["target"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(t["holds"].is_boolean());
    }
    let names: Vec<&str> = targets
        .iter()
        .filter_map(|t| t["target"].as_str())
        .collect();
    assert!(
        names.contains(&"scheduled lateness p50 ≤ 50 µs"),
        "{names:?}"
    );
}

#[test]
fn check_makes_a_missed_target_exit_1() {
    let (out, _home) = bench(&["--quick", "--json", "--rounds", "1", "--check"]);
    let v = json(&out);
    assert_eq!(v["rounds"].as_array().map(Vec::len), Some(1));
    let holds = v["verdict"]["holds"].as_bool().expect("verdict.holds");
    assert_eq!(
        out.status.code(),
        Some(if holds { 0 } else { 1 }),
        "the exit status must follow the verdict: {}",
        v["verdict"]
    );
}

#[test]
fn zero_rounds_is_refused_with_the_valid_range() {
    let (out, _home) = bench(&["--rounds", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--rounds"), "{err}");
    assert!(err.contains("1..=100"), "{err}");
    assert!(out.stdout.is_empty(), "nothing measured");
}
