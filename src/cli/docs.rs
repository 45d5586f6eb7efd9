//! The binary documents itself: completion scripts and manual pages come from the same clap
//! definitions as `--help`, so they cannot drift from the real flags.
//!
//! Completion is dynamic. `midi completions SHELL` prints a small registration script that
//! calls back into `midi` (found on `PATH`) with `COMPLETE=SHELL` set each time Tab is pressed;
//! `main` answers those calls with clap_complete's `CompleteEnv` before parsing anything. So
//! subcommands, flags and enum values always match the installed binary, and the completers
//! in [`super::complete`] add what only the running engine knows.
//!
//! The scripts for all five shells are committed in `completions/` and the pages in `man/`;
//! `tests/docs_generated.rs` fails when either is stale, `tests/docs_completion.rs` drives the
//! scripts through bash, zsh and fish.

use super::args::Cli;
use crate::face::{output, pair_text};
use clap::CommandFactory;
use clap_complete::env::Shells;
use std::path::Path;

/// The name the scripts complete for, and the program they call back into.
const BIN: &str = "midi";
/// The variable `CompleteEnv` in `main` listens on (clap_complete's default).
const COMPLETE_VAR: &str = "COMPLETE";

/// `midi completions SHELL`: the completion script on stdout.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<i32> {
    crate::face::output::out(&completion_script(shell)?)?;
    Ok(0)
}

/// The registration script for one shell: clap_complete's (what `COMPLETE=SHELL midi` prints),
/// calling `midi` by name rather than by the path it was generated from, so the file in
/// `completions/` is the same on every machine; with two fixes for bash and zsh below.
fn completion_script(shell: clap_complete::Shell) -> anyhow::Result<String> {
    let name = shell.to_string();
    let shells = Shells::builtins();
    let completer = shells
        .completer(&name)
        .ok_or_else(|| anyhow::anyhow!("no dynamic completion for {name}"))?;
    let mut script = Vec::new();
    completer.write_registration(COMPLETE_VAR, BIN, BIN, BIN, &mut script)?;
    let mut script = String::from_utf8(script)?;
    if shell == clap_complete::Shell::Bash {
        // clap's bash function inserts candidates as they are, so `Studio (A)` would land on
        // the line unquoted. Asking readline to treat them like file names makes it quote
        // them, both in a bare word (`Studio\ \(A\)`) and after an opening quote.
        const END_OF_FUNCTION: &str = "\n    fi\n}\n";
        anyhow::ensure!(
            script.contains(END_OF_FUNCTION),
            "clap_complete's bash script changed shape; update completion_script"
        );
        script = script.replacen(END_OF_FUNCTION, BASH_QUOTING, 1);
    }
    if shell == clap_complete::Shell::Zsh {
        // Installed as `_midi` on `fpath`, zsh autoloads the file as the completion function
        // itself: the first Tab only runs the definitions above. Completing right away, as
        // clap's static zsh scripts do, makes the first Tab work too. Sourced, it does nothing.
        script.push_str(
            "\nif [ \"$funcstack[1]\" = \"_midi\" ]; then\n    _clap_dynamic_completer_midi \"$@\"\nfi\n",
        );
    }
    Ok(script)
}

/// Appended to clap's bash completion function (replacing its last `fi` and `}`).
const BASH_QUOTING: &str = r#"
    fi
    local candidate
    for candidate in "${COMPREPLY[@]}"; do
        if [[ $candidate == *[^[:alnum:]_./:=@%+,-]* ]]; then
            compopt -o filenames 2> /dev/null
            break
        fi
    done
}
"#;

/// `midi man --out-dir DIR`: one page per command (`midi.1`, `midi-loopback-create.1`, …) in
/// `DIR/man1`, the section directory `man` searches under each directory of its path.
pub fn man(out_dir: &Path) -> anyhow::Result<i32> {
    let section = out_dir.join("man1");
    std::fs::create_dir_all(&section)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", section.display()))?;
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    write_pages(&root, &section)?;
    crate::face::output::outln!(
        "Wrote the manual pages into {}; `man midi` finds them when {} is on MANPATH or sits beside a directory on PATH (as ../share/man).",
        section.display(),
        out_dir.display()
    )?;
    Ok(0)
}

/// Writes the page of `cmd` and of each visible subcommand, as `clap_mangen::generate_to`
/// does, but with the help text after the options laid out as sections of their own.
fn write_pages(cmd: &clap::Command, out_dir: &Path) -> anyhow::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, out_dir)?;
    }
    let man = clap_mangen::Man::new(cmd.clone())
        .source(format!("midi {}", env!("CARGO_PKG_VERSION")))
        .manual("midi manual");
    let help = cmd
        .get_after_long_help()
        .or(cmd.get_after_help())
        .map(|h| h.to_string())
        .unwrap_or_default();
    let (notes, sections) = help_sections(&help);
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    // No hyphenation: a flag or an id broken across lines cannot be copied.
    page.extend(b".nh\n");
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    page.extend(notes.as_bytes());
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut page)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut page)?;
    }
    page.extend(sections.as_bytes());
    man.render_version_section(&mut page)?;
    std::fs::write(out_dir.join(man.get_filename()), page)?;
    Ok(())
}

/// The help text that follows the options (examples, files, exit codes), as roff: prose that
/// comes before the first heading continues the description; a block whose first line is a
/// heading (`Examples:`) becomes a section printed line for line, so commands stay copyable;
/// prose after it is a paragraph of that section.
fn help_sections(help: &str) -> (String, String) {
    use clap_mangen::roff::{Roff, roman};
    let (mut notes, mut sections) = (Roff::new(), Roff::new());
    let mut in_section = false;
    for block in help.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let mut lines = block.lines();
        let first = lines.next().unwrap_or_default();
        let heading = first
            .strip_suffix(':')
            .filter(|h| !h.starts_with(' ') && !h.contains(':'));
        match heading {
            Some(heading) => {
                sections.control("SH", [heading.to_uppercase().as_str()]);
                sections.control("nf", []);
                let commands = heading.starts_with("Example");
                for line in lines {
                    let line = line.strip_prefix("  ").unwrap_or(line);
                    for fitted in fit_man_line(line, commands) {
                        sections.text([roman(fitted)]);
                    }
                }
                sections.control("fi", []);
                in_section = true;
            }
            None => {
                let roff = if in_section {
                    &mut sections
                } else {
                    &mut notes
                };
                roff.control("PP", []);
                roff.text([roman(
                    block.split_whitespace().collect::<Vec<_>>().join(" "),
                )]);
            }
        }
    }
    let render = |roff: Roff| {
        if roff == Roff::new() {
            String::new()
        } else {
            roff.render()
        }
    };
    (render(notes), render(sections))
}

/// `man` indents a section's lines by 7 columns and a page must read on 80: what is left.
const MAN_TEXT_WIDTH: usize = 72;

/// One line of a section printed line for line, fitted to [`MAN_TEXT_WIDTH`]. `--help` keeps
/// the long line (it has 100 columns); the page breaks it the way a reader would: a command
/// continues with ` \` (its comment goes on a line of its own before it), a `name  text`
/// line continues under its text.
fn fit_man_line(line: &str, command: bool) -> Vec<String> {
    if output::width(line) <= MAN_TEXT_WIDTH {
        return vec![line.to_string()];
    }
    if command {
        let (code, comment) = match line.find("  #") {
            Some(i) => (line[..i].trim_end(), Some(line[i..].trim())),
            None => (line, None),
        };
        let mut out: Vec<String> = comment
            .map(|c| output::wrap(c, MAN_TEXT_WIDTH))
            .unwrap_or_default();
        out.extend(pair_text::continued_command(code, MAN_TEXT_WIDTH));
        return out;
    }
    let text_column = line
        .find("  ")
        .map(|i| i + line[i..].len() - line[i..].trim_start().len())
        .filter(|&c| c <= MAN_TEXT_WIDTH / 2);
    let (head, indent) = match text_column {
        Some(c) => (&line[..c], c),
        None => ("", 2),
    };
    let body = &line[head.len()..];
    output::wrap(body, MAN_TEXT_WIDTH - indent)
        .into_iter()
        .enumerate()
        .map(|(i, part)| match i {
            0 if !head.is_empty() => format!("{head}{part}"),
            0 => part,
            _ => format!("{}{part}", " ".repeat(indent)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_has_a_script_that_calls_back_into_midi() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::Elvish,
            clap_complete::Shell::PowerShell,
        ] {
            let script = completion_script(shell).unwrap();
            assert!(script.contains("COMPLETE"), "{shell}: {script}");
            assert!(script.contains("midi"), "{shell}: {script}");
        }
    }

    #[test]
    fn long_lines_are_broken_the_way_a_reader_would() {
        let long = "midi endpoint send-message \"My Loopback (A)\" 0x20903C64 --count 10000 --pause 0 --increment";
        let lines = fit_man_line(long, true);
        assert_eq!(
            lines,
            [
                "midi endpoint send-message \"My Loopback (A)\" 0x20903C64 --count 10000 \\",
                "    --pause 0 --increment"
            ]
        );
        let commented = fit_man_line(
            "midi completions zsh > \"${fpath[1]}/_midi\"    # then: autoload -U compinit && compinit",
            true,
        );
        assert_eq!(commented[0], "# then: autoload -U compinit && compinit");
        let row = "State root      MIDI_HOME=DIR or --home DIR keeps config, socket, lock and log together in DIR";
        let lines = fit_man_line(row, false);
        assert!(
            lines.len() == 2 && lines[1].starts_with(&" ".repeat(16)),
            "{lines:?}"
        );
        assert!(lines.iter().all(|l| output::width(l) <= MAN_TEXT_WIDTH));
    }

    #[test]
    fn help_text_becomes_manual_sections() {
        let (notes, sections) = help_sections(
            "Sends things.\n\nExamples:\n  midi a --b\n  midi c\n\nRules: keep it short.\n\nExit codes:\n  0 fine",
        );
        assert!(notes.contains(".PP\nSends things."), "{notes}");
        assert!(
            sections.contains(
                ".SH EXAMPLES\n.nf\nmidi a \\-\\-b\nmidi c\n.fi\n.PP\nRules: keep it short."
            ),
            "{sections}"
        );
        assert!(
            sections.contains(".SH \"EXIT CODES\"\n.nf\n0 fine\n.fi"),
            "{sections}"
        );
    }
}
