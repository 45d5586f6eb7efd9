//! `midi network host | connect | list | stop`: Network MIDI 2.0 sessions, which the engine
//! runs. The clap definitions of the group live here beside the commands, so the whole
//! transport is one file on this side too.

use crate::core::ErrorKind;
use crate::core::network::{
    ClientInfo, ClientState, ConnectSpec, DEFAULT_PORT, HostInfo, HostSpec, LocalTarget, Secret,
    Sessions, UserLogin,
};
use crate::face::output::{self, Fit, Table, errln, outln, print_json};
use crate::face::{Context, UserError};
use clap::{Args, Subcommand};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The environment variable a secret may come from instead of a file.
const SECRET_VARIABLE: &str = "MIDI_NETWORK_SECRET";

const HOST_HELP: &str = "\
Publishes ENDPOINT as a Network MIDI 2.0 host (UMP over UDP). A remote client that connects
takes the place of an application on ENDPOINT: what it sends goes out on ENDPOINT (and
arrives at the other side of the pair), and what arrives at ENDPOINT goes to it. Several
clients may connect at once; each counts as a client of the endpoint.

The engine keeps the host running after this command returns. It listens on 127.0.0.1
unless --bind says otherwise; a wider address is reachable from other machines, so give
those authentication: a shared secret (--secret-file, or the MIDI_NETWORK_SECRET
environment variable) or a user (--user NAME --password-file FILE). Secrets and passwords
never come from the command line, and are never printed or logged.

--bind takes an IPv4 or IPv6 address (::1 for this machine alone over IPv6, :: for every
interface in both families). Unless --no-advertise, the host announces itself over mDNS
on the interface of that address and in its family only.

Examples:
  midi network host \"Stage (A)\"
  midi network host \"Stage (A)\" --port 0 --json        # a free port, printed
  midi network host \"Stage (A)\" --bind 0.0.0.0 --secret-file ~/.config/midi/stage.secret
  midi network host \"Stage (A)\" --bind ::1 --port 0    # IPv6, this machine alone
  midi network host \"Stage (A)\" --user ada --password-file ~/.config/midi/ada.password
  midi network host \"Stage (A)\" --port 5673 --persistent   # started again with the engine";

const CONNECT_HELP: &str = "\
Joins a remote Network MIDI 2.0 host and makes it reachable through a local endpoint. The
session takes the place of an application on --endpoint ENDPOINT; with --root-name NAME it
creates the pair NAME (A) / NAME (B) and takes NAME (A), so local applications use NAME (B).
With neither, the pair is named after the remote endpoint. Returns once the session is up;
the engine keeps it. With --retry, a session that cannot start or that ends is tried again
until `midi network stop`.

Exit status: 3 when no host answers, 1 when the host refuses or authentication fails.

Examples:
  midi network connect 192.168.1.20 --root-name \"Stage Link\"
  midi network connect 127.0.0.1:5673 --endpoint \"My Loopback (A)\" --json
  midi network connect [::1]:5673 --root-name Stage     # IPv6: the address in brackets
  midi network connect stage.local:5673 --root-name Stage --retry --secret-file stage.secret
  midi network connect 192.168.1.20 --root-name Stage --persistent  # kept in the config file";

const DISCOVER_HELP: &str = "\
Asks over multicast DNS, IPv4 and IPv6, which Network MIDI 2.0 hosts (`_midi2._udp`) there
are, and lists the endpoint name each announces with its address (an IPv6 link-local one
with its interface, as in [fe80::1%2]:5673). --interface ADDR asks on the interface that has
that address and in its family alone (127.0.0.1 or ::1 for this machine alone). Hosts
started with `midi network host` announce themselves on the interface of the address they
are bound to, in its family, unless --no-advertise.

Examples:
  midi network discover
  midi network discover --interface 127.0.0.1 --json
  midi network discover --interface ::1
  midi network connect --discover \"Stage (A)\" --root-name Stage";

#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Publish an endpoint as a Network MIDI 2.0 host
    #[command(after_help = HOST_HELP)]
    Host(HostArgs),
    /// Join a remote Network MIDI 2.0 host through a local endpoint
    #[command(after_help = CONNECT_HELP)]
    Connect(ConnectArgs),
    /// The hosts and client sessions the engine runs
    #[command(
        visible_alias = "ls",
        after_help = "Examples:\n  midi network list\n  midi network list --json"
    )]
    List(ListArgs),
    /// Find the Network MIDI 2.0 hosts on the network (mDNS)
    #[command(after_help = DISCOVER_HELP)]
    Discover(DiscoverArgs),
    /// End the host or client sessions on an endpoint, or the sessions to a host
    #[command(
        after_help = "Examples:\n  midi network stop \"Stage (A)\"\n  midi network stop 192.168.1.20:5673"
    )]
    Stop(StopArgs),
}

#[derive(Debug, Args)]
pub struct HostArgs {
    /// The endpoint remote clients send out on: its id or exact name (ignoring case)
    #[arg(value_name = "ENDPOINT")]
    pub endpoint: String,
    /// The UDP port to listen on (0 picks a free one)
    #[arg(long, default_value_t = DEFAULT_PORT, value_name = "N")]
    pub port: u16,
    /// The local address to listen on, IPv4 or IPv6; wider than loopback is reachable from
    /// other machines
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST), value_name = "ADDR", value_parser = bind_address)]
    pub bind: IpAddr,
    /// The endpoint name the host announces (the endpoint's own name by default)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// A file holding the shared secret clients must know (its first line)
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, conflicts_with = "user")]
    pub secret_file: Option<PathBuf>,
    #[command(flatten)]
    pub login: LoginArgs,
    /// Do not advertise the host over mDNS
    #[arg(long)]
    pub no_advertise: bool,
    /// Keep the host in the configuration file: the engine starts it again when it starts
    #[arg(long)]
    pub persistent: bool,
    /// Print what was set up as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The host: an address or name, with :PORT unless it is the default port; an IPv6
    /// address with a port in brackets ([::1]:5673)
    #[arg(value_name = "HOST[:PORT]", required_unless_present = "discover")]
    pub host: Option<String>,
    /// Find the host over mDNS by the endpoint name it announces (ignoring case)
    #[arg(long, value_name = "NAME", conflicts_with = "host")]
    pub discover: Option<String>,
    /// With --discover: ask on the interface that has this address, in its family
    #[arg(long, value_name = "ADDR", requires = "discover", value_parser = interface_address)]
    pub interface: Option<IpAddr>,
    /// The local endpoint the session takes (id or exact name)
    #[arg(long, value_name = "ENDPOINT", conflicts_with = "root_name")]
    pub endpoint: Option<String>,
    /// Create the pair NAME (A) / NAME (B) and take NAME (A)
    #[arg(short = 'r', long, value_name = "NAME")]
    pub root_name: Option<String>,
    /// Keep trying when the host cannot be reached or the session ends
    #[arg(long)]
    pub retry: bool,
    /// Keep the session in the configuration file: the engine starts it again (and keeps
    /// trying) when it starts
    #[arg(long)]
    pub persistent: bool,
    /// A file holding the shared secret the host asks for (its first line)
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub secret_file: Option<PathBuf>,
    #[command(flatten)]
    pub login: LoginArgs,
    /// Print what was set up as JSON
    #[arg(long)]
    pub json: bool,
}

/// User authentication: a name, and a file holding the password.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Log in (or, for a host, let clients log in) as this user
    #[arg(long, value_name = "NAME", requires = "password_file")]
    pub user: Option<String>,
    /// A file holding the user's password (its first line)
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, requires = "user")]
    pub password_file: Option<PathBuf>,
}

impl LoginArgs {
    fn login(&self) -> anyhow::Result<Option<UserLogin>> {
        let (Some(user), Some(file)) = (&self.user, &self.password_file) else {
            return Ok(None);
        };
        if user.trim().is_empty() {
            return Err(UserError::new(ErrorKind::Invalid, "the user name is empty")
                .hint("give --user NAME")
                .into());
        }
        let password = read_line_from(file, "password")?;
        Ok(Some(UserLogin {
            user: user.clone(),
            password,
        }))
    }
}

#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// Ask on the interface that has this address, in its family (both families, where
    /// the system lets them, by default)
    #[arg(long, value_name = "ADDR", value_parser = interface_address)]
    pub interface: Option<IpAddr>,
    /// How long to wait for answers
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    pub wait: f64,
    /// Print JSON for scripts instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON for scripts instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// An endpoint (id or name) that is hosted or has a session, or a host's ADDRESS[:PORT]
    #[arg(value_name = "ENDPOINT|HOST")]
    pub target: String,
    /// Print what was stopped as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, cmd: NetworkCommand) -> anyhow::Result<i32> {
    match cmd {
        NetworkCommand::Host(args) => host(ctx, args),
        NetworkCommand::Connect(args) => connect(ctx, args),
        NetworkCommand::List(args) => list(ctx, args.json),
        NetworkCommand::Discover(args) => discover(ctx, args),
        NetworkCommand::Stop(args) => stop(ctx, args),
    }
}

/// The secret from a file (its first line) or the environment; `None` when neither is given.
fn read_secret(file: Option<&Path>) -> anyhow::Result<Option<Secret>> {
    if let Some(path) = file {
        return Ok(Some(read_line_from(path, "secret")?));
    }
    match std::env::var(SECRET_VARIABLE) {
        Ok(v) if !v.is_empty() => first_line(&v, SECRET_VARIABLE, "secret").map(Some),
        _ => Ok(None),
    }
}

/// The first line of a file holding a secret or password (`what`).
fn read_line_from(path: &Path, what: &str) -> anyhow::Result<Secret> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        UserError::new(
            ErrorKind::Invalid,
            format!("cannot read the {what} file {}: {e}", path.display()),
        )
        .hint(format!(
            "give a readable file whose first line is the {what}"
        ))
    })?;
    first_line(&text, &format!("the {what} file {}", path.display()), what)
}

fn first_line(text: &str, source: &str, what: &str) -> anyhow::Result<Secret> {
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        return Err(UserError::new(
            ErrorKind::Invalid,
            format!("{source} holds no {what}: its first line is empty"),
        )
        .hint(format!("write the {what} on the first line"))
        .into());
    }
    Ok(Secret(line.to_string()))
}

fn host(ctx: &Context, args: HostArgs) -> anyhow::Result<i32> {
    let user = args.login.login()?;
    let secret = match user {
        Some(_) => None,
        None => read_secret(args.secret_file.as_deref())?,
    };
    if !args.bind.is_loopback() {
        errln!(
            "{} listening on {} makes {:?} reachable from other machines{}",
            ctx.style.warn("warning:"),
            args.bind,
            args.endpoint,
            if secret.is_some() || user.is_some() {
                " (with authentication)"
            } else {
                "; without --secret-file or --user anyone who reaches the port can send on it"
            }
        );
    }
    let sessions = ctx.client()?.network_host(HostSpec {
        endpoint: args.endpoint,
        port: args.port,
        bind: args.bind,
        name: args.name,
        secret,
        advertise: !args.no_advertise,
        user,
        persistent: args.persistent,
        secret_file: absolute(args.secret_file.as_deref())?,
        password_file: absolute(args.login.password_file.as_deref())?,
    })?;
    let Some(h) = sessions.hosts.first() else {
        anyhow::bail!("the engine answered without the host it set up");
    };
    if args.json {
        print_json(h)?;
        return Ok(0);
    }
    outln!(
        "{} {:?} as {:?} on {} ({}).{}",
        ctx.style.ok("Hosting"),
        h.endpoint,
        h.name,
        h.listen,
        if h.authentication {
            "authentication required"
        } else {
            "open to any client that reaches it"
        },
        if h.persistent {
            " Kept in the configuration file."
        } else {
            ""
        }
    )?;
    Ok(0)
}

/// A secret or password file as the engine will find it again (it may start elsewhere).
fn absolute(file: Option<&Path>) -> anyhow::Result<Option<PathBuf>> {
    file.map(|f| {
        std::path::absolute(f).map_err(|e| {
            UserError::new(
                ErrorKind::Invalid,
                format!("cannot make {} an absolute path: {e}", f.display()),
            )
            .into()
        })
    })
    .transpose()
}

/// How a host is written, for the hints of the errors about one.
const HOST_FORMS: &str = "give HOST or HOST:PORT (192.168.1.20:5673, stage.local:5673);\n      \
IPv6 in brackets before a port ([::1]:5673, [fe80::1%eth0]:5673)";

fn invalid_host(what: String) -> anyhow::Error {
    UserError::new(ErrorKind::Invalid, what)
        .hint(HOST_FORMS)
        .into()
}

/// `HOST`, `HOST:PORT`, `[V6]:PORT`, `[V6]` or a bare IPv6 address (a link-local one may
/// name its interface, `fe80::1%eth0`), resolved to one address.
fn resolve(text: &str) -> anyhow::Result<SocketAddr> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        if addr.port() == 0 {
            return Err(invalid_host(format!(
                "port 0 in {text:?} is no port a host listens on"
            )));
        }
        return Ok(addr);
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, DEFAULT_PORT));
    }
    if let Some(rest) = text.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return Err(invalid_host(format!(
                "{text:?} opens a bracket it does not close"
            )));
        };
        let port = match (after, after.strip_prefix(':')) {
            ("", _) => DEFAULT_PORT,
            (_, Some(port)) => port_number(port, text)?,
            (_, None) => {
                return Err(invalid_host(format!(
                    "{after:?} follows the address in {text:?}, where only :PORT may"
                )));
            }
        };
        return ipv6_literal(inside, port, text);
    }
    if text.contains(']') {
        return Err(invalid_host(format!(
            "{text:?} closes a bracket it does not open"
        )));
    }
    // Two colons or more: an IPv6 address without brackets, so without a port.
    if text.matches(':').count() > 1 {
        return ipv6_literal(text, DEFAULT_PORT, text);
    }
    let (name, port) = match text.rsplit_once(':') {
        Some((name, port)) => (name, port_number(port, text)?),
        None => (text, DEFAULT_PORT),
    };
    let found = (name, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next());
    found.ok_or_else(|| {
        UserError::new(
            ErrorKind::Unreachable,
            format!("cannot find the host {name:?}: the name does not resolve"),
        )
        .hint("give an IP address, or a name this machine can resolve")
        .into()
    })
}

fn port_number(port: &str, text: &str) -> anyhow::Result<u16> {
    port.parse::<u16>().ok().filter(|&p| p != 0).ok_or_else(|| {
        UserError::new(
            ErrorKind::Invalid,
            format!("{port:?} in {text:?} is not a port number from 1 to 65535"),
        )
        .hint(HOST_FORMS)
        .into()
    })
}

/// An IPv6 address as written inside brackets (or bare), with an interface after `%`
/// (a name or an index) for a link-local one.
fn ipv6_literal(inside: &str, port: u16, text: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(ip) = inside.parse::<Ipv6Addr>() {
        return Ok(SocketAddr::new(ip.into(), port));
    }
    if let Some((ip, interface)) = inside.split_once('%')
        && ip.parse::<Ipv6Addr>().is_ok()
    {
        // The system knows the interface names.
        return (inside, port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| {
                invalid_host(format!(
                    "{interface:?} in {text:?} is not an interface of this machine"
                ))
            });
    }
    Err(invalid_host(format!(
        "{inside:?} in {text:?} is not an IPv6 address"
    )))
}

/// `--bind ADDR`: an IPv4 or IPv6 address alone (brackets allowed).
fn bind_address(text: &str) -> Result<IpAddr, String> {
    let right = "give an IP address alone: 127.0.0.1, ::1, 0.0.0.0 or :: (the port goes in --port)";
    let ip = ip_alone(text).map_err(|why| format!("{why}; {right}"))?;
    if let IpAddr::V6(v6) = ip
        && v6.is_unicast_link_local()
    {
        return Err(format!(
            "--bind cannot take a link-local address ({v6}); use :: (every interface) or a global or unique local address"
        ));
    }
    Ok(ip)
}

/// `--interface ADDR`: an address of this machine, IPv4 or IPv6 (brackets allowed).
fn interface_address(text: &str) -> Result<IpAddr, String> {
    ip_alone(text)
        .map_err(|why| format!("{why}; give an address of this machine, such as 127.0.0.1 or ::1"))
}

fn ip_alone(text: &str) -> Result<IpAddr, String> {
    let bare = text.trim();
    let inner = bare
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(bare);
    if let Ok(ip) = inner.parse::<IpAddr>() {
        return Ok(ip);
    }
    Err(if bare.parse::<SocketAddr>().is_ok() {
        "an address with a port is not an address alone".to_string()
    } else if inner.contains('%') {
        "an interface (%NAME) cannot be given here".to_string()
    } else {
        "not an IPv4 or IPv6 address (names are not looked up here)".to_string()
    })
}

/// How long `connect --discover` waits for answers.
const DISCOVER_WAIT: Duration = Duration::from_secs(1);

fn discover(ctx: &Context, args: DiscoverArgs) -> anyhow::Result<i32> {
    if !(args.wait.is_finite() && (0.0..=8.0).contains(&args.wait)) {
        return Err(UserError::new(
            ErrorKind::Invalid,
            format!(
                "--wait {} is not a number of seconds from 0 to 8",
                args.wait
            ),
        )
        .into());
    }
    let hosts = ctx
        .client()?
        .network_discover(args.interface, Duration::from_secs_f64(args.wait))?;
    if args.json {
        print_json(&hosts)?;
        return Ok(0);
    }
    if hosts.is_empty() {
        outln!("No Network MIDI 2.0 host answered.")?;
        return Ok(0);
    }
    let mut t =
        Table::new(&["NAME", "ADDRESS", "PRODUCT INSTANCE ID"]).fit(0, Fit::Middle { min: 10 }, 1);
    for h in &hosts {
        t.row(vec![
            h.name.clone(),
            h.address.to_string(),
            h.product_instance_id.clone(),
        ]);
    }
    output::out(&t.render(ctx.style, output::terminal_width()))?;
    Ok(0)
}

/// The address of the host that announces `name` (exit 3 when none does).
fn discovered(ctx: &Context, name: &str, interface: Option<IpAddr>) -> anyhow::Result<SocketAddr> {
    let hosts = ctx.client()?.network_discover(interface, DISCOVER_WAIT)?;
    match hosts
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name.trim()))
    {
        Some(h) => Ok(h.address),
        None => {
            let names: Vec<String> = hosts.iter().map(|h| format!("{:?}", h.name)).collect();
            let hint = if names.is_empty() {
                "no host answered at all; `midi network discover` lists what answers".to_string()
            } else {
                format!("these answered: {}", names.join(", "))
            };
            Err(UserError::new(
                ErrorKind::Unreachable,
                format!("no Network MIDI host announces the name {name:?}"),
            )
            .hint(hint)
            .into())
        }
    }
}

fn connect(ctx: &Context, args: ConnectArgs) -> anyhow::Result<i32> {
    let host = match (&args.host, &args.discover) {
        (Some(host), _) => resolve(host)?,
        (None, Some(name)) => discovered(ctx, name, args.interface)?,
        (None, None) => unreachable!("clap requires HOST or --discover"),
    };
    let secret = read_secret(args.secret_file.as_deref())?;
    let user = args.login.login()?;
    let target = match (args.endpoint, args.root_name) {
        (Some(e), _) => LocalTarget::Endpoint(e),
        (None, Some(root)) => LocalTarget::RootName(root),
        (None, None) => LocalTarget::RemoteName,
    };
    let sessions = ctx.client()?.network_connect(ConnectSpec {
        host,
        target,
        retry: args.retry,
        secret,
        user,
        persistent: args.persistent,
        secret_file: absolute(args.secret_file.as_deref())?,
        password_file: absolute(args.login.password_file.as_deref())?,
    })?;
    let Some(c) = sessions.clients.first() else {
        anyhow::bail!("the engine answered without the session it set up");
    };
    if args.json {
        print_json(c)?;
        return Ok(0);
    }
    match c.state {
        ClientState::Up => outln!(
            "{} to {} ({}) through {:?}.",
            ctx.style.ok("Connected"),
            c.host,
            c.remote_name.as_deref().unwrap_or("?"),
            c.endpoint
        )?,
        ClientState::Connecting => outln!(
            "Not connected yet ({}); the engine keeps trying {} in the background.",
            c.last_error.as_deref().unwrap_or("no answer"),
            c.host
        )?,
    }
    Ok(0)
}

fn list(ctx: &Context, json: bool) -> anyhow::Result<i32> {
    let sessions = ctx.client()?.network_list()?;
    if json {
        print_json(&sessions)?;
        return Ok(0);
    }
    if sessions.hosts.is_empty() && sessions.clients.is_empty() {
        outln!(
            "No network sessions. Publish an endpoint with: midi network host \"My Loopback (A)\""
        )?;
        return Ok(0);
    }
    output::out(&table(&sessions).render(ctx.style, output::terminal_width()))?;
    Ok(0)
}

/// One line about every session, for `service status`; `None` when there are none.
pub(crate) fn summary(sessions: &Sessions) -> Option<String> {
    let hosts = sessions.hosts.iter().map(|h| {
        format!(
            "host {:?} on {} ({})",
            h.endpoint,
            h.listen,
            output::count(h.sessions.len() as u64, "client", "clients")
        )
    });
    let clients = sessions
        .clients
        .iter()
        .map(|c| format!("client {:?} to {} ({})", c.endpoint, c.host, c.state.word()));
    let all: Vec<String> = hosts.chain(clients).collect();
    (!all.is_empty()).then(|| all.join("; "))
}

/// One row per host, per remote client of a host, and per client session.
fn table(sessions: &Sessions) -> Table {
    let mut t = Table::new(&["ROLE", "ENDPOINT", "ADDRESS", "PEER", "SENT", "RECEIVED"])
        .fit(1, Fit::Middle { min: 10 }, 1)
        .fit(3, Fit::End { min: 8 }, 0);
    for h in &sessions.hosts {
        host_rows(&mut t, h);
    }
    for c in &sessions.clients {
        client_row(&mut t, c);
    }
    t
}

fn host_rows(t: &mut Table, h: &HostInfo) {
    let state = match h.sessions.len() {
        0 => "no clients".to_string(),
        n => output::count(n as u64, "client", "clients"),
    };
    t.row(vec![
        "host".into(),
        h.endpoint.clone(),
        h.listen.to_string(),
        state,
        String::new(),
        String::new(),
    ]);
    for s in &h.sessions {
        t.row(vec![
            "  session".into(),
            h.endpoint.clone(),
            s.peer.to_string(),
            s.remote_name.clone(),
            s.messages_sent.to_string(),
            s.messages_received.to_string(),
        ]);
    }
}

fn client_row(t: &mut Table, c: &ClientInfo) {
    let peer = match c.state {
        ClientState::Up => c.remote_name.clone().unwrap_or_default(),
        ClientState::Connecting => "connecting…".into(),
    };
    t.row(vec![
        "client".into(),
        c.endpoint.clone(),
        c.host.to_string(),
        peer,
        c.messages_sent.to_string(),
        c.messages_received.to_string(),
    ]);
}

fn stop(ctx: &Context, args: StopArgs) -> anyhow::Result<i32> {
    let stopped = ctx.client()?.network_stop(&args.target)?;
    if args.json {
        print_json(&stopped)?;
        return Ok(0);
    }
    for h in &stopped.hosts {
        outln!(
            "{} hosting {:?} on {}.",
            ctx.style.ok("Stopped"),
            h.endpoint,
            h.listen
        )?;
    }
    for c in &stopped.clients {
        outln!(
            "{} the session with {} on {:?}.",
            ctx.style.ok("Ended"),
            c.host,
            c.endpoint
        )?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_addresses_take_the_default_port_when_none_is_given() {
        let v4 = resolve("127.0.0.1").unwrap();
        assert_eq!(
            v4,
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), DEFAULT_PORT)
        );
        assert_eq!(resolve("127.0.0.1:9").unwrap().port(), 9);
        assert_eq!(resolve("[::1]:9").unwrap().port(), 9);
        assert_eq!(resolve("::1").unwrap().port(), DEFAULT_PORT);
        assert!(resolve("127.0.0.1:x").is_err());
    }

    #[test]
    fn ipv6_hosts_are_written_in_brackets_when_a_port_follows() {
        let loopback = SocketAddr::new(Ipv6Addr::LOCALHOST.into(), DEFAULT_PORT);
        assert_eq!(resolve("[::1]").unwrap(), loopback);
        assert_eq!(resolve(" [::1]:5673 ").unwrap(), loopback);
        assert_eq!(
            resolve("[fe80::1%1]:9").unwrap().to_string(),
            "[fe80::1%1]:9"
        );
        assert_eq!(
            resolve("fe80::1%1").unwrap().to_string(),
            "[fe80::1%1]:5673"
        );
        for wrong in [
            "[::1]:0",
            "[::1]:",
            "[::1]x",
            "[::1",
            "::1]",
            "[::g]:9",
            "[fe80::1%nosuch0]:9",
            "1::2::3",
            "127.0.0.1:0",
        ] {
            let e = resolve(wrong).unwrap_err();
            let e = e.downcast_ref::<UserError>().expect("a user error");
            assert_eq!(e.kind, ErrorKind::Invalid, "{wrong}");
        }
    }

    #[test]
    fn bind_and_interface_take_an_address_alone() {
        assert_eq!(bind_address("::1"), Ok(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert_eq!(bind_address("[::]"), Ok(IpAddr::V6(Ipv6Addr::UNSPECIFIED)));
        assert_eq!(
            interface_address("127.0.0.1"),
            Ok(IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
        for wrong in ["[::1]:5673", "127.0.0.1:5673", "::1%lo", "localhost"] {
            let e = bind_address(wrong).unwrap_err();
            assert!(e.contains("--port"), "{wrong}: {e}");
        }
        let e = bind_address("fe80::1").unwrap_err();
        assert!(e.contains("link-local") && e.contains("use ::"), "{e}");
        assert!(interface_address("eth0").unwrap_err().contains("::1"));
    }
}
