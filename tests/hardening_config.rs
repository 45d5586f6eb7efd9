//! The configuration file and the names, attacked from outside (issue 11): a rewrite keeps
//! every part the product does not own as the same text and refuses — never destroys — a part
//! it cannot edit safely; a file that is a symbolic link, a FIFO or starts with a byte-order
//! mark; temporary files no two writers share; names that differ only in invisible,
//! compatibility or lookalike characters, or hide a bidirectional control; a runtime
//! directory someone else made first; removing a transient pair while the file is broken.
//!
//! Everything runs the real `midi` binary on a temporary `MIDI_HOME` (or a temporary `HOME`
//! and `TMPDIR` for the default paths) and looks at the files on disk.

mod common;

use common::TestHome;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

const GUID: &str = "7af38a08-0f4b-43ad-b218-1757496f0034";
const GUID_KEY: &str = "{7AF38A08-0F4B-43AD-B218-1757496F0034}";
const LOOP_KEY: &str = "{942BF02D-93C0-4EA8-B03E-D51156CA75E1}";

/// A file holding one valid pair (`Hand (A)`/`Hand (B)`), with `top` spliced in at the top
/// level and `create_extra` inside the `create` section.
fn file_with(top: &str, create_extra: &str) -> String {
    format!(
        r#"{{
  "header": {{ "product": "midi", "fileVersion": 1 }},{top}
  "endpointTransportPluginSettings": {{
    "{LOOP_KEY}": {{
      "create": {{{create_extra}
        "{GUID_KEY}": {{
          "endpointA": {{ "name": "Hand (A)", "description": "", "uniqueIdentifier": "hand1" }},
          "endpointB": {{ "name": "Hand (B)", "description": "", "uniqueIdentifier": "hand1" }},
          "muted": false
        }}
      }}
    }}
  }}
}}
"#
    )
}

/// `line L, column C` of the `n`th occurrence of `needle` in `text` (columns in bytes).
fn place(text: &str, needle: &str, n: usize) -> String {
    let offset = text.match_indices(needle).nth(n).expect("needle present").0;
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    format!(
        "line {}, column {}",
        before.matches('\n').count() + 1,
        offset - line_start + 1
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// ---- Item 3: a rewrite changes only what the product owns ----

#[test]
fn numbers_and_strings_the_product_does_not_own_keep_their_text_through_rewrites() {
    let home = TestHome::new();
    let extras = "\n  \"big\": 123456789012345678901234567890,\n  \"decimals\": [1.10, 2.500],\n  \"exponents\": [1e2, 6.02E+23, 1e-7],\n  \"zero\": -0,\n  \"escaped\": \"caf\\u00e9 \\/ done\",";
    let text = file_with(extras, "");
    std::fs::write(home.config_file(), &text).unwrap();
    assert_eq!(home.list_json().len(), 1);

    // Three kinds of rewrite: a new pair, a change to the hand-written pair, a removal.
    home.create("Fresh", &["--persistent"]);
    let out = home.exec(&["loopback", "mute", "-i", GUID]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = home.exec(&["loopback", "remove", "-r", "Fresh"]);
    assert!(out.code == 0 || out.code == 2, "{}", out.stderr);

    let written = read(&home.config_file());
    for kept in [
        "123456789012345678901234567890",
        "1.10",
        "2.500",
        "1e2",
        "6.02E+23",
        "1e-7",
        "\"zero\": -0,",
        r#""caf\u00e9 \/ done""#,
    ] {
        assert!(written.contains(kept), "{kept} was changed:\n{written}");
    }
    assert!(written.contains("\"muted\": true"), "{written}");
}

#[test]
fn duplicate_keys_in_an_entry_skip_it_naming_both_places_and_both_stay() {
    let home = TestHome::new();
    let twin = r#"
        "{11111111-2222-4333-8444-555555555555}": {
          "endpointA": { "name": "First (A)", "name": "Second (A)", "uniqueIdentifier": "twin1" },
          "endpointB": { "name": "Twin (B)", "uniqueIdentifier": "twin1" }
        },"#;
    let text = file_with("", twin);
    std::fs::write(home.config_file(), &text).unwrap();

    let pairs = home.list_json();
    assert_eq!(
        pairs.len(),
        1,
        "the ambiguous entry must not load: {pairs:?}"
    );
    let log = home.log_text();
    let (first, second) = (place(&text, "\"name\"", 0), place(&text, "\"name\"", 1));
    assert!(
        log.contains("11111111-2222-4333-8444-555555555555")
            && log.contains(&first)
            && log.contains(&second),
        "the log should name the entry and both places ({first}, {second}):\n{log}"
    );

    home.create("Fresh", &["--persistent"]);
    let written = read(&home.config_file());
    for kept in ["\"First (A)\"", "\"Second (A)\""] {
        assert!(written.contains(kept), "{kept} lost:\n{written}");
    }
}

#[test]
fn duplicate_keys_on_the_way_to_the_pairs_start_the_engine_but_refuse_persistent_changes() {
    let home = TestHome::new();
    let text = file_with("", "").replacen(
        "\"header\"",
        "\"endpointTransportPluginSettings\": { \"x\": 1 },\n  \"header\"",
        1,
    );
    std::fs::write(home.config_file(), &text).unwrap();
    let (first, second) = (
        place(&text, "\"endpointTransportPluginSettings\"", 0),
        place(&text, "\"endpointTransportPluginSettings\"", 1),
    );

    // The engine starts and serves transient pairs; it loads nothing from the ambiguous file.
    assert!(home.list_json().is_empty());
    home.create("Passing", &[]);
    let out = home.exec(&["loopback", "create", "-r", "Kept", "--persistent"]);
    assert_ne!(out.code, 0, "a persistent change must be refused");
    let path = home.config_file().display().to_string();
    for needle in [
        path.as_str(),
        "endpointTransportPluginSettings",
        &first,
        &second,
    ] {
        assert!(
            out.stderr.contains(needle),
            "{needle} not named:\n{}",
            out.stderr
        );
    }
    assert_eq!(
        read(&home.config_file()),
        text,
        "the file is left untouched"
    );
    assert!(home.log_text().contains(&second), "{}", home.log_text());
}

#[test]
fn a_value_that_is_not_an_object_where_one_is_needed_is_never_replaced() {
    for (text, where_) in [
        (
            file_with("", "").replace(
                &format!("\"{LOOP_KEY}\": {{\n      \"create\": {{"),
                &format!("\"{LOOP_KEY}\": {{\n      \"create\": \"see the wiki\", \"x\": {{"),
            ),
            format!("endpointTransportPluginSettings/{LOOP_KEY}/create"),
        ),
        (
            r#"{ "endpointTransportPluginSettings": ["a", "list", 1.50] }"#.to_string(),
            "endpointTransportPluginSettings".to_string(),
        ),
    ] {
        let home = TestHome::new();
        std::fs::write(home.config_file(), &text).unwrap();
        assert!(home.list_json().is_empty());
        home.create("Passing", &[]);
        let out = home.exec(&["loopback", "create", "-r", "Kept", "--persistent"]);
        assert_ne!(out.code, 0, "{text}");
        assert!(
            out.stderr.contains(&where_) && out.stderr.contains("not an object"),
            "{where_}:\n{}",
            out.stderr
        );
        assert_eq!(
            read(&home.config_file()),
            text,
            "the file is left untouched"
        );
    }
}

#[test]
fn an_entry_the_product_did_not_write_is_never_overwritten_by_a_new_pair() {
    let home = TestHome::new();
    let note = "\n        \"11111111-2222-4333-8444-555555555555\": \"reserved for the studio\",";
    let text = file_with("", note);
    std::fs::write(home.config_file(), &text).unwrap();
    let out = home.exec(&[
        "loopback",
        "create",
        "-r",
        "Taken",
        "-i",
        "11111111-2222-4333-8444-555555555555",
        "--persistent",
    ]);
    assert_ne!(out.code, 0, "the note would be destroyed");
    assert!(
        out.stderr.contains("11111111-2222-4333-8444-555555555555")
            && out.stderr.contains(&place(&text, "\"11111111", 0)),
        "{}",
        out.stderr
    );
    assert_eq!(read(&home.config_file()), text);
}

// ---- Item 4: links, FIFOs, byte-order marks, temporary files ----

/// A directory outside the state root, as a dotfiles repository would be.
fn dotfiles(mode: u32) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("midi-dots")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    dir
}

#[test]
fn a_file_that_is_a_symbolic_link_is_written_through_and_stays_a_link() {
    let home = TestHome::new();
    let dots = dotfiles(0o755);
    let target = dots.path().join("midi.json");
    std::fs::write(&target, file_with("", "")).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::os::unix::fs::symlink(&target, home.config_file()).unwrap();

    assert_eq!(home.list_json().len(), 1);
    home.create("Linked", &["--persistent"]);
    let meta = std::fs::symlink_metadata(home.config_file()).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    assert_eq!(std::fs::read_link(home.config_file()).unwrap(), target);
    let written = read(&target);
    assert!(
        written.contains("Linked (A)") && written.contains("Hand (A)"),
        "{written}"
    );
    assert_eq!(mode(&target), 0o600, "the target is for its owner only");
    let leftovers: Vec<PathBuf> = std::fs::read_dir(dots.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p != &target)
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A relative link works the same way.
    let home = TestHome::new();
    let target = home.path().join("real.json");
    std::fs::write(&target, file_with("", "")).unwrap();
    std::os::unix::fs::symlink("real.json", home.config_file()).unwrap();
    home.create("Relative", &["--persistent"]);
    assert!(
        std::fs::symlink_metadata(home.config_file())
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(read(&target).contains("Relative (A)"));
}

#[test]
fn a_link_into_a_directory_others_can_write_is_refused_naming_the_target() {
    let home = TestHome::new();
    let dots = dotfiles(0o777);
    let target = dots.path().join("midi.json");
    let text = file_with("", "");
    std::fs::write(&target, &text).unwrap();
    std::os::unix::fs::symlink(&target, home.config_file()).unwrap();

    assert_eq!(home.list_json().len(), 1, "reading it is fine");
    let out = home.exec(&["loopback", "create", "-r", "Nope", "--persistent"]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains(&target.display().to_string()) && out.stderr.contains("0777"),
        "{}",
        out.stderr
    );
    assert!(
        std::fs::symlink_metadata(home.config_file())
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(read(&target), text);
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_fifo_is_refused_at_start_and_never_hangs_the_engine() {
    let home = TestHome::new();
    mkfifo(&home.config_file());
    let out = home
        .midi()
        .args(["service", "start"])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&home.config_file().display().to_string()) && stderr.contains("FIFO"),
        "{stderr}"
    );
    assert!(
        common::live_engine_pids(home.path()).is_empty(),
        "no engine is left hanging"
    );
}

#[test]
fn a_file_turned_into_a_fifo_while_the_engine_runs_is_refused_and_the_engine_serves_on() {
    let home = TestHome::new();
    home.create("Stored", &["-i", GUID, "--persistent"]);
    std::fs::remove_file(home.config_file()).unwrap();
    mkfifo(&home.config_file());
    let out = home
        .midi()
        .args(["loopback", "create", "-r", "Another", "--persistent"])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("FIFO"), "{stderr}");
    assert_eq!(home.list_json().len(), 1, "the engine still answers");
    assert!(
        std::fs::symlink_metadata(home.config_file())
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

use std::os::unix::fs::FileTypeExt;

#[test]
fn a_byte_order_mark_is_accepted_and_kept() {
    let home = TestHome::new();
    let text = format!("\u{FEFF}{}", file_with("", ""));
    std::fs::write(home.config_file(), &text).unwrap();
    let pairs = home.list_json();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0]["endpoint_a"]["name"], "Hand (A)");
    home.create("Fresh", &["--persistent"]);
    let written = read(&home.config_file());
    assert!(written.starts_with('\u{FEFF}'), "the mark is kept");
    assert!(written.contains("Fresh (A)") && written.contains("Hand (A)"));
}

#[test]
fn a_temporary_file_of_another_writer_is_never_reused() {
    // Another writer's temporary file under the name every write once used: a write must go
    // through a name of its own, never open (or follow) that one.
    let home = TestHome::new();
    home.create("First", &["--persistent"]);
    let theirs = home.path().join(".midi.midiconfig.json.tmp");
    std::fs::create_dir(&theirs).unwrap();
    let victim = home.path().join("victim");
    std::fs::write(&victim, "keep me").unwrap();
    let theirs_link = home.path().join(".midi.midiconfig.json.tmp.link");
    std::os::unix::fs::symlink(&victim, &theirs_link).unwrap();

    home.create("Second", &["--persistent"]);
    let written = read(&home.config_file());
    assert!(written.contains("First (A)") && written.contains("Second (A)"));
    assert!(theirs.is_dir(), "the other writer's file is left alone");
    assert_eq!(read(&victim), "keep me");
}

#[test]
fn leftover_temporary_files_of_every_writer_are_cleared_at_start() {
    let home = TestHome::new();
    std::fs::write(home.config_file(), file_with("", "")).unwrap();
    let leftovers = [
        home.path().join(".midi.midiconfig.json.tmp"),
        home.path().join(".midi.midiconfig.json.a1B2c3.tmp"),
    ];
    for path in &leftovers {
        std::fs::write(path, "{ \"torn\": ").unwrap();
    }
    assert_eq!(home.list_json().len(), 1);
    for path in &leftovers {
        assert!(!path.exists(), "{} was left", path.display());
    }
}

// ---- Item 12: names a person could not tell apart ----

#[test]
fn names_that_differ_only_in_invisible_width_or_lookalike_characters_are_refused() {
    let home = TestHome::new();
    home.create("Piano", &[]);
    for (twin, why) in [
        ("Pi\u{200B}ano", "a zero-width space"),
        ("\u{FEFF}Piano", "a byte-order mark"),
        ("Pi\u{0430}no", "a Cyrillic a"),
        (
            "\u{FF30}\u{FF49}\u{FF41}\u{FF4E}\u{FF4F}",
            "full-width letters",
        ),
        ("PIANO", "another case"),
    ] {
        let out = home.exec(&["loopback", "create", "--root-name", twin]);
        assert_eq!(out.code, 5, "{why}: {}", out.stderr);
        assert!(out.stderr.contains("Piano (A)"), "{why}: {}", out.stderr);
    }
    assert_eq!(home.list_json().len(), 1);
    // An ordinary other name is still fine.
    home.create("Piano 2", &[]);
}

#[test]
fn a_name_of_only_invisible_characters_is_refused() {
    let home = TestHome::new();
    let out = home.exec(&[
        "loopback",
        "create",
        "--name-a",
        "\u{200B}\u{200B}",
        "--name-b",
        "Visible",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("name A") && out.stderr.contains("U+200B"),
        "{}",
        out.stderr
    );
    assert!(home.list_json().is_empty());
}

#[test]
fn a_bidirectional_control_in_a_name_is_refused_before_it_can_reorder_a_row() {
    let home = TestHome::new();
    let out = home.exec(&["loopback", "create", "--root-name", "Evil\u{202E}lanigiro"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("U+202E"), "{}", out.stderr);
    let out = home.exec(&["loopback", "list"]);
    assert!(!out.stdout.contains('\u{202E}'), "{}", out.stdout);
    assert!(home.list_json().is_empty());
}

#[test]
fn pairs_in_a_file_that_clash_under_these_rules_are_skipped_with_a_reason_and_kept() {
    let home = TestHome::new();
    let entry = |id: &str, a: &str, b: &str, unique: &str| {
        format!(
            "\n        \"{{{id}}}\": {{ \"endpointA\": {{ \"name\": \"{a}\", \"uniqueIdentifier\": \"{unique}\" }}, \"endpointB\": {{ \"name\": \"{b}\", \"uniqueIdentifier\": \"{unique}\" }} }},"
        )
    };
    let extra = [
        entry(
            "11111111-2222-4333-8444-555555555555",
            "Ha\\u200bnd (A)",
            "Other (B)",
            "zw1",
        ),
        entry(
            "22222222-2222-4333-8444-555555555555",
            "\\u200b\\u2060",
            "Blank (B)",
            "blank1",
        ),
        entry(
            "33333333-2222-4333-8444-555555555555",
            "Evil\\u202elanigiro",
            "Fine (B)",
            "rlo1",
        ),
    ]
    .concat();
    // The hand-written pair comes after its invisible twin, so it is the one skipped.
    let text = file_with("", &extra);
    std::fs::write(home.config_file(), &text).unwrap();

    let names: Vec<String> = home
        .list_json()
        .iter()
        .map(|p| p["endpoint_a"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        vec!["Ha\u{200B}nd (A)"],
        "the first of the twins loads"
    );
    let log = home.log_text();
    for (key, reason) in [
        (GUID_KEY, "looks the same as"),
        ("22222222-2222-4333-8444-555555555555", "nothing visible"),
        ("33333333-2222-4333-8444-555555555555", "U+202E"),
    ] {
        let line = log
            .lines()
            .find(|l| l.contains(key) && l.contains("skipped"))
            .unwrap_or_else(|| panic!("{key} not reported:\n{log}"));
        assert!(line.contains(reason), "{key}: {line}");
    }
    home.create("Fresh", &["--persistent"]);
    let written = read(&home.config_file());
    for kept in [
        "Ha\\u200bnd (A)",
        "\\u200b\\u2060",
        "Evil\\u202elanigiro",
        "Hand (A)",
    ] {
        assert!(written.contains(kept), "{kept} lost:\n{written}");
    }
}

// ---- A runtime directory someone else made first ----

/// `midi` with the default paths under a temporary `HOME` and `TMPDIR`, no `XDG_*` set.
struct DefaultPaths {
    root: tempfile::TempDir,
}

impl DefaultPaths {
    fn new() -> DefaultPaths {
        let root = tempfile::Builder::new()
            .prefix("midi-d")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::create_dir(root.path().join("home")).unwrap();
        std::fs::create_dir(root.path().join("tmp")).unwrap();
        std::fs::set_permissions(
            root.path().join("tmp"),
            std::fs::Permissions::from_mode(0o1777),
        )
        .unwrap();
        DefaultPaths { root }
    }

    /// Where `/tmp/midi-$UID` is for this test.
    fn shared_runtime(&self) -> PathBuf {
        let uid = std::fs::metadata("/proc/self").unwrap().uid();
        self.root.path().join("tmp").join(format!("midi-{uid}"))
    }

    fn own_runtime(&self) -> PathBuf {
        self.root.path().join("home/.local/state/midi/runtime")
    }

    fn midi(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_midi"));
        cmd.env("MIDI_NO_ALSA", "1");
        for var in [
            "MIDI_HOME",
            "MIDI_NO_AUTOSTART",
            "XDG_RUNTIME_DIR",
            "XDG_CONFIG_HOME",
            "XDG_STATE_HOME",
            "XDG_CACHE_HOME",
            "XDG_DATA_HOME",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.root.path().join("home"))
            .env("TMPDIR", self.root.path().join("tmp"))
            .env("NO_COLOR", "1")
            .timeout(Duration::from_secs(60));
        cmd
    }
}

impl Drop for DefaultPaths {
    fn drop(&mut self) {
        let _ = self.midi().args(["service", "stop"]).output();
        for runtime in [self.own_runtime(), self.shared_runtime()] {
            let pid = std::fs::read_to_string(runtime.join("engine.lock"))
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok());
            if let Some(pid) = pid.filter(|p| common::process_is_live(*p)) {
                // SAFETY: kill has no memory effects; the pid is the engine this test started.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
        }
    }
}

#[test]
fn a_runtime_directory_someone_else_made_first_is_no_lockout() {
    for (owner, dir_mode, problem) in [
        (Some(65534), 0o700, "owned by uid 65534"),
        (None, 0o777, "mode is 0777"),
    ] {
        let env = DefaultPaths::new();
        let planted = env.shared_runtime();
        std::fs::create_dir(&planted).unwrap();
        std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(dir_mode)).unwrap();
        if let Some(uid) = owner
            && let Err(e) = std::os::unix::fs::chown(&planted, Some(uid), Some(uid))
        {
            // Only root can give a directory away; CI runs as root.
            eprintln!("skipped the foreign-owner case (chown needs root): {e}");
            continue;
        }

        let out = env
            .midi()
            .args(["loopback", "create", "--root-name", "Fallback", "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{problem}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let own = env.own_runtime();
        assert!(
            own.join("engine.sock").exists(),
            "{problem}: no socket in {}",
            own.display()
        );
        assert_eq!(mode(&own), 0o700);
        let log = read(&own.join("engine.log"));
        assert!(
            log.contains(&planted.display().to_string())
                && log.contains(problem)
                && log.contains(&own.display().to_string()),
            "the log should say why and where:\n{log}"
        );
        let status = env.midi().args(["service", "status"]).output().unwrap();
        assert!(status.status.success());
        assert!(
            String::from_utf8_lossy(&status.stdout).contains(&own.display().to_string()),
            "{}",
            String::from_utf8_lossy(&status.stdout)
        );
        assert!(
            std::fs::read_dir(&planted).unwrap().next().is_none(),
            "nothing was put in the planted directory"
        );
    }
}
