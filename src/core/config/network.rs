//! The configuration file's own section for persistent Network MIDI 2.0 hosts and client
//! sessions: `endpointTransportPluginSettings/networkMidi2/hosts/<endpoint id>` and
//! `…/clients/<host address>`, each entry an object the engine reads at start. Like the
//! loopback section, everything else in the file is kept as written; a place this needs that
//! is not a single object is refused, naming it.

use super::{Blocked, ConfigDocument, ConfigError, TRANSPORTS, join, one_object_member};
use crate::core::json_tree::{self, Node, Object};

/// This product's own transport section (no other implementation defines one for it).
pub const NETWORK_TRANSPORT_KEY: &str = "networkMidi2";

/// The two lists of the section.
pub const HOSTS: &str = "hosts";
pub const CLIENTS: &str = "clients";

impl ConfigDocument {
    /// The entries of one list (`HOSTS` or `CLIENTS`) by key; values that are not objects
    /// are left out (and left in the file).
    pub fn network_entries(&self, list: &str) -> Vec<(String, serde_json::Value)> {
        let value = self.to_value();
        let entries = value[TRANSPORTS][NETWORK_TRANSPORT_KEY][list].as_object();
        entries
            .into_iter()
            .flatten()
            .filter(|(_, v)| v.is_object())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Sets (or, with `None`, removes) the entry `key` of one list; false when nothing
    /// changed.
    pub fn set_network_entry(
        &mut self,
        list: &str,
        key: &str,
        entry: Option<&serde_json::Value>,
    ) -> Result<bool, ConfigError> {
        let steps = [TRANSPORTS, NETWORK_TRANSPORT_KEY, list];
        self.check_network_path(&steps)
            .map_err(|b| self.uneditable(b))?;
        let Some(entry) = entry else {
            let Some(obj) = self.network_object_mut(&steps, false) else {
                return Ok(false);
            };
            let before = obj.members.len();
            obj.members.retain(|m| m.key != key);
            return Ok(obj.members.len() != before);
        };
        let text = serde_json::to_string(entry).expect("entries always serialise");
        let node = json_tree::parse(&text).expect("serde_json writes valid JSON");
        let obj = self
            .network_object_mut(&steps, true)
            .expect("made where missing");
        obj.set(key, node);
        Ok(true)
    }

    /// Every step that exists must be one object.
    fn check_network_path(&self, steps: &[&str]) -> Result<(), Blocked> {
        let (mut obj, mut place) = (&self.root, String::new());
        for step in steps {
            let matches: fn(&str) -> bool = match *step {
                TRANSPORTS => |k| k == TRANSPORTS,
                NETWORK_TRANSPORT_KEY => |k| k == NETWORK_TRANSPORT_KEY,
                HOSTS => |k| k == HOSTS,
                _ => |k| k == CLIENTS,
            };
            let Some(i) = one_object_member(obj, &place, matches)? else {
                return Ok(());
            };
            place = join(&place, &obj.members[i].key);
            obj = obj.members[i].value.as_object().expect("checked above");
        }
        Ok(())
    }

    /// The object at the end of `steps`, made where missing when `make` says so.
    fn network_object_mut(&mut self, steps: &[&str], make: bool) -> Option<&mut Object> {
        let mut obj = &mut self.root;
        for step in steps {
            let index = match obj.members.iter().position(|m| m.key == *step) {
                Some(i) => i,
                None if make => {
                    obj.push(step, Node::Object(Object::default()));
                    obj.members.len() - 1
                }
                None => return None,
            };
            obj = obj.members[index].value.as_object_mut()?;
        }
        Some(obj)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn entries_are_added_and_removed_and_the_rest_of_the_file_is_kept() {
        let text =
            r#"{"_comment": "mine", "endpointTransportPluginSettings": {"other": {"x": 1}}}"#;
        let mut doc = ConfigDocument::parse(text, Path::new("m.json")).unwrap();
        let entry = serde_json::json!({"endpoint": "midiu_loop_a_x", "port": 5673});
        assert!(
            doc.set_network_entry(HOSTS, "midiu_loop_a_x", Some(&entry))
                .unwrap()
        );
        assert_eq!(
            doc.network_entries(HOSTS),
            vec![("midiu_loop_a_x".to_string(), entry)]
        );
        assert!(
            doc.set_network_entry(HOSTS, "midiu_loop_a_x", None)
                .unwrap()
        );
        assert!(
            !doc.set_network_entry(HOSTS, "midiu_loop_a_x", None)
                .unwrap()
        );
        assert!(doc.network_entries(HOSTS).is_empty());
        let written = doc.to_json_string();
        assert!(written.contains("\"_comment\": \"mine\"") && written.contains("\"x\": 1"));
    }

    #[test]
    fn a_section_that_is_not_an_object_is_refused() {
        let text = r#"{"endpointTransportPluginSettings": {"networkMidi2": []}}"#;
        let mut doc = ConfigDocument::parse(text, Path::new("m.json")).unwrap();
        let entry = serde_json::json!({});
        assert!(doc.set_network_entry(CLIENTS, "k", Some(&entry)).is_err());
    }
}
