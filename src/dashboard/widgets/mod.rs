//! Reusable drawing pieces (bottom's `components`), apart from the panels that use them.

pub mod hints;
pub mod meter;
pub mod popup;
pub mod spark;
