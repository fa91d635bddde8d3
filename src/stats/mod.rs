//! Statistics engines shared by the gates.

pub mod keyed;
