//! Naming a pair the way people remember it: by its association id, its root name (`Studio`
//! for `Studio (A)` / `Studio (B)`), either endpoint's name or either endpoint's id, all
//! ignoring case. `remove`, `update`, `mute` and `unmute` take such a PAIR; completion offers
//! the same names, so what Tab offers is what the command accepts.

use crate::core::ErrorKind;
use crate::core::model::PairInfo;
use crate::core::rules::{self, SUFFIX_A, SUFFIX_B};
use crate::face::UserError;

/// The root name of a pair whose names are `ROOT (A)` and `ROOT (B)` (as `--root-name` makes
/// them); `None` for a pair named side by side.
pub fn root_name(pair: &PairInfo) -> Option<&str> {
    let a = pair.endpoint_a.name.strip_suffix(SUFFIX_A)?;
    let b = pair.endpoint_b.name.strip_suffix(SUFFIX_B)?;
    (a == b && !a.trim().is_empty()).then_some(a)
}

/// How a PAIR matched a pair, for the list of candidates of an ambiguous name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    AssociationId,
    RootName,
    EndpointName,
    EndpointId,
}

impl MatchedBy {
    fn describe(self) -> &'static str {
        match self {
            MatchedBy::AssociationId => "its association id",
            MatchedBy::RootName => "its root name",
            MatchedBy::EndpointName => "an endpoint's name",
            MatchedBy::EndpointId => "an endpoint's id",
        }
    }
}

/// How `wanted` names `pair`, if it does (the first way that fits).
fn matches(pair: &PairInfo, wanted: &str) -> Option<MatchedBy> {
    if rules::parse_association_id(wanted).is_ok_and(|id| id == pair.association_id) {
        return Some(MatchedBy::AssociationId);
    }
    if root_name(pair).is_some_and(|root| rules::names_clash(root, wanted)) {
        return Some(MatchedBy::RootName);
    }
    let endpoints = [&pair.endpoint_a, &pair.endpoint_b];
    if endpoints
        .iter()
        .any(|e| rules::names_clash(&e.name, wanted))
    {
        return Some(MatchedBy::EndpointName);
    }
    if endpoints
        .iter()
        .any(|e| e.id.as_str().eq_ignore_ascii_case(wanted.trim()))
    {
        return Some(MatchedBy::EndpointId);
    }
    None
}

/// Every pair `wanted` names, with how.
pub fn find_pairs<'a>(pairs: &'a [PairInfo], wanted: &str) -> Vec<(&'a PairInfo, MatchedBy)> {
    pairs
        .iter()
        .filter_map(|p| matches(p, wanted).map(|how| (p, how)))
        .collect()
}

/// The one pair `wanted` names: not found (exit 4) with near names suggested, or ambiguous
/// (exit 2) with every candidate listed.
pub fn resolve<'a>(pairs: &'a [PairInfo], wanted: &str) -> Result<&'a PairInfo, UserError> {
    let found = find_pairs(pairs, wanted);
    match found.as_slice() {
        [(pair, _)] => Ok(pair),
        [] => Err(not_found(pairs, wanted)),
        many => Err(ambiguous(wanted, many)),
    }
}

fn not_found(pairs: &[PairInfo], wanted: &str) -> UserError {
    let message = format!(
        "no pair is called {wanted:?}: it is no pair's association id, root name, endpoint name or endpoint id (ignoring case)"
    );
    let near = near_names(pairs, wanted);
    let hint = if near.is_empty() {
        "`midi loopback list` shows every pair".to_string()
    } else {
        format!("did you mean {}?", quoted_list(&near))
    };
    UserError::new(ErrorKind::NotFound, message).hint(hint)
}

fn ambiguous(wanted: &str, many: &[(&PairInfo, MatchedBy)]) -> UserError {
    let lines: Vec<String> = many
        .iter()
        .map(|(p, how)| {
            format!(
                "{} ({} / {}, by {})",
                p.association_id,
                p.endpoint_a.name,
                p.endpoint_b.name,
                how.describe()
            )
        })
        .collect();
    UserError::new(
        ErrorKind::Invalid,
        format!(
            "{wanted:?} names {} pairs: {}",
            many.len(),
            lines.join("; ")
        ),
    )
    .hint("name the pair by its association id (the first column of `midi loopback list`)")
}

/// Names (roots first) that contain what was typed, or that it contains, ignoring case: the
/// user who types `Studio` when only `Studio Live (A)` exists is pointed at it.
pub fn near_names(pairs: &[PairInfo], wanted: &str) -> Vec<String> {
    let key = rules::name_key(wanted);
    if key.is_empty() {
        return Vec::new();
    }
    let mut near = Vec::new();
    for p in pairs {
        let names = match root_name(p) {
            Some(root) => vec![root.to_string()],
            None => vec![p.endpoint_a.name.clone(), p.endpoint_b.name.clone()],
        };
        for name in names {
            let k = rules::name_key(&name);
            if (k.contains(&key) || key.contains(&k)) && !near.contains(&name) {
                near.push(name);
            }
        }
    }
    near.truncate(5);
    near
}

/// Endpoint names that contain what was typed, or that it contains, ignoring case: `X`
/// points at `X (A)` and `X (B)`.
pub fn near_endpoint_names(pairs: &[PairInfo], wanted: &str) -> Vec<String> {
    let key = rules::name_key(wanted);
    if key.is_empty() {
        return Vec::new();
    }
    let mut near: Vec<String> = pairs
        .iter()
        .flat_map(|p| [&p.endpoint_a.name, &p.endpoint_b.name])
        .filter(|name| {
            let k = rules::name_key(name);
            k.contains(&key) || key.contains(&k)
        })
        .cloned()
        .collect();
    near.truncate(5);
    near
}

/// `"a", "b" or "c"`.
pub fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::AssociationId;
    use crate::core::model::{NameSpec, PairSpec};

    fn association_id_of(pairs: &[PairInfo], wanted: &str) -> Result<AssociationId, UserError> {
        resolve(pairs, wanted).map(|p| p.association_id)
    }

    fn pair(names: NameSpec) -> PairInfo {
        let def = PairSpec {
            names: Some(names),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        let endpoint = |side| crate::core::model::EndpointInfo {
            id: def.endpoint_id(side),
            name: def.endpoint(side).name.clone(),
            description: String::new(),
            side,
            association_id: def.association_id,
            clients: 0,
            alsa: None,
            network_presence: None,
        };
        PairInfo {
            association_id: def.association_id,
            unique_identifier: def.unique_identifier.clone(),
            persistent: false,
            muted: false,
            feedback_loop: false,
            endpoint_a: endpoint(crate::core::ids::Side::A),
            endpoint_b: endpoint(crate::core::ids::Side::B),
            a_to_b: Default::default(),
            b_to_a: Default::default(),
        }
    }

    #[test]
    fn a_pair_is_found_by_every_name_it_has_ignoring_case() {
        let pairs = vec![
            pair(NameSpec::Root("My Loopback".into())),
            pair(NameSpec::Each {
                a: "Synth Out".into(),
                b: "Synth In".into(),
            }),
        ];
        let first = pairs[0].association_id;
        for wanted in [
            "my loopback",
            "MY LOOPBACK (A)",
            "My Loopback (B)",
            &first.to_string(),
            &pairs[0].association_id.config_key(),
            &pairs[0].endpoint_b.id.as_str().to_uppercase(),
        ] {
            assert_eq!(
                association_id_of(&pairs, wanted).unwrap(),
                first,
                "{wanted}"
            );
        }
        assert_eq!(
            association_id_of(&pairs, "synth in").unwrap(),
            pairs[1].association_id
        );
        assert_eq!(root_name(&pairs[1]), None);
    }

    #[test]
    fn an_unknown_name_is_not_found_with_suggestions_and_an_ambiguous_one_lists_candidates() {
        let mut pairs = vec![pair(NameSpec::Root("Studio".into()))];
        let e = resolve(&pairs, "Studi").unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(e.hint.as_deref(), Some("did you mean \"Studio\"?"));
        pairs.push(pair(NameSpec::Each {
            a: "studio".into(),
            b: "Other".into(),
        }));
        let e = resolve(&pairs, "Studio").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert!(e.message.contains("names 2 pairs"), "{}", e.message);
        for p in &pairs {
            assert!(e.message.contains(&p.association_id.to_string()));
        }
    }
}
