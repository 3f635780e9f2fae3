//! Scripts: EVAL and friends, run against a snapshot at `start_ts`.
//!
//! - [`engine`]: the seam between the node and a script engine.
//! - [`lua`]: Lua 5.1 through mlua, sandboxed like Redis 7.0.
//! - [`ops`]: the small deterministic op-list engine the model runs.
//! - [`context`]: the script context — snapshot reads through the read
//!   chain, a write buffer with read-your-writes, the read and write sets.

pub mod context;
pub mod engine;
pub mod lua;
pub mod ops;

pub use engine::{Engine, FunctionCall, Host, Interrupted, Invocation, Registered, Watchdog};
