//! Scripts on a running server: a runaway script is stopped by the time limit
//! (`--lua-time-limit`) and SCRIPT KILL from another connection stops one at
//! once; either way the script writes nothing (its writes are buffered until
//! it ends, spec §8 step 5) and the server keeps answering.

mod support;

use std::time::{Duration, Instant};

use support::server::Server;

/// Run one command; its reply, or the error's text (`CODE detail`).
fn call(c: &mut redis::Connection, args: &[&str]) -> Result<redis::Value, String> {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query::<redis::Value>(c).map_err(|e| {
        let code = e.code().unwrap_or("").to_string();
        let detail = e.detail().unwrap_or("").to_string();
        format!("{code} {detail}")
    })
}

fn get(c: &mut redis::Connection, key: &str) -> Option<String> {
    redis::cmd("GET").arg(key).query(c).expect("GET")
}

/// `EVAL body 0` on a thread of its own, with its own connection; the thread
/// returns the reply and how long it took.
fn eval_in_background(
    s: &Server,
    body: &'static str,
) -> std::thread::JoinHandle<(Result<redis::Value, String>, Duration)> {
    let mut c = s.client();
    std::thread::spawn(move || {
        let t = Instant::now();
        let r = call(&mut c, &["EVAL", body, "0"]);
        (r, t.elapsed())
    })
}

/// SCRIPT KILL until a script is running to be killed (NOTBUSY before it
/// starts); the reply that was not NOTBUSY.
fn kill_when_running(c: &mut redis::Connection) -> Result<redis::Value, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = call(c, &["SCRIPT", "KILL"]);
        match &r {
            Err(e) if e.starts_with("NOTBUSY") && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => return r,
        }
    }
}

#[test]
fn a_runaway_script_is_stopped_by_the_time_limit_and_the_server_keeps_answering() {
    let s = Server::start(&["--lua-time-limit", "300"]);
    let mut c = s.client();
    assert_eq!(
        call(&mut c, &["SET", "k", "before"]),
        Ok(redis::Value::Okay)
    );

    let t = Instant::now();
    let r = call(&mut c, &["EVAL", "while true do end", "0"]);
    let took = t.elapsed();
    let err = r.expect_err("a runaway script answers an error");
    assert!(
        err.contains("time limit"),
        "the error names the time limit: {err}"
    );
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(5),
        "stopped after the limit, within a few seconds: {took:?}"
    );

    // The same connection and a fresh one are served.
    assert_eq!(
        call(&mut c, &["PING"]),
        Ok(redis::Value::SimpleString("PONG".into()))
    );
    assert_eq!(get(&mut c, "k").as_deref(), Some("before"));
    let mut c2 = s.client();
    assert_eq!(get(&mut c2, "k").as_deref(), Some("before"));
    // Scripts still run afterwards.
    assert_eq!(
        call(&mut c2, &["EVAL", "return 7", "0"]),
        Ok(redis::Value::Int(7))
    );
}

/// CONFIG SET lua-time-limit changes the limit of the running node.
#[test]
fn config_set_lua_time_limit_changes_the_limit_at_run_time() {
    let s = Server::start(&["--lua-time-limit", "60000"]);
    let mut c = s.client();
    assert_eq!(
        call(&mut c, &["CONFIG", "SET", "lua-time-limit", "200"]),
        Ok(redis::Value::Okay)
    );
    let t = Instant::now();
    let err = call(&mut c, &["EVAL", "while true do end", "0"]).expect_err("stopped");
    assert!(err.contains("time limit of 200 ms"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert_eq!(
        call(&mut c, &["CONFIG", "GET", "busy-reply-threshold"]),
        Ok(redis::Value::Array(vec![
            redis::Value::BulkString(b"busy-reply-threshold".to_vec()),
            redis::Value::BulkString(b"200".to_vec()),
        ]))
    );
}

#[test]
fn a_runaway_script_that_wrote_is_stopped_and_wrote_nothing() {
    let s = Server::start(&["--lua-time-limit", "300"]);
    let mut c = s.client();
    let r = call(
        &mut c,
        &["EVAL", "redis.call('SET', 'k', 'v') while true do end", "0"],
    );
    assert!(r.is_err(), "stopped: {r:?}");
    assert_eq!(get(&mut c, "k"), None);
}

#[test]
fn script_kill_from_another_connection_stops_a_running_script() {
    // A limit far beyond the test: only SCRIPT KILL can stop the script.
    let s = Server::start(&["--lua-time-limit", "60000"]);
    let mut other = s.client();
    assert!(
        call(&mut other, &["SCRIPT", "KILL"]).is_err_and(|e| e.starts_with("NOTBUSY")),
        "nothing to kill yet"
    );

    let body = "local i = 0 while true do i = i + 1 end";
    let running = eval_in_background(&s, body);
    assert_eq!(kill_when_running(&mut other), Ok(redis::Value::Okay));
    let (r, took) = running.join().expect("eval thread");
    // Redis 7.0.15's text, byte for byte.
    assert_eq!(
        r,
        Err(format!(
            "ERR Script killed by user with SCRIPT KILL... script: {}, on @user_script:1.",
            fencekv::script::context::sha1_hex(body.as_bytes())
        ))
    );
    assert!(took < Duration::from_secs(10), "killed promptly: {took:?}");

    assert_eq!(
        call(&mut other, &["PING"]),
        Ok(redis::Value::SimpleString("PONG".into()))
    );
    assert!(
        call(&mut other, &["SCRIPT", "KILL"]).is_err_and(|e| e.starts_with("NOTBUSY")),
        "nothing left to kill"
    );
    assert_eq!(get(&mut other, "missing"), None);
}

#[test]
fn a_script_killed_after_a_write_wrote_nothing() {
    let s = Server::start(&["--lua-time-limit", "60000"]);
    let mut other = s.client();
    let running = eval_in_background(&s, "redis.call('SET', 'k', 'v') while true do end");
    // Unlike Redis (UNKILLABLE once a script wrote), the kill is accepted:
    // the write is only buffered.
    assert_eq!(kill_when_running(&mut other), Ok(redis::Value::Okay));
    let (r, _) = running.join().expect("eval thread");
    assert!(
        r.as_ref().is_err_and(|e| e.contains("SCRIPT KILL")),
        "killed: {r:?}"
    );
    assert_eq!(
        get(&mut other, "k"),
        None,
        "the killed script's SET is gone"
    );
    assert_eq!(call(&mut other, &["DBSIZE"]), Ok(redis::Value::Int(0)));
}
