//! Lease reads on a 3-node cluster (spec §6, Leases): a leader serves reads
//! from its lease with no round of its own, and a leader cut off from the
//! others stops serving once the lease is over — before the majority can
//! elect anyone — so it never serves a stale read.

use redis::Commands;

mod support;
use support::cluster::{info_count, info_field, set_eventually, Cluster};
use support::wait::eventually;

#[test]
fn a_leader_serves_reads_from_its_lease_without_rounds() {
    let cluster = Cluster::start(3, &["--read-mode", "lease"]);
    let leader = cluster.leader();
    set_eventually(&cluster.nodes[leader], "k", "v");
    let mut c = cluster.nodes[leader].client();
    // The heartbeats keep the lease; give the first one time to land.
    eventually("a read is served under the lease", || {
        let _: Option<String> = c.get("k").ok()?;
        (info_count(&cluster.nodes[leader], "lease_reads") > 0).then_some(())
    });
    let before = info_count(&cluster.nodes[leader], "lease_reads");
    for _ in 0..200 {
        let v: Option<String> = c.get("k").expect("GET");
        assert_eq!(v.as_deref(), Some("v"));
    }
    let after = info_count(&cluster.nodes[leader], "lease_reads");
    assert!(
        after >= before + 150,
        "most reads use the lease: {before} → {after}"
    );
    let modes = info_field(&cluster.nodes[leader], "modes").unwrap_or_default();
    assert!(modes.contains("read-mode=lease"), "{modes}");
}

#[test]
fn a_cut_off_leader_stops_serving_when_its_lease_ends() {
    // CheckQuorum off: only the lease stands between the old leader and a
    // stale read.
    let cluster = Cluster::start(3, &["--read-mode", "lease", "--check-quorum", "off"]);
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
    let majority = (0..3).find(|&i| i != old).expect("a follower");
    set_eventually(&cluster.nodes[majority], "x", "after");
    // The majority acknowledged "after": the old leader, which still
    // believes it leads, must not answer "before".
    let read: redis::RedisResult<Option<String>> = c.get("x");
    match read {
        Ok(v) => panic!("the cut-off leader served {v:?} after its lease"),
        Err(e) => assert!(e.to_string().contains("TIMEOUT"), "{e}"),
    }
    assert!(info_count(&cluster.nodes[old], "lease_expiries") > 0);
}

#[test]
fn a_leader_paused_past_its_lease_serves_no_stale_read_when_it_wakes() {
    // CheckQuorum off, as above: only the lease (and the clock it reads on
    // waking) stands between the paused leader and a stale read.
    let cluster = Cluster::start(3, &["--read-mode", "lease", "--check-quorum", "off"]);
    let old = cluster.leader();
    set_eventually(&cluster.nodes[old], "x", "before");
    let mut c = cluster.nodes[old].client();
    // A lease read, so the paused leader holds a lease when it stops.
    eventually("a read is served under the lease", || {
        let _: Option<String> = c.get("x").ok()?;
        (info_count(&cluster.nodes[old], "lease_reads") > 0).then_some(())
    });
    // Connected now: a stopped process completes no handshake.
    let mut reader = cluster.nodes[old].client();
    reader
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    cluster.nodes[old].signal("STOP");
    let majority = (0..3).find(|&i| i != old).expect("a follower");
    set_eventually(&cluster.nodes[majority], "x", "after");
    // The GET waits in the stopped process's socket; the node reads it
    // first thing when it wakes, before it hears of the new term.
    let read = std::thread::spawn(move || reader.get::<_, Option<String>>("x"));
    std::thread::sleep(std::time::Duration::from_millis(200));
    cluster.nodes[old].signal("CONT");
    match read.join().expect("reader") {
        Ok(v) => assert_eq!(v.as_deref(), Some("after"), "a stale read on waking"),
        // Not leading any more, or no answer in time: nothing stale.
        Err(e) => eprintln!("the woken leader refused the read: {e}"),
    }
}
