//! Sending out on an endpoint: `send-message` (one UMP, perhaps many times) and
//! `send-message-file` (one UMP per line), with the report both print.

use super::args::{SendArgs, SendFileArgs};
use super::endpoint::{on_terminal, open, pick_endpoint};
use super::words;
use crate::client::{Client, ClientError, EndpointConnection};
use crate::core::ErrorKind;
use crate::core::clock::monotonic_ns;
use crate::core::ids::{AssociationId, Direction};
use crate::core::model::{EndpointInfo, PairInfo};
use crate::core::protocol::TimedMessage;
use crate::face::output::{self, Style, outln, print_json};
use crate::face::{Context, UserError, interrupt, pair_text};
use std::time::{Duration, Instant};

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
pub(super) struct SendReport {
    endpoint: String,
    endpoint_id: String,
    messages: u64,
    words: u64,
    elapsed_s: f64,
    /// `null` when the send took too short a time to measure a rate.
    rate_msgs_per_s: Option<f64>,
    /// Messages the pair dropped because it is muted (none of them arrived).
    dropped_muted: u64,
}

/// Below this, a rate is noise (one message "at 24869 messages/s").
const MEASURABLE_S: f64 = 0.01;

impl SendReport {
    pub(super) fn new(
        conn: &EndpointConnection,
        messages: u64,
        words: u64,
        started: Instant,
        dropped_muted: u64,
    ) -> SendReport {
        let elapsed_s = started.elapsed().as_secs_f64();
        SendReport {
            endpoint: conn.info().name.clone(),
            endpoint_id: conn.info().id.to_string(),
            messages,
            words,
            elapsed_s,
            rate_msgs_per_s: (messages > 1 && elapsed_s >= MEASURABLE_S)
                .then(|| messages as f64 / elapsed_s),
            dropped_muted,
        }
    }
}

pub(super) fn print_send_report(
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
    output::out(&output::paragraph(&format!(
        "{} {}{how} through {} ({}).",
        style.ok("Sent"),
        output::count(r.messages, "message", "messages"),
        r.endpoint,
        r.endpoint_id
    )))?;
    match r.rate_msgs_per_s {
        Some(rate) => outln!("Took {:.3} s, {rate:.0} messages/s.", r.elapsed_s),
        None if r.messages > 1 => outln!("Took {:.3} s.", r.elapsed_s),
        None => Ok(()),
    }
}

/// Reads the pair's muted-drop counter before and after a send, so the report can say that
/// a muted pair dropped what was sent: the engine drops silently, as a loopback must, and
/// "Sent 1 message" alone would read as delivered.
pub(super) struct MuteWatch {
    client: Client,
    association_id: AssociationId,
    direction: Direction,
    before: u64,
}

impl MuteWatch {
    pub(super) fn start(ctx: &Context, info: &EndpointInfo) -> anyhow::Result<MuteWatch> {
        let mut watch = MuteWatch {
            client: ctx.client()?,
            association_id: info.association_id,
            direction: info.side.outgoing(),
            before: 0,
        };
        watch.before = watch
            .pair()?
            .map_or(0, |p| p.stats(watch.direction).dropped_muted);
        Ok(watch)
    }

    fn pair(&mut self) -> anyhow::Result<Option<PairInfo>> {
        let id = self.association_id;
        Ok(self
            .client
            .list_pairs()?
            .into_iter()
            .find(|p| p.association_id == id))
    }

    /// After the send was flushed: how many messages the muted pair dropped, with a warning
    /// on stderr when any were (or when the pair is muted now, for messages still held).
    pub(super) fn finish(mut self, sent: u64) -> anyhow::Result<u64> {
        let Some(pair) = self.pair()? else {
            return Ok(0);
        };
        let dropped = pair
            .stats(self.direction)
            .dropped_muted
            .saturating_sub(self.before);
        let name = pair_text::pair_name(&pair);
        let message = if dropped > 0 && dropped >= sent {
            let what = match sent {
                1 => "the message was dropped".to_string(),
                n => format!("all {n} messages were dropped"),
            };
            Some(format!(
                "pair {name:?} is muted: {what}; nothing was delivered"
            ))
        } else if dropped > 0 {
            Some(format!(
                "pair {name:?} was muted during the send: {dropped} of {sent} messages were dropped"
            ))
        } else if pair.muted {
            Some(format!(
                "pair {name:?} is muted: messages held for later are dropped when they are due"
            ))
        } else {
            None
        };
        if let Some(m) = message {
            let hint = format!(
                "unmute it with: midi loopback unmute {}",
                pair_text::pair_argument(&pair)
            );
            output::print_warning(&m, Some(&hint));
        }
        Ok(dropped)
    }
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

pub(super) fn send_message(ctx: &Context, args: SendArgs) -> anyhow::Result<i32> {
    let (endpoint, texts) = endpoint_and_words(ctx, &args)?;
    let mut words = words::parse_message(&texts, args.word_format).map_err(invalid)?;
    let mut conn = open(ctx, &endpoint)?;
    let mute_watch = MuteWatch::start(ctx, conn.info())?;
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
    let dropped = mute_watch.finish(sent)?;
    let report = SendReport::new(&conn, sent, sent * words.len() as u64, started, dropped);
    print_send_report(ctx.style, &report, args.json, args.pause)?;
    Ok(if interrupt::interrupted() { 1 } else { 0 })
}

pub(super) fn send_file(ctx: &Context, args: SendFileArgs) -> anyhow::Result<i32> {
    let text = std::fs::read_to_string(&args.file).map_err(|e| {
        UserError::new(
            ErrorKind::Invalid,
            format!("cannot read {}: {e}", args.file.display()),
        )
    })?;
    let messages = words::parse_file(&text, args.word_format)
        .map_err(|e| invalid(format!("{}: {e}; nothing was sent", args.file.display())))?;
    let mut conn = open(ctx, &args.endpoint)?;
    let mute_watch = MuteWatch::start(ctx, conn.info())?;
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
    let dropped = mute_watch.finish(sent)?;
    let report = SendReport::new(&conn, sent, total_words, started, dropped);
    print_send_report(ctx.style, &report, args.json, args.pause)?;
    Ok(if interrupt::interrupted() { 1 } else { 0 })
}
