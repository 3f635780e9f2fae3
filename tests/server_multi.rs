//! MULTI/EXEC and WATCH on running servers, driven by the `redis` crate's
//! own transactional pipeline (`pipe().atomic()`) and its WATCH-retry loop
//! (`redis::transaction`), unmodified: on one node, and on a 3-node cluster
//! through every node (followers forward), across a leader failover.

mod support;

use std::time::Duration;

use redis::Commands;
use support::cluster::{set_eventually, Cluster};
use support::server::Server;

/// `n` WATCH/GET/MULTI/SET/EXEC increments of `key` on one connection,
/// retried by the client library whenever EXEC answers nil.
fn watched_increments(c: &mut redis::Connection, key: &str, n: usize) -> redis::RedisResult<()> {
    for _ in 0..n {
        redis::transaction::<_, _, (), _>(c, &[key], |con, pipe| {
            let v: Option<i64> = con.get(key)?;
            pipe.set(key, v.unwrap_or(0) + 1).ignore().query(con)
        })?;
    }
    Ok(())
}

#[test]
fn an_atomic_pipeline_answers_every_command_and_per_command_errors() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let _: () = c.rpush("l", &["a", "b"]).expect("RPUSH");
    let (range, n, len): (Vec<String>, i64, i64) = redis::pipe()
        .atomic()
        .lrange("l", 0, -1)
        .incr("n", 5)
        .llen("l")
        .query(&mut c)
        .expect("EXEC");
    assert_eq!((range, n, len), (vec!["a".into(), "b".into()], 5, 2));
    // A command that fails at run time answers its error inside EXEC's
    // array (the crate reports it as the query's error); the others still
    // apply, as in Redis.
    let _: () = redis::cmd("MULTI").query(&mut c).expect("MULTI");
    let q: String = redis::cmd("INCR").arg("l").query(&mut c).expect("queued");
    assert_eq!(q, "QUEUED");
    let _: String = redis::cmd("SET")
        .arg("after")
        .arg("1")
        .query(&mut c)
        .expect("queued");
    let e = redis::cmd("EXEC")
        .query::<redis::Value>(&mut c)
        .expect_err("INCR's error");
    assert_eq!(e.code(), Some("WRONGTYPE"));
    let after: String = c.get("after").expect("GET");
    assert_eq!(after, "1");
}

#[test]
fn a_queue_time_error_discards_the_transaction() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let _: () = redis::cmd("MULTI").query(&mut c).expect("MULTI");
    let _: String = redis::cmd("SET")
        .arg("x")
        .arg("1")
        .query(&mut c)
        .expect("queued");
    let e = redis::cmd("SET").arg("y").query::<String>(&mut c);
    assert!(e.is_err(), "arity is checked at queue time");
    let e = redis::cmd("EXEC")
        .query::<redis::Value>(&mut c)
        .expect_err("EXECABORT");
    assert_eq!(e.code(), Some("EXECABORT"));
    let x: Option<String> = c.get("x").expect("GET");
    assert_eq!(x, None, "nothing of an aborted transaction applies");
}

#[test]
fn watch_based_increments_from_many_clients_lose_nothing() {
    let s = Server::start(&[]);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let mut c = s.client();
            std::thread::spawn(move || watched_increments(&mut c, "counter", 50))
        })
        .collect();
    for t in threads {
        t.join().expect("thread").expect("increments");
    }
    let mut c = s.client();
    let v: i64 = c.get("counter").expect("GET");
    assert_eq!(v, 200, "every acknowledged increment counted once");
}

#[test]
fn exec_answers_nil_when_a_watched_key_is_touched() {
    let s = Server::start(&[]);
    let mut a = s.client();
    let mut b = s.client();
    let _: () = a.set("w", "1").expect("SET");
    let _: () = redis::cmd("WATCH").arg("w").query(&mut a).expect("WATCH");
    let _: () = b.expire("w", 100).expect("EXPIRE touches the key");
    let _: () = redis::cmd("MULTI").query(&mut a).expect("MULTI");
    let _: String = redis::cmd("SET")
        .arg("w")
        .arg("2")
        .query(&mut a)
        .expect("queued");
    let r: redis::Value = redis::cmd("EXEC").query(&mut a).expect("EXEC");
    assert_eq!(r, redis::Value::Nil);
    let w: String = a.get("w").expect("GET");
    assert_eq!(w, "1", "an aborted EXEC writes nothing");
}

#[test]
fn watch_based_increments_on_a_cluster_survive_a_leader_failover() {
    let mut cluster = Cluster::start(3, &["--appendfsync", "always"]);
    let leader = cluster.leader();
    set_eventually(&cluster.nodes[leader], "counter", "0");
    // Through a follower, which forwards WATCH's read and the EXEC.
    let follower = cluster.followers()[0];
    let mut c = cluster.nodes[follower].client();
    watched_increments(&mut c, "counter", 20).expect("increments through a follower");
    let v: i64 = c.get("counter").expect("GET");
    assert_eq!(v, 20);
    // Kill the leader; the survivors elect one and EXEC works there.
    cluster.nodes[leader].kill();
    let survivor = (0..3).find(|&i| i != leader).unwrap_or(follower);
    let (mut done, mut unknown) = (0, 0);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut c = cluster.nodes[survivor].client();
    while done < 20 && std::time::Instant::now() < deadline {
        match watched_increments(&mut c, "counter", 1) {
            Ok(()) => done += 1,
            Err(_) => {
                // No leader yet, or an EXEC whose outcome is unknown (it
                // may have applied): go on after a pause.
                unknown += 1;
                std::thread::sleep(Duration::from_millis(100));
                c = cluster.nodes[survivor].client();
            }
        }
    }
    assert_eq!(done, 20, "EXEC works on the new leader");
    let v: i64 = c.get("counter").expect("GET");
    assert!(
        (40..=40 + unknown).contains(&v),
        "each acknowledged increment once, an unknown outcome at most once: {v} ({unknown} unknown)"
    );
}

#[test]
fn a_blocking_pop_inside_multi_answers_at_once() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let (empty, pushed, popped): (Option<Vec<String>>, i64, Vec<String>) = redis::pipe()
        .atomic()
        .blpop("q", 0.0)
        .rpush("q", "a")
        .blpop("q", 0.0)
        .query(&mut c)
        .expect("EXEC");
    assert_eq!(empty, None, "an empty list answers nil, as in Redis");
    assert_eq!(pushed, 1);
    assert_eq!(popped, vec!["q".to_string(), "a".to_string()]);
}

/// CONFIG, SELECT and CLIENT queued in a MULTI run at the connection once
/// the node's transaction answered, their replies in their places; a
/// WATCH that aborts the EXEC runs none of them. SAVE is refused at queue
/// time, as in Redis.
#[test]
fn connection_commands_inside_exec_answer_in_place() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let (ok, name, get): (String, String, Option<String>) = redis::pipe()
        .atomic()
        .cmd("CLIENT")
        .arg("SETNAME")
        .arg("app")
        .cmd("CLIENT")
        .arg("GETNAME")
        .get("missing")
        .query(&mut c)
        .expect("EXEC");
    assert_eq!((ok.as_str(), name.as_str(), get), ("OK", "app", None));

    let _: () = redis::cmd("WATCH").arg("w").query(&mut c).expect("WATCH");
    let mut other = s.client();
    let _: () = other.set("w", "1").expect("SET");
    let _: () = redis::cmd("MULTI").query(&mut c).expect("MULTI");
    let _: String = redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("aborted")
        .query(&mut c)
        .expect("queued");
    let aborted: redis::Value = redis::cmd("EXEC").query(&mut c).expect("EXEC");
    assert_eq!(aborted, redis::Value::Nil);
    let name: String = redis::cmd("CLIENT")
        .arg("GETNAME")
        .query(&mut c)
        .expect("GETNAME");
    assert_eq!(name, "app");

    let _: () = redis::cmd("MULTI").query(&mut c).expect("MULTI");
    let e = redis::cmd("SAVE")
        .query::<()>(&mut c)
        .expect_err("SAVE is no-multi");
    assert!(
        e.to_string()
            .contains("Command not allowed inside a transaction"),
        "{e}"
    );
    let e = redis::cmd("EXEC")
        .query::<()>(&mut c)
        .expect_err("EXECABORT");
    assert_eq!(e.code(), Some("EXECABORT"));
    let () = redis::cmd("SAVE").query(&mut c).expect("SAVE");
}
