//! `midi endpoint monitor`: what arrives at an endpoint, as a decoded table or JSON lines,
//! until Esc, Ctrl-C, a count or a timeout.

use super::args::MonitorArgs;
use super::endpoint::{on_terminal, open, pick_endpoint};
use crate::client::{ClientError, Received};
use crate::core::ErrorKind;
use crate::core::clock::monotonic_ns;
use crate::core::model::EndpointInfo;
use crate::core::protocol::TimedMessage;
use crate::core::ump::{self, decode};
use crate::face::output::{self, RowLayout, Style, errln};
use crate::face::{Context, UserError, interrupt};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Puts the terminal in raw mode while a monitor runs, so Esc can stop it; restores on drop.
struct RawMode(bool);

impl RawMode {
    fn enable_if_terminal() -> RawMode {
        let on = std::io::stdin().is_terminal() && crossterm::terminal::enable_raw_mode().is_ok();
        RawMode(on)
    }

    /// Whether Esc, q or Ctrl-C was pressed.
    fn stop_pressed(&self) -> bool {
        use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
        if !self.0 {
            return false;
        }
        while event::poll(Duration::ZERO).unwrap_or(false) {
            if let Ok(Event::Key(k)) = event::read()
                && k.kind == KeyEventKind::Press
            {
                let ctrl_c =
                    k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
                if ctrl_c || matches!(k.code, KeyCode::Esc | KeyCode::Char('q')) {
                    return true;
                }
            }
        }
        false
    }

    /// Line end: raw mode needs an explicit carriage return.
    fn eol(&self) -> &'static str {
        if self.0 { "\r\n" } else { "\n" }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if self.0 {
            let _ = crossterm::terminal::disable_raw_mode();
        }
    }
}

/// How messages are printed: the table (its columns fitted to the screen) or JSON lines.
pub(super) struct Printer {
    json: bool,
    decode: bool,
    layout: RowLayout,
    /// Decimals of TIME (s).
    decimals: usize,
    style: Style,
    /// The line end: raw mode needs `\r\n`.
    eol: &'static str,
}

/// The widths of INDEX, TIME (and its decimals), WORDS and MESSAGE TYPE, widest first: the
/// first that leaves DATA its room on the screen is used. WORDS holds 4, 2 or 1 words a line;
/// the narrowest shows milliseconds, so that a MIDI 1.0 row fits 80 columns on one line.
const LAYOUTS: [Widths; 3] = [
    Widths {
        index: 7,
        time: 12,
        decimals: 6,
        words: 35,
        kind: 33,
    },
    Widths {
        index: 7,
        time: 12,
        decimals: 6,
        words: 17,
        kind: 26,
    },
    Widths {
        index: 5,
        time: 8,
        decimals: 3,
        words: 8,
        kind: 17,
    },
];
/// DATA needs this much to read well (`note C#4 (61) velocity 100`); below it the next,
/// narrower layout is tried.
const DATA_ROOM: usize = 26;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Widths {
    index: usize,
    time: usize,
    decimals: usize,
    words: usize,
    kind: usize,
}

impl Printer {
    pub(super) fn new(json: bool, decode: bool, style: Style, eol: &'static str) -> Printer {
        let (layout, decimals) = layout(output::terminal_width(), decode);
        Printer {
            json,
            decode,
            layout,
            decimals,
            style,
            eol,
        }
    }

    /// The header line(s) of the table; nothing for JSON.
    pub(super) fn header(&self) -> String {
        if self.json {
            return String::new();
        }
        let mut cells: Vec<String> = ["INDEX", "TIME (s)", "WORDS"].map(String::from).into();
        if self.decode {
            cells.extend(["GR", "CH", "MESSAGE TYPE", "DATA"].map(String::from));
        }
        self.lines(&cells, true)
    }

    /// One message: a row of the table (perhaps several lines), or a JSON line.
    pub(super) fn row(&self, index: u64, seconds: f64, msg: &TimedMessage) -> String {
        if self.json {
            return format!("{}{}", json_row(index, msg, self.decode), self.eol);
        }
        let time = format!("{seconds:.*}", self.decimals);
        self.lines(&table_cells(index, time, msg, self.decode), false)
    }

    fn lines(&self, cells: &[String], bold: bool) -> String {
        let mut out = String::new();
        for line in self.layout.render(cells) {
            let line = if bold { self.style.bold(&line) } else { line };
            out.push_str(&line);
            out.push_str(self.eol);
        }
        out
    }
}

/// The monitor's columns for a screen `width` columns wide, and the decimals of TIME: the
/// widest layout that leaves DATA its room. Off a terminal (`None`) every message stays on
/// one line, nothing wrapped.
fn layout(width: Option<usize>, decode: bool) -> (RowLayout, usize) {
    let columns = |l: Widths| {
        let mut c = vec![(l.index, true), (l.time, true)];
        if decode {
            c.extend([(l.words, false), (2, true), (2, true), (l.kind, false)]);
        }
        c
    };
    let fixed = |l: Widths| columns(l).iter().map(|(w, _)| w + 2).sum::<usize>();
    let Some(width) = width else {
        let wide = LAYOUTS[0];
        return (
            RowLayout {
                columns: columns(wide),
                last: None,
            },
            wide.decimals,
        );
    };
    let room = if decode { DATA_ROOM } else { 35 };
    let chosen = LAYOUTS
        .into_iter()
        .find(|&l| fixed(l) + room <= width)
        .unwrap_or(LAYOUTS[2]);
    let last = width.saturating_sub(fixed(chosen)).max(12);
    let layout = RowLayout {
        columns: columns(chosen),
        last: Some(last),
    };
    (layout, chosen.decimals)
}

/// The cells of one message: index, time, words (8-digit upper-case hex), and decoded, the
/// group, channel, type and data.
fn table_cells(index: u64, time: String, msg: &TimedMessage, decode_it: bool) -> Vec<String> {
    let words: Vec<String> = msg.words().iter().map(|w| format!("{w:08X}")).collect();
    let mut cells = vec![index.to_string(), time, words.join(" ")];
    if decode_it {
        let d = decode::decode(msg.words());
        let num = |v: Option<u8>| v.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
        cells.extend([num(d.group), num(d.channel), d.message_type, d.text]);
    }
    cells
}

/// One monitor row as a JSON line.
fn json_row(index: u64, msg: &TimedMessage, decode_it: bool) -> String {
    json_value(index, msg, decode_it).to_string()
}

/// One message as the monitor's JSON describes it (see `midi endpoint monitor --help`).
pub(super) fn json_value(index: u64, msg: &TimedMessage, decode_it: bool) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    obj.insert("index".into(), index.into());
    obj.insert("timestamp".into(), msg.timestamp.into());
    obj.insert(
        "words".into(),
        msg.words()
            .iter()
            .map(|w| serde_json::Value::from(*w))
            .collect(),
    );
    obj.insert(
        "words_hex".into(),
        msg.words()
            .iter()
            .map(|w| serde_json::Value::from(format!("0x{w:08X}")))
            .collect(),
    );
    obj.insert("mt".into(), ump::message_type(msg.words()[0]).into());
    let d = decode::decode(msg.words());
    obj.insert("message_type".into(), d.message_type.clone().into());
    if decode_it {
        obj.insert("text".into(), d.text.clone().into());
        for (k, v) in d.fields {
            obj.entry(k).or_insert(v);
        }
    }
    serde_json::Value::Object(obj)
}

/// The endpoint to watch: as given, or chosen from a list on a terminal.
fn choose_endpoint(ctx: &Context, given: Option<String>) -> anyhow::Result<String> {
    match given {
        Some(e) => Ok(e),
        None if on_terminal() => pick_endpoint(ctx),
        None => Err(UserError::new(ErrorKind::Invalid, "no endpoint given: monitor needs ENDPOINT")
            .hint("for example: midi endpoint monitor \"My Loopback (B)\" (`midi endpoint list` shows them)")
            .into()),
    }
}

/// `--capture-to-file`: appends, after a header naming the endpoint.
fn open_capture(
    path: Option<&std::path::Path>,
    info: &EndpointInfo,
) -> anyhow::Result<Option<std::io::BufWriter<std::fs::File>>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            UserError::new(
                ErrorKind::Invalid,
                format!("cannot open {}: {e}", path.display()),
            )
        })?;
    writeln!(f, "# midi monitor capture of {} ({})", info.name, info.id)?;
    writeln!(
        f,
        "# one message per line, words in hex; `midi endpoint send-message-file` replays it"
    )?;
    Ok(Some(std::io::BufWriter::new(f)))
}

/// What a monitor saw, for its summary.
#[derive(Default)]
struct Tally {
    shown: u64,
    hidden: u64,
    dropped: u64,
    /// Why it stopped early: the exit code and the message.
    ending: Option<(i32, String)>,
}

impl Tally {
    fn summary(&self, elapsed: Duration) -> String {
        let mut summary = match self.shown {
            0 => "No messages received".to_string(),
            1 => "One message received".to_string(),
            n => format!("{n} messages received"),
        };
        summary.push_str(&format!(" in {:.1} s", elapsed.as_secs_f64()));
        if self.hidden > 0 {
            summary.push_str(&format!(
                "; {} timing clock / active sensing hidden (-r shows them)",
                self.hidden
            ));
        }
        if self.dropped > 0 {
            summary.push_str(&format!(
                "; {} dropped because the monitor fell behind",
                self.dropped
            ));
        }
        summary.push('.');
        summary
    }
}

pub(super) fn monitor(ctx: &Context, args: MonitorArgs) -> anyhow::Result<i32> {
    let endpoint = choose_endpoint(ctx, args.endpoint.clone())?;
    let mut conn = open(ctx, &endpoint)?;
    let info: EndpointInfo = conn.info().clone();
    let mut capture = open_capture(args.capture_to_file.as_deref(), &info)?;
    let limit = if args.single_message {
        Some(1)
    } else {
        args.count
    };
    let deadline = args
        .timeout
        .map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    interrupt::install();
    let raw = RawMode::enable_if_terminal();
    let eol = raw.eol();
    output::note_raw(&format!(
        "Monitoring {} ({}). Press Esc or Ctrl-C to stop.{eol}",
        info.name, info.id
    ));
    let printer = Printer::new(args.json, !args.no_decode, ctx.style, eol);
    let mut out = std::io::BufWriter::new(output::Stdout::new());
    write!(out, "{}", printer.header())?;
    out.flush()?;
    let started = Instant::now();
    let start_ns = monotonic_ns();
    let mut tally = Tally::default();
    'watch: loop {
        if interrupt::interrupted() || raw.stop_pressed() {
            break;
        }
        let mut wait = Duration::from_millis(100);
        if let Some(d) = deadline {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            wait = wait.min(left);
        }
        match conn.receive(Some(wait)) {
            Ok(None) => {}
            Ok(Some(Received::Overflow { dropped: n })) => {
                tally.dropped += n;
                output::note_raw(&format!(
                    "{}{eol}",
                    ctx.style.warn(&format!(
                        "{} dropped: this monitor read too slowly",
                        output::count(n, "message", "messages")
                    ))
                ));
            }
            Ok(Some(Received::Messages(msgs))) => {
                for m in &msgs {
                    if !args.include_real_time_messages && decode::is_hidden_real_time(m.words()) {
                        tally.hidden += 1;
                        continue;
                    }
                    tally.shown += 1;
                    let secs = m.timestamp.saturating_sub(start_ns) as f64 / 1e9;
                    write!(out, "{}", printer.row(tally.shown, secs, m))?;
                    if let Some(c) = capture.as_mut() {
                        let w: Vec<String> =
                            m.words().iter().map(|w| format!("0x{w:08X}")).collect();
                        writeln!(c, "{}", w.join(" "))?;
                    }
                    if limit.is_some_and(|l| tally.shown >= l) {
                        break 'watch;
                    }
                }
                out.flush()?;
            }
            Err(e) => match ended_by(e) {
                Ok(ending) => {
                    tally.ending = Some(ending);
                    break;
                }
                Err(e) => return Err(e),
            },
        }
    }
    out.flush()?;
    if let Some(c) = capture.as_mut() {
        c.flush()?;
    }
    drop(raw);
    errln!("{}", tally.summary(started.elapsed()));
    match tally.ending {
        Some((code, message)) => {
            output::print_error(&message, None);
            Ok(code)
        }
        None => Ok(0),
    }
}

/// The end of a watch that is not a failure of the monitor itself: its endpoint or the
/// engine went away (the exit code and what to say); any other error is returned.
pub(super) fn ended_by(e: ClientError) -> anyhow::Result<(i32, String)> {
    match e {
        ClientError::EndpointRemoved { endpoint } => Ok((
            ErrorKind::NotFound.exit_code(),
            format!("endpoint {endpoint:?} was removed; monitor stopped"),
        )),
        ClientError::EngineStopped => Ok((
            ErrorKind::Unreachable.exit_code(),
            "the engine stopped; monitor stopped".into(),
        )),
        other => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widest_layout_that_leaves_data_its_room_is_chosen() {
        assert_eq!(layout(Some(200), true).0.columns[2].0, 35);
        assert_eq!(layout(Some(120), true).0.columns[2].0, 17);
        assert_eq!(layout(Some(80), true).0.columns[2].0, 8);
        assert_eq!(layout(Some(80), true).0.last, Some(26));
        assert_eq!(layout(Some(80), true).1, 3);
        assert_eq!(layout(None, true).0.last, None);
        for width in [40, 60, 80, 100, 120, 160] {
            let (l, _) = layout(Some(width), true);
            let used: usize = l.columns.iter().map(|(w, _)| w + 2).sum::<usize>();
            assert!(
                used + l.last.unwrap() <= width.max(used + 12),
                "{width}: {l:?}"
            );
        }
    }
}
