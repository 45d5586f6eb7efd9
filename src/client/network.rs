//! The network requests: publish an endpoint as a Network MIDI 2.0 host, join a remote host,
//! list and stop the sessions. The engine runs the sessions; these only ask it to.

use super::{Client, Result, unexpected};
use crate::core::network::{ConnectSpec, HostSpec, Sessions};
use crate::core::protocol::{Reply, Request};

impl Client {
    /// Starts a host on an endpoint; the answer holds the address it listens on.
    pub fn network_host(&mut self, host: HostSpec) -> Result<Sessions> {
        self.sessions_reply(Request::NetworkHost { host })
    }

    /// Joins a remote host; returns once the session is up (or, when told to keep trying,
    /// once the first attempt is over).
    pub fn network_connect(&mut self, connect: ConnectSpec) -> Result<Sessions> {
        self.sessions_reply(Request::NetworkConnect { connect })
    }

    /// Every host and client session of the engine.
    pub fn network_list(&mut self) -> Result<Sessions> {
        self.sessions_reply(Request::NetworkList)
    }

    /// Ends the hosts and sessions on an endpoint, or the sessions to a host address.
    pub fn network_stop(&mut self, target: &str) -> Result<Sessions> {
        self.sessions_reply(Request::NetworkStop {
            target: target.to_string(),
        })
    }

    /// The hosts that answer an mDNS query within `wait`.
    pub fn network_discover(
        &mut self,
        interface: Option<std::net::IpAddr>,
        wait: std::time::Duration,
    ) -> Result<Vec<crate::core::network::DiscoveredHost>> {
        let request = Request::NetworkDiscover {
            interface,
            wait_ms: wait.as_millis() as u64,
        };
        match self.conn.request(request)? {
            Reply::Discovered(found) => Ok(found.hosts),
            other => Err(unexpected(other)),
        }
    }

    fn sessions_reply(&mut self, request: Request) -> Result<Sessions> {
        match self.conn.request(request)? {
            Reply::Network(sessions) => Ok(sessions),
            other => Err(unexpected(other)),
        }
    }
}
