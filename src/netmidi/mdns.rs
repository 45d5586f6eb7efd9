//! Discovery over multicast DNS, IPv4 and IPv6: a host announces itself as a `_midi2._udp`
//! service (a PTR to its instance, an SRV with its port, a TXT with `UMPEndpointName` and
//! `ProductInstanceId`, an A or AAAA record with its address) and answers queries for it,
//! on the interface of the address it is bound to and in that address's family (a host on
//! `::` on every interface, in both); [`browse`] asks in both families and collects the
//! answers.
//!
//! Only what that takes is encoded and parsed: questions and PTR, SRV, TXT, A and AAAA
//! records; names are written without compression and read with it. Every length is
//! checked: a malformed message is ignored.

use super::interfaces;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::time::Duration;
use tokio::net::UdpSocket;

/// The mDNS groups (IPv4, and IPv6 link-local) and port.
pub const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
pub const GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0xfb);
pub const PORT: u16 = 5353;
/// The service type Network MIDI 2.0 hosts announce.
pub const SERVICE: &str = "_midi2._udp.local";

const PTR: u16 = 12;
const TXT: u16 = 16;
const SRV: u16 = 33;
const A: u16 = 1;
const AAAA: u16 = 28;
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
    /// Where the host listens; an unspecified address is sent as no address record (the
    /// receiver takes the answer's source address instead). An IPv6 link-local address
    /// found by [`browse`] carries the scope of the interface it was found on.
    pub address: SocketAddr,
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

    /// The address record (A or AAAA), unless the address is unspecified.
    fn address_record(&self) -> Option<(u16, Vec<u8>)> {
        match self.address.ip() {
            IpAddr::V4(a) if !a.is_unspecified() => Some((A, a.octets().to_vec())),
            IpAddr::V6(a) if !a.is_unspecified() => Some((AAAA, a.octets().to_vec())),
            _ => None,
        }
    }

    /// A response (id as asked; 0 for an announcement) with the PTR, SRV, TXT and address
    /// records, and the question when answering a legacy unicast query.
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
        let address = self.address_record();
        let additional = 2 + u16::from(address.is_some());
        for n in [questions, 1, 0, additional] {
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
        data.extend_from_slice(&self.address.port().to_be_bytes());
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
        if let Some((kind, data)) = address {
            put_record(&mut out, &host_name, kind, true, &data);
        }
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

/// The address the host named `target` announces: of the family the answer came in if it
/// gives one, else of the other, else the answer's own source. A link-local IPv6 address
/// takes the scope of the interface the answer arrived on.
fn announced_address(records: &[Record], target: &str, port: u16, from: SocketAddr) -> SocketAddr {
    let addresses: Vec<IpAddr> = records
        .iter()
        .filter(|r| r.name.eq_ignore_ascii_case(target))
        .filter_map(|r| match (r.kind, r.data.len()) {
            (A, 4) => Some(IpAddr::from(<[u8; 4]>::try_from(r.data).ok()?)),
            (AAAA, 16) => Some(IpAddr::from(<[u8; 16]>::try_from(r.data).ok()?)),
            _ => None,
        })
        .filter(|a| !a.is_unspecified() && !a.is_multicast())
        // A link-local address is reachable only through the interface it was found on,
        // which an answer over IPv4 does not name.
        .filter(|a| from.is_ipv6() || !matches!(a, IpAddr::V6(v6) if v6.is_unicast_link_local()))
        .collect();
    let ip = addresses
        .iter()
        .find(|a| a.is_ipv6() == from.is_ipv6())
        .or(addresses.first())
        .copied()
        .unwrap_or(from.ip());
    match (ip, from) {
        (IpAddr::V6(v6), SocketAddr::V6(f)) if v6.is_unicast_link_local() => {
            SocketAddr::V6(SocketAddrV6::new(v6, port, 0, f.scope_id()))
        }
        _ => SocketAddr::new(ip, port),
    }
}

/// The adverts a response from `from` carries (those whose SRV it holds).
pub fn adverts_in(msg: &[u8], from: SocketAddr) -> Vec<Advert> {
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
        let mut advert = Advert {
            instance: instance.split('.').next().unwrap_or_default().to_string(),
            endpoint_name: String::new(),
            product_instance_id: String::new(),
            address: announced_address(&records, &target, port, from),
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

/// A socket on the mDNS port (shared with other responders), in the IPv4 group on
/// `interface`.
fn responder_socket_v4(interface: Ipv4Addr) -> io::Result<UdpSocket> {
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

/// A socket on the mDNS port (shared with other responders), in the IPv6 group on each of
/// the interfaces `indexes` (an error only when it joins on none).
fn responder_socket_v6(indexes: &[u32]) -> io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_only_v6(true)?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, PORT, 0, 0)).into())?;
    let mut joined = Err(no_ipv6());
    for &index in indexes {
        match socket.join_multicast_v6(&GROUP_V6, index) {
            Ok(()) => joined = Ok(()),
            Err(e) if joined.is_err() => joined = Err(e),
            Err(_) => {}
        }
    }
    joined?;
    socket.set_multicast_all_v6(false)?;
    socket.set_multicast_loop_v6(true)?;
    socket.set_multicast_hops_v6(255)?;
    UdpSocket::from_std(socket.into())
}

/// The IPv6 group on the interface `index`.
fn group_v6(index: u32) -> SocketAddr {
    SocketAddr::V6(SocketAddrV6::new(GROUP_V6, PORT, 0, index))
}

/// Announces `advert` on the interface of `bind`, in its family, and answers queries until
/// dropped. A host on `::` announces in both families on every interface; either family
/// alone is enough for it to go on.
pub async fn advertise(advert: Advert, bind: IpAddr) -> io::Result<()> {
    match bind {
        IpAddr::V4(v4) => advertise_v4(&advert, v4).await,
        IpAddr::V6(v6) if v6.is_unspecified() => {
            let (v4, v6) = tokio::join!(
                advertise_v4(&advert, Ipv4Addr::UNSPECIFIED),
                advertise_v6(&advert, interfaces::ipv6_indexes(), false)
            );
            v4.and(v6)
        }
        IpAddr::V6(v6) => {
            let index = interface_of(v6)?;
            advertise_v6(&advert, vec![index], v6.is_loopback()).await
        }
    }
}

async fn advertise_v4(advert: &Advert, interface: Ipv4Addr) -> io::Result<()> {
    let socket = responder_socket_v4(interface)?;
    let group = SocketAddr::V4(SocketAddrV4::new(GROUP, PORT));
    for _ in 0..2 {
        socket.send_to(&advert.response(0, false), group).await?;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    answer_queries(&socket, advert, interface.is_loopback(), &[group]).await
}

/// `loopback_only`: the host is this machine's alone, so only its own queries are answered.
async fn advertise_v6(advert: &Advert, indexes: Vec<u32>, loopback_only: bool) -> io::Result<()> {
    let socket = responder_socket_v6(&indexes)?;
    let groups: Vec<SocketAddr> = indexes.iter().map(|&i| group_v6(i)).collect();
    for _ in 0..2 {
        send_to_any(&socket, &advert.response(0, false), &groups).await?;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    answer_queries(&socket, advert, loopback_only, &groups).await
}

/// Sends `msg` to each of `groups`; an error only when it reaches none.
async fn send_to_any(socket: &UdpSocket, msg: &[u8], groups: &[SocketAddr]) -> io::Result<()> {
    let mut sent = Err(io::Error::new(
        io::ErrorKind::AddrNotAvailable,
        "no interface to send on",
    ));
    for &group in groups {
        match socket.send_to(msg, group).await {
            Ok(_) => sent = Ok(()),
            Err(e) if sent.is_err() => sent = Err(e),
            Err(_) => {}
        }
    }
    sent
}

/// Answers each query for the service: a one-shot query (from another port than mDNS's)
/// directly, any other on the group it came in on (every group when that is unknown).
async fn answer_queries(
    socket: &UdpSocket,
    advert: &Advert,
    loopback_only: bool,
    groups: &[SocketAddr],
) -> io::Result<()> {
    let mut buf = vec![0u8; 9000];
    loop {
        let (n, from) = socket.recv_from(&mut buf).await?;
        let Some(id) = asks_for_service(&buf[..n]) else {
            continue;
        };
        // A question sent on the loopback interface with no address to send from (the
        // system's choice where loopback is the only interface) comes from 0.0.0.0.
        if loopback_only && !(from.ip().is_loopback() || from.ip().is_unspecified()) {
            continue;
        }
        if from.port() != PORT {
            socket.send_to(&advert.response(id, true), from).await?;
            continue;
        }
        let response = advert.response(0, false);
        let scope = match from {
            SocketAddr::V6(f) => f.scope_id(),
            SocketAddr::V4(_) => 0,
        };
        let arrived_on: Vec<SocketAddr> = groups
            .iter()
            .copied()
            .filter(|g| matches!(g, SocketAddr::V6(g) if g.scope_id() == scope))
            .collect();
        let to = if arrived_on.is_empty() {
            groups
        } else {
            &arrived_on[..]
        };
        send_to_any(socket, &response, to).await?;
    }
}

/// Where [`browse`] asks: IPv4 on an interface (`0.0.0.0` for the system's choice), IPv6
/// on interfaces by index.
struct BrowsePlan {
    v4: Option<Ipv4Addr>,
    v6: Vec<u32>,
}

fn browse_plan(interface: Option<IpAddr>) -> io::Result<BrowsePlan> {
    Ok(match interface {
        None => BrowsePlan {
            v4: Some(Ipv4Addr::UNSPECIFIED),
            v6: interfaces::ipv6_indexes(),
        },
        Some(IpAddr::V4(v4)) => BrowsePlan {
            v4: Some(v4),
            v6: Vec::new(),
        },
        Some(IpAddr::V6(v6)) if v6.is_unspecified() => BrowsePlan {
            v4: None,
            v6: interfaces::ipv6_indexes(),
        },
        Some(IpAddr::V6(v6)) => BrowsePlan {
            v4: None,
            v6: vec![interface_of(v6)?],
        },
    })
}

/// Asks for hosts over IPv4 on the interface of `interface` and over IPv6 on every
/// interface that has IPv6 (or, for an address of one family, on its interface alone),
/// and collects the answers that arrive within `wait`, each host once. An error only when
/// no question could be sent at all.
pub async fn browse(interface: Option<IpAddr>, wait: Duration) -> io::Result<Vec<Advert>> {
    let plan = browse_plan(interface)?;
    let deadline = tokio::time::Instant::now() + wait;
    let v4 = async {
        match plan.v4 {
            Some(v4) => browse_v4(v4, deadline).await.map(Some),
            None => Ok(None),
        }
    };
    let v6 = async {
        match plan.v6.is_empty() {
            false => browse_v6(&plan.v6, deadline).await.map(Some),
            // Asked for IPv6 (by an address) with no interface to ask on.
            true if plan.v4.is_none() => Err(no_ipv6()),
            true => Ok(None),
        }
    };
    let (v4, v6) = tokio::join!(v4, v6);
    match (v4, v6) {
        (Err(e), Err(_)) | (Err(e), Ok(None)) | (Ok(None), Err(e)) => Err(e),
        (v4, v6) => Ok(each_host_once(
            [v4, v6].into_iter().flatten().flatten().flatten(),
        )),
    }
}

/// The index of the interface with the IPv6 address `v6`, or why there is none.
fn interface_of(v6: Ipv6Addr) -> io::Result<u32> {
    interfaces::index_of(v6).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!(
                "no interface has the address {v6}; give an address of this machine \
                 (ip -6 addr) or leave --interface out"
            ),
        )
    })
}

fn no_ipv6() -> io::Error {
    io::Error::new(io::ErrorKind::AddrNotAvailable, "no interface has IPv6")
}

/// One advert per host and family: a host on `::` answers on every interface, each answer
/// with its own source address; the one to keep is the first that is not link-local (an
/// address that needs no interface to reach it).
fn each_host_once(adverts: impl Iterator<Item = Advert>) -> Vec<Advert> {
    fn link_local(a: &SocketAddr) -> bool {
        matches!(a.ip(), IpAddr::V6(v6) if v6.is_unicast_link_local())
    }
    let mut found: Vec<Advert> = Vec::new();
    for advert in adverts {
        let same = found.iter_mut().find(|f| {
            f.instance == advert.instance
                && f.product_instance_id == advert.product_instance_id
                && f.address.port() == advert.address.port()
                && f.address.is_ipv4() == advert.address.is_ipv4()
        });
        match same {
            Some(f) if link_local(&f.address) && !link_local(&advert.address) => *f = advert,
            Some(_) => {}
            None => found.push(advert),
        }
    }
    found
}

async fn browse_v4(interface: Ipv4Addr, deadline: tokio::time::Instant) -> io::Result<Vec<Advert>> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_nonblocking(true)?;
    if !interface.is_unspecified() {
        socket.set_multicast_if_v4(&interface)?;
    }
    socket.set_multicast_loop_v4(true)?;
    socket.bind(&SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)).into())?;
    let socket = UdpSocket::from_std(socket.into())?;
    let group = SocketAddr::V4(SocketAddrV4::new(GROUP, PORT));
    socket.send_to(&query(query_id()), group).await?;
    Ok(collect(&socket, deadline).await)
}

async fn browse_v6(indexes: &[u32], deadline: tokio::time::Instant) -> io::Result<Vec<Advert>> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_only_v6(true)?;
    socket.set_nonblocking(true)?;
    socket.set_multicast_loop_v6(true)?;
    socket.bind(&SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, 0, 0, 0)).into())?;
    let socket = UdpSocket::from_std(socket.into())?;
    let groups: Vec<SocketAddr> = indexes.iter().map(|&i| group_v6(i)).collect();
    send_to_any(&socket, &query(query_id()), &groups).await?;
    Ok(collect(&socket, deadline).await)
}

fn query_id() -> u16 {
    (std::process::id() & 0xFFFF) as u16 | 1
}

/// The adverts that arrive on `socket` until `deadline`, each once.
async fn collect(socket: &UdpSocket, deadline: tokio::time::Instant) -> Vec<Advert> {
    let mut found: Vec<Advert> = Vec::new();
    let mut buf = vec![0u8; 9000];
    while let Ok(got) = tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await {
        // A failed receive ends the wait (rather than spinning on it) with what came.
        let Ok((n, from)) = got else {
            break;
        };
        for advert in adverts_in(&buf[..n], from) {
            if !found.contains(&advert) {
                found.push(advert);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_host_answering_on_several_interfaces_is_listed_once_per_family() {
        let advert = |addr: &str| Advert {
            instance: "Every (A)".into(),
            endpoint_name: "Every (A)".into(),
            product_instance_id: "id-1".into(),
            address: addr.parse().unwrap(),
        };
        let found = each_host_once(
            [
                advert("[fe80::1%2]:5673"),
                advert("127.0.0.1:5673"),
                advert("[::1]:5673"),
                advert("[fe80::2%3]:5673"),
                advert("[::1]:5674"),
            ]
            .into_iter(),
        );
        let addresses: Vec<String> = found.iter().map(|a| a.address.to_string()).collect();
        assert_eq!(addresses, ["[::1]:5673", "127.0.0.1:5673", "[::1]:5674"]);
    }
    use super::*;
    use proptest::prelude::*;

    fn stage() -> Advert {
        Advert {
            instance: "Stage (A)".into(),
            endpoint_name: "Stage (A)".into(),
            product_instance_id: "abc123".into(),
            address: "127.0.0.1:5673".parse().unwrap(),
        }
    }

    fn stage_at(address: &str) -> Advert {
        Advert {
            address: address.parse().unwrap(),
            ..stage()
        }
    }

    fn from(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    /// The kinds of the address records in a response.
    fn address_kinds(msg: &[u8]) -> Vec<u16> {
        records(msg)
            .unwrap()
            .iter()
            .map(|r| r.kind)
            .filter(|&k| k == A || k == AAAA)
            .collect()
    }

    #[test]
    fn a_response_carries_the_advert_and_a_query_is_recognised() {
        let advert = stage();
        let found = adverts_in(&advert.response(7, true), from("192.0.2.1:5353"));
        assert_eq!(found, vec![advert]);
        assert_eq!(asks_for_service(&query(9)), Some(9));
        assert_eq!(asks_for_service(&stage().response(0, false)), None);
    }

    #[test]
    fn an_ipv6_host_is_announced_with_an_aaaa_record() {
        let advert = stage_at("[::1]:5673");
        let response = advert.response(0, false);
        assert_eq!(address_kinds(&response), vec![AAAA]);
        let aaaa = records(&response)
            .unwrap()
            .into_iter()
            .find(|r| r.kind == AAAA)
            .unwrap();
        assert_eq!(aaaa.data, Ipv6Addr::LOCALHOST.octets());
        assert_eq!(aaaa.name, "midi-abc123.local");
        // Found over IPv6 or over IPv4: the announced address wins over the source.
        assert_eq!(
            adverts_in(&response, from("[::1]:5353")),
            vec![advert.clone()]
        );
        assert_eq!(adverts_in(&response, from("127.0.0.1:5353")), vec![advert]);
        assert_eq!(address_kinds(&stage().response(0, false)), vec![A]);
    }

    #[test]
    fn a_link_local_address_takes_the_scope_it_arrived_on() {
        let advert = stage_at("[fe80::1]:5673");
        let found = adverts_in(&advert.response(0, false), from("[fe80::2%4]:5353"));
        assert_eq!(found[0].address, from("[fe80::1%4]:5673"));
        // A global address needs no scope.
        let advert = stage_at("[fd00::2]:5673");
        let found = adverts_in(&advert.response(0, false), from("[fe80::2%4]:5353"));
        assert_eq!(found[0].address, from("[fd00::2]:5673"));
        // Over IPv4 there is no interface to give a link-local address: the answer's source
        // is taken instead.
        let advert = stage_at("[fe80::1]:5673");
        let found = adverts_in(&advert.response(0, false), from("192.168.1.20:5353"));
        assert_eq!(found[0].address, from("192.168.1.20:5673"));
    }

    #[test]
    fn a_host_on_every_address_is_found_at_the_source_of_its_answer() {
        for (bound, source) in [
            ("[::]:5673", "[fe80::2%3]:5353"),
            ("0.0.0.0:5673", "192.0.2.7:5353"),
        ] {
            let response = stage_at(bound).response(0, false);
            assert_eq!(address_kinds(&response), Vec::<u16>::new());
            let found = adverts_in(&response, from(source));
            let mut expected = from(source);
            expected.set_port(5673);
            assert_eq!(found[0].address, expected, "bound to {bound}");
        }
    }

    #[test]
    fn address_records_of_the_wrong_length_or_an_unusable_address_are_not_taken() {
        let response = stage_at("[fd00::2]:5673").response(0, false);
        let aaaa_at = response.len() - 16;
        let source = from("[fe80::9%2]:5353");
        let source_at_port = from("[fe80::9%2]:5673");
        // Unspecified, multicast: the source instead.
        for bad in [Ipv6Addr::UNSPECIFIED, GROUP_V6] {
            let mut msg = response.clone();
            msg[aaaa_at..].copy_from_slice(&bad.octets());
            assert_eq!(adverts_in(&msg, source)[0].address, source_at_port);
        }
        // An AAAA record whose length says 4 bytes: the message no longer parses as one
        // record, or the record is not an address.
        let mut msg = response.clone();
        msg[aaaa_at - 2..aaaa_at].copy_from_slice(&4u16.to_be_bytes());
        msg.truncate(aaaa_at + 4);
        assert_eq!(adverts_in(&msg, source)[0].address, source_at_port);
    }

    #[test]
    fn truncated_and_looping_messages_are_ignored() {
        for response in [
            stage().response(0, false),
            stage_at("[fe80::1]:5673").response(3, true),
        ] {
            for n in 0..response.len() {
                let _ = adverts_in(&response[..n], from("[fe80::1%1]:5353"));
                let _ = asks_for_service(&response[..n]);
            }
        }
        // A name that points at itself.
        let mut looping = query(1);
        looping.truncate(12);
        looping.extend_from_slice(&[0xC0, 12, 0, 12, 0, 1]);
        assert_eq!(asks_for_service(&looping), None);
    }

    fn any_address() -> impl Strategy<Value = SocketAddr> {
        prop_oneof![
            (any::<[u8; 4]>(), any::<u16>()).prop_map(|(a, p)| SocketAddr::from((a, p))),
            (any::<[u8; 16]>(), any::<u16>()).prop_map(|(a, p)| SocketAddr::from((a, p))),
        ]
    }

    proptest! {
        /// What a host announces is what a browser reads back, whichever family it is in
        /// (a link-local IPv6 address with the scope of the answer's source).
        #[test]
        fn every_advert_reads_back(
            address in any_address(),
            name in "[ -~]{1,40}",
            id in "[a-z0-9]{0,16}",
            source_scope in 1u32..64,
        ) {
            let advert = Advert {
                instance: name.clone(),
                endpoint_name: name,
                product_instance_id: id,
                address,
            };
            let source = SocketAddr::V6(SocketAddrV6::new("fe80::5".parse().unwrap(), 5353, 0, source_scope));
            let found = adverts_in(&advert.response(1, true), source);
            prop_assert_eq!(found.len(), 1);
            let got = found[0].address;
            prop_assert_eq!(got.port(), address.port());
            let ip = address.ip();
            if ip.is_unspecified() || ip.is_multicast() {
                prop_assert_eq!(got.ip(), source.ip());
            } else {
                prop_assert_eq!(got.ip(), ip);
            }
            if let SocketAddr::V6(v6) = got
                && v6.ip().is_unicast_link_local()
            {
                prop_assert_eq!(v6.scope_id(), source_scope);
            }
            prop_assert_eq!(&found[0].endpoint_name, &advert.endpoint_name);
            prop_assert_eq!(&found[0].product_instance_id, &advert.product_instance_id);
        }

        /// Arbitrary bytes, and a real response with any byte changed, never panic.
        #[test]
        fn arbitrary_messages_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
            at in any::<usize>(),
            value in any::<u8>(),
        ) {
            let _ = adverts_in(&bytes, from("[::1]:5353"));
            let _ = asks_for_service(&bytes);
            let mut msg = stage_at("[fe80::1]:5673").response(0, false);
            let i = at % msg.len();
            msg[i] = value;
            let _ = adverts_in(&msg, from("[fe80::1%1]:5353"));
            let _ = asks_for_service(&msg);
        }
    }
}
