//! mDNS discovery, inside a network namespace this test makes itself (`unshare -n`, the
//! loopback interface up with multicast on), so no multicast datagram can leave the machine:
//! an engine hosts `Studio Bus (A)` on 127.0.0.1, a second engine finds it by that name and
//! connects, and a note sent on the second engine's endpoint arrives at `Studio Bus (B)`
//! and back. The engines live in the namespace; the test reaches them through their Unix
//! sockets, which no network namespace separates.

mod common;

use common::TestHome;
use common::namespace::{a_note_crosses_both_ways, read_json, run_script};

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
    if !run_script(&studio, &remote, script, false) {
        return;
    }
    let found = read_json(&remote, "discover.json");
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
    let connected = read_json(&remote, "connect.json");
    assert_eq!(connected["state"], "up");
    assert_eq!(connected["host"], studio_bus["address"]);

    a_note_crosses_both_ways(&studio, &remote);
}
