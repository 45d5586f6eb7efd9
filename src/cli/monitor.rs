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
use crate::face::output::{self, errln};
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

/// One monitor row as text (the table) — words as 8-digit upper-case hex.
fn table_row(index: u64, seconds: f64, msg: &TimedMessage, decode_it: bool) -> String {
    let words: Vec<String> = msg.words().iter().map(|w| format!("{w:08X}")).collect();
    let mut row = format!("{index:>7}  {seconds:>12.6}  {:<35}", words.join(" "));
    if decode_it {
        let d = decode::decode(msg.words());
        let num = |v: Option<u8>| v.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
        row.push_str(&format!(
            "  {:>2}  {:>2}  {:<24}  {}",
            num(d.group),
            num(d.channel),
            d.message_type,
            d.text
        ));
    }
    row.trim_end().to_string()
}

fn table_header(decode_it: bool) -> String {
    let mut h = format!("{:>7}  {:>12}  {:<35}", "INDEX", "TIME (s)", "WORDS");
    if decode_it {
        h.push_str(&format!(
            "  {:>2}  {:>2}  {:<24}  {}",
            "GR", "CH", "MESSAGE TYPE", "DATA"
        ));
    }
    h
}

/// One monitor row as a JSON line.
fn json_row(index: u64, msg: &TimedMessage, decode_it: bool) -> String {
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
    serde_json::Value::Object(obj).to_string()
}

pub(super) fn monitor(ctx: &Context, args: MonitorArgs) -> anyhow::Result<i32> {
    let endpoint = match args.endpoint.clone() {
        Some(e) => e,
        None if on_terminal() => pick_endpoint(ctx)?,
        None => {
            return Err(UserError::new(ErrorKind::Invalid, "no endpoint given: monitor needs ENDPOINT")
                .hint("for example: midi endpoint monitor \"My Loopback (B)\" (`midi endpoint list` shows them)")
                .into());
        }
    };
    let mut conn = open(ctx, &endpoint)?;
    let info: EndpointInfo = conn.info().clone();
    let mut capture = match &args.capture_to_file {
        Some(path) => {
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
            Some(std::io::BufWriter::new(f))
        }
        None => None,
    };
    let limit = if args.single_message {
        Some(1)
    } else {
        args.count
    };
    let deadline = args
        .timeout
        .map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    let decode_it = !args.no_decode;
    interrupt::install();
    let raw = RawMode::enable_if_terminal();
    let eol = raw.eol();
    output::note_raw(&format!(
        "Monitoring {} ({}). Press Esc or Ctrl-C to stop.{eol}",
        info.name, info.id
    ));
    let mut out = std::io::BufWriter::new(output::Stdout::new());
    if !args.json {
        write!(out, "{}{eol}", ctx.style.bold(&table_header(decode_it)))?;
        out.flush()?;
    }
    let started = Instant::now();
    let start_ns = monotonic_ns();
    let (mut shown, mut hidden, mut dropped) = (0u64, 0u64, 0u64);
    let mut ending: Option<(i32, String)> = None;
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
                dropped += n;
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
                        hidden += 1;
                        continue;
                    }
                    shown += 1;
                    if args.json {
                        write!(out, "{}{eol}", json_row(shown, m, decode_it))?;
                    } else {
                        let secs = m.timestamp.saturating_sub(start_ns) as f64 / 1e9;
                        write!(out, "{}{eol}", table_row(shown, secs, m, decode_it))?;
                    }
                    if let Some(c) = capture.as_mut() {
                        let w: Vec<String> =
                            m.words().iter().map(|w| format!("0x{w:08X}")).collect();
                        writeln!(c, "{}", w.join(" "))?;
                    }
                    if limit.is_some_and(|l| shown >= l) {
                        break 'watch;
                    }
                }
                out.flush()?;
            }
            Err(ClientError::EndpointRemoved { endpoint }) => {
                ending = Some((
                    ErrorKind::NotFound.exit_code(),
                    format!("endpoint {endpoint:?} was removed; monitor stopped"),
                ));
                break;
            }
            Err(ClientError::EngineStopped) => {
                ending = Some((
                    ErrorKind::Unreachable.exit_code(),
                    "the engine stopped; monitor stopped".into(),
                ));
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    out.flush()?;
    if let Some(c) = capture.as_mut() {
        c.flush()?;
    }
    drop(raw);
    let mut summary = match shown {
        0 => "No messages received".to_string(),
        1 => "One message received".to_string(),
        n => format!("{n} messages received"),
    };
    summary.push_str(&format!(" in {:.1} s", started.elapsed().as_secs_f64()));
    if hidden > 0 {
        summary.push_str(&format!(
            "; {hidden} timing clock / active sensing hidden (-r shows them)"
        ));
    }
    if dropped > 0 {
        summary.push_str(&format!(
            "; {dropped} dropped because the monitor fell behind"
        ));
    }
    errln!("{summary}.");
    match ending {
        Some((code, message)) => {
            output::print_error(&message, None);
            Ok(code)
        }
        None => Ok(0),
    }
}
