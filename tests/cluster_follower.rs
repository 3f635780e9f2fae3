//! Follower reads on a 3-node cluster (spec §6, Follower reads): a follower
//! serves GET and read-only scripts from its own snapshot once it has
//! applied the leader's read index, so every read sees every write that was
//! acknowledged before it; writes still go to the leader.

use redis::Commands;

mod support;
use support::cluster::{info_count, info_field, set_eventually, Cluster};

#[test]
fn a_follower_serves_reads_that_see_every_acknowledged_write() {
    let cluster = Cluster::start(3, &["--read-mode", "follower"]);
    let leader = cluster.leader();
    let follower = cluster.followers()[0];
    set_eventually(&cluster.nodes[leader], "k", "0");
    let mut w = cluster.nodes[leader].client();
    let mut r = cluster.nodes[follower].client();
    // Each write is acknowledged before the read starts: the follower must
    // see it, however far behind its apply was.
    for i in 1..=200 {
        let () = w.set("k", i.to_string()).expect("SET");
        let v: Option<String> = r.get("k").expect("GET at the follower");
        assert_eq!(v, Some(i.to_string()), "read {i} at the follower");
    }
    assert!(info_count(&cluster.nodes[follower], "follower_reads") >= 200);
    let modes = info_field(&cluster.nodes[follower], "modes").unwrap_or_default();
    assert!(modes.contains("read-mode=follower"), "{modes}");
}

#[test]
fn read_only_scripts_run_at_the_follower_and_writing_ones_at_the_leader() {
    let cluster = Cluster::start(3, &["--read-mode", "follower"]);
    let leader = cluster.leader();
    let follower = cluster.followers()[0];
    set_eventually(&cluster.nodes[leader], "a", "1");
    let mut c = cluster.nodes[follower].client();
    let get = "return redis.call('GET', KEYS[1])";
    // The first EVAL_RO of a body caches it (a write): it goes to the leader.
    let v: String = redis::cmd("EVAL_RO")
        .arg(get)
        .arg(1)
        .arg("a")
        .query(&mut c)
        .expect("EVAL_RO");
    assert_eq!(v, "1");
    let before = info_count(&cluster.nodes[follower], "follower_reads");
    for _ in 0..20 {
        let v: String = redis::cmd("EVAL_RO")
            .arg(get)
            .arg(1)
            .arg("a")
            .query(&mut c)
            .expect("EVAL_RO");
        assert_eq!(v, "1");
    }
    assert!(
        info_count(&cluster.nodes[follower], "follower_reads") >= before + 20,
        "cached read-only scripts run at the follower"
    );
    // A script that writes, sent to the follower, runs at the leader.
    let n: i64 = redis::cmd("EVAL")
        .arg("return redis.call('INCR', KEYS[1])")
        .arg(1)
        .arg("a")
        .query(&mut c)
        .expect("EVAL");
    assert_eq!(n, 2);
    let v: Option<String> = c.get("a").expect("GET");
    assert_eq!(v.as_deref(), Some("2"));
    // An EVAL_RO that tries to write is refused, as in Redis.
    let err = redis::cmd("EVAL_RO")
        .arg("return redis.call('SET', KEYS[1], 'x')")
        .arg(1)
        .arg("a")
        .query::<String>(&mut c)
        .expect_err("a write from EVAL_RO");
    assert!(
        err.to_string().contains("Write commands are not allowed"),
        "{err}"
    );
}

#[test]
fn a_follower_cut_off_from_the_leader_serves_nothing_stale() {
    let cluster = Cluster::start(3, &["--read-mode", "follower"]);
    let leader = cluster.leader();
    let follower = cluster.followers()[0];
    set_eventually(&cluster.nodes[leader], "x", "before");
    let others: Vec<String> = (0..3)
        .filter(|&i| i != follower)
        .map(|i| cluster.id(i))
        .collect();
    let mut c = cluster.nodes[follower].client();
    let _: () = redis::cmd("FENCEKV.PARTITION")
        .arg(&others)
        .query(&mut c)
        .expect("partition");
    set_eventually(&cluster.nodes[leader], "x", "after");
    let read: redis::RedisResult<Option<String>> = c.get("x");
    match read {
        Ok(v) => panic!("the cut-off follower served {v:?}"),
        // No read index in time, or no leader any more: nothing stale.
        Err(e) => eprintln!("the cut-off follower refused the read: {e}"),
    }
    let _: () = redis::cmd("FENCEKV.HEAL").query(&mut c).expect("heal");
    support::wait::eventually("the healed follower serves the new value", || {
        let v: Option<String> = c.get("x").ok()?;
        (v.as_deref() == Some("after")).then_some(())
    });
}

/// The apply wait is what makes the follower's read see the write: without
/// it (`--unsafe-apply-wait skip`) a follower that has the read index but
/// not yet the write answers the old value. Over TCP that needs the read
/// index to arrive in the same batch as the commit, ahead of the apply: it
/// happened within 2,000 pairs in 3 local runs and not in one CI run, so it
/// is not in the default run (`cargo test --test cluster_follower --
/// --ignored`); the model shows the gap every time
/// (`gap-follower-no-apply-wait.toml`).
#[test]
#[ignore = "timing-dependent: a stale read needs the read index and the commit in one batch"]
fn without_the_apply_wait_a_follower_serves_a_stale_read() {
    let cluster = Cluster::start(
        3,
        &["--read-mode", "follower", "--unsafe-apply-wait", "skip"],
    );
    let leader = cluster.leader();
    let follower = cluster.followers()[0];
    set_eventually(&cluster.nodes[leader], "k", "0");
    let mut w = cluster.nodes[leader].client();
    let mut r = cluster.nodes[follower].client();
    let stale = (1..=2000).find(|i| {
        let () = w.set("k", i.to_string()).expect("SET");
        let v: Option<String> = r.get("k").expect("GET at the follower");
        v != Some(i.to_string())
    });
    assert!(stale.is_some(), "2000 reads and none stale");
}
