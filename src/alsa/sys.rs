//! The kernel's sequencer interface, byte for byte: `#[repr(C)]` mirrors of the structs in the
//! Linux uapi headers `sound/asequencer.h` (protocol 1.0.4) and `sound/asound.h` (the UMP
//! endpoint and block records), the ioctl numbers, the constants, and the few `unsafe` calls
//! (`ioctl`, `read`, `write`) that touch them. Nothing above this module is unsafe.
//!
//! Every struct here holds only integers and byte arrays, so any bit pattern is a valid value;
//! that is what lets [`zeroed`] and the ioctl wrappers stay sound. The layout test at the bottom
//! pins every size and every offset the rest of the module relies on, on the 64-bit Linux
//! targets this crate builds for.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// The protocol this module was written against (`SNDRV_SEQ_VERSION` 1.0.4). Declared to the
/// kernel with [`USER_PVERSION`]; anything below 1.0.3 makes the kernel ignore `midi_version`.
pub const PROTOCOL_VERSION: i32 = protocol_version(1, 0, 4);

/// `SNDRV_PROTOCOL_VERSION(major, minor, subminor)`.
pub const fn protocol_version(major: i32, minor: i32, subminor: i32) -> i32 {
    (major << 16) | (minor << 8) | subminor
}

/// Event types (`SNDRV_SEQ_EVENT_*`), the first byte of every event cell.
pub mod event_type {
    pub const SYSTEM: u8 = 0;
    pub const RESULT: u8 = 1;
    pub const NOTE: u8 = 5;
    pub const NOTEON: u8 = 6;
    pub const NOTEOFF: u8 = 7;
    pub const KEYPRESS: u8 = 8;
    pub const CONTROLLER: u8 = 10;
    pub const PGMCHANGE: u8 = 11;
    pub const CHANPRESS: u8 = 12;
    pub const PITCHBEND: u8 = 13;
    pub const SONGPOS: u8 = 20;
    pub const SONGSEL: u8 = 21;
    pub const QFRAME: u8 = 22;
    pub const START: u8 = 30;
    pub const CONTINUE: u8 = 31;
    pub const STOP: u8 = 32;
    pub const CLOCK: u8 = 36;
    pub const TUNE_REQUEST: u8 = 40;
    pub const RESET: u8 = 41;
    pub const SENSING: u8 = 42;
    pub const CLIENT_START: u8 = 60;
    pub const CLIENT_EXIT: u8 = 61;
    pub const CLIENT_CHANGE: u8 = 62;
    pub const PORT_START: u8 = 63;
    pub const PORT_EXIT: u8 = 64;
    pub const PORT_CHANGE: u8 = 65;
    pub const PORT_SUBSCRIBED: u8 = 66;
    pub const PORT_UNSUBSCRIBED: u8 = 67;
    pub const SYSEX: u8 = 130;
    pub const NONE: u8 = 255;
}

/// Event flag bits (`SNDRV_SEQ_TIME_*`, `SNDRV_SEQ_EVENT_LENGTH_*`, `SNDRV_SEQ_EVENT_UMP`).
pub mod event_flags {
    pub const TIME_STAMP_REAL: u8 = 1 << 0;
    pub const TIME_MODE_REL: u8 = 1 << 1;
    pub const LENGTH_FIXED: u8 = 0;
    pub const LENGTH_VARIABLE: u8 = 1 << 2;
    pub const LENGTH_VARUSR: u8 = 2 << 2;
    pub const LENGTH_MASK: u8 = 3 << 2;
    pub const PRIORITY_HIGH: u8 = 1 << 4;
    /// The cell is a 32-byte `snd_seq_ump_event` whose data is a UMP packet.
    pub const UMP: u8 = 1 << 5;
}

/// Special addresses and queues.
pub mod address {
    /// The kernel's own client (announcements, timer).
    pub const CLIENT_SYSTEM: u8 = 0;
    pub const UNKNOWN: u8 = 253;
    /// As a destination client: every port subscribed to the source port.
    pub const SUBSCRIBERS: u8 = 254;
    pub const BROADCAST: u8 = 255;
    /// As a queue: deliver at once, not through a scheduling queue.
    pub const QUEUE_DIRECT: u8 = 253;
}

/// Port capability bits (`SNDRV_SEQ_PORT_CAP_*`).
pub mod port_cap {
    pub const READ: u32 = 1 << 0;
    pub const WRITE: u32 = 1 << 1;
    pub const SYNC_READ: u32 = 1 << 2;
    pub const SYNC_WRITE: u32 = 1 << 3;
    pub const DUPLEX: u32 = 1 << 4;
    pub const SUBS_READ: u32 = 1 << 5;
    pub const SUBS_WRITE: u32 = 1 << 6;
    pub const NO_EXPORT: u32 = 1 << 7;
    pub const INACTIVE: u32 = 1 << 8;
    pub const UMP_ENDPOINT: u32 = 1 << 9;
}

/// Port type bits (`SNDRV_SEQ_PORT_TYPE_*`).
pub mod port_type {
    pub const SPECIFIC: u32 = 1 << 0;
    pub const MIDI_GENERIC: u32 = 1 << 1;
    pub const MIDI_UMP: u32 = 1 << 7;
    pub const HARDWARE: u32 = 1 << 16;
    pub const SOFTWARE: u32 = 1 << 17;
    pub const SYNTHESIZER: u32 = 1 << 18;
    pub const PORT: u32 = 1 << 19;
    pub const APPLICATION: u32 = 1 << 20;
}

/// Port flags and directions (`SNDRV_SEQ_PORT_FLG_*`, `SNDRV_SEQ_PORT_DIR_*`).
pub mod port_flags {
    /// `CREATE_PORT` uses the port number in `addr.port` instead of picking one.
    pub const GIVEN_PORT: u32 = 1 << 0;
    pub const IS_MIDI1: u32 = 1 << 3;
    pub const DIR_UNKNOWN: u8 = 0;
    pub const DIR_INPUT: u8 = 1;
    pub const DIR_OUTPUT: u8 = 2;
    pub const DIR_BIDIRECTION: u8 = 3;
}

/// Client types and MIDI versions (`snd_seq_client_type_t`, `SNDRV_SEQ_CLIENT_*`).
pub mod client {
    pub const TYPE_USER: i32 = 1;
    pub const TYPE_KERNEL: i32 = 2;
    pub const MIDI_LEGACY: u32 = 0;
    pub const MIDI_UMP_1_0: u32 = 1;
    pub const MIDI_UMP_2_0: u32 = 2;
    /// `snd_seq_client_ump_info.type`: 0 is the endpoint, 1 + n is function block n.
    pub const UMP_INFO_ENDPOINT: i32 = 0;
    pub const UMP_INFO_BLOCK: i32 = 1;
}

/// UMP endpoint and block constants from `sound/asound.h` (`SNDRV_UMP_*`).
pub mod ump {
    pub const EP_INFO_STATIC_BLOCKS: u32 = 0x01;
    pub const PROTO_MIDI1: u32 = 0x0100;
    pub const PROTO_MIDI2: u32 = 0x0200;
    pub const PROTO_JRTS_TX: u32 = 0x0001;
    pub const PROTO_JRTS_RX: u32 = 0x0002;
    pub const DIR_INPUT: u8 = 0x01;
    pub const DIR_OUTPUT: u8 = 0x02;
    pub const DIR_BIDIRECTION: u8 = 0x03;
    pub const BLOCK_UI_HINT_BOTH: u8 = 0x03;
    pub const MAX_GROUPS: u8 = 16;
    pub const MAX_BLOCKS: u8 = 32;
    /// UMP version 1.1, what alsa-lib writes when the caller leaves the version at 0.
    pub const DEFAULT_VERSION: u16 = 0x0101;
    /// MIDI-CI version 1, alsa-lib's default for a block.
    pub const DEFAULT_MIDI_CI_VERSION: u8 = 0x01;
}

/// `struct snd_seq_addr`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SeqAddr {
    pub client: u8,
    pub port: u8,
}

/// `struct snd_seq_event`: the 28-byte legacy event cell. `time` is the tick-or-real-time
/// union, `data` the 12-byte event-data union (note, control, ext, addr, connect …).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeqEvent {
    pub event_type: u8,
    pub flags: u8,
    pub tag: u8,
    pub queue: u8,
    pub time: [u32; 2],
    pub source: SeqAddr,
    pub dest: SeqAddr,
    pub data: [u8; 12],
}

/// `struct snd_seq_ump_event`: the 32-byte cell a UMP client reads, and writes when the UMP
/// flag is set. `data` is the same union as above, widened by `u32 ump[4]`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeqUmpEvent {
    pub event_type: u8,
    pub flags: u8,
    pub tag: u8,
    pub queue: u8,
    pub time: [u32; 2],
    pub source: SeqAddr,
    pub dest: SeqAddr,
    pub data: [u8; 16],
}

/// `struct snd_seq_system_info`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct SeqSystemInfo {
    pub queues: i32,
    pub clients: i32,
    pub ports: i32,
    pub channels: i32,
    pub cur_clients: i32,
    pub cur_queues: i32,
    pub reserved: [u8; 24],
}

/// `struct snd_seq_running_info`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct SeqRunningInfo {
    pub client: u8,
    pub big_endian: u8,
    pub cpu_mode: u8,
    pub pad: u8,
    pub reserved: [u8; 12],
}

/// `struct snd_seq_client_info`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SeqClientInfo {
    pub client: i32,
    pub client_type: i32,
    pub name: [u8; 64],
    pub filter: u32,
    pub multicast_filter: [u8; 8],
    pub event_filter: [u8; 32],
    pub num_ports: i32,
    pub event_lost: i32,
    pub card: i32,
    pub pid: i32,
    /// 0 legacy, 1 UMP MIDI 1.0, 2 UMP MIDI 2.0 (honoured from user protocol 1.0.3 on).
    pub midi_version: u32,
    pub group_filter: u32,
    pub reserved: [u8; 48],
}

/// `struct snd_seq_client_pool`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SeqClientPool {
    pub client: i32,
    pub output_pool: i32,
    pub input_pool: i32,
    pub output_room: i32,
    pub output_free: i32,
    pub input_free: i32,
    pub reserved: [u8; 64],
}

/// `struct snd_seq_port_info`. `kernel` is a pointer reserved for the kernel and must be 0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SeqPortInfo {
    pub addr: SeqAddr,
    pub name: [u8; 64],
    /// Alignment padding before `capability`, spelled out so no byte is uninitialised.
    pub pad0: [u8; 2],
    pub capability: u32,
    pub port_type: u32,
    pub midi_channels: i32,
    pub midi_voices: i32,
    pub synth_voices: i32,
    pub read_use: i32,
    pub write_use: i32,
    pub kernel: usize,
    pub flags: u32,
    pub time_queue: u8,
    pub direction: u8,
    /// 0 = the UMP endpoint itself (no conversion), 1–16 = that UMP group.
    pub ump_group: u8,
    pub reserved: [u8; 57],
}

/// `struct snd_seq_port_subscribe`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SeqPortSubscribe {
    pub sender: SeqAddr,
    pub dest: SeqAddr,
    pub voices: u32,
    pub flags: u32,
    pub queue: u8,
    pub pad: [u8; 3],
    pub reserved: [u8; 64],
}

/// `struct snd_seq_query_subs`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SeqQuerySubs {
    pub root: SeqAddr,
    /// Alignment padding, spelled out so no byte is uninitialised.
    pub pad0: [u8; 2],
    pub query_type: i32,
    pub index: i32,
    pub num_subs: i32,
    pub addr: SeqAddr,
    pub queue: u8,
    pub pad1: u8,
    pub flags: u32,
    pub reserved: [u8; 64],
}

/// `struct snd_seq_client_ump_info` (packed): `info` holds an endpoint or a block record.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct SeqClientUmpInfo {
    pub client: i32,
    pub info_type: i32,
    pub info: [u8; 512],
}

/// `struct snd_ump_endpoint_info` (packed, so `manufacturer_id` sits unaligned at 30).
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct UmpEndpointInfo {
    pub card: i32,
    pub device: i32,
    pub flags: u32,
    pub protocol_caps: u32,
    pub protocol: u32,
    pub num_blocks: u32,
    pub version: u16,
    pub family_id: u16,
    pub model_id: u16,
    pub manufacturer_id: u32,
    pub sw_revision: [u8; 4],
    pub padding: u16,
    pub name: [u8; 128],
    pub product_id: [u8; 128],
    pub reserved: [u8; 32],
}

/// `struct snd_ump_block_info` (packed).
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct UmpBlockInfo {
    pub card: i32,
    pub device: i32,
    pub block_id: u8,
    pub direction: u8,
    pub active: u8,
    pub first_group: u8,
    pub num_groups: u8,
    pub midi_ci_version: u8,
    pub sysex8_streams: u8,
    pub ui_hint: u8,
    pub flags: u32,
    pub name: [u8; 128],
    pub reserved: [u8; 32],
}

/// Marks the plain-data structs above: integers and byte arrays only, alignment padding spelled
/// out as fields (so every byte is initialised), every bit pattern valid.
///
/// # Safety
/// Implement only for `#[repr(C)]` structs made of integers and arrays of integers.
pub unsafe trait PlainData: Copy {}

// SAFETY: each of these is #[repr(C)] (or packed) and holds only integers and integer arrays.
unsafe impl PlainData for SeqAddr {}
// SAFETY: as above.
unsafe impl PlainData for SeqEvent {}
// SAFETY: as above.
unsafe impl PlainData for SeqUmpEvent {}
// SAFETY: as above.
unsafe impl PlainData for SeqSystemInfo {}
// SAFETY: as above.
unsafe impl PlainData for SeqRunningInfo {}
// SAFETY: as above.
unsafe impl PlainData for SeqClientInfo {}
// SAFETY: as above.
unsafe impl PlainData for SeqClientPool {}
// SAFETY: as above (`kernel` is a pointer-sized integer, always written as 0).
unsafe impl PlainData for SeqPortInfo {}
// SAFETY: as above.
unsafe impl PlainData for SeqPortSubscribe {}
// SAFETY: as above.
unsafe impl PlainData for SeqQuerySubs {}
// SAFETY: as above.
unsafe impl PlainData for SeqClientUmpInfo {}
// SAFETY: as above.
unsafe impl PlainData for UmpEndpointInfo {}
// SAFETY: as above.
unsafe impl PlainData for UmpBlockInfo {}
// SAFETY: a plain integer.
unsafe impl PlainData for i32 {}

/// An all-zero value of a plain-data struct — how the kernel wants reserved fields.
pub fn zeroed<T: PlainData>() -> T {
    // SAFETY: PlainData types are integers and integer arrays, for which all-zero is valid.
    unsafe { std::mem::zeroed() }
}

/// Reads a plain-data struct from the start of `bytes` (no alignment needed), or `None` when
/// `bytes` is shorter than the struct.
pub fn read_struct<T: PlainData>(bytes: &[u8]) -> Option<T> {
    if bytes.len() < size_of::<T>() {
        return None;
    }
    // SAFETY: the length was checked above, read_unaligned needs no alignment, and every bit
    // pattern is a valid T (PlainData).
    Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
}

/// The bytes of a plain-data struct, for writing it to the device or into another record.
pub fn struct_bytes<T: PlainData>(value: &T) -> &[u8] {
    // SAFETY: `value` is a live T of size_of::<T>() bytes; PlainData types spell out their
    // padding as fields, so every byte is initialised (the layout tests pin that the fields
    // tile the struct).
    unsafe { std::slice::from_raw_parts((value as *const T).cast::<u8>(), size_of::<T>()) }
}

// ioctl numbers, as the `_IOC` macros of the Linux uapi build them on x86_64 and aarch64.
const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;

/// `_IOC(dir, type, nr, size)`.
pub const fn ioc(dir: u32, kind: u8, nr: u8, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | ((kind as u32) << 8) | nr as u32
}
/// `_IOR(type, nr, T)`: the kernel writes T back.
pub const fn ior(kind: u8, nr: u8, size: usize) -> u32 {
    ioc(IOC_READ, kind, nr, size)
}
/// `_IOW(type, nr, T)`: the kernel reads T.
pub const fn iow(kind: u8, nr: u8, size: usize) -> u32 {
    ioc(IOC_WRITE, kind, nr, size)
}
/// `_IOWR(type, nr, T)`: both.
pub const fn iowr(kind: u8, nr: u8, size: usize) -> u32 {
    ioc(IOC_READ | IOC_WRITE, kind, nr, size)
}

// The numbers are written out (not computed) so a test can compare them with the computed
// `_IOR/_IOW/_IOWR` value: a struct whose size drifts then fails loudly.
pub const PVERSION: u32 = 0x8004_5300;
pub const CLIENT_ID: u32 = 0x8004_5301;
pub const SYSTEM_INFO: u32 = 0xc030_5302;
pub const RUNNING_MODE: u32 = 0xc010_5303;
pub const USER_PVERSION: u32 = 0x4004_5304;
pub const GET_CLIENT_INFO: u32 = 0xc0bc_5310;
pub const SET_CLIENT_INFO: u32 = 0x40bc_5311;
pub const GET_CLIENT_UMP_INFO: u32 = 0xc208_5312;
pub const SET_CLIENT_UMP_INFO: u32 = 0xc208_5313;
pub const CREATE_PORT: u32 = 0xc0a8_5320;
pub const DELETE_PORT: u32 = 0x40a8_5321;
pub const GET_PORT_INFO: u32 = 0xc0a8_5322;
pub const SET_PORT_INFO: u32 = 0x40a8_5323;
pub const SUBSCRIBE_PORT: u32 = 0x4050_5330;
pub const UNSUBSCRIBE_PORT: u32 = 0x4050_5331;
pub const GET_CLIENT_POOL: u32 = 0xc058_534b;
pub const SET_CLIENT_POOL: u32 = 0x4058_534c;
pub const QUERY_SUBS: u32 = 0xc058_534f;
pub const QUERY_NEXT_CLIENT: u32 = 0xc0bc_5351;
pub const QUERY_NEXT_PORT: u32 = 0xc0a8_5352;

/// Runs one sequencer ioctl on `fd` with `arg` as its in/out record.
///
/// Every request number above is paired with exactly one record type in [`super::seq`]; the
/// layout test pins that the size encoded in the number equals `size_of::<T>()`, so the kernel
/// never reads or writes past `arg`.
pub fn ioctl<T: PlainData>(fd: BorrowedFd<'_>, request: u32, arg: &mut T) -> io::Result<()> {
    // The kernel copies exactly the size encoded in the request; a mismatch would let it read
    // or write past `arg`, so refuse it here rather than trust every caller.
    let encoded = ((request >> 16) & 0x3fff) as usize;
    if encoded != size_of::<T>() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "ioctl {request:#x} carries {encoded} bytes, the record has {}",
                size_of::<T>()
            ),
        ));
    }
    // SAFETY: `fd` is an open descriptor for the duration of the borrow; `arg` points to a
    // live, writable T whose size equals the size encoded in `request` (checked above), and
    // T is plain data, so whatever the kernel writes back is a valid T.
    let rc = unsafe {
        libc::ioctl(
            fd.as_raw_fd(),
            request as libc::Ioctl,
            (arg as *mut T).cast::<libc::c_void>(),
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `read(2)` into `buf`; returns the number of bytes the kernel delivered.
pub fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is a live, writable byte buffer of `buf.len()` bytes and `fd` stays open
    // for the borrow.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// `write(2)` from `buf`; returns the number of bytes the kernel accepted.
pub fn write(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is a live byte buffer of `buf.len()` bytes and `fd` stays open for the
    // borrow.
    let n = unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    #[test]
    fn struct_sizes_match_the_kernel_header() {
        assert_eq!(size_of::<SeqAddr>(), 2);
        assert_eq!(size_of::<SeqEvent>(), 28);
        assert_eq!(size_of::<SeqUmpEvent>(), 32);
        assert_eq!(size_of::<SeqSystemInfo>(), 48);
        assert_eq!(size_of::<SeqRunningInfo>(), 16);
        assert_eq!(size_of::<SeqClientInfo>(), 188);
        assert_eq!(size_of::<SeqClientPool>(), 88);
        assert_eq!(size_of::<SeqPortInfo>(), 168);
        assert_eq!(size_of::<SeqPortSubscribe>(), 80);
        assert_eq!(size_of::<SeqQuerySubs>(), 88);
        assert_eq!(size_of::<SeqClientUmpInfo>(), 520);
        assert_eq!(size_of::<UmpEndpointInfo>(), 328);
        assert_eq!(size_of::<UmpBlockInfo>(), 180);
        // Both UMP records must fit the 512-byte info field they travel in.
        assert!(size_of::<UmpEndpointInfo>() <= 512 && size_of::<UmpBlockInfo>() <= 512);
    }

    #[test]
    fn event_field_offsets_match_the_kernel_header() {
        assert_eq!(offset_of!(SeqEvent, flags), 1);
        assert_eq!(offset_of!(SeqEvent, queue), 3);
        assert_eq!(offset_of!(SeqEvent, time), 4);
        assert_eq!(offset_of!(SeqEvent, source), 12);
        assert_eq!(offset_of!(SeqEvent, dest), 14);
        assert_eq!(offset_of!(SeqEvent, data), 16);
        assert_eq!(offset_of!(SeqUmpEvent, source), 12);
        assert_eq!(offset_of!(SeqUmpEvent, dest), 14);
        assert_eq!(offset_of!(SeqUmpEvent, data), 16);
    }

    #[test]
    fn client_and_port_offsets_match_the_kernel_header() {
        assert_eq!(offset_of!(SeqClientInfo, client_type), 4);
        assert_eq!(offset_of!(SeqClientInfo, name), 8);
        assert_eq!(offset_of!(SeqClientInfo, filter), 72);
        assert_eq!(offset_of!(SeqClientInfo, event_filter), 84);
        assert_eq!(offset_of!(SeqClientInfo, num_ports), 116);
        assert_eq!(offset_of!(SeqClientInfo, pid), 128);
        assert_eq!(offset_of!(SeqClientInfo, midi_version), 132);
        assert_eq!(offset_of!(SeqClientInfo, group_filter), 136);
        assert_eq!(offset_of!(SeqClientPool, input_pool), 8);
        assert_eq!(offset_of!(SeqPortInfo, name), 2);
        assert_eq!(offset_of!(SeqPortInfo, pad0), 66);
        assert_eq!(offset_of!(SeqPortInfo, capability), 68);
        assert_eq!(offset_of!(SeqPortInfo, port_type), 72);
        assert_eq!(offset_of!(SeqPortInfo, read_use), 88);
        assert_eq!(offset_of!(SeqPortInfo, write_use), 92);
        assert_eq!(offset_of!(SeqPortInfo, kernel), 96);
        assert_eq!(offset_of!(SeqPortInfo, flags), 104);
        assert_eq!(offset_of!(SeqPortInfo, time_queue), 108);
        assert_eq!(offset_of!(SeqPortInfo, direction), 109);
        assert_eq!(offset_of!(SeqPortInfo, ump_group), 110);
        assert_eq!(offset_of!(SeqPortSubscribe, voices), 4);
        assert_eq!(offset_of!(SeqPortSubscribe, queue), 12);
        assert_eq!(offset_of!(SeqQuerySubs, pad0), 2);
        assert_eq!(offset_of!(SeqQuerySubs, query_type), 4);
        assert_eq!(offset_of!(SeqQuerySubs, pad1), 19);
        assert_eq!(offset_of!(SeqQuerySubs, addr), 16);
        assert_eq!(offset_of!(SeqQuerySubs, flags), 20);
    }

    #[test]
    fn ump_record_offsets_match_the_kernel_header() {
        assert_eq!(offset_of!(SeqClientUmpInfo, info_type), 4);
        assert_eq!(offset_of!(SeqClientUmpInfo, info), 8);
        assert_eq!(offset_of!(UmpEndpointInfo, flags), 8);
        assert_eq!(offset_of!(UmpEndpointInfo, protocol_caps), 12);
        assert_eq!(offset_of!(UmpEndpointInfo, protocol), 16);
        assert_eq!(offset_of!(UmpEndpointInfo, num_blocks), 20);
        assert_eq!(offset_of!(UmpEndpointInfo, version), 24);
        assert_eq!(offset_of!(UmpEndpointInfo, family_id), 26);
        assert_eq!(offset_of!(UmpEndpointInfo, model_id), 28);
        assert_eq!(offset_of!(UmpEndpointInfo, manufacturer_id), 30);
        assert_eq!(offset_of!(UmpEndpointInfo, sw_revision), 34);
        assert_eq!(offset_of!(UmpEndpointInfo, name), 40);
        assert_eq!(offset_of!(UmpEndpointInfo, product_id), 168);
        assert_eq!(offset_of!(UmpEndpointInfo, reserved), 296);
        assert_eq!(offset_of!(UmpBlockInfo, block_id), 8);
        assert_eq!(offset_of!(UmpBlockInfo, direction), 9);
        assert_eq!(offset_of!(UmpBlockInfo, active), 10);
        assert_eq!(offset_of!(UmpBlockInfo, first_group), 11);
        assert_eq!(offset_of!(UmpBlockInfo, num_groups), 12);
        assert_eq!(offset_of!(UmpBlockInfo, midi_ci_version), 13);
        assert_eq!(offset_of!(UmpBlockInfo, ui_hint), 15);
        assert_eq!(offset_of!(UmpBlockInfo, flags), 16);
        assert_eq!(offset_of!(UmpBlockInfo, name), 20);
        assert_eq!(offset_of!(UmpBlockInfo, reserved), 148);
    }

    #[test]
    fn ioctl_numbers_match_their_ioc_encoding() {
        let s = b'S';
        let int = size_of::<i32>();
        let cases: [(u32, u32, &str); 20] = [
            (PVERSION, ior(s, 0x00, int), "PVERSION"),
            (CLIENT_ID, ior(s, 0x01, int), "CLIENT_ID"),
            (
                SYSTEM_INFO,
                iowr(s, 0x02, size_of::<SeqSystemInfo>()),
                "SYSTEM_INFO",
            ),
            (
                RUNNING_MODE,
                iowr(s, 0x03, size_of::<SeqRunningInfo>()),
                "RUNNING_MODE",
            ),
            (USER_PVERSION, iow(s, 0x04, int), "USER_PVERSION"),
            (
                GET_CLIENT_INFO,
                iowr(s, 0x10, size_of::<SeqClientInfo>()),
                "GET_CLIENT_INFO",
            ),
            (
                SET_CLIENT_INFO,
                iow(s, 0x11, size_of::<SeqClientInfo>()),
                "SET_CLIENT_INFO",
            ),
            (
                GET_CLIENT_UMP_INFO,
                iowr(s, 0x12, size_of::<SeqClientUmpInfo>()),
                "GET_UMP",
            ),
            (
                SET_CLIENT_UMP_INFO,
                iowr(s, 0x13, size_of::<SeqClientUmpInfo>()),
                "SET_UMP",
            ),
            (
                CREATE_PORT,
                iowr(s, 0x20, size_of::<SeqPortInfo>()),
                "CREATE_PORT",
            ),
            (
                DELETE_PORT,
                iow(s, 0x21, size_of::<SeqPortInfo>()),
                "DELETE_PORT",
            ),
            (
                GET_PORT_INFO,
                iowr(s, 0x22, size_of::<SeqPortInfo>()),
                "GET_PORT_INFO",
            ),
            (
                SET_PORT_INFO,
                iow(s, 0x23, size_of::<SeqPortInfo>()),
                "SET_PORT_INFO",
            ),
            (
                SUBSCRIBE_PORT,
                iow(s, 0x30, size_of::<SeqPortSubscribe>()),
                "SUBSCRIBE",
            ),
            (
                UNSUBSCRIBE_PORT,
                iow(s, 0x31, size_of::<SeqPortSubscribe>()),
                "UNSUBSCRIBE",
            ),
            (
                GET_CLIENT_POOL,
                iowr(s, 0x4b, size_of::<SeqClientPool>()),
                "GET_CLIENT_POOL",
            ),
            (
                SET_CLIENT_POOL,
                iow(s, 0x4c, size_of::<SeqClientPool>()),
                "SET_CLIENT_POOL",
            ),
            (
                QUERY_SUBS,
                iowr(s, 0x4f, size_of::<SeqQuerySubs>()),
                "QUERY_SUBS",
            ),
            (
                QUERY_NEXT_CLIENT,
                iowr(s, 0x51, size_of::<SeqClientInfo>()),
                "NEXT_CLIENT",
            ),
            (
                QUERY_NEXT_PORT,
                iowr(s, 0x52, size_of::<SeqPortInfo>()),
                "NEXT_PORT",
            ),
        ];
        for (written, computed, name) in cases {
            assert_eq!(written, computed, "{name}: {written:#x} != {computed:#x}");
        }
    }

    #[test]
    fn ioctl_refuses_a_record_of_the_wrong_size() {
        let file = std::fs::File::open("/dev/null").unwrap();
        use std::os::fd::AsFd;
        let mut wrong = zeroed::<SeqPortInfo>();
        let err = ioctl(file.as_fd(), GET_CLIENT_INFO, &mut wrong).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("188 bytes"), "{err}");
    }

    #[test]
    fn read_struct_needs_enough_bytes() {
        assert!(read_struct::<SeqEvent>(&[0u8; 27]).is_none());
        let mut bytes = [0u8; 28];
        bytes[0] = event_type::NOTEON;
        bytes[12] = 130;
        bytes[16] = 9;
        let event = read_struct::<SeqEvent>(&bytes).unwrap();
        assert_eq!(event.event_type, event_type::NOTEON);
        assert_eq!(event.source.client, 130);
        assert_eq!(event.data[0], 9);
        assert_eq!(struct_bytes(&event), &bytes[..]);
    }
}
