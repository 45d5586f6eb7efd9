//! The generated files kept in the repository are what the binary generates now: the
//! completion scripts in `completions/` and the manual pages in `man/man1/`. When a flag or a help
//! text changes, these tests fail until the files are regenerated:
//!
//! ```text
//! MIDI_UPDATE_GENERATED=1 cargo test --test docs_generated
//! ```
//!
//! (or by hand: `midi completions SHELL > completions/FILE`, `midi man --out-dir man`).
//!
//! The pages are laid out as a manual directory (`man/man1/…`), so the README's
//! `MANPATH="$PWD/man:$MANPATH" man midi-loopback-create` works as printed; tests below run it.

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each shell and the file its script is kept in (the names the shells look for).
const SCRIPTS: [(&str, &str); 5] = [
    ("bash", "midi.bash"),
    ("zsh", "_midi"),
    ("fish", "midi.fish"),
    ("elvish", "midi.elv"),
    ("powershell", "_midi.ps1"),
];

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn midi() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_midi"));
    cmd.env_remove("COMPLETE").env("NO_COLOR", "1");
    cmd
}

fn updating() -> bool {
    std::env::var_os("MIDI_UPDATE_GENERATED").is_some_and(|v| v == "1")
}

/// The files of a directory, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap())
                .filter(|e| e.file_type().unwrap().is_file())
                .filter(|e| e.file_name() != "README.md")
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn completion_scripts_in_the_repository_are_current() {
    let mut stale = Vec::new();
    for (shell, file) in SCRIPTS {
        let out = midi().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "midi completions {shell} failed");
        assert!(!out.stdout.is_empty());
        let path = repo("completions").join(file);
        if std::fs::read(&path).ok().as_deref() != Some(&out.stdout[..]) {
            if updating() {
                std::fs::write(&path, &out.stdout).unwrap();
            } else {
                stale.push(format!("completions/{file}"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale: {stale:?}; regenerate with MIDI_UPDATE_GENERATED=1 cargo test --test docs_generated"
    );
}

#[test]
fn completion_scripts_are_the_same_as_the_environment_hook_prints() {
    // `COMPLETE=bash midi` is clap's own way to get the script; `midi completions bash` must
    // register the same completion function, calling back into `midi` by name.
    for (shell, file) in [("bash", "midi.bash"), ("fish", "midi.fish")] {
        let script = std::fs::read_to_string(repo("completions").join(file)).unwrap();
        assert!(
            script.contains(&format!("COMPLETE=\"{shell}\""))
                || script.contains(&format!("COMPLETE={shell} midi")),
            "{file} does not call back with COMPLETE={shell}:\n{script}"
        );
        assert!(
            !script.contains(env!("CARGO_BIN_EXE_midi")),
            "{file} must call `midi` by name, not this build's path"
        );
    }
}

#[test]
fn manual_pages_in_the_repository_are_current() {
    let fresh = tempfile::tempdir().unwrap();
    midi()
        .args(["man", "--out-dir"])
        .arg(fresh.path())
        .assert()
        .success();
    let want = files(&fresh.path().join("man1"));
    for page in [
        "midi.1",
        "midi-loopback.1",
        "midi-loopback-create.1",
        "midi-loopback-wizard.1",
        "midi-endpoint-monitor.1",
        "midi-endpoint-send-message.1",
        "midi-service-status.1",
        "midi-completions.1",
    ] {
        assert!(want.contains_key(page), "no {page} among {:?}", want.keys());
    }
    let dir = repo("man/man1");
    let have = files(&dir);
    if have != want && updating() {
        for name in have.keys().filter(|n| !want.contains_key(*n)) {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        for (name, page) in &want {
            std::fs::write(dir.join(name), page).unwrap();
        }
        return;
    }
    let differ: std::collections::BTreeSet<_> = want
        .keys()
        .chain(have.keys())
        .filter(|name| want.get(*name) != have.get(*name))
        .collect();
    assert!(
        differ.is_empty(),
        "man/ is stale ({differ:?}); regenerate with MIDI_UPDATE_GENERATED=1 cargo test --test docs_generated"
    );
}

/// The page as `man` shows it, in plain text.
fn rendered(page: &str) -> String {
    join_continued_lines(&rendered_at(page, 100))
}

/// The page as `man` shows it on a terminal `width` columns wide, in plain text.
fn rendered_at(page: &str, width: usize) -> String {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("MANWIDTH=$2 man -l \"$1\" | col -bx")
        .arg("sh")
        .arg(repo("man/man1").join(page))
        .arg(width.to_string())
        .env("LANG", "C.UTF-8")
        .env_remove("MANPAGER")
        .env_remove("PAGER")
        .output()
        .expect("sh runs");
    assert!(
        out.status.success() && !out.stdout.is_empty(),
        "`man -l man/man1/{page}` failed (man and col come from .ci/install-test-deps): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Joins a line that ends in ` \` with the next, as a shell reads a long example.
fn join_continued_lines(text: &str) -> String {
    let mut joined = String::new();
    let mut continued = false;
    for line in text.lines() {
        let line = if continued { line.trim_start() } else { line };
        match line.strip_suffix('\\') {
            Some(start) => {
                joined.push_str(start);
                continued = true;
            }
            None => {
                joined.push_str(line);
                joined.push('\n');
                continued = false;
            }
        }
    }
    joined
}

#[test]
fn man_shows_the_create_page_with_its_flags_examples_and_exit_codes() {
    let page = rendered("midi-loopback-create.1");
    for shown in [
        "midi-loopback-create - Create a loopback pair",
        "-i, --association-id <GUID>",
        "-u, --unique-identifier <ID>",
        "-r, --root-name <NAME>",
        "--persistent",
        "EXAMPLES",
        "midi loopback create --root-name \"My Loopback\" --association-id 7af38a08-0f4b-43ad-b218-1757496f0034",
        "midi loopback create --root-name \"My Loopback\" --unique-identifier abc12345",
        "FILES",
        "EXIT CODES",
        "5 conflict",
    ] {
        assert!(page.contains(shown), "no {shown:?} in:\n{page}");
    }
}

#[test]
fn man_shows_the_top_page_with_every_command() {
    let page = rendered("midi.1");
    for shown in [
        "midi-loopback(1)",
        "midi-endpoint(1)",
        "midi-service(1)",
        "midi-completions(1)",
        "QUICK START",
        "MIDI_HOME",
    ] {
        assert!(page.contains(shown), "no {shown:?} in:\n{page}");
    }
}

/// Runs a shell line in the repository, as a reader of the README would, with `man` printing
/// plain text (no pager, a fixed width).
fn shell_in_repo(line: &str, extra_env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(line)
        .current_dir(repo("."))
        .env("LANG", "C.UTF-8")
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env_remove("MANPATH");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.output().expect("sh runs")
}

#[test]
fn the_readme_man_command_works_as_printed() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let line = readme
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("MANPATH=") && l.contains("man midi-loopback-create"))
        .expect("the README shows how to read a page from the checkout");
    let out = shell_in_repo(line, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("midi-loopback-create - Create a loopback pair"),
        "`{line}` failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `man -l` on one file still works.
    let out = shell_in_repo("man -l man/man1/midi-loopback-create.1 | col -b", &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("--association-id"));
}

#[test]
fn pages_written_beside_the_installed_binary_are_found_without_settings() {
    // `cargo install` puts midi in ~/.cargo/bin; `midi man --out-dir ~/.cargo/share/man`
    // writes the pages where man looks for every directory on PATH.
    let root = tempfile::tempdir().unwrap();
    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let man_dir = root.path().join("share/man");
    midi()
        .args(["man", "--out-dir"])
        .arg(&man_dir)
        .assert()
        .success();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let out = shell_in_repo("man -w midi-loopback-create", &[("PATH", &path)]);
    let found = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        found.trim(),
        man_dir
            .join("man1/midi-loopback-create.1")
            .to_string_lossy(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_page_reads_on_80_columns() {
    let pages = files(&repo("man/man1"));
    assert!(pages.len() > 20, "{:?}", pages.keys());
    let mut long = Vec::new();
    for page in pages.keys() {
        for line in rendered_at(page, 80).lines() {
            let columns = midi_loopback::face::output::width(line);
            if columns > 80 {
                long.push(format!("{page} ({columns}): {line}"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "lines past 80 columns:\n{}",
        long.join("\n")
    );
}
