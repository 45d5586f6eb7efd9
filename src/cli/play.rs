//! `midi endpoint play-notes`: notes, by number or name, played one after another on an
//! endpoint. Every note switched on is switched off again — after its length, when Ctrl-C
//! arrives, and before giving up on an endpoint that went away.

use super::args::PlayArgs;
use super::endpoint::open;
use super::send::MuteWatch;
use crate::client::{Client, ClientError, EndpointConnection, Received};
use crate::core::ErrorKind;
use crate::core::ump::decode::note_name;
use crate::face::output::{self, errln, outln, print_json};
use crate::face::{Context, UserError, interrupt};
use std::time::{Duration, Instant};

/// Reads a note: a number 0 to 127, or a name — a letter A to G, any `#` or `b`, then an
/// octave from -1 to 9, middle C being C4 (60).
pub fn parse_note(text: &str) -> Result<u8, String> {
    let t = text.trim();
    if let Ok(n) = t.parse::<i64>() {
        return u8::try_from(n)
            .ok()
            .filter(|&n| n <= 127)
            .ok_or_else(|| format!("note {t} is not in 0..=127"));
    }
    let bad = || {
        format!("{t:?} is not a note: give a number 0 to 127 or a name such as C4 (60), F#3 or Bb5")
    };
    let mut chars = t.chars();
    let pitch: i64 = match chars.next().map(|c| c.to_ascii_uppercase()) {
        Some('C') => 0,
        Some('D') => 2,
        Some('E') => 4,
        Some('F') => 5,
        Some('G') => 7,
        Some('A') => 9,
        Some('B') => 11,
        _ => return Err(bad()),
    };
    let rest = chars.as_str();
    let accidentals = rest.len() - rest.trim_start_matches(['#', 'b']).len();
    let shift: i64 = rest[..accidentals]
        .chars()
        .map(|c| if c == '#' { 1 } else { -1 })
        .sum();
    let octave: i64 = rest[accidentals..].parse().map_err(|_| bad())?;
    let n = (octave + 1) * 12 + pitch + shift;
    u8::try_from(n)
        .ok()
        .filter(|&n| n <= 127)
        .ok_or_else(|| format!("{t} would be note {n}, which is not in 0..=127 (C-1 to G9)"))
}

/// The note on and note off messages of one note.
fn messages(args: &PlayArgs, note: u8) -> (Vec<u32>, Vec<u32>) {
    let group = u32::from(args.group - 1) << 24;
    let channel = u32::from(args.channel - 1) << 16;
    let note = u32::from(note) << 8;
    if args.midi2 {
        let velocity = (args.velocity / 100.0 * 65535.0).round() as u32;
        let head = 0x4000_0000 | group | channel | note;
        (
            vec![head | 0x90 << 16, velocity << 16],
            vec![head | 0x80 << 16, 0],
        )
    } else {
        let velocity = ((args.velocity / 100.0 * 127.0).round() as u32).max(1);
        let head = 0x2000_0000 | group | channel | note;
        (vec![head | 0x90 << 16 | velocity], vec![head | 0x80 << 16])
    }
}

/// The endpoint being played on, reopened when it goes away (with `--auto-reconnect`).
struct Player<'a> {
    ctx: &'a Context,
    endpoint: String,
    conn: EndpointConnection,
    auto_reconnect: bool,
}

/// Why playing stopped before the end.
enum Stop {
    Interrupted,
    Lost(ClientError),
}

impl Player<'_> {
    /// Sends one message; a lost endpoint is reopened first when that is allowed.
    fn send(&mut self, words: &[u32]) -> Result<(), Stop> {
        match self.conn.send(words).and_then(|()| self.conn.flush()) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.reconnect(e)?;
                self.conn.send(words).map_err(Stop::Lost)
            }
        }
    }

    /// Waits `ms`, watching for Ctrl-C and for the endpoint going away (what arrives at it
    /// from the other side is read and let go).
    fn wait(&mut self, ms: u64) -> Result<(), Stop> {
        let deadline = Instant::now() + Duration::from_millis(ms);
        loop {
            if interrupt::interrupted() {
                return Err(Stop::Interrupted);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            match self.conn.receive(Some(left.min(Duration::from_millis(20)))) {
                Ok(None | Some(Received::Messages(_)) | Some(Received::Overflow { .. })) => {}
                Err(e) => self.reconnect(e)?,
            }
        }
    }

    /// Opens the endpoint again, every half second until it is back (never starting an
    /// engine: a stopped one is waited for), or fails with the loss when that is not allowed.
    fn reconnect(&mut self, lost: ClientError) -> Result<(), Stop> {
        if !self.auto_reconnect {
            return Err(Stop::Lost(lost));
        }
        errln!(
            "{lost}; waiting for {} to come back (Ctrl-C stops)",
            self.endpoint
        );
        loop {
            if interrupt::interrupted() {
                return Err(Stop::Interrupted);
            }
            let reopened = Client::connect_running(&self.ctx.options)
                .ok()
                .flatten()
                .and_then(|c| c.open_endpoint(&self.endpoint).ok());
            if let Some(conn) = reopened {
                self.conn = conn;
                errln!("{} is back; playing on", self.endpoint);
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

#[derive(serde::Serialize)]
struct PlayReport {
    endpoint: String,
    endpoint_id: String,
    notes: Vec<u8>,
    /// Notes played (switched on and off again).
    played: u64,
    midi2: bool,
    interrupted: bool,
    dropped_muted: u64,
}

pub(super) fn play_notes(ctx: &Context, args: PlayArgs) -> anyhow::Result<i32> {
    let notes = args
        .notes
        .iter()
        .map(|n| parse_note(n))
        .collect::<Result<Vec<u8>, String>>()
        .map_err(|e| UserError::new(ErrorKind::Invalid, e))?;
    let conn = open(ctx, &args.endpoint)?;
    let (name, id) = (conn.info().name.clone(), conn.info().id.to_string());
    let mute_watch = MuteWatch::start(ctx, conn.info())?;
    let mut player = Player {
        ctx,
        endpoint: args.endpoint.clone(),
        conn,
        auto_reconnect: args.auto_reconnect,
    };
    interrupt::install();
    let mut played = 0u64;
    let result = play_all(&mut player, &args, &notes, &mut played);
    let dropped = mute_watch.finish(played * 2)?;
    let interrupted = matches!(result, Err(Stop::Interrupted));
    if let Err(Stop::Lost(e)) = result {
        // However the engine put it, the endpoint is gone: exit 4, or 3 with the engine.
        let kind = match e {
            ClientError::EngineStopped | ClientError::Disconnected(_) => ErrorKind::Unreachable,
            _ => ErrorKind::NotFound,
        };
        let message = format!("{} went away while playing ({e})", args.endpoint);
        return Err(UserError::new(kind, message)
            .hint("--auto-reconnect true (the default) waits for it to come back")
            .into());
    }
    let report = PlayReport {
        endpoint: name,
        endpoint_id: id,
        notes,
        played,
        midi2: args.midi2,
        interrupted,
        dropped_muted: dropped,
    };
    if args.json {
        print_json(&report)?;
    } else {
        output::out(&output::paragraph(&format!(
            "{} {} through {} ({}){}.",
            ctx.style.ok("Played"),
            output::count(played, "note", "notes"),
            report.endpoint,
            report.endpoint_id,
            if interrupted {
                "; stopped by Ctrl-C"
            } else {
                ""
            }
        )))?;
    }
    // With --forever, Ctrl-C is how it ends; otherwise it cut the sequence short.
    Ok(if interrupted && !args.forever { 1 } else { 0 })
}

/// Plays the sequence `--count` times (or until Ctrl-C with `--forever`). A note that is on
/// when anything stops it is switched off before this returns.
fn play_all(
    player: &mut Player,
    args: &PlayArgs,
    notes: &[u8],
    played: &mut u64,
) -> Result<(), Stop> {
    let mut round = 0u64;
    while args.forever || round < args.count {
        round += 1;
        for &note in notes {
            let (on, off) = messages(args, note);
            player.send(&on)?;
            let sounded = player.wait(args.length);
            // Off again whatever happened meanwhile (Ctrl-C, a lost endpoint).
            let switched_off = player.send(&off);
            sounded?;
            switched_off?;
            *played += 1;
            if !args.json {
                let _ = outln!("  {} ({note})", note_name(note));
            }
            player.wait(args.rest)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_by_number_or_name_with_middle_c_at_c4() {
        assert_eq!(parse_note("60"), Ok(60));
        assert_eq!(parse_note("C4"), Ok(60));
        assert_eq!(parse_note("c#4"), Ok(61));
        assert_eq!(parse_note("Db4"), Ok(61));
        assert_eq!(parse_note("C-1"), Ok(0));
        assert_eq!(parse_note("G9"), Ok(127));
        assert_eq!(parse_note("A4"), Ok(69));
        assert!(parse_note("G#9").unwrap_err().contains("128"));
        assert!(parse_note("128").is_err());
        assert!(parse_note("H4").unwrap_err().contains("not a note"));
        assert!(parse_note("C").is_err());
        for n in 0..=127u8 {
            assert_eq!(parse_note(&note_name(n)), Ok(n), "{}", note_name(n));
        }
    }
}
