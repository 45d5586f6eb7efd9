//! `midi bench --quick --json` runs, and its JSON has the promised keys with nothing lost.
//! (Speed is never asserted in tests; BENCHMARKS.md has the figures.)

use assert_cmd::Command;

#[test]
fn quick_bench_reports_engine_and_baseline_without_loss() {
    let out = Command::new(env!("CARGO_BIN_EXE_midi"))
        .args(["bench", "--quick", "--json"])
        .env("NO_COLOR", "1")
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    for side in ["engine", "baseline"] {
        for key in ["rtt_p50_us", "rtt_p99_us", "throughput_msgs_per_s"] {
            assert!(v[side][key].as_f64().unwrap() > 0.0, "{side}.{key}");
        }
    }
    assert_eq!(v["engine"]["lost"], 0);
    assert_eq!(v["fan_out"]["lost"], 0);
    assert!(v["ratios"]["throughput"].as_f64().is_some());
}
