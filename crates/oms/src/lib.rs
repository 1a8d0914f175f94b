//! EMP's order-management system.
#![doc = "(documentation written with the engine)"]

pub mod position;
pub mod risk;
