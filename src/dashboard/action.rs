//! The messages that move the dashboard: [`Action`]s change the app's state (from keys, the
//! mouse, the clock or the engine), [`Command`]s ask the source thread to talk to the engine,
//! and [`Report`]s are what the source thread hands back.
//!
//! Keeping them apart from the code that handles them is what lets the state be tested
//! without a terminal or an engine: a test feeds actions and reads the commands.

use crate::core::ids::{AssociationId, Direction, Side};
use crate::core::model::{PairDefinition, PairInfo, PairUpdate};
use crate::core::protocol::{EngineStatus, TimedMessage};
use std::time::Instant;

/// Everything that changes the app's state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Quit,
    /// The clock moved on (expires notices).
    Tick(Instant),
    /// The terminal has this many columns and rows now.
    Resize(u16, u16),
    /// Something arrived from the source thread (boxed: reports are big, keys are small).
    Report(Box<Report>),

    // Pair list.
    SelectNext,
    SelectPrevious,
    SelectFirst,
    SelectLast,
    PageDown,
    PageUp,
    /// Select the pair at this index (a mouse click).
    Select(usize),

    // Editing the selected pair.
    OpenCreate,
    OpenRename,
    TogglePersistent,
    ToggleMute,
    AskRemove,
    SendTestNote(Side),
    StartEngine,

    // Monitor.
    TogglePause,
    MonitorOlder,
    MonitorNewer,
    MonitorClear,
    /// Show or hide Timing Clock and Active Sensing in the monitor.
    ToggleRealTime,

    ToggleHelp,
    /// Close whatever overlay or dialog is open.
    Close,
    /// Type a filter: only pairs whose names contain it are listed.
    OpenFilter,

    // Inside a form.
    Input(char),
    Backspace,
    DeleteForward,
    CursorLeft,
    CursorRight,
    CursorHome,
    CursorEnd,
    ClearField,
    NextField,
    PreviousField,
    /// Space on a checkbox.
    ToggleField,
    Submit,

    // Inside the remove confirmation.
    Confirm,
}

/// A request for the engine, carried out by the source thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Create a pair already validated by the form (the engine checks it again).
    Create(PairDefinition),
    Update {
        association_id: AssociationId,
        update: PairUpdate,
        /// Why the update was asked, so the result can be told the right way.
        purpose: UpdatePurpose,
    },
    SetMuted {
        association_id: AssociationId,
        muted: bool,
    },
    Remove {
        association_id: AssociationId,
    },
    /// Send one message from an endpoint, on a connection of its own, and another one
    /// `then_after_ms` later (a note on, then its note off).
    SendTestNote {
        endpoint: String,
        first: Vec<u32>,
        then: Vec<u32>,
        then_after_ms: u64,
    },
    /// Tap this pair's traffic for the monitor (or stop tapping with `None`).
    Watch(Option<AssociationId>),
    /// Start an engine when none runs (an explicit start, even with autostart off).
    StartEngine,
}

/// What an update was for: a rename, or flipping persistence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdatePurpose {
    Rename,
    Persistence,
}

/// What the source thread tells the app.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "a report is moved once, through a channel, a few times a second"
)]
pub enum Report {
    /// Fresh counters: the pairs and the engine's status, read at `at`.
    Snapshot {
        at: Instant,
        status: EngineStatus,
        pairs: Vec<PairInfo>,
    },
    /// No engine answers (or the connection broke); the source keeps retrying.
    Unreachable { reason: String },
    /// A command finished: its pair as the engine reports it afterwards, or why it failed.
    Done {
        command: Command,
        result: Result<Option<PairInfo>, String>,
    },
    /// Copies of messages that crossed the watched pair, oldest first. `skipped` counts the
    /// ones left out because they came faster than anyone can read.
    Tapped {
        association_id: AssociationId,
        messages: Vec<(Direction, TimedMessage)>,
        skipped: u64,
    },
}
