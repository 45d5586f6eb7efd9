//! The mDNS tests' setting: two engines driven by a shell script inside a network namespace
//! the test makes itself (`unshare -n`), whose loopback interface carries multicast, so no
//! multicast datagram can leave the machine. The engines live in the namespace; the test
//! reaches them through their Unix sockets, which no network namespace separates.

use super::{TestHome, wait_until};
use midi_loopback::client::{EndpointConnection, Received};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(30);

/// The loopback interface up with IPv4 multicast routed through it.
const PRELUDE_V4: &str = "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo || exit 97\n";
/// And IPv6: a plain route to a multicast group through the loopback interface becomes a
/// reject route, so the groups get a local one, which delivers to the sockets that joined.
const PRELUDE_V6: &str = "\
[ \"$(cat /proc/sys/net/ipv6/conf/lo/disable_ipv6 2>/dev/null)\" = 0 ] || exit 96
ip -6 route add local ff00::/8 dev lo table local || exit 96
";

/// Runs `script` with sh in a new network namespace, `$MIDI` the binary under test and
/// `$STUDIO` / `$REMOTE` the two state roots, and asserts that it succeeded. False (with a
/// note saying why) where namespaces, or IPv6 in them when `ipv6`, cannot be had.
pub fn run_script(studio: &TestHome, remote: &TestHome, script: &str, ipv6: bool) -> bool {
    let prelude = if ipv6 {
        format!("{PRELUDE_V4}{PRELUDE_V6}")
    } else {
        PRELUDE_V4.to_string()
    };
    let out = Command::new("unshare")
        .args(["-n", "sh", "-c", &format!("{prelude}{script}")])
        .env("MIDI", env!("CARGO_BIN_EXE_midi"))
        .env("STUDIO", studio.path())
        .env("REMOTE", remote.path())
        .output();
    let Ok(out) = out else {
        eprintln!("SKIPPED: unshare cannot be run here");
        return false;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(97) || stderr.contains("unshare failed") {
        eprintln!(
            "SKIPPED: cannot make a network namespace here (unshare -n needs root or user namespaces): {stderr}"
        );
        return false;
    }
    if out.status.code() == Some(96) {
        eprintln!(
            "SKIPPED: IPv6 is off on the loopback interface of a new namespace here: {stderr}"
        );
        return false;
    }
    assert!(out.status.success(), "the script failed: {stderr}");
    true
}

/// A JSON file the script wrote into `home`.
pub fn read_json(home: &TestHome, file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(home.path().join(file)).unwrap()).unwrap()
}

/// A note sent on the remote engine's `Remote (B)` arrives at the studio's `Studio Bus (B)`,
/// and one sent back arrives at `Remote (B)`, once the session is attached to `Studio Bus (A)`.
pub fn a_note_crosses_both_ways(studio: &TestHome, remote: &TestHome) {
    let mut bus_b = studio.client().open_endpoint("Studio Bus (B)").unwrap();
    let mut remote_b = remote.client().open_endpoint("Remote (B)").unwrap();
    let attached = || {
        studio
            .client()
            .list_endpoints()
            .unwrap()
            .iter()
            .any(|e| e.name == "Studio Bus (A)" && e.clients == 1)
    };
    assert!(wait_until(PATIENCE, attached));
    remote_b.send(&[0x2090_3C64]).unwrap();
    assert_eq!(receive(&mut bus_b), vec![0x2090_3C64]);
    bus_b.send(&[0x2080_3C00]).unwrap();
    assert_eq!(receive(&mut remote_b), vec![0x2080_3C00]);
}

fn receive(conn: &mut EndpointConnection) -> Vec<u32> {
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::time::Instant::now() < deadline {
        if let Some(Received::Messages(m)) = conn.receive(Some(Duration::from_millis(200))).unwrap()
        {
            return m[0].words().to_vec();
        }
    }
    panic!("nothing arrived");
}
