//! mDNS discovery over IPv6, inside a network namespace this test makes itself (`unshare -n`,
//! the loopback interface up with multicast on and a local route for the IPv6 multicast
//! groups, so no multicast datagram can leave the machine): an engine hosts `Studio Bus (A)`
//! on `::1`, a second engine finds it with `network discover` at an IPv6 address and joins
//! it with `connect --discover`, and a note crosses both ways. A host on 127.0.0.1 beside it
//! stays in IPv4: asked over IPv6 alone, it does not answer, while one on `::` does.

mod common;

use common::TestHome;
use common::namespace::{a_note_crosses_both_ways, read_json, run_script};
use serde_json::Value;

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
    if !run_script(&studio, &remote, script, true) {
        return;
    }
    let read = |file: &str| read_json(&remote, file);
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

    a_note_crosses_both_ways(&studio, &remote);
}
