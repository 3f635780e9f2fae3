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
    /// The per-client limits (`client-query-buffer-limit`,
    /// `client-output-buffer-limit`, `timeout`; flags and CONFIG SET).
    pub limits: Arc<ClientLimits>,
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
/// password (`requirepass`; empty: none, the `nopass` user), how many
/// clients may be connected (`maxclients`), and whether clients from other
/// hosts need a password to be set (`protected-mode`).
pub struct Access {
    requirepass: Mutex<Bytes>,
    maxclients: AtomicU64,
    protected_mode: std::sync::atomic::AtomicBool,
}

/// The password is not shown.
impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("password_required", &self.password_required())
            .field("maxclients", &self.maxclients())
            .field("protected_mode", &self.protected_mode())
            .finish()
    }
}

impl Default for Access {
    fn default() -> Access {
        Access::new(Bytes::new(), DEFAULT_MAXCLIENTS, true)
    }
}

impl Access {
    pub fn new(requirepass: Bytes, maxclients: u64, protected_mode: bool) -> Access {
        Access {
            requirepass: Mutex::new(requirepass),
            maxclients: AtomicU64::new(maxclients),
            protected_mode: std::sync::atomic::AtomicBool::new(protected_mode),
        }
    }

    /// Redis's `protected-mode`: while on and no password is set, only
    /// loopback clients may connect.
    pub fn protected_mode(&self) -> bool {
        self.protected_mode.load(Ordering::Relaxed)
    }

    pub fn set_protected_mode(&self, on: bool) {
        self.protected_mode.store(on, Ordering::Relaxed);
    }

    /// Whether a client from `ip` is refused by protected mode.
    pub fn refuses(&self, ip: std::net::IpAddr) -> bool {
        self.protected_mode() && !self.password_required() && !ip.is_loopback()
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

/// Redis's default `client-query-buffer-limit`: 1 GiB.
pub const DEFAULT_QUERY_BUFFER_LIMIT: u64 = 1 << 30;
/// The smallest `client-query-buffer-limit` Redis 7.0 accepts: 1 MiB.
pub const MIN_QUERY_BUFFER_LIMIT: u64 = 1 << 20;

/// One class's `client-output-buffer-limit`: pending reply bytes above
/// `hard` close the connection at once; above `soft` for longer than
/// `soft_seconds`, too. 0 turns a limit off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

/// The client classes of `client-output-buffer-limit`, in Redis's order,
/// with its defaults. Only `normal` applies here (fencekv has no replica
/// or pub/sub clients); the others are kept for CONFIG GET.
const OUTPUT_CLASSES: [(&str, OutputLimit); 3] = [
    (
        "normal",
        OutputLimit {
            hard: 0,
            soft: 0,
            soft_seconds: 0,
        },
    ),
    (
        "slave",
        OutputLimit {
            hard: 256 << 20,
            soft: 64 << 20,
            soft_seconds: 60,
        },
    ),
    (
        "pubsub",
        OutputLimit {
            hard: 32 << 20,
            soft: 8 << 20,
            soft_seconds: 60,
        },
    ),
];

/// Limits on every client connection, as Redis's: how much unparsed input
/// a client may leave buffered, how much reply it may leave unread, and how
/// long it may stay idle. Read by each connection once per batch, so
/// CONFIG SET applies to open connections too, as in Redis.
#[derive(Debug)]
pub struct ClientLimits {
    query_buffer: AtomicU64,
    timeout_secs: AtomicU64,
    /// Every class, for CONFIG GET.
    output: Mutex<[OutputLimit; 3]>,
    /// The normal class's, read by every connection per batch without a
    /// lock: hard, soft, soft seconds.
    normal: [AtomicU64; 3],
}

impl Default for ClientLimits {
    fn default() -> ClientLimits {
        ClientLimits {
            query_buffer: AtomicU64::new(DEFAULT_QUERY_BUFFER_LIMIT),
            timeout_secs: AtomicU64::new(0),
            output: Mutex::new(OUTPUT_CLASSES.map(|(_, l)| l)),
            normal: [
                AtomicU64::new(OUTPUT_CLASSES[0].1.hard),
                AtomicU64::new(OUTPUT_CLASSES[0].1.soft),
                AtomicU64::new(OUTPUT_CLASSES[0].1.soft_seconds),
            ],
        }
    }
}

impl ClientLimits {
    pub fn query_buffer(&self) -> u64 {
        self.query_buffer.load(Ordering::Relaxed)
    }
    pub fn set_query_buffer(&self, n: u64) {
        self.query_buffer.store(n, Ordering::Relaxed);
    }
    /// Idle seconds before a client is closed (0: never).
    pub fn timeout_secs(&self) -> u64 {
        self.timeout_secs.load(Ordering::Relaxed)
    }
    pub fn set_timeout_secs(&self, n: u64) {
        self.timeout_secs.store(n, Ordering::Relaxed);
    }
    /// The limit of normal clients.
    pub fn output(&self) -> OutputLimit {
        OutputLimit {
            hard: self.normal[0].load(Ordering::Relaxed),
            soft: self.normal[1].load(Ordering::Relaxed),
            soft_seconds: self.normal[2].load(Ordering::Relaxed),
        }
    }
    /// CONFIG GET's text: `normal 0 0 0 slave 268435456 67108864 60 …`.
    pub fn output_text(&self) -> String {
        let all = match self.output.lock() {
            Ok(o) => *o,
            Err(p) => *p.into_inner(),
        };
        OUTPUT_CLASSES
            .iter()
            .zip(all)
            .map(|((name, _), l)| format!("{name} {} {} {}", l.hard, l.soft, l.soft_seconds))
            .collect::<Vec<_>>()
            .join(" ")
    }
    /// Set the classes `text` names (`normal 1mb 512kb 10 …`), all or none,
    /// with Redis 7.0's errors.
    pub fn set_output(&self, text: &str) -> Result<(), &'static str> {
        let parsed = parse_output_limits(text)?;
        let mut all = match self.output.lock() {
            Ok(o) => o,
            Err(p) => p.into_inner(),
        };
        for (class, limit) in parsed {
            all[class] = limit;
        }
        let n = all[0];
        for (slot, v) in self.normal.iter().zip([n.hard, n.soft, n.soft_seconds]) {
            slot.store(v, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Parse `client-output-buffer-limit`'s `<class> <hard> <soft> <seconds>`
/// groups, as Redis 7.0's config.c: class indices (0 normal, 1 slave alias
/// replica, 2 pubsub) with their limits, or Redis's error text.
pub fn parse_output_limits(text: &str) -> Result<Vec<(usize, OutputLimit)>, &'static str> {
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    if words.is_empty() || !words.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.");
    }
    words
        .chunks_exact(4)
        .map(|w| {
            let class = match w[0].to_ascii_lowercase().as_str() {
                "normal" => 0,
                "slave" | "replica" => 1,
                "pubsub" => 2,
                _ => return Err("Invalid client class specified in buffer limit configuration."),
            };
            let bad = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            let hard = memtoull(w[1].as_bytes()).ok_or(bad)?;
            let soft = memtoull(w[2].as_bytes()).ok_or(bad)?;
            let soft_seconds = w[3].parse::<u64>().map_err(|_| bad)?;
            Ok((
                class,
                OutputLimit {
                    hard,
                    soft,
                    soft_seconds,
                },
            ))
        })
        .collect()
}

/// Redis 7.0's `memtoull`: digits, then a unit (none, b, k, kb, m, mb, g,
/// gb, any case); a sign, a space or another unit is refused. As in C, the
/// digits saturate (`strtoull`), no digits read as 0, and the product wraps.
pub fn memtoull(arg: &[u8]) -> Option<u64> {
    if arg.first() == Some(&b'-') {
        return None;
    }
    let digits = arg.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = arg[digits..].to_ascii_lowercase();
    let mul: u64 = match &unit[..] {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits >= 128 {
        return None;
    }
    let value = arg[..digits].iter().fold(0u64, |v, &d| {
        v.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    Some(value.wrapping_mul(mul))
}

#[cfg(test)]
mod tests {
    use super::{parse_output_limits, ClientLimits, OutputLimit};

    #[test]
    fn output_limits_parse_and_show_as_redis() {
        let l = ClientLimits::default();
        assert_eq!(
            l.output_text(),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        l.set_output("NORMAL 1mb 1kb 5 replica 1 2 3")
            .expect("valid");
        assert_eq!(
            l.output(),
            OutputLimit {
                hard: 1 << 20,
                soft: 1024,
                soft_seconds: 5
            }
        );
        assert_eq!(
            l.output_text(),
            "normal 1048576 1024 5 slave 1 2 3 pubsub 33554432 8388608 60"
        );
        for (bad, why) in [
            ("", "Wrong number"),
            ("normal 1 2", "Wrong number"),
            ("master 0 0 0", "Invalid client class"),
            ("normal -1 0 0", "Error in hard"),
            ("normal 0 0 1.5", "Error in hard"),
        ] {
            let e = parse_output_limits(bad).expect_err(bad);
            assert!(e.starts_with(why), "{bad:?}: {e}");
        }
        // All or none: a bad group leaves every class as it was.
        assert!(l.set_output("normal 0 0 0 pubsub x 0 0").is_err());
        assert_eq!(l.output().hard, 1 << 20);
    }
}
