//! The pair and endpoint model: what a user asks for ([`PairSpec`], [`PairUpdate`]), what the
//! engine keeps ([`PairDefinition`]) and what it reports ([`PairInfo`]).

use super::ids::{AssociationId, EndpointId, Side, UniqueIdentifier};
use super::rules::{self, NameClash, NameProbe, RuleError};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How the user named the two endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameSpec {
    /// `--root-name NAME`: `NAME (A)` and `NAME (B)`.
    Root(String),
    /// `--name-a A --name-b B`.
    Each { a: String, b: String },
}

impl NameSpec {
    /// The names as a user gave them: a root name wins; otherwise the two names (one left
    /// out counts as empty, which the rules refuse); nothing given is `None`.
    pub fn from_parts(
        root: Option<String>,
        a: Option<String>,
        b: Option<String>,
    ) -> Option<NameSpec> {
        match (root, a, b) {
            (Some(root), _, _) => Some(NameSpec::Root(root)),
            (None, None, None) => None,
            (None, a, b) => Some(NameSpec::Each {
                a: a.unwrap_or_default(),
                b: b.unwrap_or_default(),
            }),
        }
    }
}

/// A request to create a pair, as typed by a user (not yet validated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PairSpec {
    pub names: Option<NameSpec>,
    pub association_id: Option<String>,
    pub unique_identifier: Option<String>,
    pub description: Option<String>,
    pub persistent: bool,
}

impl PairSpec {
    /// Applies every rule of `core::rules` that does not need to know the other pairs, and fills in
    /// the defaults (a random association id; the unique identifier from its hex digits).
    pub fn resolve(&self) -> Result<PairDefinition, RuleError> {
        let (name_a, name_b) = match &self.names {
            None => return Err(RuleError::MissingNames),
            Some(NameSpec::Root(root)) => {
                let (a, b) = rules::names_from_root(root)?;
                rules::validate_name_pair(&a, &b)?
            }
            Some(NameSpec::Each { a, b }) => rules::validate_name_pair(a, b)?,
        };
        let association_id = match &self.association_id {
            Some(raw) => rules::parse_association_id(raw)?,
            None => AssociationId::new_random(),
        };
        let unique_identifier = match &self.unique_identifier {
            Some(raw) => rules::clean_unique_identifier(raw)?,
            None => rules::clean_unique_identifier(&association_id.simple_hex())?,
        };
        let description = match &self.description {
            Some(d) => rules::validate_description(d)?,
            None => String::new(),
        };
        Ok(PairDefinition {
            association_id,
            unique_identifier,
            endpoint_a: EndpointDefinition {
                name: name_a,
                description: description.clone(),
            },
            endpoint_b: EndpointDefinition {
                name: name_b,
                description,
            },
            persistent: self.persistent,
            muted: false,
        })
    }
}

/// One endpoint as the user defined it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointDefinition {
    pub name: String,
    pub description: String,
}

/// A validated pair: what the engine holds and the configuration file stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairDefinition {
    pub association_id: AssociationId,
    pub unique_identifier: UniqueIdentifier,
    pub endpoint_a: EndpointDefinition,
    pub endpoint_b: EndpointDefinition,
    pub persistent: bool,
    pub muted: bool,
}

impl PairDefinition {
    pub fn endpoint(&self, side: Side) -> &EndpointDefinition {
        match side {
            Side::A => &self.endpoint_a,
            Side::B => &self.endpoint_b,
        }
    }

    pub fn endpoint_id(&self, side: Side) -> EndpointId {
        EndpointId::for_side(&self.unique_identifier, side)
    }

    /// Re-applies the rules to concrete values: the engine does this for every definition it
    /// receives, whoever built it, so a client can never slip a bad value past the rules.
    pub fn validate(&self) -> Result<(), RuleError> {
        let (a, b) = rules::validate_name_pair(&self.endpoint_a.name, &self.endpoint_b.name)?;
        if a != self.endpoint_a.name || b != self.endpoint_b.name {
            // Untrimmed names would compare differently later; refuse rather than fix silently.
            return Err(RuleError::EmptyName {
                field: "name (untrimmed)",
            });
        }
        rules::validate_description(&self.endpoint_a.description)?;
        rules::validate_description(&self.endpoint_b.description)?;
        let clean = rules::clean_unique_identifier(self.unique_identifier.as_str())?;
        if clean.as_str() != self.unique_identifier.as_str() {
            return Err(RuleError::EmptyUniqueIdentifier {
                value: self.unique_identifier.to_string(),
            });
        }
        if self.association_id.0.is_nil() {
            return Err(RuleError::NilGuid {
                value: self.association_id.to_string(),
            });
        }
        Ok(())
    }

    /// Checks a definition for a new pair: its association id must be free, and its names and
    /// unique identifier must clash with nobody.
    pub fn check_new<'a>(
        &self,
        existing: impl IntoIterator<Item = &'a PairDefinition> + Clone,
    ) -> Result<(), ConflictError> {
        association_id_is_free(self.association_id, existing.clone())?;
        self.check_conflicts(existing)
    }

    /// Checks the new definition against the pairs that exist (skipping the one it replaces).
    pub fn check_conflicts<'a>(
        &self,
        existing: impl IntoIterator<Item = &'a PairDefinition>,
    ) -> Result<(), ConflictError> {
        let mine = [&self.endpoint_a.name, &self.endpoint_b.name].map(|n| (n, NameProbe::new(n)));
        for other in existing {
            if other.association_id == self.association_id {
                continue;
            }
            if other.unique_identifier.same_as(&self.unique_identifier) {
                return Err(ConflictError::UniqueIdentifier {
                    value: self.unique_identifier.to_string(),
                    pair: other.association_id,
                });
            }
            for (mine, probe) in &mine {
                for theirs in [&other.endpoint_a.name, &other.endpoint_b.name] {
                    if let Some(how) = probe.clash(theirs) {
                        return Err(ConflictError::Name {
                            value: (*mine).clone(),
                            existing: theirs.clone(),
                            pair: other.association_id,
                            how,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// The association ids, unique identifiers and names in use, indexed so that checking many
/// pairs (a configuration file of thousands) takes linear time. Same rules as
/// [`PairDefinition::check_new`]: names are indexed by their two skeletons, one of which two
/// names share exactly when they clash.
#[derive(Debug, Default)]
pub struct ConflictIndex {
    ids: std::collections::HashSet<AssociationId>,
    uniques: std::collections::HashMap<String, AssociationId>,
    names: std::collections::HashMap<String, (String, AssociationId)>,
}

impl ConflictIndex {
    pub fn contains(&self, id: AssociationId) -> bool {
        self.ids.contains(&id)
    }

    /// Checks a new pair against every pair inserted so far.
    pub fn check(&self, def: &PairDefinition) -> Result<(), ConflictError> {
        if self.contains(def.association_id) {
            return Err(ConflictError::AssociationId {
                value: def.association_id,
            });
        }
        if let Some(pair) = self
            .uniques
            .get(&def.unique_identifier.as_str().to_ascii_lowercase())
        {
            return Err(ConflictError::UniqueIdentifier {
                value: def.unique_identifier.to_string(),
                pair: *pair,
            });
        }
        for mine in [&def.endpoint_a.name, &def.endpoint_b.name] {
            let found = skeleton_keys(mine)
                .into_iter()
                .find_map(|key| self.names.get(&key));
            if let Some((existing, pair)) = found {
                return Err(ConflictError::Name {
                    value: mine.clone(),
                    existing: existing.clone(),
                    pair: *pair,
                    how: rules::name_clash(mine, existing).unwrap_or(NameClash::LookAlike),
                });
            }
        }
        Ok(())
    }

    pub fn insert(&mut self, def: &PairDefinition) {
        let id = def.association_id;
        self.ids.insert(id);
        self.uniques
            .insert(def.unique_identifier.as_str().to_ascii_lowercase(), id);
        for name in [&def.endpoint_a.name, &def.endpoint_b.name] {
            for key in skeleton_keys(name) {
                self.names.insert(key, (name.clone(), id));
            }
        }
    }
}

/// A name's two skeletons ([`rules::name_skeletons`]) as index keys that cannot meet each
/// other: two names clash when the same one of them is equal.
fn skeleton_keys(name: &str) -> [String; 2] {
    let [key, shown] = rules::name_skeletons(name);
    [format!("k{key}"), format!("s{shown}")]
}

/// Refuses an association id another pair already has.
pub fn association_id_is_free<'a>(
    id: AssociationId,
    existing: impl IntoIterator<Item = &'a PairDefinition>,
) -> Result<(), ConflictError> {
    match existing.into_iter().any(|p| p.association_id == id) {
        true => Err(ConflictError::AssociationId { value: id }),
        false => Ok(()),
    }
}

/// A value already used by another pair (exit 5).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConflictError {
    #[error(
        "association id {value} is already used by another pair; choose another or remove that pair first"
    )]
    AssociationId { value: AssociationId },
    #[error(
        "unique identifier {value:?} is already used by pair {pair} (ignoring case); choose another"
    )]
    UniqueIdentifier { value: String, pair: AssociationId },
    #[error(
        "endpoint name {value:?} {relation} {existing:?} of pair {pair} ({how}); choose another name",
        relation = match how {
            NameClash::SameIgnoringCase => "is already used by",
            NameClash::LookAlike => "looks the same as",
        }
    )]
    Name {
        value: String,
        existing: String,
        pair: AssociationId,
        how: NameClash,
    },
}

/// A change to an existing pair (`midi loopback update`). Fields left `None` stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairUpdate {
    pub names: Option<NameSpec>,
    pub name_a: Option<String>,
    pub name_b: Option<String>,
    pub description: Option<String>,
    pub persistent: Option<bool>,
}

impl PairUpdate {
    pub fn is_empty(&self) -> bool {
        self.names.is_none()
            && self.name_a.is_none()
            && self.name_b.is_none()
            && self.description.is_none()
            && self.persistent.is_none()
    }

    /// The definition after this update, with the same rules as create.
    pub fn apply(&self, current: &PairDefinition) -> Result<PairDefinition, RuleError> {
        let mut next = current.clone();
        let (mut a, mut b) = (
            current.endpoint_a.name.clone(),
            current.endpoint_b.name.clone(),
        );
        match &self.names {
            Some(NameSpec::Root(root)) => (a, b) = rules::names_from_root(root)?,
            Some(NameSpec::Each { a: na, b: nb }) => (a, b) = (na.clone(), nb.clone()),
            None => {}
        }
        if let Some(na) = &self.name_a {
            a = na.clone();
        }
        if let Some(nb) = &self.name_b {
            b = nb.clone();
        }
        let (a, b) = rules::validate_name_pair(&a, &b)?;
        next.endpoint_a.name = a;
        next.endpoint_b.name = b;
        if let Some(d) = &self.description {
            let d = rules::validate_description(d)?;
            next.endpoint_a.description = d.clone();
            next.endpoint_b.description = d;
        }
        if let Some(p) = self.persistent {
            next.persistent = p;
        }
        Ok(next)
    }
}

/// Traffic counters of one direction of a pair. Counters only grow; rates come from deltas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectionStats {
    /// Messages delivered (or held for delivery) across the pair.
    pub messages: u64,
    /// 32-bit words in those messages.
    pub words: u64,
    /// Messages dropped because a receiver's queue was full (counted once per receiver).
    pub dropped_overflow: u64,
    /// Messages dropped because the pair was muted.
    pub dropped_muted: u64,
    /// Batches refused because they ended in the middle of a message or broke another rule.
    pub refused: u64,
    /// Messages in the last whole second.
    pub rate_msgs_per_s: u64,
}

impl DirectionStats {
    /// Adds another direction's counters (and rate) to these: totals over pairs.
    pub fn accumulate(&mut self, other: &DirectionStats) {
        self.messages += other.messages;
        self.words += other.words;
        self.dropped_overflow += other.dropped_overflow;
        self.dropped_muted += other.dropped_muted;
        self.refused += other.refused;
        self.rate_msgs_per_s += other.rate_msgs_per_s;
    }
}

/// One endpoint as reported by the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointInfo {
    pub id: EndpointId,
    pub name: String,
    pub description: String,
    pub side: Side,
    pub association_id: AssociationId,
    /// Connected clients (monitors included).
    pub clients: u32,
    /// Where ALSA applications find this endpoint, when the engine's ALSA bridge presents it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alsa: Option<Box<AlsaPresence>>,
    /// The Network MIDI 2.0 host and client sessions on this endpoint, when it has any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_presence: Option<Box<super::network::NetworkPresence>>,
}

/// An endpoint as the ALSA sequencer shows it (`aconnect -l`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlsaPresence {
    /// `client:port`, as `aconnect` writes it.
    pub address: String,
    /// The name ALSA shows: the endpoint's name, shortened with an ellipsis past ALSA's limit.
    pub name: String,
    /// `ump` for a MIDI 2.0 sequencer client of its own, `midi1` for a MIDI 1.0 port.
    pub kind: String,
}

/// A pair as the engine reports it: the shape of `create --json` and of each `list --json` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairInfo {
    pub association_id: AssociationId,
    pub unique_identifier: UniqueIdentifier,
    pub persistent: bool,
    pub muted: bool,
    /// The engine muted the pair because its traffic came back into it (a feedback loop);
    /// `unmute` clears it. Never stored: a restart starts clean.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub feedback_loop: bool,
    pub endpoint_a: EndpointInfo,
    pub endpoint_b: EndpointInfo,
    pub a_to_b: DirectionStats,
    pub b_to_a: DirectionStats,
}

impl PairInfo {
    pub fn endpoint(&self, side: Side) -> &EndpointInfo {
        match side {
            Side::A => &self.endpoint_a,
            Side::B => &self.endpoint_b,
        }
    }

    /// The definition the engine holds for this pair (what the conflict checks compare).
    pub fn definition(&self) -> PairDefinition {
        let endpoint = |e: &EndpointInfo| EndpointDefinition {
            name: e.name.clone(),
            description: e.description.clone(),
        };
        PairDefinition {
            association_id: self.association_id,
            unique_identifier: self.unique_identifier.clone(),
            endpoint_a: endpoint(&self.endpoint_a),
            endpoint_b: endpoint(&self.endpoint_b),
            persistent: self.persistent,
            muted: self.muted,
        }
    }

    pub fn stats(&self, dir: super::ids::Direction) -> &DirectionStats {
        match dir {
            super::ids::Direction::AToB => &self.a_to_b,
            super::ids::Direction::BToA => &self.b_to_a,
        }
    }
}

/// Finds the endpoint a user named: by id ignoring case, or by name compared the way names are
/// kept apart ([`rules::name_key`]: ignoring case, width and invisible characters). Lookalike
/// letters do not find a name: what a user types is matched, not what it resembles.
pub fn find_endpoint<'a>(pairs: &'a [PairInfo], wanted: &str) -> Option<&'a EndpointInfo> {
    let wanted = wanted.trim();
    let key = rules::name_key(wanted);
    pairs
        .iter()
        .flat_map(|p| [&p.endpoint_a, &p.endpoint_b])
        .find(|e| e.id.as_str().eq_ignore_ascii_case(wanted) || rules::name_key(&e.name) == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(root: &str) -> PairSpec {
        PairSpec {
            names: Some(NameSpec::Root(root.into())),
            ..Default::default()
        }
    }

    #[test]
    fn default_unique_identifier_is_association_hex() {
        let def = spec("X").resolve().unwrap();
        assert_eq!(
            def.unique_identifier.as_str(),
            def.association_id.simple_hex()
        );
        assert_eq!(
            def.endpoint_id(Side::A).as_str(),
            format!("midiu_loop_a_{}", def.association_id.simple_hex())
        );
        def.validate().unwrap();
    }

    #[test]
    fn conflicts_ignore_case() {
        let one = spec("Studio").resolve().unwrap();
        let two = spec("STUDIO").resolve().unwrap();
        assert!(matches!(
            two.check_conflicts([&one]),
            Err(ConflictError::Name { .. })
        ));
        // A pair never conflicts with itself (update in place).
        assert!(one.check_conflicts([&one]).is_ok());
    }

    #[test]
    fn conflicts_see_through_invisible_and_lookalike_characters() {
        let one = spec("Piano").resolve().unwrap();
        for other in [
            "Pi\u{200B}ano",
            "\u{FEFF}Piano",
            "Pi\u{0430}no",
            "ＰＩＡＮＯ",
            "\u{0420}iano",
        ] {
            let two = spec(other).resolve().unwrap();
            let refused = two.check_conflicts([&one]);
            assert!(
                matches!(
                    refused,
                    Err(ConflictError::Name {
                        how: NameClash::LookAlike,
                        ..
                    })
                ),
                "{other:?}: {refused:?}"
            );
            let mut index = ConflictIndex::default();
            index.insert(&one);
            assert!(index.check(&two).is_err(), "{other:?}");
        }
        assert!(
            spec("Piano 2")
                .resolve()
                .unwrap()
                .check_conflicts([&one])
                .is_ok()
        );
    }

    #[test]
    fn update_renames_with_the_same_rules() {
        let one = spec("Studio").resolve().unwrap();
        let up = PairUpdate {
            name_b: Some("studio (a)".into()),
            ..Default::default()
        };
        assert!(matches!(up.apply(&one), Err(RuleError::SameNames { .. })));
        let up = PairUpdate {
            names: Some(NameSpec::Root("Live".into())),
            persistent: Some(true),
            ..Default::default()
        };
        let next = up.apply(&one).unwrap();
        assert_eq!(next.endpoint_a.name, "Live (A)");
        assert!(next.persistent);
    }
}
