//! Network MIDI 2.0 over real UDP sockets on the loopback interface: a host driver and a
//! client driver in one test, a handshake with a shared secret, notes both ways, and
//! 64 KB of SysEx7 arriving intact; then the same over IPv6.

use midi_loopback::netmidi::packet::Identity;
use midi_loopback::netmidi::session::{
    ClientConfig, Counter, Credentials, DownReason, HostAuth, HostConfig, SessionId,
};
use midi_loopback::netmidi::socket::{Driver, Event, spawn_client, spawn_host};
use std::net::SocketAddr;
use std::time::Duration;

/// A guard against a hang, not a measurement.
const PATIENCE: Duration = Duration::from_secs(20);

async fn event(driver: &mut Driver) -> Event {
    tokio::time::timeout(PATIENCE, driver.next_event())
        .await
        .expect("an event within the patience limit")
        .expect("the driver is still running")
}

async fn up(driver: &mut Driver) -> SessionId {
    match event(driver).await {
        Event::Up { session, .. } => session,
        other => panic!("expected the session to come up, got {other:?}"),
    }
}

/// Collects delivered words until `n` have arrived.
async fn words(driver: &mut Driver, n: usize) -> Vec<u32> {
    let mut got = Vec::new();
    while got.len() < n {
        match event(driver).await {
            Event::Ump { words, .. } => got.extend(words),
            other => panic!("expected UMP, got {other:?}"),
        }
    }
    got
}

/// 65,536 bytes of SysEx7 as UMP: start, continue…, end packets of 6 bytes each.
fn sysex7(len: usize) -> Vec<u32> {
    let data: Vec<u8> = (0..len).map(|i| (i * 7 % 128) as u8).collect();
    let chunks: Vec<&[u8]> = data.chunks(6).collect();
    let mut words = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let status = match (i, i + 1 == chunks.len()) {
            (0, true) => 0,
            (0, false) => 1,
            (_, false) => 2,
            (_, true) => 3,
        };
        let mut b = [0u8; 6];
        b[..chunk.len()].copy_from_slice(chunk);
        words.push(
            0x3000_0000
                | (status << 20)
                | ((chunk.len() as u32) << 16)
                | (u32::from(b[0]) << 8)
                | u32::from(b[1]),
        );
        words.push(u32::from_be_bytes([b[2], b[3], b[4], b[5]]));
    }
    words
}

fn identity(name: &str) -> Identity {
    Identity::new(name, "netmidi-test").unwrap()
}

async fn exchange(bind: SocketAddr) {
    let secret = "a shared secret".to_string();
    let host_config = HostConfig::new(
        identity("Test Host"),
        HostAuth::SharedSecret(secret.clone()),
    );
    let mut host = spawn_host(bind, host_config).await.expect("bind the host");
    let client_config =
        ClientConfig::new(identity("Test Client"), Credentials::SharedSecret(secret));
    let mut client = spawn_client(host.local_addr(), client_config)
        .await
        .expect("bind the client");

    let host_session = up(&mut host).await;
    let client_session = up(&mut client).await;

    let note_on = vec![0x4090_3C00, 0xC000_0000];
    client.send(client_session, note_on.clone()).await.unwrap();
    assert_eq!(words(&mut host, 2).await, note_on);
    let note_off = vec![0x4080_3C00, 0x0000_0000];
    host.send(host_session, note_off.clone()).await.unwrap();
    assert_eq!(words(&mut client, 2).await, note_off);

    let sysex = sysex7(64 * 1024);
    client.send(client_session, sysex.clone()).await.unwrap();
    assert!(
        words(&mut host, sysex.len()).await == sysex,
        "64 KB of SysEx7 arrive intact"
    );
    host.send(host_session, sysex.clone()).await.unwrap();
    assert!(words(&mut client, sysex.len()).await == sysex, "and back");

    let counters = host
        .counters(host_session)
        .await
        .unwrap()
        .expect("session exists");
    assert_eq!(counters.get(Counter::Lost), 0);
    assert_eq!(
        counters.get(Counter::MessagesDelivered),
        1 + sysex.len() as u64 / 2
    );

    client.shutdown().await.unwrap();
    match event(&mut host).await {
        Event::Down {
            reason: DownReason::PeerBye { .. },
            ..
        } => {}
        other => panic!("expected the client's bye, got {other:?}"),
    }
    host.shutdown().await.unwrap();
}

#[tokio::test]
async fn host_and_client_exchange_notes_and_sysex_over_ipv4() {
    exchange("127.0.0.1:0".parse().unwrap()).await;
}

#[tokio::test]
async fn host_and_client_exchange_notes_and_sysex_over_ipv6() {
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("SKIPPED: this machine has no IPv6 loopback (::1); the IPv4 test still runs");
        return;
    }
    exchange("[::1]:0".parse().unwrap()).await;
}

#[tokio::test]
async fn a_wrong_secret_never_gets_a_session() {
    let host_config = HostConfig::new(identity("H"), HostAuth::SharedSecret("right".into()));
    let host = spawn_host("127.0.0.1:0".parse().unwrap(), host_config)
        .await
        .unwrap();
    let client_config = ClientConfig::new(identity("C"), Credentials::SharedSecret("wrong".into()));
    let mut client = spawn_client(host.local_addr(), client_config)
        .await
        .unwrap();
    match event(&mut client).await {
        Event::Down {
            reason: DownReason::AuthenticationRejected,
            ..
        } => {}
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert!(
        client.next_event().await.is_none(),
        "a client driver stops with its session"
    );
    assert_eq!(
        host.counters(SessionId(1)).await.unwrap(),
        None,
        "no session was made"
    );
    host.shutdown().await.unwrap();
}
