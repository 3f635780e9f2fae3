//! The collection types from a Redis client library (the `redis` crate),
//! over real TCP: on one node (replies as the library decodes them, WRONGTYPE,
//! expiry, a restart from the durable log) and through every node of a
//! 3-node cluster.

use std::collections::{HashMap, HashSet};

use redis::Commands;

mod support;
use support::cluster::{set_eventually, Cluster};
use support::server::Server;

/// One of each type under `prefix`, through `c`.
fn write_each_type(c: &mut redis::Connection, prefix: &str, item: &str) {
    let () = c.rpush(format!("{prefix}list"), item).expect("RPUSH");
    let () = c.hset(format!("{prefix}hash"), item, 1).expect("HSET");
    let () = c.sadd(format!("{prefix}set"), item).expect("SADD");
    let () = c.zadd(format!("{prefix}zset"), item, 1).expect("ZADD");
}

#[test]
fn a_client_library_reads_and_writes_every_type_and_a_restart_keeps_them() {
    let mut server = Server::start(&["--appendfsync", "always"]);
    let mut c = server.client();
    let n: usize = c.rpush("l", &["a", "b", "c"]).expect("RPUSH");
    assert_eq!(n, 3);
    let items: Vec<String> = c.lrange("l", 0, -1).expect("LRANGE");
    assert_eq!(items, ["a", "b", "c"]);
    let () = c
        .hset_multiple("h", &[("f", "1"), ("g", "2")])
        .expect("HSET");
    let fields: HashMap<String, i64> = c.hgetall("h").expect("HGETALL");
    assert_eq!(fields, HashMap::from([("f".into(), 1), ("g".into(), 2)]));
    let added: usize = c.sadd("s", &["x", "y", "x"]).expect("SADD");
    assert_eq!(added, 2);
    let members: HashSet<String> = c.smembers("s").expect("SMEMBERS");
    assert_eq!(members, HashSet::from(["x".into(), "y".into()]));
    let () = c
        .zadd_multiple("z", &[(2.5, "b"), (1.0, "a")])
        .expect("ZADD");
    let ranked: Vec<(String, f64)> = c.zrange_withscores("z", 0, -1).expect("ZRANGE");
    assert_eq!(ranked, [("a".into(), 1.0), ("b".into(), 2.5)]);
    // One type per key.
    let wrong: redis::RedisResult<usize> = c.sadd("l", "x");
    assert_eq!(
        wrong.map_err(|e| e.code().map(String::from)),
        Err(Some("WRONGTYPE".into()))
    );
    // Expiry works on a collection as on a string.
    let () = c.expire("s", 1000).expect("EXPIRE");
    let ttl: i64 = c.ttl("s").expect("TTL");
    assert!((990..=1000).contains(&ttl), "{ttl}");
    // Everything is in the log: a restart reads it back.
    drop(c);
    server.restart();
    let mut c = server.client();
    let items: Vec<String> = c.lrange("l", 0, -1).expect("LRANGE");
    assert_eq!(items, ["a", "b", "c"]);
    let fields: HashMap<String, i64> = c.hgetall("h").expect("HGETALL");
    assert_eq!(fields.len(), 2);
    let card: usize = c.scard("s").expect("SCARD");
    assert_eq!(card, 2);
    let score: f64 = c.zscore("z", "b").expect("ZSCORE");
    assert_eq!(score, 2.5);
}

#[test]
fn every_node_of_a_cluster_serves_every_type() {
    let cluster = Cluster::start(3, &[]);
    cluster.leader();
    // An idempotent SET through each node first, retried while the cluster
    // elects, so the writes below each go through once.
    for (i, node) in cluster.nodes.iter().enumerate() {
        set_eventually(node, &format!("ready{i}"), "1");
    }
    for (i, node) in cluster.nodes.iter().enumerate() {
        write_each_type(&mut node.client(), "c:", &format!("n{i}"));
    }
    let all: Vec<String> = (0..3).map(|i| format!("n{i}")).collect();
    for node in &cluster.nodes {
        let mut c = node.client();
        let items: Vec<String> = c.lrange("c:list", 0, -1).expect("LRANGE");
        assert_eq!(items, all, "the list, through :{}", node.port);
        let fields: HashMap<String, i64> = c.hgetall("c:hash").expect("HGETALL");
        assert_eq!(fields.len(), 3);
        let members: Vec<String> = c.smembers("c:set").expect("SMEMBERS");
        assert_eq!(members, all, "members in byte order");
        let ranked: Vec<String> = c.zrange("c:zset", 0, -1).expect("ZRANGE");
        assert_eq!(ranked, all, "equal scores sort by member");
    }
    // A pop through one node is seen as gone through every other.
    let popped: Option<String> = cluster.nodes[1].client().spop("c:set").expect("SPOP");
    let popped = popped.expect("a member");
    for node in &cluster.nodes {
        let is: bool = node
            .client()
            .sismember("c:set", &popped)
            .expect("SISMEMBER");
        assert!(!is, "{popped} is gone through :{}", node.port);
    }
}
