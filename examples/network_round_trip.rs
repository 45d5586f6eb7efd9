//! Round trip and throughput through a Network MIDI 2.0 session on the loopback interface,
//! beside a bare UDP echo (the yardstick), each between two processes: this program starts a
//! copy of itself as the echoing side. The figures in `BENCHMARKS.md` come from it.
//!
//! Run: `cargo run --release --example network_round_trip [ROUND_TRIPS] [MESSAGES]`.
//!
//! With `--through-engines [ROUND_TRIPS]` (after `cargo build --release`, which puts `midi`
//! beside this program's directory) it measures the whole path instead: two engines in
//! temporary state roots joined by `midi network host` and `connect`, an application on
//! `Stage (B)` sending one note at a time and one on `Remote (B)` echoing it; beside it, the
//! same through one engine's loopback pair alone.

use midi_loopback::netmidi::packet::Identity;
use midi_loopback::netmidi::session::{ClientConfig, Credentials, HostAuth, HostConfig};
use midi_loopback::netmidi::socket::{Driver, Event, spawn_client, spawn_host};
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A MIDI 1.0 note on (one word), the message every round trip carries.
const NOTE_ON: u32 = 0x2090_3C64;
/// Messages per `send` in the throughput run, and how many may be on their way at once.
const BATCH: usize = 64;
const IN_FLIGHT: u64 = 4096;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--echo-udp") => return echo_udp(),
        Some("--echo-session") => return echo_session(),
        _ => {}
    }
    if args.get(1).map(String::as_str) == Some("--through-engines") {
        let n = args.get(2).map(|a| a.parse()).transpose()?.unwrap_or(5_000);
        return engines::run(n);
    }
    let round_trips: usize = args
        .get(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(20_000);
    let messages: u64 = args
        .get(2)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);

    let (mut child, addr) = start_echo("--echo-udp")?;
    let mut bare = udp_round_trips(addr, round_trips)?;
    bare.sort();
    child.kill()?;
    child.wait()?;

    let (mut child, addr) = start_echo("--echo-session")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (mut session, throughput) = runtime.block_on(session_runs(addr, round_trips, messages))?;
    session.sort();
    child.kill()?;
    child.wait()?;

    report("bare UDP echo", &bare);
    report("Network MIDI session", &session);
    println!(
        "ratio p50 session / bare UDP: {:.2}",
        percentile(&session, 0.5).as_secs_f64() / percentile(&bare, 0.5).as_secs_f64()
    );
    let (sent, back, took) = throughput;
    println!(
        "throughput: {sent} messages out and back in {:.2} s = {:.0} messages/s each way, {} lost",
        took.as_secs_f64(),
        sent as f64 / took.as_secs_f64(),
        sent - back
    );
    Ok(())
}

/// Starts a copy of this program as the echoing side; it prints the port it listens on.
fn start_echo(role: &str) -> Result<(Child, SocketAddr), Box<dyn std::error::Error>> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg(role)
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    Ok((child, line.trim().parse()?))
}

fn echo_udp() -> Result<(), Box<dyn std::error::Error>> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    println!("{}", socket.local_addr()?);
    let mut buf = [0u8; 2048];
    loop {
        let (n, from) = socket.recv_from(&mut buf)?;
        socket.send_to(&buf[..n], from)?;
    }
}

fn udp_round_trips(addr: SocketAddr, n: usize) -> std::io::Result<Vec<Duration>> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.connect(addr)?;
    socket.set_read_timeout(Some(Duration::from_secs(1)))?;
    // A datagram the size of one Network MIDI data datagram with a note and its FEC copies.
    let datagram = [0u8; 32];
    let mut buf = [0u8; 64];
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        socket.send(&datagram)?;
        socket.recv(&mut buf)?;
        times.push(t.elapsed());
    }
    Ok(times)
}

fn echo_session() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let identity = Identity::new("Echo", "echo")?;
        let bind: SocketAddr = "127.0.0.1:0".parse()?;
        let mut host = spawn_host(bind, HostConfig::new(identity, HostAuth::Open)).await?;
        println!("{}", host.local_addr());
        while let Some(event) = host.next_event().await {
            if let Event::Ump { session, words } = event {
                host.send(session, words).await?;
            }
        }
        Ok(())
    })
}

/// Round trips one note at a time, then the throughput run: (times, (sent, back, took)).
async fn session_runs(
    addr: SocketAddr,
    round_trips: usize,
    messages: u64,
) -> Result<(Vec<Duration>, (u64, u64, Duration)), Box<dyn std::error::Error>> {
    let identity = Identity::new("Bench", "bench")?;
    let mut client = spawn_client(addr, ClientConfig::new(identity, Credentials::None)).await?;
    let session = match client.next_event().await {
        Some(Event::Up { session, .. }) => session,
        other => return Err(format!("the session did not come up: {other:?}").into()),
    };
    let mut times = Vec::with_capacity(round_trips);
    for _ in 0..round_trips {
        let t = Instant::now();
        client.send(session, vec![NOTE_ON]).await?;
        let back = next_words(&mut client).await?;
        times.push(t.elapsed());
        if back != [NOTE_ON] {
            return Err(format!("the echo sent back {back:08X?}").into());
        }
    }

    let (mut sent, mut back) = (0u64, 0u64);
    let start = Instant::now();
    while back < messages {
        while sent < messages && sent - back < IN_FLIGHT {
            let n = BATCH.min((messages - sent) as usize);
            client.send(session, vec![NOTE_ON; n]).await?;
            sent += n as u64;
        }
        match tokio::time::timeout(Duration::from_secs(5), next_words(&mut client)).await {
            Ok(words) => back += words?.len() as u64,
            Err(_) => break, // what has not come back in 5 s is lost
        }
    }
    Ok((times, (sent, back, start.elapsed())))
}

async fn next_words(client: &mut Driver) -> Result<Vec<u32>, Box<dyn std::error::Error>> {
    loop {
        match client.next_event().await {
            Some(Event::Ump { words, .. }) => return Ok(words),
            Some(Event::Down { reason, .. }) => {
                return Err(format!("session ended: {reason:?}").into());
            }
            Some(_) => {}
            None => return Err("the client driver stopped".into()),
        }
    }
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Prints the percentiles of `sorted` round-trip times.
fn report(what: &str, sorted: &[Duration]) {
    let us = |q| percentile(sorted, q).as_secs_f64() * 1e6;
    println!(
        "{what}: {} round trips, p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        sorted.len(),
        us(0.5),
        us(0.9),
        us(0.99),
        us(1.0)
    );
}

/// The whole path: applications on two engines joined by a session, and one engine alone.
mod engines {
    use midi_loopback::client::{Client, ClientOptions, EndpointConnection, Received};
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::time::{Duration, Instant};

    type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

    fn midi_binary() -> Fallible<PathBuf> {
        let exe = std::env::current_exe()?;
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .ok_or("no target directory")?;
        Ok(dir.join("midi"))
    }

    fn midi(bin: &Path, home: &Path, args: &[&str]) -> Fallible<String> {
        let out = Command::new(bin)
            .env("MIDI_HOME", home)
            .env("MIDI_NO_ALSA", "1")
            .args(args)
            .output()?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned().into());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn open(bin: &Path, home: &Path, endpoint: &str) -> Fallible<EndpointConnection> {
        let mut options = ClientOptions::from_env(Some(home))?;
        options.engine_program = Some(bin.to_path_buf());
        Ok(Client::connect(&options)?.open_endpoint(endpoint)?)
    }

    /// Echoes everything arriving at `conn` until it closes.
    fn echo(mut conn: EndpointConnection) {
        std::thread::spawn(move || {
            while let Ok(Some(got)) = conn.receive(None) {
                if let Received::Messages(messages) = got {
                    for m in messages {
                        if conn.send(m.words()).is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }

    fn round_trips(conn: &mut EndpointConnection, n: usize) -> Fallible<Vec<Duration>> {
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            conn.send(&[super::NOTE_ON])?;
            loop {
                match conn.receive(Some(Duration::from_secs(5)))? {
                    Some(Received::Messages(m)) if !m.is_empty() => break,
                    Some(_) => {}
                    None => return Err("an echo did not come back within 5 s".into()),
                }
            }
            times.push(t.elapsed());
        }
        times.sort();
        Ok(times)
    }

    fn private_dir() -> Fallible<tempfile::TempDir> {
        use std::os::unix::fs::PermissionsExt;
        Ok(tempfile::Builder::new()
            .prefix("midi-b")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in("/tmp")?)
    }

    pub fn run(n: usize) -> Fallible<()> {
        let bin = midi_binary()?;
        let (stage, remote) = (private_dir()?, private_dir()?);
        let result = measure(&bin, stage.path(), remote.path(), n);
        for home in [stage.path(), remote.path()] {
            let _ = midi(&bin, home, &["service", "stop"]);
        }
        let (alone, joined) = result?;
        super::report("one engine, loopback pair", &alone);
        super::report("two engines, Network MIDI session", &joined);
        Ok(())
    }

    fn measure(
        bin: &Path,
        stage: &Path,
        remote: &Path,
        n: usize,
    ) -> Fallible<(Vec<Duration>, Vec<Duration>)> {
        midi(bin, stage, &["loopback", "create", "--root-name", "Stage"])?;
        midi(bin, stage, &["loopback", "create", "--root-name", "Alone"])?;
        let host = [
            "network",
            "host",
            "Stage (A)",
            "--port",
            "0",
            "--no-advertise",
            "--json",
        ];
        let hosted: serde_json::Value = serde_json::from_str(&midi(bin, stage, &host)?)?;
        let addr = hosted["listen"].as_str().ok_or("no address")?.to_string();
        midi(
            bin,
            remote,
            &["network", "connect", &addr, "--root-name", "Remote"],
        )?;

        echo(open(bin, stage, "Alone (A)")?);
        let mut alone_b = open(bin, stage, "Alone (B)")?;
        let alone = round_trips(&mut alone_b, n)?;

        echo(open(bin, remote, "Remote (B)")?);
        let mut stage_b = open(bin, stage, "Stage (B)")?;
        std::thread::sleep(Duration::from_millis(200)); // the host attaches its session
        let joined = round_trips(&mut stage_b, n)?;
        Ok((alone, joined))
    }
}
