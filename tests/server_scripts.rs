//! Scripts on a running server: past the time limit (`--lua-time-limit`) a
//! script goes on while other clients are answered BUSY, as in Redis, and
//! SCRIPT KILL from another connection stops it at once; a killed script
//! writes nothing (its writes are buffered until it ends, spec §8 step 5)
//! and the server answers again.

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

/// PING until it answers BUSY (the script passed its time limit).
fn busy_when_past_the_limit(c: &mut redis::Connection) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match call(c, &["PING"]) {
            Err(e) if e.starts_with("BUSY") => return e,
            other if Instant::now() >= deadline => panic!("never BUSY: {other:?}"),
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// Past `--lua-time-limit` the script goes on and every other client is
/// answered Redis's BUSY, until SCRIPT KILL stops it; the server then
/// answers as before and the script wrote nothing.
#[test]
fn past_the_time_limit_other_clients_get_busy_until_script_kill() {
    let s = Server::start(&["--lua-time-limit", "300"]);
    let mut c = s.client();
    assert_eq!(
        call(&mut c, &["SET", "k", "before"]),
        Ok(redis::Value::Okay)
    );
    let running = eval_in_background(&s, "redis.call('SET', 'k', 'during') while true do end");
    let busy = busy_when_past_the_limit(&mut c);
    assert_eq!(
        busy,
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    );
    // Inside MULTI a refused command fails the transaction; EXEC discards it.
    assert_eq!(call(&mut c, &["MULTI"]), Ok(redis::Value::Okay));
    assert!(call(&mut c, &["INCR", "n"]).is_err_and(|e| e.starts_with("BUSY")));
    let exec = call(&mut c, &["EXEC"]).expect_err("EXECABORT");
    assert!(
        exec.starts_with("EXECABORT Transaction discarded because of: BUSY"),
        "{exec}"
    );
    assert_eq!(call(&mut c, &["SCRIPT", "KILL"]), Ok(redis::Value::Okay));
    let (r, took) = running.join().expect("eval thread");
    assert!(r.is_err_and(|e| e.contains("SCRIPT KILL")), "killed");
    assert!(took >= Duration::from_millis(300), "{took:?}");
    // Served again: nothing of the script or the transaction was written.
    assert_eq!(
        call(&mut c, &["PING"]),
        Ok(redis::Value::SimpleString("PONG".into()))
    );
    assert_eq!(get(&mut c, "k").as_deref(), Some("before"));
    assert_eq!(get(&mut c, "n"), None);
    assert_eq!(
        call(&mut c, &["EVAL", "return 7", "0"]),
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
    let running = eval_in_background(&s, "while true do end");
    busy_when_past_the_limit(&mut c);
    assert_eq!(call(&mut c, &["SCRIPT", "KILL"]), Ok(redis::Value::Okay));
    let (r, _) = running.join().expect("eval thread");
    assert!(r.is_err(), "killed: {r:?}");
    assert_eq!(
        call(&mut c, &["CONFIG", "GET", "busy-reply-threshold"]),
        Ok(redis::Value::Array(vec![
            redis::Value::BulkString(b"busy-reply-threshold".to_vec()),
            redis::Value::BulkString(b"200".to_vec()),
        ]))
    );
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
