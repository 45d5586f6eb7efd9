//! What every face agrees on: the pair and endpoint model, the validation rules, ids, UMP framing
//! and decoding, the configuration-file layout, the wire protocol and the error kinds.
//!
//! Nothing in here does I/O on sockets; the engine and the client both build on these pieces so
//! a rule or a format lives in exactly one place.

pub mod clock;
pub mod config;
pub mod error;
pub mod ids;
pub mod json_tree;
pub mod model;
pub mod network;
pub mod paths;
pub mod protocol;
pub mod rules;
pub mod ump;

pub use error::ErrorKind;
pub use ids::{AssociationId, Direction, EndpointId, Side, UniqueIdentifier};
pub use model::{
    DirectionStats, EndpointDefinition, EndpointInfo, NameSpec, PairDefinition, PairInfo, PairSpec,
    PairUpdate,
};
