//! The server's fixed configuration, as `fencekv serve` was started: what
//! CONFIG GET, INFO and the debug commands read, and the Redis version
//! fencekv answers as.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use super::storage::AppendFsync;

/// The Redis version fencekv answers as (HELLO, INFO).
pub const REDIS_VERSION: &str = "7.0.15";

/// The server's fixed configuration, as CONFIG GET and INFO show it.
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
    /// The script engine and watchdog (SCRIPT LOAD, SCRIPT KILL).
    pub scripts: super::scripts::Scripts,
}
