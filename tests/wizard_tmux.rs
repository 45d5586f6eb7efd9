//! The wizard on a real terminal 80 columns wide (tmux), read back as the screen a person
//! sees: its text is fitted to the width (no word broken by the terminal's own wrapping),
//! answers are checked as they are typed, the summary's ids line up, and Esc leaves no
//! ticked question behind (exit 1).

mod dashboard_fixtures;

use dashboard_fixtures::terminal::Session;
use midi_loopback::wizard::flow::{INTRO, Q_PERSISTENT};

/// The screen's words in order, as a person reads them across line ends (without the
/// prompt's own `?` mark).
fn words(screen: &str) -> String {
    screen
        .split_whitespace()
        .filter(|w| *w != "?")
        .collect::<Vec<_>>()
        .join(" ")
}

fn assert_fits(screen: &str, columns: usize) {
    for line in screen.lines() {
        assert!(
            midi_loopback::face::output::width(line.trim_end()) <= columns,
            "past {columns} columns: {line:?}\n{screen}"
        );
    }
}

#[test]
fn the_wizard_fits_80_columns_and_esc_leaves_no_ticked_question() {
    let session = Session::new();
    session.open(&["loopback", "wizard"], 80, 40);
    session.wait_for("the first question", |s| s.contains("How do you want"));
    session.keys(&["Enter"]);
    session.wait_for("the name question", |s| s.contains("Name of the pair"));
    session.type_text("Cancelled Pair");
    session.keys(&["Enter"]);
    let screen = session.wait_for("the persistence question", |s| s.contains("(y/n)"));
    assert_fits(&screen, 80);
    // Broken only at spaces: every word of the text and of the long question is whole.
    assert!(words(&screen).contains(&words(INTRO)), "{screen}");
    assert!(words(&screen).contains(&words(Q_PERSISTENT)), "{screen}");
    session.keys(&["Escape"]);
    assert_eq!(session.wait_for_exit(), "1", "cancel exits 1");
    let screen = session.screen();
    assert!(screen.contains("cancelled, nothing created"), "{screen}");
    assert!(
        !screen.contains("configuration file)?"),
        "the cancelled question stays on screen:\n{screen}"
    );
}

#[test]
fn answers_are_checked_as_you_type_and_the_summary_lines_up() {
    let session = Session::new();
    let out = session
        .midi()
        .args(["loopback", "create", "--root-name", "Taken"])
        .output()
        .unwrap();
    assert!(out.status.success());
    session.open(&["loopback", "wizard"], 80, 40);
    session.wait_for("the first question", |s| s.contains("How do you want"));
    session.keys(&["Enter"]);
    session.wait_for("the name question", |s| s.contains("Name of the pair"));
    session.type_text("taken");
    // Before Enter: the clash is shown under the answer.
    session.wait_for("the live verdict", |s| s.contains("already used"));
    session.type_text(" two");
    session.wait_for("the verdict to clear", |s| !s.contains("already used"));
    session.keys(&["Enter"]);
    session.wait_for("the persistence question", |s| s.contains("(y/n)"));
    session.type_text("n");
    let screen = session.wait_for("the summary", |s| s.contains("Create this pair?"));
    assert_fits(&screen, 80);
    let column = |prefix: &str| {
        screen
            .lines()
            .find_map(|l| l.find(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{screen}"))
    };
    assert_eq!(
        column("midiu_loop_a_"),
        column("midiu_loop_b_"),
        "the endpoint ids line up:\n{screen}"
    );
    session.keys(&["Enter"]);
    assert_eq!(session.wait_for_exit(), "0");
    assert!(session.screen().contains("Loopback pair created."));
}
