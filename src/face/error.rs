//! The error a person sees: what went wrong, the kind that decides the exit code, and a hint
//! where one helps. [`classify`] maps any error a face returns to its exit code and hint, so
//! every face ends the same way.

use crate::client::ClientError;
use crate::core::ErrorKind;
use crate::core::model::ConflictError;
use crate::core::paths::PathError;
use crate::core::rules::RuleError;
use std::fmt;

/// An error a face raises itself (a missing argument, no terminal), with its kind and a hint.
#[derive(Debug)]
pub struct UserError {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
}

impl UserError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> UserError {
        UserError {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> UserError {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}

/// The exit code for an error, and a hint where one helps: the first cause in the chain that
/// knows its kind decides; anything else is a plain failure (1).
pub fn classify(err: &anyhow::Error) -> (i32, Option<String>) {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<UserError>() {
            return (e.kind.exit_code(), e.hint.clone());
        }
        if let Some(e) = cause.downcast_ref::<ClientError>() {
            return (e.kind().exit_code(), client_hint(e));
        }
        if cause.downcast_ref::<RuleError>().is_some() {
            return (ErrorKind::Invalid.exit_code(), None);
        }
        if cause.downcast_ref::<ConflictError>().is_some() {
            return (ErrorKind::Conflict.exit_code(), None);
        }
        if cause.downcast_ref::<PathError>().is_some() {
            return (ErrorKind::Failed.exit_code(), None);
        }
    }
    (ErrorKind::Failed.exit_code(), None)
}

fn client_hint(e: &ClientError) -> Option<String> {
    match e {
        ClientError::StartFailed { log, .. } => {
            Some(format!("the engine's log is {}", log.display()))
        }
        ClientError::Refused { .. } => {
            Some("`midi service restart` replaces an engine of another version".into())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_cause_that_knows_its_kind_decides_the_exit_code() {
        let own = anyhow::Error::from(
            UserError::new(ErrorKind::NotFound, "no such pair").hint("try list"),
        )
        .context("while removing");
        assert_eq!(classify(&own), (4, Some("try list".to_string())));
        let plain = anyhow::anyhow!("something broke");
        assert_eq!(classify(&plain), (1, None));
    }
}
