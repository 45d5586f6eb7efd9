//! The command line, as clap definitions. Help texts, completions and manual pages are all
//! generated from these, so this file is the one place a flag is described.

use crate::face::output::ColorChoice;
use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
Files:
  State root      MIDI_HOME=DIR or --home DIR keeps config, socket, lock
                  and log together in DIR
  Configuration   $XDG_CONFIG_HOME/midi/midi.midiconfig.json (the
                  persistent pairs)
  Engine socket   $XDG_RUNTIME_DIR/midi/engine.sock,
                  else /tmp/midi-$UID/engine.sock
  Engine log      engine.log, beside the socket

Environment:
  MIDI_NO_AUTOSTART=1   never start an engine; fail with exit code 3
  NO_COLOR              no colour, unless --color always

Exit codes:
  0 success   1 failure   2 usage or validation error
  3 engine unreachable   4 not found
  5 conflict (name, unique identifier or association id in use)";

const QUICK_START: &str = "\
Quick start:
  midi loopback create --root-name \"My Loopback\"   # endpoints \"My Loopback (A)\" and \"… (B)\"
  midi endpoint monitor \"My Loopback (B)\"          # in one terminal: watch what arrives at B
  midi endpoint send-message \"My Loopback (A)\" 0x20903C64   # in another: a note on, out of A
  midi loopback wizard                             # or create a pair step by step
  midi dashboard                                   # every pair and its traffic, live

Each command has its own examples: midi loopback create --help, or man midi-loopback-create.";

const CREATE_EXAMPLES: &str = "\
Examples:
  midi loopback create --root-name \"My Loopback\"
  midi loopback create --name-a \"Loopback One\" --name-b \"Loopback Two\"
  midi loopback create --root-name \"My Loopback\" \\
      --association-id 7af38a08-0f4b-43ad-b218-1757496f0034
  midi loopback create --root-name \"My Loopback\" --unique-identifier abc12345
  midi loopback create -r \"Studio Link\" --persistent --json
  midi loopback create        # with no names, on a terminal: the wizard asks for them

Rules: names are trimmed, 1 to 98 UTF-8 bytes, no control characters, unique ignoring case;
the unique identifier keeps ASCII letters and digits only (1 to 32 of them).";

/// The heading of the options every command takes, apart from its own.
const GLOBAL: &str = "Global options";

/// MIDI 2.0 loopback endpoint pairs from the terminal.
///
/// A loopback pair is two MIDI 2.0 (UMP) endpoints, A and B, cross-wired: what goes out on A
/// arrives at B, and the other way round. A background engine owns the pairs and starts by
/// itself when a command needs it.
#[derive(Debug, Parser)]
#[command(
    name = "midi",
    version,
    propagate_version = true,
    after_help = format!("{QUICK_START}\n\n{AFTER_HELP}"),
    max_term_width = 100,
    mut_subcommands = with_reference
)]
pub struct Cli {
    /// Keep config, socket, lock and log in DIR (overrides MIDI_HOME)
    #[arg(long, global = true, value_name = "DIR", value_hint = clap::ValueHint::DirPath, help_heading = GLOBAL)]
    pub home: Option<PathBuf>,

    /// When to use colour (NO_COLOR turns it off for `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN", help_heading = GLOBAL)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

/// A count of at least one (`--count`), said in words: clap's own range check would print
/// `0 is not in 1..18446744073709551615`.
fn at_least_one(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("the count must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "{text:?} is not a count; give a whole number from 1 up"
        )),
    }
}

/// A note length in milliseconds, 30 or more (shorter notes are not heard as notes).
fn note_length(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(ms) if ms >= 30 => Ok(ms),
        Ok(ms) => Err(format!("{ms} ms is too short: a note lasts at least 30 ms")),
        Err(_) => Err(format!(
            "{text:?} is not a number of milliseconds (30 or more)"
        )),
    }
}

/// A time in seconds, not negative (`--wait`).
fn seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Ok(s),
        _ => Err(format!(
            "{text:?} is not a number of seconds (0 or more, 0.5 is half a second)"
        )),
    }
}

/// A velocity in percent, 1 to 100.
fn percent(text: &str) -> Result<f64, String> {
    match text.trim().trim_end_matches('%').parse::<f64>() {
        Ok(p) if (1.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("{text:?} is not a percentage from 1 to 100")),
    }
}

/// Every command's `--help` ends with where files live and the exit codes, after its own
/// examples; `-h` stays short. The manual pages get the same text.
fn with_reference(cmd: clap::Command) -> clap::Command {
    let long = match cmd.get_after_help() {
        Some(examples) => format!("{examples}\n\n{AFTER_HELP}"),
        None => AFTER_HELP.to_string(),
    };
    cmd.after_long_help(long).mut_subcommands(with_reference)
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, list, change and remove loopback pairs
    #[command(
        subcommand,
        visible_alias = "midi2-loopback",
        after_help = "Examples:\n  midi loopback create --root-name \"My Loopback\"\n  midi loopback list\n  midi loopback mute \"My Loopback\"\n  midi loopback remove \"My Loopback\"\n  midi loopback remove -i 7af38a08-0f4b-43ad-b218-1757496f0034\n  midi loopback wizard"
    )]
    Loopback(LoopbackCommand),
    /// List endpoints, send messages to them and monitor what arrives
    #[command(
        subcommand,
        visible_alias = "ep",
        after_help = "Examples:\n  midi endpoint list\n  midi endpoint monitor \"My Loopback (B)\"\n  midi endpoint send-message \"My Loopback (A)\" 0x20903C64\n  midi endpoint send-message-file \"My Loopback (A)\" notes.txt"
    )]
    Endpoint(EndpointCommand),
    /// List things the engine knows (`midi enumerate endpoints`)
    #[command(
        subcommand,
        visible_aliases = ["enum"],
        after_help = "Examples:\n  midi enumerate endpoints\n  midi enumerate endpoints --json"
    )]
    Enumerate(EnumerateCommand),
    /// Manage the background engine that owns the pairs
    #[command(
        subcommand,
        visible_alias = "svc",
        after_help = "Commands start the engine by themselves when they need it; these manage it by hand.\n\nExamples:\n  midi service status\n  midi service ping --count 100\n  midi service restart\n  midi service stop"
    )]
    Service(ServiceCommand),
    /// Full-screen live view: pairs, per-direction traffic meters, monitor, editing
    #[command(
        visible_aliases = ["tui", "top"],
        after_help = "Inside: ? shows the keys; q or Esc quits.\n\nExamples:\n  midi dashboard\n  midi top --refresh-ms 100"
    )]
    Dashboard(DashboardArgs),
    /// Print every change to the pairs as it happens (created, updated, removed, clients)
    #[command(
        name = "watch-endpoints",
        visible_aliases = ["watch-ump", "watch"],
        after_help = WATCH_HELP
    )]
    WatchEndpoints(WatchArgs),
    /// Measure the engine's latency, timing, throughput and cost against bare baselines
    #[command(
        after_help = "Each figure is the median of several rounds, engine and baseline alternating, and the \
verdict says whether each target holds. The exit status is 0 whatever the verdict unless --check is \
given.\n\nExamples:\n  midi bench --quick\n  midi bench --rounds 9 --check\n  midi bench --json > bench.json"
    )]
    Bench(BenchArgs),
    /// The clock message timestamps use, its resolution and the current timestamp
    #[command(visible_alias = "clock", after_help = TIME_HELP)]
    Time(JsonFlag),
    /// Print a shell completion script
    #[command(
        after_help = "The script asks `midi` (on PATH) for the candidates at each Tab, so it completes \
commands, flags and values of the installed version, and the association ids and endpoints of \
the running engine (it never starts one). Regenerate it after upgrading midi.\n\n\
Examples:\n  midi completions bash > ~/.local/share/bash-completion/completions/midi\n  midi completions zsh > \"${fpath[1]}/_midi\"    # then: autoload -U compinit && compinit\n  midi completions fish > ~/.config/fish/completions/midi.fish\n  source <(midi completions bash)                    # just this shell"
    )]
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (one per command) into a manual directory
    #[command(after_help = MAN_HELP)]
    Man {
        /// The manual directory: the pages go into DIR/man1, where `man` looks for them
        #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
        out_dir: PathBuf,
    },
    /// Share endpoints with other machines over Network MIDI 2.0 (host, connect, list, stop)
    #[command(
        subcommand,
        visible_alias = "net",
        after_help = "Examples:\n  midi network host \"Stage (A)\" --port 0\n  midi network connect 127.0.0.1:5673 --root-name \"Stage Link\"\n  midi network list\n  midi network stop \"Stage (A)\""
    )]
    Network(super::network::NetworkCommand),
}

const TIME_HELP: &str = "\
Timestamps are nanoseconds on the system's monotonic clock (CLOCK_MONOTONIC), shared by every
process, so a timestamp one program writes means the same moment to the engine and to every
other. A timestamp of 0 means \"now\"; one up to 300 s ahead is held and delivered when due.
--offset-microseconds and --timestamp of `midi endpoint send-message` use this clock.

Examples:
  midi time
  midi time --json | jq .now_ns";

const MAN_HELP: &str = "\
Writes midi.1, midi-loopback.1, midi-loopback-create.1, … (one page per command) into DIR/man1.
`man` searches DIR when it is on MANPATH, and finds ../share/man beside every directory on PATH
by itself: after `cargo install`, ~/.cargo/share/man needs no setting at all.

Examples:
  midi man --out-dir ~/.cargo/share/man        # then: man midi-loopback-create
  midi man --out-dir ~/.local/share/man
  midi man --out-dir /tmp/midi-man && MANPATH=/tmp/midi-man man midi";

#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// How often the meters refresh, in milliseconds
    #[arg(long, default_value_t = 250, value_parser = clap::value_parser!(u64).range(50..=5000), value_name = "MS")]
    pub refresh_ms: u64,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A short run (for CI smoke tests; the figures are rough)
    #[arg(long)]
    pub quick: bool,
    /// Round trips to time for the latency figures
    #[arg(long, default_value_t = 20_000, value_name = "N")]
    pub round_trips: u32,
    /// Messages to send for each throughput figure
    #[arg(long, default_value_t = 5_000_000, value_name = "N")]
    pub messages: u64,
    /// Rounds to run, engine and baseline alternating; figures are medians across them
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100), value_name = "N")]
    pub rounds: u32,
    /// Exit 1 when a target is missed (by default the verdict is only reported)
    #[arg(long)]
    pub check: bool,
    /// Print the figures as one JSON object
    #[arg(long)]
    pub json: bool,
    /// Internal: run the baseline relay on this socket (the bench starts it itself)
    #[arg(long, hide = true, value_name = "PATH")]
    pub relay_socket: Option<PathBuf>,
    /// Internal: how many pairs of clients the baseline relay serves
    #[arg(long, hide = true, default_value_t = 1, value_name = "N")]
    pub relay_pairs: usize,
    /// Internal: run the baseline sleeper on this socket (the bench starts it itself)
    #[arg(long, hide = true, value_name = "PATH")]
    pub sleeper_socket: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum EnumerateCommand {
    /// Every endpoint of every pair
    #[command(
        visible_aliases = ["midi-services-endpoints", "ep"],
        after_help = "Examples:\n  midi enumerate endpoints\n  midi enumerate endpoints --json | jq -r '.[].name'"
    )]
    Endpoints(JsonFlag),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WordFormat {
    Hex,
    Decimal,
    Binary,
}

#[derive(Debug, Subcommand)]
pub enum EndpointCommand {
    /// Every endpoint of every pair: id, name, side, association id, clients
    #[command(
        visible_alias = "ls",
        after_help = "Examples:\n  midi endpoint list\n  midi endpoint list --json | jq -r '.[].id'"
    )]
    List(JsonFlag),
    /// Send one UMP (1 to 4 words) out on an endpoint, optionally many times
    #[command(visible_alias = "send", after_help = SEND_EXAMPLES)]
    SendMessage(SendArgs),
    /// Send one UMP per line of a text file (`#` comments and blank lines are skipped)
    #[command(
        visible_alias = "send-file",
        after_help = "Example file:\n  # note on, note off (MIDI 1.0, group 1, channel 1)\n  0x20903C64\n  0x20803C00\n  0x40903C00 0xC0000000\n\nExample:\n  midi endpoint send-message-file \"My Loopback (A)\" notes.txt"
    )]
    SendMessageFile(SendFileArgs),
    /// Print what arrives at an endpoint, decoded
    #[command(visible_alias = "listen", after_help = MONITOR_EXAMPLES)]
    Monitor(MonitorArgs),
    /// Everything known about an endpoint: names, ids, its pair, mute, clients, traffic
    #[command(
        visible_aliases = ["info", "props", "information"],
        after_help = PROPERTIES_HELP
    )]
    Properties(PropertiesArgs),
    /// Send UMP stream discovery requests out on an endpoint; --wait prints the replies
    #[command(
        subcommand,
        visible_alias = "req",
        after_help = "Examples:\n  midi endpoint request endpoint-info \"My Loopback (A)\" --all --wait 2\n  midi endpoint request function-blocks \"My Loopback (A)\" --all --wait 2"
    )]
    Request(RequestCommand),
    /// Play notes on an endpoint, one after another (every note on is switched off again)
    #[command(visible_alias = "play", after_help = PLAY_HELP)]
    PlayNotes(PlayArgs),
    /// Send the SysEx messages of a file (.syx) out on an endpoint as SysEx7 packets
    #[command(visible_alias = "send-sysex", after_help = SYSEX_HELP)]
    SendSysexFile(SysexArgs),
}

const PROPERTIES_HELP: &str = "\
Shows the endpoint's name, id, side and description; its pair (root name, association id,
unique identifier, persistence, mute) and the endpoint on the other side; the clients
attached; and the traffic it sent and received, with what was dropped or refused.

Examples:
  midi endpoint properties \"My Loopback (A)\"
  midi endpoint info midiu_loop_b_abc12345 --json";

#[derive(Debug, Args)]
pub struct PropertiesArgs {
    /// The endpoint: its id or exact name (ignoring case)
    #[arg(value_name = "ENDPOINT", add = ArgValueCompleter::new(super::complete::complete_endpoint))]
    pub endpoint: String,
    /// Print the properties as one JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Ask for the endpoint's identity: info, device identity, name, product id, stream setup
    #[command(
        visible_aliases = ["endpoint-metadata", "endpoint-data", "em", "metadata"],
        after_help = REQUEST_ENDPOINT_HELP
    )]
    EndpointInfo(EndpointInfoArgs),
    /// Ask for function block info and names: one block, or all of them
    #[command(
        visible_aliases = ["function-block", "fb", "function", "functions"],
        after_help = REQUEST_BLOCKS_HELP
    )]
    FunctionBlocks(FunctionBlocksArgs),
}

const REQUEST_ENDPOINT_HELP: &str = "\
Sends one Endpoint Discovery message (UMP stream, type F, timestamp 0) out on ENDPOINT. A
loopback passes it to the other side like any message; whatever application listens there
may answer, and its answers arrive back at ENDPOINT. With --wait SECONDS they are printed,
decoded, as they arrive; the exit status is 0 when any came and 1 when none did. Without
--wait, watch for them with `midi endpoint monitor ENDPOINT`.

Examples:
  midi endpoint request endpoint-info \"My Loopback (A)\" --all --wait 2
  midi endpoint request endpoint-info \"My Loopback (A)\" --name --wait 1 --json
  midi endpoint request em midiu_loop_a_abc12345 --device-identity";

const REQUEST_BLOCKS_HELP: &str = "\
Sends one Function Block Discovery message (UMP stream, type F, timestamp 0) out on
ENDPOINT, for block --number N or for every block (--all). Replies are Function Block Info
and Name notifications; --wait SECONDS prints them as they arrive (exit 0 when any came, 1
when none did).

Examples:
  midi endpoint request function-blocks \"My Loopback (A)\" --all --wait 2
  midi endpoint request fb \"My Loopback (A)\" --number 3 --request-name false";

/// What every request takes: where to send it, how long to wait for replies, how to print.
#[derive(Debug, Args)]
pub struct RequestTarget {
    /// The endpoint to send the request on: its id or exact name (ignoring case)
    #[arg(value_name = "ENDPOINT", add = ArgValueCompleter::new(super::complete::complete_endpoint))]
    pub endpoint: String,
    /// Wait this long for replies and print them (exit 1 when none came)
    #[arg(long, value_name = "SECONDS", value_parser = seconds, allow_negative_numbers = true)]
    pub wait: Option<f64>,
    /// Print the request and the replies as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EndpointInfoArgs {
    #[command(flatten)]
    pub target: RequestTarget,
    /// Request everything below
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Request the endpoint info notification
    #[arg(short = 'i', long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub endpoint_info: bool,
    /// Request the device identity notification
    #[arg(short = 'd', long)]
    pub device_identity: bool,
    /// Request the endpoint name
    #[arg(short = 'n', long)]
    pub name: bool,
    /// Request the product instance id
    #[arg(short = 'p', long)]
    pub product_instance_id: bool,
    /// Request the stream configuration notification
    #[arg(short = 's', long)]
    pub stream_configuration: bool,
    /// UMP version (major) the request says it speaks
    #[arg(short = 'j', long, value_name = "N", default_value_t = 1)]
    pub ump_version_major: u8,
    /// UMP version (minor) the request says it speaks
    #[arg(short = 'm', long, value_name = "N", default_value_t = 1)]
    pub ump_version_minor: u8,
}

#[derive(Debug, Args)]
pub struct FunctionBlocksArgs {
    #[command(flatten)]
    pub target: RequestTarget,
    /// Request every function block (instead of --number)
    #[arg(short = 'a', long, conflicts_with = "number")]
    pub all: bool,
    /// The function block to ask about, 0 to 31
    #[arg(
        short = 'n',
        long,
        visible_alias = "function-block-number",
        value_name = "N",
        default_value_t = 0,
        value_parser = clap::value_parser!(u8).range(0..=31)
    )]
    pub number: u8,
    /// Request the function block info notification
    #[arg(short = 'i', long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub request_info: bool,
    /// Request the function block name
    #[arg(short = 'f', long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub request_name: bool,
}

const PLAY_HELP: &str = "\
NOTES are MIDI note numbers (0 to 127) or names: a letter, then # or b, then an octave from
-1 to 9, middle C being C4 (60). They are played in sequence: note on, --length, note off,
--rest. Every note that was switched on is switched off again, also on Ctrl-C.

Examples:
  midi endpoint play-notes \"My Loopback (A)\" C4 E4 G4 C5
  midi endpoint play-notes \"My Loopback (A)\" 60 64 67 --length 500 --rest 0 --midi2
  midi endpoint play \"My Loopback (A)\" A4 --channel 10 --velocity 100 --forever";

#[derive(Debug, Args)]
pub struct PlayArgs {
    /// The endpoint to play on: its id or exact name (ignoring case)
    #[arg(value_name = "ENDPOINT", add = ArgValueCompleter::new(super::complete::complete_endpoint))]
    pub endpoint: String,
    /// The notes: numbers (0 to 127) or names (C4 is 60, F#3, Bb5, C-1)
    #[arg(value_name = "NOTES", required = true, num_args = 1..)]
    pub notes: Vec<String>,
    /// How long each note sounds, in milliseconds (30 or more)
    #[arg(short = 'l', long, visible_alias = "length-ms", value_name = "MS", default_value_t = 250, value_parser = note_length)]
    pub length: u64,
    /// Silence after each note, in milliseconds
    #[arg(
        short = 'r',
        long,
        visible_alias = "rest-ms",
        value_name = "MS",
        default_value_t = 250
    )]
    pub rest: u64,
    /// The group, 1 to 16
    #[arg(short = 'g', long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=16))]
    pub group: u8,
    /// The channel, 1 to 16 (no -c: that is --count)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=16))]
    pub channel: u8,
    /// Velocity in percent, 1 to 100
    #[arg(short = 'v', long, value_name = "PERCENT", default_value_t = 75.0, value_parser = percent)]
    pub velocity: f64,
    /// How many times to play the notes
    #[arg(short = 'c', long, value_name = "N", default_value_t = 1, value_parser = at_least_one, conflicts_with = "forever")]
    pub count: u64,
    /// Play the notes again and again, until Ctrl-C
    #[arg(short = 'f', long, visible_alias = "repeat-forever")]
    pub forever: bool,
    /// Send MIDI 2.0 note messages (UMP type 4) instead of MIDI 1.0 ones (type 2)
    #[arg(short = 'm', long)]
    pub midi2: bool,
    /// Reopen the endpoint and go on when it goes away (a restarted engine, a re-created pair)
    #[arg(short = 'a', long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub auto_reconnect: bool,
    /// Print a JSON summary instead of text
    #[arg(long)]
    pub json: bool,
}

const SYSEX_HELP: &str = "\
FILE holds SysEx messages as raw bytes (a .syx file): each F0, data bytes (below 0x80), F7,
any number of them, of any size. A file that is not that is refused, naming the offset of
the first byte that breaks it, and nothing is sent. Each message goes out as SysEx7 packets
(UMP type 3, 6 data bytes each) on --group, --messages packets at a time with --pause
between, so that a receiver that keeps up loses nothing. A progress bar shows on a terminal.

Examples:
  midi endpoint send-sysex-file \"My Loopback (A)\" patch.syx
  midi endpoint send-sysex \"My Loopback (A)\" dump.syx --group 2 --pause 20 --messages 256";

#[derive(Debug, Args)]
pub struct SysexArgs {
    /// The endpoint to send on: its id or exact name (ignoring case)
    #[arg(value_name = "ENDPOINT", add = ArgValueCompleter::new(super::complete::complete_endpoint))]
    pub endpoint: String,
    /// The SysEx file (raw bytes: F0 … F7, one message after another)
    #[arg(value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub file: PathBuf,
    /// The group, 1 to 16
    #[arg(short = 'g', long, visible_alias = "group-index", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=16))]
    pub group: u8,
    /// Milliseconds between transfers
    #[arg(
        short = 'p',
        long,
        visible_alias = "delay",
        value_name = "MS",
        default_value_t = 500
    )]
    pub pause: u64,
    /// Packets (UMPs) per transfer
    #[arg(short = 'm', long, visible_alias = "message-transfer-count", value_name = "N", default_value_t = 64, value_parser = at_least_one)]
    pub messages: u64,
    /// Print a JSON summary instead of text
    #[arg(long)]
    pub json: bool,
}

const SEND_EXAMPLES: &str = "\
Words: 0x… is hex and 0b… binary whatever --word-format says; the word count must match the
message type in the top nibble of the first word (1, 2, 3 or 4 words).

Examples:
  midi endpoint send-message \"My Loopback (A)\" 0x20903C64
  midi endpoint send-message midiu_loop_a_abc12345 0x40903C00 0xC0000000
  midi endpoint send-message \"My Loopback (A)\" 0x20903C64 --count 10000 --pause 0 --increment
  midi endpoint send-message \"My Loopback (A)\" 0x20903C64 --offset-microseconds 500000";

const MONITOR_EXAMPLES: &str = "\
Stops on Esc, Ctrl-C, --count or --timeout, with a summary on stderr. On a terminal (or with
COLUMNS set) rows fit its width: a long field continues on the next line, in its column.

JSON lines (--json), one object per message:
  index        1, 2, 3, … in the order the messages arrived
  timestamp    nanoseconds on the monotonic clock (`midi time` shows it)
  words        the words as numbers; words_hex the same as \"0x20903C64\" strings
  mt           the message type, the top nibble of the first word (0 to 15)
  message_type the type's name; text the decoded data as the table shows it
  group        1 to 16, as the table shows it (the UMP field is 0 to 15); likewise channel
  …            the decoded fields of the message (note, velocity, controller, …)

Examples:
  midi endpoint monitor \"My Loopback (B)\"
  midi endpoint monitor midiu_loop_b_abc12345 --json --count 100
  midi endpoint monitor \"My Loopback (B)\" --capture-to-file session.txt --timeout 60";

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The endpoint to send on: its id or exact name (ignoring case)
    #[arg(value_name = "ENDPOINT", add = ArgValueCompleter::new(super::complete::complete_endpoint))]
    pub endpoint: String,
    /// The message: 1 to 4 32-bit words
    #[arg(value_name = "WORD", num_args = 0..=4)]
    pub words: Vec<String>,
    /// How words without 0x / 0b are read
    #[arg(short = 'w', long, value_enum, default_value_t = WordFormat::Hex)]
    pub word_format: WordFormat,
    /// How many times to send the message
    #[arg(short = 'c', long, default_value_t = 1, value_parser = at_least_one, value_name = "N")]
    pub count: u64,
    /// Milliseconds between repeats (0 = as fast as possible)
    #[arg(
        short = 'p',
        long,
        visible_alias = "delay",
        default_value_t = 2,
        value_name = "MS"
    )]
    pub pause: u64,
    /// Add 1 to the last word on each repeat
    #[arg(short = 'i', long)]
    pub increment: bool,
    /// Schedule each message this many microseconds in the future
    #[arg(short = 'o', long, value_name = "US", conflicts_with = "timestamp")]
    pub offset_microseconds: Option<u64>,
    /// Absolute timestamp (ns on the monotonic clock) for every message; 0 = now
    #[arg(short = 't', long, value_name = "T")]
    pub timestamp: Option<u64>,
    /// Print a JSON summary instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SendFileArgs {
    /// The endpoint to send on: its id or exact name (ignoring case)
    #[arg(value_name = "ENDPOINT", add = ArgValueCompleter::new(super::complete::complete_endpoint))]
    pub endpoint: String,
    /// The text file: one UMP per line, words separated by spaces, commas, | or tabs
    #[arg(value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub file: PathBuf,
    /// How words without 0x / 0b are read
    #[arg(short = 'w', long, value_enum, default_value_t = WordFormat::Hex)]
    pub word_format: WordFormat,
    /// Milliseconds between messages (0 = as fast as possible)
    #[arg(
        short = 'p',
        long,
        visible_alias = "delay",
        default_value_t = 0,
        value_name = "MS"
    )]
    pub pause: u64,
    /// Print a JSON summary instead of text
    #[arg(long)]
    pub json: bool,
}

const WATCH_HELP: &str = "\
Every pair that exists is reported first (`existing`, then `synced`), then each change:
created, updated (names, persistence, muted), removed, attached and detached (a client on an
endpoint), stopping. It starts the engine when none runs and runs until Ctrl-C (exit 0), the
timeout (exit 0), or the engine stops (exit 3).

JSON lines (--json), one object per event, `event` naming it:
  {\"event\":\"pair_existing\",\"pair\":PAIR}     a pair that existed when watching began
  {\"event\":\"synced\"}                        every existing pair reported
  {\"event\":\"pair_created\",\"pair\":PAIR}
  {\"event\":\"pair_updated\",\"pair\":PAIR,\"changed\":[\"names\"|\"persistence\"|\"muted\"]}
  {\"event\":\"pair_removed\",\"pair\":PAIR}
  {\"event\":\"client_attached\",\"endpoint\":ENDPOINT}   ENDPOINT.clients is the count now
  {\"event\":\"client_detached\",\"endpoint\":ENDPOINT}
  {\"event\":\"engine_stopping\"}
PAIR is the object `midi loopback list --json` prints for a pair; ENDPOINT one of
`midi endpoint list --json`.

Examples:
  midi watch-endpoints
  midi watch --json | jq -c 'select(.event == \"pair_created\") | .pair.endpoint_a.name'
  midi watch-ump --timeout 10";

const STOP_HELP: &str = "\
Transient pairs end with the engine; persistent ones stay in the configuration file and come
back at the next start. It says how many of each there were. On a terminal it asks first when
a transient pair that is about to end has clients attached (--yes does not ask).

An engine that does not answer (stopped, wedged) is not touched unless --force is given; then
it is ended by signal (it holds its lock, so its pid is known) and its transient pairs are lost.

Examples:
  midi service stop
  midi service stop --yes
  midi service stop --force";

const RESTART_HELP: &str = "\
Persistent pairs come back from the configuration file; transient ones end (it says how many,
and asks first on a terminal when one of them has clients attached, unless --yes).

Examples:
  midi service restart
  midi service restart --yes
  midi service restart --force    # also when the running engine does not answer";

#[derive(Debug, Args)]
pub struct StopArgs {
    /// End an engine that does not answer, by signal (its transient pairs are lost)
    #[arg(long)]
    pub force: bool,
    /// Do not ask, even when transient pairs that end have clients attached
    #[arg(short = 'y', long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// One JSON object per event per line
    #[arg(long)]
    pub json: bool,
    /// Stop after this many seconds (exit 0)
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// The endpoint to watch: its id or exact name (ignoring case); a picker asks when left out
    #[arg(value_name = "ENDPOINT", add = ArgValueCompleter::new(super::complete::complete_endpoint))]
    pub endpoint: Option<String>,
    /// Stop after the first message
    #[arg(short = 's', long)]
    pub single_message: bool,
    /// Stop after N messages
    #[arg(short = 'c', long, value_name = "N", value_parser = at_least_one)]
    pub count: Option<u64>,
    /// Stop after this many seconds
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// One JSON object per message per line
    #[arg(long)]
    pub json: bool,
    /// Show the words only, without decoding
    #[arg(long)]
    pub no_decode: bool,
    /// Also show timing clock and active sensing messages
    #[arg(short = 'r', long)]
    pub include_real_time_messages: bool,
    /// Also write every message to FILE (one line each, words in hex)
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub capture_to_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum LoopbackCommand {
    /// Create a loopback pair
    #[command(after_help = CREATE_EXAMPLES)]
    Create(CreateArgs),
    /// List every pair
    #[command(
        visible_alias = "ls",
        after_help = "Examples:\n  midi loopback list\n  midi loopback list --json | jq '.[].association_id'"
    )]
    List(JsonFlag),
    /// Remove a pair (and its stored entry, if it is persistent)
    #[command(
        visible_alias = "delete",
        after_help = "PAIR is the pair's association id, its root name, or either endpoint's name or id, \
ignoring case; a name two pairs answer to is refused with both listed (exit 2).\n\n\
Examples:\n  midi loopback remove \"My Loopback\"\n  midi loopback remove \"My Loopback (B)\"\n  midi loopback remove --association-id 7af38a08-0f4b-43ad-b218-1757496f0034\n  midi loopback remove -i {7AF38A08-0F4B-43AD-B218-1757496F0034}"
    )]
    Remove(PairRef),
    /// Rename, re-describe, or change the persistence of a pair in place
    #[command(
        after_help = "Examples:\n  midi loopback update \"My Loopback\" --root-name \"Studio\"\n  midi loopback update Studio --persistent\n  midi loopback update -i 7af38a08-0f4b-43ad-b218-1757496f0034 --name-b \"Synth In\""
    )]
    Update(UpdateArgs),
    /// Mute a pair: it drops every message (and counts them)
    #[command(
        after_help = "Examples:\n  midi loopback mute \"My Loopback\"\n  midi loopback mute -i 7af38a08-0f4b-43ad-b218-1757496f0034"
    )]
    Mute(PairRef),
    /// Unmute a pair
    #[command(
        after_help = "Examples:\n  midi loopback unmute \"My Loopback\"\n  midi loopback unmute -i 7af38a08-0f4b-43ad-b218-1757496f0034"
    )]
    Unmute(PairRef),
    /// A guided flow that creates a pair, explaining each step
    #[command(
        after_help = "Asks quick (one root name) or advanced (both names, the association id, the unique \
identifier, a description), whether to keep the pair across engine restarts, then shows a summary \
and the equivalent `midi loopback create` command to confirm. Every answer is checked with the \
same rules as `create` as you type (the verdict shows under the answer); one refused at Enter \
is explained and asked again. Esc or Ctrl-C cancels: nothing is created, nothing of the question \
stays on screen, and the exit code is 1. It needs a terminal; in scripts use `midi loopback \
create --root-name NAME`.\n\nExamples:\n  midi loopback wizard\n  midi loopback create           # with no names, on a terminal, the same"
    )]
    Wizard,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON for scripts instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Root name: the endpoints become "NAME (A)" and "NAME (B)"
    #[arg(short = 'r', long, value_name = "NAME", conflicts_with_all = ["name_a", "name_b"])]
    pub root_name: Option<String>,
    /// Name of endpoint A (needs --name-b)
    #[arg(short = 'a', long, value_name = "NAME", requires = "name_b")]
    pub name_a: Option<String>,
    /// Name of endpoint B (needs --name-a)
    #[arg(short = 'b', long, value_name = "NAME", requires = "name_a")]
    pub name_b: Option<String>,
    /// GUID that identifies the pair, with or without braces [default: a new random GUID]
    #[arg(short = 'i', long, value_name = "GUID", add = ArgValueCompleter::new(super::complete::complete_new_association_id))]
    pub association_id: Option<String>,
    /// Serial number of the pair; characters other than ASCII letters and digits are stripped
    /// [default: the association id's 32 hex digits]
    #[arg(short = 'u', long, value_name = "ID", allow_hyphen_values = true)]
    pub unique_identifier: Option<String>,
    /// Description of both endpoints (at most 500 characters)
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Also store the pair in the configuration file, so it survives engine restarts
    #[arg(long)]
    pub persistent: bool,
    /// Print the created pair as JSON
    #[arg(long)]
    pub json: bool,
}

/// Which pair a command is about: PAIR (any name it has) or `-i GUID`, one of the two.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct PairChoice {
    /// The pair: its association id, its root name, or either endpoint's name or id (ignoring
    /// case)
    #[arg(
        value_name = "PAIR",
        add = ArgValueCompleter::new(super::complete::complete_pair)
    )]
    pub pair: Option<String>,
    /// The pair's association id (a GUID, with or without braces)
    #[arg(short = 'i', long, value_name = "GUID", add = ArgValueCompleter::new(super::complete::complete_association_id))]
    pub association_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct PairRef {
    #[command(flatten)]
    pub which: PairChoice,
    /// Print the pair as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub which: PairChoice,
    /// New root name: the endpoints become "NAME (A)" and "NAME (B)"
    #[arg(short = 'r', long, value_name = "NAME", conflicts_with_all = ["name_a", "name_b"])]
    pub root_name: Option<String>,
    /// New name of endpoint A
    #[arg(short = 'a', long, value_name = "NAME")]
    pub name_a: Option<String>,
    /// New name of endpoint B
    #[arg(short = 'b', long, value_name = "NAME")]
    pub name_b: Option<String>,
    /// New description of both endpoints
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Store the pair in the configuration file
    #[arg(long, conflicts_with = "transient")]
    pub persistent: bool,
    /// Remove the pair's stored entry; it lasts until the engine stops
    #[arg(long)]
    pub transient: bool,
    /// Print the pair as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Run the engine in the foreground (logs to stderr and the log file)
    #[command(
        after_help = "Other commands start the engine in the background by themselves; run it in the \
foreground to watch its log, under a service manager, or in a container.\n\nWhere /dev/snd/seq opens, every endpoint is also an ALSA sequencer client or port that Linux MIDI \
applications (aconnect, DAWs, synths, PipeWire) can use; --no-alsa keeps them out.\n\nExamples:\n  midi service run\n  midi service run --no-alsa\n  MIDI_HOME=/tmp/midi-test midi service run"
    )]
    Run {
        /// Started by a client: log to the file only
        #[arg(long, hide = true)]
        background: bool,
        /// Do not present the endpoints to ALSA sequencer applications (also MIDI_NO_ALSA=1,
        /// or "alsaSequencer": false in the configuration file)
        #[arg(long)]
        no_alsa: bool,
    },
    /// Start the engine in the background (does nothing if it runs)
    #[command(after_help = "Example:\n  midi service start && midi service status")]
    Start,
    /// Stop the engine gracefully: transient pairs end, persistent ones stay stored
    #[command(after_help = STOP_HELP)]
    Stop(StopArgs),
    /// Stop the engine, then start it again
    #[command(after_help = RESTART_HELP)]
    Restart(StopArgs),
    /// Show whether the engine runs, and its pairs, clients and traffic
    #[command(
        after_help = "Exit status is 3 when no engine is running.\n\nExamples:\n  midi service status\n  midi service status --json | jq .pid"
    )]
    Status(JsonFlag),
    /// Measure control round trips to the engine
    #[command(after_help = "Example:\n  midi service ping --count 100")]
    Ping {
        /// How many round trips
        #[arg(short = 'c', long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1_000_000), value_name = "N")]
        count: u32,
        /// Print the figures as JSON
        #[arg(long)]
        json: bool,
    },
}
