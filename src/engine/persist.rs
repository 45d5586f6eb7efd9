//! Persistent pairs: every change is read-modify-written to the configuration file atomically
//! and durably before it is acknowledged.
//!
//! The file is re-read before each change, so sections edited by hand in the meantime are kept;
//! if it no longer parses, the change is refused and the file left alone.

use crate::core::config::{self, ConfigDocument};
use crate::core::error::ErrorKind;
use crate::core::ids::AssociationId;
use crate::core::model::PairDefinition;
use crate::core::protocol::WireError;
use std::path::PathBuf;

pub struct Persistence {
    pub path: PathBuf,
}

impl Persistence {
    fn edit(&self, change: impl FnOnce(&mut ConfigDocument) -> bool) -> Result<(), WireError> {
        let failed = |message: String| WireError {
            kind: ErrorKind::Failed,
            message,
        };
        let mut doc = ConfigDocument::load(&self.path).map_err(|e| failed(e.to_string()))?;
        if change(&mut doc) {
            config::write_atomic(&self.path, &doc.to_json_string())
                .map_err(|e| failed(e.to_string()))?;
        }
        Ok(())
    }

    /// Adds or replaces the pair's entry.
    pub fn store(&self, def: &PairDefinition) -> Result<(), WireError> {
        self.edit(|doc| {
            doc.upsert_pair(def);
            true
        })
    }

    /// Removes the pair's entry, if it has one.
    pub fn forget(&self, id: AssociationId) -> Result<(), WireError> {
        if !self.path.exists() {
            return Ok(());
        }
        self.edit(|doc| doc.remove_pair(id))
    }
}
