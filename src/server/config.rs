//! The server's configuration, as `fencekv serve` was started: what CONFIG
//! GET, INFO and the debug commands read, and the Redis version fencekv
//! answers as; the few settings CONFIG SET changes while the node runs
//! ([`Settings`]); and the SHUTDOWN command's way to the serve loop.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::Notify;

use super::storage::AppendFsync;

/// The Redis version fencekv answers as (HELLO, INFO).
pub const REDIS_VERSION: &str = "7.0.15";

/// The server's configuration, as CONFIG GET and INFO show it.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub bind: String,
    pub port: u16,
    pub dir: String,
    pub appendfsync: AppendFsync,
    pub debug_commands: bool,
    pub started: Instant,
    /// Every node's peer address (empty for a single node), for INFO.
    pub peers: BTreeMap<stateright::actor::Id, SocketAddr>,
    /// The transport's fault hooks (used only by debug commands).
    pub faults: Arc<super::peers::Faults>,
    /// The script engine and watchdog (SCRIPT LOAD, SCRIPT KILL, and the
    /// time limit CONFIG SET changes).
    pub scripts: super::scripts::Scripts,
    /// What CONFIG SET changed.
    pub settings: Arc<Settings>,
    /// SHUTDOWN's request to the serve loop, which then stops as on SIGTERM.
    pub shutdown: Arc<Notify>,
    /// The error replies sent, for INFO errorstats.
    pub errors: Arc<super::errorstats::ErrorStats>,
}

/// Redis's memory-layout knobs, as CONFIG SET last set them on this node
/// (per node, not replicated, like Redis's own configuration). They change
/// nothing: fencekv stores every value the same way. Keyed by canonical
/// name; absent: the default.
#[derive(Debug, Default)]
pub struct Settings {
    layout: Mutex<BTreeMap<&'static str, i64>>,
}

impl Settings {
    /// The knob's value, or `default` if never set.
    pub fn get(&self, name: &'static str, default: i64) -> i64 {
        self.layout
            .lock()
            .ok()
            .and_then(|m| m.get(name).copied())
            .unwrap_or(default)
    }

    /// Remember a value.
    pub fn set(&self, name: &'static str, value: i64) {
        if let Ok(mut m) = self.layout.lock() {
            m.insert(name, value);
        }
    }
}
