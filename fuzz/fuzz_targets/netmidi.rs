//! Network MIDI 2.0 datagrams from the network: parsing never panics; every command that
//! parses can be written back and parses again; and the host state machine, with a session
//! established, survives the datagram from a stranger and from its own peer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use midi_loopback::netmidi::packet::{Command, Identity, encode, parse};
use midi_loopback::netmidi::session::{
    Client, ClientConfig, Credentials, Host, HostAuth, HostConfig, Output,
};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn established(now: Instant) -> (Host, SocketAddr) {
    let id = Identity::new("fuzz", "f").unwrap();
    let host_addr: SocketAddr = "192.0.2.1:5673".parse().unwrap();
    let peer: SocketAddr = "192.0.2.2:4000".parse().unwrap();
    let mut host = Host::new(HostConfig::new(id.clone(), HostAuth::Open));
    let (_client, out) = Client::connect(ClientConfig::new(id, Credentials::None), host_addr, now);
    for o in out {
        if let Output::Transmit { bytes, .. } = o {
            host.handle_datagram(now, peer, &bytes);
        }
    }
    assert_eq!(host.sessions().len(), 1);
    (host, peer)
}

fuzz_target!(|data: &[u8]| {
    if let Ok(commands) = parse(data) {
        let ok: Vec<Command> = commands
            .into_iter()
            .filter_map(Result::ok)
            .filter(|c| !matches!(c, Command::Unknown { .. }))
            .collect();
        let again = parse(&encode(&ok)).expect("our own encoding frames");
        assert_eq!(again.len(), ok.len());
        assert!(again.iter().all(Result::is_ok), "re-encoded commands parse");
    }
    let now = Instant::now();
    let (mut host, peer) = established(now);
    let stranger: SocketAddr = "198.51.100.1:9".parse().unwrap();
    let out = host.handle_datagram(now, stranger, data);
    assert!(!out.iter().any(|o| matches!(o, Output::Deliver { .. })));
    host.handle_datagram(now, peer, data);
    let later = now + Duration::from_secs(1);
    host.poll_timers(later);
});
