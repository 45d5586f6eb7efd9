//! Persistent pairs: every change is read-modify-written to the configuration file atomically
//! and durably before it is acknowledged.
//!
//! The file is re-read before each change, so sections edited by hand in the meantime are kept;
//! if it no longer parses, or the part to change cannot be edited safely, the change is refused
//! and the file left alone. A pair that was never stored needs no file at all.

use crate::core::config::{self, ConfigDocument, ConfigError};
use crate::core::error::ErrorKind;
use crate::core::ids::AssociationId;
use crate::core::model::PairDefinition;
use crate::core::protocol::WireError;
use std::path::PathBuf;

pub struct Persistence {
    pub path: PathBuf,
}

fn failed(e: ConfigError) -> WireError {
    WireError {
        kind: ErrorKind::Failed,
        message: e.to_string(),
    }
}

impl Persistence {
    /// Applies `change` to the file as it is now and writes it back when it changed anything.
    fn edit(
        &self,
        change: impl FnOnce(&mut ConfigDocument) -> Result<bool, ConfigError>,
    ) -> Result<(), ConfigError> {
        let mut doc = ConfigDocument::load(&self.path)?;
        if change(&mut doc)? {
            config::write_atomic(&self.path, &doc.to_json_string())?;
        }
        Ok(())
    }

    /// Adds or replaces the pair's entry.
    pub fn store(&self, def: &PairDefinition) -> Result<(), WireError> {
        self.edit(|doc| doc.upsert_pair(def).map(|()| true))
            .map_err(failed)
    }

    /// Removes the pair's entries, if the file holds any; the file is written only then.
    /// `stored` says whether the engine keeps the pair in the file: a pair that is not stored
    /// is removed even when the file cannot be read or edited (it is then left as it is),
    /// since nothing of it can be there for the engine to remove.
    pub fn forget(&self, id: AssociationId, stored: bool) -> Result<(), WireError> {
        match self.edit(|doc| doc.remove_pair(id)) {
            Ok(()) => Ok(()),
            Err(e) if !stored => {
                tracing::warn!(
                    "transient pair {id} removed; the configuration file was left alone: {e}"
                );
                Ok(())
            }
            Err(e) => Err(failed(e)),
        }
    }
}
