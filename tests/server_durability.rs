//! Durability: acknowledged writes survive SIGKILL under `always`, a graceful
//! SIGTERM under `everysec` and `no`, and a SIGKILL more than a second after
//! the last write under `everysec`.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::Commands;
use support::server::Server;

fn write_keys(s: &Server, prefix: &str, n: usize) {
    let mut c = s.client();
    let mut pipe = redis::pipe();
    for i in 0..n {
        pipe.set(format!("{prefix}{i}"), format!("value-{i}"))
            .ignore();
    }
    let _: () = pipe.query(&mut c).expect("pipelined SETs");
}

fn check_keys(s: &Server, prefix: &str, n: usize) {
    let mut c = s.client();
    for i in 0..n {
        let v: Option<String> = c.get(format!("{prefix}{i}")).expect("GET");
        assert_eq!(v, Some(format!("value-{i}")), "{prefix}{i} lost");
    }
}

/// Reference: Raft §5 "persistent state … updated on stable storage before
/// responding to RPCs"; here, before a client's write is acknowledged.
#[test]
fn sigkill_under_always_keeps_every_acknowledged_write() {
    let mut s = Server::start(&["--appendfsync", "always"]);
    let acked: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let url = s.url();
    let mut threads = Vec::new();
    for t in 0..4 {
        let (acked, stop, url) = (acked.clone(), stop.clone(), url.clone());
        threads.push(std::thread::spawn(move || {
            let Ok(mut c) = redis::Client::open(url)
                .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(5)))
            else {
                return;
            };
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                let (k, v) = (format!("t{t}-k{i}"), format!("v{i}-{}", "x".repeat(i % 50)));
                match c.set::<_, _, ()>(&k, &v) {
                    Ok(()) => {
                        acked.lock().expect("lock").insert(k, v);
                    }
                    Err(_) => return,
                }
                i += 1;
            }
        }));
    }
    // Let the load run, then kill mid-flight.
    let deadline = Instant::now() + Duration::from_secs(10);
    while acked.lock().expect("lock").len() < 400 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    s.kill();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let acked = std::mem::take(&mut *acked.lock().expect("lock"));
    assert!(
        acked.len() >= 400,
        "too few writes acknowledged: {}",
        acked.len()
    );

    s.restart();
    let mut c = s.client();
    for (k, v) in &acked {
        let got: Option<String> = c.get(k).expect("GET");
        assert_eq!(got.as_ref(), Some(v), "acknowledged write of {k} lost");
    }
}

#[test]
fn sigterm_under_everysec_keeps_everything() {
    let mut s = Server::start(&[]);
    write_keys(&s, "e", 500);
    let status = s.terminate();
    assert!(status.success(), "exit status {status}; log:\n{}", s.log());
    s.restart();
    check_keys(&s, "e", 500);
    // And again, on top of a recovered log.
    write_keys(&s, "f", 10);
    assert!(s.terminate().success());
    s.restart();
    check_keys(&s, "e", 500);
    check_keys(&s, "f", 10);
}

#[test]
fn sigterm_under_no_keeps_everything() {
    let mut s = Server::start(&["--appendfsync", "no"]);
    write_keys(&s, "n", 200);
    assert!(s.terminate().success());
    s.restart();
    check_keys(&s, "n", 200);
}

/// `everysec`: a write older than the sync interval survives SIGKILL.
#[test]
fn sigkill_under_everysec_keeps_writes_older_than_a_second() {
    let mut s = Server::start(&[]);
    write_keys(&s, "s", 200);
    // Wait until nothing is pending (INFO says so), which takes about a
    // second; no fixed sleep.
    let pending = |c: &mut redis::Connection| -> bool {
        let info: String = redis::cmd("INFO")
            .arg("persistence")
            .query(c)
            .expect("INFO");
        info.lines()
            .find_map(|l| l.strip_prefix("log_sync_pending:"))
            .map(|v| v.trim() == "1")
            .expect("log_sync_pending in INFO")
    };
    let mut c = s.client();
    let started = Instant::now();
    while pending(&mut c) {
        assert!(started.elapsed() < Duration::from_secs(10), "never synced");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "everysec took {:?} to sync",
        started.elapsed()
    );
    s.kill();
    s.restart();
    check_keys(&s, "s", 200);
}

/// A crash while the file grew leaves a page past the end that no commit
/// refers to, holding whatever the disk had (a torn tail): redb ignores it,
/// and every acknowledged write is there on restart.
#[test]
fn a_log_with_a_torn_tail_recovers() {
    let mut s = Server::start(&["--appendfsync", "always"]);
    write_keys(&s, "torn", 500);
    s.kill();
    let file = s.dir.join("data").join("fencekv.redb");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .expect("open the log file");
    std::io::Write::write_all(&mut f, &[0xA5; 4096]).expect("a torn page");
    drop(f);
    s.start_again();
    check_keys(&s, "torn", 500);
}

/// A log damaged below what was committed (its length cut) is refused with a
/// clear error: the node does not start with acknowledged writes missing.
#[test]
fn a_log_cut_short_is_refused_not_served() {
    let mut s = Server::start(&["--appendfsync", "always"]);
    write_keys(&s, "cut", 500);
    s.kill();
    let file = s.dir.join("data").join("fencekv.redb");
    let len = std::fs::metadata(&file).expect("the log file").len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .expect("open the log file");
    f.set_len(len - 100).expect("cut the file");
    drop(f);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fencekv"))
        .args(["serve", "--port", "0", "--dir"])
        .arg(s.dir.join("data"))
        .output()
        .expect("run fencekv");
    assert!(!out.status.success(), "a damaged log must not be served");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is damaged"), "{err}");
}
