//! `midi service …`: start, stop, restart, status and ping the engine. (`midi service run` is
//! the engine itself: the dispatch in `app` hands it to the engine, not to this face.)

use super::args::{ServiceCommand, StopArgs};
use super::measure::summarize;
use crate::client::{Client, ClientError};
use crate::core::ErrorKind;
use crate::core::model::PairInfo;
use crate::core::paths::{Paths, engine_pid};
use crate::core::protocol::{AlsaState, AlsaStatus};
use crate::face::output::{self, errln, key_values, outln, print_json};
use crate::face::{Context, UserError};
use std::io::IsTerminal;

/// Every `midi service` command but `run`, which the dispatch hands to the engine itself.
pub fn run(ctx: &Context, cmd: ServiceCommand) -> anyhow::Result<i32> {
    let s = ctx.style;
    match cmd {
        ServiceCommand::Run { .. } => unreachable!("handled before a client context exists"),
        ServiceCommand::Start => {
            if let Some(c) = Client::connect_running(&ctx.options)? {
                outln!("The engine is already running (pid {}).", c.engine_pid())?;
                return Ok(0);
            }
            let c = start(ctx)?;
            outln!("{} (pid {}).", s.ok("Engine started"), c.engine_pid())?;
            Ok(0)
        }
        ServiceCommand::Stop(args) => {
            match stop(ctx, &args, "Stop")? {
                Stopped::NotRunning => outln!("No engine is running.")?,
                Stopped::Politely(pid, ending) => outln!(
                    "{} (pid {pid}). {}",
                    s.ok("Engine stopped"),
                    ending.sentence(None)
                )?,
                Stopped::Forced(pid) => outln!("{}", forced_message(ctx, pid))?,
                Stopped::Declined => return Ok(declined()),
            }
            Ok(0)
        }
        ServiceCommand::Restart(args) => {
            let ending = match stop(ctx, &args, "Restart")? {
                Stopped::Forced(pid) => {
                    outln!("{}", forced_message(ctx, pid))?;
                    None
                }
                Stopped::Declined => return Ok(declined()),
                Stopped::Politely(_, ending) => Some(ending),
                Stopped::NotRunning => None,
            };
            let mut c = start(ctx)?;
            let back = c.list_pairs()?.iter().filter(|p| p.persistent).count();
            let told = ending.map(|e| format!(" {}", e.sentence(Some(back))));
            outln!(
                "{} (pid {}).{}",
                s.ok("Engine restarted"),
                c.engine_pid(),
                told.unwrap_or_default()
            )?;
            Ok(0)
        }
        ServiceCommand::Status(flag) => status(ctx, flag.json),
        ServiceCommand::Ping { count, json } => ping(ctx, count, json),
    }
}

enum Stopped {
    NotRunning,
    Politely(u32, Ending),
    Forced(u32),
    /// Asked on a terminal, the user said no: nothing was stopped.
    Declined,
}

/// What stopping the engine ends and keeps, read from it just before it is asked to stop.
#[derive(Debug, Default, PartialEq, Eq)]
struct Ending {
    transient: usize,
    persistent: usize,
    /// Transient pairs with clients attached, as `Studio (A) / Studio (B): 2 clients`.
    in_use: Vec<String>,
}

impl Ending {
    fn of(pairs: &[PairInfo]) -> Ending {
        let mut ending = Ending::default();
        for p in pairs {
            if p.persistent {
                ending.persistent += 1;
                continue;
            }
            ending.transient += 1;
            let clients = p.endpoint_a.clients + p.endpoint_b.clients;
            if clients > 0 {
                ending.in_use.push(format!(
                    "{} / {}: {}",
                    p.endpoint_a.name,
                    p.endpoint_b.name,
                    output::count(clients as u64, "client", "clients")
                ));
            }
        }
        ending
    }

    /// `2 transient pairs ended; 1 persistent pair is kept …` after a stop; after a restart,
    /// `came_back` is how many persistent pairs the new engine loaded.
    fn sentence(&self, came_back: Option<usize>) -> String {
        if self.transient == 0 && self.persistent == 0 {
            return "It had no pairs.".into();
        }
        let ended = match self.transient {
            0 => "No transient pair ended".to_string(),
            n => format!(
                "{} ended",
                output::count(n as u64, "transient pair", "transient pairs")
            ),
        };
        let kept = match (self.persistent, came_back) {
            (0, None | Some(0)) => String::new(),
            (1, None) => "; 1 persistent pair is kept and comes back at the next start".into(),
            (n, None) => format!("; {n} persistent pairs are kept and come back at the next start"),
            (_, Some(1)) => "; 1 persistent pair came back from the configuration file".into(),
            (_, Some(n)) => format!("; {n} persistent pairs came back from the configuration file"),
        };
        format!("{ended}{kept}.")
    }
}

fn declined() -> i32 {
    errln!("Nothing stopped: the engine still runs.");
    1
}

/// On a terminal, asks before transient pairs with clients attached end; `true` to go on.
fn confirm_ending(ending: &Ending, verb: &str) -> anyhow::Result<bool> {
    errln!(
        "{} with the engine, and clients are attached to these:",
        output::count(
            ending.transient as u64,
            "transient pair ends",
            "transient pairs end"
        )
    );
    for line in &ending.in_use {
        errln!("  {line}");
    }
    let answer = dialoguer::Confirm::new()
        .with_prompt(format!("{verb} the engine anyway?"))
        .default(false)
        .interact_opt()?;
    Ok(answer == Some(true))
}

fn forced_message(ctx: &Context, pid: u32) -> String {
    format!(
        "{} (pid {pid}) by force: it did not answer. Its transient pairs are lost; persistent ones come back at the next start.",
        ctx.style.warn("Engine ended")
    )
}

/// Asks the engine to stop (after asking the user, when that loses attached clients); with
/// `--force`, ends one that does not answer by signal.
fn stop(ctx: &Context, args: &StopArgs, verb: &str) -> anyhow::Result<Stopped> {
    let no_answer = |e: &anyhow::Error| {
        matches!(
            e.downcast_ref::<ClientError>(),
            Some(ClientError::NoAnswer { .. })
        )
    };
    match ask_to_stop(ctx, args.yes, verb) {
        Err(e) if args.force && no_answer(&e) => {
            let paths = &ctx.options.paths;
            let pid = engine_pid(&paths.engine_lock).ok_or_else(|| {
                UserError::new(
                    ErrorKind::Failed,
                    format!(
                        "the engine did not answer and no engine holds {}; nothing to end",
                        paths.engine_lock.display()
                    ),
                )
            })?;
            kill_engine(paths, pid)?;
            Ok(Stopped::Forced(pid))
        }
        other => other,
    }
}

fn ask_to_stop(ctx: &Context, yes: bool, verb: &str) -> anyhow::Result<Stopped> {
    let Some(mut client) = Client::connect_running(&ctx.options)? else {
        return Ok(Stopped::NotRunning);
    };
    let pid = client.engine_pid();
    let ending = Ending::of(&client.list_pairs()?);
    let on_terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !yes && on_terminal && !ending.in_use.is_empty() && !confirm_ending(&ending, verb)? {
        return Ok(Stopped::Declined);
    }
    client.shutdown()?;
    Ok(Stopped::Politely(pid, ending))
}

/// Ends the engine `pid` by SIGKILL (a stopped process ignores anything gentler) and waits,
/// bounded, until its lock is free.
fn kill_engine(paths: &Paths, pid: u32) -> anyhow::Result<()> {
    // SAFETY: kill has no memory effects; the pid is the one the lock holder wrote.
    if unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(UserError::new(
            ErrorKind::Failed,
            format!("cannot end the engine (pid {pid}): {e}"),
        )
        .into());
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while engine_pid(&paths.engine_lock) == Some(pid) {
        if std::time::Instant::now() > deadline {
            return Err(UserError::new(
                ErrorKind::Failed,
                format!("the engine (pid {pid}) was signalled but still holds its lock"),
            )
            .into());
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Ok(())
}

fn start(ctx: &Context) -> anyhow::Result<Client> {
    let mut options = ctx.options.clone();
    options.autostart = true; // an explicit start is not an autostart
    Ok(Client::connect(&options)?)
}

fn status(ctx: &Context, json: bool) -> anyhow::Result<i32> {
    let s = ctx.style;
    let paths = &ctx.options.paths;
    let Some(mut client) = Client::connect_running(&ctx.options)? else {
        if json {
            print_json(&serde_json::json!({
                "running": false,
                "pid": null,
                "version": null,
                "uptime_s": null,
                "socket": paths.socket,
                "config": paths.config_file,
                "pairs": null,
                "clients": null,
            }))?;
        } else {
            outln!("{}", s.warn("The engine is not running."))?;
            output::out(&key_values(
                s,
                &[
                    ("Socket", paths.socket.display().to_string()),
                    ("Config", paths.config_file.display().to_string()),
                ],
            ))?;
            outln!("Start it with: midi service start (any command that needs it starts it too)")?;
        }
        return Ok(ErrorKind::Unreachable.exit_code());
    };
    let st = client.status()?;
    // An engine older than the network sessions does not know the request: nothing to show.
    let network = client.network_list().ok();
    if json {
        let mut value = serde_json::to_value(&st)?;
        if let Some(n) = &network {
            value["network"] = serde_json::to_value(n)?;
        }
        print_json(&value)?;
        return Ok(0);
    }
    outln!("{}", s.ok("The engine is running."))?;
    let mut rows = vec![
        ("Pid", st.pid.to_string()),
        (
            "Version",
            format!("{} (protocol {})", st.version, st.protocol),
        ),
        ("Uptime", output::duration(st.uptime_s)),
        ("Socket", st.socket.display().to_string()),
        ("Config", st.config.display().to_string()),
        ("Log", st.log.display().to_string()),
        (
            "Pairs",
            format!(
                "{} ({} persistent, {} transient)",
                st.pairs.total, st.pairs.persistent, st.pairs.transient
            ),
        ),
        ("Clients", st.clients.to_string()),
        (
            "Traffic",
            format!(
                "{} messages, {} words, {} msg/s now",
                st.traffic.messages, st.traffic.words, st.traffic.rate_msgs_per_s
            ),
        ),
        (
            "Dropped",
            format!(
                "{} overflow, {} muted, {} refused batches",
                st.traffic.dropped_overflow, st.traffic.dropped_muted, st.traffic.refused
            ),
        ),
    ];
    if let Some(alsa) = &st.alsa {
        rows.push(("ALSA sequencer", alsa_line(alsa)));
        for (label, counts) in [
            ("ALSA not sent", &alsa.not_translated),
            ("ALSA dropped", &alsa.dropped_input),
        ] {
            if !counts.is_empty() {
                let text: Vec<String> =
                    counts.iter().map(|(why, n)| format!("{n} {why}")).collect();
                rows.push((label, text.join(", ")));
            }
        }
    }
    output::out(&key_values(s, &rows))?;
    if let Some(line) = network.as_ref().and_then(super::network::summary) {
        output::out(&key_values(s, &[("Network", line)]))?;
    }
    for w in &st.warnings {
        outln!("{} {w}", s.warn("Warning:"))?;
    }
    for missing in st.alsa.iter().flat_map(|a| &a.missing) {
        outln!("{} no ALSA presence for {missing}", s.warn("Warning:"))?;
    }
    Ok(0)
}

/// What `service status` says of the ALSA bridge: its state, and how many sequencer clients
/// it holds of the kernel's 64.
fn alsa_line(alsa: &AlsaStatus) -> String {
    match alsa.state {
        AlsaState::Ump | AlsaState::Midi1 => format!(
            "{} ({} of the kernel's 64 client{})",
            alsa.summary,
            alsa.clients,
            if alsa.clients == 1 { "" } else { "s" }
        ),
        AlsaState::Off if !alsa.detail.is_empty() => format!("off ({})", alsa.detail),
        AlsaState::Off | AlsaState::Unavailable => alsa.summary.clone(),
    }
}

fn ping(ctx: &Context, count: u32, json: bool) -> anyhow::Result<i32> {
    let mut client = ctx.client()?;
    let mut samples = Vec::with_capacity(count as usize);
    for i in 1..=count {
        let rtt = client.ping()?;
        samples.push(rtt.as_nanos() as u64);
        if !json && count <= 100 {
            outln!("ping {i:>3}: {:>8.1} µs", rtt.as_nanos() as f64 / 1000.0)?;
        }
    }
    let sum = summarize(&mut samples);
    if json {
        print_json(&sum)?;
        return Ok(0);
    }
    outln!(
        "{} round trips: min {:.1} µs, median {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        sum.count,
        sum.min_us,
        sum.p50_us,
        sum.p99_us,
        sum.max_us
    )?;
    if sum.count == 0 {
        return Err(UserError::new(ErrorKind::Failed, "no round trips measured").into());
    }
    Ok(0)
}
