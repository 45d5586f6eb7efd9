//! The wizard's questions, answered from a script: every path a person can take, without a
//! terminal or an engine. (`wizard_terminal.rs` drives the real binary on a pseudo-terminal.)

use Answer::{Cancel, Choose, Enter, No, Text, Yes};
use midi_loopback::core::model::ConflictError;
use midi_loopback::core::rules::{self, RuleError};
use midi_loopback::core::{AssociationId, NameSpec, PairDefinition, PairSpec};
use midi_loopback::face::output::Style;
use midi_loopback::wizard::flow::{self, Q_MODE, Q_NAME_B, Q_PERSISTENT, Q_ROOT, Q_UNIQUE_ID};
use midi_loopback::wizard::{Answer, Given, Outcome, ScriptedPrompter, Wizard};

/// The association id the wizard offers in these tests (it is random in real life).
const OFFERED_ID: &str = "7af38a08-0f4b-43ad-b218-1757496f0034";

fn offered_id() -> AssociationId {
    rules::parse_association_id(OFFERED_ID).unwrap()
}

fn text(s: &str) -> Answer {
    Text(s.to_string())
}

/// A pair that already exists: `ROOT (A)` / `ROOT (B)` with this unique identifier.
fn existing(root: &str, unique_identifier: &str) -> PairDefinition {
    PairSpec {
        names: Some(NameSpec::Root(root.into())),
        unique_identifier: Some(unique_identifier.into()),
        ..Default::default()
    }
    .resolve()
    .unwrap()
}

/// Runs the wizard on `answers`; checks that every answer was used.
fn run_with(
    pairs: &[PairDefinition],
    given: Given,
    answers: impl IntoIterator<Item = Answer>,
) -> (Outcome, Vec<String>) {
    let mut prompter = ScriptedPrompter::new(answers);
    let outcome = Wizard::new(pairs, given, offered_id(), Style::plain())
        .run(&mut prompter)
        .expect("the scripted wizard runs");
    assert_eq!(
        prompter.remaining(),
        0,
        "answers left over; transcript: {:#?}",
        prompter.transcript
    );
    (outcome, prompter.transcript)
}

fn run(answers: impl IntoIterator<Item = Answer>) -> (Outcome, Vec<String>) {
    run_with(&[], Given::default(), answers)
}

fn created(outcome: Outcome) -> PairDefinition {
    match outcome {
        Outcome::Create(def) => def,
        Outcome::Cancelled => panic!("expected a pair, the wizard was cancelled"),
    }
}

fn refusals(transcript: &[String]) -> Vec<&str> {
    transcript
        .iter()
        .filter_map(|line| line.strip_prefix("refused: "))
        .collect()
}

fn asked(transcript: &[String], question: &str) -> usize {
    transcript
        .iter()
        .filter(|line| line.strip_prefix("? ") == Some(question))
        .count()
}

// ---- The two paths ----

#[test]
fn quick_path_turns_one_name_into_a_pair() {
    let (outcome, transcript) = run([Enter, text("Studio"), No, Enter]);
    let def = created(outcome);
    assert_eq!(def.endpoint_a.name, "Studio (A)");
    assert_eq!(def.endpoint_b.name, "Studio (B)");
    assert_eq!(def.association_id, offered_id(), "the offered id is used");
    assert_eq!(
        def.unique_identifier.as_str(),
        "7af38a080f4b43adb2181757496f0034",
        "the unique identifier is the association id's hex digits, as with create"
    );
    assert_eq!(def.endpoint_a.description, "");
    assert!(!def.persistent);
    assert!(!def.muted);
    assert!(
        transcript[0].contains("A and B"),
        "the flow starts by explaining A and B: {transcript:?}"
    );
    assert!(refusals(&transcript).is_empty());
    let summary = transcript
        .iter()
        .find(|l| l.contains("The pair to create"))
        .expect("a summary is shown before creating");
    for shown in [
        "Studio (A)",
        "midiu_loop_b_7af38a080f4b43adb2181757496f0034",
        OFFERED_ID,
        "midi loopback create --root-name Studio --association-id 7af38a08-0f4b-43ad-b218-1757496f0034",
    ] {
        assert!(
            summary.contains(shown),
            "summary lacks {shown:?}:\n{summary}"
        );
    }
}

#[test]
fn quick_path_offers_a_name_that_is_free() {
    let pairs = [existing("My Loopback", "one")];
    let (outcome, _) = run_with(&pairs, Given::default(), [Enter, Enter, No, Enter]);
    assert_eq!(created(outcome).endpoint_a.name, "My Loopback 2 (A)");
}

#[test]
fn advanced_path_asks_each_name_the_ids_and_a_description() {
    let (outcome, transcript) = run([
        Choose(1),
        text("Synth Out"),
        text("Synth In"),
        Enter, // the offered association id
        text("abc-123_45!"),
        text("  Studio synth  "),
        Yes,
        Enter,
    ]);
    let def = created(outcome);
    assert_eq!(def.endpoint_a.name, "Synth Out");
    assert_eq!(def.endpoint_b.name, "Synth In");
    assert_eq!(def.association_id, offered_id());
    assert_eq!(
        def.unique_identifier.as_str(),
        "abc12345",
        "stripped like create strips it"
    );
    assert_eq!(def.endpoint_a.description, "Studio synth");
    assert_eq!(def.endpoint_b.description, "Studio synth");
    assert!(def.persistent);
    assert_eq!(asked(&transcript, Q_ROOT), 0, "no root name on this path");
    assert_eq!(
        flow::create_command(&def),
        "midi loopback create --name-a \"Synth Out\" --name-b \"Synth In\" \
         --association-id 7af38a08-0f4b-43ad-b218-1757496f0034 --unique-identifier abc12345 \
         --description \"Studio synth\" --persistent"
    );
}

#[test]
fn advanced_path_offers_b_after_a_and_accepts_a_typed_guid_in_any_form() {
    let (outcome, _) = run([
        Choose(1),
        text("Desk (A)"),
        Enter, // "Desk (B)", offered from A's name
        text("{11111111-2222-4333-8444-555555555555}"),
        Enter, // the unique identifier follows the typed id
        Enter, // no description
        No,
        Enter,
    ]);
    let def = created(outcome);
    assert_eq!(def.endpoint_b.name, "Desk (B)");
    assert_eq!(
        def.association_id.to_string(),
        "11111111-2222-4333-8444-555555555555"
    );
    assert_eq!(
        def.unique_identifier.as_str(),
        "11111111222243338444555555555555"
    );
    assert_eq!(def.endpoint_a.description, "");
}

// ---- Refused answers are explained and asked again ----

#[test]
fn a_refused_root_name_is_explained_then_a_good_one_is_taken() {
    let pairs = [existing("Studio", "studio1")];
    let (outcome, transcript) = run_with(
        &pairs,
        Given::default(),
        [
            Enter,
            text("STUDIO"),        // clashes with "Studio (A)", ignoring case
            text(&"x".repeat(95)), // over the 94-byte root limit
            text("Bad\tName"),     // a control character
            text("Live"),
            No,
            Enter,
        ],
    );
    assert_eq!(created(outcome).endpoint_a.name, "Live (A)");
    let refused = refusals(&transcript);
    assert_eq!(refused.len(), 3, "{transcript:#?}");
    assert!(
        refused[0].contains("STUDIO (A)") && refused[0].contains("already used"),
        "{}",
        refused[0]
    );
    assert!(refused[1].contains("94"), "names the limit: {}", refused[1]);
    assert!(refused[2].contains("control character"), "{}", refused[2]);
    assert_eq!(
        asked(&transcript, Q_ROOT),
        4,
        "asked again after each refusal"
    );
}

#[test]
fn refused_advanced_answers_use_the_same_rules_as_create() {
    let pairs = [existing("Studio", "abc12345")];
    let (outcome, transcript) = run_with(
        &pairs,
        Given::default(),
        [
            Choose(1),
            text("studio (b)"), // an existing endpoint's name
            text("Out"),
            text("OUT"), // the same as A, ignoring case
            text("In"),
            text("not-a-guid"),
            text("00000000-0000-0000-0000-000000000000"),
            Enter,
            text("-_-"),           // nothing left after stripping
            text("ABC-12345"),     // taken by the existing pair, ignoring case
            text(&"9".repeat(33)), // too long
            text("fresh1"),
            text(&"d".repeat(501)),
            text("fine"),
            No,
            Enter,
        ],
    );
    let def = created(outcome);
    assert_eq!(
        (def.endpoint_a.name.as_str(), def.endpoint_b.name.as_str()),
        ("Out", "In")
    );
    assert_eq!(def.unique_identifier.as_str(), "fresh1");
    assert_eq!(def.endpoint_a.description, "fine");
    let refused = refusals(&transcript);
    let expected = [
        "already used",
        "the A and B names are the same",
        "is not a GUID",
        "nil GUID",
        "has no ASCII letters or digits",
        "already used",
        "the limit is 32",
        "the limit is 500",
    ];
    assert_eq!(refused.len(), expected.len(), "{transcript:#?}");
    for (reason, wanted) in refused.iter().zip(expected) {
        assert!(reason.contains(wanted), "{reason:?} should say {wanted:?}");
    }
    assert_eq!(asked(&transcript, Q_NAME_B), 2);
    assert_eq!(asked(&transcript, Q_UNIQUE_ID), 4);
}

#[test]
fn an_association_id_in_use_is_refused() {
    let taken = existing("Studio", "studio1");
    let taken_id = taken.association_id.to_string();
    let (outcome, transcript) = run_with(
        &[taken],
        Given::default(),
        [
            Choose(1),
            Enter,
            Enter,
            text(&taken_id.to_uppercase()),
            Enter,
            Enter,
            Enter,
            No,
            Enter,
        ],
    );
    assert_eq!(created(outcome).association_id, offered_id());
    assert!(refusals(&transcript)[0].contains("already used by another pair"));
}

// ---- Cancel, persistence, going back ----

#[test]
fn cancelling_at_any_question_creates_nothing() {
    for answers in [
        vec![Cancel],                                    // how to name
        vec![Enter, Cancel],                             // the root name
        vec![Enter, text("X"), Cancel],                  // keep across restarts
        vec![Enter, text("X"), No, Cancel],              // the summary
        vec![Enter, text("X"), No, Choose(2)],           // "Cancel" in the summary
        vec![Choose(1), text("A1"), text("B1"), Cancel], // the association id
    ] {
        let (outcome, _) = run(answers.clone());
        assert_eq!(outcome, Outcome::Cancelled, "answers {answers:?}");
    }
}

#[test]
fn persistence_is_asked_and_kept_as_answered() {
    let (yes, transcript) = run([Enter, text("Kept"), Yes, Enter]);
    assert!(created(yes).persistent);
    assert_eq!(asked(&transcript, Q_PERSISTENT), 1);
    let (no, _) = run([Enter, text("Gone"), No, Enter]);
    assert!(!created(no).persistent);
    let (default, _) = run([Enter, text("Default"), Enter, Enter]);
    assert!(!created(default).persistent, "transient unless asked");
}

#[test]
fn changing_an_answer_starts_over_with_the_previous_answers_offered() {
    let (outcome, transcript) = run([
        Enter,
        text("First"),
        No,
        Choose(1), // "No, change an answer"
        Enter,     // quick again (the previous choice)
        Enter,     // "First" again (the previous answer)
        Yes,       // but keep it this time
        Enter,
    ]);
    let def = created(outcome);
    assert_eq!(def.endpoint_a.name, "First (A)");
    assert!(def.persistent);
    assert_eq!(asked(&transcript, Q_MODE), 2);
}

// ---- What `create` already got on the command line ----

#[test]
fn flags_given_to_create_are_not_asked_again() {
    let given = Given::from_spec(
        &PairSpec {
            unique_identifier: Some("my-serial".into()),
            description: Some("from flags".into()),
            persistent: true,
            ..Default::default()
        },
        &[],
    )
    .unwrap();
    let (outcome, transcript) =
        run_with(&[], given, [Choose(1), text("L"), text("R"), Enter, Enter]);
    let def = created(outcome);
    assert_eq!(def.unique_identifier.as_str(), "myserial");
    assert_eq!(def.endpoint_a.description, "from flags");
    assert!(def.persistent);
    assert_eq!(asked(&transcript, Q_UNIQUE_ID), 0);
    assert_eq!(asked(&transcript, Q_PERSISTENT), 0);
}

#[test]
fn bad_flags_given_to_create_fail_like_create() {
    let bad_guid = Given::from_spec(
        &PairSpec {
            association_id: Some("nope".into()),
            ..Default::default()
        },
        &[],
    )
    .unwrap_err();
    assert!(matches!(
        bad_guid.downcast_ref(),
        Some(RuleError::MalformedGuid { .. })
    ));
    let taken = Given::from_spec(
        &PairSpec {
            unique_identifier: Some("ABC".into()),
            ..Default::default()
        },
        &[existing("Studio", "abc")],
    )
    .unwrap_err();
    assert!(matches!(
        taken.downcast_ref(),
        Some(ConflictError::UniqueIdentifier { .. })
    ));
}
