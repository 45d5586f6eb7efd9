//! Every piece of text the dashboard shows, in one place (gitui's habit), so wording stays
//! consistent and a translation or a rewording touches one file.

use crate::core::network::{ClientState, NetworkPresence};

pub const APP_TITLE: &str = "midi dashboard";

// Header.
pub const ENGINE_RUNNING: &str = "● engine running";
pub const ENGINE_CONNECTING: &str = "◌ connecting…";
pub const ENGINE_RECONNECTING: &str = "◌ reconnecting…";
pub const ENGINE_UNREACHABLE: &str = "○ engine unreachable";
pub const HEADER_UPTIME: &str = "up";
pub fn pairs(n: u64) -> String {
    format!("{n} {}", if n == 1 { "pair" } else { "pairs" })
}
pub fn clients(n: u64) -> String {
    format!("{n} {}", if n == 1 { "client" } else { "clients" })
}
pub const HEADER_RATE_UNIT: &str = "msg/s";

// Pair table.
pub const TABLE_TITLE: &str = "Loopback pairs";
pub const COL_PAIR: &str = "ENDPOINTS";
pub const COL_ID: &str = "ID";
pub const COL_FLAGS: &str = "P M";
pub const COL_CLIENTS: &str = "CL";
pub const COL_DIR: &str = "DIR";
pub const COL_RATE: &str = "MSG/S";
pub const COL_TOTAL: &str = "TOTAL";
pub const COL_DROPS: &str = "DROPS";
/// The sparkline column's header; `{}` is the span it covers, e.g. "LAST 60s".
pub fn col_history(seconds: usize) -> String {
    format!("LAST {seconds}s")
}
/// Shown only while some pair has a network session.
pub const COL_NETWORK: &str = "NET";
/// What a side is on the network, in at most [`NETWORK_WIDTH`] columns: a host, a client of a
/// remote host, or a client still joining one (the detail has the whole story).
pub fn network_role(n: &NetworkPresence) -> &'static str {
    let joining = n.clients.iter().any(|c| c.state == ClientState::Connecting);
    match (n.host.is_some(), n.clients.is_empty()) {
        (true, true) => "host",
        (true, false) => "host+",
        (false, _) if joining => "joining",
        (false, _) => "client",
    }
}
pub const NETWORK_WIDTH: u16 = 7;
pub const FLAG_PERSISTENT: &str = "P";
pub const FLAG_MUTED: &str = "M";
pub const FLAG_OFF: &str = "·";
pub const SELECTED_MARK: &str = "▶";
pub const NO_PAIRS: &str = "No loopback pairs yet. Press n to create one.";
/// Shown above and below the visible rows when the table scrolls.
pub fn more_pairs(above: usize, below: usize) -> String {
    format!("{above} above · {below} below")
}

// Engine notices (in place of the table).
pub const UNREACHABLE_TITLE: &str = "Engine unreachable";
pub const UNREACHABLE_RETRY: &str =
    "The dashboard keeps trying to connect and resumes as soon as an engine answers.";
pub const UNREACHABLE_START: &str =
    "Press s to start one here, or run `midi service start` elsewhere.";
pub const CONNECTING_BODY: &str = "Connecting to the engine…";

// Detail panel.
pub const DETAIL_NONE: &str = "Select a pair to see its meters and a live monitor.";
pub fn detail_title(a: &str, b: &str) -> String {
    format!("{a} ⇄ {b}")
}
pub const DETAIL_MUTED: &str = "muted: every message is dropped";
pub const DETAIL_LOOP: &str = "muted: feedback loop";
/// Where ALSA applications find the two endpoints.
pub fn detail_alsa(a: Option<&str>, b: Option<&str>) -> String {
    format!("ALSA {} / {}", a.unwrap_or("none"), b.unwrap_or("none"))
}
/// A side's network sessions, as `endpoint properties` words them (`A hosted on ADDR (1
/// remote client)`), or shorter (`A hosted on ADDR`) when that does not fit in `width`.
pub fn detail_network(side: &str, n: &NetworkPresence, width: usize) -> String {
    let long = format!("{side} {}", n.lines().join("; "));
    match crate::face::output::width(&long) <= width {
        true => long,
        false => format!("{side} {}", n.short_lines().join("; ")),
    }
}
/// A side's traffic with the network and its rate (both ways together), shorter when the
/// long form does not fit in `width`.
pub fn detail_network_traffic(sent: &str, received: &str, rate: &str, width: usize) -> String {
    let long = format!("  to network {sent} · from network {received} · {rate} msg/s");
    match crate::face::output::width(&long) <= width {
        true => long,
        false => format!("sent {sent} · received {received} · {rate}/s"),
    }
}
pub const RATE_UNIT: &str = "msg/s";
pub const LABEL_TOTAL: &str = "total";
pub const LABEL_DROPS: &str = "drops";
pub const LABEL_PEAK: &str = "peak";
pub const LABEL_OVERFLOW: &str = "overflow";
pub const LABEL_MUTED: &str = "muted";
pub const LABEL_REFUSED: &str = "refused";
pub fn history_caption(seconds: usize) -> String {
    format!("last {seconds}s")
}

// Monitor.
pub const MONITOR_TITLE: &str = "Monitor";
pub const MONITOR_LIVE: &str = "live";
pub const MONITOR_PAUSED: &str = "paused";
pub const MONITOR_EMPTY: &str = "Nothing has crossed this pair since you selected it.";
pub const MONITOR_EMPTY_HINT: &str = "Press a or b to send a test note from side A or B.";
pub fn monitor_skipped(n: u64) -> String {
    format!("({n} more not shown)")
}
pub fn monitor_hidden(n: u64) -> String {
    format!("({n} clock/sensing hidden)")
}
pub fn monitor_scrolled(n: usize) -> String {
    format!("{n} newer below")
}

// The help overlay's title. Its lines, and the footer's key hints, live with the keys they
// describe, in the tables of `keys.rs`.
pub const HELP_TITLE: &str = "Help";
/// Shown on the help's frame when the screen is too short for all of it.
pub const HELP_MORE: &str = "↓ more";
/// The help's last section: what the pair table's columns mean.
pub const LEGEND_TITLE: &str = "Columns of the pair table";
pub const LEGEND: &[(&str, &str)] = &[
    (
        "P",
        "persistent: stored, so it comes back when the engine starts",
    ),
    ("M", "muted: the pair drops every message (and counts them)"),
    ("CL", "clients attached to the endpoint on that line"),
    ("DIR", "the direction of the line: A→B is what A sends"),
    (
        "NET",
        "network: host, client, joining, host+ (hosts and joins)",
    ),
    ("MSG/S", "that direction's messages per second now"),
    (
        "LAST",
        "its rate over the time shown; TOTAL and DROPS its counts",
    ),
];

// The filter (`/`).
pub const FILTER_PROMPT: &str = "filter:";
pub fn table_title(shown: usize, total: usize, filter: &str) -> String {
    if filter.is_empty() {
        format!("{TABLE_TITLE} ({total})")
    } else {
        format!("{TABLE_TITLE} ({shown} of {total} match \"{filter}\")")
    }
}
pub const NO_MATCH: &str = "No pair's name contains the filter. Esc drops it.";

// The create and rename forms.
pub const FORM_CREATE_TITLE: &str = "New loopback pair";
pub const FORM_RENAME_TITLE: &str = "Rename pair";
pub const FIELD_ROOT: &str = "Root name";
pub const FIELD_NAME_A: &str = "Name A";
pub const FIELD_NAME_B: &str = "Name B";
pub const FIELD_DESCRIPTION: &str = "Description";
pub const FIELD_UNIQUE_ID: &str = "Unique id";
pub const FIELD_ASSOCIATION_ID: &str = "Association id";
pub const FIELD_PERSISTENT: &str = "Persistent";
pub const PLACEHOLDER_ROOT: &str = "names become ROOT (A) and ROOT (B)";
pub const PLACEHOLDER_NAME: &str = "or give both names one by one";
pub const PLACEHOLDER_OPTIONAL: &str = "optional";
pub const PLACEHOLDER_UNIQUE_ID: &str = "default: the association id's hex digits";
pub const PLACEHOLDER_ASSOCIATION_ID: &str = "default: a new random GUID";
pub const CHECKBOX_ON: &str = "[x]";
pub const CHECKBOX_OFF: &str = "[ ]";
pub const PERSISTENT_HINT: &str = "keep it across engine restarts";
pub const CHECKBOX_KEYS: &str = "Space ticks or clears the box; y ticks it, n clears it";
pub const FORM_HINT_CREATE: &str =
    "Type a root name, or names A and B. Enter creates the pair, Esc cancels.";
pub const FORM_HINT_RENAME: &str =
    "A root name names both sides; clear it to name them one by one. Enter saves, Esc cancels.";
pub const FORM_OK: &str = "✓ ready: Enter saves";
pub const FORM_BUSY: &str = "… waiting for the engine";
pub const ERROR_MARK: &str = "✗";

// Remove confirmation.
pub const CONFIRM_TITLE: &str = "Remove pair?";
pub fn confirm_body(a: &str, b: &str, id: &str) -> String {
    format!("Remove {a} and {b} ({id})?")
}
pub const CONFIRM_CLIENTS: &str = "Clients on it are told the endpoint was removed.";
pub const CONFIRM_PERSISTENT: &str = "It is also deleted from the configuration file.";

// Results of actions, shown in the footer for a few seconds.
pub fn done_created(a: &str, b: &str) -> String {
    format!("✓ created {a} / {b}")
}
pub fn done_renamed(a: &str, b: &str) -> String {
    format!("✓ saved {a} / {b}")
}
pub fn done_persistent(name: &str, persistent: bool) -> String {
    if persistent {
        format!("✓ {name} is persistent: it survives engine restarts")
    } else {
        format!("✓ {name} is transient: it lasts until the engine stops")
    }
}
pub fn done_muted(name: &str, muted: bool) -> String {
    if muted {
        format!("✓ muted {name}")
    } else {
        format!("✓ unmuted {name}")
    }
}
pub fn done_removed(name: &str) -> String {
    format!("✓ removed {name}")
}
pub fn done_sent(endpoint: &str) -> String {
    format!("✓ sent a note on/off (C4) from {endpoint}")
}
pub fn sent_but_muted(endpoint: &str) -> String {
    format!(
        "! the pair is muted: the note from {endpoint} was dropped, nothing arrived (m unmutes)"
    )
}
pub const DONE_STARTED: &str = "✓ engine started";
pub fn failed(what: &str, why: &str) -> String {
    format!("✗ {what} failed: {why}")
}
pub const OP_CREATE: &str = "create";
pub const OP_RENAME: &str = "rename";
pub const OP_PERSISTENT: &str = "persistent";
pub const OP_MUTE: &str = "mute";
pub const OP_REMOVE: &str = "remove";
pub const OP_SEND: &str = "test note";
pub const OP_START: &str = "start engine";
pub const NEEDS_PAIR: &str = "select a pair first (n creates one)";
pub const NEEDS_ENGINE: &str = "the engine is unreachable; press s to start it";

// Terminal checks.
pub const TOO_SMALL: &str = "The terminal is too small for the dashboard; make it at least 60×16.";
pub const NOT_A_TERMINAL: &str = "`midi dashboard` needs a terminal";
pub const NOT_A_TERMINAL_HINT: &str =
    "for scripts, use `midi loopback list --json` or `midi service status --json`";
pub const POLLER_STOPPED: &str = "the dashboard's engine poller stopped unexpectedly";
