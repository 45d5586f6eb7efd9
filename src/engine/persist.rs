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

#[derive(Debug, Clone)]
pub struct Persistence {
    pub path: PathBuf,
}

/// A change the configuration file must hold before the engine applies and acknowledges it.
#[derive(Debug, Clone)]
pub enum Durable {
    /// Add or replace the pair's entry ([`Persistence::store`]).
    Store(PairDefinition),
    /// Remove the pair's entries ([`Persistence::forget`]).
    Forget { id: AssociationId, stored: bool },
}

fn failed(e: ConfigError) -> WireError {
    WireError {
        kind: ErrorKind::Failed,
        message: e.to_string(),
    }
}

impl Persistence {
    /// Makes the file hold `change`, durably.
    pub fn write(&self, change: &Durable) -> Result<(), WireError> {
        match change {
            Durable::Store(def) => self.store(def),
            Durable::Forget { id, stored } => self.forget(*id, *stored),
        }
    }

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

    /// Adds or replaces the pair's entry. The file may have been edited by hand since the
    /// engine read it: an entry there that clashes with this pair would make this one vanish
    /// at the next start, so the change is refused instead of acknowledged.
    pub fn store(&self, def: &PairDefinition) -> Result<(), WireError> {
        let mut doc = ConfigDocument::load(&self.path).map_err(failed)?;
        let (stored, _) = doc.pairs();
        if let Err(e) = def.check_conflicts(stored.iter()) {
            return Err(WireError {
                kind: ErrorKind::Conflict,
                message: format!(
                    "the configuration file {} was edited while the engine runs and now holds a clashing entry: {e}; nothing was created",
                    self.path.display()
                ),
            });
        }
        doc.upsert_pair(def).map_err(failed)?;
        config::write_atomic(&self.path, &doc.to_json_string()).map_err(failed)
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
