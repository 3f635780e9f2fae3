//! The oracle: a real redis-server 7.0, which fencekv's replies are compared
//! with byte for byte.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::ports::temp_dir;
use super::process::{kill, start_serving};
use super::resp::{Conn, Value};

/// A real `redis-server` (the oracle) on a free port, without persistence;
/// killed and its directory removed when dropped, also on panic.
pub struct RedisServer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

/// `REDIS_SERVER` overrides the binary (default `/usr/bin/redis-server`,
/// or `redis-server` from `PATH`).
fn redis_binary() -> String {
    if let Ok(b) = std::env::var("REDIS_SERVER") {
        return b;
    }
    if std::path::Path::new("/usr/bin/redis-server").exists() {
        "/usr/bin/redis-server".into()
    } else {
        "redis-server".into()
    }
}

/// Whether the oracle binary runs at all.
pub fn redis_available() -> bool {
    Command::new(redis_binary())
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl RedisServer {
    pub fn start() -> RedisServer {
        RedisServer::start_with(&[])
    }

    /// [`RedisServer::start`] with extra `redis-server` arguments
    /// (`["--databases", "1"]`).
    pub fn start_with(extra: &[&str]) -> RedisServer {
        // Built first so that its Drop removes the directory on any panic.
        let mut s = RedisServer {
            port: 0,
            dir: temp_dir("redis"),
            child: None,
        };
        let started = start_serving(|port| {
            Command::new(redis_binary())
                .args(["--port", &port.to_string()])
                .args(["--bind", "127.0.0.1"])
                .args(["--save", ""])
                .args(["--appendonly", "no"])
                .arg("--dir")
                .arg(&s.dir)
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot run {} ({e}); install redis-server 7.0 \
                         (apt-get install redis-server) or set REDIS_SERVER",
                        redis_binary()
                    )
                })
        });
        let Some((port, child)) = started else {
            panic!("redis-server did not start");
        };
        s.port = port;
        s.child = Some(child);
        s
    }

    /// The 7.0 oracle, or `None` (the caller skips its test, loudly) when no
    /// redis-server is installed — unless `FENCEKV_REQUIRE_REDIS=1` (as in
    /// CI), where a missing oracle fails the test.
    pub fn start_7_0() -> Option<RedisServer> {
        RedisServer::start_7_0_with(&[])
    }

    /// [`RedisServer::start_7_0`] with extra `redis-server` arguments.
    pub fn start_7_0_with(extra: &[&str]) -> Option<RedisServer> {
        if !redis_available() {
            assert!(
                std::env::var("FENCEKV_REQUIRE_REDIS").as_deref() != Ok("1"),
                "FENCEKV_REQUIRE_REDIS=1 but redis-server cannot run (apt-get install redis-server)"
            );
            eprintln!("SKIPPED: no redis-server to compare with (apt-get install redis-server)");
            return None;
        }
        let redis_server = RedisServer::start_with(extra);
        let version = redis_server.version();
        assert!(
            version.starts_with("7.0."),
            "the oracle must be redis-server 7.0 (fencekv follows 7.0's replies \
             and errors); found {version}. Set REDIS_SERVER to a 7.0 binary."
        );
        Some(redis_server)
    }

    pub fn conn(&self) -> Conn {
        Conn::connect(self.port)
    }

    /// `redis_version` from INFO server.
    pub fn version(&self) -> String {
        let info = self.conn().call(&["INFO", "server"]).value;
        let Value::Bulk(text) = info else {
            panic!("INFO server: {info:?}")
        };
        String::from_utf8_lossy(&text)
            .lines()
            .find_map(|l| l.strip_prefix("redis_version:"))
            .unwrap_or("unknown")
            .trim()
            .to_string()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        kill(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
