//! mDNS discovery, inside a network namespace this test makes itself (`unshare -n`, the
//! loopback interface up with multicast on), so no multicast datagram can leave the machine:
//! an engine hosts `Studio Bus (A)` on 127.0.0.1, a second engine finds it by that name and
//! connects, and a note sent on the second engine's endpoint arrives at `Studio Bus (B)`
//! and back. The engines live in the namespace; the test reaches them through their Unix
//! sockets, which no network namespace separates.

mod common;

use common::{TestHome, wait_until};
use midi_loopback::client::Received;
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(30);

/// Runs `script` with sh inside a new network namespace whose loopback carries multicast;
/// `None` (with a note saying why) where namespaces cannot be made.
fn in_namespace(script: &str, env: &[(&str, &str)]) -> Option<std::process::Output> {
    let prelude = "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo || exit 97\n";
    let mut cmd = Command::new("unshare");
    cmd.args(["-n", "sh", "-c", &format!("{prelude}{script}")]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().ok()?;
    if out.status.code() == Some(97)
        || String::from_utf8_lossy(&out.stderr).contains("unshare failed")
    {
        eprintln!(
            "SKIPPED: cannot make a network namespace here (unshare -n needs root or user namespaces): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    Some(out)
}

#[test]
fn a_host_is_found_by_name_over_mdns_and_a_note_crosses() {
    let studio = TestHome::new();
    let remote = TestHome::new();
    let script = r#"
set -e
export MIDI_NO_ALSA=1 NO_COLOR=1
MIDI_HOME="$STUDIO" "$MIDI" loopback create --root-name "Studio Bus" >/dev/null
MIDI_HOME="$STUDIO" "$MIDI" network host "Studio Bus (A)" --port 0 >/dev/null
MIDI_HOME="$REMOTE" "$MIDI" network discover --interface 127.0.0.1 --json > "$REMOTE/discover.json"
MIDI_HOME="$REMOTE" "$MIDI" network connect --discover "studio bus (a)" --interface 127.0.0.1 --root-name Remote --json > "$REMOTE/connect.json"
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
    let found = read("discover.json");
    let studio_bus = found
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "Studio Bus (A)")
        .unwrap_or_else(|| panic!("not discovered: {found}"));
    assert!(
        studio_bus["address"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    let connected = read("connect.json");
    assert_eq!(connected["state"], "up");
    assert_eq!(connected["host"], studio_bus["address"]);

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
    let receive = |conn: &mut midi_loopback::client::EndpointConnection| {
        let deadline = std::time::Instant::now() + PATIENCE;
        while std::time::Instant::now() < deadline {
            if let Some(Received::Messages(m)) =
                conn.receive(Some(Duration::from_millis(200))).unwrap()
            {
                return m[0].words().to_vec();
            }
        }
        panic!("nothing arrived");
    };
    remote_b.send(&[0x2090_3C64]).unwrap();
    assert_eq!(receive(&mut bus_b), vec![0x2090_3C64]);
    bus_b.send(&[0x2080_3C00]).unwrap();
    assert_eq!(receive(&mut remote_b), vec![0x2080_3C00]);
}
