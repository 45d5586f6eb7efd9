//! Network MIDI 2.0 over IPv6: an engine hosts `Stage (A)` on `::1`, a second engine joins it
//! with `network connect [::1]:PORT`, and a note crosses both ways; host and connect name
//! what is wrong with an address that is not one, and what would be right.

mod common;

use common::{Outcome, TestHome, attached_clients, wait_until};
use midi_loopback::client::{EndpointConnection, Received};
use std::time::{Duration, Instant};

/// A guard against a hang, not a measurement.
const PATIENCE: Duration = Duration::from_secs(30);

/// `midi ARGS…` in `home`; a host never advertises (no multicast outside a namespace).
fn midi(home: &TestHome, args: &[&str]) -> Outcome {
    common::network_midi(home, &[], args)
}

/// Whether this machine has an IPv6 loopback address to bind (says so when it has not).
fn ipv6_loopback() -> bool {
    match std::net::UdpSocket::bind("[::1]:0") {
        Ok(_) => true,
        Err(e) => {
            eprintln!("SKIPPED: this machine cannot bind [::1] ({e}); IPv6 is off here");
            false
        }
    }
}

fn first_message(conn: &mut EndpointConnection) -> Vec<u32> {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if let Some(Received::Messages(m)) = conn.receive(Some(Duration::from_millis(200))).unwrap()
        {
            return m[0].words().to_vec();
        }
    }
    panic!("nothing arrived");
}

#[test]
fn a_session_over_ipv6_loopback_carries_notes_both_ways() {
    if !ipv6_loopback() {
        return;
    }
    let stage = TestHome::new();
    let remote = TestHome::new();
    midi(&stage, &["loopback", "create", "--root-name", "Stage"]).success();
    let hosted = midi(
        &stage,
        &[
            "network",
            "host",
            "Stage (A)",
            "--bind",
            "::1",
            "--port",
            "0",
            "--json",
        ],
    );
    hosted.success();
    let listen = hosted.json()["listen"].as_str().unwrap().to_string();
    let port = listen
        .strip_prefix("[::1]:")
        .unwrap_or_else(|| panic!("not listening on [::1]: {listen}"));
    assert_ne!(port, "0");

    let connected = midi(
        &remote,
        &[
            "network",
            "connect",
            &listen,
            "--root-name",
            "Remote",
            "--json",
        ],
    );
    connected.success();
    assert_eq!(connected.json()["state"], "up");
    assert_eq!(connected.json()["host"], listen.as_str());
    assert!(wait_until(PATIENCE, || attached_clients(
        &stage,
        "Stage (A)"
    ) == 1));

    let sessions = midi(&stage, &["network", "list", "--json"]);
    sessions.success();
    let peer = sessions.json()["hosts"][0]["sessions"][0]["peer"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(peer.starts_with("[::1]:"), "the peer is {peer}");

    let mut stage_b = stage.client().open_endpoint("Stage (B)").unwrap();
    let mut remote_b = remote.client().open_endpoint("Remote (B)").unwrap();
    remote_b.send(&[0x2090_3C64]).unwrap();
    assert_eq!(first_message(&mut stage_b), vec![0x2090_3C64]);
    stage_b.send(&[0x2080_3C00]).unwrap();
    assert_eq!(first_message(&mut remote_b), vec![0x2080_3C00]);

    let stopped = midi(&remote, &["network", "stop", &listen, "--json"]);
    stopped.success();
    assert_eq!(stopped.json()["clients"][0]["host"], listen.as_str());
}

#[test]
fn addresses_that_are_not_ones_are_refused_with_the_right_form() {
    let home = TestHome::new();
    for (host, wrong) in [
        ("[::1]:99999", "99999"),
        ("[::1]:", "\"\""),
        ("[::g]:5673", "::g"),
        ("[::1", "[::1"),
    ] {
        let out = midi(&home, &["network", "connect", host, "--root-name", "X"]);
        assert_eq!(out.code, 2, "{host}: {out:?}");
        assert!(out.stderr.contains(wrong), "{host}: {}", out.stderr);
        assert!(out.stderr.contains("[::1]:5673"), "{host}: {}", out.stderr);
    }
    for bind in ["[::1]:5673", "::1%lo", "localhost6"] {
        let out = midi(&home, &["network", "host", "Stage (A)", "--bind", bind]);
        assert_eq!(out.code, 2, "{bind}: {out:?}");
        assert!(out.stderr.contains(bind), "{bind}: {}", out.stderr);
        assert!(out.stderr.contains("--port"), "{bind}: {}", out.stderr);
    }
    // A link-local address needs an interface, which --bind cannot name: the error says so
    // and what to give instead.
    let out = midi(
        &home,
        &["network", "host", "Stage (A)", "--bind", "fe80::1"],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("link-local") && out.stderr.contains("use ::"),
        "{}",
        out.stderr
    );
}
