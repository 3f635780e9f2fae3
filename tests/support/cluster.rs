//! A local cluster for tests: N `fencekv serve --id i --peers …` processes on
//! loopback, each a [`Server`] with its own directory, plus helpers to find
//! the leader and read INFO fields.

use std::time::{Duration, Instant};

use redis::Commands;

use super::ports::free_port;
use super::server::Server;
use super::wait::{eventually, TIMEOUT};

/// N nodes, ids 1..=N at indices 0..N, sharing a cluster secret.
pub struct Cluster {
    pub nodes: Vec<Server>,
    /// The `--cluster-secret-file` every node was given.
    pub secret_file: std::path::PathBuf,
}

/// A fresh secret in its own directory, for `--cluster-secret-file`.
pub fn secret_file() -> std::path::PathBuf {
    let file = super::ports::temp_dir("secret").join("cluster-secret");
    let secret = format!("test-secret-{}-{:?}\n", std::process::id(), Instant::now());
    std::fs::write(&file, secret).expect("write the cluster secret");
    file
}

/// Short timers so elections settle in well under a second.
pub const FAST: &[&str] = &[
    "--election-timeout-ms",
    "150",
    "--heartbeat-ms",
    "30",
    "--request-timeout-ms",
    "2000",
    "--enable-debug-commands",
];

impl Cluster {
    /// Start `n` nodes (ids 1..=n) with the FAST timers and `extra` flags.
    pub fn start(n: usize, extra: &[&str]) -> Cluster {
        Cluster::start_each(n, extra, |_| Vec::new())
    }

    /// [`Cluster::start`], node `i` (1-based) also given `each(i)`'s flags.
    pub fn start_each(n: usize, extra: &[&str], each: impl Fn(usize) -> Vec<String>) -> Cluster {
        let peers: Vec<String> = (1..=n)
            .map(|i| format!("{i}=127.0.0.1:{}", free_port()))
            .collect();
        let peers = peers.join(",");
        let secret_file = secret_file();
        let secret = secret_file.display().to_string();
        let nodes = (1..=n)
            .map(|i| {
                let id = i.to_string();
                let own = each(i);
                let mut args: Vec<&str> = vec!["--id", &id, "--peers", &peers];
                args.extend_from_slice(&["--cluster-secret-file", &secret]);
                args.extend_from_slice(FAST);
                args.extend_from_slice(extra);
                args.extend(own.iter().map(|a| a.as_str()));
                Server::start(&args)
            })
            .collect();
        Cluster { nodes, secret_file }
    }

    /// The peer port of the node at `index`, from its `--peers`.
    pub fn peer_port(&self, index: usize) -> u16 {
        let args = &self.nodes[index].args;
        let peers = args
            .iter()
            .position(|a| a == "--peers")
            .and_then(|i| args.get(i + 1))
            .expect("--peers");
        let prefix = format!("{}=", index + 1);
        peers
            .split(',')
            .find_map(|p| p.strip_prefix(&prefix))
            .and_then(|a| a.rsplit(':').next())
            .and_then(|p| p.parse().ok())
            .expect("this node's peer port")
    }

    /// The index (0-based) of the node whose INFO says it leads, waiting up
    /// to `TIMEOUT` for one that every live node agrees on.
    pub fn leader(&self) -> usize {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let leaders: Vec<usize> = (0..self.nodes.len())
                .filter(|&i| self.nodes[i].running())
                .filter(|&i| info_field(&self.nodes[i], "role").as_deref() == Some("leader"))
                .collect();
            if leaders.len() == 1 {
                return leaders[0];
            }
            assert!(
                Instant::now() < deadline,
                "no single leader after {TIMEOUT:?}: {leaders:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn followers(&self) -> Vec<usize> {
        let l = self.leader();
        (0..self.nodes.len()).filter(|&i| i != l).collect()
    }

    /// Node ids as the cluster knows them (1-based).
    pub fn id(&self, index: usize) -> String {
        (index + 1).to_string()
    }
}

/// One field of the node's INFO fencekv section, if it answers.
pub fn info_field(s: &Server, field: &str) -> Option<String> {
    let mut c = redis::Client::open(s.url())
        .ok()?
        .get_connection_with_timeout(Duration::from_secs(2))
        .ok()?;
    let info: String = redis::cmd("INFO").arg("fencekv").query(&mut c).ok()?;
    info.lines().find_map(|l| {
        l.strip_prefix(&format!("{field}:"))
            .map(|v| v.trim().to_string())
    })
}

/// A numeric field of the node's INFO fencekv section; panics if missing.
pub fn info_count(s: &Server, field: &str) -> u64 {
    info_field(s, field)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("INFO fencekv has {field}"))
}

/// SET through node `s`, retrying while the cluster elects.
pub fn set_eventually(s: &Server, k: &str, v: &str) {
    eventually(&format!("SET {k} through :{}", s.port), || {
        let mut c = redis::Client::open(s.url()).ok()?.get_connection().ok()?;
        c.set::<_, _, ()>(k, v).ok()
    })
}
