//! The Lua 5.1 engine (being written; until then scripts run as op lists).

pub mod libs;

use std::sync::Arc;

use super::engine::{Engine, Host, Interrupted, Invocation, Watchdog};
use crate::resp::Reply;

/// Placeholder with the final constructor.
#[derive(Debug)]
pub struct LuaEngine {
    _watchdog: Option<Arc<dyn Watchdog>>,
}

impl LuaEngine {
    pub fn new(watchdog: Option<Arc<dyn Watchdog>>) -> Self {
        LuaEngine {
            _watchdog: watchdog,
        }
    }
}

impl Engine for LuaEngine {
    fn run(&self, inv: &Invocation<'_>, host: &mut dyn Host) -> Result<Reply, Interrupted> {
        super::ops::OpsEngine.run(inv, host)
    }
    fn compile_check(&self, body: &[u8]) -> Result<(), String> {
        super::ops::OpsEngine.compile_check(body)
    }
}
