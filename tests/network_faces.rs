//! Network MIDI 2.0 sessions where the pairs are shown: two engines (two state roots) joined
//! on 127.0.0.1, and `loopback list` (text and `--json`) on each names the session on the
//! right endpoint, with its traffic.

mod common;

use common::{Outcome, TestHome, wait_until};
use midi_loopback::core::protocol;
use serde_json::Value;
use std::time::Duration;

/// A guard against a hang, not a measurement.
const PATIENCE: Duration = Duration::from_secs(30);

/// `midi ARGS…` in `home`, without ALSA, mDNS or a secret from the environment.
fn midi(home: &TestHome, args: &[&str]) -> Outcome {
    common::network_midi(home, &[("MIDI_NO_ALSA", "1")], args)
}

/// `loopback list --json`: the pair whose side A is `name`.
fn listed_pair(home: &TestHome, name: &str) -> Value {
    let out = midi(home, &["loopback", "list", "--json"]);
    out.success();
    out.json()
        .as_array()
        .expect("an array of pairs")
        .iter()
        .find(|p| p["endpoint_a"]["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no pair with {name:?} in {}", out.stdout))
}

#[test]
fn loopback_list_names_the_host_and_the_client_session_on_their_endpoints() {
    let stage = TestHome::new();
    let remote = TestHome::new();
    midi(&stage, &["loopback", "create", "--root-name", "Stage"]).success();
    midi(&stage, &["loopback", "create", "--root-name", "Idle"]).success();
    let hosted = midi(
        &stage,
        &["network", "host", "Stage (A)", "--port", "0", "--json"],
    );
    hosted.success();
    let listen = hosted.json()["listen"].as_str().unwrap().to_string();
    midi(
        &remote,
        &["network", "connect", &listen, "--root-name", "Remote"],
    )
    .success();
    // The host counts its remote client once the handshake ends on its side.
    assert!(wait_until(PATIENCE, || {
        listed_pair(&stage, "Stage (A)")["endpoint_a"]["network_presence"]["host"]["remote_clients"]
            == 1
    }));

    let pair = listed_pair(&stage, "Stage (A)");
    let host = &pair["endpoint_a"]["network_presence"]["host"];
    assert_eq!(host["listen"], listen.as_str());
    assert_eq!(host["name"], "Stage (A)");
    assert!(pair["endpoint_b"].get("network_presence").is_none());
    // An endpoint without sessions keeps the shape it always had.
    let idle = listed_pair(&stage, "Idle (A)");
    assert!(idle["endpoint_a"].get("network_presence").is_none());

    let pair = listed_pair(&remote, "Remote (A)");
    let client = &pair["endpoint_a"]["network_presence"]["clients"][0];
    assert_eq!(client["host"], listen.as_str());
    assert_eq!(client["state"], "up");
    assert_eq!(client["remote_name"], "Stage (A)");

    // `endpoint list --json` shows the same endpoints.
    let out = midi(&remote, &["endpoint", "list", "--json"]);
    out.success();
    let endpoints = out.json();
    let remote_a = endpoints
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Remote (A)")
        .unwrap();
    assert_eq!(remote_a["network_presence"]["clients"][0]["state"], "up");

    // Traffic: what Remote (B) sends crosses to the network from Remote (A), and arrives
    // from the network at Stage (A).
    let mut from = remote.client().open_endpoint("Remote (B)").unwrap();
    let mut payload = Vec::new();
    for note in 0..3u32 {
        protocol::put_message(&mut payload, 0, &[0x2090_3C40 | note << 8]);
    }
    from.send_payload(&payload).unwrap();
    from.flush().unwrap();
    assert!(wait_until(PATIENCE, || {
        listed_pair(&stage, "Stage (A)")["endpoint_a"]["network_presence"]["messages_received"] == 3
    }));
    let sent = |home: &TestHome, name: &str| {
        listed_pair(home, name)["endpoint_a"]["network_presence"]["messages_sent"].clone()
    };
    assert!(wait_until(PATIENCE, || sent(&remote, "Remote (A)") == 3));

    // The table names the session on its endpoint, in a pipe and on a wide screen; on 80
    // columns it is cut, and still says what it is.
    let whole = format!("A hosted on {listen}");
    for (columns, named) in [
        (None, whole.as_str()),
        (Some(200), &whole),
        (Some(80), "A hosted"),
    ] {
        let mut cmd = stage.midi();
        cmd.env_remove("COLUMNS").args(["loopback", "list"]);
        if let Some(c) = columns {
            cmd.env("COLUMNS", c.to_string());
        }
        let text = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
        assert!(text.lines().next().unwrap().contains("NETWORK"), "{text}");
        let row = text.lines().find(|l| l.contains("Stage (A)")).unwrap();
        assert!(row.contains(named), "{text}");
        let idle = text.lines().find(|l| l.contains("Idle (A)")).unwrap();
        assert!(!idle.contains("hosted"), "{text}");
        if let Some(c) = columns {
            assert!(text.lines().all(|l| l.chars().count() <= c), "{text}");
        }
    }
    let text = midi(&remote, &["loopback", "list"]).stdout;
    assert!(
        text.contains(&format!("A client of {listen} (up)")),
        "{text}"
    );

    // Once the session ends, the endpoint has no network presence any more.
    midi(&remote, &["network", "stop", "Remote (A)"]).success();
    let pair = listed_pair(&remote, "Remote (A)");
    assert!(
        pair["endpoint_a"].get("network_presence").is_none(),
        "{pair}"
    );
    let text = midi(&remote, &["loopback", "list"]).stdout;
    assert!(!text.contains("NETWORK"), "{text}");
}
