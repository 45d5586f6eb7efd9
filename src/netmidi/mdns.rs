//! Discovery over multicast DNS (IPv4): a host announces itself as a `_midi2._udp` service
//! (a PTR to its instance, an SRV with its port, a TXT with `UMPEndpointName` and
//! `ProductInstanceId`, an A record with its address) and answers queries for it, on the
//! interface of the address it is bound to; [`browse`] asks and collects the answers.
//!
//! Only what that takes is encoded and parsed: questions and PTR, SRV, TXT and A records;
//! names are written without compression and read with it. Every length is checked: a
//! malformed message is ignored.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;
use tokio::net::UdpSocket;

/// The mDNS group and port.
pub const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
pub const PORT: u16 = 5353;
/// The service type Network MIDI 2.0 hosts announce.
pub const SERVICE: &str = "_midi2._udp.local";

const PTR: u16 = 12;
const TXT: u16 = 16;
const SRV: u16 = 33;
const A: u16 = 1;
const ANY: u16 = 255;
const CLASS_IN: u16 = 1;
/// Set on unique records: receivers replace what they had.
const CACHE_FLUSH: u16 = 0x8000;
const TTL_SECONDS: u32 = 120;

/// What a host announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advert {
    /// The service instance's label (the endpoint name, cut to 63 bytes).
    pub instance: String,
    pub endpoint_name: String,
    pub product_instance_id: String,
    pub address: Ipv4Addr,
    pub port: u16,
}

fn label(text: &str) -> &str {
    let mut end = text.len().min(63);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn put_name(out: &mut Vec<u8>, labels: &[&str]) {
    for l in labels {
        let l = label(l);
        out.push(l.len() as u8);
        out.extend_from_slice(l.as_bytes());
    }
    out.push(0);
}

fn service_labels() -> Vec<&'static str> {
    SERVICE.split('.').collect()
}

fn put_record(out: &mut Vec<u8>, name: &[&str], kind: u16, unique: bool, data: &[u8]) {
    put_name(out, name);
    out.extend_from_slice(&kind.to_be_bytes());
    let class = CLASS_IN | if unique { CACHE_FLUSH } else { 0 };
    out.extend_from_slice(&class.to_be_bytes());
    out.extend_from_slice(&TTL_SECONDS.to_be_bytes());
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
}

impl Advert {
    fn host_label(&self) -> String {
        let id: String = self
            .product_instance_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        format!("midi-{id}")
    }

    /// A response (id as asked; 0 for an announcement) with the four records, and the
    /// question when answering a legacy unicast query.
    pub fn response(&self, id: u16, echo_question: bool) -> Vec<u8> {
        let service = service_labels();
        let mut instance = vec![self.instance.as_str()];
        instance.extend(&service);
        let host = self.host_label();
        let host_name = [host.as_str(), "local"];
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&0x8400u16.to_be_bytes()); // response, authoritative
        let questions = u16::from(echo_question);
        for n in [questions, 1, 0, 3] {
            out.extend_from_slice(&n.to_be_bytes());
        }
        if echo_question {
            put_name(&mut out, &service);
            out.extend_from_slice(&PTR.to_be_bytes());
            out.extend_from_slice(&CLASS_IN.to_be_bytes());
        }
        let mut data = Vec::new();
        put_name(&mut data, &instance);
        put_record(&mut out, &service, PTR, false, &data);
        data.clear();
        data.extend_from_slice(&[0, 0, 0, 0]); // priority, weight
        data.extend_from_slice(&self.port.to_be_bytes());
        put_name(&mut data, &host_name);
        put_record(&mut out, &instance, SRV, true, &data);
        data.clear();
        for entry in [
            format!("UMPEndpointName={}", self.endpoint_name),
            format!("ProductInstanceId={}", self.product_instance_id),
        ] {
            let bytes = &entry.as_bytes()[..entry.len().min(255)];
            data.push(bytes.len() as u8);
            data.extend_from_slice(bytes);
        }
        put_record(&mut out, &instance, TXT, true, &data);
        put_record(&mut out, &host_name, A, true, &self.address.octets());
        out
    }
}

/// A query for the service, as [`browse`] sends it.
pub fn query(id: u16) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&id.to_be_bytes());
    for n in [0u16, 1, 0, 0, 0] {
        out.extend_from_slice(&n.to_be_bytes());
    }
    put_name(&mut out, &service_labels());
    out.extend_from_slice(&PTR.to_be_bytes());
    out.extend_from_slice(&(CLASS_IN | 0x8000).to_be_bytes()); // unicast response wanted
    out
}

/// A cursor over a DNS message.
struct Reader<'a> {
    msg: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn u16(&mut self) -> Option<u16> {
        let b = self.msg.get(self.at..self.at + 2)?;
        self.at += 2;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let b = self.msg.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(b)
    }

    /// A name, following compression pointers (at most 16), in lower case.
    fn name(&mut self) -> Option<String> {
        let mut labels: Vec<String> = Vec::new();
        let mut at = self.at;
        let mut jumped = false;
        for _ in 0..128 {
            let len = *self.msg.get(at)? as usize;
            match len {
                0 => {
                    if !jumped {
                        self.at = at + 1;
                    }
                    return Some(labels.join("."));
                }
                l if l & 0xC0 == 0xC0 => {
                    let low = *self.msg.get(at + 1)? as usize;
                    if !jumped {
                        self.at = at + 2;
                    }
                    jumped = true;
                    let target = (l & 0x3F) << 8 | low;
                    if target >= at {
                        return None; // pointers only go back: no loops
                    }
                    at = target;
                }
                l if l < 64 => {
                    let text = self.msg.get(at + 1..at + 1 + l)?;
                    labels.push(String::from_utf8_lossy(text).into_owned());
                    at += 1 + l;
                }
                _ => return None,
            }
        }
        None
    }
}

/// Whether a message is a query that asks for the service.
pub fn asks_for_service(msg: &[u8]) -> Option<u16> {
    let mut r = Reader { msg, at: 0 };
    let id = r.u16()?;
    let flags = r.u16()?;
    if flags & 0x8000 != 0 {
        return None; // a response
    }
    let questions = r.u16()?;
    r.bytes(6)?;
    for _ in 0..questions.min(64) {
        let name = r.name()?;
        let kind = r.u16()?;
        r.u16()?;
        if name.eq_ignore_ascii_case(SERVICE) && (kind == PTR || kind == ANY) {
            return Some(id);
        }
    }
    None
}

/// One record of a response.
struct Record<'a> {
    name: String,
    kind: u16,
    data: &'a [u8],
    data_at: usize,
}

fn records(msg: &[u8]) -> Option<Vec<Record<'_>>> {
    let mut r = Reader { msg, at: 0 };
    r.u16()?;
    if r.u16()? & 0x8000 == 0 {
        return None; // a query
    }
    let questions = r.u16()?;
    let total = [r.u16()?, r.u16()?, r.u16()?]
        .iter()
        .map(|&n| n as usize)
        .sum::<usize>();
    for _ in 0..questions.min(64) {
        r.name()?;
        r.bytes(4)?;
    }
    let mut out = Vec::new();
    for _ in 0..total.min(256) {
        let name = r.name()?;
        let kind = r.u16()?;
        r.bytes(6)?; // class, ttl
        let len = r.u16()? as usize;
        let data_at = r.at;
        let data = r.bytes(len)?;
        out.push(Record {
            name,
            kind,
            data,
            data_at,
        });
    }
    Some(out)
}

/// The adverts a response carries (those whose SRV, TXT and address it holds).
pub fn adverts_in(msg: &[u8], from: Ipv4Addr) -> Vec<Advert> {
    let Some(records) = records(msg) else {
        return Vec::new();
    };
    let name_at = |at: usize| Reader { msg, at }.name();
    let instances = records
        .iter()
        .filter(|r| r.kind == PTR && r.name.eq_ignore_ascii_case(SERVICE))
        .filter_map(|r| name_at(r.data_at));
    let mut found = Vec::new();
    for instance in instances {
        let same = |r: &&Record| r.name.eq_ignore_ascii_case(&instance);
        let Some(srv) = records.iter().filter(same).find(|r| r.kind == SRV) else {
            continue;
        };
        if srv.data.len() < 7 {
            continue;
        }
        let port = u16::from_be_bytes([srv.data[4], srv.data[5]]);
        let target = name_at(srv.data_at + 6).unwrap_or_default();
        let address = records
            .iter()
            .find(|r| r.kind == A && r.name.eq_ignore_ascii_case(&target) && r.data.len() == 4)
            .map(|r| Ipv4Addr::new(r.data[0], r.data[1], r.data[2], r.data[3]))
            .filter(|a| !a.is_unspecified())
            .unwrap_or(from);
        let mut advert = Advert {
            instance: instance.split('.').next().unwrap_or_default().to_string(),
            endpoint_name: String::new(),
            product_instance_id: String::new(),
            address,
            port,
        };
        if let Some(txt) = records.iter().filter(same).find(|r| r.kind == TXT) {
            let mut rest = txt.data;
            while let Some((&len, tail)) = rest.split_first() {
                let Some(entry) = tail.get(..len as usize) else {
                    break;
                };
                let entry = String::from_utf8_lossy(entry);
                if let Some(v) = entry.strip_prefix("UMPEndpointName=") {
                    advert.endpoint_name = v.to_string();
                } else if let Some(v) = entry.strip_prefix("ProductInstanceId=") {
                    advert.product_instance_id = v.to_string();
                }
                rest = &tail[len as usize..];
            }
        }
        found.push(advert);
    }
    found
}

/// A socket on the mDNS port (shared with other responders), in the group on `interface`.
fn responder_socket(interface: Ipv4Addr) -> io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, PORT)).into())?;
    socket.join_multicast_v4(&GROUP, &interface)?;
    // Only what arrives for this socket's own membership (on `interface`), not every group
    // some other program joined on another interface.
    socket.set_multicast_all_v4(false)?;
    socket.set_multicast_if_v4(&interface)?;
    socket.set_multicast_loop_v4(true)?;
    socket.set_multicast_ttl_v4(255)?;
    UdpSocket::from_std(socket.into())
}

/// Announces `advert` on the interface of `bind` and answers queries until dropped.
pub async fn advertise(advert: Advert, bind: IpAddr) -> io::Result<()> {
    let interface = match bind {
        IpAddr::V4(v4) => v4,
        IpAddr::V6(_) => return Ok(()), // IPv6 discovery is not built
    };
    let socket = responder_socket(interface)?;
    let group = SocketAddr::V4(SocketAddrV4::new(GROUP, PORT));
    for _ in 0..2 {
        socket.send_to(&advert.response(0, false), group).await?;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut buf = vec![0u8; 9000];
    loop {
        let (n, from) = socket.recv_from(&mut buf).await?;
        let Some(id) = asks_for_service(&buf[..n]) else {
            continue;
        };
        // A host on the loopback address is this machine's alone.
        if interface.is_loopback() && !from.ip().is_loopback() {
            continue;
        }
        // A query from another port is a one-shot one: it gets its answer directly.
        if from.port() != PORT {
            socket.send_to(&advert.response(id, true), from).await?;
        } else {
            socket.send_to(&advert.response(0, false), group).await?;
        }
    }
}

/// Asks for hosts on the interface of `interface` (the system's choice when unspecified)
/// and collects the answers that arrive within `wait`, each host once.
pub async fn browse(interface: Ipv4Addr, wait: Duration) -> io::Result<Vec<Advert>> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_nonblocking(true)?;
    if !interface.is_unspecified() {
        socket.set_multicast_if_v4(&interface)?;
    }
    socket.set_multicast_loop_v4(true)?;
    socket.bind(&SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)).into())?;
    let socket = UdpSocket::from_std(socket.into())?;
    let id = (std::process::id() & 0xFFFF) as u16 | 1;
    let group = SocketAddr::V4(SocketAddrV4::new(GROUP, PORT));
    socket.send_to(&query(id), group).await?;
    let mut found: Vec<Advert> = Vec::new();
    let mut buf = vec![0u8; 9000];
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(got) = tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await {
        let (n, from) = got?;
        let IpAddr::V4(from) = from.ip() else {
            continue;
        };
        for advert in adverts_in(&buf[..n], from) {
            if !found.contains(&advert) {
                found.push(advert);
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage() -> Advert {
        Advert {
            instance: "Stage (A)".into(),
            endpoint_name: "Stage (A)".into(),
            product_instance_id: "abc123".into(),
            address: Ipv4Addr::LOCALHOST,
            port: 5673,
        }
    }

    #[test]
    fn a_response_carries_the_advert_and_a_query_is_recognised() {
        let advert = stage();
        let found = adverts_in(&advert.response(7, true), Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(found, vec![advert]);
        assert_eq!(asks_for_service(&query(9)), Some(9));
        assert_eq!(asks_for_service(&stage().response(0, false)), None);
    }

    #[test]
    fn truncated_and_looping_messages_are_ignored() {
        let response = stage().response(0, false);
        for n in 0..response.len() {
            let _ = adverts_in(&response[..n], Ipv4Addr::LOCALHOST);
            let _ = asks_for_service(&response[..n]);
        }
        // A name that points at itself.
        let mut looping = query(1);
        looping.truncate(12);
        looping.extend_from_slice(&[0xC0, 12, 0, 12, 0, 1]);
        assert_eq!(asks_for_service(&looping), None);
    }
}
