//! Scripts on a 3-node cluster of real processes: transfers under a leader
//! kill conserve the total and apply exactly once; the script cache survives
//! failover; INFO shows one fence per script.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::Commands;

mod support;
use support::cluster::{info_field, set_eventually, Cluster};
use support::wait::eventually;

const ACCOUNTS: usize = 8;
const START: i64 = 100;

/// Move `ARGV[1]` from `KEYS[1]` to `KEYS[2]` if the balance allows, and
/// count this transfer's id in `KEYS[3]`: a count above 1 would be a
/// transfer applied twice.
const TRANSFER: &str = r#"
local from = tonumber(redis.call('GET', KEYS[1]))
local amount = tonumber(ARGV[1])
if from < amount then return 0 end
redis.call('DECRBY', KEYS[1], amount)
redis.call('INCRBY', KEYS[2], amount)
return redis.call('INCR', KEYS[3])
"#;

/// The sum of every account, read in one script (one snapshot).
const TOTAL: &str = r#"
local sum = 0
for i = 1, #KEYS do sum = sum + tonumber(redis.call('GET', KEYS[i])) end
return sum
"#;

fn account(i: usize) -> String {
    format!("acct:{i}")
}

fn total(c: &mut redis::Connection) -> redis::RedisResult<i64> {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(TOTAL).arg(ACCOUNTS);
    for i in 0..ACCOUNTS {
        cmd.arg(account(i));
    }
    cmd.query(c)
}

#[test]
fn transfers_under_a_leader_kill_conserve_the_total_and_apply_exactly_once() {
    let mut cluster = Cluster::start(3, &["--appendfsync", "always"]);
    let leader = cluster.leader();
    for i in 0..ACCOUNTS {
        set_eventually(&cluster.nodes[leader], &account(i), &START.to_string());
    }
    let expected = START * ACCOUNTS as i64;
    // Acknowledged transfers (id → reply) and those whose outcome is unknown.
    let acked: Arc<Mutex<BTreeMap<String, i64>>> = Arc::default();
    let unknown: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..6)
        .map(|w| {
            let urls: Vec<String> = cluster.nodes.iter().map(|n| n.url()).collect();
            let (acked, unknown, stop) = (acked.clone(), unknown.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                let mut conn: Option<redis::Connection> = None;
                let mut seed = w as u64 * 7919 + 1;
                while !stop.load(Ordering::Relaxed) {
                    if conn.is_none() {
                        let url = &urls[(w + n as usize) % urls.len()];
                        conn = redis::Client::open(url.as_str())
                            .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(1)))
                            .ok();
                    }
                    let Some(c) = conn.as_mut() else {
                        std::thread::sleep(Duration::from_millis(20));
                        continue;
                    };
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let from = (seed % ACCOUNTS as u64) as usize;
                    let to = (from + 1 + (seed >> 8) as usize % (ACCOUNTS - 1)) % ACCOUNTS;
                    let id = format!("applied:{w}:{n}");
                    n += 1;
                    let r: redis::RedisResult<i64> = redis::cmd("EVAL")
                        .arg(TRANSFER)
                        .arg(3)
                        .arg(account(from))
                        .arg(account(to))
                        .arg(&id)
                        .arg(1 + (seed >> 16) % 10)
                        .query(c);
                    match r {
                        Ok(v) => {
                            acked.lock().expect("lock").insert(id, v);
                        }
                        Err(e) => {
                            // CLUSTERDOWN: nothing happened. TIMEOUT,
                            // UNCERTAIN, TRYAGAIN, a dropped connection:
                            // it may or may not have applied.
                            if e.code() != Some("CLUSTERDOWN") {
                                unknown.lock().expect("lock").push(id);
                            }
                            if e.is_io_error() || e.is_connection_dropped() {
                                conn = None;
                            }
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(800));
    let before = acked.lock().expect("lock").len();
    assert!(before > 0, "no transfer was acknowledged before the kill");
    cluster.nodes[leader].kill();
    let new_leader = cluster.leader();
    assert_ne!(new_leader, leader);
    eventually("transfers acknowledged after the failover", || {
        (acked.lock().expect("lock").len() > before + 20).then_some(())
    });
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("client");
    }
    eprintln!(
        "new leader: {:?} conflicts, {:?} retries",
        info_field(&cluster.nodes[new_leader], "script_conflicts"),
        info_field(&cluster.nodes[new_leader], "script_retries")
    );
    cluster.nodes[leader].start_again();

    let mut c = cluster.nodes[cluster.leader()].client();
    assert_eq!(
        total(&mut c).expect("total"),
        expected,
        "money was made or lost"
    );
    let acked = acked.lock().expect("lock").clone();
    let unknown = unknown.lock().expect("lock").clone();
    let moved = acked.values().filter(|v| **v == 1).count();
    eprintln!(
        "{} transfers acknowledged ({moved} moved money), {} unknown",
        acked.len(),
        unknown.len()
    );
    // Every acknowledged transfer that moved money applied exactly once;
    // one refused for lack of funds applied nothing; unknown ones at most once.
    for (id, reply) in &acked {
        let count: Option<i64> = c.get(id).expect("GET");
        let want = if *reply == 1 { Some(1) } else { None };
        assert_eq!(count, want, "{id} answered {reply}");
    }
    for id in &unknown {
        let count: Option<i64> = c.get(id).expect("GET");
        assert!(count.unwrap_or(0) <= 1, "{id} applied {count:?} times");
    }
    // Every node agrees on the total once caught up.
    for node in &cluster.nodes {
        eventually("every node serves the same total", || {
            let mut c = redis::Client::open(node.url())
                .ok()?
                .get_connection()
                .ok()?;
            (total(&mut c).ok()? == expected).then_some(())
        });
    }
}

#[test]
fn evalsha_works_on_a_new_leader_and_info_counts_one_fence_per_script() {
    let mut cluster = Cluster::start(3, &["--appendfsync", "always"]);
    let leader = cluster.leader();
    set_eventually(&cluster.nodes[leader], "k", "v");
    let mut c = cluster.nodes[leader].client();
    let body = "return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[1]), redis.call('GET', KEYS[1])}";
    let sha: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(body)
        .query(&mut c)
        .expect("SCRIPT LOAD");
    for _ in 0..10 {
        let r: Vec<String> = redis::cmd("EVALSHA")
            .arg(&sha)
            .arg(1)
            .arg("k")
            .query(&mut c)
            .expect("EVALSHA");
        assert_eq!(r, ["v", "v", "v"]);
    }
    let per_script = info_field(&cluster.nodes[leader], "script_fences_per_script");
    assert_eq!(per_script.as_deref(), Some("1.00"), "three GETs, one fence");
    cluster.nodes[leader].kill();
    let new_leader = cluster.leader();
    let exists: Vec<i64> = eventually("SCRIPT EXISTS on the new leader", || {
        let mut c = redis::Client::open(cluster.nodes[new_leader].url())
            .ok()?
            .get_connection()
            .ok()?;
        redis::cmd("SCRIPT")
            .arg("EXISTS")
            .arg(&sha)
            .query(&mut c)
            .ok()
    });
    assert_eq!(exists, [1], "the cache is replicated");
    let mut c = cluster.nodes[new_leader].client();
    let r: Vec<String> = redis::cmd("EVALSHA")
        .arg(&sha)
        .arg(1)
        .arg("k")
        .query(&mut c)
        .expect("EVALSHA after failover");
    assert_eq!(r, ["v", "v", "v"]);
}

#[test]
fn per_call_mode_takes_a_fence_per_read() {
    let cluster = Cluster::start(3, &["--unsafe-read-fence", "per-call"]);
    let leader = cluster.leader();
    set_eventually(&cluster.nodes[leader], "k", "v");
    let mut c = cluster.nodes[leader].client();
    let body = "local a = redis.call('GET', KEYS[1]); local b = redis.call('GET', KEYS[1]); return redis.call('GET', KEYS[1])";
    for _ in 0..4 {
        let r: String = redis::cmd("EVAL")
            .arg(body)
            .arg(1)
            .arg("k")
            .query(&mut c)
            .expect("EVAL");
        assert_eq!(r, "v");
    }
    let per_script = info_field(&cluster.nodes[leader], "script_fences_per_script");
    assert_eq!(per_script.as_deref(), Some("3.00"), "a fence per GET");
}

#[test]
fn a_library_loaded_on_the_leader_runs_on_the_new_leader_after_failover() {
    let mut cluster = Cluster::start(3, &["--appendfsync", "always"]);
    let leader = cluster.leader();
    set_eventually(&cluster.nodes[leader], "k", "v");
    let mut c = cluster.nodes[leader].client();
    let lib = "#!lua name=failover\n\
        redis.register_function{function_name='twice', callback=function(keys) \
        return redis.call('GET', keys[1]) .. redis.call('GET', keys[1]) end, flags={'no-writes'}}";
    let name: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(lib)
        .query(&mut c)
        .expect("FUNCTION LOAD");
    assert_eq!(name, "failover");
    cluster.nodes[leader].kill();
    let new_leader = cluster.leader();
    let r: String = eventually("FCALL_RO on the new leader", || {
        let mut c = redis::Client::open(cluster.nodes[new_leader].url())
            .ok()?
            .get_connection()
            .ok()?;
        redis::cmd("FCALL_RO")
            .arg("twice")
            .arg(1)
            .arg("k")
            .query(&mut c)
            .ok()
    });
    assert_eq!(r, "vv", "the library is replicated data");
}
