//! The dashboard's state and the one function that changes it, [`App::update`].
//!
//! Nothing here does I/O or reads a clock: time arrives in [`Action::Tick`] and in the
//! snapshots, requests for the engine leave as [`Command`]s collected in an outbox. So every
//! key binding and dialog path is tested by feeding actions and reading state and commands.

use super::action::{Action, Command, Report, UpdatePurpose};
use super::form::{Field, FieldError, Form, Submission};
use super::layout;
use super::meter::PairMeters;
use super::strings;
use crate::core::ids::{AssociationId, Direction, Side};
use crate::core::model::{DirectionStats, PairInfo, PairUpdate};
use crate::core::protocol::{EngineStatus, TimedMessage};
use crate::core::ump::decode::is_hidden_real_time;
use ratatui::layout::Rect;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The test note: MIDI 1.0 Note On, group 1, channel 1, middle C (C4), velocity 100…
pub const TEST_NOTE_ON: u32 = 0x2090_3C64;
/// …and its Note Off, sent this many milliseconds later.
pub const TEST_NOTE_OFF: u32 = 0x2080_3C00;
pub const TEST_NOTE_LENGTH_MS: u64 = 300;
/// Messages the monitor keeps; older ones scroll away.
pub const MONITOR_CAPACITY: usize = 1000;
/// How long a notice stays in the footer.
pub const NOTICE_FOR: Duration = Duration::from_secs(5);

/// What the dashboard knows about the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineState {
    /// No answer yet since the dashboard started.
    Connecting,
    Running(Box<EngineStatus>),
    /// No engine answers. `was_running`: it did before, so this is a restart or a crash.
    Lost {
        reason: String,
        was_running: bool,
    },
}

/// One row of the pair table: the pair as last reported and its two meters.
#[derive(Debug, Clone)]
pub struct PairRow {
    pub info: PairInfo,
    pub meters: PairMeters,
    /// The network traffic of side A (index 0) and B, sent and received together, metered
    /// like the directions; at rest while the side has no network session.
    pub network: [super::meter::DirectionMeter; 2],
    /// Its place in the engine's list, so a filter that lets it back in puts it back there.
    pub order: usize,
}

impl PairRow {
    pub fn meter(&self, dir: Direction) -> &super::meter::DirectionMeter {
        &self.meters[dir.index()]
    }

    /// The meter of a side's network traffic, when the side has a network session.
    pub fn network_meter(&self, side: Side) -> Option<&super::meter::DirectionMeter> {
        let i = side.outgoing().index();
        self.info
            .endpoint(side)
            .network_presence
            .is_some()
            .then(|| &self.network[i])
    }

    /// Whether either side has a network session.
    pub fn on_network(&self) -> bool {
        [&self.info.endpoint_a, &self.info.endpoint_b]
            .iter()
            .any(|e| e.network_presence.is_some())
    }
}

/// A message that crossed the watched pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonitorEntry {
    /// 1 for the first message seen since the pair was selected.
    pub index: u64,
    pub direction: Direction,
    pub message: TimedMessage,
}

/// The live monitor of the selected pair.
#[derive(Debug, Clone, Default)]
pub struct Monitor {
    pub association_id: Option<AssociationId>,
    pub entries: VecDeque<MonitorEntry>,
    /// Messages seen but not kept: too fast to show, or arrived while paused.
    pub skipped: u64,
    pub paused: bool,
    /// Rows scrolled back from the newest (0: the newest is at the bottom).
    pub scroll: usize,
    /// Show Timing Clock and Active Sensing, which otherwise drown everything else (hidden
    /// by default, as in `midi endpoint monitor`).
    pub show_real_time: bool,
    /// Clock and sensing messages left out.
    pub hidden: u64,
    seen: u64,
}

impl Monitor {
    fn reset(&mut self, association_id: Option<AssociationId>) {
        *self = Monitor {
            association_id,
            show_real_time: self.show_real_time,
            ..Default::default()
        };
    }

    fn push(&mut self, messages: Vec<(Direction, TimedMessage)>, skipped: u64) {
        self.seen += skipped;
        if self.paused {
            self.seen += messages.len() as u64;
            self.skipped += skipped + messages.len() as u64;
            return;
        }
        self.skipped += skipped;
        for (direction, message) in messages {
            self.seen += 1;
            if !self.show_real_time && is_hidden_real_time(message.words()) {
                self.hidden += 1;
                continue;
            }
            self.entries.push_back(MonitorEntry {
                index: self.seen,
                direction,
                message,
            });
        }
        while self.entries.len() > MONITOR_CAPACITY {
            self.entries.pop_front();
        }
    }
}

/// A dialog or overlay over the main screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    Help,
    /// Typing the filter (`/`): the table follows each key.
    Filter,
    Form(Box<Form>),
    ConfirmRemove {
        association_id: AssociationId,
        name_a: String,
        name_b: String,
        persistent: bool,
    },
}

/// A line in the footer for a few seconds after something finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
    pub until: Instant,
}

/// The whole state of the dashboard.
#[derive(Debug)]
pub struct App {
    pub engine: EngineState,
    /// The pairs listed: those the filter lets through, in the engine's order.
    pub pairs: Vec<PairRow>,
    /// The pairs the filter hides (their meters keep counting).
    pub hidden: Vec<PairRow>,
    /// Only pairs with an endpoint name containing this (ignoring case) are listed.
    pub filter: String,
    /// How far the help overlay is scrolled, on a screen too short for all of it.
    pub help_scroll: u16,
    /// Index into `pairs`; meaningful only when there are pairs.
    pub selected: usize,
    /// The first pair row shown (the table scrolls to keep the selection visible).
    pub offset: usize,
    pub monitor: Monitor,
    pub mode: Mode,
    pub notice: Option<Notice>,
    /// The terminal's size, for scrolling and the mouse.
    pub screen: Rect,
    pub now: Instant,
    pub should_quit: bool,
    /// Something changed since the last frame was drawn.
    pub dirty: bool,
    /// A created pair to select as soon as a snapshot shows it.
    select_when_seen: Option<AssociationId>,
    outbox: Vec<Command>,
}

impl App {
    pub fn new(now: Instant) -> App {
        App {
            engine: EngineState::Connecting,
            pairs: Vec::new(),
            hidden: Vec::new(),
            filter: String::new(),
            help_scroll: 0,
            selected: 0,
            offset: 0,
            monitor: Monitor::default(),
            mode: Mode::Normal,
            notice: None,
            screen: Rect::new(0, 0, 80, 24),
            now,
            should_quit: false,
            dirty: true,
            select_when_seen: None,
            outbox: Vec::new(),
        }
    }

    /// The requests for the engine made since the last call.
    pub fn take_commands(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.outbox)
    }

    pub fn selected_pair(&self) -> Option<&PairRow> {
        self.pairs.get(self.selected)
    }

    pub fn is_connected(&self) -> bool {
        matches!(self.engine, EngineState::Running(_))
    }

    /// Every pair, listed or hidden by the filter.
    pub fn all_pairs(&self) -> impl Iterator<Item = &PairRow> {
        self.pairs.iter().chain(&self.hidden)
    }

    /// Total messages per second over every pair and both directions.
    pub fn total_rate(&self) -> f64 {
        self.all_pairs()
            .flat_map(|p| p.meters.iter())
            .map(|m| m.rate)
            .fold(0.0, |sum, r| sum + r) // not `sum()`: an empty f64 sum is -0.0
    }

    /// Clients on every endpoint, as the pairs report them.
    pub fn total_clients(&self) -> u64 {
        self.all_pairs()
            .map(|p| u64::from(p.info.endpoint_a.clients + p.info.endpoint_b.clients))
            .sum()
    }

    /// Changes the state; returns a follow-up action, if any (the ratatui template's shape).
    pub fn update(&mut self, action: Action) -> Option<Action> {
        // Almost every action changes the screen; a tick or stray tap copies may not. Never
        // clear the flag here: an earlier action may still be waiting for its frame.
        self.dirty |= match &action {
            Action::Tick(now) => self.notice.as_ref().is_some_and(|n| *now >= n.until),
            Action::Report(report) => match report.as_ref() {
                Report::Tapped { association_id, .. } => {
                    self.monitor.association_id == Some(*association_id)
                }
                _ => true,
            },
            _ => true,
        };
        let next = match action {
            Action::Quit => {
                self.should_quit = true;
                None
            }
            Action::Tick(now) => {
                self.now = now;
                if self.notice.as_ref().is_some_and(|n| now >= n.until) {
                    self.notice = None;
                }
                None
            }
            Action::Resize(w, h) => {
                self.screen = Rect::new(0, 0, w, h);
                self.keep_selection_visible();
                None
            }
            Action::Report(report) => self.on_report(*report),
            action => match &self.mode {
                Mode::Normal => self.on_normal(action),
                Mode::Help => self.on_help(action),
                Mode::Filter => self.on_filter(action),
                Mode::Form(_) => self.on_form(action),
                Mode::ConfirmRemove { .. } => self.on_confirm(action),
            },
        };
        self.sync_watch();
        next
    }

    fn notify(&mut self, text: String, is_error: bool) {
        self.notice = Some(Notice {
            text,
            is_error,
            until: self.now + NOTICE_FOR,
        });
    }

    // -- Normal mode ------------------------------------------------------------------------

    fn on_normal(&mut self, action: Action) -> Option<Action> {
        match action {
            // Esc first drops a filter, then quits.
            Action::Close if !self.filter.is_empty() => self.set_filter(String::new()),
            Action::Close => return Some(Action::Quit),
            Action::ToggleHelp => {
                self.help_scroll = 0;
                self.mode = Mode::Help;
            }
            Action::OpenFilter => self.mode = Mode::Filter,
            Action::SelectNext => self.select(self.selected.saturating_add(1)),
            Action::SelectPrevious => self.select(self.selected.saturating_sub(1)),
            Action::SelectFirst => self.select(0),
            Action::SelectLast => self.select(usize::MAX),
            Action::PageDown => self.select(self.selected.saturating_add(self.page())),
            Action::PageUp => self.select(self.selected.saturating_sub(self.page())),
            Action::Select(i) => self.select(i),
            Action::TogglePause => {
                self.monitor.paused = !self.monitor.paused;
                if !self.monitor.paused {
                    self.monitor.scroll = 0;
                }
            }
            Action::MonitorOlder => {
                // Reading back through history holds the view still.
                self.monitor.paused = true;
                let max = self.monitor.entries.len().saturating_sub(1);
                self.monitor.scroll = (self.monitor.scroll + 1).min(max);
            }
            Action::MonitorNewer => {
                self.monitor.scroll = self.monitor.scroll.saturating_sub(1);
            }
            Action::MonitorClear => {
                self.monitor.entries.clear();
                self.monitor.scroll = 0;
            }
            Action::ToggleRealTime => {
                self.monitor.show_real_time = !self.monitor.show_real_time;
            }
            Action::StartEngine => {
                if self.is_connected() {
                    return None;
                }
                self.outbox.push(Command::StartEngine);
            }
            Action::OpenCreate if self.require_engine() => {
                self.mode = Mode::Form(Box::new(Form::create()));
            }
            action @ (Action::OpenRename
            | Action::TogglePersistent
            | Action::ToggleMute
            | Action::AskRemove
            | Action::SendTestNote(_)) => self.on_pair_action(action),
            _ => {}
        }
        None
    }

    /// Editing needs an engine; says so when there is none.
    fn require_engine(&mut self) -> bool {
        if !self.is_connected() {
            self.notify(strings::NEEDS_ENGINE.to_string(), true);
            return false;
        }
        true
    }

    fn on_pair_action(&mut self, action: Action) {
        if !self.require_engine() {
            return;
        }
        let Some(pair) = self.selected_pair().map(|p| p.info.clone()) else {
            self.notify(strings::NEEDS_PAIR.to_string(), true);
            return;
        };
        let id = pair.association_id;
        match action {
            Action::OpenRename => self.mode = Mode::Form(Box::new(Form::rename(&pair))),
            Action::TogglePersistent => self.outbox.push(Command::Update {
                association_id: id,
                update: PairUpdate {
                    persistent: Some(!pair.persistent),
                    ..Default::default()
                },
                purpose: UpdatePurpose::Persistence,
            }),
            Action::ToggleMute => self.outbox.push(Command::SetMuted {
                association_id: id,
                muted: !pair.muted,
            }),
            Action::AskRemove => {
                self.mode = Mode::ConfirmRemove {
                    association_id: id,
                    name_a: pair.endpoint_a.name.clone(),
                    name_b: pair.endpoint_b.name.clone(),
                    persistent: pair.persistent,
                }
            }
            Action::SendTestNote(side) => self.outbox.push(Command::SendTestNote {
                endpoint: pair.endpoint(side).id.to_string(),
                first: vec![TEST_NOTE_ON],
                then: vec![TEST_NOTE_OFF],
                then_after_ms: TEST_NOTE_LENGTH_MS,
            }),
            _ => {}
        }
    }

    /// Pairs that fit on one page of the table.
    fn page(&self) -> usize {
        layout::table_capacity(layout::areas(self.screen, self.pairs.len()).table).max(1)
    }

    fn select(&mut self, index: usize) {
        if self.pairs.is_empty() {
            self.selected = 0;
            return;
        }
        self.selected = index.min(self.pairs.len() - 1);
        self.keep_selection_visible();
    }

    fn keep_selection_visible(&mut self) {
        let capacity = self.page();
        let last_start = self.pairs.len().saturating_sub(capacity);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + capacity {
            self.offset = self.selected + 1 - capacity;
        }
        // After a resize or a removal, fill the table rather than leave blank rows.
        self.offset = self.offset.min(last_start);
    }

    // -- Help -------------------------------------------------------------------------------

    fn on_help(&mut self, action: Action) -> Option<Action> {
        match action {
            Action::ToggleHelp | Action::Close => self.mode = Mode::Normal,
            Action::SelectNext => {
                // No further than the last line at the bottom of the frame.
                let room = usize::from(self.screen.height.saturating_sub(4));
                let most = super::keys::help_lines().saturating_sub(room) as u16;
                self.help_scroll = (self.help_scroll + 1).min(most);
            }
            Action::SelectPrevious => self.help_scroll = self.help_scroll.saturating_sub(1),
            _ => {}
        }
        None
    }

    // -- Filter -----------------------------------------------------------------------------

    fn on_filter(&mut self, action: Action) -> Option<Action> {
        let mut text = self.filter.clone();
        match action {
            Action::Input(c) => text.push(c),
            Action::ToggleField => text.push(' '),
            Action::Backspace => {
                text.pop();
            }
            Action::ClearField => text.clear(),
            // Enter keeps the filter; Esc drops it. Either way the list is back in charge.
            Action::Submit => self.mode = Mode::Normal,
            Action::Close => {
                text.clear();
                self.mode = Mode::Normal;
            }
            _ => {}
        }
        if text != self.filter {
            self.set_filter(text);
        }
        None
    }

    /// Whether a pair passes the filter: an endpoint name contains it, ignoring case.
    fn passes(&self, pair: &PairInfo) -> bool {
        let wanted = self.filter.trim().to_lowercase();
        wanted.is_empty()
            || [&pair.endpoint_a.name, &pair.endpoint_b.name]
                .iter()
                .any(|n| n.to_lowercase().contains(&wanted))
    }

    /// Applies a new filter, keeping the selection on the same pair when it is still listed.
    fn set_filter(&mut self, filter: String) {
        let selected_id = self.selected_pair().map(|p| p.info.association_id);
        self.filter = filter;
        let mut all: Vec<PairRow> = std::mem::take(&mut self.pairs);
        all.append(&mut self.hidden);
        all.sort_by_key(|r| r.order);
        let (shown, hidden): (Vec<PairRow>, Vec<PairRow>) =
            all.into_iter().partition(|r| self.passes(&r.info));
        self.pairs = shown;
        self.hidden = hidden;
        self.offset = 0;
        match selected_id.and_then(|id| self.index_of(id)) {
            Some(i) => self.select(i),
            None => self.select(0),
        }
    }

    // -- Forms ------------------------------------------------------------------------------

    fn on_form(&mut self, action: Action) -> Option<Action> {
        let verdict = (action == Action::Submit)
            .then(|| self.check_form())
            .flatten();
        let Mode::Form(form) = &mut self.mode else {
            return None;
        };
        if form.busy && action != Action::Close {
            return None; // the engine is deciding; keys wait
        }
        form.note = None;
        match action {
            Action::Close => self.mode = Mode::Normal,
            Action::Input(c) if form.focused() == Field::Persistent => form.answer_checkbox(c),
            Action::Input(c) => {
                form.edit(|t| t.insert(c));
            }
            Action::Backspace => {
                form.edit(|t| t.backspace());
            }
            Action::DeleteForward => {
                form.edit(|t| t.delete_forward());
            }
            Action::CursorLeft => {
                form.edit(|t| t.left());
            }
            Action::CursorRight => {
                form.edit(|t| t.right());
            }
            Action::CursorHome => {
                form.edit(|t| t.home());
            }
            Action::CursorEnd => {
                form.edit(|t| t.end());
            }
            Action::ClearField => {
                form.edit(|t| t.clear());
            }
            Action::NextField => form.move_focus(true),
            Action::PreviousField => form.move_focus(false),
            // Space ticks the checkbox, and is just a space in a text field.
            Action::ToggleField if form.focused() == Field::Persistent => form.toggle(),
            Action::ToggleField => {
                form.edit(|t| t.insert(' '));
            }
            Action::Submit => {
                form.touched = true;
                match verdict {
                    None | Some(Err(_)) => {} // the error is on screen now that it is touched
                    Some(Ok(submission)) => {
                        form.busy = true;
                        form.engine_error = None;
                        self.outbox.push(match submission {
                            Submission::Create(def) => Command::Create(def),
                            Submission::Rename {
                                association_id,
                                update,
                            } => Command::Update {
                                association_id,
                                update,
                                purpose: UpdatePurpose::Rename,
                            },
                        });
                    }
                }
            }
            _ => {}
        }
        None
    }

    /// The open form, if any.
    pub fn form(&self) -> Option<&Form> {
        match &self.mode {
            Mode::Form(f) => Some(f),
            _ => None,
        }
    }

    /// The open form's verdict: what it would send, or its first complaint. The pairs on
    /// screen are what names and ids must not clash with.
    pub fn check_form(&self) -> Option<Result<Submission, FieldError>> {
        // Every pair, the hidden ones too: a name must not clash with a filtered-out pair.
        let existing: Vec<PairInfo> = self.all_pairs().map(|p| p.info.clone()).collect();
        self.form().map(|f| f.check(&existing))
    }

    // -- Remove confirmation ----------------------------------------------------------------

    fn on_confirm(&mut self, action: Action) -> Option<Action> {
        let Mode::ConfirmRemove { association_id, .. } = self.mode else {
            return None;
        };
        match action {
            Action::Confirm => {
                self.outbox.push(Command::Remove { association_id });
                self.mode = Mode::Normal;
            }
            Action::Close => self.mode = Mode::Normal,
            _ => {}
        }
        None
    }

    // -- Reports from the engine ------------------------------------------------------------

    fn on_report(&mut self, report: Report) -> Option<Action> {
        match report {
            Report::Snapshot { at, status, pairs } => self.on_snapshot(at, status, pairs),
            Report::Unreachable { reason } => {
                let was_running = match &self.engine {
                    EngineState::Running(_) => true,
                    EngineState::Lost { was_running, .. } => *was_running,
                    EngineState::Connecting => false,
                };
                self.engine = EngineState::Lost {
                    reason,
                    was_running,
                };
            }
            Report::Done { command, result } => self.on_done(command, result),
            Report::Tapped {
                association_id,
                messages,
                skipped,
            } => {
                // Copies for a pair no longer watched are dropped.
                if self.monitor.association_id == Some(association_id) {
                    self.monitor.push(messages, skipped);
                }
            }
        }
        None
    }

    fn on_snapshot(&mut self, at: Instant, status: EngineStatus, pairs: Vec<PairInfo>) {
        self.now = self.now.max(at);
        self.engine = EngineState::Running(Box::new(status));
        let selected_id = self.selected_pair().map(|p| p.info.association_id);
        let mut old: Vec<PairRow> = std::mem::take(&mut self.pairs);
        old.append(&mut self.hidden);
        let rows: Vec<PairRow> = pairs
            .into_iter()
            .enumerate()
            .map(|(order, info)| {
                let (mut meters, mut network) = old
                    .iter()
                    .position(|r| r.info.association_id == info.association_id)
                    .map(|i| {
                        let r = old.swap_remove(i);
                        (r.meters, r.network)
                    })
                    .unwrap_or_default();
                meters[0].observe(info.a_to_b, at);
                meters[1].observe(info.b_to_a, at);
                for side in [Side::A, Side::B] {
                    let meter = &mut network[side.outgoing().index()];
                    match &info.endpoint(side).network_presence {
                        Some(n) => meter.observe(
                            DirectionStats {
                                messages: n.messages_sent + n.messages_received,
                                ..DirectionStats::default()
                            },
                            at,
                        ),
                        None => *meter = Default::default(),
                    }
                }
                PairRow {
                    info,
                    meters,
                    network,
                    order,
                }
            })
            .collect();
        let (shown, hidden) = rows.into_iter().partition(|r| self.passes(&r.info));
        self.pairs = shown;
        self.hidden = hidden;
        if let Some(i) = self.select_when_seen.and_then(|id| self.index_of(id)) {
            self.select_when_seen = None;
            self.select(i);
        } else if let Some(i) = selected_id.and_then(|id| self.index_of(id)) {
            self.select(i);
        } else {
            // The selected pair vanished: stay at the same place in the list.
            self.select(self.selected);
        }
        // A confirmation for a pair that is gone has nothing left to confirm.
        if let Mode::ConfirmRemove { association_id, .. } = self.mode
            && self.index_of(association_id).is_none()
        {
            self.mode = Mode::Normal;
        }
    }

    fn index_of(&self, id: AssociationId) -> Option<usize> {
        self.pairs.iter().position(|p| p.info.association_id == id)
    }

    fn on_done(&mut self, command: Command, result: Result<Option<PairInfo>, String>) {
        let from_form = matches!(
            command,
            Command::Create(_)
                | Command::Update {
                    purpose: UpdatePurpose::Rename,
                    ..
                }
        );
        let pair = match result {
            Err(e) => {
                // A form waiting for this answer shows it in place, so the values can be fixed.
                if from_form && let Some(form) = self.busy_form() {
                    form.busy = false;
                    form.engine_error = Some(e);
                } else if let Some(what) = operation_name(&command) {
                    self.notify(strings::failed(what, &e), true);
                }
                return;
            }
            Ok(pair) => pair,
        };
        if from_form && self.busy_form().is_some() {
            self.mode = Mode::Normal;
        }
        if let Some(p) = &pair
            && let Some(i) = self.index_of(p.association_id)
        {
            // Show the change at once rather than at the next poll; the counters stay.
            let row = &mut self.pairs[i];
            row.info = PairInfo {
                a_to_b: row.info.a_to_b,
                b_to_a: row.info.b_to_a,
                ..p.clone()
            };
        }
        // Whole-pair actions name the whole pair (its root name, or both names).
        let whole = pair
            .as_ref()
            .map(crate::face::pair_text::pair_name)
            .unwrap_or_default();
        let name = whole.as_str();
        let text = match &command {
            Command::Create(_) | Command::Update { .. } if pair.is_none() => return,
            Command::Create(_) => {
                let p = pair.as_ref().expect("checked above");
                self.select_when_seen = Some(p.association_id);
                strings::done_created(&p.endpoint_a.name, &p.endpoint_b.name)
            }
            Command::Update {
                purpose: UpdatePurpose::Rename,
                ..
            } => {
                let p = pair.as_ref().expect("checked above");
                strings::done_renamed(&p.endpoint_a.name, &p.endpoint_b.name)
            }
            Command::Update { update, .. } => {
                strings::done_persistent(name, update.persistent.unwrap_or(false))
            }
            Command::SetMuted { muted, .. } => strings::done_muted(name, *muted),
            Command::Remove { association_id } => {
                let id = *association_id;
                self.pairs.retain(|r| r.info.association_id != id);
                self.select(self.selected);
                strings::done_removed(name)
            }
            Command::SendTestNote { endpoint, .. } => {
                let found = self.pairs.iter().find_map(|r| {
                    [&r.info.endpoint_a, &r.info.endpoint_b]
                        .into_iter()
                        .find(|e| e.id.as_str() == endpoint)
                        .map(|e| (e.name.as_str(), r.info.muted))
                });
                let (shown, muted) = found.unwrap_or((endpoint.as_str(), false));
                if muted {
                    // The engine drops it without a word, as a loopback must; say so here.
                    self.notify(strings::sent_but_muted(shown), true);
                    return;
                }
                strings::done_sent(shown)
            }
            Command::StartEngine => strings::DONE_STARTED.to_string(),
            Command::Watch(_) => return,
        };
        self.notify(text, false);
    }

    /// The form waiting for the engine's answer, if one is open.
    fn busy_form(&mut self) -> Option<&mut Form> {
        match &mut self.mode {
            Mode::Form(form) if form.busy => Some(form),
            _ => None,
        }
    }

    /// Asks the source to tap the selected pair whenever the selection changes.
    fn sync_watch(&mut self) {
        let want = self.selected_pair().map(|p| p.info.association_id);
        if want != self.monitor.association_id {
            self.monitor.reset(want);
            self.outbox.push(Command::Watch(want));
        }
    }
}

/// What a command is called in a failure notice.
fn operation_name(command: &Command) -> Option<&'static str> {
    Some(match command {
        Command::Create(_) => strings::OP_CREATE,
        Command::Update {
            purpose: UpdatePurpose::Rename,
            ..
        } => strings::OP_RENAME,
        Command::Update { .. } => strings::OP_PERSISTENT,
        Command::SetMuted { .. } => strings::OP_MUTE,
        Command::Remove { .. } => strings::OP_REMOVE,
        Command::SendTestNote { .. } => strings::OP_SEND,
        Command::StartEngine => strings::OP_START,
        Command::Watch(_) => return None,
    })
}
