//! The server's configuration, as `fencekv serve` was started: what CONFIG
//! GET, INFO and the debug commands read, and the Redis version fencekv
//! answers as; the few settings CONFIG SET changes while the node runs
//! ([`Settings`]); and the SHUTDOWN command's way to the serve loop.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::Notify;

use super::storage::AppendFsync;

/// The Redis version fencekv answers as (HELLO, INFO).
pub const REDIS_VERSION: &str = "7.0.15";

/// The server's configuration, as CONFIG GET and INFO show it.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub bind: String,
    /// The plain TCP port (0: none).
    pub port: u16,
    /// The client TLS listener, if there is one.
    pub tls: Option<TlsConfig>,
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
    /// The default user's password and the client limit (`--requirepass`,
    /// `--maxclients`, CONFIG SET).
    pub access: Arc<Access>,
}

/// The client TLS listener as CONFIG GET shows it.
#[derive(Clone, Debug)]
pub struct TlsConfig {
    pub port: u16,
    pub cert_file: String,
    pub key_file: String,
    /// Empty: none.
    pub ca_cert_file: String,
    pub auth_clients: super::tls::AuthClients,
}

/// Redis's default for `maxclients`.
pub const DEFAULT_MAXCLIENTS: u64 = 10_000;

/// Who may connect and run commands, on this node (CONFIG SET changes it
/// per node, as Redis's configuration is per instance): the default user's
/// password (`requirepass`; empty: none, the `nopass` user) and how many
/// clients may be connected (`maxclients`).
pub struct Access {
    requirepass: Mutex<Bytes>,
    maxclients: AtomicU64,
}

/// The password is not shown.
impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("password_required", &self.password_required())
            .field("maxclients", &self.maxclients())
            .finish()
    }
}

impl Default for Access {
    fn default() -> Access {
        Access::new(Bytes::new(), DEFAULT_MAXCLIENTS)
    }
}

impl Access {
    pub fn new(requirepass: Bytes, maxclients: u64) -> Access {
        Access {
            requirepass: Mutex::new(requirepass),
            maxclients: AtomicU64::new(maxclients),
        }
    }

    /// The password (empty: none).
    pub fn requirepass(&self) -> Bytes {
        self.requirepass
            .lock()
            .map(|p| p.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    pub fn set_requirepass(&self, pw: Bytes) {
        match self.requirepass.lock() {
            Ok(mut p) => *p = pw,
            Err(poisoned) => *poisoned.into_inner() = pw,
        }
    }

    /// Whether a password is set: a new connection starts unauthenticated.
    pub fn password_required(&self) -> bool {
        !self.requirepass().is_empty()
    }

    /// Whether `password` opens the default user: any password when none is
    /// set (`nopass`), else the password, compared in constant time (for
    /// passwords of the same length; a different length is a mismatch).
    pub fn check_password(&self, password: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        let pw = self.requirepass();
        pw.is_empty() || bool::from(pw.as_ref().ct_eq(password))
    }

    pub fn maxclients(&self) -> u64 {
        self.maxclients.load(Ordering::Relaxed)
    }

    pub fn set_maxclients(&self, n: u64) {
        self.maxclients.store(n, Ordering::Relaxed);
    }
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
