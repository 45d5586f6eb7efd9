//! Interoperability with an independent peer: `tests/netmidi/peer.py`, written from the
//! Network MIDI 2.0 specification with the Python standard library only. It joins our host
//! driver as a client, and then acts as a host our client driver joins; both times with a
//! shared secret, and a note goes each way.

use midi_loopback::netmidi::packet::Identity;
use midi_loopback::netmidi::session::{
    ClientConfig, Credentials, DownReason, HostAuth, HostConfig,
};
use midi_loopback::netmidi::socket::{Driver, Event, spawn_client, spawn_host};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::sync::mpsc;

const PATIENCE: Duration = Duration::from_secs(20);
const SECRET: &str = "peer secret";
const NOTE_ON: [u32; 2] = [0x4090_3C00, 0xC000_0000];
const NOTE_OFF: [u32; 2] = [0x4080_3C00, 0x0000_0000];

/// The Python peer, killed and reaped however the test ends.
struct Peer {
    child: Child,
    lines: mpsc::UnboundedReceiver<Value>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python_available() -> bool {
    let found = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!(
            "SKIPPED: python3 is not installed, so the independent Network MIDI peer \
             (tests/netmidi/peer.py) cannot run. Install python3 to run this test."
        );
    }
    found
}

fn hex(words: &[u32]) -> String {
    words
        .iter()
        .map(|w| format!("{w:08x}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn start_peer(args: &[String]) -> Peer {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/netmidi/peer.py");
    let mut child = Command::new("python3")
        .arg(script)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python3");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, lines) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
            if tx.send(value).is_err() {
                break;
            }
        }
    });
    Peer { child, lines }
}

impl Peer {
    /// The next progress line; an error line from the peer fails the test with its reason.
    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(PATIENCE, self.lines.recv())
            .await
            .expect("the peer reports within the patience limit")
            .expect("the peer is still running");
        assert_ne!(
            line["event"], "error",
            "the Python peer found a violation: {line}"
        );
        line
    }

    async fn until(&mut self, event: &str) -> Value {
        loop {
            let line = self.next().await;
            if line["event"] == event {
                return line;
            }
        }
    }

    fn exits_cleanly(mut self) {
        let status = self.child.wait().expect("wait for the peer");
        assert!(status.success(), "the Python peer exited with {status}");
    }
}

fn words_of(line: &Value) -> Vec<u32> {
    line["words"]
        .as_array()
        .expect("words")
        .iter()
        .map(|w| w.as_u64().expect("a word") as u32)
        .collect()
}

async fn event(driver: &mut Driver) -> Event {
    tokio::time::timeout(PATIENCE, driver.next_event())
        .await
        .expect("an event within the patience limit")
        .expect("the driver is running")
}

fn identity(name: &str) -> Identity {
    Identity::new(name, "rust-side").unwrap()
}

#[tokio::test]
async fn the_python_client_joins_our_host_with_a_secret() {
    if !python_available() {
        return;
    }
    let config = HostConfig::new(identity("Rust Host"), HostAuth::SharedSecret(SECRET.into()));
    let mut host = spawn_host("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let port = host.local_addr().port().to_string();
    let mut peer = start_peer(&[
        "client".into(),
        "127.0.0.1".into(),
        port,
        "--secret".into(),
        SECRET.into(),
        "--send".into(),
        hex(&NOTE_ON),
        "--expect".into(),
        "2".into(),
    ]);
    let up = peer.until("up").await;
    assert_eq!(up["host"], "Rust Host");
    let Event::Up {
        session, remote, ..
    } = event(&mut host).await
    else {
        panic!("the session comes up first");
    };
    assert_eq!(remote.endpoint_name(), "Python Client");
    assert_eq!(
        event(&mut host).await,
        Event::Ump {
            session,
            words: NOTE_ON.to_vec()
        }
    );
    host.send(session, NOTE_OFF.to_vec()).await.unwrap();
    assert_eq!(words_of(&peer.until("ump").await), NOTE_OFF);
    assert!(matches!(
        event(&mut host).await,
        Event::Down {
            reason: DownReason::PeerBye { reason: 0x01, .. },
            ..
        }
    ));
    peer.until("done").await;
    peer.exits_cleanly();
    host.shutdown().await.unwrap();
}

#[tokio::test]
async fn our_client_joins_the_python_host_with_a_secret() {
    if !python_available() {
        return;
    }
    let mut peer = start_peer(&[
        "host".into(),
        "--secret".into(),
        SECRET.into(),
        "--send".into(),
        hex(&NOTE_OFF),
        "--expect".into(),
        "2".into(),
    ]);
    let port = peer.until("listening").await["port"]
        .as_u64()
        .expect("a port") as u16;
    let config = ClientConfig::new(
        identity("Rust Client"),
        Credentials::SharedSecret(SECRET.into()),
    );
    let mut client = spawn_client(([127, 0, 0, 1], port).into(), config)
        .await
        .unwrap();
    let Event::Up {
        session, remote, ..
    } = event(&mut client).await
    else {
        panic!("the session comes up first");
    };
    assert_eq!(remote.endpoint_name(), "Python Host");
    assert_eq!(peer.until("invited").await["client"], "Rust Client");
    client.send(session, NOTE_ON.to_vec()).await.unwrap();
    assert_eq!(words_of(&peer.until("ump").await), NOTE_ON);
    assert_eq!(
        event(&mut client).await,
        Event::Ump {
            session,
            words: NOTE_OFF.to_vec()
        }
    );
    client.shutdown().await.unwrap();
    peer.until("done").await;
    peer.exits_cleanly();
}

#[tokio::test]
async fn the_python_client_with_a_wrong_secret_is_challenged_again_and_gets_nothing() {
    if !python_available() {
        return;
    }
    let config = HostConfig::new(identity("Rust Host"), HostAuth::SharedSecret(SECRET.into()));
    let host = spawn_host("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let port = host.local_addr().port().to_string();
    let mut peer = start_peer(&[
        "client".into(),
        "127.0.0.1".into(),
        port,
        "--secret".into(),
        "not the secret".into(),
        "--send".into(),
        hex(&NOTE_ON),
        "--expect".into(),
        "2".into(),
        "--wrong-secret".into(),
    ]);
    peer.until("rejected").await;
    peer.exits_cleanly();
    let id = midi_loopback::netmidi::session::SessionId(1);
    assert_eq!(
        host.counters(id).await.unwrap(),
        None,
        "no session was made"
    );
    host.shutdown().await.unwrap();
}
