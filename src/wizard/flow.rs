//! The wizard's questions as a pure function of the answers and of the pairs that exist: no
//! terminal, no engine. Each answer goes through the rule functions `create` uses
//! (`crate::core::rules`) and through the engine's own conflict check
//! ([`PairDefinition::check_conflicts`]); the pair itself is built by [`PairSpec::resolve`],
//! exactly as `create` builds it.

use super::prompt::{PromptError, Prompter};
use crate::core::ids::{AssociationId, Side, UniqueIdentifier};
use crate::core::model::{
    ConflictError, EndpointDefinition, NameSpec, PairDefinition, PairInfo, PairSpec,
    association_id_is_free,
};
use crate::core::rules::{self, SUFFIX_A, SUFFIX_B};
use crate::face::output::{self, Style, key_values_at};
use crate::face::pair_text;

/// One paragraph: it is fitted to the terminal's width when shown.
pub const INTRO: &str = "A loopback pair is two MIDI 2.0 endpoints, A and B, wired to each other: \
what an app sends out on A arrives at B, and what it sends out on B arrives at A, so two apps can \
talk by each opening one side. Answers are checked as you type. Esc or Ctrl-C stops at any \
question; nothing is created until you confirm.";

pub const Q_MODE: &str = "How do you want to name the endpoints?";
pub const QUICK: &str = "Quick: one name; the endpoints become NAME (A) and NAME (B)";
pub const ADVANCED: &str = "Advanced: name each endpoint, choose the ids, add a description";
pub const Q_ROOT: &str = "Name of the pair";
pub const Q_NAME_A: &str = "Name of endpoint A";
pub const Q_NAME_B: &str = "Name of endpoint B";
pub const Q_ASSOCIATION_ID: &str = "Association id (a GUID that identifies the pair)";
pub const Q_UNIQUE_ID: &str = "Unique identifier (the pair's serial number)";
pub const Q_DESCRIPTION: &str = "Description (optional)";
pub const Q_PERSISTENT: &str =
    "Keep the pair when the engine restarts (store it in the configuration file)?";
pub const Q_CREATE: &str = "Create this pair?";
pub const CREATE: &str = "Yes, create it";
pub const CHANGE: &str = "No, change an answer";
pub const CANCEL: &str = "Cancel";

/// How the wizard ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The person confirmed this pair.
    Create(PairDefinition),
    /// The person cancelled: nothing is to be created.
    Cancelled,
}

/// What was already given on the command line (`midi loopback create --persistent`, …), checked
/// with create's rules. Those questions are not asked again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Given {
    pub association_id: Option<AssociationId>,
    pub unique_identifier: Option<UniqueIdentifier>,
    pub description: Option<String>,
    pub persistent: bool,
}

impl Given {
    /// Applies create's rules to the values of `spec` other than the names, and checks them
    /// against the pairs that exist. A broken rule is a `RuleError` (exit 2), a clash a
    /// `ConflictError` (exit 5), as with `create`.
    pub fn from_spec(spec: &PairSpec, existing: &[PairDefinition]) -> anyhow::Result<Given> {
        let given = Given {
            association_id: spec
                .association_id
                .as_deref()
                .map(rules::parse_association_id)
                .transpose()?,
            unique_identifier: spec
                .unique_identifier
                .as_deref()
                .map(rules::clean_unique_identifier)
                .transpose()?,
            description: spec
                .description
                .as_deref()
                .map(rules::validate_description)
                .transpose()?,
            persistent: spec.persistent,
        };
        if let Some(id) = given.association_id {
            association_id_is_free(id, existing)?;
        }
        if let Some(unique) = &given.unique_identifier {
            probe(existing, |p| p.unique_identifier = unique.clone())?;
        }
        Ok(given)
    }
}

/// The pairs that exist, as definitions (what the conflict check compares).
pub fn definitions(pairs: &[PairInfo]) -> Vec<PairDefinition> {
    pairs.iter().map(PairInfo::definition).collect()
}

/// The guided flow over a [`Prompter`].
pub struct Wizard<'a> {
    existing: &'a [PairDefinition],
    given: Given,
    /// Offered as the association id (and, through it, the unique identifier).
    new_id: AssociationId,
    style: Style,
}

/// The answers so far; after "change an answer" they are the defaults of a second round.
struct Draft {
    advanced: bool,
    root: String,
    name_a: String,
    name_b: Option<String>,
    association_id: String,
    /// `None` while it is the association id's hex digits (and so follows a new id).
    unique_identifier: Option<String>,
    description: String,
    persistent: bool,
}

impl<'a> Wizard<'a> {
    pub fn new(
        existing: &'a [PairDefinition],
        given: Given,
        new_id: AssociationId,
        style: Style,
    ) -> Wizard<'a> {
        Wizard {
            existing,
            given,
            new_id,
            style,
        }
    }

    /// Runs the questions. `Ok(Outcome::Cancelled)` when the person cancels; an error when
    /// the terminal fails.
    pub fn run(&self, prompter: &mut dyn Prompter) -> anyhow::Result<Outcome> {
        match self.questions(prompter) {
            Err(e) if matches!(e.downcast_ref(), Some(PromptError::Cancelled)) => {
                Ok(Outcome::Cancelled)
            }
            other => other,
        }
    }

    fn questions(&self, p: &mut dyn Prompter) -> anyhow::Result<Outcome> {
        p.show(&output::paragraph_at(INTRO, p.width()))?;
        let root = self.free_root_name();
        let mut draft = Draft {
            advanced: false,
            name_a: format!("{root}{SUFFIX_A}"),
            root,
            name_b: None,
            association_id: self.given.association_id.unwrap_or(self.new_id).to_string(),
            unique_identifier: self.given.unique_identifier.as_ref().map(|u| u.to_string()),
            description: self.given.description.clone().unwrap_or_default(),
            persistent: self.given.persistent,
        };
        loop {
            self.ask(p, &mut draft)?;
            // Every answer passed these rules already; this builds the pair as create does.
            let def = self.definition(&draft)?;
            p.show(&self.summary(&def, p.width()))?;
            match p.select(Q_CREATE, &[CREATE, CHANGE, CANCEL], 0)? {
                0 => return Ok(Outcome::Create(def)),
                1 => continue,
                _ => return Ok(Outcome::Cancelled),
            }
        }
    }

    fn ask(&self, p: &mut dyn Prompter, draft: &mut Draft) -> Result<(), PromptError> {
        draft.advanced = p.select(Q_MODE, &[QUICK, ADVANCED], usize::from(draft.advanced))? == 1;
        if draft.advanced {
            draft.name_a = p.text(Q_NAME_A, Some(&draft.name_a), &|raw| self.check_name_a(raw))?;
            let default_b = draft.name_b.clone().or_else(|| {
                draft
                    .name_a
                    .strip_suffix(SUFFIX_A)
                    .map(|root| format!("{root}{SUFFIX_B}"))
            });
            let name_a = draft.name_a.clone();
            draft.name_b = Some(p.text(Q_NAME_B, default_b.as_deref(), &|raw| {
                self.check_name_b(&name_a, raw)
            })?);
            if self.given.association_id.is_none() {
                draft.association_id =
                    p.text(Q_ASSOCIATION_ID, Some(&draft.association_id), &|raw| {
                        self.check_association_id(raw)
                    })?;
            }
            if self.given.unique_identifier.is_none() {
                let derived = derived_unique_identifier(&draft.association_id);
                let default = draft.unique_identifier.clone().unwrap_or(derived.clone());
                let unique = p.text(Q_UNIQUE_ID, Some(&default), &|raw| {
                    self.check_unique_identifier(raw)
                })?;
                draft.unique_identifier = (unique != derived).then_some(unique);
            }
            if self.given.description.is_none() {
                let default = (!draft.description.is_empty()).then_some(draft.description.as_str());
                draft.description = p.text(Q_DESCRIPTION, default, &|raw| {
                    rules::validate_description(raw).map_err(|e| e.to_string())
                })?;
            }
        } else {
            draft.root = p.text(Q_ROOT, Some(&draft.root), &|raw| self.check_root(raw))?;
        }
        if !self.given.persistent {
            draft.persistent = p.confirm(Q_PERSISTENT, draft.persistent)?;
        }
        Ok(())
    }

    /// The pair, built the way `create` builds it, and checked as the engine will check it.
    fn definition(&self, draft: &Draft) -> anyhow::Result<PairDefinition> {
        let names = match (&draft.advanced, &draft.name_b) {
            (true, Some(b)) => NameSpec::Each {
                a: draft.name_a.clone(),
                b: b.clone(),
            },
            _ => NameSpec::Root(draft.root.clone()),
        };
        let def = PairSpec {
            names: Some(names),
            association_id: Some(draft.association_id.clone()),
            unique_identifier: draft.unique_identifier.clone(),
            description: Some(draft.description.clone()),
            persistent: draft.persistent,
        }
        .resolve()?;
        association_id_is_free(def.association_id, self.existing)?;
        def.check_conflicts(self.existing)?;
        Ok(def)
    }

    /// The pair to create, as `create` reports one (each endpoint's id on a row of its own,
    /// so the ids line up), and the command line that makes it, fitted to `width`.
    fn summary(&self, def: &PairDefinition, width: Option<usize>) -> String {
        let s = self.style;
        let description = &def.endpoint_a.description;
        let rows = [
            ("Endpoint A", s.bold(&def.endpoint_a.name)),
            ("", s.id(def.endpoint_id(Side::A).as_str())),
            ("Endpoint B", s.bold(&def.endpoint_b.name)),
            ("", s.id(def.endpoint_id(Side::B).as_str())),
            ("Association Id", s.id(&def.association_id.to_string())),
            ("Unique Id", def.unique_identifier.to_string()),
            (
                "Description",
                if description.is_empty() {
                    s.dim("(none)")
                } else {
                    description.clone()
                },
            ),
            (
                "Persistent",
                if def.persistent {
                    "yes (stored in the configuration file)".to_string()
                } else {
                    "no (lasts until the engine stops)".to_string()
                },
            ),
        ];
        let command = match width {
            Some(w) => pair_text::continued_command(&create_command(def), w.saturating_sub(2)),
            None => vec![create_command(def)],
        };
        format!(
            "\n{}\n{}\n{}\n  {}\n",
            s.bold("The pair to create:"),
            key_values_at(s, &rows, width),
            s.dim("The same from a script:"),
            command.join("\n  ")
        )
    }

    // ---- One check per question: the rule, then the clash with existing pairs ----

    fn check_root(&self, raw: &str) -> Result<String, String> {
        let (a, b) = rules::names_from_root(raw).map_err(|e| e.to_string())?;
        let (a, b) = rules::validate_name_pair(&a, &b).map_err(|e| e.to_string())?;
        self.names_free(&a, &b)?;
        Ok(raw.trim().to_string())
    }

    fn check_name_a(&self, raw: &str) -> Result<String, String> {
        let a = rules::validate_endpoint_name("name A", raw).map_err(|e| e.to_string())?;
        self.names_free(&a, "")?;
        Ok(a)
    }

    fn check_name_b(&self, a: &str, raw: &str) -> Result<String, String> {
        let (_, b) = rules::validate_name_pair(a, raw).map_err(|e| e.to_string())?;
        self.names_free("", &b)?;
        Ok(b)
    }

    fn check_association_id(&self, raw: &str) -> Result<String, String> {
        let id = rules::parse_association_id(raw).map_err(|e| e.to_string())?;
        association_id_is_free(id, self.existing).map_err(|e| e.to_string())?;
        Ok(id.to_string())
    }

    fn check_unique_identifier(&self, raw: &str) -> Result<String, String> {
        let unique = rules::clean_unique_identifier(raw).map_err(|e| e.to_string())?;
        probe(self.existing, |p| p.unique_identifier = unique.clone())
            .map_err(|e| e.to_string())?;
        Ok(unique.to_string())
    }

    fn names_free(&self, a: &str, b: &str) -> Result<(), String> {
        probe(self.existing, |p| {
            p.endpoint_a.name = a.to_string();
            p.endpoint_b.name = b.to_string();
        })
        .map_err(|e| e.to_string())
    }

    /// "My Loopback", or "My Loopback 2", 3, … when that is taken: a name that will be accepted.
    fn free_root_name(&self) -> String {
        (1..)
            .map(|n| match n {
                1 => "My Loopback".to_string(),
                n => format!("My Loopback {n}"),
            })
            .find(|root| self.check_root(root).is_ok())
            .expect("some numbered name is free")
    }
}

/// The engine's conflict check, asked about one value: a probe pair with a fresh id and
/// empty names (which no existing pair can have) clashes only through what `fill` sets.
fn probe(
    existing: &[PairDefinition],
    fill: impl FnOnce(&mut PairDefinition),
) -> Result<(), ConflictError> {
    let id = AssociationId::new_random();
    let blank = EndpointDefinition {
        name: String::new(),
        description: String::new(),
    };
    let mut probe = PairDefinition {
        association_id: id,
        unique_identifier: rules::clean_unique_identifier(&id.simple_hex())
            .expect("32 hex digits are a valid unique identifier"),
        endpoint_a: blank.clone(),
        endpoint_b: blank,
        persistent: false,
        muted: false,
    };
    fill(&mut probe);
    probe.check_conflicts(existing)
}

/// The unique identifier `create` derives from an association id (its 32 hex digits).
fn derived_unique_identifier(association_id: &str) -> String {
    rules::parse_association_id(association_id)
        .map(|id| id.simple_hex())
        .unwrap_or_default()
}

/// The `midi loopback create` flags (with their values) that make exactly this pair.
pub fn create_flags(def: &PairDefinition) -> Vec<(&'static str, Option<String>)> {
    let (a, b) = (&def.endpoint_a.name, &def.endpoint_b.name);
    let mut flags = match (a.strip_suffix(SUFFIX_A), b.strip_suffix(SUFFIX_B)) {
        (Some(root), Some(root_b)) if root == root_b => vec![("--root-name", Some(root.into()))],
        _ => vec![("--name-a", Some(a.clone())), ("--name-b", Some(b.clone()))],
    };
    flags.push(("--association-id", Some(def.association_id.to_string())));
    if def.unique_identifier.as_str() != def.association_id.simple_hex() {
        flags.push((
            "--unique-identifier",
            Some(def.unique_identifier.to_string()),
        ));
    }
    if !def.endpoint_a.description.is_empty() {
        flags.push(("--description", Some(def.endpoint_a.description.clone())));
    }
    if def.persistent {
        flags.push(("--persistent", None));
    }
    flags
}

/// The whole `midi loopback create …` command line, quoted for a POSIX shell.
pub fn create_command(def: &PairDefinition) -> String {
    let mut line = String::from("midi loopback create");
    for (flag, value) in create_flags(def) {
        line.push(' ');
        line.push_str(flag);
        match value {
            // A value that starts with `-` must be attached, or it would read as a flag.
            Some(v) if v.starts_with('-') => line.push_str(&format!("={}", shell_quote(&v))),
            Some(v) => line.push_str(&format!(" {}", shell_quote(&v))),
            None => {}
        }
    }
    line
}

pub use crate::face::pair_text::shell_quote;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_names_are_given_back_as_root_names() {
        let def = PairSpec {
            names: Some(NameSpec::Root("Studio".into())),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        let flags = create_flags(&def);
        assert_eq!(flags[0], ("--root-name", Some("Studio".to_string())));
        assert!(flags.iter().all(|(f, _)| *f != "--unique-identifier"));
        assert!(
            create_command(&def)
                .starts_with("midi loopback create --root-name Studio --association-id ")
        );
    }
}
