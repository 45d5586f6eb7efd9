//! `midi endpoint send-sysex-file`: the SysEx messages of a file (raw `F0 … F7` bytes, any
//! number, any size) sent as SysEx7 UMP packets on one group, a few packets at a time with a
//! pause between. The file is read twice, in constant memory: once to check it (a file that
//! is not SysEx is refused with the offset of the first wrong byte, before anything is
//! sent), once to send it.

use super::args::SysexArgs;
use super::endpoint::open;
use super::send::MuteWatch;
use crate::client::EndpointConnection;
use crate::core::ErrorKind;
use crate::core::protocol::TimedMessage;
use crate::face::output::{self, print_json};
use crate::face::{Context, UserError, interrupt};
use std::io::{BufReader, Read};
use std::path::Path;
use std::time::{Duration, Instant};

/// Data bytes in one SysEx7 packet.
const PACKET_BYTES: usize = 6;

/// SysEx7 packet statuses.
const COMPLETE: u32 = 0x0;
const START: u32 = 0x1;
const CONTINUE: u32 = 0x2;
const END: u32 = 0x3;

/// What the check found in a good file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SysexSummary {
    pub messages: u64,
    /// Data bytes, without the F0 and F7 of each message.
    pub data_bytes: u64,
    pub packets: u64,
}

/// What [`scan`] hands on as it reads.
enum Piece {
    /// A data byte of the message under way.
    Data(u8),
    /// The F7 that ends it.
    End,
}

/// Reads `source` byte by byte, handing each data byte and each message end to `on_piece`;
/// fails naming the offset of the first byte out of place.
fn scan(source: impl Read, mut on_piece: impl FnMut(Piece)) -> Result<SysexSummary, String> {
    let mut summary = SysexSummary::default();
    let mut open_at: Option<u64> = None;
    let mut length = 0u64;
    let mut offset = 0u64;
    for byte in BufReader::with_capacity(64 * 1024, source).bytes() {
        let b = byte.map_err(|e| format!("cannot read it at offset {offset}: {e}"))?;
        match (open_at, b) {
            (None, 0xF0) => {
                open_at = Some(offset);
                length = 0;
                summary.messages += 1;
            }
            (None, _) => {
                return Err(format!(
                    "byte 0x{b:02X} at offset {offset} is not F0, the start of a SysEx message; the file is not SysEx (F0 … F7)"
                ));
            }
            (Some(_), 0xF7) => {
                open_at = None;
                summary.data_bytes += length;
                summary.packets += (length as usize).div_ceil(PACKET_BYTES).max(1) as u64;
                on_piece(Piece::End);
            }
            (Some(start), b) if b >= 0x80 => {
                return Err(format!(
                    "byte 0x{b:02X} at offset {offset} is a status byte inside the SysEx message that starts at offset {start}; only data bytes (below 0x80) come before its F7"
                ));
            }
            (Some(_), b) => {
                length += 1;
                on_piece(Piece::Data(b));
            }
        }
        offset += 1;
    }
    if let Some(start) = open_at {
        return Err(format!(
            "the file ends at offset {offset} inside the SysEx message that starts at offset {start}: no F7"
        ));
    }
    if summary.messages == 0 {
        return Err("the file is empty: it holds no SysEx message (F0 … F7)".into());
    }
    Ok(summary)
}

/// Checks a SysEx source without sending anything.
pub fn check(source: impl Read) -> Result<SysexSummary, String> {
    scan(source, |_| {})
}

/// Cuts one message's data bytes into SysEx7 packets as they come: six bytes a packet,
/// Start / Continue / End, or one Complete packet for six bytes or fewer.
pub struct Packetizer {
    group: u32,
    pending: Vec<u8>,
    started: bool,
    pub packets: Vec<[u32; 2]>,
}

impl Packetizer {
    /// `group` is 1 to 16, as the user gives it.
    pub fn new(group: u8) -> Packetizer {
        Packetizer {
            group: u32::from(group - 1),
            pending: Vec::with_capacity(PACKET_BYTES + 1),
            started: false,
            packets: Vec::new(),
        }
    }

    pub fn data(&mut self, b: u8) {
        // A full packet goes out only once the next byte shows it is not the last.
        if self.pending.len() == PACKET_BYTES {
            let status = if self.started { CONTINUE } else { START };
            self.emit(status);
            self.started = true;
        }
        self.pending.push(b);
    }

    pub fn end(&mut self) {
        let status = if self.started { END } else { COMPLETE };
        self.emit(status);
        self.started = false;
    }

    /// Whether a message is under way (started, not ended).
    pub fn in_message(&self) -> bool {
        self.started || !self.pending.is_empty()
    }

    fn emit(&mut self, status: u32) {
        let mut bytes = [0u8; PACKET_BYTES];
        bytes[..self.pending.len()].copy_from_slice(&self.pending);
        let w0 = 0x3000_0000
            | self.group << 24
            | status << 20
            | (self.pending.len() as u32) << 16
            | u32::from(bytes[0]) << 8
            | u32::from(bytes[1]);
        let w1 = u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]);
        self.packets.push([w0, w1]);
        self.pending.clear();
    }
}

fn open_file(path: &Path) -> Result<std::fs::File, UserError> {
    std::fs::File::open(path).map_err(|e| {
        UserError::new(
            ErrorKind::Invalid,
            format!("cannot read {}: {e}", path.display()),
        )
    })
}

#[derive(serde::Serialize)]
struct SysexReport {
    endpoint: String,
    endpoint_id: String,
    file: String,
    group: u8,
    messages: u64,
    data_bytes: u64,
    packets_sent: u64,
    packets: u64,
    interrupted: bool,
    elapsed_s: f64,
    dropped_muted: u64,
}

pub(super) fn send_sysex_file(ctx: &Context, args: SysexArgs) -> anyhow::Result<i32> {
    let summary = check(open_file(&args.file)?).map_err(|e| {
        UserError::new(
            ErrorKind::Invalid,
            format!("{}: {e}; nothing was sent", args.file.display()),
        )
    })?;
    let mut conn = open(ctx, &args.endpoint)?;
    let mute_watch = MuteWatch::start(ctx, conn.info())?;
    interrupt::install();
    let bar = progress_bar(summary.packets);
    let started = Instant::now();
    let sent = send_packets(&mut conn, &args, &bar)?;
    bar.finish_and_clear();
    let dropped = mute_watch.finish(sent)?;
    let interrupted = sent < summary.packets;
    let report = SysexReport {
        endpoint: conn.info().name.clone(),
        endpoint_id: conn.info().id.to_string(),
        file: args.file.display().to_string(),
        group: args.group,
        messages: summary.messages,
        data_bytes: summary.data_bytes,
        packets_sent: sent,
        packets: summary.packets,
        interrupted,
        elapsed_s: started.elapsed().as_secs_f64(),
        dropped_muted: dropped,
    };
    if args.json {
        print_json(&report)?;
    } else {
        output::out(&output::paragraph(&format!(
            "{} {} ({}) as {} on group {} through {} ({}){}.",
            ctx.style.ok("Sent"),
            output::count(summary.messages, "SysEx message", "SysEx messages"),
            output::count(summary.data_bytes, "data byte", "data bytes"),
            output::count(sent, "SysEx7 packet", "SysEx7 packets"),
            args.group,
            report.endpoint,
            report.endpoint_id,
            if interrupted {
                format!("; stopped by Ctrl-C after {sent} of {}", summary.packets)
            } else {
                String::new()
            }
        )))?;
    }
    Ok(if interrupted { 1 } else { 0 })
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    // indicatif draws only on a terminal (stderr); in a pipe this stays silent.
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} SysEx7 packets ({eta} left)")
            .expect("valid template"),
    );
    bar
}

/// Reads the file again and sends its packets, `--messages` at a time: each transfer is
/// handled by the engine (flushed) before the pause, so the pace is the one asked for. On
/// Ctrl-C a message under way is ended (an empty End packet), so no receiver is left inside
/// a SysEx. Returns the packets sent.
fn send_packets(
    conn: &mut EndpointConnection,
    args: &SysexArgs,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<u64> {
    let per_transfer = args.messages as usize;
    let mut packer = Packetizer::new(args.group);
    let mut sent = 0u64;
    let mut stop = false;
    let mut transfer = |packets: &mut Vec<[u32; 2]>, conn: &mut EndpointConnection| {
        let batch: Vec<TimedMessage> = packets
            .drain(..)
            .map(|w| TimedMessage::new(0, &w).expect("a SysEx7 packet is 2 words"))
            .collect();
        conn.send_batch(&batch)?;
        conn.flush()?;
        sent += batch.len() as u64;
        bar.inc(batch.len() as u64);
        anyhow::Ok(())
    };
    let file = open_file(&args.file)?;
    let mut failure = None;
    let scanned = scan(file, |piece| {
        if stop || failure.is_some() {
            return;
        }
        match piece {
            Piece::Data(b) => packer.data(b),
            Piece::End => packer.end(),
        }
        if packer.packets.len() >= per_transfer {
            if let Err(e) = transfer(&mut packer.packets, conn) {
                failure = Some(e);
            } else if pause(args.pause) {
                stop = true;
            }
        }
    });
    scanned.map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    if let Some(e) = failure {
        return Err(e);
    }
    if stop && packer.in_message() {
        packer.pending.clear();
        packer.end();
    }
    if !packer.packets.is_empty() {
        transfer(&mut packer.packets, conn)?;
    }
    Ok(sent)
}

/// Sleeps `ms` in short slices; true when Ctrl-C came.
fn pause(ms: u64) -> bool {
    let deadline = Instant::now() + Duration::from_millis(ms);
    loop {
        if interrupt::interrupted() {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(left.min(Duration::from_millis(20)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packets(data: &[u8]) -> Vec<[u32; 2]> {
        let mut p = Packetizer::new(1);
        data.iter().for_each(|&b| p.data(b));
        p.end();
        p.packets
    }

    #[test]
    fn six_bytes_or_fewer_make_one_complete_packet() {
        assert_eq!(packets(&[]), [[0x3000_0000, 0]]);
        assert_eq!(packets(&[1, 2]), [[0x3002_0102, 0]]);
        assert_eq!(packets(&[1, 2, 3, 4, 5, 6]), [[0x3006_0102, 0x0304_0506]]);
    }

    #[test]
    fn longer_messages_start_continue_and_end() {
        let data: Vec<u8> = (1..=13).collect();
        assert_eq!(
            packets(&data),
            [
                [0x3016_0102, 0x0304_0506],
                [0x3026_0708, 0x090A_0B0C],
                [0x3031_0D00, 0]
            ]
        );
        let twelve: Vec<u8> = (1..=12).collect();
        assert_eq!(packets(&twelve).len(), 2, "a full last packet is the End");
        assert_eq!(packets(&twelve)[1][0] >> 20 & 0xF, END);
    }

    #[test]
    fn the_check_counts_and_names_the_first_byte_out_of_place() {
        let good = [
            0xF0, 1, 2, 0xF7, 0xF0, 0xF7, 0xF0, 1, 2, 3, 4, 5, 6, 7, 0xF7,
        ];
        assert_eq!(
            check(&good[..]),
            Ok(SysexSummary {
                messages: 3,
                data_bytes: 9,
                packets: 4
            })
        );
        assert!(check(&[0x90, 0x3C][..]).unwrap_err().contains("offset 0"));
        let status_inside = [0xF0, 1, 0x90, 0xF7];
        assert!(check(&status_inside[..]).unwrap_err().contains("offset 2"));
        let unterminated = [0xF0, 1, 2];
        assert!(check(&unterminated[..]).unwrap_err().contains("no F7"));
        assert!(check(&[][..]).unwrap_err().contains("empty"));
    }
}
