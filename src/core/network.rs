//! What the faces and the engine agree on about Network MIDI 2.0 sessions: the requests that
//! set up a host or a client session, and what the engine reports about them. The protocol
//! itself lives in `netmidi`; the engine's side of the sessions in `engine::network`.

use super::model::PairInfo;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// The UDP port a host listens on unless told otherwise (documented in `docs/NETWORK.md`).
pub const DEFAULT_PORT: u16 = 5673;

/// A shared secret on its way from a face to the engine (over the private engine socket).
/// It never shows in `Debug` output, so no log line can carry it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

/// A user name and its password, for user authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLogin {
    pub user: String,
    pub password: Secret,
}

fn default_port() -> u16 {
    DEFAULT_PORT
}

fn loopback() -> IpAddr {
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}

/// `network host`: publish an endpoint as a Network MIDI 2.0 host.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostSpec {
    /// The endpoint the remote clients send out on (id or name).
    pub endpoint: String,
    /// 0 picks a free port.
    #[serde(default = "default_port")]
    pub port: u16,
    #[serde(default = "loopback")]
    pub bind: IpAddr,
    /// The name the host announces; the endpoint's name when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// Clients must prove they know this secret.
    #[serde(default)]
    pub secret: Option<Secret>,
    #[serde(default)]
    pub advertise: bool,
    /// Clients must log in as this user instead (when there is no secret).
    #[serde(default)]
    pub user: Option<UserLogin>,
    /// Keep the host in the configuration file, to start again with the engine.
    #[serde(default)]
    pub persistent: bool,
    /// Where the secret and the password came from (absolute), for a persistent host.
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
}

/// Where a client session attaches locally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum LocalTarget {
    /// An existing endpoint (id or name).
    Endpoint(String),
    /// Create the pair `NAME (A)` / `NAME (B)` and take `NAME (A)`.
    RootName(String),
    /// Create a pair named after the remote endpoint and take its side A.
    RemoteName,
}

/// `network connect`: join a remote host through a local endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectSpec {
    pub host: SocketAddr,
    pub target: LocalTarget,
    /// Keep trying when the host cannot be reached or the session ends.
    #[serde(default)]
    pub retry: bool,
    #[serde(default)]
    pub secret: Option<Secret>,
    /// What to log in with when the host asks for a user and password.
    #[serde(default)]
    pub user: Option<UserLogin>,
    /// Keep the session in the configuration file, to start again (and keep trying) with the
    /// engine.
    #[serde(default)]
    pub persistent: bool,
    /// Where the secret and the password came from (absolute), for a persistent session.
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
}

/// A persistent host as the configuration file keeps it: secrets stay in their files, which
/// the engine reads when it starts the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredHost {
    /// The endpoint's id.
    pub endpoint: String,
    pub port: u16,
    pub bind: IpAddr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    #[serde(default)]
    pub advertise: bool,
}

/// A persistent client session as the configuration file keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredClient {
    pub host: SocketAddr,
    pub target: LocalTarget,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
}

/// What a session's data path had to recover from, as its counters say (refreshed a
/// moment after traffic, so an idle engine does not wake for them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovery {
    /// Gaps filled without asking: by the FEC copies in later datagrams, or by reordering.
    pub filled_late: u64,
    /// Gaps filled by retransmission after we asked.
    pub retransmit_recovered: u64,
    pub retransmit_requested: u64,
    /// Commands that arrived again (FEC copies of what we had, repeated retransmissions).
    pub duplicates: u64,
    /// Numbers given up on after the peer said it no longer had them.
    pub lost: u64,
    /// Datagrams dropped as malformed.
    pub datagrams_dropped: u64,
}

/// One remote client of a host, as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteSession {
    pub peer: SocketAddr,
    pub remote_name: String,
    pub messages_sent: u64,
    pub messages_received: u64,
    #[serde(default)]
    pub recovery: Recovery,
}

/// A host the engine runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    pub endpoint: String,
    pub endpoint_id: String,
    /// The address and port it listens on (the real port when 0 was asked for).
    pub listen: SocketAddr,
    pub name: String,
    pub authentication: bool,
    pub sessions: Vec<RemoteSession>,
    /// Messages sent to and received from remote clients that have since left (so the
    /// host's totals never go down).
    #[serde(default)]
    pub ended_sessions_sent: u64,
    #[serde(default)]
    pub ended_sessions_received: u64,
    #[serde(default)]
    pub persistent: bool,
}

/// The state of a client session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientState {
    Connecting,
    Up,
}

impl ClientState {
    /// The word every face shows for it.
    pub fn word(self) -> &'static str {
        match self {
            ClientState::Connecting => "connecting",
            ClientState::Up => "up",
        }
    }
}

/// A client session the engine runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    pub host: SocketAddr,
    pub endpoint: String,
    pub endpoint_id: String,
    pub state: ClientState,
    /// The host's endpoint name, once a session came up.
    pub remote_name: Option<String>,
    pub retry: bool,
    /// Why the last session ended or never came up (while retrying).
    pub last_error: Option<String>,
    pub messages_sent: u64,
    pub messages_received: u64,
    #[serde(default)]
    pub recovery: Recovery,
    #[serde(default)]
    pub persistent: bool,
}

/// A host found by `network discover`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredHost {
    /// The endpoint name it announces.
    pub name: String,
    pub product_instance_id: String,
    pub address: SocketAddr,
}

/// What `network discover` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovery {
    pub hosts: Vec<DiscoveredHost>,
}

/// Every network session of an engine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sessions {
    pub hosts: Vec<HostInfo>,
    pub clients: Vec<ClientInfo>,
}

impl Sessions {
    /// What runs on the endpoint `id`: its host and its client sessions with their traffic
    /// summed; `None` when there is nothing.
    pub fn presence(&self, id: &str) -> Option<NetworkPresence> {
        let host = self.hosts.iter().find(|h| h.endpoint_id == id);
        let clients: Vec<&ClientInfo> = self
            .clients
            .iter()
            .filter(|c| c.endpoint_id == id)
            .collect();
        if host.is_none() && clients.is_empty() {
            return None;
        }
        let remotes = host.map(|h| h.sessions.as_slice()).unwrap_or_default();
        Some(NetworkPresence {
            host: host.map(|h| HostPresence {
                listen: h.listen,
                name: h.name.clone(),
                remote_clients: h.sessions.len() as u64,
            }),
            clients: clients
                .iter()
                .map(|c| ClientPresence {
                    host: c.host,
                    state: c.state,
                    remote_name: c.remote_name.clone(),
                })
                .collect(),
            messages_sent: host.map_or(0, |h| h.ended_sessions_sent)
                + remotes.iter().map(|r| r.messages_sent).sum::<u64>()
                + clients.iter().map(|c| c.messages_sent).sum::<u64>(),
            messages_received: host.map_or(0, |h| h.ended_sessions_received)
                + remotes.iter().map(|r| r.messages_received).sum::<u64>()
                + clients.iter().map(|c| c.messages_received).sum::<u64>(),
        })
    }

    /// Sets every endpoint's network presence from these sessions (clearing the ones that
    /// have none any more).
    pub fn mark(&self, pairs: &mut [PairInfo]) {
        for e in pairs
            .iter_mut()
            .flat_map(|p| [&mut p.endpoint_a, &mut p.endpoint_b])
        {
            e.network_presence = self.presence(e.id.as_str()).map(Box::new);
        }
    }
}

/// An endpoint's place on the network, as `loopback list`, `endpoint properties` and the
/// dashboard show it (`network list` has the full story of each session).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkPresence {
    /// The host publishing the endpoint (at most one per endpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostPresence>,
    /// The client sessions that joined a remote host through the endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<ClientPresence>,
    /// Messages sent to the network, over all the sessions of the endpoint.
    pub messages_sent: u64,
    /// Messages received from the network.
    pub messages_received: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostPresence {
    pub listen: SocketAddr,
    /// The endpoint name the host announces.
    pub name: String,
    pub remote_clients: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientPresence {
    pub host: SocketAddr,
    pub state: ClientState,
    /// The host's endpoint name, once a session came up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_name: Option<String>,
}

impl NetworkPresence {
    /// One line for the host and for each client session: `hosted on ADDR (N remote
    /// clients)`, `client of ADDR (up)`.
    pub fn lines(&self) -> Vec<String> {
        self.wording(true)
    }

    /// The same lines without the count of remote clients, for a column of a table (which
    /// counts the clients of each endpoint beside it).
    pub fn short_lines(&self) -> Vec<String> {
        self.wording(false)
    }

    fn wording(&self, with_count: bool) -> Vec<String> {
        let host = self.host.iter().map(|h| {
            let n = h.remote_clients;
            let noun = if n == 1 {
                "remote client"
            } else {
                "remote clients"
            };
            match with_count {
                true => format!("hosted on {} ({n} {noun})", h.listen),
                false => format!("hosted on {}", h.listen),
            }
        });
        let clients = self
            .clients
            .iter()
            .map(|c| format!("client of {} ({})", c.host, c.state.word()));
        host.chain(clients).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_shows_in_debug_output() {
        let spec = HostSpec {
            endpoint: "Stage (A)".into(),
            port: 0,
            bind: loopback(),
            name: None,
            secret: Some(Secret("hunter2".into())),
            advertise: false,
            user: Some(UserLogin {
                user: "ada".into(),
                password: Secret("swordfish".into()),
            }),
            persistent: false,
            secret_file: None,
            password_file: None,
        };
        let shown = format!("{spec:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("swordfish"));
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    fn sessions() -> Sessions {
        let remote = |port: u16, sent, received| RemoteSession {
            peer: addr(&format!("127.0.0.1:{port}")),
            remote_name: "Far".into(),
            messages_sent: sent,
            messages_received: received,
            recovery: Recovery::default(),
        };
        let client = |id: &str, state| ClientInfo {
            host: addr("127.0.0.1:5680"),
            endpoint: "Near (A)".into(),
            endpoint_id: id.into(),
            state,
            remote_name: None,
            retry: true,
            last_error: None,
            messages_sent: 4,
            messages_received: 5,
            recovery: Recovery::default(),
            persistent: false,
        };
        Sessions {
            hosts: vec![HostInfo {
                endpoint: "Stage (A)".into(),
                endpoint_id: "stage-a".into(),
                listen: addr("127.0.0.1:5673"),
                name: "Stage".into(),
                authentication: false,
                sessions: vec![remote(9000, 1, 2), remote(9001, 10, 20)],
                ended_sessions_sent: 100,
                ended_sessions_received: 200,
                persistent: false,
            }],
            clients: vec![
                client("stage-a", ClientState::Up),
                client("near-a", ClientState::Connecting),
            ],
        }
    }

    #[test]
    fn an_endpoints_presence_sums_the_traffic_of_its_sessions_alone() {
        let s = sessions();
        let stage = s.presence("stage-a").unwrap();
        assert_eq!(stage.host.as_ref().unwrap().remote_clients, 2);
        // Remote clients that left still count, so the totals never go down.
        assert_eq!((stage.messages_sent, stage.messages_received), (115, 227));
        assert_eq!(
            stage.lines(),
            [
                "hosted on 127.0.0.1:5673 (2 remote clients)",
                "client of 127.0.0.1:5680 (up)"
            ]
        );
        let near = s.presence("near-a").unwrap();
        assert!(near.host.is_none());
        assert_eq!(near.lines(), ["client of 127.0.0.1:5680 (connecting)"]);
        assert_eq!(stage.short_lines()[0], "hosted on 127.0.0.1:5673");
        assert_eq!(s.presence("stage-b"), None);
    }

    #[test]
    fn older_host_requests_get_the_defaults() {
        let spec: HostSpec = serde_json::from_str(r#"{"endpoint":"x"}"#).unwrap();
        assert_eq!((spec.port, spec.bind), (DEFAULT_PORT, loopback()));
    }
}
