//! What `service status` says of the ALSA bridge on a machine without a sequencer, and each
//! way of switching it off. Runs everywhere: the device is one that does not exist, so no
//! port reaches a desktop session even where `/dev/snd/seq` does.

mod common;

use common::TestHome;
use serde_json::Value;
use std::process::{Child, Command, Stdio};

/// `midi` for `home` with the bridge left on, pointed at a sequencer that does not exist.
fn midi(home: &TestHome) -> assert_cmd::Command {
    let mut cmd = home.midi();
    cmd.env_remove("MIDI_NO_ALSA")
        .env("MIDI_ALSA_DEVICE", home.path().join("no-sequencer"));
    cmd
}

/// The running engine's `alsa` status and the line `service status` prints for it.
fn alsa_status(home: &TestHome) -> (Value, String) {
    let json = home
        .midi()
        .args(["service", "status", "--json"])
        .output()
        .unwrap();
    assert!(json.status.success(), "{json:?}");
    let status: Value = serde_json::from_slice(&json.stdout).unwrap();
    let text = home.midi().args(["service", "status"]).output().unwrap();
    let line = String::from_utf8_lossy(&text.stdout)
        .lines()
        .find(|l| l.contains("ALSA sequencer"))
        .unwrap_or_else(|| panic!("no ALSA line in {text:?}"))
        .to_string();
    (status["alsa"].clone(), line)
}

#[test]
fn without_a_sequencer_the_engine_runs_and_says_unavailable() {
    let home = TestHome::new();
    midi(&home)
        .args(["loopback", "create", "--root-name", "Studio Bus"])
        .assert()
        .success();
    let (alsa, line) = alsa_status(&home);
    assert_eq!(alsa["state"], "unavailable", "{alsa}");
    assert!(line.contains("unavailable: no ALSA sequencer at"), "{line}");
    assert!(line.contains("modprobe snd-seq"), "{line}");
    // The pair works as ever, and no endpoint claims an ALSA address.
    let list = home
        .midi()
        .args(["loopback", "list", "--json"])
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert!(
        list[0]["endpoint_a"].get("alsa").is_none()
            && list[0]["endpoint_a"]["name"] == "Studio Bus (A)",
        "{list}"
    );
}

#[test]
fn midi_no_alsa_switches_the_bridge_off() {
    let home = TestHome::new();
    midi(&home)
        .env("MIDI_NO_ALSA", "1")
        .args(["service", "start"])
        .assert()
        .success();
    let (alsa, line) = alsa_status(&home);
    assert_eq!(alsa["state"], "off", "{alsa}");
    assert!(line.contains("off (MIDI_NO_ALSA is set)"), "{line}");
}

#[test]
fn the_configuration_file_switches_the_bridge_off() {
    let home = TestHome::new();
    std::fs::write(
        home.path().join("midi.midiconfig.json"),
        r#"{"endpointTransportPluginSettings": {"{942BF02D-93C0-4EA8-B03E-D51156CA75E1}": {"alsaSequencer": false, "create": {}}}}"#,
    )
    .unwrap();
    midi(&home).args(["service", "start"]).assert().success();
    let (alsa, line) = alsa_status(&home);
    assert_eq!(alsa["state"], "off", "{alsa}");
    assert!(line.contains(r#""alsaSequencer": false in"#), "{line}");
}

/// The engine in the foreground, stopped when the test ends.
struct Foreground(Child);

impl Drop for Foreground {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn service_run_no_alsa_switches_the_bridge_off() {
    let home = TestHome::new();
    let _engine = Foreground(
        Command::new(env!("CARGO_BIN_EXE_midi"))
            .args(["service", "run", "--no-alsa"])
            .env("MIDI_HOME", home.path())
            .env_remove("MIDI_NO_ALSA")
            .env("MIDI_ALSA_DEVICE", home.path().join("no-sequencer"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Wait for it without starting another: a command that finds no engine fails (exit 3).
    let mut tries = 0;
    while !home
        .midi()
        .env("MIDI_NO_AUTOSTART", "1")
        .args(["service", "ping", "--count", "1"])
        .output()
        .unwrap()
        .status
        .success()
    {
        tries += 1;
        assert!(tries < 500, "the engine never answered");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let (alsa, line) = alsa_status(&home);
    assert_eq!(alsa["state"], "off", "{alsa}");
    assert!(line.contains("off (--no-alsa)"), "{line}");
}
