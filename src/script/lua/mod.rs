//! The Lua 5.1 engine (to be written).

pub mod libs;
