//! Completion through the real shells, with the scripts users install (`completions/`):
//! bash runs its completion function the way readline calls it, zsh completes on a
//! pseudo-terminal through its completion system (zpty), fish answers `complete -C`.
//! The values only the engine knows come from an engine started in a temporary `MIDI_HOME`;
//! completing never starts one.
//!
//! The shells come from `.ci/install-test-deps`; a missing shell fails the test.

mod common;

use common::TestHome;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

/// Calls the completion function that `complete -p midi` names, as readline would after
/// Tab at the end of LINE, and prints what it offers, one per line.
const BASH_DRIVER: &str = r#"
source "$1" || exit 90
line=$2
function=$(complete -p midi | sed -E 's/.* -F ([^ ]+) .*/\1/')
read -ra COMP_WORDS <<< "$line"
[[ $line == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE=$line
COMP_POINT=${#line}
COMP_TYPE=9
"$function" midi "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;

/// Starts an interactive zsh on a pseudo-terminal (zpty), loads the script (sourced after
/// compinit, or from `fpath` as an installed `_midi`), types LINE and Tab, and prints every
/// match zsh's completion system adds, one per line. Reads block until the markers arrive.
const ZSH_DRIVER: &str = r#"
zmodload zsh/zpty || exit 90
mode=$1 script=$2 line=$3
init=$(mktemp)
{
    print -r -- 'PROMPT='
    [[ $mode == fpath ]] && print -r -- "fpath=(${(q)script:h} \$fpath)"
    print -r -- 'autoload -Uz compinit && compinit -u -D'
    [[ $mode == source ]] && print -r -- "source ${(q)script}"
    cat <<'INIT'
bindkey '^I' complete-word
null-line () { echo -E - $'\0' }
compprefuncs=( null-line )
comppostfuncs=( null-line exit )
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
compadd () {
    if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
        builtin compadd "$@"
        return $?
    fi
    typeset -a __hits
    builtin compadd -A __hits "$@"
    local hit
    for hit in $__hits; do echo -E - "MATCH:$hit"; done
}
echo capture-ready
INIT
} > $init
zpty z zsh -f -i
zpty -w z "source ${(q)init}"
local out
while zpty -r z out; do [[ $out == capture-ready* ]] && break; done
zpty -w -n z "$line"$'\t'
while zpty -r z out; do [[ $out == *$'\0'* ]] && break; done
while zpty -r z out; do
    [[ $out == *$'\0'* ]] && break
    out=${out%$'\n'}
    out=${out%$'\r'}
    [[ $out == MATCH:* ]] && print -r -- "${out#MATCH:}"
done
zpty -d z
rm -f $init
"#;

fn script(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("completions")
        .join(file)
}

/// `PATH` with this build's `midi` first: the scripts call back into `midi` by name.
fn path_with_midi() -> OsString {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_midi")).parent().unwrap();
    let mut dirs = vec![bin_dir.to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

/// Runs a shell with a clean completion environment and `MIDI_HOME` set to `home` (or unset).
fn shell(program: &str, args: &[&str], home: Option<&Path>) -> Output {
    let mut cmd = assert_cmd::Command::new(program);
    cmd.args(args)
        .env("PATH", path_with_midi())
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("COMPLETE")
        .env_remove("MIDI_NO_AUTOSTART")
        .env_remove("MIDI_HOME")
        .timeout(Duration::from_secs(60));
    if let Some(home) = home {
        cmd.env("MIDI_HOME", home).env("MIDI_NO_ALSA", "1");
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {program} ({e}); install the test shells with .ci/install-test-deps")
    });
    assert!(
        out.status.success(),
        "{program} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

fn bash(home: Option<&Path>, line: &str) -> Vec<String> {
    let script = script("midi.bash");
    lines(&shell(
        "bash",
        &[
            "--norc",
            "--noprofile",
            "-c",
            BASH_DRIVER,
            "bash",
            script.to_str().unwrap(),
            line,
        ],
        home,
    ))
}

/// What zsh offers; `fpath` installs the script as `_midi` on `fpath` instead of sourcing it.
fn zsh_with(home: Option<&Path>, line: &str, mode: &str) -> Vec<String> {
    let script = script("_midi");
    let matches = lines(&shell(
        "zsh",
        &[
            "-f",
            "-c",
            ZSH_DRIVER,
            "zsh",
            mode,
            script.to_str().unwrap(),
            line,
        ],
        home,
    ));
    // zsh quotes what it inserts (`Beta\ Studio\ \(A\)`); compare the words themselves.
    matches.into_iter().map(|m| m.replace('\\', "")).collect()
}

fn zsh(home: Option<&Path>, line: &str) -> Vec<String> {
    zsh_with(home, line, "source")
}

fn fish(home: Option<&Path>, line: &str) -> Vec<String> {
    let script = script("midi.fish");
    let out = shell(
        "fish",
        &[
            "--no-config",
            "-c",
            "source $argv[1]; and complete --do-complete $argv[2]",
            script.to_str().unwrap(),
            line,
        ],
        home,
    );
    // `value<TAB>description`
    lines(&out)
        .into_iter()
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect()
}

type Completer = fn(Option<&Path>, &str) -> Vec<String>;
const SHELLS: [(&str, Completer); 3] = [("bash", bash), ("zsh", zsh), ("fish", fish)];

fn set(values: impl IntoIterator<Item = impl Into<String>>) -> BTreeSet<String> {
    values.into_iter().map(Into::into).collect()
}

/// An engine with two pairs, "Alpha" and "Beta Studio".
struct Pairs {
    home: TestHome,
    ids: BTreeSet<String>,
    endpoint_ids: BTreeSet<String>,
}

fn two_pairs() -> Pairs {
    let home = TestHome::new();
    let pairs = [home.create("Alpha", &[]), home.create("Beta Studio", &[])];
    let ids = set(pairs
        .iter()
        .map(|p| p["association_id"].as_str().unwrap().to_string()));
    let endpoint_ids = set(pairs.iter().flat_map(|p| {
        ["endpoint_a", "endpoint_b"].map(|side| p[side]["id"].as_str().unwrap().to_string())
    }));
    Pairs {
        home,
        ids,
        endpoint_ids,
    }
}

#[test]
fn every_shell_completes_subcommands() {
    for (name, complete) in SHELLS {
        assert_eq!(
            complete(None, "midi loopback cr"),
            ["create"],
            "{name}: midi loopback cr<Tab>"
        );
        let top = set(complete(None, "midi "));
        for command in [
            "loopback",
            "endpoint",
            "service",
            "dashboard",
            "completions",
            "man",
        ] {
            assert!(top.contains(command), "{name}: no {command} in {top:?}");
        }
    }
}

#[test]
fn every_shell_completes_flags_and_their_values() {
    for (name, complete) in SHELLS {
        let flags = set(complete(None, "midi loopback create --"));
        for flag in [
            "--root-name",
            "--name-a",
            "--name-b",
            "--association-id",
            "--unique-identifier",
            "--description",
            "--persistent",
            "--json",
        ] {
            assert!(flags.contains(flag), "{name}: no {flag} in {flags:?}");
        }
        assert_eq!(
            set(complete(
                None,
                "midi endpoint send-message x 0x20903C64 --word-format "
            )),
            set(["hex", "decimal", "binary"]),
            "{name}: --word-format values"
        );
        let shells = set(complete(None, "midi completions "));
        for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
            assert!(shells.contains(shell), "{name}: no {shell} in {shells:?}");
        }
    }
}

#[test]
fn every_shell_completes_the_association_ids_of_existing_pairs() {
    let pairs = two_pairs();
    let home = Some(pairs.home.path());
    for (name, complete) in SHELLS {
        assert_eq!(
            set(complete(home, "midi loopback remove --association-id ")),
            pairs.ids,
            "{name}: remove --association-id <Tab>"
        );
        assert_eq!(
            set(complete(home, "midi loopback mute -i ")),
            pairs.ids,
            "{name}: mute -i <Tab>"
        );
    }
    for command in ["update", "unmute", "delete"] {
        assert_eq!(
            set(bash(home, &format!("midi loopback {command} -i "))),
            pairs.ids,
            "bash: {command} -i <Tab>"
        );
    }
    // A typed prefix narrows it down to the one pair it starts.
    let one = pairs.ids.iter().next().unwrap();
    assert_eq!(
        bash(home, &format!("midi loopback remove -i {}", &one[..6])),
        std::slice::from_ref(one)
    );
}

#[test]
fn every_shell_completes_pairs_by_the_names_people_remember() {
    let pairs = two_pairs();
    let home = Some(pairs.home.path());
    for (name, complete) in SHELLS {
        // Root names (beside the flags), not bare GUIDs: bash shows only the values.
        let offered = set(complete(home, "midi loopback remove "));
        assert!(
            offered.is_superset(&set(["Alpha", "Beta Studio"])),
            "{name}: remove <Tab> offers {offered:?}"
        );
        assert!(
            offered.is_disjoint(&pairs.ids),
            "{name}: remove <Tab> offers bare GUIDs: {offered:?}"
        );
        assert_eq!(
            set(complete(home, "midi loopback mute Be")),
            set(["Beta Studio"]),
            "{name}: mute Be<Tab>"
        );
    }
    for command in ["update", "unmute", "delete"] {
        assert_eq!(
            set(bash(home, &format!("midi loopback {command} Al"))),
            set(["Alpha"]),
            "bash: {command} Al<Tab>"
        );
    }
    // What fits no root name (an endpoint id being typed) finds the endpoints that fit.
    let a_ids: BTreeSet<String> = pairs
        .endpoint_ids
        .iter()
        .filter(|id| id.starts_with("midiu_loop_a_"))
        .cloned()
        .collect();
    assert_eq!(set(bash(home, "midi loopback remove midiu_loop_a")), a_ids);
}

#[test]
fn every_shell_completes_endpoint_names_and_ids() {
    let pairs = two_pairs();
    let home = Some(pairs.home.path());
    let mut all = pairs.endpoint_ids.clone();
    all.extend(set([
        "Alpha (A)",
        "Alpha (B)",
        "Beta Studio (A)",
        "Beta Studio (B)",
    ]));
    for (name, complete) in SHELLS {
        let offered = set(complete(home, "midi endpoint monitor "));
        assert!(
            offered.is_superset(&all),
            "{name}: monitor offers {offered:?}"
        );
        assert_eq!(
            set(complete(home, "midi endpoint send-message Beta")),
            set(["Beta Studio (A)", "Beta Studio (B)"]),
            "{name}: send-message Beta<Tab>"
        );
        let ids = set(complete(
            home,
            "midi endpoint send-message-file midiu_loop_a",
        ));
        assert_eq!(ids.len(), 2, "{name}: the two A sides: {ids:?}");
    }
}

#[test]
fn names_match_ignoring_case_where_the_shell_lets_them() {
    // Endpoint names compare ignoring case everywhere; bash and fish take the completer's
    // word for it (zsh applies its own case-sensitive matcher unless configured otherwise).
    let pairs = two_pairs();
    let home = Some(pairs.home.path());
    for (name, complete) in [("bash", bash as Completer), ("fish", fish)] {
        assert_eq!(
            set(complete(home, "midi endpoint monitor beta")),
            set(["Beta Studio (A)", "Beta Studio (B)"]),
            "{name}"
        );
    }
}

#[test]
fn completion_follows_home_on_the_command_line() {
    let pairs = two_pairs();
    let home = pairs.home.path().to_str().unwrap().to_string();
    let elsewhere = TestHome::new();
    assert_eq!(
        set(bash(
            Some(elsewhere.path()),
            &format!("midi --home {home} loopback remove -i ")
        )),
        pairs.ids
    );
    assert_eq!(
        set(fish(None, &format!("midi --home={home} loopback mute -i "))),
        pairs.ids
    );
    assert!(!elsewhere.socket().exists(), "no engine started elsewhere");
}

#[test]
fn completion_never_starts_an_engine() {
    let home = TestHome::new();
    for (name, complete) in SHELLS {
        assert!(
            complete(Some(home.path()), "midi loopback remove -i ").is_empty(),
            "{name}: nothing to offer without an engine"
        );
        assert!(
            complete(Some(home.path()), "midi endpoint monitor midiu").is_empty(),
            "{name}"
        );
    }
    assert!(
        !home.socket().exists(),
        "pressing Tab must not start an engine"
    );
}

#[test]
fn zsh_completes_on_the_first_tab_when_installed_on_fpath() {
    // The `_midi` file in a directory on `fpath` is what `midi completions zsh > …/_midi`
    // installs; autoloaded, it must complete right away, not only from the second Tab on.
    let dir = tempfile::tempdir().unwrap();
    let installed = dir.path().join("_midi");
    std::fs::copy(script("_midi"), &installed).unwrap();
    let out = shell(
        "zsh",
        &[
            "-f",
            "-c",
            ZSH_DRIVER,
            "zsh",
            "fpath",
            installed.to_str().unwrap(),
            "midi loopback cr",
        ],
        None,
    );
    assert_eq!(lines(&out), ["create"]);
}

/// Bash inserts what the completion offers into the line; a name with spaces and
/// parentheses must arrive quoted. Only readline does that, so this drives an interactive
/// bash in tmux and waits for the line to show the result.
#[test]
fn bash_quotes_endpoint_names_it_inserts() {
    /// A private tmux server, killed however the test ends.
    struct Tmux(PathBuf);
    impl Tmux {
        fn run(&self, args: &[&str]) -> String {
            let out = std::process::Command::new("tmux")
                .arg("-S")
                .arg(&self.0)
                .args(args)
                .output()
                .expect("tmux runs (installed by .ci/install-test-deps)");
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    }
    impl Drop for Tmux {
        fn drop(&mut self) {
            self.run(&["kill-server"]);
        }
    }

    let pairs = two_pairs();
    let server = Tmux(pairs.home.path().join("tmux.sock"));
    let tmux = |args: &[&str]| server.run(args);
    let bash = format!(
        "env -u COMPLETE PATH={path:?} MIDI_HOME={home:?} PS1='$ ' bash --norc --noprofile",
        path = path_with_midi(),
        home = pairs.home.path(),
    );
    tmux(&["new-session", "-d", "-x", "150", "-y", "20", &bash]);
    let source = format!("source {}", script("midi.bash").display());
    tmux(&["send-keys", &source, "Enter"]);
    tmux(&["send-keys", "echo done-sourcing", "Enter"]);
    let wait_for = |wanted: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let screen = tmux(&["capture-pane", "-p"]);
            if screen.contains(wanted) {
                return screen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never saw {wanted:?}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_for("\ndone-sourcing");
    tmux(&[
        "send-keys",
        "midi endpoint monitor Beta\\ Studio\\ \\(B",
        "Tab",
    ]);
    wait_for(r"midi endpoint monitor Beta\ Studio\ \(B\)");
    tmux(&["send-keys", "C-u", "midi endpoint monitor 'Alpha (A", "Tab"]);
    wait_for("midi endpoint monitor 'Alpha (A)'");
}
