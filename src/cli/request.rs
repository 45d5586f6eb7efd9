//! `midi endpoint request endpoint-info | function-blocks`: one UMP stream discovery message
//! out on an endpoint, then, with `--wait`, the replies that come back to it, decoded.
//!
//! A loopback answers nothing itself: it passes the request to the other side, where an
//! application may answer; its answers come back across the pair to the endpoint the request
//! went out on, which is where this listens.

use super::args::{EndpointInfoArgs, FunctionBlocksArgs, RequestCommand, RequestTarget};
use super::endpoint::open;
use super::monitor::{Printer, ended_by, json_value};
use super::send::MuteWatch;
use crate::client::{EndpointConnection, Received};
use crate::core::ErrorKind;
use crate::core::protocol::TimedMessage;
use crate::core::ump::{self, decode};
use crate::face::output::{self, errln, print_json};
use crate::face::{Context, UserError, interrupt};
use std::io::Write;
use std::time::{Duration, Instant};

/// UMP stream statuses (the 10 bits after the format in the first word).
const ENDPOINT_DISCOVERY: u32 = 0x000;
const FUNCTION_BLOCK_DISCOVERY: u32 = 0x010;
/// The notifications that answer each request.
const ENDPOINT_REPLIES: [u32; 5] = [0x001, 0x002, 0x003, 0x004, 0x006];
const FUNCTION_BLOCK_REPLIES: [u32; 2] = [0x011, 0x012];
/// Function block number meaning "every block".
const ALL_BLOCKS: u32 = 0xFF;

pub(super) fn run(ctx: &Context, cmd: RequestCommand) -> anyhow::Result<i32> {
    let (target, words, replies): (RequestTarget, [u32; 4], &[u32]) = match cmd {
        RequestCommand::EndpointInfo(a) => {
            let words = endpoint_discovery(&a)?;
            (a.target, words, &ENDPOINT_REPLIES)
        }
        RequestCommand::FunctionBlocks(a) => {
            let words = function_block_discovery(&a)?;
            (a.target, words, &FUNCTION_BLOCK_REPLIES)
        }
    };
    request(ctx, target, words, replies)
}

fn nothing_requested(what: &str) -> anyhow::Error {
    UserError::new(
        ErrorKind::Invalid,
        format!("nothing to request: every {what} is switched off"),
    )
    .hint("leave the defaults on, or add --all")
    .into()
}

/// Endpoint Discovery: the UMP version this side speaks, and a filter of what to send back.
fn endpoint_discovery(a: &EndpointInfoArgs) -> anyhow::Result<[u32; 4]> {
    let wanted = [
        a.endpoint_info,
        a.device_identity,
        a.name,
        a.product_instance_id,
        a.stream_configuration,
    ];
    let filter = wanted
        .iter()
        .enumerate()
        .filter(|&(_, &on)| on || a.all)
        .fold(0u32, |f, (bit, _)| f | 1 << bit);
    if filter == 0 {
        return Err(nothing_requested("notification"));
    }
    let version = u32::from(a.ump_version_major) << 8 | u32::from(a.ump_version_minor);
    Ok([stream_word(ENDPOINT_DISCOVERY) | version, filter, 0, 0])
}

/// Function Block Discovery: which block (or all), and whether to send its info and name.
fn function_block_discovery(a: &FunctionBlocksArgs) -> anyhow::Result<[u32; 4]> {
    let filter = u32::from(a.request_info) | u32::from(a.request_name) << 1;
    if filter == 0 {
        return Err(nothing_requested("reply (info and name)"));
    }
    let block = if a.all {
        ALL_BLOCKS
    } else {
        u32::from(a.number)
    };
    Ok([
        stream_word(FUNCTION_BLOCK_DISCOVERY) | block << 8 | filter,
        0,
        0,
        0,
    ])
}

/// The first word of a complete (format 0) UMP stream message with this status.
fn stream_word(status: u32) -> u32 {
    0xF000_0000 | status << 16
}

/// Whether a message that arrived answers the request: a UMP stream message whose status is
/// one of `replies`.
fn is_reply(msg: &TimedMessage, replies: &[u32]) -> bool {
    let first = msg.words()[0];
    ump::message_type(first) == 0xF && replies.contains(&(first >> 16 & 0x3FF))
}

#[derive(serde::Serialize)]
struct Report {
    endpoint: String,
    endpoint_id: String,
    request: serde_json::Value,
    /// How long replies were waited for; null without --wait.
    waited_s: Option<f64>,
    replies: Vec<serde_json::Value>,
    /// Other messages that arrived meanwhile (not replies).
    ignored: u64,
}

fn request(
    ctx: &Context,
    target: RequestTarget,
    words: [u32; 4],
    replies: &[u32],
) -> anyhow::Result<i32> {
    let mut conn = open(ctx, &target.endpoint)?;
    let mute_watch = MuteWatch::start(ctx, conn.info())?;
    conn.send(&words)?;
    conn.flush()?;
    mute_watch.finish(1)?;
    let sent = TimedMessage::new(0, &words).expect("a stream message is 4 words");
    let d = decode::decode(&words);
    let (name, id) = (conn.info().name.clone(), conn.info().id.to_string());
    if !target.json {
        let hex: Vec<String> = words.iter().map(|w| format!("{w:08X}")).collect();
        output::out(&format!(
            "{} {} through {name} ({id}).\n{}",
            ctx.style.ok("Sent"),
            d.message_type,
            output::key_values(ctx.style, &[("Words", hex.join(" ")), ("Asks", d.text)])
        ))?;
    }
    let Some(wait) = target.wait else {
        if target.json {
            print_json(&report(&name, &id, &sent, None, Vec::new(), 0))?;
        } else {
            output::out(&output::paragraph(&format!(
                "Replies arrive at {name}: `midi endpoint monitor {}` shows them, or ask again with --wait SECONDS.",
                crate::face::pair_text::shell_quote(&name)
            )))?;
        }
        return Ok(0);
    };
    let collected = collect(ctx, &mut conn, wait, replies, target.json)?;
    let count = collected.replies.len() as u64;
    if target.json {
        let rows = collected.replies;
        print_json(&report(
            &name,
            &id,
            &sent,
            Some(wait),
            rows,
            collected.ignored,
        ))?;
    } else if count == 0 {
        errln!("No reply in {wait} s: nothing on the other side of the pair answered.");
    } else {
        errln!("{} in {wait} s.", output::count(count, "reply", "replies"));
    }
    if let Some((code, message)) = collected.ending {
        output::print_error(&message, None);
        return Ok(code);
    }
    Ok(if count > 0 { 0 } else { 1 })
}

fn report(
    name: &str,
    id: &str,
    sent: &TimedMessage,
    waited_s: Option<f64>,
    replies: Vec<serde_json::Value>,
    ignored: u64,
) -> Report {
    Report {
        endpoint: name.to_string(),
        endpoint_id: id.to_string(),
        request: json_value(0, sent, true),
        waited_s,
        replies,
        ignored,
    }
}

/// What came back while waiting.
struct Collected {
    replies: Vec<serde_json::Value>,
    ignored: u64,
    ending: Option<(i32, String)>,
}

/// Listens on the endpoint for `wait` seconds (or until Ctrl-C), printing each reply as the
/// monitor would (table rows, or nothing in JSON mode: the report lists them at the end).
fn collect(
    ctx: &Context,
    conn: &mut EndpointConnection,
    wait: f64,
    replies: &[u32],
    json: bool,
) -> anyhow::Result<Collected> {
    interrupt::install();
    let printer = Printer::new(false, true, ctx.style, "\n");
    let mut out = std::io::BufWriter::new(output::Stdout::new());
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(wait);
    let mut got = Collected {
        replies: Vec::new(),
        ignored: 0,
        ending: None,
    };
    while !interrupt::interrupted() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let msgs = match conn.receive(Some(left.min(Duration::from_millis(100)))) {
            Ok(Some(Received::Messages(msgs))) => msgs,
            Ok(_) => continue,
            Err(e) => {
                got.ending = Some(ended_by(e)?);
                break;
            }
        };
        for m in msgs.iter() {
            if !is_reply(m, replies) {
                got.ignored += 1;
                continue;
            }
            let index = got.replies.len() as u64 + 1;
            got.replies.push(json_value(index, m, true));
            if !json {
                if index == 1 {
                    write!(out, "{}", printer.header())?;
                }
                let secs = started.elapsed().as_secs_f64();
                write!(out, "{}", printer.row(index, secs, m))?;
            }
        }
        out.flush()?;
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse<T: clap::Args>(args: &[&str]) -> T {
        #[derive(Parser)]
        struct Wrap<T: clap::Args> {
            #[command(flatten)]
            inner: T,
        }
        let mut all = vec!["x", "Studio (A)"];
        all.extend_from_slice(args);
        Wrap::<T>::parse_from(all).inner
    }

    #[test]
    fn endpoint_discovery_carries_the_version_and_the_filter() {
        let words = endpoint_discovery(&parse(&["--all"])).unwrap();
        assert_eq!(words, [0xF000_0101, 0x1F, 0, 0]);
        let words = endpoint_discovery(&parse(&["--name", "--endpoint-info", "false"])).unwrap();
        assert_eq!(words, [0xF000_0101, 0x04, 0, 0]);
        assert!(endpoint_discovery(&parse(&["-i", "false"])).is_err());
        assert_eq!(
            decode::decode(&words).message_type,
            "Endpoint Discovery",
            "the decoder agrees"
        );
    }

    #[test]
    fn function_block_discovery_names_one_block_or_all() {
        let words = function_block_discovery(&parse(&["--all"])).unwrap();
        assert_eq!(words[0], 0xF010_FF03);
        let words =
            function_block_discovery(&parse(&["-n", "3", "--request-name", "false"])).unwrap();
        assert_eq!(words[0], 0xF010_0301);
        assert_eq!(
            decode::decode(&words).message_type,
            "Function Block Discovery"
        );
    }

    #[test]
    fn only_the_notifications_that_answer_count_as_replies() {
        let info = TimedMessage::new(0, &[0xF001_0101, 0, 0, 0]).unwrap();
        let fb = TimedMessage::new(0, &[0xF011_0000, 0, 0, 0]).unwrap();
        let note = TimedMessage::new(0, &[0x2090_3C64]).unwrap();
        assert!(is_reply(&info, &ENDPOINT_REPLIES));
        assert!(!is_reply(&fb, &ENDPOINT_REPLIES));
        assert!(is_reply(&fb, &FUNCTION_BLOCK_REPLIES));
        assert!(!is_reply(&note, &ENDPOINT_REPLIES));
    }
}
