//! How a loopback pair reads to a person. `midi loopback create` and the wizard both end by
//! printing [`created`], so the two ways of making a pair report it the same way.

use super::output::{Style, key_values};
use crate::core::model::PairInfo;

/// The report of a new pair, the same from `midi loopback create` and from the wizard.
pub fn created(s: Style, pair: &PairInfo) -> String {
    let mut out = format!("{}\n\n{}", s.ok("Loopback pair created."), details(s, pair));
    out.push_str(&format!(
        "\nWhat goes out on A arrives at B, and the other way round.\n{}\n",
        s.dim(&format!(
            "Remove it with: midi loopback remove --association-id {}",
            pair.association_id
        ))
    ));
    out
}

/// The key/value block of one pair: its endpoints, ids, persistence and mute.
pub fn details(s: Style, pair: &PairInfo) -> String {
    let persistence = if pair.persistent {
        "yes (stored in the configuration file)".to_string()
    } else {
        "no (lasts until the engine stops; --persistent keeps it)".to_string()
    };
    key_values(
        s,
        &[
            ("Endpoint A", s.bold(&pair.endpoint_a.name)),
            ("", s.id(pair.endpoint_a.id.as_str())),
            ("Endpoint B", s.bold(&pair.endpoint_b.name)),
            ("", s.id(pair.endpoint_b.id.as_str())),
            ("Association Id", s.id(&pair.association_id.to_string())),
            ("Unique Id", pair.unique_identifier.to_string()),
            ("Persistent", persistence),
            ("Muted", yes_no(pair.muted).to_string()),
        ],
    )
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
