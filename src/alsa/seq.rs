//! A sequencer client, safely: open `/dev/snd/seq`, name the client, choose MIDI 2.0 where the
//! kernel has it, create ports other programs see in `aconnect -l`, present a UMP endpoint the
//! way alsa-lib does, and move events in batches.
//!
//! The descriptor is non-blocking: [`Seq::read_events`] returns what is there, and a caller
//! waits for more by polling [`Seq::as_fd`].

use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::event::{self, Address, CellFormat, DecodeError, EncodeError, Event, EventKind};
use super::sys::{
    self, SeqAddr, SeqClientInfo, SeqClientPool, SeqClientUmpInfo, SeqPortInfo, SeqPortSubscribe,
    SeqQuerySubs, UmpBlockInfo, UmpEndpointInfo, client, port_cap, port_flags, port_type, ump,
};

/// Where the kernel's sequencer device lives.
pub const DEFAULT_DEVICE: &str = "/dev/snd/seq";

/// Longest client or port name the kernel stores (64 bytes with the terminating NUL).
pub const MAX_NAME_BYTES: usize = 63;

/// Read buffer size. A variable-length event that does not fit the buffer is put back by the
/// kernel with EAGAIN, forever; the largest one a sender's pool can hold (2000 cells of 32
/// bytes) fits with room to spare.
const READ_BUFFER_BYTES: usize = 128 * 1024;

/// What can go wrong talking to the sequencer.
#[derive(Debug, Error)]
pub enum SeqError {
    #[error(
        "no ALSA sequencer at {path}: this kernel has none, or its module is not loaded (try `modprobe snd-seq`)"
    )]
    NoSequencer { path: PathBuf },
    #[error(
        "permission denied opening {path}: add this user to the `audio` group (or give it an ACL on the device) and log in again"
    )]
    PermissionDenied { path: PathBuf },
    #[error("could not open {path}: {source}")]
    Open { path: PathBuf, source: io::Error },
    #[error("the sequencer refused {operation}: {source}")]
    Refused {
        operation: &'static str,
        source: io::Error,
    },
    #[error("{what} {name:?} is {len} bytes; the sequencer keeps at most {max}")]
    NameTooLong {
        what: &'static str,
        name: String,
        len: usize,
        max: usize,
    },
    #[error("{what} {name:?} contains a NUL byte, which the sequencer cannot store")]
    NameHasNul { what: &'static str, name: String },
    #[error(
        "events were lost: this client's input queue overflowed (read sooner or raise the input pool)"
    )]
    InputOverflow,
    #[error(
        "the output pool is full: {sent} of {total} bytes were sent, the rest was not (retry when the descriptor is writable)"
    )]
    OutputFull { sent: usize, total: usize },
    #[error("cannot send event {index}: {source}")]
    Encode { index: usize, source: EncodeError },
    #[error("UMP {what} needs a client in UMP mode; this client is MIDI 1.0 (midi_version 0)")]
    NotUmp { what: &'static str },
    #[error("{what} {value} is out of range: allowed {min} to {max}")]
    OutOfRange {
        what: &'static str,
        value: i64,
        min: i64,
        max: i64,
    },
}

fn refused(operation: &'static str) -> impl FnOnce(io::Error) -> SeqError {
    move |source| SeqError::Refused { operation, source }
}

/// A client's MIDI version (`snd_seq_client_info.midi_version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MidiVersion {
    /// A legacy MIDI 1.0 client: 28-byte event cells.
    Legacy,
    /// A UMP client speaking the MIDI 1.0 protocol.
    UmpMidi1,
    /// A UMP client speaking the MIDI 2.0 protocol.
    UmpMidi2,
}

impl MidiVersion {
    fn raw(self) -> u32 {
        match self {
            MidiVersion::Legacy => client::MIDI_LEGACY,
            MidiVersion::UmpMidi1 => client::MIDI_UMP_1_0,
            MidiVersion::UmpMidi2 => client::MIDI_UMP_2_0,
        }
    }

    fn from_raw(raw: u32) -> Option<MidiVersion> {
        match raw {
            client::MIDI_LEGACY => Some(MidiVersion::Legacy),
            client::MIDI_UMP_1_0 => Some(MidiVersion::UmpMidi1),
            client::MIDI_UMP_2_0 => Some(MidiVersion::UmpMidi2),
            _ => None,
        }
    }
}

/// The outcome of asking for MIDI 2.0 ([`Seq::negotiate_midi2`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Negotiation {
    /// The client is a UMP MIDI 2.0 client.
    Midi2,
    /// The kernel refused `midi_version` 2 (no `CONFIG_SND_SEQ_UMP`); the client stays MIDI 1.0.
    Midi1NoUmpKernel,
}

impl std::fmt::Display for Negotiation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Negotiation::Midi2 => "MIDI 2.0 (UMP)",
            Negotiation::Midi1NoUmpKernel => "MIDI 1.0 (this kernel has no UMP sequencer)",
        })
    }
}

/// What a port is: its name, what others may do with it, and how it presents itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    pub name: String,
    /// `port_cap` bits.
    pub capability: u32,
    /// `port_type` bits.
    pub port_type: u32,
    /// Ask for this port number instead of the next free one.
    pub number: Option<u8>,
    /// `port_flags::DIR_*`.
    pub direction: u8,
    /// 0 for the endpoint port, 1–16 for a UMP group port.
    pub ump_group: u8,
}

impl PortSpec {
    /// A MIDI 1.0 application port others can read from and write to, and subscribe both ways.
    pub fn duplex(name: &str) -> PortSpec {
        PortSpec {
            name: name.to_owned(),
            capability: port_cap::READ
                | port_cap::WRITE
                | port_cap::SUBS_READ
                | port_cap::SUBS_WRITE
                | port_cap::DUPLEX,
            port_type: port_type::MIDI_GENERIC | port_type::APPLICATION,
            number: None,
            direction: port_flags::DIR_BIDIRECTION,
            ump_group: 0,
        }
    }

    /// The UMP endpoint port (port 0, "MIDI 2.0"), as alsa-lib's `snd_seq_create_ump_endpoint`.
    pub fn ump_endpoint() -> PortSpec {
        PortSpec {
            name: "MIDI 2.0".to_owned(),
            capability: UMP_DUPLEX_CAPS | port_cap::UMP_ENDPOINT,
            port_type: UMP_PORT_TYPE,
            number: Some(0),
            direction: port_flags::DIR_BIDIRECTION,
            ump_group: 0,
        }
    }

    /// The port for UMP group `group` (1–16): no capabilities until a block covers it.
    pub fn ump_group(group: u8) -> PortSpec {
        PortSpec {
            name: format!("Group {group}"),
            capability: 0,
            port_type: UMP_PORT_TYPE,
            number: Some(group),
            direction: port_flags::DIR_UNKNOWN,
            ump_group: group,
        }
    }
}

const UMP_DUPLEX_CAPS: u32 = port_cap::READ
    | port_cap::SYNC_READ
    | port_cap::SUBS_READ
    | port_cap::WRITE
    | port_cap::SYNC_WRITE
    | port_cap::SUBS_WRITE
    | port_cap::DUPLEX;
const UMP_PORT_TYPE: u32 =
    port_type::MIDI_GENERIC | port_type::MIDI_UMP | port_type::APPLICATION | port_type::PORT;

/// A port as the kernel describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    pub address: Address,
    pub name: String,
    pub capability: u32,
    pub port_type: u32,
    /// How many subscribers read from this port (its output connections).
    pub read_use: u32,
    /// How many subscribers write to this port (its input connections).
    pub write_use: u32,
    pub direction: u8,
    pub ump_group: u8,
}

impl From<&SeqPortInfo> for PortInfo {
    fn from(raw: &SeqPortInfo) -> Self {
        PortInfo {
            address: raw.addr.into(),
            name: c_string(&raw.name),
            capability: raw.capability,
            port_type: raw.port_type,
            read_use: raw.read_use.max(0) as u32,
            write_use: raw.write_use.max(0) as u32,
            direction: raw.direction,
            ump_group: raw.ump_group,
        }
    }
}

/// A client as the kernel describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    pub client: u8,
    pub name: String,
    /// True for a user-space client, false for a kernel one (System, Midi Through …).
    pub is_user: bool,
    pub num_ports: u32,
    /// `None` when the kernel reports a version this module does not know.
    pub midi_version: Option<MidiVersion>,
}

/// A UMP endpoint description (`snd_ump_endpoint_info`), per client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UmpEndpoint {
    pub name: String,
    pub product_id: String,
    /// `ump::PROTO_*` bits the endpoint can speak.
    pub protocol_caps: u32,
    /// The `ump::PROTO_*` protocol in use.
    pub protocol: u32,
    pub num_blocks: u8,
    /// `ump::EP_INFO_STATIC_BLOCKS` when the blocks never change.
    pub flags: u32,
    /// UMP version, major in the high byte; 0 means "the default" (1.1).
    pub version: u16,
    pub manufacturer_id: u32,
    pub family_id: u16,
    pub model_id: u16,
    pub sw_revision: [u8; 4],
}

/// A UMP function block (`snd_ump_block_info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UmpBlock {
    pub name: String,
    /// `ump::DIR_*`, seen from the endpoint: input = it receives.
    pub direction: u8,
    pub active: bool,
    /// 0-based first group and how many groups the block spans.
    pub first_group: u8,
    pub num_groups: u8,
    pub midi_ci_version: u8,
    pub ui_hint: u8,
    pub flags: u32,
}

/// An open sequencer client.
pub struct Seq {
    fd: OwnedFd,
    client: u8,
    kernel_protocol: i32,
    format: CellFormat,
    read_buffer: Vec<u8>,
}

impl Seq {
    /// Opens [`DEFAULT_DEVICE`] for input and output, non-blocking.
    pub fn open() -> Result<Seq, SeqError> {
        Seq::open_device(Path::new(DEFAULT_DEVICE))
    }

    /// Opens a sequencer device, declares the protocol we speak, and learns our client number.
    pub fn open_device(path: &Path) -> Result<Seq, SeqError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
            .map_err(|source| open_error(path, source))?;
        let fd = OwnedFd::from(file);
        let mut kernel_protocol = 0i32;
        sys::ioctl(fd.as_fd(), sys::PVERSION, &mut kernel_protocol).map_err(refused("PVERSION"))?;
        // Kernels before the UMP work have no USER_PVERSION; they have no midi_version either,
        // so there is nothing to declare to them.
        let mut ours = sys::PROTOCOL_VERSION;
        match sys::ioctl(fd.as_fd(), sys::USER_PVERSION, &mut ours) {
            Err(err) if err.raw_os_error() == Some(libc::ENOTTY) => {}
            other => other.map_err(refused("USER_PVERSION"))?,
        }
        let mut id = 0i32;
        sys::ioctl(fd.as_fd(), sys::CLIENT_ID, &mut id).map_err(refused("CLIENT_ID"))?;
        Ok(Seq {
            fd,
            client: id as u8,
            kernel_protocol,
            format: CellFormat::Legacy,
            read_buffer: vec![0; READ_BUFFER_BYTES],
        })
    }

    /// Our client number (user clients start at 128).
    pub fn client_id(&self) -> u8 {
        self.client
    }

    /// The kernel's sequencer protocol version, `(major, minor, subminor)`.
    pub fn kernel_protocol(&self) -> (u8, u8, u8) {
        let v = self.kernel_protocol;
        ((v >> 16) as u8, (v >> 8) as u8, v as u8)
    }

    /// The cells this client reads and writes.
    pub fn cell_format(&self) -> CellFormat {
        self.format
    }

    fn own_client_info(&self) -> Result<SeqClientInfo, SeqError> {
        self.client_info_raw(self.client)
            .map_err(refused("GET_CLIENT_INFO"))
    }

    fn client_info_raw(&self, client: u8) -> io::Result<SeqClientInfo> {
        let mut info = sys::zeroed::<SeqClientInfo>();
        info.client = client as i32;
        sys::ioctl(self.fd.as_fd(), sys::GET_CLIENT_INFO, &mut info)?;
        Ok(info)
    }

    /// Names this client (what `aconnect -l` shows after `client 128:`).
    pub fn set_client_name(&self, name: &str) -> Result<(), SeqError> {
        let mut info = self.own_client_info()?;
        info.name = name_field("client name", name)?;
        sys::ioctl(self.fd.as_fd(), sys::SET_CLIENT_INFO, &mut info)
            .map_err(refused("SET_CLIENT_INFO"))
    }

    /// Sets the client's MIDI version. Everything else in the client record is kept: the
    /// kernel takes the filters and the name from the same record.
    pub fn set_midi_version(&mut self, version: MidiVersion) -> Result<(), SeqError> {
        let mut info = self.own_client_info()?;
        info.midi_version = version.raw();
        sys::ioctl(self.fd.as_fd(), sys::SET_CLIENT_INFO, &mut info)
            .map_err(refused("SET_CLIENT_INFO (midi_version)"))?;
        self.format = match version {
            MidiVersion::Legacy => CellFormat::Legacy,
            _ => CellFormat::Ump,
        };
        Ok(())
    }

    /// Asks for MIDI 2.0 and falls back to MIDI 1.0 when the kernel refuses with EINVAL, which
    /// is how a kernel without `CONFIG_SND_SEQ_UMP` answers (its protocol version says nothing).
    pub fn negotiate_midi2(&mut self) -> Result<Negotiation, SeqError> {
        match self.set_midi_version(MidiVersion::UmpMidi2) {
            Ok(()) => Ok(Negotiation::Midi2),
            Err(SeqError::Refused { source, .. })
                if source.raw_os_error() == Some(libc::EINVAL) =>
            {
                self.format = CellFormat::Legacy;
                Ok(Negotiation::Midi1NoUmpKernel)
            }
            Err(other) => Err(other),
        }
    }

    /// The MIDI version the kernel has on record for this client.
    pub fn midi_version(&self) -> Result<Option<MidiVersion>, SeqError> {
        Ok(MidiVersion::from_raw(self.own_client_info()?.midi_version))
    }

    /// Sets how many events may wait in this client's input queue (kernel default 200; a long
    /// SysEx takes one per 28 bytes while it waits).
    pub fn set_input_pool(&self, events: u32) -> Result<(), SeqError> {
        self.set_pool(None, events)
    }

    /// Sets how many cells this client's output may hold while the kernel delivers them (a
    /// long SysEx takes one per 28 bytes), and its input pool as [`Seq::set_input_pool`] does.
    pub fn set_pools(&self, output: u32, input: u32) -> Result<(), SeqError> {
        self.set_pool(Some(output), input)
    }

    fn set_pool(&self, output: Option<u32>, input: u32) -> Result<(), SeqError> {
        let input = in_range("input pool", input as i64, 1, 2000)? as i32;
        let output = match output {
            Some(cells) => Some(in_range("output pool", cells as i64, 1, 2000)? as i32),
            None => None,
        };
        let mut pool = sys::zeroed::<SeqClientPool>();
        pool.client = self.client as i32;
        sys::ioctl(self.fd.as_fd(), sys::GET_CLIENT_POOL, &mut pool)
            .map_err(refused("GET_CLIENT_POOL"))?;
        pool.input_pool = input;
        if let Some(output) = output {
            pool.output_pool = output;
        }
        sys::ioctl(self.fd.as_fd(), sys::SET_CLIENT_POOL, &mut pool)
            .map_err(refused("SET_CLIENT_POOL"))
    }

    /// Creates a port and returns its number.
    pub fn create_port(&self, spec: &PortSpec) -> Result<u8, SeqError> {
        let mut info = sys::zeroed::<SeqPortInfo>();
        info.addr = SeqAddr {
            client: self.client,
            port: spec.number.unwrap_or(0),
        };
        info.name = name_field("port name", &spec.name)?;
        info.capability = spec.capability;
        info.port_type = spec.port_type;
        info.midi_channels = 16;
        info.direction = spec.direction;
        info.ump_group = spec.ump_group;
        if spec.number.is_some() {
            info.flags |= port_flags::GIVEN_PORT;
        }
        sys::ioctl(self.fd.as_fd(), sys::CREATE_PORT, &mut info).map_err(refused("CREATE_PORT"))?;
        Ok(info.addr.port)
    }

    /// Renames one of our ports; subscribers stay connected.
    pub fn rename_port(&self, port: u8, name: &str) -> Result<(), SeqError> {
        let mut info = self.port_info_raw(Address {
            client: self.client,
            port,
        })?;
        info.name = name_field("port name", name)?;
        sys::ioctl(self.fd.as_fd(), sys::SET_PORT_INFO, &mut info).map_err(refused("SET_PORT_INFO"))
    }

    /// Changes one of our ports' capability bits (alsa-lib does this for group ports once a
    /// block covers them).
    pub fn set_port_capability(&self, port: u8, capability: u32) -> Result<(), SeqError> {
        let mut info = self.port_info_raw(Address {
            client: self.client,
            port,
        })?;
        info.capability = capability;
        sys::ioctl(self.fd.as_fd(), sys::SET_PORT_INFO, &mut info).map_err(refused("SET_PORT_INFO"))
    }

    /// Deletes one of our ports; the kernel drops its subscriptions.
    pub fn delete_port(&self, port: u8) -> Result<(), SeqError> {
        let mut info = sys::zeroed::<SeqPortInfo>();
        info.addr = SeqAddr {
            client: self.client,
            port,
        };
        sys::ioctl(self.fd.as_fd(), sys::DELETE_PORT, &mut info).map_err(refused("DELETE_PORT"))
    }

    fn port_info_raw(&self, address: Address) -> Result<SeqPortInfo, SeqError> {
        let mut info = sys::zeroed::<SeqPortInfo>();
        info.addr = SeqAddr {
            client: address.client,
            port: address.port,
        };
        sys::ioctl(self.fd.as_fd(), sys::GET_PORT_INFO, &mut info)
            .map_err(refused("GET_PORT_INFO"))?;
        Ok(info)
    }

    /// Any client's port, as the kernel describes it.
    pub fn port_info(&self, address: Address) -> Result<PortInfo, SeqError> {
        Ok(PortInfo::from(&self.port_info_raw(address)?))
    }

    /// Every client the kernel has, in number order.
    pub fn clients(&self) -> Result<Vec<ClientInfo>, SeqError> {
        let mut found = Vec::new();
        let mut info = sys::zeroed::<SeqClientInfo>();
        info.client = -1;
        loop {
            match sys::ioctl(self.fd.as_fd(), sys::QUERY_NEXT_CLIENT, &mut info) {
                Ok(()) => found.push(ClientInfo {
                    client: info.client as u8,
                    name: c_string(&info.name),
                    is_user: info.client_type == client::TYPE_USER,
                    num_ports: info.num_ports.max(0) as u32,
                    midi_version: MidiVersion::from_raw(info.midi_version),
                }),
                Err(err) if err.raw_os_error() == Some(libc::ENOENT) => return Ok(found),
                Err(err) => {
                    return Err(SeqError::Refused {
                        operation: "QUERY_NEXT_CLIENT",
                        source: err,
                    });
                }
            }
        }
    }

    /// Every port of `client`, in number order.
    pub fn ports(&self, client: u8) -> Result<Vec<PortInfo>, SeqError> {
        let mut found = Vec::new();
        let mut info = sys::zeroed::<SeqPortInfo>();
        // The kernel starts the search at port + 1, and the port byte wraps: 255 starts at 0.
        info.addr = SeqAddr {
            client,
            port: u8::MAX,
        };
        loop {
            match sys::ioctl(self.fd.as_fd(), sys::QUERY_NEXT_PORT, &mut info) {
                Ok(()) => {
                    found.push(PortInfo::from(&info));
                    if info.addr.port == u8::MAX {
                        return Ok(found);
                    }
                }
                Err(err) if err.raw_os_error() == Some(libc::ENOENT) => return Ok(found),
                Err(err) => {
                    return Err(SeqError::Refused {
                        operation: "QUERY_NEXT_PORT",
                        source: err,
                    });
                }
            }
        }
    }

    /// Connects `sender` to `dest` (what `aconnect sender dest` does).
    pub fn subscribe(&self, sender: Address, dest: Address) -> Result<(), SeqError> {
        let mut sub = subscription(sender, dest);
        sys::ioctl(self.fd.as_fd(), sys::SUBSCRIBE_PORT, &mut sub)
            .map_err(refused("SUBSCRIBE_PORT"))
    }

    /// Removes the connection from `sender` to `dest`.
    pub fn unsubscribe(&self, sender: Address, dest: Address) -> Result<(), SeqError> {
        let mut sub = subscription(sender, dest);
        sys::ioctl(self.fd.as_fd(), sys::UNSUBSCRIBE_PORT, &mut sub)
            .map_err(refused("UNSUBSCRIBE_PORT"))
    }

    /// The ports that read from `port` (its output connections).
    pub fn readers_of(&self, port: Address) -> Result<Vec<Address>, SeqError> {
        let mut found = Vec::new();
        let mut query = sys::zeroed::<SeqQuerySubs>();
        query.root = SeqAddr {
            client: port.client,
            port: port.port,
        };
        query.query_type = 0; // SNDRV_SEQ_QUERY_SUBS_READ
        loop {
            query.index = found.len() as i32;
            match sys::ioctl(self.fd.as_fd(), sys::QUERY_SUBS, &mut query) {
                Ok(()) => found.push(query.addr.into()),
                Err(err) if err.raw_os_error() == Some(libc::ENOENT) => return Ok(found),
                Err(err) => {
                    return Err(SeqError::Refused {
                        operation: "QUERY_SUBS",
                        source: err,
                    });
                }
            }
        }
    }

    /// Stores this client's UMP endpoint record (`SET_CLIENT_UMP_INFO`, type 0).
    pub fn set_ump_endpoint(&self, endpoint: &UmpEndpoint) -> Result<(), SeqError> {
        self.require_ump("endpoint info")?;
        let raw = endpoint_record(endpoint)?;
        self.set_ump_record(client::UMP_INFO_ENDPOINT, sys::struct_bytes(&raw))
    }

    /// Stores function block `block` (0-based) of this client (`SET_CLIENT_UMP_INFO`, 1 + n).
    pub fn set_ump_block(&self, block: u8, info: &UmpBlock) -> Result<(), SeqError> {
        self.require_ump("block info")?;
        in_range("block", block as i64, 0, ump::MAX_BLOCKS as i64 - 1)?;
        let raw = block_record(block, info)?;
        self.set_ump_record(
            client::UMP_INFO_BLOCK + block as i32,
            sys::struct_bytes(&raw),
        )
    }

    fn set_ump_record(&self, info_type: i32, record: &[u8]) -> Result<(), SeqError> {
        let mut info = sys::zeroed::<SeqClientUmpInfo>();
        info.client = self.client as i32;
        info.info_type = info_type;
        info.info[..record.len()].copy_from_slice(record);
        sys::ioctl(self.fd.as_fd(), sys::SET_CLIENT_UMP_INFO, &mut info)
            .map_err(refused("SET_CLIENT_UMP_INFO"))
    }

    fn get_ump_record(&self, client: u8, info_type: i32) -> Result<[u8; 512], SeqError> {
        let mut info = sys::zeroed::<SeqClientUmpInfo>();
        info.client = client as i32;
        info.info_type = info_type;
        sys::ioctl(self.fd.as_fd(), sys::GET_CLIENT_UMP_INFO, &mut info)
            .map_err(refused("GET_CLIENT_UMP_INFO"))?;
        Ok(info.info)
    }

    /// Any UMP client's endpoint record, as the kernel stored it.
    pub fn ump_endpoint(&self, client: u8) -> Result<UmpEndpoint, SeqError> {
        let bytes = self.get_ump_record(client, client::UMP_INFO_ENDPOINT)?;
        let raw = sys::read_struct::<UmpEndpointInfo>(&bytes).expect("328 of 512 bytes");
        Ok(endpoint_from_record(&raw))
    }

    /// Any UMP client's function block `block` (0-based).
    pub fn ump_block(&self, client: u8, block: u8) -> Result<UmpBlock, SeqError> {
        in_range("block", block as i64, 0, ump::MAX_BLOCKS as i64 - 1)?;
        let bytes = self.get_ump_record(client, client::UMP_INFO_BLOCK + block as i32)?;
        let raw = sys::read_struct::<UmpBlockInfo>(&bytes).expect("180 of 512 bytes");
        Ok(block_from_record(&raw))
    }

    fn require_ump(&self, what: &'static str) -> Result<(), SeqError> {
        match self.format {
            CellFormat::Ump => Ok(()),
            CellFormat::Legacy => Err(SeqError::NotUmp { what }),
        }
    }

    /// Presents this client as a MIDI 2.0 UMP endpoint the way alsa-lib's
    /// `snd_seq_create_ump_endpoint` does: MIDI version from the protocol, the client named
    /// after the endpoint, the endpoint record stored, port 0 "MIDI 2.0" (the whole endpoint)
    /// and ports 1..=`groups` "Group n". Call [`Seq::create_ump_block`] for each block next.
    pub fn create_ump_endpoint(
        &mut self,
        endpoint: &UmpEndpoint,
        groups: u8,
    ) -> Result<(), SeqError> {
        in_range("group count", groups as i64, 1, ump::MAX_GROUPS as i64)?;
        let version = if endpoint.protocol & ump::PROTO_MIDI2 != 0 {
            MidiVersion::UmpMidi2
        } else {
            MidiVersion::UmpMidi1
        };
        self.set_midi_version(version)?;
        self.set_client_name(&endpoint.name)?;
        self.set_ump_endpoint(endpoint)?;
        self.create_port(&PortSpec::ump_endpoint())?;
        for group in 1..=groups {
            self.create_port(&PortSpec::ump_group(group))?;
        }
        Ok(())
    }

    /// Stores block `block` and opens the group ports it covers, named "Group n (block name)"
    /// and given the block's direction, as alsa-lib's `snd_seq_create_ump_block` does.
    pub fn create_ump_block(&self, block: u8, info: &UmpBlock) -> Result<(), SeqError> {
        let mut stored = info.clone();
        stored.active = true;
        if stored.midi_ci_version == 0 {
            stored.midi_ci_version = ump::DEFAULT_MIDI_CI_VERSION;
        }
        self.set_ump_block(block, &stored)?;
        let caps = match info.direction {
            ump::DIR_INPUT => port_cap::WRITE | port_cap::SYNC_WRITE | port_cap::SUBS_WRITE,
            ump::DIR_OUTPUT => port_cap::READ | port_cap::SYNC_READ | port_cap::SUBS_READ,
            _ => UMP_DUPLEX_CAPS,
        };
        for group in info.first_group..info.first_group.saturating_add(info.num_groups) {
            let port = group + 1;
            let mut raw = self.port_info_raw(Address {
                client: self.client,
                port,
            })?;
            let name = if info.name.is_empty() {
                format!("Group {port}")
            } else {
                format!("Group {port} ({})", info.name)
            };
            raw.name = name_field("port name", truncate_name(&name))?;
            raw.capability = caps;
            raw.direction = match info.direction {
                ump::DIR_INPUT => port_flags::DIR_INPUT,
                ump::DIR_OUTPUT => port_flags::DIR_OUTPUT,
                _ => port_flags::DIR_BIDIRECTION,
            };
            sys::ioctl(self.fd.as_fd(), sys::SET_PORT_INFO, &mut raw)
                .map_err(refused("SET_PORT_INFO"))?;
        }
        Ok(())
    }

    /// Reads what has arrived: every event of one `read()`, decoded. Empty when nothing is
    /// waiting. A cell that cannot be decoded is an `Err` in the list, not a failed read.
    pub fn read_events(&mut self) -> Result<Vec<Result<Event, DecodeError>>, SeqError> {
        match sys::read(self.fd.as_fd(), &mut self.read_buffer) {
            Ok(n) => Ok(event::decode_batch(&self.read_buffer[..n], self.format)),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(Vec::new()),
            Err(err) if err.raw_os_error() == Some(libc::ENOSPC) => Err(SeqError::InputOverflow),
            Err(err) => Err(SeqError::Refused {
                operation: "read",
                source: err,
            }),
        }
    }

    /// Sends `events` from our port `port` to every port subscribed to it, at once (no queue).
    /// All events are checked before anything is written.
    pub fn send(&self, port: u8, events: &[EventKind]) -> Result<(), SeqError> {
        let mut bytes = Vec::with_capacity(events.len() * 32);
        for (index, kind) in events.iter().enumerate() {
            event::encode(kind, port, self.format, &mut bytes)
                .map_err(|source| SeqError::Encode { index, source })?;
        }
        let mut sent = 0;
        while sent < bytes.len() {
            match sys::write(self.fd.as_fd(), &bytes[sent..]) {
                Ok(0) => {
                    return Err(SeqError::OutputFull {
                        sent,
                        total: bytes.len(),
                    });
                }
                Ok(n) => sent += n,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    return Err(SeqError::OutputFull {
                        sent,
                        total: bytes.len(),
                    });
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    return Err(SeqError::Refused {
                        operation: "write",
                        source: err,
                    });
                }
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for Seq {
    // The 128 KiB read buffer is no one's business in a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seq")
            .field("fd", &self.fd)
            .field("client", &self.client)
            .field("kernel_protocol", &self.kernel_protocol())
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl AsFd for Seq {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Seq {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

fn open_error(path: &Path, source: io::Error) -> SeqError {
    let path = path.to_path_buf();
    match source.raw_os_error() {
        Some(libc::ENOENT) | Some(libc::ENODEV) | Some(libc::ENXIO) => {
            SeqError::NoSequencer { path }
        }
        Some(libc::EACCES) | Some(libc::EPERM) => SeqError::PermissionDenied { path },
        _ => SeqError::Open { path, source },
    }
}

fn in_range(what: &'static str, value: i64, min: i64, max: i64) -> Result<i64, SeqError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(SeqError::OutOfRange {
            what,
            value,
            min,
            max,
        })
    }
}

fn subscription(sender: Address, dest: Address) -> SeqPortSubscribe {
    let mut sub = sys::zeroed::<SeqPortSubscribe>();
    sub.sender = SeqAddr {
        client: sender.client,
        port: sender.port,
    };
    sub.dest = SeqAddr {
        client: dest.client,
        port: dest.port,
    };
    sub
}

/// A NUL-terminated field of `N` bytes holding `name`, or why it cannot.
fn name_field<const N: usize>(what: &'static str, name: &str) -> Result<[u8; N], SeqError> {
    if name.as_bytes().contains(&0) {
        return Err(SeqError::NameHasNul {
            what,
            name: name.to_owned(),
        });
    }
    if name.len() > N - 1 {
        return Err(SeqError::NameTooLong {
            what,
            name: name.to_owned(),
            len: name.len(),
            max: N - 1,
        });
    }
    let mut field = [0u8; N];
    field[..name.len()].copy_from_slice(name.as_bytes());
    Ok(field)
}

/// `name` as it fits a client or port name: whole when it fits in [`MAX_NAME_BYTES`], else cut
/// at a character boundary and ended with an ellipsis, so a reader sees that it was shortened.
pub fn shorten_name(name: &str) -> std::borrow::Cow<'_, str> {
    if name.len() <= MAX_NAME_BYTES {
        return name.into();
    }
    const ELLIPSIS: &str = "\u{2026}";
    let mut end = MAX_NAME_BYTES - ELLIPSIS.len();
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ELLIPSIS}", name[..end].trim_end()).into()
}

/// `name` cut to [`MAX_NAME_BYTES`] at a character boundary (alsa-lib truncates the same way).
fn truncate_name(name: &str) -> &str {
    let mut end = name.len().min(MAX_NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// The text of a NUL-terminated field (lossy: the kernel does not check UTF-8).
fn c_string(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

fn endpoint_record(ep: &UmpEndpoint) -> Result<UmpEndpointInfo, SeqError> {
    if ep.protocol_caps & ep.protocol == 0 {
        return Err(SeqError::OutOfRange {
            what: "UMP protocol (not among the endpoint's protocol_caps)",
            value: ep.protocol as i64,
            min: 0,
            max: ep.protocol_caps as i64,
        });
    }
    in_range(
        "block count",
        ep.num_blocks as i64,
        0,
        ump::MAX_BLOCKS as i64,
    )?;
    let mut raw = sys::zeroed::<UmpEndpointInfo>();
    raw.flags = ep.flags;
    raw.protocol_caps = ep.protocol_caps;
    raw.protocol = ep.protocol;
    raw.num_blocks = ep.num_blocks as u32;
    raw.version = if ep.version == 0 {
        ump::DEFAULT_VERSION
    } else {
        ep.version
    };
    raw.family_id = ep.family_id;
    raw.model_id = ep.model_id;
    raw.manufacturer_id = ep.manufacturer_id;
    raw.sw_revision = ep.sw_revision;
    raw.name = name_field("UMP endpoint name", &ep.name)?;
    raw.product_id = name_field("UMP product id", &ep.product_id)?;
    Ok(raw)
}

fn endpoint_from_record(raw: &UmpEndpointInfo) -> UmpEndpoint {
    UmpEndpoint {
        name: c_string(&{ raw.name }),
        product_id: c_string(&{ raw.product_id }),
        protocol_caps: raw.protocol_caps,
        protocol: raw.protocol,
        num_blocks: raw.num_blocks.min(u8::MAX as u32) as u8,
        flags: raw.flags,
        version: raw.version,
        manufacturer_id: raw.manufacturer_id,
        family_id: raw.family_id,
        model_id: raw.model_id,
        sw_revision: raw.sw_revision,
    }
}

fn block_record(block: u8, info: &UmpBlock) -> Result<UmpBlockInfo, SeqError> {
    in_range(
        "first group",
        info.first_group as i64,
        0,
        ump::MAX_GROUPS as i64 - 1,
    )?;
    in_range(
        "group count",
        info.num_groups as i64,
        1,
        (ump::MAX_GROUPS - info.first_group.min(ump::MAX_GROUPS)) as i64,
    )?;
    let mut raw = sys::zeroed::<UmpBlockInfo>();
    raw.block_id = block;
    raw.direction = info.direction;
    raw.active = info.active as u8;
    raw.first_group = info.first_group;
    raw.num_groups = info.num_groups;
    raw.midi_ci_version = info.midi_ci_version;
    raw.ui_hint = info.ui_hint;
    raw.flags = info.flags;
    raw.name = name_field("UMP block name", &info.name)?;
    Ok(raw)
}

fn block_from_record(raw: &UmpBlockInfo) -> UmpBlock {
    UmpBlock {
        name: c_string(&{ raw.name }),
        direction: raw.direction,
        active: raw.active != 0,
        first_group: raw.first_group,
        num_groups: raw.num_groups,
        midi_ci_version: raw.midi_ci_version,
        ui_hint: raw.ui_hint,
        flags: raw.flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_shortened_with_an_ellipsis() {
        assert_eq!(shorten_name("Studio Bus (A)"), "Studio Bus (A)");
        let exact = "x".repeat(MAX_NAME_BYTES);
        assert_eq!(shorten_name(&exact), exact.as_str());
        let long = format!("{} (A)", "é".repeat(40));
        let short = shorten_name(&long);
        assert!(short.len() <= MAX_NAME_BYTES, "{} bytes", short.len());
        assert!(short.ends_with('\u{2026}'), "{short}");
        assert!(long.starts_with(short.trim_end_matches('\u{2026}')));
    }

    #[test]
    fn open_names_the_cause_of_a_missing_device() {
        let err = Seq::open_device(Path::new("/nonexistent/snd/seq")).unwrap_err();
        assert!(matches!(err, SeqError::NoSequencer { .. }), "{err:?}");
        assert!(err.to_string().contains("modprobe snd-seq"), "{err}");
        let denied = open_error(
            Path::new("/dev/snd/seq"),
            io::Error::from_raw_os_error(libc::EACCES),
        );
        assert!(denied.to_string().contains("`audio` group"), "{denied}");
    }

    #[test]
    fn a_device_that_is_not_a_sequencer_is_refused_by_name() {
        let err = Seq::open_device(Path::new("/dev/null")).unwrap_err();
        assert!(
            matches!(
                &err,
                SeqError::Refused {
                    operation: "PVERSION",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn names_must_fit_the_kernel_field() {
        let ok: [u8; 64] = name_field("port name", "Studio Bus (A)").unwrap();
        assert_eq!(c_string(&ok), "Studio Bus (A)");
        let long = "x".repeat(64);
        let err = name_field::<64>("port name", &long).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("port name {long:?} is 64 bytes; the sequencer keeps at most 63")
        );
        assert!(matches!(
            name_field::<64>("client name", "a\0b"),
            Err(SeqError::NameHasNul { .. })
        ));
        assert_eq!(truncate_name(&"é".repeat(40)).len(), 62);
        // The UMP records have 128-byte fields, and the error says so.
        let endpoint = "e".repeat(128);
        let err = name_field::<128>("UMP endpoint name", &endpoint).unwrap_err();
        assert!(err.to_string().ends_with("keeps at most 127"), "{err}");
        assert!(name_field::<128>("UMP endpoint name", &endpoint[..127]).is_ok());
    }

    #[test]
    fn endpoint_and_block_records_round_trip() {
        let ep = UmpEndpoint {
            name: "Studio Bus (A)".into(),
            product_id: "midi-loopback".into(),
            protocol_caps: ump::PROTO_MIDI1 | ump::PROTO_MIDI2,
            protocol: ump::PROTO_MIDI2,
            num_blocks: 1,
            flags: ump::EP_INFO_STATIC_BLOCKS,
            version: 0x0101,
            manufacturer_id: 0x7d,
            family_id: 1,
            model_id: 2,
            sw_revision: [0, 1, 0, 0],
        };
        let raw = endpoint_record(&ep).unwrap();
        assert_eq!(&sys::struct_bytes(&raw)[40..54], b"Studio Bus (A)");
        assert_eq!(endpoint_from_record(&raw), ep);
        let mismatched = UmpEndpoint {
            protocol: ump::PROTO_MIDI2,
            protocol_caps: ump::PROTO_MIDI1,
            ..ep
        };
        assert!(endpoint_record(&mismatched).is_err());

        let block = UmpBlock {
            name: "Bus".into(),
            direction: ump::DIR_BIDIRECTION,
            active: true,
            first_group: 0,
            num_groups: 1,
            midi_ci_version: 1,
            ui_hint: ump::BLOCK_UI_HINT_BOTH,
            flags: 0,
        };
        let raw = block_record(0, &block).unwrap();
        assert_eq!(block_from_record(&raw), block);
        let too_wide = UmpBlock {
            first_group: 15,
            num_groups: 2,
            ..block
        };
        assert!(block_record(0, &too_wide).is_err());
    }

    #[test]
    fn port_specs_follow_alsa_lib() {
        let duplex = PortSpec::duplex("Studio Bus (A)");
        assert_eq!(duplex.capability, 0b111_0011);
        assert_eq!(
            duplex.port_type,
            port_type::MIDI_GENERIC | port_type::APPLICATION
        );
        let ep = PortSpec::ump_endpoint();
        assert_eq!(
            (ep.name.as_str(), ep.number, ep.ump_group),
            ("MIDI 2.0", Some(0), 0)
        );
        assert_ne!(ep.capability & port_cap::UMP_ENDPOINT, 0);
        let group = PortSpec::ump_group(3);
        assert_eq!(
            (
                group.name.as_str(),
                group.number,
                group.ump_group,
                group.capability
            ),
            ("Group 3", Some(3), 3, 0)
        );
    }
}
