//! Expiry goes through the log (spec EXP-4): the leader deletes expired keys
//! actively, by sampling the TTL index on each tick, and lazily, when a read
//! finds one. Checked through the raw debug commands, which show whether the
//! internal keys are really gone (not just hidden by the read chain).

mod support;

use std::time::{Duration, Instant};

use redis::Value;
use support::server::Server;

fn raw_get(c: &mut redis::Connection, key: &str) -> Value {
    redis::cmd("FENCEKV.RAWGET")
        .arg(key)
        .query(c)
        .expect("FENCEKV.RAWGET")
}

/// Poll until `f` holds or 5 s pass (the tick is 100 ms).
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn active_expiry_deletes_every_form_without_a_read() {
    let s = Server::start(&["--enable-debug-commands"]);
    let mut c = s.client();
    for i in 0..50 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg("v")
            .arg("PX")
            .arg(30)
            .query(&mut c)
            .expect("SET PX");
    }
    let _: () = redis::cmd("SET")
        .arg("keep")
        .arg("v")
        .query(&mut c)
        .expect("SET");
    // Never read the expiring keys: only the active cycle can remove them.
    let gone = eventually(|| matches!(raw_get(&mut c, "!redis|str|k49"), Value::Nil));
    assert!(gone, "active expiry did not delete !redis|str|k49");
    assert!(eventually(|| (0..50).all(|i| matches!(
        raw_get(&mut c, &format!("!redis|str|k{i}")),
        Value::Nil
    ) && matches!(
        raw_get(&mut c, &format!("!redis|ttl|k{i}")),
        Value::Nil
    ))));
    let n: i64 = redis::cmd("DBSIZE").query(&mut c).expect("DBSIZE");
    assert_eq!(n, 1);
}

#[test]
fn an_expired_legacy_key_is_absent_then_deleted_through_the_log() {
    let s = Server::start(&["--enable-debug-commands"]);
    let mut c = s.client();
    // A bare legacy key whose TTL index entry is in the past.
    let _: () = redis::cmd("FENCEKV.RAWSET")
        .arg("old")
        .arg("v")
        .query(&mut c)
        .expect("RAWSET");
    let _: () = redis::cmd("FENCEKV.RAWSET")
        .arg("!redis|ttl|old")
        .arg(1u64.to_be_bytes().to_vec())
        .query(&mut c)
        .expect("RAWSET ttl");
    let v: Option<String> = redis::cmd("GET").arg("old").query(&mut c).expect("GET");
    assert_eq!(v, None, "an expired key is absent");
    assert!(
        eventually(|| matches!(raw_get(&mut c, "old"), Value::Nil)),
        "the bare key was not deleted"
    );
    assert!(
        matches!(raw_get(&mut c, "!redis|ttl|old"), Value::Nil),
        "the TTL index entry was not deleted"
    );
}
