//! INFO: the sections fencekv knows and their text in Redis's format, from
//! the node's counters and the server's configuration.

use std::fmt::Write as _;

use bytes::Bytes;

use crate::resp::Reply;

use super::super::config::{ServerConfig, REDIS_VERSION};
use super::super::handle::NodeInfo;

/// An INFO section fencekv knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Server,
    Clients,
    Memory,
    Persistence,
    Stats,
    Replication,
    Errorstats,
    Keyspace,
    Fencekv,
}

/// Redis's order.
const DEFAULT_SECTIONS: [Section; 9] = [
    Section::Server,
    Section::Clients,
    Section::Memory,
    Section::Persistence,
    Section::Stats,
    Section::Replication,
    Section::Errorstats,
    Section::Keyspace,
    Section::Fencekv,
];

/// `INFO [section …]`: unknown sections are silently empty, as in Redis.
pub fn info_sections(args: &[Bytes]) -> Vec<Section> {
    if args.is_empty() {
        return DEFAULT_SECTIONS.to_vec();
    }
    let mut out = Vec::new();
    for a in args {
        let a = a.to_ascii_lowercase();
        let add: &[Section] = match &a[..] {
            b"default" | b"all" | b"everything" => &DEFAULT_SECTIONS,
            b"server" => &[Section::Server],
            b"clients" => &[Section::Clients],
            b"memory" => &[Section::Memory],
            b"stats" => &[Section::Stats],
            b"errorstats" => &[Section::Errorstats],
            b"persistence" => &[Section::Persistence],
            b"replication" => &[Section::Replication],
            b"keyspace" => &[Section::Keyspace],
            b"fencekv" => &[Section::Fencekv],
            _ => &[],
        };
        for s in add {
            if !out.contains(s) {
                out.push(*s);
            }
        }
    }
    out
}

/// What an empty Lua VM takes (Redis 7.0 reports 32 KiB for its eval VM).
const LUA_VM_BYTES: u64 = 32 * 1024;

fn kv(out: &mut String, k: &str, v: &dyn std::fmt::Display) {
    let _ = write!(out, "{k}:{v}\r\n");
}

/// Whether rendering needs the key count (a walk over the keyspace).
pub fn needs_keyspace(sections: &[Section]) -> bool {
    sections.contains(&Section::Keyspace)
}

/// The INFO text for `sections` (Redis's format: `# Name` then `key:value`
/// lines, CRLF, a blank line between sections).
pub fn render_info(
    sections: &[Section],
    node: &NodeInfo,
    cfg: &ServerConfig,
    clients: usize,
) -> Reply {
    let errors = cfg.errors.snapshot();
    let mut out = String::new();
    for (i, s) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        match s {
            Section::Server => {
                let uptime = cfg.started.elapsed().as_secs();
                out.push_str("# Server\r\n");
                kv(&mut out, "redis_version", &REDIS_VERSION);
                kv(&mut out, "fencekv_version", &env!("CARGO_PKG_VERSION"));
                kv(&mut out, "redis_mode", &"standalone");
                kv(&mut out, "os", &std::env::consts::OS);
                kv(&mut out, "arch_bits", &(usize::BITS));
                kv(&mut out, "process_id", &std::process::id());
                kv(&mut out, "tcp_port", &cfg.port);
                kv(&mut out, "uptime_in_seconds", &uptime);
                kv(&mut out, "uptime_in_days", &(uptime / 86400));
                kv(&mut out, "executable", &"fencekv");
            }
            Section::Clients => {
                out.push_str("# Clients\r\n");
                kv(&mut out, "connected_clients", &clients);
                kv(&mut out, "maxclients", &cfg.access.maxclients());
                kv(&mut out, "blocked_clients", &node.blocked_clients);
            }
            Section::Memory => {
                // Honest approximations: fencekv does not account its heap.
                // The script cache is replicated data; its size is the
                // bodies and their SHA keys. Each script runs in a fresh Lua
                // state of about Redis's empty-VM size.
                let (scripts, script_bytes) = node.cached_scripts;
                out.push_str("# Memory\r\n");
                kv(&mut out, "used_memory_vm_eval", &LUA_VM_BYTES);
                kv(&mut out, "used_memory_scripts_eval", &script_bytes);
                kv(&mut out, "number_of_cached_scripts", &scripts);
                kv(&mut out, "number_of_functions", &node.functions.0);
                kv(&mut out, "used_memory_vm_functions", &LUA_VM_BYTES);
                kv(&mut out, "used_memory_vm_total", &(2 * LUA_VM_BYTES));
                kv(&mut out, "used_memory_functions", &node.functions.1);
                kv(
                    &mut out,
                    "used_memory_scripts",
                    &(script_bytes + node.functions.1),
                );
            }
            Section::Stats => {
                out.push_str("# Stats\r\n");
                kv(&mut out, "total_error_replies", &errors.total);
                kv(&mut out, "unexpected_error_replies", &0);
            }
            Section::Errorstats => {
                out.push_str("# Errorstats\r\n");
                for (code, n) in &errors.by_code {
                    kv(
                        &mut out,
                        &format!("errorstat_{code}"),
                        &format!("count={n}"),
                    );
                }
            }
            Section::Persistence => {
                out.push_str("# Persistence\r\n");
                kv(&mut out, "loading", &0);
                kv(&mut out, "aof_enabled", &0);
                kv(&mut out, "appendfsync", &cfg.appendfsync.name());
                kv(&mut out, "log_entries", &node.log_entries);
                kv(&mut out, "log_entries_persisted", &node.persisted_entries);
                kv(&mut out, "log_batches", &node.storage_batches);
                kv(&mut out, "log_syncs", &node.storage_syncs);
                kv(&mut out, "log_sync_pending", &(node.sync_pending as u8));
            }
            Section::Replication => {
                out.push_str("# Replication\r\n");
                kv(&mut out, "role", &"master");
                kv(&mut out, "connected_slaves", &0);
            }
            Section::Keyspace => {
                out.push_str("# Keyspace\r\n");
                if let Some((keys, expires)) = node.keys {
                    if keys > 0 {
                        kv(
                            &mut out,
                            "db0",
                            &format!("keys={keys},expires={expires},avg_ttl=0"),
                        );
                    }
                }
            }
            Section::Fencekv => {
                out.push_str("# Fencekv\r\n");
                kv(&mut out, "role", &node.role);
                kv(&mut out, "term", &node.term);
                kv(&mut out, "cluster_size", &cfg.peers.len().max(1));
                kv(
                    &mut out,
                    "leader",
                    &node
                        .leader
                        .map(|l| usize::from(l).to_string())
                        .unwrap_or_else(|| "none".into()),
                );
                if let Some(addr) = node.leader.and_then(|l| cfg.peers.get(&l)) {
                    kv(&mut out, "leader_peer_addr", addr);
                }
                kv(&mut out, "commit_index", &node.commit_index);
                kv(&mut out, "applied_index", &node.applied_index);
                kv(&mut out, "log_entries", &node.log_entries);
                kv(&mut out, "last_snapshot_index", &node.snapshot_index);
                kv(
                    &mut out,
                    "log_entries_held",
                    &(node.log_entries - node.snapshot_index),
                );
                kv(
                    &mut out,
                    "snapshots_installed",
                    &node.stats.snapshots_installed,
                );
                kv(&mut out, "read_fences", &node.stats.read_fences);
                kv(&mut out, "fence_rounds", &node.stats.fence_rounds);
                let st = &node.stats;
                // Of the reads and scripts that passed: those served under
                // the lease, those served here as a follower with the
                // leader's read index, and those that waited for a round.
                kv(&mut out, "lease_reads", &st.lease_reads);
                kv(&mut out, "follower_reads", &st.follower_reads);
                kv(
                    &mut out,
                    "fenced_reads",
                    &st.read_fences
                        .saturating_sub(st.lease_reads + st.follower_reads),
                );
                kv(&mut out, "lease_expiries", &st.lease_expiries);
                kv(&mut out, "scripts_run", &st.scripts_run);
                kv(&mut out, "script_fences", &st.script_fences);
                kv(
                    &mut out,
                    "script_fences_per_script",
                    &format!(
                        "{:.2}",
                        st.script_fences as f64 / st.scripts_run.max(1) as f64
                    ),
                );
                kv(&mut out, "script_runs", &st.script_attempts);
                kv(&mut out, "script_commits", &st.script_commits);
                kv(&mut out, "script_conflicts", &st.script_conflicts);
                kv(&mut out, "script_retries", &st.script_retries);
                kv(&mut out, "exec_watch_aborts", &st.watch_aborts);
                kv(
                    &mut out,
                    "modes",
                    &if node.gaps.is_empty() {
                        "safe".to_string()
                    } else {
                        node.gaps.join(",")
                    },
                );
            }
        }
    }
    Reply::Verbatim("txt".into(), Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn info_format() {
        let node = NodeInfo {
            keys: Some((2, 1)),
            ..NodeInfo::default()
        };
        let r = render_info(&[Section::Keyspace, Section::Clients], &node, &cfg(), 3);
        assert_eq!(
            r,
            Reply::Verbatim(
                "txt".into(),
                Bytes::from_static(
                    b"# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\n\r\n# Clients\r\n\
                      connected_clients:3\r\nmaxclients:10000\r\nblocked_clients:0\r\n"
                )
            )
        );
        assert_eq!(info_sections(&b(&["nosuch"])), vec![]);
    }

    #[test]
    fn errorstats_as_redis_prints_them() {
        let cfg = cfg();
        cfg.errors.count(&Reply::err("ERR syntax error"));
        cfg.errors
            .count(&Reply::err("NOSCRIPT No matching script."));
        cfg.errors.count(&Reply::err("ERR unknown command"));
        let r = render_info(
            &[Section::Stats, Section::Errorstats],
            &NodeInfo::default(),
            &cfg,
            1,
        );
        let Reply::Verbatim(_, text) = r else {
            panic!("INFO is verbatim text")
        };
        assert_eq!(
            &text[..],
            b"# Stats\r\ntotal_error_replies:3\r\nunexpected_error_replies:0\r\n\r\n\
              # Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_NOSCRIPT:count=1\r\n"
        );
    }
}
