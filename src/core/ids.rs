//! Newtypes for the identifiers of pairs and endpoints, so they cannot be swapped by mistake.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Identifies a pair; used to update and remove it. Printed lower-case without braces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AssociationId(pub Uuid);

impl AssociationId {
    /// A fresh random (v4) association id.
    pub fn new_random() -> Self {
        AssociationId(Uuid::new_v4())
    }

    /// The form the configuration file uses as a key: upper-case, in braces.
    pub fn config_key(&self) -> String {
        format!("{{{}}}", self.0.hyphenated().to_string().to_uppercase())
    }

    /// The 32 hex digits, lower-case: the default unique identifier.
    pub fn simple_hex(&self) -> String {
        self.0.simple().to_string()
    }

    /// The first 8 hex digits, for narrow tables.
    pub fn short(&self) -> String {
        self.simple_hex()[..8].to_string()
    }
}

impl fmt::Display for AssociationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.hyphenated())
    }
}

/// The pair's serial number: ASCII letters and digits only, 1 to 32 of them, same on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UniqueIdentifier(String);

impl UniqueIdentifier {
    /// Wraps an already validated identifier; use [`crate::core::rules::clean_unique_identifier`]
    /// for user input.
    pub(crate) fn from_clean(s: String) -> Self {
        UniqueIdentifier(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Unique identifiers compare ignoring case.
    pub fn same_as(&self, other: &UniqueIdentifier) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl fmt::Display for UniqueIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One side of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Side {
    A,
    B,
}

impl Side {
    /// The side that receives what this side sends.
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }

    /// The direction of the traffic this side sends.
    pub fn outgoing(self) -> Direction {
        match self {
            Side::A => Direction::AToB,
            Side::B => Direction::BToA,
        }
    }

    pub fn letter(self) -> &'static str {
        match self {
            Side::A => "A",
            Side::B => "B",
        }
    }
}

/// Which way traffic crosses a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    AToB,
    BToA,
}

impl Direction {
    pub fn index(self) -> usize {
        match self {
            Direction::AToB => 0,
            Direction::BToA => 1,
        }
    }

    pub fn from_index(i: u8) -> Option<Direction> {
        match i {
            0 => Some(Direction::AToB),
            1 => Some(Direction::BToA),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Direction::AToB => "A→B",
            Direction::BToA => "B→A",
        }
    }
}

/// An endpoint's id: `midiu_loop_a_<unique id>` or `midiu_loop_b_<unique id>`, lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EndpointId(String);

impl EndpointId {
    pub fn for_side(unique: &UniqueIdentifier, side: Side) -> Self {
        let prefix = match side {
            Side::A => "midiu_loop_a_",
            Side::B => "midiu_loop_b_",
        };
        EndpointId(format!("{prefix}{}", unique.as_str().to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
