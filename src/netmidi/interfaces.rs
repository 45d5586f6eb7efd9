//! The machine's IPv6 interfaces, for mDNS over IPv6: a multicast group is joined, and a
//! datagram to it sent, on an interface named by its index, not by an address. Linux lists
//! every IPv6 address with its interface in `/proc/net/if_inet6` (for the network namespace
//! of the reader), as text, so no system call needs `unsafe`.

use std::net::Ipv6Addr;

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

/// The indexes of the interfaces with IPv6, each once, in order. Whether one carries
/// multicast is not asked (its flags in `/sys` belong to the namespace `/sys` was mounted
/// in, not always the reader's): sending on one that does not simply fails.
pub fn ipv6_indexes() -> Vec<u32> {
    let mut found: Vec<u32> = ipv6_addresses().into_iter().map(|i| i.index).collect();
    found.sort_unstable();
    found.dedup();
    found
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
}
