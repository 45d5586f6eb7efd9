//! The few kinds of failure a user can meet, each with its exit code.
//!
//! Library errors carry an [`ErrorKind`] so `main` can map any of them to the right exit code
//! without knowing which room the error came from.

use serde::{Deserialize, Serialize};

/// What went wrong, as far as a script is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Usage or validation error (a value broke a rule).
    Invalid,
    /// The engine is not reachable and could not be started.
    Unreachable,
    /// No such pair or endpoint.
    NotFound,
    /// A name, unique identifier or association id is already in use.
    Conflict,
    /// Anything else.
    Failed,
}

impl ErrorKind {
    /// The process exit code for this kind of failure.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Invalid => 2,
            ErrorKind::Unreachable => 3,
            ErrorKind::NotFound => 4,
            ErrorKind::Conflict => 5,
            ErrorKind::Failed => 1,
        }
    }
}
