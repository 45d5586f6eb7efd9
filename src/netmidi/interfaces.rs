//! The machine's IPv6 interfaces, for mDNS over IPv6: a multicast group is joined, and a
//! datagram to it sent, on an interface named by its index, not by an address. Linux lists
//! every IPv6 address with its interface in `/proc/net/if_inet6` (for the network namespace
//! of the reader) and an interface's flags in `/sys/class/net/NAME/flags`; both are read as
//! text, so no system call needs `unsafe`.

use std::net::Ipv6Addr;

/// `IFF_MULTICAST` in an interface's flags.
const MULTICAST_FLAG: u32 = 0x1000;

/// One IPv6 address and the interface that has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6Interface {
    pub index: u32,
    pub name: String,
    pub address: Ipv6Addr,
}

/// Parses `/proc/net/if_inet6`: per line the address (32 hex digits), the interface index,
/// prefix length, scope and flags (hex), and the name. Lines that do not fit are skipped.
pub fn parse_if_inet6(text: &str) -> Vec<Ipv6Interface> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [hex, index, _, _, _, name] = fields.as_slice() else {
                return None;
            };
            if hex.len() != 32 || !hex.is_ascii() {
                return None;
            }
            let bits = u128::from_str_radix(hex, 16).ok()?;
            let index = u32::from_str_radix(index, 16).ok().filter(|&i| i != 0)?;
            Some(Ipv6Interface {
                index,
                name: (*name).to_string(),
                address: Ipv6Addr::from(bits),
            })
        })
        .collect()
}

/// Every IPv6 address of this machine (none where IPv6 is off).
pub fn ipv6_addresses() -> Vec<Ipv6Interface> {
    std::fs::read_to_string("/proc/net/if_inet6")
        .map(|text| parse_if_inet6(&text))
        .unwrap_or_default()
}

/// The index of the interface that has `address`.
pub fn index_of(address: Ipv6Addr) -> Option<u32> {
    ipv6_addresses()
        .into_iter()
        .find(|i| i.address == address)
        .map(|i| i.index)
}

/// Whether the interface called `name` carries multicast (a name that is not a plain file
/// name is never looked up).
fn carries_multicast(name: &str) -> bool {
    if name.is_empty() || name.contains(['/', '.']) {
        return false;
    }
    std::fs::read_to_string(format!("/sys/class/net/{name}/flags"))
        .ok()
        .and_then(|f| u32::from_str_radix(f.trim().trim_start_matches("0x"), 16).ok())
        .is_some_and(|flags| flags & MULTICAST_FLAG != 0)
}

/// The indexes of the interfaces with IPv6 that carry multicast, each once, in order.
pub fn multicast_indexes() -> Vec<u32> {
    let mut found: Vec<(u32, String)> = ipv6_addresses()
        .into_iter()
        .map(|i| (i.index, i.name))
        .collect();
    found.sort();
    found.dedup();
    found
        .into_iter()
        .filter(|(_, name)| carries_multicast(name))
        .map(|(index, _)| index)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_list_is_read_and_what_does_not_fit_is_skipped() {
        let text = "\
fe8000000000000000fc00fffe000001 04 40 20 80     eth0
00000000000000000000000000000001 01 80 10 80       lo
0000000000000000000000000000001 01 80 10 80       short
zz000000000000000000000000000001 01 80 10 80       nothex
00000000000000000000000000000002 00 80 10 80       noindex
00000000000000000000000000000003 01 80 10
";
        let found = parse_if_inet6(text);
        assert_eq!(
            found,
            vec![
                Ipv6Interface {
                    index: 4,
                    name: "eth0".into(),
                    address: "fe80::fc:ff:fe00:1".parse().unwrap(),
                },
                Ipv6Interface {
                    index: 1,
                    name: "lo".into(),
                    address: Ipv6Addr::LOCALHOST,
                },
            ]
        );
    }

    #[test]
    fn names_that_leave_the_interface_directory_are_not_read() {
        assert!(!carries_multicast("../../etc"));
        assert!(!carries_multicast(""));
        assert!(!carries_multicast(".."));
    }
}
