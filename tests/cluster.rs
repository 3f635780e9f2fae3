//! A 3-node cluster on loopback, real processes and real TCP: clients on any
//! node, a leader killed under load, a partitioned minority, a restarted node
//! catching up.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::Commands;

mod support;
use support::cluster::{info_field, set_eventually, Cluster};
use support::server::Server;
use support::wait::eventually;

#[test]
fn writes_and_reads_through_every_node_agree() {
    let cluster = Cluster::start(3, &[]);
    cluster.leader();
    for (i, node) in cluster.nodes.iter().enumerate() {
        set_eventually(node, &format!("k{i}"), &format!("v{i}"));
    }
    for node in &cluster.nodes {
        let mut c = node.client();
        for i in 0..3 {
            let v: Option<String> = c.get(format!("k{i}")).expect("GET");
            assert_eq!(v.as_deref(), Some(format!("v{i}").as_str()));
        }
    }
    // Every node applied every write: followers learn the commit index with
    // the next heartbeat.
    let leader = cluster.leader();
    let commit = info_field(&cluster.nodes[leader], "commit_index").expect("INFO");
    for node in &cluster.nodes {
        eventually("every node applies what the leader committed", || {
            let a: u64 = info_field(node, "applied_index")?.parse().ok()?;
            (a >= commit.parse::<u64>().ok()?).then_some(())
        });
    }
    // INFO names the leader and its peer address on every node.
    let leader_id = cluster.id(leader);
    for node in &cluster.nodes {
        assert_eq!(info_field(node, "leader"), Some(leader_id.clone()));
        assert!(info_field(node, "leader_peer_addr").is_some());
    }
}

#[test]
fn killing_the_leader_under_load_loses_no_acknowledged_write() {
    let mut cluster = Cluster::start(3, &["--appendfsync", "always"]);
    let leader = cluster.leader();
    let followers = cluster.followers();
    // Writers through both followers (forwarded), each remembering what was
    // acknowledged.
    let acked: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = followers
        .iter()
        .map(|&f| {
            let url = cluster.nodes[f].url();
            let (acked, stop) = (acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                let mut conn = None;
                while !stop.load(Ordering::Relaxed) {
                    if conn.is_none() {
                        conn = redis::Client::open(url.as_str())
                            .and_then(|c| c.get_connection())
                            .ok();
                    }
                    let Some(c) = conn.as_mut() else { continue };
                    let (k, v) = (format!("w{f}-{n}"), format!("{n}"));
                    n += 1;
                    match c.set::<_, _, ()>(&k, &v) {
                        Ok(()) => {
                            acked.lock().expect("lock").insert(k, v);
                        }
                        Err(e) if e.is_io_error() => conn = None,
                        Err(_) => {} // unknown outcome or no leader: not acked
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let before = acked.lock().expect("lock").len();
    assert!(before > 0, "nothing was acknowledged before the kill");
    cluster.nodes[leader].kill();
    // A new leader takes over and writes are acknowledged again.
    let t = Instant::now();
    let new_leader = cluster.leader();
    assert_ne!(new_leader, leader);
    eventually("writes acknowledged after the failover", || {
        (acked.lock().expect("lock").len() > before + 10).then_some(())
    });
    eprintln!("failover took {:?}", t.elapsed());
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().expect("writer");
    }
    // The old leader restarts on its directory and catches up.
    cluster.nodes[leader].start_again();
    let commit: u64 = info_field(&cluster.nodes[new_leader], "commit_index")
        .and_then(|c| c.parse().ok())
        .expect("INFO");
    eventually("the restarted node catches up", || {
        let a: u64 = info_field(&cluster.nodes[leader], "applied_index")?
            .parse()
            .ok()?;
        (a >= commit).then_some(())
    });
    // Nothing acknowledged is lost, read through every node.
    let acked = acked.lock().expect("lock").clone();
    for node in &cluster.nodes {
        let mut c = node.client();
        for (k, v) in &acked {
            let got: Option<String> = c.get(k).expect("GET");
            assert_eq!(
                got.as_deref(),
                Some(v.as_str()),
                "{k} through :{}",
                node.port
            );
        }
    }
}

/// SET x = before through the leader, then cut the leader off from both
/// followers. Returns the old leader's index and a connection to it.
fn isolate_the_leader_after_x_before(cluster: &Cluster) -> (usize, redis::Connection) {
    let old = cluster.leader();
    set_eventually(&cluster.nodes[old], "x", "before");
    let others: Vec<String> = (0..3)
        .filter(|&i| i != old)
        .map(|i| cluster.id(i))
        .collect();
    let mut c = cluster.nodes[old].client();
    let _: () = redis::cmd("FENCEKV.PARTITION")
        .arg(&others)
        .query(&mut c)
        .expect("partition");
    (old, c)
}

#[test]
fn a_partitioned_minority_serves_nothing_while_the_majority_does() {
    let cluster = Cluster::start(3, &[]);
    let (old, mut c) = isolate_the_leader_after_x_before(&cluster);
    // The minority side answers neither a read nor a write: it times out
    // while the old leader still believes it leads, and says CLUSTERDOWN
    // once CheckQuorum has made it step down.
    let refused = |e: &redis::RedisError| {
        let e = e.to_string();
        e.contains("TIMEOUT") || e.contains("no leader")
    };
    let read: redis::RedisResult<Option<String>> = c.get("x");
    let err = read.expect_err("the minority must not serve a read");
    assert!(refused(&err), "{err}");
    let write: redis::RedisResult<()> = c.set("x", "minority");
    let err = write.expect_err("the minority must not acknowledge a write");
    assert!(refused(&err), "{err}");
    // CheckQuorum: no majority answers it, so the old leader steps down.
    eventually("the cut-off leader steps down", || {
        (info_field(&cluster.nodes[old], "role").as_deref() != Some("leader")).then_some(())
    });
    // The majority elects a leader and serves both.
    let majority = (0..3).find(|&i| i != old).expect("a follower");
    set_eventually(&cluster.nodes[majority], "x", "after");
    let mut m = cluster.nodes[majority].client();
    let v: Option<String> = m.get("x").expect("GET on the majority");
    assert_eq!(v.as_deref(), Some("after"));
    // Healed, the old leader follows and serves the majority's value.
    let _: () = redis::cmd("FENCEKV.HEAL").query(&mut c).expect("heal");
    eventually("the old leader serves the new value", || {
        let mut c = cluster.nodes[old].client();
        let v: Option<String> = c.get("x").ok()?;
        (v.as_deref() == Some("after")).then_some(())
    });
    assert_eq!(
        info_field(&cluster.nodes[old], "role").as_deref(),
        Some("follower")
    );
}

/// The same partition with the fence switched off: the cut-off leader still
/// believes it leads and serves a stale read, and the history checker (the
/// one the fault run uses) says so — the check can fail. CheckQuorum is off
/// too: with it the cut-off leader steps down within an election timeout,
/// which only narrows the window.
#[test]
fn without_the_fence_a_partitioned_leader_serves_a_stale_read() {
    use fencekv::lincheck::{check_kv, Budget, Event, Outcome};
    use fencekv::model::spec::{KvSpec, Op, Ret};
    let cluster = Cluster::start(3, &["--unsafe-read-fence", "off", "--check-quorum", "off"]);
    let (old, mut c) = isolate_the_leader_after_x_before(&cluster);
    let majority = (0..3).find(|&i| i != old).expect("a follower");
    set_eventually(&cluster.nodes[majority], "x", "after");
    let stale: Option<String> = c.get("x").expect("the unfenced old leader answers");
    assert_eq!(stale.as_deref(), Some("before"));
    let ev = |client, op, call, ret, at| Event {
        client,
        op,
        call,
        outcome: Outcome::Returned { ret, at },
    };
    let history = vec![
        ev(0, Op::Set("x".into(), "before".into()), 0, Ret::Ok, 1),
        ev(1, Op::Set("x".into(), "after".into()), 2, Ret::Ok, 3),
        ev(
            0,
            Op::Get("x".into()),
            4,
            Ret::Value(Some("before".into())),
            5,
        ),
    ];
    let verdict = check_kv(&KvSpec::default(), &history, Budget::default()).expect("well formed");
    assert!(verdict.failing().next().is_some(), "{verdict:?}");
}

#[test]
fn a_follower_far_behind_catches_up_through_a_snapshot() {
    let mut cluster = Cluster::start(3, &["--compact-after", "50", "--appendfsync", "always"]);
    let leader = cluster.leader();
    let behind = cluster.followers()[0];
    cluster.nodes[behind].kill();
    let mut c = cluster.nodes[leader].client();
    for i in 0..300 {
        let () = c
            .set(format!("k{i}"), i)
            .expect("SET with one follower down");
    }
    let snap: u64 = info_field(&cluster.nodes[leader], "last_snapshot_index")
        .and_then(|v| v.parse().ok())
        .expect("INFO");
    // Compaction waits for max(50, keys held / 2) entries past the last
    // snapshot: at about 50, 100 and 200 here.
    assert!(
        snap >= 100,
        "the leader compacted its log (snapshot at {snap})"
    );
    // The restarted follower's next entry is gone from the leader's log: it
    // is sent the snapshot, then what follows.
    cluster.nodes[behind].start_again();
    let commit: u64 = info_field(&cluster.nodes[leader], "commit_index")
        .and_then(|v| v.parse().ok())
        .expect("INFO");
    eventually("the follower catches up", || {
        let a: u64 = info_field(&cluster.nodes[behind], "applied_index")?
            .parse()
            .ok()?;
        (a >= commit).then_some(())
    });
    assert_eq!(
        info_field(&cluster.nodes[behind], "snapshots_installed").as_deref(),
        Some("1")
    );
    // It restarts from its own snapshot, and once the old leader is gone the
    // two remaining nodes (either may lead) still hold every key.
    cluster.nodes[behind].restart();
    cluster.nodes[leader].kill();
    let mut c = cluster.nodes[behind].client();
    for i in (0..300).step_by(7) {
        let v: Option<i64> =
            eventually("a read after the failover", || c.get(format!("k{i}")).ok());
        assert_eq!(v, Some(i));
    }
}

/// A node that cannot reach a majority never learns a leader: after the
/// request timeout a client gets CLUSTERDOWN (nothing happened), not a hang
/// (spec RT-1).
#[test]
fn with_no_leader_a_request_gets_clusterdown_after_the_timeout() {
    let port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port")
    };
    // Nodes 2 and 3 are never started.
    let peers = format!(
        "1=127.0.0.1:{},2=127.0.0.1:{},3=127.0.0.1:{}",
        port(),
        port(),
        port()
    );
    let alone = Server::start(&[
        "--id",
        "1",
        "--peers",
        &peers,
        "--election-timeout-ms",
        "100",
        "--request-timeout-ms",
        "500",
        "--insecure-peers",
    ]);
    let mut c = alone.client();
    let err = c.get::<_, Option<String>>("x").expect_err("no leader");
    // The redis crate shows the CLUSTERDOWN error code as ClusterDown.
    assert!(
        err.to_string().to_ascii_uppercase().contains("CLUSTERDOWN"),
        "{err}"
    );
    assert!(err.to_string().contains("no leader elected yet"), "{err}");
}
