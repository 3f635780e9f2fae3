//! Functions on a running server (spec §8, FN): FUNCTION LOAD/LIST/DUMP/
//! RESTORE/FLUSH/DELETE and FCALL/FCALL_RO over real TCP with the `redis`
//! crate, Redis 7.0.15's replies and error texts; a restart keeps the
//! libraries (FN-1: they are replicated data, in the log).

mod support;

use support::server::Server;

/// Run one command; its reply, or the error's text (`CODE detail`).
fn call(c: &mut redis::Connection, args: &[&[u8]]) -> Result<redis::Value, String> {
    let mut cmd = redis::cmd(std::str::from_utf8(args[0]).expect("a command name"));
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query::<redis::Value>(c).map_err(|e| {
        let code = e.code().unwrap_or("").to_string();
        let detail = e.detail().unwrap_or("").to_string();
        format!("{code} {detail}")
    })
}

fn ok_text(c: &mut redis::Connection, args: &[&str]) -> String {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    match call(c, &args) {
        Ok(redis::Value::BulkString(b)) => String::from_utf8_lossy(&b).into_owned(),
        Ok(redis::Value::SimpleString(s)) => s,
        Ok(redis::Value::Okay) => "OK".into(),
        Ok(redis::Value::Int(n)) => n.to_string(),
        Ok(redis::Value::Nil) => "(nil)".into(),
        Ok(other) => format!("{other:?}"),
        Err(e) => e,
    }
}

const LIB: &str = "#!lua name=mylib
redis.register_function('setk', function(keys, args) return redis.call('SET', keys[1], args[1]) end)
redis.register_function{function_name='getk', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads'}
redis.register_function('boom', function() return redis.call('nosuch') end)
redis.register_function{function_name='sneaky', callback=function() return redis.call('SET', 'x', 1) end, flags={'no-writes'}}";

#[test]
fn load_fcall_fcall_ro_and_their_errors() {
    let s = Server::start(&[]);
    let mut c = s.client();
    assert_eq!(ok_text(&mut c, &["FUNCTION", "LOAD", LIB]), "mylib");
    assert_eq!(
        ok_text(&mut c, &["FUNCTION", "LOAD", LIB]),
        "ERR Library 'mylib' already exists"
    );
    assert_eq!(
        ok_text(&mut c, &["FUNCTION", "LOAD", "REPLACE", LIB]),
        "mylib"
    );
    assert_eq!(ok_text(&mut c, &["FCALL", "SETK", "1", "k", "v"]), "OK");
    assert_eq!(ok_text(&mut c, &["FCALL_RO", "getk", "1", "k"]), "v");
    assert_eq!(
        ok_text(&mut c, &["FCALL_RO", "setk", "1", "k", "w"]),
        "ERR Can not execute a script with write flag using *_ro command."
    );
    assert_eq!(
        ok_text(&mut c, &["FCALL", "sneaky", "0"]),
        "ERR Write commands are not allowed from read-only scripts. script: sneaky, on @user_function:5."
    );
    assert_eq!(
        ok_text(&mut c, &["FCALL", "boom", "0"]),
        "ERR Unknown Redis command called from script script: boom, on @user_function:4."
    );
    assert_eq!(
        ok_text(&mut c, &["FCALL", "nosuch", "0"]),
        "ERR Function not found"
    );
    assert_eq!(
        ok_text(&mut c, &["FCALL", "setk", "x"]),
        "ERR Bad number of keys provided"
    );
    assert_eq!(
        ok_text(&mut c, &["FCALL", "setk", "3", "a"]),
        "ERR Number of keys can't be greater than number of args"
    );
    assert_eq!(
        ok_text(&mut c, &["GET", "x"]),
        "(nil)",
        "a refused write wrote nothing"
    );
    let load_errors = [
        ("return 1", "ERR Missing library metadata"),
        ("#!lua name=x", "ERR Invalid library metadata"),
        ("#!js name=x\n", "ERR Engine 'js' not found"),
        ("#!lua\n", "ERR Library name was not given"),
        ("#!lua name=x foo=bar\n", "ERR Invalid metadata value given: foo=bar"),
        ("#!lua name=x\nreturn 1", "ERR No functions registered"),
        (
            "#!lua name=x\nredis.register_function('setk', function() end)",
            "ERR Function setk already exists",
        ),
        (
            "#!lua name=x\nredis.register_function('a-b', function() end)",
            "ERR Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        ),
        (
            "#!lua name=x\nredis.call('ping')",
            "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'",
        ),
        (
            "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={'bad'}}",
            "ERR Error registering functions: ERR unknown flag given",
        ),
        (
            "#!lua name=x\nfoo(",
            "ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'",
        ),
        (
            "#!lua name=x\nwhile 1 do end",
            "ERR Error registering functions: ERR FUNCTION LOAD timeout",
        ),
    ];
    for (code, text) in load_errors {
        assert_eq!(ok_text(&mut c, &["FUNCTION", "LOAD", code]), text, "{code}");
    }
    assert_eq!(
        ok_text(&mut c, &["FUNCTION", "DELETE", "nolib"]),
        "ERR Library not found"
    );
    assert_eq!(
        ok_text(&mut c, &["FUNCTION", "KILL"]),
        "NOTBUSY No scripts in execution right now."
    );
}

#[test]
fn list_dump_restore_flush_and_a_restart() {
    let mut s = Server::start(&["--appendfsync", "always"]);
    let mut c = s.client();
    assert_eq!(ok_text(&mut c, &["FUNCTION", "LOAD", LIB]), "mylib");
    let list: redis::Value = redis::cmd("FUNCTION")
        .arg("LIST")
        .arg("LIBRARYNAME")
        .arg("MY*")
        .query(&mut c)
        .expect("FUNCTION LIST");
    let text = format!("{list:?}");
    assert!(text.contains("mylib") && text.contains("reads") && text.contains("no-writes"));
    let payload: Vec<u8> = redis::cmd("FUNCTION")
        .arg("DUMP")
        .query(&mut c)
        .expect("DUMP");
    assert_eq!(ok_text(&mut c, &["FUNCTION", "FLUSH"]), "OK");
    assert_eq!(
        ok_text(&mut c, &["FCALL", "getk", "1", "k"]),
        "ERR Function not found"
    );
    let restore = |c: &mut redis::Connection, payload: &[u8], policy: &str| {
        let mut args: Vec<&[u8]> = vec![b"FUNCTION", b"RESTORE", payload];
        if !policy.is_empty() {
            args.push(policy.as_bytes());
        }
        call(c, &args)
    };
    assert_eq!(restore(&mut c, &payload, ""), Ok(redis::Value::Okay));
    assert_eq!(
        restore(&mut c, &payload, "APPEND"),
        Err("ERR Library mylib already exists".into())
    );
    assert_eq!(restore(&mut c, &payload, "REPLACE"), Ok(redis::Value::Okay));
    let mut corrupt = payload.clone();
    let n = corrupt.len();
    corrupt[n - 1] ^= 0xff;
    assert_eq!(
        restore(&mut c, &corrupt, "FLUSH"),
        Err("ERR DUMP payload version or checksum are wrong".into())
    );
    assert_eq!(ok_text(&mut c, &["FCALL", "setk", "1", "k", "v"]), "OK");
    assert_eq!(ok_text(&mut c, &["FLUSHALL"]), "OK");
    assert_eq!(
        ok_text(&mut c, &["FCALL", "getk", "1", "k"]),
        "(nil)",
        "FLUSHALL keeps the libraries"
    );
    drop(c);
    s.restart();
    let mut c = s.client();
    assert_eq!(ok_text(&mut c, &["FCALL", "setk", "1", "k", "w"]), "OK");
    assert_eq!(ok_text(&mut c, &["FCALL_RO", "getk", "1", "k"]), "w");
    assert_eq!(ok_text(&mut c, &["FUNCTION", "DELETE", "mylib"]), "OK");
    assert_eq!(
        ok_text(&mut c, &["FCALL", "getk", "1", "k"]),
        "ERR Function not found"
    );
}

#[test]
fn eval_shebang_flags() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let no_writes_set = "#!lua flags=no-writes\nreturn redis.call('SET', 'a', 2)";
    let refused = format!(
        "ERR Write commands are not allowed from read-only scripts. script: {}, on @user_script:2.",
        fencekv::strings::encoding::sha1_hex(no_writes_set.as_bytes())
    );
    let cases: [(Vec<&str>, &str); 9] = [
        (
            vec!["EVAL", "#!lua\nreturn redis.call('SET', 'a', 1)", "0"],
            "OK",
        ),
        (
            vec!["EVAL_RO", "#!lua\nreturn 1", "0"],
            "ERR Can not execute a script with write flag using *_ro command.",
        ),
        (
            vec![
                "EVAL_RO",
                "#!lua flags=no-writes\nreturn redis.call('GET', 'a')",
                "0",
            ],
            "1",
        ),
        (vec!["EVAL", no_writes_set, "0"], &refused),
        (
            vec!["EVAL", "#!foo\nreturn 1", "0"],
            "ERR Unexpected engine in script shebang: #!foo",
        ),
        (
            vec!["EVAL", "#!lua flags=bad\nreturn 1", "0"],
            "ERR Unexpected flag in script shebang: bad",
        ),
        (
            vec!["EVAL", "#!lua x=1\nreturn 1", "0"],
            "ERR Unknown lua shebang option: x=1",
        ),
        (vec!["EVAL", "#!lua", "0"], "ERR Invalid script shebang"),
        (
            vec!["SCRIPT", "LOAD", "#!lua flags=bad\nreturn 1"],
            "ERR Unexpected flag in script shebang: bad",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(ok_text(&mut c, &args), want, "{args:?}");
    }
    assert_eq!(ok_text(&mut c, &["GET", "a"]), "1");
}
