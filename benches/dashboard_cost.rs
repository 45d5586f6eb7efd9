//! What the dashboard costs (issue 4: under 5 % of a core with 100 pairs under traffic at the
//! default refresh, without measurably slowing the routing). A minute-long measurement, so a
//! benchmark rather than a test; it fails (exit status) when the budget is exceeded.
//!
//! ```text
//! cargo bench --bench dashboard_cost
//! DASHBOARD_COST_SECONDS=10 cargo bench --bench dashboard_cost
//! ```
//!
//! Method: an engine in a temporary home with 100 pairs; one client connection per endpoint
//! (200), A sides sending 100 msg/s each and B sides 20 msg/s each (12,000 msg/s in all), plus
//! a probe pair whose one-way latency (send on A → receive on B) is sampled every 10 ms. Two
//! windows of equal length: without a dashboard, then with `midi dashboard` open in tmux
//! (120×40, default refresh, watching the first pair so its monitor is live). In each window:
//! CPU of the dashboard and of the engine from `/proc/<pid>/stat` (utime + stime), messages
//! routed (from the engine's counters), probe latency p50 / p99.

#[path = "../tests/dashboard_fixtures/mod.rs"]
mod dashboard_fixtures;

use dashboard_fixtures::terminal::Session;
use midi_loopback::client::{Client, EndpointConnection, Received};
use midi_loopback::core::{NameSpec, PairSpec};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const PAIRS: usize = 100;
const A_EVERY: Duration = Duration::from_millis(10); // 100 msg/s per pair, A→B
const B_EVERY: Duration = Duration::from_millis(50); // 20 msg/s per pair, B→A
const PROBE_EVERY: Duration = Duration::from_millis(10);
/// The issue's budget for the dashboard.
const CPU_BUDGET_PERCENT: f64 = 5.0;

fn seconds() -> u64 {
    std::env::var("DASHBOARD_COST_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30)
}

/// CPU time a process has used so far (user + system).
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc stat");
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_secs_f64(ticks as f64 / per_second as f64)
}

/// Everything the load needs to stop when dropped.
struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    probe_samples: Arc<Mutex<Vec<Duration>>>,
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn open(session: &Session, endpoint: &str) -> EndpointConnection {
    Client::connect(&session.options())
        .expect("connect")
        .open_endpoint(endpoint)
        .expect("open endpoint")
}

fn start_load(session: &Session, names: &[String]) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    // One thread sends from every A side, paced.
    let mut senders: Vec<EndpointConnection> = names
        .iter()
        .map(|n| open(session, &format!("{n} (A)")))
        .collect();
    let flag = stop.clone();
    threads.push(std::thread::spawn(move || {
        let mut next = Instant::now();
        while !flag.load(Ordering::Relaxed) {
            for conn in &mut senders {
                conn.send(&[0x2090_3C64]).expect("send A→B");
            }
            next += A_EVERY;
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    }));
    // Each B side drains what arrives and sends back now and then.
    for name in names {
        let mut conn = open(session, &format!("{name} (B)"));
        let flag = stop.clone();
        threads.push(std::thread::spawn(move || {
            let mut last_send = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                let _ = conn.receive(Some(B_EVERY)).expect("receive on B");
                if last_send.elapsed() >= B_EVERY {
                    conn.send(&[0x20B0_0740]).expect("send B→A");
                    last_send = Instant::now();
                }
            }
        }));
    }
    // The probe: one message at a time, A to B, timed.
    let probe_samples = Arc::new(Mutex::new(Vec::new()));
    let (mut a, mut b) = (open(session, "Probe (A)"), open(session, "Probe (B)"));
    let (flag, samples) = (stop.clone(), probe_samples.clone());
    threads.push(std::thread::spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            let sent = Instant::now();
            a.send(&[0x2090_3C64]).expect("probe send");
            match b
                .receive(Some(Duration::from_secs(5)))
                .expect("probe receive")
            {
                Some(Received::Messages(_)) => samples.lock().unwrap().push(sent.elapsed()),
                other => panic!("probe got {other:?}"),
            }
            std::thread::sleep(PROBE_EVERY);
        }
    }));
    Load {
        stop,
        threads,
        probe_samples,
    }
}

/// What one window measured.
struct Window {
    dashboard_cpu: Option<f64>,
    engine_cpu: f64,
    routed_per_s: f64,
    probe_p50: Duration,
    probe_p99: Duration,
}

fn routed(client: &mut Client) -> u64 {
    client
        .list_pairs()
        .expect("list pairs")
        .iter()
        .map(|p| p.a_to_b.messages + p.b_to_a.messages)
        .sum()
}

fn measure(
    client: &mut Client,
    load: &Load,
    engine: u32,
    dashboard: Option<u32>,
    length: Duration,
) -> Window {
    load.probe_samples.lock().unwrap().clear();
    let (e0, d0, m0, t0) = (
        cpu_time(engine),
        dashboard.map(cpu_time),
        routed(client),
        Instant::now(),
    );
    std::thread::sleep(length);
    let (e1, d1, m1, wall) = (
        cpu_time(engine),
        dashboard.map(cpu_time),
        routed(client),
        t0.elapsed(),
    );
    let percent = |a: Duration, b: Duration| 100.0 * (b - a).as_secs_f64() / wall.as_secs_f64();
    let mut samples = load.probe_samples.lock().unwrap().clone();
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    Window {
        dashboard_cpu: d0.zip(d1).map(|(a, b)| percent(a, b)),
        engine_cpu: percent(e0, e1),
        routed_per_s: (m1 - m0) as f64 / wall.as_secs_f64(),
        probe_p50: at(0.50),
        probe_p99: at(0.99),
    }
}

fn main() {
    let length = Duration::from_secs(seconds());
    let session = Session::new();
    let started = session.midi().args(["service", "start"]).output().unwrap();
    assert!(started.status.success(), "{started:?}");
    let mut client = Client::connect(&session.options()).expect("connect");
    let engine = client.engine_pid();
    let mut names: Vec<String> = (0..PAIRS).map(|i| format!("Load {i:03}")).collect();
    for name in names.iter().chain([&"Probe".to_string()]) {
        client
            .create(&PairSpec {
                names: Some(NameSpec::Root(name.clone())),
                ..Default::default()
            })
            .expect("create pair");
    }
    let load = start_load(&session, &names);
    std::thread::sleep(Duration::from_secs(2)); // let the load settle
    let without = measure(&mut client, &load, engine, None, length);

    session.open_dashboard(120, 40);
    session.wait_for("the dashboard with 101 pairs", |s| s.contains("101 pairs"));
    let dashboard = session.dashboard_pid();
    std::thread::sleep(Duration::from_secs(2)); // past start-up
    let with = measure(&mut client, &load, engine, Some(dashboard), length);
    session.keys(&["q"]);
    assert_eq!(session.wait_for_exit(), "0");
    drop(load);
    names.clear();

    let row = |label: &str, w: &Window| {
        let dashboard = w
            .dashboard_cpu
            .map_or("—".to_string(), |c| format!("{c:.2} %"));
        let engine = format!("{:.1} %", w.engine_cpu);
        let p50 = format!("{:.0} µs", w.probe_p50.as_secs_f64() * 1e6);
        let p99 = format!("{:.0} µs", w.probe_p99.as_secs_f64() * 1e6);
        println!(
            "| {label:<17} | {dashboard:>13} | {engine:>10} | {:>12.0} | {p50:>9} | {p99:>9} |",
            w.routed_per_s
        );
    };
    println!(
        "\n{} s per window, {PAIRS} busy pairs + 1 probe pair",
        length.as_secs()
    );
    println!(
        "| window            | dashboard CPU | engine CPU | routed msg/s | probe p50 | probe p99 |"
    );
    println!(
        "|-------------------|--------------:|-----------:|-------------:|----------:|----------:|"
    );
    row("without dashboard", &without);
    row("with dashboard", &with);
    let cpu = with.dashboard_cpu.unwrap();
    assert!(
        cpu < CPU_BUDGET_PERCENT,
        "the dashboard used {cpu:.2} % of a core; the budget is {CPU_BUDGET_PERCENT} %"
    );
}
