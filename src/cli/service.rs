//! `midi service …`: start, stop, restart, status and ping the engine. (`midi service run` is
//! the engine itself: the dispatch in `app` hands it to the engine, not to this face.)

use super::args::ServiceCommand;
use super::measure::summarize;
use crate::client::{Client, ClientError};
use crate::core::ErrorKind;
use crate::core::paths::{Paths, engine_pid};
use crate::face::output::{self, key_values, outln, print_json};
use crate::face::{Context, UserError};

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
            match stop(ctx, args.force)? {
                Stopped::NotRunning => outln!("No engine is running.")?,
                Stopped::Politely(pid) => outln!("{} (pid {pid}).", s.ok("Engine stopped"))?,
                Stopped::Forced(pid) => outln!("{}", forced_message(ctx, pid))?,
            }
            Ok(0)
        }
        ServiceCommand::Restart(args) => {
            if let Stopped::Forced(pid) = stop(ctx, args.force)? {
                outln!("{}", forced_message(ctx, pid))?;
            }
            let c = start(ctx)?;
            outln!("{} (pid {}).", s.ok("Engine restarted"), c.engine_pid())?;
            Ok(0)
        }
        ServiceCommand::Status(flag) => status(ctx, flag.json),
        ServiceCommand::Ping { count, json } => ping(ctx, count, json),
    }
}

enum Stopped {
    NotRunning,
    Politely(u32),
    Forced(u32),
}

fn forced_message(ctx: &Context, pid: u32) -> String {
    format!(
        "{} (pid {pid}) by force: it did not answer. Its transient pairs are lost; persistent ones come back at the next start.",
        ctx.style.warn("Engine ended")
    )
}

/// Asks the engine to stop; with `force`, ends one that does not answer by signal.
fn stop(ctx: &Context, force: bool) -> anyhow::Result<Stopped> {
    let asked = Client::connect_running(&ctx.options).and_then(|c| match c {
        None => Ok(Stopped::NotRunning),
        Some(c) => {
            let pid = c.engine_pid();
            c.shutdown().map(|()| Stopped::Politely(pid))
        }
    });
    match asked {
        Err(ClientError::NoAnswer { .. }) if force => {
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
        other => Ok(other?),
    }
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
    if json {
        print_json(&st)?;
        return Ok(0);
    }
    outln!("{}", s.ok("The engine is running."))?;
    output::out(&key_values(
        s,
        &[
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
        ],
    ))?;
    for w in &st.warnings {
        outln!("{} {w}", s.warn("Warning:"))?;
    }
    Ok(0)
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
