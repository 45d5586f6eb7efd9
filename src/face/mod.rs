//! What every face shares and none owns: the [`Context`] a face is handed, the user-facing
//! [`UserError`] with the exit code it maps to ([`classify`]), the one output style
//! ([`output`], [`pair_text`]), how a person names a pair ([`pair_ref`]) and Ctrl-C handling
//! ([`interrupt`]). `cli`, `dashboard` and `wizard` all take these from here, so no face
//! imports another.

pub mod context;
pub mod error;
pub mod interrupt;
pub mod output;
pub mod pair_ref;
pub mod pair_text;

pub use context::Context;
pub use error::{UserError, classify};
