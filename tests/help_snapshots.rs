//! Help that teaches: every command's `--help` shows real examples, where the files live and
//! the exit codes; the main commands' help is kept as insta snapshots, so a change to it is
//! reviewed like code (`cargo insta review`, or `INSTA_UPDATE=always` then read the diff).

use clap::CommandFactory;
use midi_loopback::cli::args::Cli;

/// `midi ARGS` at a fixed width, without colour.
fn help(args: &[&str]) -> String {
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_midi"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("COMPLETE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "midi {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_command_line_definition_is_consistent() {
    Cli::command().debug_assert();
}

/// Every visible command, as the words that name it (`["loopback", "create"]`, …).
fn command_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut path = prefix.to_vec();
            path.push(sub.get_name().to_string());
            out.push(path.clone());
            walk(sub, &path, out);
        }
    }
    let mut out = Vec::new();
    walk(&Cli::command(), &[], &mut out);
    out
}

#[test]
fn every_command_help_has_examples_files_and_exit_codes() {
    let paths = command_paths();
    assert!(paths.len() > 20, "{paths:?}");
    for path in paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let text = help(&args);
        assert!(
            text.contains("Example"),
            "`midi {}` has no examples:\n{text}",
            args.join(" ")
        );
        let example = format!("  midi {}", path[0]);
        assert!(
            text.contains(&example) || path[0] == "completions",
            "`midi {}` shows no example of itself:\n{text}",
            args.join(" ")
        );
        for section in ["Files:", "MIDI_HOME", "Exit codes:", "5 conflict"] {
            assert!(
                text.contains(section),
                "`midi {}` lacks {section:?}:\n{text}",
                args.join(" ")
            );
        }
    }
}

#[test]
fn short_help_keeps_the_examples_and_leaves_the_reference_to_long_help() {
    let short = help(&["loopback", "create", "-h"]);
    assert!(short.contains("Examples:"));
    assert!(!short.contains("Exit codes:"), "{short}");
}

#[test]
fn create_help_shows_the_four_commands_of_the_seed_document() {
    // A long example continues on the next line the way a shell reads it (`\`), so the help
    // never needs more than 100 columns.
    let text = help(&["loopback", "create", "--help"]).replace(" \\\n      ", " ");
    for example in [
        "midi loopback create --root-name \"My Loopback\"",
        "midi loopback create --name-a \"Loopback One\" --name-b \"Loopback Two\"",
        "midi loopback create --root-name \"My Loopback\" --association-id 7af38a08-0f4b-43ad-b218-1757496f0034",
        "midi loopback create --root-name \"My Loopback\" --unique-identifier abc12345",
    ] {
        assert!(text.contains(example), "no {example:?} in:\n{text}");
    }
}

macro_rules! help_snapshot {
    ($name:ident, $($arg:literal),+) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(help(&[$($arg),+]));
        }
    };
}

help_snapshot!(top, "--help");
help_snapshot!(top_short, "-h");
help_snapshot!(loopback, "loopback", "--help");
help_snapshot!(loopback_create, "loopback", "create", "--help");
help_snapshot!(loopback_remove, "loopback", "remove", "--help");
help_snapshot!(loopback_update, "loopback", "update", "--help");
help_snapshot!(loopback_wizard, "loopback", "wizard", "--help");
help_snapshot!(endpoint, "endpoint", "--help");
help_snapshot!(endpoint_send_message, "endpoint", "send-message", "--help");
help_snapshot!(endpoint_monitor, "endpoint", "monitor", "--help");
help_snapshot!(service, "service", "--help");
help_snapshot!(service_status, "service", "status", "--help");
help_snapshot!(completions, "completions", "--help");
help_snapshot!(endpoint_properties, "endpoint", "properties", "--help");
help_snapshot!(
    endpoint_request_endpoint_info,
    "endpoint",
    "request",
    "endpoint-info",
    "--help"
);
help_snapshot!(
    endpoint_request_function_blocks,
    "endpoint",
    "request",
    "function-blocks",
    "--help"
);
help_snapshot!(endpoint_play_notes, "endpoint", "play-notes", "--help");
help_snapshot!(
    endpoint_send_sysex_file,
    "endpoint",
    "send-sysex-file",
    "--help"
);
help_snapshot!(time, "time", "--help");
