//! mDNS discovery over IPv6, inside a network namespace this test makes itself (`unshare -n`,
//! the loopback interface up with multicast on and a local route for the IPv6 multicast
//! groups, so no multicast datagram can leave the machine): an engine hosts `Studio Bus (A)`
//! on `::1`, a second engine finds it with `network discover` at an IPv6 address and joins
//! it with `connect --discover`, and a note crosses both ways. A host on 127.0.0.1 beside it
//! stays in IPv4: asked over IPv6 alone, it does not answer, while one on `::` does.

mod common;

use common::{TestHome, wait_until};
use midi_loopback::client::{EndpointConnection, Received};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(30);

/// The loopback interface with multicast in both families. IPv6 refuses a plain route to a
/// multicast group through the loopback interface (it becomes a reject route), so the
/// groups get a local one, which delivers to the sockets that joined them on it.
const PRELUDE: &str = "\
ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo || exit 97
[ \"$(cat /proc/sys/net/ipv6/conf/lo/disable_ipv6 2>/dev/null)\" = 0 ] || exit 96
ip -6 route add local ff00::/8 dev lo table local || exit 96
";

/// Runs `script` with sh inside a new network namespace whose loopback carries multicast;
/// `None` (with a note saying why) where namespaces or IPv6 on them cannot be had.
fn in_namespace(script: &str, env: &[(&str, &str)]) -> Option<std::process::Output> {
    let mut cmd = Command::new("unshare");
    cmd.args(["-n", "sh", "-c", &format!("{PRELUDE}{script}")]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(97) || stderr.contains("unshare failed") {
        eprintln!(
            "SKIPPED: cannot make a network namespace here (unshare -n needs root or user namespaces): {stderr}"
        );
        return None;
    }
    if out.status.code() == Some(96) {
        eprintln!(
            "SKIPPED: IPv6 is off on the loopback interface of a new namespace here: {stderr}"
        );
        return None;
    }
    Some(out)
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

#[test]
fn a_host_on_ipv6_loopback_is_found_over_mdns_and_a_note_crosses() {
    let studio = TestHome::new();
    let remote = TestHome::new();
    let script = r#"
set -e
export MIDI_NO_ALSA=1 NO_COLOR=1
MIDI_HOME="$STUDIO" "$MIDI" loopback create --root-name "Studio Bus" >/dev/null
MIDI_HOME="$STUDIO" "$MIDI" loopback create --root-name "Four" >/dev/null
MIDI_HOME="$STUDIO" "$MIDI" loopback create --root-name "Every" >/dev/null
MIDI_HOME="$STUDIO" "$MIDI" network host "Studio Bus (A)" --bind ::1 --port 0 >/dev/null
MIDI_HOME="$STUDIO" "$MIDI" network host "Four (A)" --bind 127.0.0.1 --port 0 >/dev/null
MIDI_HOME="$STUDIO" "$MIDI" network host "Every (A)" --bind :: --port 0 2>/dev/null >/dev/null
MIDI_HOME="$REMOTE" "$MIDI" network discover --json > "$REMOTE/both.json"
MIDI_HOME="$REMOTE" "$MIDI" network discover --interface ::1 --json > "$REMOTE/six.json"
MIDI_HOME="$REMOTE" "$MIDI" network connect --discover "studio bus (a)" --root-name Remote --json > "$REMOTE/connect.json"
"#;
    let (s, r) = (
        studio.path().to_str().unwrap(),
        remote.path().to_str().unwrap(),
    );
    let env = [
        ("MIDI", env!("CARGO_BIN_EXE_midi")),
        ("STUDIO", s),
        ("REMOTE", r),
    ];
    let Some(out) = in_namespace(script, &env) else {
        return;
    };
    assert!(
        out.status.success(),
        "the script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |file: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(remote.path().join(file)).unwrap()).unwrap()
    };
    let named = |found: &Value, name: &str| -> Vec<String> {
        found
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["name"] == name)
            .map(|h| h["address"].as_str().unwrap().to_string())
            .collect()
    };
    // Asked in both families: the IPv6 host at its IPv6 address alone, the IPv4 one at its
    // IPv4 address alone.
    let both = read("both.json");
    let studio_bus = named(&both, "Studio Bus (A)");
    assert_eq!(studio_bus.len(), 1, "{both}");
    assert!(studio_bus[0].starts_with("[::1]:"), "{both}");
    let four = named(&both, "Four (A)");
    assert_eq!(four.len(), 1, "{both}");
    assert!(four[0].starts_with("127.0.0.1:"), "{both}");
    // Asked over IPv6 alone: the IPv4 host does not answer.
    let six = read("six.json");
    assert_eq!(named(&six, "Studio Bus (A)"), studio_bus, "{six}");
    assert!(named(&six, "Four (A)").is_empty(), "{six}");
    // A host on `::` is in the IPv6 group on every interface, the loopback one here.
    let every = named(&six, "Every (A)");
    assert_eq!(every.len(), 1, "{six}");
    assert!(every[0].starts_with("[::1]:"), "{six}");

    let connected = read("connect.json");
    assert_eq!(connected["state"], "up");
    assert_eq!(connected["host"], studio_bus[0].as_str());

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
