//! What every face is handed: how to reach the engine and how to print.

use super::output::Style;
use crate::client::{Client, ClientError, ClientOptions};
use std::path::Path;

/// Built once per run by the dispatch, then lent to whichever face runs.
pub struct Context {
    pub options: ClientOptions,
    pub style: Style,
}

impl Context {
    /// A control connection, starting the engine if needed (with a spinner on a terminal).
    pub fn client(&self) -> Result<Client, ClientError> {
        Client::connect(&self.options)
    }

    /// The context of one run of `midi`: the state root from `--home` or `MIDI_HOME`, a
    /// spinner while an engine starts, and a client name the engine's log can tell apart.
    pub fn for_command(home: Option<&Path>, style: Style) -> Result<Context, ClientError> {
        let mut options = ClientOptions::from_env(home)?;
        options.progress = true;
        options.client_name = format!(
            "midi {} (pid {})",
            env!("CARGO_PKG_VERSION"),
            std::process::id()
        );
        Ok(Context { options, style })
    }
}
