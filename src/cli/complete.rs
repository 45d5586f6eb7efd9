//! The values only the running engine knows, for shell completion: association ids and
//! endpoint names and ids. clap_complete calls these while it answers a `COMPLETE=SHELL` call
//! (see [`super::docs`] for how the scripts call back into `midi`). They connect with
//! [`Client::connect_running`], so pressing Tab never starts an engine, and they print nothing:
//! an error mid-line would garble the shell's prompt.

use crate::client::{Client, ClientOptions};
use crate::core::ids::AssociationId;
use crate::core::model::PairInfo;
use crate::face::pair_ref;
use clap_complete::engine::CompletionCandidate;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

/// `-i/--association-id` of remove, update, mute and unmute: the ids of the pairs that exist,
/// each described by its endpoint names.
pub(super) fn complete_association_id(current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    running_pairs()
        .iter()
        .filter(|p| starts_with_ignoring_case(&p.association_id.to_string(), &current))
        .map(|p| {
            CompletionCandidate::new(p.association_id.to_string()).help(Some(
                format!("{} / {}", p.endpoint_a.name, p.endpoint_b.name).into(),
            ))
        })
        .collect()
}

/// PAIR of remove, update, mute and unmute: the names people remember — a pair's root name
/// (`Studio` for `Studio (A)` / `Studio (B)`), else both endpoint names — each described by
/// its association id. Bash shows only the values, so these are names, not GUIDs. When what
/// is typed fits none of them (`Studio (`), the endpoint names and ids that fit are offered.
pub(super) fn complete_pair(current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let pairs = running_pairs();
    let described = |value: &str, p: &PairInfo| {
        CompletionCandidate::new(value.to_string()).help(Some(p.association_id.to_string().into()))
    };
    let mut names = Vec::new();
    for p in &pairs {
        match pair_ref::root_name(p) {
            Some(root) => names.push(described(root, p)),
            None => names.extend(
                [p.endpoint_a.name.as_str(), p.endpoint_b.name.as_str()].map(|n| described(n, p)),
            ),
        }
    }
    let fits = |c: &CompletionCandidate| {
        starts_with_ignoring_case(&c.get_value().to_string_lossy(), &current)
    };
    let offered: Vec<_> = names.into_iter().filter(fits).collect();
    if !offered.is_empty() {
        return offered;
    }
    pairs
        .iter()
        .flat_map(|p| {
            [&p.endpoint_a, &p.endpoint_b]
                .into_iter()
                .flat_map(move |e| [described(&e.name, p), described(e.id.as_str(), p)])
        })
        .filter(fits)
        .collect()
}

/// `-i/--association-id` of create: a new pair needs an id no pair has, so the useful
/// completion is a fresh random GUID (an existing one would only be refused as a conflict).
pub(super) fn complete_new_association_id(current: &OsStr) -> Vec<CompletionCandidate> {
    if !current.is_empty() {
        return Vec::new();
    }
    vec![
        CompletionCandidate::new(AssociationId::new_random().to_string())
            .help(Some("a new random GUID".into())),
    ]
}

/// ENDPOINT of send-message, send-message-file and monitor: every endpoint's id and name.
pub(super) fn complete_endpoint(current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let pairs = running_pairs();
    let endpoints: Vec<_> = pairs
        .iter()
        .flat_map(|p| [&p.endpoint_a, &p.endpoint_b])
        .collect();
    // Ids first: they never need quoting. Names are offered too, since that is what people
    // remember; the shells quote them when they contain spaces.
    let ids = endpoints
        .iter()
        .map(|e| CompletionCandidate::new(e.id.as_str()).help(Some(e.name.clone().into())));
    let names = endpoints.iter().map(|e| {
        CompletionCandidate::new(e.name.as_str()).help(Some(e.id.as_str().to_string().into()))
    });
    ids.chain(names)
        .filter(|c| starts_with_ignoring_case(&c.get_value().to_string_lossy(), &current))
        .collect()
}

/// Ids and endpoint names compare ignoring case everywhere else, so completion does too.
/// Bash hands over the word as typed, so `Studio\ \(B` must match `Studio (B)`.
fn starts_with_ignoring_case(candidate: &str, typed: &str) -> bool {
    let mut unescaped = String::with_capacity(typed.len());
    let mut chars = typed.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => unescaped.extend(chars.next()),
            c => unescaped.push(c),
        }
    }
    candidate
        .to_lowercase()
        .starts_with(&unescaped.to_lowercase())
}

/// The pairs of the engine that already runs for this state root; none when it does not run
/// or does not answer. Completion must never start an engine nor print an error mid-line.
fn running_pairs() -> Vec<PairInfo> {
    let home = home_from_args(std::env::args_os());
    let Ok(mut options) = ClientOptions::from_env(home.as_deref()) else {
        return Vec::new();
    };
    options.autostart = false;
    options.client_name = format!("midi completion (pid {})", std::process::id());
    match Client::connect_running(&options) {
        Ok(Some(mut client)) => client.list_pairs().unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// `--home DIR` from the command line being completed (the completers only see the current
/// word, but the whole line is in this process's arguments). The last one wins, as in clap.
fn home_from_args(args: impl IntoIterator<Item = OsString>) -> Option<PathBuf> {
    let args: Vec<OsString> = args.into_iter().collect();
    let mut home = None;
    for (i, arg) in args.iter().enumerate() {
        let Some(text) = arg.to_str() else { continue };
        if text == "--home" {
            if let Some(value) = args.get(i + 1) {
                home = Some(PathBuf::from(value));
            }
        } else if let Some(value) = text.strip_prefix("--home=") {
            home = Some(PathBuf::from(value));
        }
    }
    home.filter(|h| !h.as_os_str().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn home_is_read_from_the_line_being_completed() {
        assert_eq!(
            home_from_args(args(&[
                "midi", "--", "midi", "--home", "/x", "loopback", "remove"
            ])),
            Some(PathBuf::from("/x"))
        );
        assert_eq!(
            home_from_args(args(&[
                "midi",
                "--",
                "midi",
                "--home=/y",
                "endpoint",
                "monitor",
                ""
            ])),
            Some(PathBuf::from("/y"))
        );
        assert_eq!(
            home_from_args(args(&["midi", "--", "midi", "loopback"])),
            None
        );
        // `--home` being typed right now has no value yet.
        assert_eq!(
            home_from_args(args(&["midi", "--", "midi", "--home"])),
            None
        );
    }

    #[test]
    fn typed_prefixes_match_ignoring_case_and_backslash_escapes() {
        assert!(starts_with_ignoring_case("Studio (B)", "stu"));
        assert!(starts_with_ignoring_case("Studio (B)", r"Studio\ \(B"));
        assert!(!starts_with_ignoring_case("Studio (B)", "Studio (A"));
    }

    #[test]
    fn create_offers_a_fresh_guid_only_before_anything_is_typed() {
        let offered = complete_new_association_id(OsStr::new(""));
        assert_eq!(offered.len(), 1);
        let id = offered[0].get_value().to_string_lossy();
        assert!(crate::core::rules::parse_association_id(&id).is_ok());
        assert!(complete_new_association_id(OsStr::new("7a")).is_empty());
    }
}
