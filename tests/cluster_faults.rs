//! Randomized fault runs on a 3-node cluster: concurrent clients on random
//! nodes while nodes are killed and restarted, partitioned and healed, or
//! paused (SIGSTOP, then SIGCONT) — in each read mode. The
//! recorded history is checked for linearizability against the model's
//! sequential spec (`fencekv::lincheck`: Wing–Gong–Lowe with memoisation,
//! per key). An operation whose outcome the client never learned (timeout,
//! UNCERTAIN, connection lost) stays open — it may or may not have happened —
//! and is never counted as failed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fencekv::lincheck::{check_kv, Budget, Event, Outcome};
use fencekv::model::spec::{KvSpec, Op, Ret};
// Seeded: the fault schedule and the workload are the same choices every run
// (timing still varies, as it does in production).
use fencekv::rng::XorShift as Rng;

mod support;
use support::cluster::Cluster;

const KEYS: u64 = 4;
const CLIENTS: u64 = 4;
/// Fault cycles per run (each about 1–1.6 s).
const FAULTS: usize = 10;

fn connect(port: u16) -> Option<redis::Connection> {
    let c = redis::Client::open(format!("redis://127.0.0.1:{port}/")).ok()?;
    let conn = c.get_connection_with_timeout(Duration::from_secs(1)).ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(4))).ok()?;
    Some(conn)
}

/// One operation against `conn`; an error means its outcome is unknown.
fn run_op(conn: &mut redis::Connection, op: &Op) -> Result<Ret, redis::RedisError> {
    Ok(match op {
        Op::Get(k) => Ret::Value(redis::cmd("GET").arg(k).query(conn)?),
        Op::Set(k, v) => {
            let () = redis::cmd("SET").arg(k).arg(v).query(conn)?;
            Ret::Ok
        }
        Op::Del(k) => Ret::Deleted(redis::cmd("DEL").arg(k).query(conn)?),
        _ => unreachable!("this run has only GET, SET and DEL"),
    })
}

/// What the nemesis does to a node for a while.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    /// SIGKILL, then start again on the same directory.
    Kill,
    /// Cut off from the other nodes (FENCEKV.PARTITION), then healed.
    Partition,
    /// SIGSTOP, then SIGCONT: the process and its clock's view of time
    /// stop; the others go on and may elect a new leader.
    Pause,
}

#[test]
fn histories_under_kills_and_partitions_are_linearizable() {
    fault_run(&[], &[Fault::Kill, Fault::Partition]);
}

/// Lease reads (spec §6, Leases): a paused leader wakes past its lease, and
/// must not serve from it; a killed one restarts sticky.
#[test]
fn lease_histories_under_kills_pauses_and_partitions_are_linearizable() {
    fault_run(
        &["--read-mode", "lease"],
        &[Fault::Kill, Fault::Pause, Fault::Partition],
    );
}

/// Follower reads (spec §6, Follower reads): the read index comes from
/// whoever leads, and a paused or cut-off follower serves nothing stale.
#[test]
fn follower_read_histories_under_kills_pauses_and_partitions_are_linearizable() {
    fault_run(
        &["--read-mode", "follower"],
        &[Fault::Kill, Fault::Pause, Fault::Partition],
    );
}

fn fault_run(modes: &[&str], kinds: &[Fault]) {
    let mut args = vec!["--appendfsync", "always"];
    args.extend_from_slice(modes);
    let cluster = Arc::new(Mutex::new(Cluster::start(3, &args)));
    let ports: Arc<Mutex<Vec<u16>>> = Arc::new(Mutex::new(Vec::new()));
    {
        let c = cluster.lock().expect("lock");
        c.leader();
        *ports.lock().expect("lock") = c.nodes.iter().map(|n| n.port).collect();
    }
    let start = Instant::now();
    let now = move || start.elapsed().as_nanos() as u64;
    let history: Arc<Mutex<Vec<Event<Op, Ret>>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));

    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (history, stop, ports) = (history.clone(), stop.clone(), ports.clone());
            std::thread::spawn(move || {
                let mut rng = Rng::seeded(0x9e37_79b9 + client);
                let mut seq = 0;
                while !stop.load(Ordering::Relaxed) {
                    let node = rng.below(3) as usize;
                    let port = ports.lock().expect("lock")[node];
                    let Some(mut conn) = connect(port) else {
                        std::thread::sleep(Duration::from_millis(20));
                        continue;
                    };
                    // A few operations per connection, then another node.
                    for _ in 0..5 {
                        let key = format!("k{}", rng.below(KEYS));
                        seq += 1;
                        let op = match rng.below(10) {
                            0..=4 => Op::Get(key),
                            5..=8 => Op::Set(key, format!("c{client}-{seq}")),
                            _ => Op::Del(key),
                        };
                        let call = now();
                        let result = run_op(&mut conn, &op);
                        let outcome = match result {
                            Ok(ret) => Outcome::Returned { ret, at: now() },
                            Err(_) => Outcome::Unknown,
                        };
                        let failed = outcome == Outcome::Unknown;
                        history.lock().expect("lock").push(Event {
                            client,
                            op,
                            call,
                            outcome,
                        });
                        if failed || stop.load(Ordering::Relaxed) {
                            break;
                        }
                    }
                }
            })
        })
        .collect();

    // Faults: every 700 ms one of `kinds` on a random node, undone 300–900
    // ms later (longer than a lease, an election timeout or two).
    let mut rng = Rng::seeded(0x5eed);
    let mut faults = 0;
    while faults < FAULTS {
        std::thread::sleep(Duration::from_millis(700));
        let victim = rng.below(3) as usize;
        let pause = Duration::from_millis(300 + rng.below(600));
        let kind = kinds[rng.below(kinds.len() as u64) as usize];
        if kind == Fault::Kill {
            cluster.lock().expect("lock").nodes[victim].kill();
            std::thread::sleep(pause);
            let mut c = cluster.lock().expect("lock");
            c.nodes[victim].start_again();
            ports.lock().expect("lock")[victim] = c.nodes[victim].port;
        } else if kind == Fault::Pause {
            cluster.lock().expect("lock").nodes[victim].signal("STOP");
            std::thread::sleep(pause);
            cluster.lock().expect("lock").nodes[victim].signal("CONT");
        } else {
            let port = cluster.lock().expect("lock").nodes[victim].port;
            let others: Vec<String> = (1..=3)
                .filter(|i| *i != victim + 1)
                .map(|i| i.to_string())
                .collect();
            if let Some(mut conn) = connect(port) {
                let _: redis::RedisResult<()> = redis::cmd("FENCEKV.PARTITION")
                    .arg(&others)
                    .query(&mut conn);
                std::thread::sleep(pause);
                let _: redis::RedisResult<()> = redis::cmd("FENCEKV.HEAL").query(&mut conn);
            }
        }
        faults += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("client thread");
    }

    let history = history.lock().expect("lock").clone();
    let answered = history
        .iter()
        .filter(|e| matches!(e.outcome, Outcome::Returned { .. }))
        .count();
    let writes_answered = history
        .iter()
        .filter(|e| matches!(e.outcome, Outcome::Returned { .. }) && !matches!(e.op, Op::Get(_)))
        .count();
    eprintln!(
        "{modes:?}: {} operations ({answered} answered, {writes_answered} writes), {faults} faults",
        history.len()
    );
    assert!(
        answered >= 100 && writes_answered >= 30,
        "too few answered operations to mean anything"
    );
    let verdict = check_kv(&KvSpec::default(), &history, Budget::default()).expect("well formed");
    if let Some((key, cx)) = verdict.failing().next() {
        let spec = KvSpec::default().restricted_to(key);
        panic!(
            "key {key} is not linearizable:\n{}",
            cx.explain(&spec, &history)
        );
    }
    assert!(
        verdict.overall.is_linearizable(),
        "the search gave up: {:?}",
        verdict.overall
    );
}
