//! List-append transactions (Elle's workload) on a 3-node cluster of real
//! processes, checked for strict serializability by `fencekv::txncheck`.
//!
//! Clients on different nodes (followers forward) run transactions of 1–4
//! micro-operations over a few keys, `RPUSH k v` and `LRANGE k 0 -1`, half as
//! MULTI/EXEC and half as one EVAL doing the same calls and returning the
//! reads. A clear rejection (CLUSTERDOWN: nothing happened; TRYAGAIN: nothing
//! written; EXECABORT) is a failed transaction; any other error (TIMEOUT,
//! UNCERTAIN, a lost connection) leaves its outcome unknown.
//!
//! - The safe server passes under the fault mix of `tests/cluster_faults.rs`
//!   (kills, restarts, partitions, heals).
//! - `--unsafe-read-set-validation write-only` lets two transactions that
//!   each read the key the other appends to both commit: the checker finds a
//!   G2-item or G-single cycle.
//! - `--unsafe-read-fence off` lets a leader cut off by a partition serve
//!   read-only transactions from its old state after the majority committed
//!   newer appends: a `-realtime` cycle (serializable, not strictly).
//!
//! Spec TX-4. Each unsafe run repeats rounds until the anomaly is found,
//! within a time budget, and fails only if it never is. `FENCEKV_SOAK=1` makes the safe
//! run longer.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fencekv::rng::XorShift as Rng;
use fencekv::txncheck::{self, Key, Mop, Outcome, Report, Txn, Value};

mod support;
use support::cluster::{info_field, Cluster};

/// One EVAL per transaction: `KEYS[i]` is the i-th micro-op's key, and
/// `ARGV[i]` the value to append, or `r` for a read. Returns one entry per
/// micro-op: the list read, or 0 for an append.
const SCRIPT: &str = "local out = {}
for i, k in ipairs(KEYS) do
  if ARGV[i] == 'r' then
    out[i] = redis.call('LRANGE', k, 0, -1)
  else
    redis.call('RPUSH', k, ARGV[i])
    out[i] = 0
  end
end
return out";

/// The cluster runs are one at a time: each starts three servers, and the
/// machine running CI is small.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn soak() -> bool {
    std::env::var("FENCEKV_SOAK").as_deref() == Ok("1")
}

fn connect(port: u16) -> Option<redis::Connection> {
    let c = redis::Client::open(format!("redis://127.0.0.1:{port}/")).ok()?;
    let conn = c.get_connection_with_timeout(Duration::from_secs(1)).ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(4))).ok()?;
    Some(conn)
}

/// What a clear rejection looks like; anything else may have committed.
fn failed_for_sure(e: &redis::RedisError) -> bool {
    matches!(e.code(), Some("CLUSTERDOWN" | "TRYAGAIN" | "EXECABORT"))
}

/// A reply's list of values: bulk strings holding decimal numbers.
fn values(v: &redis::Value) -> Result<Vec<Value>, String> {
    let redis::Value::Array(items) = v else {
        return Err(format!("a read answered {v:?}"));
    };
    items
        .iter()
        .map(|item| match item {
            redis::Value::BulkString(b) => std::str::from_utf8(b)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("not a value: {b:?}")),
            other => Err(format!("not a value: {other:?}")),
        })
        .collect()
}

/// Fill in the reads of `mops` from one reply per micro-op.
fn fill(mops: &mut [Mop], replies: &[redis::Value]) -> Result<(), String> {
    if replies.len() != mops.len() {
        return Err(format!(
            "{} replies for {} operations",
            replies.len(),
            mops.len()
        ));
    }
    for (m, r) in mops.iter_mut().zip(replies) {
        if let Mop::Read(_, result) = m {
            *result = Some(values(r)?);
        }
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    Multi,
    Eval,
}

impl Via {
    fn name(self) -> &'static str {
        match self {
            Via::Multi => "MULTI/EXEC",
            Via::Eval => "EVAL",
        }
    }
}

/// Run `mops` (reads unfilled) as one transaction; its outcome, with the
/// reads filled in when it is ok, and the error's code when it is not.
fn run_txn(conn: &mut redis::Connection, via: Via, mops: &mut [Mop]) -> (Outcome, Option<String>) {
    let result: redis::RedisResult<Vec<redis::Value>> = match via {
        Via::Multi => {
            let mut pipe = redis::pipe();
            pipe.atomic();
            for m in mops.iter() {
                match m {
                    Mop::Append(k, v) => pipe.cmd("RPUSH").arg(k).arg(v.to_string()),
                    Mop::Read(k, _) => pipe.cmd("LRANGE").arg(k).arg(0).arg(-1),
                };
            }
            pipe.query(conn)
        }
        Via::Eval => {
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(SCRIPT).arg(mops.len());
            for m in mops.iter() {
                cmd.arg(m.key());
            }
            for m in mops.iter() {
                match m {
                    Mop::Append(_, v) => cmd.arg(v.to_string()),
                    Mop::Read(..) => cmd.arg("r"),
                };
            }
            cmd.query(conn)
        }
    };
    let code = |e: &redis::RedisError| Some(e.code().unwrap_or("I/O").to_string());
    match result {
        Ok(replies) => match fill(mops, &replies) {
            Ok(()) => (Outcome::Ok, None),
            // A reply the client cannot read: whatever happened is unknown.
            Err(e) => (Outcome::Info, Some(format!("unreadable reply: {e}"))),
        },
        Err(e) if failed_for_sure(&e) => (Outcome::Fail, code(&e)),
        Err(e) => (Outcome::Info, code(&e)),
    }
}

/// What one client does.
#[derive(Clone, Debug)]
struct Client {
    id: u64,
    /// Node indices it picks from for each connection.
    nodes: Vec<usize>,
    keys: Vec<Key>,
    read_only: bool,
    /// Pause between transactions (keeps an unfenced leader's read loop from
    /// flooding the history).
    pause: Duration,
}

/// Shared between the clients and the test.
struct Run {
    ports: Mutex<Vec<u16>>,
    history: Mutex<Vec<Txn>>,
    /// Committed transactions per way of running them, and errors by code.
    committed: Mutex<BTreeMap<&'static str, usize>>,
    errors: Mutex<BTreeMap<String, usize>>,
    stop: AtomicBool,
    start: Instant,
}

impl Run {
    fn new(cluster: &Cluster) -> Arc<Run> {
        Arc::new(Run {
            ports: Mutex::new(cluster.nodes.iter().map(|n| n.port).collect()),
            history: Mutex::new(Vec::new()),
            committed: Mutex::default(),
            errors: Mutex::default(),
            stop: AtomicBool::new(false),
            start: Instant::now(),
        })
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    fn history(&self) -> Vec<Txn> {
        self.history.lock().expect("lock").clone()
    }

    /// `ok: {EVAL: 10, MULTI/EXEC: 12}; errors: {TIMEOUT: 3}`.
    fn tally(&self) -> String {
        format!(
            "ok: {:?}; errors: {:?}",
            self.committed.lock().expect("lock"),
            self.errors.lock().expect("lock")
        )
    }
}

/// A transaction's micro-ops: 1–4 over the client's keys, half of them
/// appends of values unique to this client (`id·10⁹ + seq`).
fn random_mops(c: &Client, rng: &mut Rng, seq: &mut u64) -> Vec<Mop> {
    let n = 1 + rng.below(4);
    (0..n)
        .map(|_| {
            let key = c.keys[rng.below(c.keys.len() as u64) as usize].clone();
            if c.read_only || rng.below(2) == 0 {
                Mop::Read(key, None)
            } else {
                *seq += 1;
                Mop::Append(key, c.id * 1_000_000_000 + *seq)
            }
        })
        .collect()
}

/// Run clients until `run.stop`; returns their threads. `seed` varies the
/// choices between rounds; `seqs` carries each client's value counter across
/// rounds so values stay unique.
fn spawn_clients(
    run: &Arc<Run>,
    clients: &[Client],
    seed: u64,
    seqs: &Arc<Mutex<Vec<u64>>>,
) -> Vec<std::thread::JoinHandle<()>> {
    clients
        .iter()
        .cloned()
        .map(|c| {
            let (run, seqs) = (run.clone(), seqs.clone());
            std::thread::spawn(move || {
                let mut rng = Rng::seeded(0x7a11_0000 + seed * 131 + c.id);
                let mut seq = seqs.lock().expect("lock")[c.id as usize];
                while !run.stop.load(Ordering::Relaxed) {
                    let node = c.nodes[rng.below(c.nodes.len() as u64) as usize];
                    let port = run.ports.lock().expect("lock")[node];
                    let Some(mut conn) = connect(port) else {
                        std::thread::sleep(Duration::from_millis(20));
                        continue;
                    };
                    // A few transactions per connection, then another node.
                    for _ in 0..8 {
                        let mut mops = random_mops(&c, &mut rng, &mut seq);
                        let via = if rng.below(2) == 0 {
                            Via::Multi
                        } else {
                            Via::Eval
                        };
                        let invoke = run.now();
                        let (outcome, error) = run_txn(&mut conn, via, &mut mops);
                        let complete = run.now();
                        if let Some(code) = error {
                            *run.errors.lock().expect("lock").entry(code).or_default() += 1;
                        } else {
                            *run.committed
                                .lock()
                                .expect("lock")
                                .entry(via.name())
                                .or_default() += 1;
                        }
                        run.history.lock().expect("lock").push(Txn {
                            process: c.id,
                            invoke,
                            complete: (outcome != Outcome::Info).then_some(complete),
                            outcome,
                            mops,
                        });
                        if outcome == Outcome::Info || run.stop.load(Ordering::Relaxed) {
                            break;
                        }
                        std::thread::sleep(c.pause);
                    }
                }
                seqs.lock().expect("lock")[c.id as usize] = seq;
            })
        })
        .collect()
}

fn stop_and_join(run: &Run, threads: Vec<std::thread::JoinHandle<()>>) {
    run.stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("client thread");
    }
    run.stop.store(false, Ordering::Relaxed);
}

fn keys(n: usize) -> Vec<Key> {
    (0..n).map(|i| format!("la{i}")).collect()
}

/// Clients `0..n` on every node.
fn everywhere(n: u64, keys: &[Key]) -> Vec<Client> {
    (0..n)
        .map(|id| Client {
            id,
            nodes: vec![0, 1, 2],
            keys: keys.to_vec(),
            read_only: false,
            pause: Duration::ZERO,
        })
        .collect()
}

fn check(history: &[Txn]) -> Report {
    txncheck::check(history).expect("a well-formed history")
}

/// How many transactions are ok, and how many of those read something.
fn summary(history: &[Txn]) -> (usize, usize) {
    let ok = history.iter().filter(|t| t.outcome == Outcome::Ok);
    let reads = ok
        .clone()
        .filter(|t| {
            t.mops
                .iter()
                .any(|m| matches!(m, Mop::Read(_, Some(vs)) if !vs.is_empty()))
        })
        .count();
    (ok.count(), reads)
}

/// Cut node `victim` off from the others, through its own fault hook.
fn partition(cluster: &Cluster, victim: usize) -> bool {
    let others: Vec<String> = (0..cluster.nodes.len())
        .filter(|&i| i != victim)
        .map(|i| cluster.id(i))
        .collect();
    let Some(mut conn) = connect(cluster.nodes[victim].port) else {
        return false;
    };
    redis::cmd("FENCEKV.PARTITION")
        .arg(&others)
        .query::<()>(&mut conn)
        .is_ok()
}

fn heal(cluster: &Cluster, node: usize) {
    if let Some(mut conn) = connect(cluster.nodes[node].port) {
        let _: redis::RedisResult<()> = redis::cmd("FENCEKV.HEAL").query(&mut conn);
    }
}

#[test]
fn list_append_transactions_under_kills_and_partitions_are_strict_serializable() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let faults = if soak() { 80 } else { 10 };
    let clients = if soak() { 6 } else { 5 };
    let cluster = Arc::new(Mutex::new(Cluster::start(3, &["--appendfsync", "always"])));
    let run = {
        let c = cluster.lock().expect("lock");
        c.leader();
        Run::new(&c)
    };
    let seqs = Arc::new(Mutex::new(vec![0; clients as usize]));
    let threads = spawn_clients(&run, &everywhere(clients, &keys(5)), 0, &seqs);

    // The fault mix of tests/cluster_faults.rs: every 700 ms either kill a
    // node (restarted 300–900 ms later) or cut one off from the others
    // (healed 300–900 ms later).
    let mut rng = Rng::seeded(0x5eed);
    for _ in 0..faults {
        std::thread::sleep(Duration::from_millis(700));
        let victim = rng.below(3) as usize;
        let pause = Duration::from_millis(300 + rng.below(600));
        if rng.below(2) == 0 {
            cluster.lock().expect("lock").nodes[victim].kill();
            std::thread::sleep(pause);
            let mut c = cluster.lock().expect("lock");
            c.nodes[victim].start_again();
            run.ports.lock().expect("lock")[victim] = c.nodes[victim].port;
        } else {
            let c = cluster.lock().expect("lock");
            if partition(&c, victim) {
                drop(c);
                std::thread::sleep(pause);
                heal(&cluster.lock().expect("lock"), victim);
            }
        }
    }
    stop_and_join(&run, threads);

    let history = run.history();
    let (ok, with_reads) = summary(&history);
    let started = Instant::now();
    let report = check(&history);
    eprintln!(
        "{report}\nchecked in {:?}; {}",
        started.elapsed(),
        run.tally()
    );
    let committed = run.committed.lock().expect("lock").clone();
    assert!(
        committed.len() == 2 && committed.values().all(|&n| n >= 50),
        "both MULTI/EXEC and EVAL commit: {committed:?}"
    );
    assert!(
        ok >= 200 && with_reads >= 50,
        "too few committed transactions to mean anything: {ok} ok, {with_reads} read something"
    );
    assert!(
        report.is_valid(),
        "the safe server is not strict serializable:\n{}",
        report.render(&history, 5)
    );
}

/// Repeat `round` (which adds to the history) until the checker reports an
/// anomaly that `wanted` accepts, or `budget` runs out. The report and the
/// time it took.
fn until_found(
    run: &Run,
    budget: Duration,
    mut round: impl FnMut(u64),
    wanted: impl Fn(&Report) -> bool,
) -> (Report, Duration) {
    let started = Instant::now();
    let mut n = 0;
    loop {
        round(n);
        n += 1;
        let history = run.history();
        let report = check(&history);
        if wanted(&report) {
            eprintln!(
                "found after {n} rounds, {:?} ({}):\n{}",
                started.elapsed(),
                run.tally(),
                report.render(&history, 3)
            );
            return (report, started.elapsed());
        }
        assert!(
            started.elapsed() < budget,
            "no anomaly in {n} rounds ({:?}): {report}",
            started.elapsed()
        );
    }
}

#[test]
fn without_read_set_validation_transactions_write_skew() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // A peer delay makes each commit take a few milliseconds longer, so
    // more transactions overlap between start_ts and commit.
    let cluster = Cluster::start(
        3,
        &[
            "--unsafe-read-set-validation",
            "write-only",
            "--peer-delay-ms",
            "3",
        ],
    );
    cluster.leader();
    let run = Run::new(&cluster);
    // Two keys: a transaction that reads one and appends the other is
    // common, and so is a concurrent one the other way round.
    let clients = everywhere(6, &keys(2));
    let seqs = Arc::new(Mutex::new(vec![0; clients.len()]));
    let (report, took) = until_found(
        &run,
        Duration::from_secs(30),
        |n| {
            let threads = spawn_clients(&run, &clients, n, &seqs);
            std::thread::sleep(Duration::from_millis(1500));
            stop_and_join(&run, threads);
        },
        |r| r.names().contains("G2-item") || r.names().contains("G-single"),
    );
    let (class, steps) = report
        .cycles()
        .filter(|(c, _)| matches!(c.name(), "G2-item" | "G-single"))
        .min_by_key(|(_, steps)| steps.len())
        .expect("the cycle found");
    eprintln!(
        "write-only: {class}, a cycle of {} transactions, in {took:?}",
        steps.len()
    );
}

/// A cluster on which each round cuts the leader off and keeps reading from
/// it, while clients on the majority append, then heals.
struct CutOffLeader {
    cluster: Cluster,
    run: Arc<Run>,
    keys: Vec<Key>,
    seqs: Arc<Mutex<Vec<u64>>>,
}

impl CutOffLeader {
    fn start(extra: &[&str]) -> CutOffLeader {
        let cluster = Cluster::start(3, extra);
        cluster.leader();
        let run = Run::new(&cluster);
        let s = CutOffLeader {
            cluster,
            run,
            keys: keys(3),
            seqs: Arc::new(Mutex::new(vec![0; 6])),
        };
        // Warm up through every node: each key holds something, and the
        // script is cached (an EVAL of an uncached body writes the cache
        // entry, so it would not be read-only).
        let threads = spawn_clients(&s.run, &everywhere(1, &s.keys), 0, &s.seqs);
        std::thread::sleep(Duration::from_millis(300));
        stop_and_join(&s.run, threads);
        s
    }

    fn client(&self, id: u64, nodes: Vec<usize>, read_only: bool) -> Client {
        Client {
            id,
            nodes,
            keys: self.keys.clone(),
            read_only,
            pause: if read_only {
                Duration::from_millis(5)
            } else {
                Duration::ZERO
            },
        }
    }

    fn round(&self, n: u64) {
        let cluster = &self.cluster;
        let old = cluster.leader();
        if !partition(cluster, old) {
            return;
        }
        let majority: Vec<usize> = (0..3).filter(|&i| i != old).collect();
        // The majority elects a leader of its own (a cut-off leader with
        // CheckQuorum off goes on believing it leads).
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline
            && !majority
                .iter()
                .any(|&i| info_field(&cluster.nodes[i], "role").as_deref() == Some("leader"))
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut clients: Vec<Client> = (1..=3)
            .map(|id| self.client(id, majority.clone(), false))
            .collect();
        clients.extend((4..=5).map(|id| self.client(id, vec![old], true)));
        let threads = spawn_clients(&self.run, &clients, n, &self.seqs);
        std::thread::sleep(Duration::from_millis(1000));
        stop_and_join(&self.run, threads);
        heal(cluster, old);
        // A reader through the new leader, so the version order holds the
        // majority's appends.
        let reader = [self.client(1, vec![cluster.leader()], true)];
        let threads = spawn_clients(&self.run, &reader, n, &self.seqs);
        std::thread::sleep(Duration::from_millis(200));
        stop_and_join(&self.run, threads);
    }
}

#[test]
fn without_the_fence_a_cut_off_leader_serves_stale_transactions() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let s = CutOffLeader::start(&["--unsafe-read-fence", "off", "--check-quorum", "off"]);
    let (report, took) = until_found(
        &s.run,
        Duration::from_secs(30),
        |n| s.round(n),
        |r| !r.is_valid(),
    );
    // Serializable (the stale readers fit before the appends they missed),
    // not strictly: every cycle needs a real-time edge.
    let classes: Vec<_> = report.cycles().map(|(c, s)| (c, s.len())).collect();
    assert!(
        !classes.is_empty()
            && classes.iter().all(|(c, _)| c.realtime())
            && report.cycles().count() == report.anomalies.len(),
        "{report}"
    );
    eprintln!("read-fence off: {classes:?} in {took:?}");
}

/// The control: the same rounds on the safe server (CheckQuorum off too, so
/// the cut-off leader keeps believing it leads) find nothing.
#[test]
fn with_the_fence_a_cut_off_leader_serves_nothing_stale() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let s = CutOffLeader::start(&["--check-quorum", "off"]);
    for n in 0..2 {
        s.round(n);
    }
    let history = s.run.history();
    let report = check(&history);
    eprintln!("{report}; {}", s.run.tally());
    let (ok, _) = summary(&history);
    assert!(ok >= 50, "too few committed transactions: {ok}");
    assert!(report.is_valid(), "{}", report.render(&history, 5));
}
