//! The create and rename forms: text fields with a cursor, and validation as the user types.
//!
//! The form owns no rule of its own. It builds the same [`PairSpec`] / [`PairUpdate`] that
//! `midi loopback create` / `update` build, runs the core rules on it ([`PairSpec::resolve`],
//! [`PairUpdate::apply`]) and the core conflict check against the pairs on screen, and shows
//! the first complaint next to the field it is about. The engine checks everything again.

use super::strings;
use crate::core::ids::AssociationId;
use crate::core::model::{ConflictError, NameSpec, PairDefinition, PairInfo, PairSpec, PairUpdate};
use crate::core::rules::RuleError;

/// One line of editable text with a cursor (counted in characters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    value: String,
    cursor: usize,
}

impl TextInput {
    pub fn with(value: &str) -> TextInput {
        TextInput {
            value: value.to_string(),
            cursor: value.chars().count(),
        }
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    /// The cursor, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    fn byte_at(&self, char_index: usize) -> usize {
        self.value
            .char_indices()
            .nth(char_index)
            .map_or(self.value.len(), |(i, _)| i)
    }

    pub fn insert(&mut self, c: char) {
        let at = self.byte_at(self.cursor);
        self.value.insert(at, c);
        self.cursor += 1;
    }

    pub fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let at = self.byte_at(self.cursor);
            self.value.remove(at);
        }
    }

    pub fn delete_forward(&mut self) {
        if self.cursor < self.value.chars().count() {
            let at = self.byte_at(self.cursor);
            self.value.remove(at);
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.value.chars().count());
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.value.chars().count();
    }

    pub fn clear(&mut self) {
        *self = TextInput::default();
    }
}

/// A field of a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Root,
    NameA,
    NameB,
    Description,
    UniqueId,
    AssociationId,
    Persistent,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Root => strings::FIELD_ROOT,
            Field::NameA => strings::FIELD_NAME_A,
            Field::NameB => strings::FIELD_NAME_B,
            Field::Description => strings::FIELD_DESCRIPTION,
            Field::UniqueId => strings::FIELD_UNIQUE_ID,
            Field::AssociationId => strings::FIELD_ASSOCIATION_ID,
            Field::Persistent => strings::FIELD_PERSISTENT,
        }
    }

    pub fn placeholder(self) -> &'static str {
        match self {
            Field::Root => strings::PLACEHOLDER_ROOT,
            Field::NameA | Field::NameB => strings::PLACEHOLDER_NAME,
            Field::Description => strings::PLACEHOLDER_OPTIONAL,
            Field::UniqueId => strings::PLACEHOLDER_UNIQUE_ID,
            Field::AssociationId => strings::PLACEHOLDER_ASSOCIATION_ID,
            Field::Persistent => strings::PERSISTENT_HINT,
        }
    }

    fn slot(self) -> usize {
        match self {
            Field::Root => 0,
            Field::NameA => 1,
            Field::NameB => 2,
            Field::Description => 3,
            Field::UniqueId => 4,
            Field::AssociationId => 5,
            Field::Persistent => 6,
        }
    }
}

const CREATE_FIELDS: &[Field] = &[
    Field::Root,
    Field::NameA,
    Field::NameB,
    Field::Description,
    Field::UniqueId,
    Field::AssociationId,
    Field::Persistent,
];
const RENAME_FIELDS: &[Field] = &[Field::Root, Field::NameA, Field::NameB, Field::Description];

/// Which form this is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormKind {
    Create,
    /// Renaming the pair with this id, whose definition was this when the form opened.
    Rename {
        association_id: AssociationId,
        current: PairDefinition,
    },
}

/// What the form would send, once every rule passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    Create(PairDefinition),
    Rename {
        association_id: AssociationId,
        update: PairUpdate,
    },
}

/// A complaint about a field, in the words of the rule that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: Field,
    pub message: String,
}

/// A create or rename form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub kind: FormKind,
    inputs: [TextInput; 7],
    pub persistent: bool,
    focus: usize,
    /// Set once the user edits anything or tries to save: before that, no red ink.
    pub touched: bool,
    /// The form was sent and the engine has not answered yet.
    pub busy: bool,
    /// What the engine said when it refused the last submission.
    pub engine_error: Option<String>,
    /// A word about the last key when it could not do what it looked like (a letter typed
    /// on the checkbox); gone with the next key.
    pub note: Option<&'static str>,
}

impl Form {
    pub fn create() -> Form {
        Form {
            kind: FormKind::Create,
            inputs: Default::default(),
            persistent: false,
            focus: 0,
            touched: false,
            busy: false,
            engine_error: None,
            note: None,
        }
    }

    pub fn rename(pair: &PairInfo) -> Form {
        let mut form = Form {
            kind: FormKind::Rename {
                association_id: pair.association_id,
                current: pair.definition(),
            },
            ..Form::create()
        };
        // A pair made from a root name is renamed by its root name (clear it to name the
        // sides one by one).
        let root = crate::face::pair_ref::root_name(pair).unwrap_or_default();
        form.inputs[Field::Root.slot()] = TextInput::with(root);
        form.inputs[Field::NameA.slot()] = TextInput::with(&pair.endpoint_a.name);
        form.inputs[Field::NameB.slot()] = TextInput::with(&pair.endpoint_b.name);
        form.inputs[Field::Description.slot()] = TextInput::with(&pair.endpoint_a.description);
        form
    }

    pub fn title(&self) -> &'static str {
        match self.kind {
            FormKind::Create => strings::FORM_CREATE_TITLE,
            FormKind::Rename { .. } => strings::FORM_RENAME_TITLE,
        }
    }

    /// The line under the title: what to do here.
    pub fn hint(&self) -> &'static str {
        match self.kind {
            FormKind::Create => strings::FORM_HINT_CREATE,
            FormKind::Rename { .. } => strings::FORM_HINT_RENAME,
        }
    }

    pub fn fields(&self) -> &'static [Field] {
        match self.kind {
            FormKind::Create => CREATE_FIELDS,
            FormKind::Rename { .. } => RENAME_FIELDS,
        }
    }

    pub fn focused(&self) -> Field {
        self.fields()[self.focus]
    }

    pub fn input(&self, field: Field) -> &TextInput {
        &self.inputs[field.slot()]
    }

    fn root_given(&self) -> bool {
        !self.input(Field::Root).value().trim().is_empty()
    }

    /// Name A and B are read-only while a root name decides them.
    pub fn is_enabled(&self, field: Field) -> bool {
        !(matches!(field, Field::NameA | Field::NameB) && self.root_given())
    }

    /// What a disabled name field shows: the name the root gives it.
    pub fn derived_name(&self, field: Field) -> Option<String> {
        if self.is_enabled(field) {
            return None;
        }
        let root = self.input(Field::Root).value().trim();
        let suffix = match field {
            Field::NameA => crate::core::rules::SUFFIX_A,
            _ => crate::core::rules::SUFFIX_B,
        };
        Some(format!("{root}{suffix}"))
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        let field = self.focused();
        if field == Field::Persistent || !self.is_enabled(field) {
            return None;
        }
        Some(&mut self.inputs[field.slot()])
    }

    /// Applies an editing action to the focused field. Returns whether anything changed.
    pub fn edit(&mut self, f: impl FnOnce(&mut TextInput)) -> bool {
        let Some(input) = self.focused_input() else {
            return false;
        };
        let before = input.clone();
        f(input);
        let changed = *input != before;
        if changed {
            self.touched = true;
            self.engine_error = None;
        }
        changed
    }

    pub fn toggle(&mut self) {
        if self.focused() == Field::Persistent {
            self.persistent = !self.persistent;
            self.touched = true;
        }
    }

    /// A letter typed on the checkbox: `y` ticks it, `n` clears it, anything else says which
    /// keys work there rather than doing nothing without a word.
    pub fn answer_checkbox(&mut self, c: char) {
        match c.to_ascii_lowercase() {
            'y' => self.persistent = true,
            'n' => self.persistent = false,
            _ => {
                self.note = Some(strings::CHECKBOX_KEYS);
                return;
            }
        }
        self.touched = true;
    }

    /// Moves the focus to the next enabled field (wrapping), or the previous one.
    pub fn move_focus(&mut self, forward: bool) {
        let n = self.fields().len();
        for _ in 0..n {
            self.focus = if forward {
                (self.focus + 1) % n
            } else {
                (self.focus + n - 1) % n
            };
            if self.is_enabled(self.focused()) {
                return;
            }
        }
    }

    fn optional(&self, field: Field) -> Option<String> {
        let v = self.input(field).value();
        (!v.trim().is_empty()).then(|| v.to_string())
    }

    /// The names as the CLI would take them (empty fields count as not given).
    fn name_spec(&self) -> Option<NameSpec> {
        let root = self.optional(Field::Root);
        NameSpec::from_parts(
            root,
            self.optional(Field::NameA),
            self.optional(Field::NameB),
        )
    }

    /// Runs every rule on what is typed, and the conflict check against `existing` pairs.
    pub fn check(&self, existing: &[PairInfo]) -> Result<Submission, FieldError> {
        match &self.kind {
            FormKind::Create => {
                let spec = PairSpec {
                    names: self.name_spec(),
                    association_id: self.optional(Field::AssociationId),
                    unique_identifier: self.optional(Field::UniqueId),
                    description: self.optional(Field::Description),
                    persistent: self.persistent,
                };
                let def = spec.resolve().map_err(|e| self.rule_error(e))?;
                let others: Vec<PairDefinition> =
                    existing.iter().map(PairInfo::definition).collect();
                def.check_new(&others).map_err(|e| self.conflict_error(e))?;
                Ok(Submission::Create(def))
            }
            FormKind::Rename {
                association_id,
                current,
            } => {
                let description = Some(self.input(Field::Description).value().to_string());
                let update = match self.optional(Field::Root) {
                    Some(root) => PairUpdate {
                        names: Some(NameSpec::Root(root)),
                        description,
                        ..Default::default()
                    },
                    None => PairUpdate {
                        name_a: Some(self.input(Field::NameA).value().to_string()),
                        name_b: Some(self.input(Field::NameB).value().to_string()),
                        description,
                        ..Default::default()
                    },
                };
                let next = update.apply(current).map_err(|e| self.rule_error(e))?;
                let others: Vec<PairDefinition> =
                    existing.iter().map(PairInfo::definition).collect();
                next.check_conflicts(&others)
                    .map_err(|e| self.conflict_error(e))?;
                Ok(Submission::Rename {
                    association_id: *association_id,
                    update,
                })
            }
        }
    }

    /// The field a rule complaint is about.
    fn rule_error(&self, e: RuleError) -> FieldError {
        let name_field = |field: &str| match field {
            "name A" => Field::NameA,
            "name B" => Field::NameB,
            _ => Field::Root,
        };
        let field = match &e {
            RuleError::EmptyName { field }
            | RuleError::ControlCharacter { field, .. }
            | RuleError::InvisibleName { field, .. }
            | RuleError::NameTooLong { field, .. } => name_field(field),
            RuleError::SameNames { .. } if self.root_given() => Field::Root,
            RuleError::SameNames { .. } => Field::NameB,
            RuleError::MalformedGuid { .. } | RuleError::NilGuid { .. } => Field::AssociationId,
            RuleError::EmptyUniqueIdentifier { .. } | RuleError::UniqueIdentifierTooLong { .. } => {
                Field::UniqueId
            }
            RuleError::DescriptionTooLong { .. }
            | RuleError::DescriptionControlCharacter { .. } => Field::Description,
            RuleError::MissingNames => Field::Root,
        };
        // A root name's "name A"/"name B" complaints are about the root the user typed.
        let field = if self.root_given() && matches!(field, Field::NameA | Field::NameB) {
            Field::Root
        } else {
            field
        };
        FieldError {
            field,
            message: e.to_string(),
        }
    }

    fn conflict_error(&self, e: ConflictError) -> FieldError {
        let field = match &e {
            ConflictError::AssociationId { .. } => Field::AssociationId,
            ConflictError::UniqueIdentifier { .. } => Field::UniqueId,
            ConflictError::Name { .. } if self.root_given() => Field::Root,
            ConflictError::Name { value, .. } => {
                if crate::core::rules::names_clash(value, self.input(Field::NameA).value()) {
                    Field::NameA
                } else {
                    Field::NameB
                }
            }
        };
        FieldError {
            field,
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(a: &str, b: &str) -> PairInfo {
        let def = PairSpec {
            names: Some(NameSpec::Each {
                a: a.into(),
                b: b.into(),
            }),
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
    fn the_rename_form_renames_a_root_named_pair_by_its_root() {
        let studio = pair("Studio (A)", "Studio (B)");
        let mut form = Form::rename(&studio);
        assert_eq!(form.fields()[0], Field::Root);
        assert_eq!(form.input(Field::Root).value(), "Studio");
        assert!(!form.is_enabled(Field::NameA), "the root decides the names");
        form.edit(|t| {
            t.clear();
            "Live".chars().for_each(|c| t.insert(c));
        });
        let Ok(Submission::Rename { update, .. }) = form.check(std::slice::from_ref(&studio))
        else {
            panic!("the root name is accepted");
        };
        assert_eq!(update.names, Some(NameSpec::Root("Live".into())));
        // A pair named side by side has an empty root and editable names.
        let sides = Form::rename(&pair("Out", "In"));
        assert_eq!(sides.input(Field::Root).value(), "");
        assert!(sides.is_enabled(Field::NameA));
    }

    #[test]
    fn letters_on_the_checkbox_tick_it_or_say_which_keys_work() {
        let mut form = Form::create();
        while form.focused() != Field::Persistent {
            form.move_focus(true);
        }
        form.answer_checkbox('y');
        assert!(form.persistent);
        form.answer_checkbox('N');
        assert!(!form.persistent);
        form.answer_checkbox('x');
        assert_eq!(form.note, Some(strings::CHECKBOX_KEYS));
    }

    #[test]
    fn text_input_edits_at_the_cursor() {
        let mut t = TextInput::with("héllo");
        t.left();
        t.left();
        t.insert('X');
        assert_eq!(t.value(), "hélXlo");
        t.backspace();
        t.home();
        t.delete_forward();
        assert_eq!(t.value(), "éllo");
        t.end();
        t.right();
        assert_eq!(t.cursor(), 4);
    }
}
