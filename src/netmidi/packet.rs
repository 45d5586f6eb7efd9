//! Network MIDI 2.0 datagrams: the signature `MIDI`, then command packets, each a header word
//! (command code, payload length in 32-bit words, 16 command-specific bits) and its payload.
//!
//! [`parse`] checks every field (lengths per command, name lengths, zero padding, UMP message
//! lengths by type nibble) and answers with values, never a panic: a datagram whose framing
//! is broken is a [`DatagramError`]; within a well-framed datagram each command is parsed on
//! its own, so one malformed command is a [`CommandError`] the session can NAK while the
//! others still count. [`encode`] builds datagrams; everything is big-endian on the wire.

use crate::core::ump::{FramingError, split_messages};
use thiserror::Error;

/// Every datagram starts with these four bytes.
pub const SIGNATURE: [u8; 4] = *b"MIDI";
/// The largest datagram we send. amidi2net reads into a 1,400-byte buffer, and it stays
/// below the usual path MTU, so nothing is fragmented.
pub const MAX_DATAGRAM_BYTES: usize = 1400;
/// The host's challenge.
pub const NONCE_BYTES: usize = 16;
/// SHA-256.
pub const DIGEST_BYTES: usize = 32;
/// The UMP endpoint name and product instance id limits (UMP endpoint name / product
/// instance id notifications carry at most this many bytes).
pub const MAX_ENDPOINT_NAME_BYTES: usize = 98;
pub const MAX_PRODUCT_INSTANCE_ID_BYTES: usize = 42;
/// A user name fills what the payload leaves after the digest: (255 − 8) words.
pub const MAX_USER_NAME_BYTES: usize = (255 - DIGEST_BYTES / 4) * 4;
/// The payload length field is one byte.
pub const MAX_PAYLOAD_WORDS: usize = 255;

/// Command codes.
pub mod code {
    pub const INVITATION: u8 = 0x01;
    pub const INVITATION_WITH_AUTH: u8 = 0x02;
    pub const INVITATION_WITH_USER_AUTH: u8 = 0x03;
    pub const ACCEPTED: u8 = 0x10;
    pub const PENDING: u8 = 0x11;
    pub const AUTH_REQUIRED: u8 = 0x12;
    pub const USER_AUTH_REQUIRED: u8 = 0x13;
    pub const PING: u8 = 0x20;
    pub const PING_REPLY: u8 = 0x21;
    /// amidi2net sends its NAK with this code instead of [`NAK`]; we accept both.
    pub const NAK_AMIDI2NET: u8 = 0x7F;
    pub const RETRANSMIT_REQUEST: u8 = 0x80;
    pub const RETRANSMIT_ERROR: u8 = 0x81;
    pub const SESSION_RESET: u8 = 0x82;
    pub const SESSION_RESET_REPLY: u8 = 0x83;
    pub const NAK: u8 = 0x8F;
    pub const BYE: u8 = 0xF0;
    pub const BYE_REPLY: u8 = 0xF1;
    pub const UMP_DATA: u8 = 0xFF;
}

/// Invitation capability bits (byte 3 of an invitation).
pub mod capability {
    /// The client can answer a shared-secret challenge.
    pub const AUTH: u8 = 1 << 0;
    /// The client can answer a user-name-and-password challenge.
    pub const USER_AUTH: u8 = 1 << 1;
}

/// Authentication state (byte 3 of a challenge).
pub mod auth_state {
    pub const FIRST: u8 = 0x00;
    pub const WRONG_DIGEST: u8 = 0x01;
    /// Sent by amidi2net for an unknown user; we answer [`WRONG_DIGEST`] instead (no hint
    /// about which user names exist).
    pub const USER_NOT_FOUND: u8 = 0x02;
}

/// NAK reasons.
pub mod nak_reason {
    pub const OTHER: u8 = 0x00;
    pub const NOT_SUPPORTED: u8 = 0x01;
    pub const NOT_EXPECTED: u8 = 0x02;
    pub const MALFORMED: u8 = 0x03;
    pub const BAD_PING_REPLY: u8 = 0x20;
}

/// Bye reasons.
pub mod bye_reason {
    pub const UNKNOWN: u8 = 0x00;
    pub const TERMINATED: u8 = 0x01;
    pub const POWER_DOWN: u8 = 0x02;
    pub const TOO_MANY_MISSING: u8 = 0x03;
    pub const TIMEOUT: u8 = 0x04;
    pub const SESSION_NOT_ESTABLISHED: u8 = 0x05;
    pub const NO_PENDING_SESSION: u8 = 0x06;
    pub const PROTOCOL_ERROR: u8 = 0x07;
    pub const TOO_MANY_SESSIONS: u8 = 0x40;
    pub const AUTH_MISSING_PRIOR_ATTEMPT: u8 = 0x41;
    pub const NOT_ACCEPTED: u8 = 0x42;
    pub const AUTH_FAILED: u8 = 0x43;
    pub const USER_NOT_FOUND: u8 = 0x44;
    pub const NO_MATCHING_AUTH: u8 = 0x45;
    pub const INVITATION_CANCELED: u8 = 0x80;
}

/// Retransmit error reasons.
pub mod retransmit_reason {
    pub const UNKNOWN: u8 = 0x00;
    pub const NO_DATA: u8 = 0x01;
}

/// A UMP endpoint as it introduces itself in an invitation or a reply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    endpoint_name: String,
    product_instance_id: String,
}

/// An endpoint name or product instance id we cannot put on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdentityError {
    #[error(
        "the endpoint name {name:?} has {bytes} bytes in UTF-8; Network MIDI allows at most {MAX_ENDPOINT_NAME_BYTES}"
    )]
    NameTooLong { name: String, bytes: usize },
    #[error(
        "the product instance id {id:?} has {bytes} bytes; Network MIDI allows at most {MAX_PRODUCT_INSTANCE_ID_BYTES}"
    )]
    ProductIdTooLong { id: String, bytes: usize },
    #[error(
        "the product instance id {id:?} must be printable ASCII (space to '~'), as UMP requires"
    )]
    ProductIdNotAscii { id: String },
    #[error("the {what} {text:?} contains a NUL character, which the wire uses as padding")]
    ContainsNul { what: &'static str, text: String },
}

impl Identity {
    /// Checks the limits the wire imposes: a name of at most 98 UTF-8 bytes, an id of at most
    /// 42 printable ASCII characters, neither containing NUL.
    pub fn new(endpoint_name: &str, product_instance_id: &str) -> Result<Identity, IdentityError> {
        if endpoint_name.len() > MAX_ENDPOINT_NAME_BYTES {
            return Err(IdentityError::NameTooLong {
                name: endpoint_name.to_string(),
                bytes: endpoint_name.len(),
            });
        }
        if endpoint_name.contains('\0') {
            return Err(IdentityError::ContainsNul {
                what: "endpoint name",
                text: endpoint_name.to_string(),
            });
        }
        if product_instance_id.len() > MAX_PRODUCT_INSTANCE_ID_BYTES {
            return Err(IdentityError::ProductIdTooLong {
                id: product_instance_id.to_string(),
                bytes: product_instance_id.len(),
            });
        }
        if !product_instance_id
            .bytes()
            .all(|b| (0x20..=0x7E).contains(&b))
        {
            return Err(IdentityError::ProductIdNotAscii {
                id: product_instance_id.to_string(),
            });
        }
        Ok(Identity {
            endpoint_name: endpoint_name.to_string(),
            product_instance_id: product_instance_id.to_string(),
        })
    }

    pub fn endpoint_name(&self) -> &str {
        &self.endpoint_name
    }

    pub fn product_instance_id(&self) -> &str {
        &self.product_instance_id
    }
}

/// One command packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Invitation {
        capabilities: u8,
        identity: Identity,
    },
    InvitationWithAuth {
        digest: [u8; DIGEST_BYTES],
    },
    InvitationWithUserAuth {
        digest: [u8; DIGEST_BYTES],
        user: String,
    },
    Accepted {
        identity: Identity,
    },
    Pending {
        identity: Identity,
    },
    AuthRequired {
        nonce: [u8; NONCE_BYTES],
        state: u8,
        identity: Identity,
    },
    UserAuthRequired {
        nonce: [u8; NONCE_BYTES],
        state: u8,
        identity: Identity,
    },
    /// The id is opaque bytes, echoed as received (amidi2net writes it in host order).
    Ping {
        id: [u8; 4],
    },
    PingReply {
        id: [u8; 4],
    },
    /// `count` 0 asks for everything from `seq` to the latest.
    RetransmitRequest {
        seq: u16,
        count: u16,
    },
    RetransmitError {
        seq: u16,
        reason: u8,
    },
    SessionReset,
    SessionResetReply,
    /// `code` is 0x8F (the specification) or 0x7F (amidi2net); we send 0x8F.
    Nak {
        code: u8,
        reason: u8,
        offending_header: u32,
        text: String,
    },
    Bye {
        reason: u8,
        text: String,
    },
    ByeReply,
    /// Zero or more whole UMP messages; an empty one is a keep-alive that still takes a
    /// sequence number.
    UmpData {
        seq: u16,
        words: Vec<u32>,
    },
    /// A code this protocol version does not define; its payload is skipped.
    Unknown {
        header: u32,
    },
}

/// Why a datagram could not be read at all (nothing in it is used).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DatagramError {
    #[error("a datagram of {len} bytes is too short; it needs at least the 4-byte signature")]
    TooShort { len: usize },
    #[error("the datagram starts with {found:02X?}, not the signature \"MIDI\"")]
    BadSignature { found: [u8; 4] },
    #[error("a datagram of {len} bytes is not a whole number of 32-bit words")]
    NotWordAligned { len: usize },
    #[error(
        "the command at byte {offset} (code 0x{code:02X}) declares {needed} payload bytes, but only {available} remain"
    )]
    Truncated {
        offset: usize,
        code: u8,
        needed: usize,
        available: usize,
    },
}

/// What is wrong with one command of a well-framed datagram.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Malformed {
    #[error("a payload of {words} word(s); this command takes {expected}")]
    WrongLength {
        words: usize,
        expected: &'static str,
    },
    #[error(
        "the endpoint name is said to take {name_words} words of a {payload_words}-word payload"
    )]
    NameOverrun {
        name_words: usize,
        payload_words: usize,
    },
    #[error("the {what} takes {bytes} bytes; at most {max} are allowed")]
    TextTooLong {
        what: &'static str,
        bytes: usize,
        max: usize,
    },
    #[error("the {what} has non-zero bytes after its NUL padding")]
    BadPadding { what: &'static str },
    #[error("the {what} is not valid UTF-8")]
    NotUtf8 { what: &'static str },
    #[error("the product instance id is not printable ASCII")]
    NotAscii,
    #[error("the user name is empty")]
    EmptyUserName,
    #[error("its UMP words do not divide into whole messages: {0}")]
    Ump(FramingError),
}

/// A command that could not be used, with its header so a NAK can quote it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("command 0x{:02X} (header 0x{header:08X}): {problem}", header >> 24)]
pub struct CommandError {
    pub header: u32,
    pub problem: Malformed,
}

impl CommandError {
    pub fn code(&self) -> u8 {
        (self.header >> 24) as u8
    }
}

/// Reads a datagram: its framing first (signature, word alignment, every command's declared
/// length within the datagram), then each command on its own.
pub fn parse(bytes: &[u8]) -> Result<Vec<Result<Command, CommandError>>, DatagramError> {
    if bytes.len() < 4 {
        return Err(DatagramError::TooShort { len: bytes.len() });
    }
    if bytes[..4] != SIGNATURE {
        let found = [bytes[0], bytes[1], bytes[2], bytes[3]];
        return Err(DatagramError::BadSignature { found });
    }
    if !bytes.len().is_multiple_of(4) {
        return Err(DatagramError::NotWordAligned { len: bytes.len() });
    }
    let mut spans = Vec::new();
    let mut offset = 4;
    while offset < bytes.len() {
        let header = word_at(bytes, offset);
        let needed = usize::from(bytes[offset + 1]) * 4;
        let available = bytes.len() - offset - 4;
        if needed > available {
            return Err(DatagramError::Truncated {
                offset,
                code: bytes[offset],
                needed,
                available,
            });
        }
        spans.push((header, &bytes[offset + 4..offset + 4 + needed]));
        offset += 4 + needed;
    }
    Ok(spans
        .into_iter()
        .map(|(header, payload)| {
            parse_command(header, payload).map_err(|problem| CommandError { header, problem })
        })
        .collect())
}

fn word_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn words_of(payload: &[u8]) -> Vec<u32> {
    payload
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn exact(payload: &[u8], words: usize, expected: &'static str) -> Result<(), Malformed> {
    if payload.len() != words * 4 {
        return Err(Malformed::WrongLength {
            words: payload.len() / 4,
            expected,
        });
    }
    Ok(())
}

fn parse_command(header: u32, payload: &[u8]) -> Result<Command, Malformed> {
    let [code, _, cs1, cs2] = header.to_be_bytes();
    let cs = u16::from_be_bytes([cs1, cs2]);
    let command = match code {
        code::INVITATION => Command::Invitation {
            capabilities: cs2,
            identity: parse_identity(cs1, payload)?,
        },
        code::ACCEPTED => Command::Accepted {
            identity: parse_identity(cs1, payload)?,
        },
        code::PENDING => Command::Pending {
            identity: parse_identity(cs1, payload)?,
        },
        code::AUTH_REQUIRED | code::USER_AUTH_REQUIRED => parse_challenge(code, cs1, cs2, payload)?,
        code::INVITATION_WITH_AUTH => {
            exact(payload, 8, "8 words (the SHA-256 digest)")?;
            Command::InvitationWithAuth {
                digest: payload.try_into().expect("32 bytes checked above"),
            }
        }
        code::INVITATION_WITH_USER_AUTH => parse_user_auth(payload)?,
        code::PING | code::PING_REPLY => {
            exact(payload, 1, "1 word (the ping id)")?;
            let id = [payload[0], payload[1], payload[2], payload[3]];
            if code == code::PING {
                Command::Ping { id }
            } else {
                Command::PingReply { id }
            }
        }
        code::RETRANSMIT_REQUEST => {
            exact(payload, 1, "1 word (the number of commands)")?;
            let count = u16::from_be_bytes([payload[0], payload[1]]);
            Command::RetransmitRequest { seq: cs, count }
        }
        code::RETRANSMIT_ERROR => {
            exact(payload, 1, "1 word (the sequence number)")?;
            let seq = u16::from_be_bytes([payload[0], payload[1]]);
            Command::RetransmitError { seq, reason: cs1 }
        }
        code::SESSION_RESET => no_payload(payload, Command::SessionReset)?,
        code::SESSION_RESET_REPLY => no_payload(payload, Command::SessionResetReply)?,
        code::BYE_REPLY => no_payload(payload, Command::ByeReply)?,
        code::NAK | code::NAK_AMIDI2NET => {
            if payload.len() < 4 {
                return Err(Malformed::WrongLength {
                    words: 0,
                    expected: "at least 1 word (the offending header)",
                });
            }
            Command::Nak {
                code,
                reason: cs1,
                offending_header: word_at(payload, 0),
                text: lossy_text(&payload[4..]),
            }
        }
        code::BYE => Command::Bye {
            reason: cs1,
            text: lossy_text(payload),
        },
        code::UMP_DATA => {
            let words = words_of(payload);
            split_messages(&words).map_err(Malformed::Ump)?;
            Command::UmpData { seq: cs, words }
        }
        _ => Command::Unknown { header },
    };
    Ok(command)
}

fn no_payload(payload: &[u8], command: Command) -> Result<Command, Malformed> {
    exact(payload, 0, "no payload")?;
    Ok(command)
}

fn parse_challenge(
    code: u8,
    name_words: u8,
    state: u8,
    payload: &[u8],
) -> Result<Command, Malformed> {
    if payload.len() < NONCE_BYTES {
        return Err(Malformed::WrongLength {
            words: payload.len() / 4,
            expected: "at least 4 words (the nonce)",
        });
    }
    let nonce: [u8; NONCE_BYTES] = payload[..NONCE_BYTES].try_into().expect("16 bytes");
    let identity = parse_identity(name_words, &payload[NONCE_BYTES..])?;
    Ok(if code == code::AUTH_REQUIRED {
        Command::AuthRequired {
            nonce,
            state,
            identity,
        }
    } else {
        Command::UserAuthRequired {
            nonce,
            state,
            identity,
        }
    })
}

fn parse_user_auth(payload: &[u8]) -> Result<Command, Malformed> {
    if payload.len() <= DIGEST_BYTES {
        return Err(Malformed::WrongLength {
            words: payload.len() / 4,
            expected: "at least 9 words (the digest and a user name)",
        });
    }
    let user = padded_text(&payload[DIGEST_BYTES..], "user name", MAX_USER_NAME_BYTES)?;
    if user.is_empty() {
        return Err(Malformed::EmptyUserName);
    }
    Ok(Command::InvitationWithUserAuth {
        digest: payload[..DIGEST_BYTES].try_into().expect("32 bytes"),
        user,
    })
}

/// The endpoint name (its length in words is given) followed by the product instance id.
fn parse_identity(name_words: u8, payload: &[u8]) -> Result<Identity, Malformed> {
    let name_words = usize::from(name_words);
    if name_words * 4 > payload.len() {
        return Err(Malformed::NameOverrun {
            name_words,
            payload_words: payload.len() / 4,
        });
    }
    let (name, id) = payload.split_at(name_words * 4);
    let endpoint_name = padded_text(name, "endpoint name", MAX_ENDPOINT_NAME_BYTES)?;
    let product_instance_id =
        padded_text(id, "product instance id", MAX_PRODUCT_INSTANCE_ID_BYTES)?;
    if !product_instance_id
        .bytes()
        .all(|b| (0x20..=0x7E).contains(&b))
    {
        return Err(Malformed::NotAscii);
    }
    Ok(Identity {
        endpoint_name,
        product_instance_id,
    })
}

/// A string zero-padded to whole words (amidi2net also counts a terminating NUL): the text
/// ends at the first NUL and everything after it must be NUL too.
fn padded_text(bytes: &[u8], what: &'static str, max: usize) -> Result<String, Malformed> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    if bytes[end..].iter().any(|&b| b != 0) {
        return Err(Malformed::BadPadding { what });
    }
    if end > max {
        return Err(Malformed::TextTooLong {
            what,
            bytes: end,
            max,
        });
    }
    String::from_utf8(bytes[..end].to_vec()).map_err(|_| Malformed::NotUtf8 { what })
}

/// Bye and NAK texts are for people; a bad byte there should not cost the command.
fn lossy_text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

impl Command {
    /// The bytes this command takes on the wire, header included.
    pub fn encoded_len(&self) -> usize {
        4 + 4 * self.payload_words()
    }

    fn payload_words(&self) -> usize {
        match self {
            Command::Invitation { identity, .. }
            | Command::Accepted { identity }
            | Command::Pending { identity } => identity_words(identity),
            Command::AuthRequired { identity, .. } | Command::UserAuthRequired { identity, .. } => {
                NONCE_BYTES / 4 + identity_words(identity)
            }
            Command::InvitationWithAuth { .. } => DIGEST_BYTES / 4,
            Command::InvitationWithUserAuth { user, .. } => {
                DIGEST_BYTES / 4 + text_words(user, MAX_USER_NAME_BYTES)
            }
            Command::Ping { .. }
            | Command::PingReply { .. }
            | Command::RetransmitRequest { .. }
            | Command::RetransmitError { .. } => 1,
            Command::SessionReset | Command::SessionResetReply | Command::ByeReply => 0,
            Command::Nak { text, .. } => 1 + text_words(text, (MAX_PAYLOAD_WORDS - 1) * 4),
            Command::Bye { text, .. } => text_words(text, MAX_PAYLOAD_WORDS * 4),
            Command::UmpData { words, .. } => words.len().min(MAX_PAYLOAD_WORDS),
            Command::Unknown { .. } => 0,
        }
    }

    /// Appends this command (header and payload). Texts longer than their field are cut at a
    /// character boundary; UMP data longer than 255 words is cut (callers send whole
    /// messages of at most 64 words per command).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let words = self.payload_words() as u8;
        let head = |out: &mut Vec<u8>, code: u8, cs1: u8, cs2: u8| {
            out.extend_from_slice(&[code, words, cs1, cs2]);
        };
        match self {
            Command::Invitation {
                capabilities,
                identity,
            } => {
                head(out, code::INVITATION, name_words(identity), *capabilities);
                put_identity(out, identity);
            }
            Command::Accepted { identity } | Command::Pending { identity } => {
                let code = if matches!(self, Command::Accepted { .. }) {
                    code::ACCEPTED
                } else {
                    code::PENDING
                };
                head(out, code, name_words(identity), 0);
                put_identity(out, identity);
            }
            Command::AuthRequired {
                nonce,
                state,
                identity,
            }
            | Command::UserAuthRequired {
                nonce,
                state,
                identity,
            } => {
                let code = if matches!(self, Command::AuthRequired { .. }) {
                    code::AUTH_REQUIRED
                } else {
                    code::USER_AUTH_REQUIRED
                };
                head(out, code, name_words(identity), *state);
                out.extend_from_slice(nonce);
                put_identity(out, identity);
            }
            _ => self.encode_rest(out, words),
        }
    }

    fn encode_rest(&self, out: &mut Vec<u8>, words: u8) {
        let head = |out: &mut Vec<u8>, code: u8, cs: u16| {
            out.extend_from_slice(&[code, words]);
            out.extend_from_slice(&cs.to_be_bytes());
        };
        match self {
            Command::InvitationWithAuth { digest } => {
                head(out, code::INVITATION_WITH_AUTH, 0);
                out.extend_from_slice(digest);
            }
            Command::InvitationWithUserAuth { digest, user } => {
                head(out, code::INVITATION_WITH_USER_AUTH, 0);
                out.extend_from_slice(digest);
                put_text(out, user, MAX_USER_NAME_BYTES);
            }
            Command::Ping { id } | Command::PingReply { id } => {
                let code = if matches!(self, Command::Ping { .. }) {
                    code::PING
                } else {
                    code::PING_REPLY
                };
                head(out, code, 0);
                out.extend_from_slice(id);
            }
            Command::RetransmitRequest { seq, count } => {
                head(out, code::RETRANSMIT_REQUEST, *seq);
                out.extend_from_slice(&count.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
            }
            Command::RetransmitError { seq, reason } => {
                head(out, code::RETRANSMIT_ERROR, u16::from(*reason) << 8);
                out.extend_from_slice(&seq.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
            }
            Command::SessionReset => head(out, code::SESSION_RESET, 0),
            Command::SessionResetReply => head(out, code::SESSION_RESET_REPLY, 0),
            Command::ByeReply => head(out, code::BYE_REPLY, 0),
            Command::Nak {
                reason,
                offending_header,
                text,
                ..
            } => {
                head(out, code::NAK, u16::from(*reason) << 8);
                out.extend_from_slice(&offending_header.to_be_bytes());
                put_text(out, text, (MAX_PAYLOAD_WORDS - 1) * 4);
            }
            Command::Bye { reason, text } => {
                head(out, code::BYE, u16::from(*reason) << 8);
                put_text(out, text, MAX_PAYLOAD_WORDS * 4);
            }
            Command::UmpData { seq, words } => {
                head(out, code::UMP_DATA, *seq);
                for w in words.iter().take(MAX_PAYLOAD_WORDS) {
                    out.extend_from_slice(&w.to_be_bytes());
                }
            }
            Command::Unknown { header } => {
                out.extend_from_slice(&(header & 0xFF00_FFFF).to_be_bytes());
            }
            _ => unreachable!("identity commands are encoded by encode()"),
        }
    }
}

fn name_words(identity: &Identity) -> u8 {
    identity.endpoint_name.len().div_ceil(4) as u8
}

fn identity_words(identity: &Identity) -> usize {
    identity.endpoint_name.len().div_ceil(4) + identity.product_instance_id.len().div_ceil(4)
}

fn put_identity(out: &mut Vec<u8>, identity: &Identity) {
    put_text(out, &identity.endpoint_name, MAX_ENDPOINT_NAME_BYTES);
    put_text(
        out,
        &identity.product_instance_id,
        MAX_PRODUCT_INSTANCE_ID_BYTES,
    );
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn clipped(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn text_words(text: &str, max: usize) -> usize {
    clipped(text, max).len().div_ceil(4)
}

fn put_text(out: &mut Vec<u8>, text: &str, max: usize) {
    let text = clipped(text, max);
    out.extend_from_slice(text.as_bytes());
    out.resize(out.len() + (4 - text.len() % 4) % 4, 0);
}

/// A datagram carrying `commands` in order.
pub fn encode(commands: &[Command]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + commands.iter().map(Command::encoded_len).sum::<usize>());
    out.extend_from_slice(&SIGNATURE);
    for c in commands {
        c.encode(&mut out);
    }
    out
}

#[cfg(test)]
mod tests;
