//! `midi endpoint …`: list endpoints, send messages, monitor what arrives.

use super::args::{EndpointCommand, MonitorArgs, SendArgs, SendFileArgs};
use super::words;
use crate::client::{Client, ClientError, EndpointConnection, Received};
use crate::core::ErrorKind;
use crate::core::clock::monotonic_ns;
use crate::core::model::EndpointInfo;
use crate::core::protocol::TimedMessage;
use crate::core::ump::{self, decode};
use crate::face::output::{self, Style, Table, errln, outln, print_json};
use crate::face::{Context, UserError, interrupt};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub fn run(ctx: &Context, cmd: EndpointCommand) -> anyhow::Result<i32> {
    match cmd {
        EndpointCommand::List(flag) => list(ctx, flag.json),
        EndpointCommand::SendMessage(args) => send_message(ctx, args),
        EndpointCommand::SendMessageFile(args) => send_file(ctx, args),
        EndpointCommand::Monitor(args) => monitor(ctx, args),
    }
}

/// `midi endpoint list` and `midi enumerate endpoints`.
pub fn list(ctx: &Context, json: bool) -> anyhow::Result<i32> {
    let endpoints = ctx.client()?.list_endpoints()?;
    if json {
        print_json(&endpoints)?;
        return Ok(0);
    }
    if endpoints.is_empty() {
        outln!(
            "No endpoints. Create a pair with: midi loopback create --root-name \"My Loopback\""
        )?;
        return Ok(0);
    }
    let mut t =
        Table::new(&["ENDPOINT ID", "NAME", "SIDE", "ASSOCIATION ID", "CLIENTS"]).shrink(&[0, 1]);
    for e in &endpoints {
        t.row(vec![
            e.id.to_string(),
            e.name.clone(),
            e.side.letter().to_string(),
            e.association_id.to_string(),
            e.clients.to_string(),
        ]);
    }
    output::out(&t.render(ctx.style, output::terminal_width()))?;
    Ok(0)
}

fn on_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Lets the user choose an endpoint from a list (on a terminal only).
fn pick_endpoint(ctx: &Context) -> anyhow::Result<String> {
    let endpoints = ctx.client()?.list_endpoints()?;
    if endpoints.is_empty() {
        return Err(
            UserError::new(ErrorKind::NotFound, "there are no endpoints to choose from")
                .hint("create a pair first: midi loopback create --root-name \"My Loopback\"")
                .into(),
        );
    }
    let items: Vec<String> = endpoints
        .iter()
        .map(|e| format!("{}  ({})", e.name, e.id))
        .collect();
    let chosen = dialoguer::Select::new()
        .with_prompt("Please select an endpoint")
        .items(&items)
        .default(0)
        .interact_opt()?;
    match chosen {
        Some(i) => Ok(endpoints[i].id.to_string()),
        None => Err(UserError::new(ErrorKind::Failed, "cancelled, nothing sent").into()),
    }
}

/// Opens an endpoint on a connection of its own (exit 4 when there is no such endpoint).
fn open(ctx: &Context, endpoint: &str) -> anyhow::Result<EndpointConnection> {
    Ok(ctx.client()?.open_endpoint(endpoint)?)
}

/// Works out which positional is the endpoint. `send-message 0x20903C64` on a terminal, with
/// no endpoint of that name, asks which endpoint to use.
fn endpoint_and_words(ctx: &Context, args: &SendArgs) -> anyhow::Result<(String, Vec<String>)> {
    let first_is_word = words::parse_word(&args.endpoint, args.word_format).is_ok();
    let is_endpoint = |c: &mut Client| -> Result<bool, ClientError> {
        let all = c.list_pairs()?;
        Ok(crate::core::model::find_endpoint(&all, &args.endpoint).is_some())
    };
    if first_is_word && args.words.len() < 4 && on_terminal() && !is_endpoint(&mut ctx.client()?)? {
        let mut all = vec![args.endpoint.clone()];
        all.extend(args.words.iter().cloned());
        return Ok((pick_endpoint(ctx)?, all));
    }
    if args.words.is_empty() {
        return Err(UserError::new(
            ErrorKind::Invalid,
            "no message given: send-message needs ENDPOINT then 1 to 4 words",
        )
        .hint("for example: midi endpoint send-message \"My Loopback (A)\" 0x20903C64")
        .into());
    }
    Ok((args.endpoint.clone(), args.words.clone()))
}

fn invalid(message: String) -> anyhow::Error {
    UserError::new(ErrorKind::Invalid, message).into()
}

/// What a send did, for the text or JSON report.
#[derive(serde::Serialize)]
struct SendReport {
    endpoint: String,
    endpoint_id: String,
    messages: u64,
    words: u64,
    elapsed_s: f64,
    rate_msgs_per_s: f64,
}

impl SendReport {
    fn new(conn: &EndpointConnection, messages: u64, words: u64, started: Instant) -> SendReport {
        let elapsed_s = started.elapsed().as_secs_f64();
        SendReport {
            endpoint: conn.info().name.clone(),
            endpoint_id: conn.info().id.to_string(),
            messages,
            words,
            elapsed_s,
            rate_msgs_per_s: if elapsed_s > 0.0 {
                messages as f64 / elapsed_s
            } else {
                0.0
            },
        }
    }
}

fn print_send_report(
    style: Style,
    r: &SendReport,
    json: bool,
    pause_ms: u64,
) -> std::io::Result<()> {
    if json {
        return print_json(r);
    }
    let how = if r.messages <= 1 {
        String::new()
    } else if pause_ms == 0 {
        " as fast as possible".into()
    } else {
        format!(" with a pause of {pause_ms} ms between each")
    };
    outln!(
        "{} {} message(s){how} through {} ({}).",
        style.ok("Sent"),
        r.messages,
        r.endpoint,
        r.endpoint_id
    )?;
    outln!(
        "Total time {:.3} s, {:.0} messages/s.",
        r.elapsed_s,
        r.rate_msgs_per_s
    )
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    // indicatif draws only on a terminal; in a pipe this stays silent.
    if total < 1000 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} messages ({per_sec}, {eta} left)",
        )
        .expect("valid template"),
    );
    bar
}

/// Messages per frame when sending as fast as possible: one write carries many.
const BATCH: usize = 512;

fn send_message(ctx: &Context, args: SendArgs) -> anyhow::Result<i32> {
    let (endpoint, texts) = endpoint_and_words(ctx, &args)?;
    let mut words = words::parse_message(&texts, args.word_format).map_err(invalid)?;
    let mut conn = open(ctx, &endpoint)?;
    interrupt::install();
    let bar = progress_bar(args.count);
    let stamp = |offset: Option<u64>, fixed: Option<u64>| match (offset, fixed) {
        (Some(us), _) => monotonic_ns() + us * 1000,
        (_, Some(t)) => t,
        _ => 0,
    };
    let started = Instant::now();
    let mut sent = 0u64;
    let mut batch: Vec<TimedMessage> = Vec::with_capacity(BATCH);
    while sent < args.count && !interrupt::interrupted() {
        let ts = stamp(args.offset_microseconds, args.timestamp);
        batch.push(TimedMessage::new(ts, &words).expect("checked above"));
        sent += 1;
        if args.increment {
            let last = words.len() - 1;
            words[last] = words[last].wrapping_add(1);
        }
        if args.pause == 0 && batch.len() < BATCH && sent < args.count {
            continue;
        }
        conn.send_batch(&batch)?;
        bar.inc(batch.len() as u64);
        batch.clear();
        if args.pause > 0 && sent < args.count {
            std::thread::sleep(Duration::from_millis(args.pause));
        }
    }
    // Everything sent has been handled (or refused) by the engine once this returns.
    conn.flush().map_err(|e| match e {
        ClientError::Engine { message, .. } => {
            invalid(format!("the engine refused the message: {message}"))
        }
        other => other.into(),
    })?;
    bar.finish_and_clear();
    let report = SendReport::new(&conn, sent, sent * words.len() as u64, started);
    print_send_report(ctx.style, &report, args.json, args.pause)?;
    Ok(if interrupt::interrupted() { 1 } else { 0 })
}

fn send_file(ctx: &Context, args: SendFileArgs) -> anyhow::Result<i32> {
    let text = std::fs::read_to_string(&args.file).map_err(|e| {
        UserError::new(
            ErrorKind::Invalid,
            format!("cannot read {}: {e}", args.file.display()),
        )
    })?;
    let messages = words::parse_file(&text, args.word_format)
        .map_err(|e| invalid(format!("{}: {e}; nothing was sent", args.file.display())))?;
    let mut conn = open(ctx, &args.endpoint)?;
    interrupt::install();
    let bar = progress_bar(messages.len() as u64);
    let started = Instant::now();
    let mut sent = 0u64;
    let mut total_words = 0u64;
    let chunk = if args.pause == 0 { BATCH } else { 1 };
    for group in messages.chunks(chunk) {
        if interrupt::interrupted() {
            break;
        }
        let batch: Vec<TimedMessage> = group
            .iter()
            .map(|w| TimedMessage::new(0, w).expect("checked while parsing"))
            .collect();
        conn.send_batch(&batch)?;
        sent += batch.len() as u64;
        total_words += group.iter().map(|w| w.len() as u64).sum::<u64>();
        bar.inc(batch.len() as u64);
        if args.pause > 0 {
            std::thread::sleep(Duration::from_millis(args.pause));
        }
    }
    conn.flush()?;
    bar.finish_and_clear();
    let report = SendReport::new(&conn, sent, total_words, started);
    print_send_report(ctx.style, &report, args.json, args.pause)?;
    Ok(if interrupt::interrupted() { 1 } else { 0 })
}

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

fn monitor(ctx: &Context, args: MonitorArgs) -> anyhow::Result<i32> {
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
                        "{n} message(s) dropped: this monitor read too slowly"
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
