//! The Lua engine against redis-server 7.0.15: every expected value below
//! was observed on a real server (`EVAL <script> 0`, raw RESP).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use super::{sha1_hex, LuaEngine};
use crate::cmd::{parse, run_write, ParseCtx};
use crate::modes::ChainModes;
use crate::resp::Reply;
use crate::script::engine::{Engine, Host, Interrupted, Invocation, Watchdog};
use crate::strings::KeyspaceWrite;

/// A host over a plain map, translating command errors to the texts Redis
/// gives scripts (the real node's host does this).
#[derive(Default)]
struct MapHost {
    map: BTreeMap<Vec<u8>, Bytes>,
    calls: usize,
    /// Answer `Interrupted` to this call (1-based).
    interrupt_at: Option<usize>,
}

impl Host for MapHost {
    fn call(&mut self, args: &[Bytes], _read_only: bool) -> Result<Reply, Interrupted> {
        self.calls += 1;
        if self.interrupt_at == Some(self.calls) {
            return Err(Interrupted);
        }
        let cmd = match parse(args, &ParseCtx::default()) {
            Ok(cmd) => cmd,
            Err(Reply::Error(e)) if e.starts_with("ERR unknown command") => {
                return Ok(Reply::err("ERR Unknown Redis command called from script"))
            }
            Err(Reply::Error(e)) if e.starts_with("ERR wrong number of arguments") => {
                return Ok(Reply::err(
                    "ERR Wrong number of args calling Redis command from script",
                ))
            }
            Err(e) => return Ok(e),
        };
        let mut ks = KeyspaceWrite::new(&mut self.map, 0, ChainModes::default());
        Ok(run_write(&cmd, &mut ks))
    }
}

fn run_with(
    engine: &LuaEngine,
    host: &mut MapHost,
    body: &str,
    keys: &[&str],
    argv: &[&str],
) -> Result<Reply, Interrupted> {
    let sha = sha1_hex(body.as_bytes());
    let keys: Vec<Bytes> = keys
        .iter()
        .map(|k| Bytes::copy_from_slice(k.as_bytes()))
        .collect();
    let argv: Vec<Bytes> = argv
        .iter()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect();
    let inv = Invocation {
        body: body.as_bytes(),
        sha: &sha,
        keys: &keys,
        argv: &argv,
        read_only: false,
    };
    engine.run(&inv, host)
}

fn eval(body: &str) -> Reply {
    let engine = LuaEngine::new(None);
    run_with(&engine, &mut MapHost::default(), body, &[], &[]).expect("not interrupted")
}

fn bulk(s: &str) -> Reply {
    Reply::bulk(Bytes::copy_from_slice(s.as_bytes()))
}

fn err(s: &str) -> Reply {
    Reply::err(s)
}

/// An error raised at line 1 of `body`, with Redis 7.0's suffix.
fn script_err(body: &str, msg: &str) -> Reply {
    Reply::Error(format!(
        "{msg} script: {}, on @user_script:1.",
        sha1_hex(body.as_bytes())
    ))
}

fn check_raised(body: &str, msg: &str) {
    assert_eq!(eval(body), script_err(body, msg), "{body}");
}

#[test]
fn sha1_of_empty() {
    assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

#[test]
fn plain_values() {
    assert_eq!(eval("return 1"), Reply::Integer(1));
    assert_eq!(eval("return 'abc'"), bulk("abc"));
    assert_eq!(eval("return 3.99"), Reply::Integer(3));
    assert_eq!(eval("return -3.99"), Reply::Integer(-3));
    assert_eq!(eval("return 1/0"), Reply::Integer(i64::MIN));
    assert_eq!(eval("return 0/0"), Reply::Integer(i64::MIN));
    assert_eq!(eval("return 1e30"), Reply::Integer(i64::MIN));
    assert_eq!(eval("return 2^62"), Reply::Integer(1 << 62));
    assert_eq!(eval("return true"), Reply::Integer(1));
    assert_eq!(eval("return false"), Reply::Nil);
    assert_eq!(eval("return nil"), Reply::Nil);
    assert_eq!(eval("return"), Reply::Nil);
    assert_eq!(eval("return {}"), Reply::Array(vec![]));
    assert_eq!(eval("return 'a\\0b'"), bulk("a\0b"));
    assert_eq!(eval("return '\\255'"), Reply::bulk(&b"\xff"[..]));
}

#[test]
fn tables() {
    assert_eq!(
        eval("return {1,2,nil,4}"),
        Reply::Array(vec![Reply::Integer(1), Reply::Integer(2)])
    );
    assert_eq!(
        eval("return {1,false,true}"),
        Reply::Array(vec![Reply::Integer(1), Reply::Nil, Reply::Integer(1)])
    );
    assert_eq!(eval("return {1.5}"), Reply::Array(vec![Reply::Integer(1)]));
    assert_eq!(eval("return {foo='bar'}"), Reply::Array(vec![]));
    assert_eq!(
        eval("return {1, {ok='x'}, {err='y'}}"),
        Reply::Array(vec![Reply::Integer(1), Reply::Status("x".into()), err("y")])
    );
    assert_eq!(eval("return {ok=5}"), Reply::Array(vec![]));
    assert_eq!(eval("return {err=5}"), Reply::Array(vec![]));
    assert_eq!(eval("return {ok='x',err='y'}"), err("y"));
    assert_eq!(eval("return {err='-x'}"), err("-x"));
    assert_eq!(eval("return {err=''}"), err(""));
    assert_eq!(eval("return {ok=''}"), Reply::Status(String::new()));
    assert_eq!(
        eval("return {1,{2,{3}}}"),
        Reply::Array(vec![
            Reply::Integer(1),
            Reply::Array(vec![
                Reply::Integer(2),
                Reply::Array(vec![Reply::Integer(3)])
            ])
        ])
    );
}

#[test]
fn resp3_forms() {
    assert_eq!(eval("return {double=1.5}"), Reply::Double("1.5".into()));
    assert_eq!(
        eval("return {double=0.1}"),
        Reply::Double("0.10000000000000001".into())
    );
    assert_eq!(eval("return {double=3}"), Reply::Double("3".into()));
    assert_eq!(eval("return {double=-1/0}"), Reply::Double("-inf".into()));
    assert_eq!(eval("return {double='2.5'}"), Reply::Array(vec![]));
    assert_eq!(
        eval("return {map={a=1}}"),
        Reply::Map(vec![(bulk("a"), Reply::Integer(1))])
    );
    assert_eq!(
        eval("redis.setresp(3); return {map={[1.5]='x'}}"),
        Reply::Map(vec![(Reply::Integer(1), bulk("x"))])
    );
    assert_eq!(eval("return {set={a=1}}"), Reply::Set(vec![bulk("a")]));
    assert_eq!(eval("return {big_number='12'}"), bulk("12"));
    assert_eq!(eval("return {big_number=12}"), Reply::Array(vec![]));
    assert_eq!(
        eval("return {verbatim_string={format='txt', string='hello'}}"),
        Reply::Verbatim("txt".into(), Bytes::from_static(b"hello"))
    );
    assert_eq!(
        eval("redis.setresp(3); return false"),
        Reply::Boolean(false)
    );
    assert_eq!(eval("redis.setresp(3); return true"), Reply::Boolean(true));
    assert_eq!(eval("redis.setresp(3); return nil"), Reply::Nil);
    assert_eq!(
        eval("redis.setresp(3); return {1,false,true,nil,5}"),
        Reply::Array(vec![
            Reply::Integer(1),
            Reply::Boolean(false),
            Reply::Boolean(true)
        ])
    );
    assert_eq!(
        eval("redis.setresp(3); return {map={a={1,2}, b={map={c=true}}}}").to_owned(),
        eval("redis.setresp(3); return {map={a={1,2}, b={map={c=true}}}}")
    );
}

#[test]
fn deep_nesting_hits_the_stack_limit_like_redis() {
    // 7995 arrays, then the error in place of the next value.
    let body = "local t = {} local c = t for i=1,10000 do local n = {} c[1] = n c = n end return t";
    let mut depth = 0;
    let mut r = eval(body);
    while let Reply::Array(mut items) = r {
        assert_eq!(items.len(), 1);
        depth += 1;
        r = items.remove(0);
    }
    assert_eq!(depth, 7995);
    assert_eq!(r, err("ERR reached lua stack limit"));
    // Shallower is fine.
    let body = "local t = {} local c = t for i=1,5000 do local n = {} c[1] = n c = n end return t";
    assert!(matches!(eval(body), Reply::Array(_)));
}

#[test]
fn big_replies() {
    let r = eval("local t = {} for i=1,100000 do t[i] = i end return t");
    let Reply::Array(items) = r else {
        panic!("array")
    };
    assert_eq!(items.len(), 100000);
    assert_eq!(items[99999], Reply::Integer(100000));
    assert_eq!(
        eval("return #string.rep('x', 1000000)"),
        Reply::Integer(1000000)
    );
}

#[test]
fn globals_are_protected() {
    check_raised(
        "return x",
        "ERR user_script:1: Script attempted to access nonexistent global variable 'x'",
    );
    check_raised(
        "x = 1",
        "ERR user_script:1: Attempt to modify a readonly table",
    );
    check_raised(
        "string = nil",
        "ERR user_script:1: Attempt to modify a readonly table",
    );
    check_raised(
        "string.x = 1",
        "ERR user_script:1: Attempt to modify a readonly table",
    );
    check_raised(
        "redis.call = nil",
        "ERR user_script:1: Attempt to modify a readonly table",
    );
    check_raised(
        "math.x = 1",
        "ERR user_script:1: Attempt to modify a readonly table",
    );
    check_raised(
        "KEYS = {}",
        "ERR user_script:1: Attempt to modify a readonly table",
    );
    check_raised("rawset(_G,'a',1)", "ERR Attempt to modify a readonly table");
    check_raised(
        "setmetatable(_G, nil)",
        "ERR Attempt to modify a readonly table",
    );
    check_raised(
        "getmetatable('').__index.x = 1",
        "ERR user_script:1: Attempt to modify a readonly table",
    );
    check_raised(
        "getmetatable('').x = 1",
        "ERR user_script:1: Attempt to modify a readonly table",
    );
    assert_eq!(eval("KEYS[5]='x'; return KEYS[5]"), bulk("x"));
    assert_eq!(eval("return _G._G == _G"), Reply::Integer(1));
    assert_eq!(eval("return rawget(_G, 'x')"), Reply::Nil);
    assert_eq!(eval("return type(getmetatable(_G))"), bulk("table"));
    assert_eq!(eval("return ('x'):upper()"), bulk("X"));
    assert_eq!(
        eval("local n=0; for k,v in pairs(string) do n=n+1 end; return n"),
        Reply::Integer(15)
    );
    assert_eq!(eval("local t = {} t.x = 1 return t.x"), Reply::Integer(1));
    // Code loaded at run time is sandboxed too.
    let body = "return loadstring('x=1')()";
    assert_eq!(
        eval(body),
        Reply::Error(format!(
            "ERR [string \"x=1\"]:1: Attempt to modify a readonly table script: {}, on x=1:1.",
            sha1_hex(body.as_bytes())
        ))
    );
}

#[test]
fn the_globals_redis_exposes() {
    let body = "local t={} for k,v in pairs(_G) do t[#t+1]=k end table.sort(t) return t";
    let Reply::Array(names) = eval(body) else {
        panic!("array")
    };
    let names: Vec<String> = names
        .into_iter()
        .map(|r| match r {
            Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
            other => panic!("{other:?}"),
        })
        .collect();
    // Redis 7.0.15 also has __redis__err__handler; cjson, cmsgpack, bit and
    // struct come from `libs`.
    for name in [
        "ARGV",
        "KEYS",
        "_G",
        "_VERSION",
        "assert",
        "collectgarbage",
        "coroutine",
        "error",
        "gcinfo",
        "getmetatable",
        "ipairs",
        "load",
        "loadstring",
        "math",
        "next",
        "pairs",
        "pcall",
        "rawequal",
        "rawget",
        "rawset",
        "redis",
        "select",
        "setmetatable",
        "string",
        "table",
        "tonumber",
        "tostring",
        "type",
        "unpack",
        "xpcall",
    ] {
        assert!(
            names.contains(&name.to_string()),
            "{name} missing from {names:?}"
        );
    }
    for name in [
        "print", "setfenv", "getfenv", "newproxy", "debug", "module", "require", "os", "io",
        "package", "dofile", "loadfile",
    ] {
        assert!(!names.contains(&name.to_string()), "{name} present");
    }
    let body = "local t={} for k,v in pairs(redis) do t[#t+1]=k end table.sort(t) return t";
    let Reply::Array(names) = eval(body) else {
        panic!("array")
    };
    // Redis 7.0.15 has these and acl_check_cmd.
    assert_eq!(names.len(), 22);
    assert_eq!(eval("return redis.REDIS_VERSION"), bulk("7.0.15"));
    assert_eq!(
        eval("return redis.REDIS_VERSION_NUM"),
        Reply::Integer(458767)
    );
    assert_eq!(eval("return _VERSION"), bulk("Lua 5.1"));
}

#[test]
fn errors_and_their_texts() {
    check_raised(
        "return redis.call('nosuch')",
        "ERR Unknown Redis command called from script",
    );
    check_raised(
        "return redis.call('get')",
        "ERR Wrong number of args calling Redis command from script",
    );
    check_raised("return redis.call('set','a','b','c')", "ERR syntax error");
    check_raised(
        "return redis.call()",
        "ERR Please specify at least one argument for this redis lib call",
    );
    check_raised(
        "return redis.call({})",
        "ERR Lua redis lib command arguments must be strings or integers",
    );
    check_raised(
        "return redis.call('set','a',true)",
        "ERR Lua redis lib command arguments must be strings or integers",
    );
    check_raised("error('boom')", "ERR user_script:1: boom");
    check_raised("error('boom',0)", "ERR boom");
    check_raised("error('ERR foo',0)", "ERR ERR foo");
    check_raised("error({err='boom'})", "boom");
    check_raised("error({err=1})", "1");
    check_raised("error()", "ERR nil");
    check_raised("error(12)", "ERR user_script:1: 12");
    check_raised("error(true)", "ERR true");
    check_raised(
        "local ok,e = pcall(redis.call,'nosuch'); error(e)",
        "ERR user_script:1: ERR Unknown Redis command called from script",
    );
    check_raised(
        "local e = redis.pcall('nosuch'); error(e)",
        "ERR Unknown Redis command called from script",
    );
    check_raised(
        "return math.random(0)",
        "ERR user_script:1: bad argument #1 to 'random' (interval is empty)",
    );
    check_raised(
        "return math.random(1,2,3)",
        "ERR user_script:1: wrong number of arguments",
    );
    check_raised(
        "return math.random(3,1)",
        "ERR user_script:1: bad argument #2 to 'random' (interval is empty)",
    );
    // A line further down is reported as such.
    let body = "local a = 1\nlocal b = 2\nreturn redis.call('nosuch')";
    assert_eq!(
        eval(body),
        Reply::Error(format!(
            "ERR Unknown Redis command called from script script: {}, on @user_script:3.",
            sha1_hex(body.as_bytes())
        ))
    );
}

#[test]
fn pcall_sees_what_redis_gives() {
    assert_eq!(
        eval("return {pcall(redis.call,'nosuch')}"),
        Reply::Array(vec![
            Reply::Nil,
            bulk("ERR Unknown Redis command called from script")
        ])
    );
    assert_eq!(
        eval("local ok,e = pcall(function() redis.call('nosuch') end); return type(e)"),
        bulk("string")
    );
    assert_eq!(
        eval("local ok,e = pcall(error, {err='x'}); return type(e)"),
        bulk("string")
    );
    assert_eq!(
        eval("local ok,e = xpcall(function() redis.call('nosuch') end, function(x) return type(x) end); return e"),
        bulk("table")
    );
    assert_eq!(
        eval("return redis.pcall('nosuch')"),
        err("ERR Unknown Redis command called from script")
    );
    assert_eq!(eval("return type(redis.pcall('nosuch'))"), bulk("table"));
    assert_eq!(
        eval("return redis.pcall()"),
        err("ERR Please specify at least one argument for this redis lib call")
    );
    assert_eq!(
        eval("return {pcall(redis.call, {})}"),
        Reply::Array(vec![
            Reply::Nil,
            bulk("ERR Lua redis lib command arguments must be strings or integers")
        ])
    );
    assert_eq!(
        eval("return {pcall(function() return 1, 2 end)}"),
        Reply::Array(vec![
            Reply::Integer(1),
            Reply::Integer(1),
            Reply::Integer(2)
        ])
    );
}

#[test]
fn compile_errors() {
    assert_eq!(
        eval("retur 1"),
        err("ERR Error compiling script (new function): user_script:1: '=' expected near '1'")
    );
    let engine = LuaEngine::new(None);
    assert_eq!(
        engine.compile_check(b"return 1 +"),
        Err("ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'".into())
    );
    assert_eq!(engine.compile_check(b"return 1"), Ok(()));
    assert_eq!(engine.cached_scripts(), 1);
}

#[test]
fn redis_lib_functions() {
    assert_eq!(
        eval("return redis.error_reply('MY thing')"),
        err("MY thing")
    );
    assert_eq!(eval("return redis.error_reply('x')"), err("ERR x"));
    assert_eq!(eval("return redis.error_reply('')"), err("ERR "));
    assert_eq!(eval("return redis.error_reply('-x y')"), err("x y"));
    assert_eq!(eval("return redis.error_reply('x').err"), bulk("ERR x"));
    assert_eq!(
        eval("return redis.error_reply()"),
        err("ERR wrong number or type of arguments")
    );
    assert_eq!(
        eval("return redis.error_reply(1)"),
        err("ERR wrong number or type of arguments")
    );
    assert_eq!(
        eval("return redis.status_reply(1)"),
        err("ERR wrong number or type of arguments")
    );
    assert_eq!(
        eval("return redis.status_reply('FOO')"),
        Reply::Status("FOO".into())
    );
    assert_eq!(eval("return redis.status_reply('x').ok"), bulk("x"));
    assert_eq!(
        eval("return redis.sha1hex('')"),
        bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709")
    );
    assert_eq!(
        eval("return redis.sha1hex(1)"),
        bulk("356a192b7913b04c54574d18c28d46e6395428ab")
    );
    assert_eq!(
        eval("return redis.sha1hex({})"),
        bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709")
    );
    check_raised("return redis.sha1hex()", "ERR wrong number of arguments");
    check_raised(
        "return redis.sha1hex('a','b')",
        "ERR wrong number of arguments",
    );
    assert_eq!(eval("return redis.log(redis.LOG_WARNING,'hi')"), Reply::Nil);
    assert_eq!(eval("return redis.log(0,{})"), Reply::Nil);
    check_raised(
        "return redis.log()",
        "ERR redis.log() requires two arguments or more.",
    );
    check_raised(
        "return redis.log(1)",
        "ERR redis.log() requires two arguments or more.",
    );
    check_raised("return redis.log(99,'x')", "ERR Invalid debug level.");
    check_raised(
        "return redis.log('x','y')",
        "ERR First argument must be a number (log level).",
    );
    check_raised(
        "return redis.setresp(4)",
        "ERR RESP version must be 2 or 3.",
    );
    check_raised(
        "return redis.setresp()",
        "ERR redis.setresp() requires one argument.",
    );
    assert_eq!(eval("return redis.setresp('2')"), Reply::Nil);
    check_raised(
        "return redis.set_repl(9)",
        "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
    );
    check_raised(
        "return redis.set_repl()",
        "ERR redis.set_repl() requires two arguments.",
    );
    assert_eq!(eval("return redis.set_repl(redis.REPL_ALL)"), Reply::Nil);
    assert_eq!(eval("return redis.replicate_commands()"), Reply::Integer(1));
    assert_eq!(eval("return redis.breakpoint()"), Reply::Nil);
    assert_eq!(eval("return redis.debug('x')"), Reply::Nil);
    assert_eq!(
        eval("return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}"),
        Reply::Array([0, 1, 2, 2, 3].into_iter().map(Reply::Integer).collect())
    );
    assert_eq!(
        eval("return {redis.LOG_DEBUG,redis.LOG_VERBOSE,redis.LOG_NOTICE,redis.LOG_WARNING}"),
        Reply::Array([0, 1, 2, 3].into_iter().map(Reply::Integer).collect())
    );
}

#[test]
fn commands_and_conversions() {
    assert_eq!(eval("return redis.call('set','a','1')"), Reply::ok());
    assert_eq!(
        eval("return type(redis.call('set','a','1'))"),
        bulk("table")
    );
    assert_eq!(eval("return redis.call('set','a','1').ok"), bulk("OK"));
    assert_eq!(
        eval("return type(redis.call('get','nokey'))"),
        bulk("boolean")
    );
    assert_eq!(
        eval("redis.setresp(3); return type(redis.call('get','nokey'))"),
        bulk("nil")
    );
    assert_eq!(
        eval("redis.setresp(3); local r = redis.call('mget','nokey','a'); return {#r, type(r[1]), type(r[2])}"),
        Reply::Array(vec![Reply::Integer(0), bulk("nil"), bulk("nil")])
    );
    assert_eq!(
        eval("redis.call('set','a',0.1); return redis.call('get','a')"),
        bulk("0.10000000000000001")
    );
    assert_eq!(
        eval("redis.call('set','a',1e20); return redis.call('get','a')"),
        bulk("1e+20")
    );
    assert_eq!(
        eval("redis.call('set','a',-0); return redis.call('get','a')"),
        bulk("-0")
    );
    assert_eq!(
        eval("redis.call('set','a',1/0); return redis.call('get','a')"),
        bulk("inf")
    );
    assert_eq!(
        eval("redis.call('set','a',1.5); return redis.call('get','a')"),
        bulk("1.5")
    );
    assert_eq!(
        eval("redis.call('set','a',42); return redis.call('get','a')"),
        bulk("42")
    );
    assert_eq!(
        eval("return redis.call('incrby','cnt','1')"),
        Reply::Integer(1)
    );
    check_raised(
        "redis.call('set','s','x') return redis.call('incr','s')",
        "ERR value is not an integer or out of range",
    );
    assert_eq!(
        eval("redis.call('set','s','x') return redis.pcall('incr','s')"),
        err("ERR value is not an integer or out of range")
    );
    // Binary-safe both ways.
    assert_eq!(
        eval("redis.call('set','k','a\\0\\255b'); return redis.call('get','k')"),
        Reply::bulk(&b"a\0\xffb"[..])
    );
}

#[test]
fn keys_and_argv() {
    let engine = LuaEngine::new(None);
    let mut host = MapHost::default();
    let r = run_with(
        &engine,
        &mut host,
        "return {KEYS[1], ARGV[1], ARGV[2], #KEYS}",
        &["k"],
        &["a", "b"],
    );
    assert_eq!(
        r,
        Ok(Reply::Array(vec![
            bulk("k"),
            bulk("a"),
            bulk("b"),
            Reply::Integer(1)
        ]))
    );
    let r = run_with(
        &engine,
        &mut host,
        "return redis.call('set', KEYS[1], ARGV[1])",
        &["k"],
        &["v"],
    );
    assert_eq!(r, Ok(Reply::ok()));
    let r = run_with(
        &engine,
        &mut host,
        "return redis.call('get', KEYS[1])",
        &["k"],
        &[],
    );
    assert_eq!(r, Ok(bulk("v")));
    // The same VM sees fresh KEYS/ARGV on the next run.
    let r = run_with(&engine, &mut host, "return {#KEYS, #ARGV}", &[], &[]);
    assert_eq!(
        r,
        Ok(Reply::Array(vec![Reply::Integer(0), Reply::Integer(0)]))
    );
}

#[test]
fn math_random_is_redis_rand48_reseeded_per_run() {
    let engine = LuaEngine::new(None);
    let mut host = MapHost::default();
    let body = "return {tostring(math.random()), tostring(math.random()), math.random(100), math.random(5,7)}";
    let first = run_with(&engine, &mut host, body, &[], &[]);
    assert_eq!(
        first,
        Ok(Reply::Array(vec![
            // The first script on a fresh redis-server 7.0.15.
            bulk("0.39646477363839"),
            bulk("0.84048536971234"),
            Reply::Integer(36),
            Reply::Integer(6),
        ]))
    );
    assert_eq!(run_with(&engine, &mut host, body, &[], &[]), first);
    assert_eq!(
        eval("math.randomseed(42); return {tostring(math.random()), tostring(math.random())}"),
        Reply::Array(vec![bulk("0.74452500033403"), bulk("0.34270147855519")])
    );
}

#[test]
fn setresp_is_per_run() {
    let engine = LuaEngine::new(None);
    let mut host = MapHost::default();
    let r = run_with(&engine, &mut host, "redis.setresp(3) return true", &[], &[]);
    assert_eq!(r, Ok(Reply::Boolean(true)));
    let r = run_with(&engine, &mut host, "return true", &[], &[]);
    assert_eq!(r, Ok(Reply::Integer(1)));
}

#[test]
fn interrupted_unwinds_through_pcall() {
    let engine = LuaEngine::new(None);
    for body in [
        "redis.call('get','a') return 1",
        "pcall(redis.call, 'get', 'a') return 1",
        "redis.pcall('get','a') return 1",
        "local ok = pcall(function() redis.call('get','a') end) while true do end",
        "while true do pcall(redis.call, 'get', 'a') end",
        "local co = coroutine.wrap(function() redis.call('get','a') end) pcall(co) while true do pcall(function() end) end",
    ] {
        let mut host = MapHost {
            interrupt_at: Some(1),
            ..MapHost::default()
        };
        assert_eq!(run_with(&engine, &mut host, body, &[], &[]), Err(Interrupted), "{body}");
        assert_eq!(host.calls, 1, "{body}");
        // The VM is clean for the next run.
        let mut host = MapHost::default();
        assert_eq!(
            run_with(&engine, &mut host, "local ok = pcall(error, 'x') return {ok and 1 or 0, redis.call('set','a','b').ok}", &[], &[]),
            Ok(Reply::Array(vec![Reply::Integer(0), bulk("OK")]))
        );
    }
}

/// Stops the script after `limit` checks.
#[derive(Debug, Default)]
struct CountingWatchdog {
    limit: usize,
    checks: AtomicUsize,
    armed: AtomicUsize,
    disarmed: AtomicUsize,
}

impl Watchdog for CountingWatchdog {
    fn arm(&self) {
        self.checks.store(0, Ordering::Relaxed);
        self.armed.fetch_add(1, Ordering::Relaxed);
    }
    fn should_stop(&self) -> Option<String> {
        let n = self.checks.fetch_add(1, Ordering::Relaxed) + 1;
        (n >= self.limit).then(|| "BUSY too long".to_string())
    }
    fn disarm(&self) {
        self.disarmed.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn watchdog_stops_runaway_scripts() {
    let wd = Arc::new(CountingWatchdog {
        limit: 5,
        ..CountingWatchdog::default()
    });
    let engine = LuaEngine::new(Some(wd.clone()));
    let mut host = MapHost::default();
    let bodies = [
        "while true do end",
        "while true do pcall(function() while true do end end) end",
        "while true do pcall(pcall, pcall, function() while true do end end) end",
        "while true do xpcall(function() while true do end end, function() while true do end end) end",
        "local co = coroutine.wrap(function() while true do end end) while true do pcall(co) end",
        "while true do pcall(redis.call, 'get', 'a') end",
        "while true do local ok = pcall(string.rep, 'x', 10) end",
    ];
    for body in bodies {
        // Like Redis's SCRIPT KILL error: the script and the line it was on.
        let sha = sha1_hex(body.as_bytes());
        assert_eq!(
            run_with(&engine, &mut host, body, &[], &[]),
            Ok(err(&format!(
                "BUSY too long script: {sha}, on @user_script:1."
            ))),
            "{body}"
        );
        assert_eq!(
            run_with(&engine, &mut host, "return 1", &[], &[]),
            Ok(Reply::Integer(1))
        );
    }
    let runs = 2 * bodies.len();
    assert_eq!(wd.armed.load(Ordering::Relaxed), runs);
    assert_eq!(wd.disarmed.load(Ordering::Relaxed), runs);
}

#[test]
fn a_stopped_script_names_the_line_it_was_on() {
    let wd = Arc::new(CountingWatchdog {
        limit: 50,
        ..CountingWatchdog::default()
    });
    let engine = LuaEngine::new(Some(wd));
    let mut host = MapHost::default();
    // Redis 7.0.15 answers `… on @user_script:4.` for this body.
    let body = "local i = 0\nlocal function f()\n  while true do\n    i = i + 1\n  end\nend\nf()";
    let sha = sha1_hex(body.as_bytes());
    let r = run_with(&engine, &mut host, body, &[], &[]);
    let at = |line: u32| {
        Ok(err(&format!(
            "BUSY too long script: {sha}, on @user_script:{line}."
        )))
    };
    assert!(r == at(3) || r == at(4) || r == at(5), "{r:?}");
}

fn bench(engine: &LuaEngine, body: &str, n: usize) -> f64 {
    let mut host = MapHost::default();
    host.map.insert(b"k".to_vec(), Bytes::from_static(b"v"));
    let keys = [Bytes::from_static(b"k")];
    let sha = sha1_hex(body.as_bytes());
    let inv = Invocation {
        body: body.as_bytes(),
        sha: &sha,
        keys: &keys,
        argv: &[],
        read_only: true,
    };
    let _ = engine.run(&inv, &mut host);
    let start = std::time::Instant::now();
    for _ in 0..n {
        let _ = engine.run(&inv, &mut host);
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

/// `cargo test --release --lib script::lua::tests::bench -- --ignored --nocapture`
#[test]
#[ignore]
fn bench_get_script() {
    let engine = LuaEngine::new(None);
    let ns = bench(&engine, "return redis.call('GET', KEYS[1])", 200_000);
    println!("run(return redis.call('GET', KEYS[1])): {ns:.0} ns/op");
    let ns = bench(&engine, "return 1", 200_000);
    println!("run(return 1): {ns:.0} ns/op");
}

/// The stop hook's cost on a tight loop.
#[test]
#[ignore]
fn bench_hook_overhead() {
    let engine = LuaEngine::new(None);
    let loop_body = "local x = 0 for i = 1, 10000000 do x = x + i end return x";
    let ns = bench(&engine, loop_body, 5);
    println!(
        "10M-iteration loop, hook every {}: {:.1} ms",
        super::CHECK_EVERY,
        ns / 1e6
    );
    let wd = Arc::new(CountingWatchdog {
        limit: usize::MAX,
        ..CountingWatchdog::default()
    });
    let engine = LuaEngine::new(Some(wd));
    let ns = bench(&engine, loop_body, 5);
    println!("same loop with a watchdog: {:.1} ms", ns / 1e6);
}

/// Precompiled chunks never load (CVE-2015-4335): Redis's Lua parses them as
/// text, so their ESC byte is a syntax error, named as Lua 5.1 names chunks.
#[test]
fn binary_chunks_are_refused_with_redis_texts() {
    let dump = "string.dump(function() return 1 end)";
    check_raised(
        &format!("return loadstring({dump})()"),
        "ERR user_script:1: attempt to call a nil value",
    );
    let near = ":1: unexpected symbol near 'char(27)'";
    let cases = [
        (format!("local f, e = loadstring({dump}) return e"), format!("[string \"\x1bLuaQ\"]{near}")),
        ("local f, e = loadstring('\\27abc', '=mine') return e".into(), format!("mine{near}")),
        (
            "local f, e = loadstring('\\27abc', '@' .. string.rep('f', 80)) return e".into(),
            format!("...{}{near}", "f".repeat(72)),
        ),
        (
            "local f, e = loadstring('\\27' .. string.rep('a', 70)) return e".into(),
            format!("[string \"\x1b{}...\"]{near}", "a".repeat(62)),
        ),
        ("local f, e = loadstring('\\27ab\\ncd') return e".into(), format!("[string \"\x1bab...\"]{near}")),
        (
            format!("local d = {dump} local n = 0 local f, e = load(function() n = n + 1 if n == 1 then return d end end) return e"),
            format!("(load){near}"),
        ),
    ];
    for (body, expect) in cases {
        assert_eq!(eval(&body), bulk(&expect), "{body}");
    }
    assert_eq!(
        eval("\x1bLua"),
        err("ERR Error compiling script (new function): user_script:1: unexpected symbol near 'char(27)'")
    );
    // Source still loads, sandboxed; load reads its pieces in order.
    assert_eq!(
        eval("return loadstring('return 1 + 1')()"),
        Reply::Integer(2)
    );
    assert_eq!(
        eval("local p = {'return ', '4', ''} local i = 0 return load(function() i = i + 1 return p[i] end)()"),
        Reply::Integer(4)
    );
    assert_eq!(
        eval("return type(load(function() return nil end))"),
        bulk("function")
    );
    // A reader's error is load's answer, as Redis's error handler made it.
    assert_eq!(
        eval("local f, e = load(function() error('boom') end) return e"),
        err("ERR user_script:1: boom")
    );
    assert_eq!(
        eval("local f, e = load(function() return {} end) return e"),
        err("ERR user_script:1: reader function must return a string")
    );
    check_raised(
        "return load('x')",
        "ERR user_script:1: bad argument #1 to 'load' (function expected, got string)",
    );
    check_raised(
        "return loadstring()",
        "ERR user_script:1: bad argument #1 to 'loadstring' (string expected, got no value)",
    );
    check_raised(
        "return loadstring('return 1', {})",
        "ERR user_script:1: bad argument #2 to 'loadstring' (string expected, got table)",
    );
}

mod functions {
    //! FUNCTION LOAD's registration and FCALL's runs, against the texts
    //! redis-server 7.0.15 gives.

    use super::*;
    use crate::script::engine::FunctionCall;

    fn fcall(engine: &LuaEngine, code: &str, function: &str, keys: &[&str]) -> Reply {
        let keys: Vec<Bytes> = keys.iter().map(|k| Bytes::from(k.to_string())).collect();
        let call = FunctionCall {
            code: code.as_bytes(),
            function,
            command: &[],
            keys: &keys,
            argv: &[],
            read_only: false,
        };
        engine
            .call_function(&call, &mut MapHost::default())
            .expect("not interrupted")
    }

    #[test]
    fn registration_reports_names_flags_and_descriptions_in_order() {
        let engine = LuaEngine::new(None);
        let code = "#!lua name=lib\n\
            redis.register_function('b', function() return 1 end)\n\
            redis.register_function{function_name='a', callback=function() return 2 end, \
            flags={'allow-stale', 'no-writes'}, description='desc'}";
        let regs = engine.load_library(code.as_bytes()).expect("loads");
        let names: Vec<_> = regs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(regs[1].flags, 0b101);
        assert_eq!(regs[1].description.as_deref(), Some("desc"));
        assert_eq!(fcall(&engine, code, "A", &[]), Reply::Integer(2));
        assert_eq!(
            fcall(&engine, code, "c", &[]),
            Reply::err("ERR Function not found")
        );
    }

    #[test]
    fn loading_sees_only_the_library_api() {
        let engine = LuaEngine::new(None);
        let err = |body: &str| {
            engine
                .load_library(format!("#!lua name=l\n{body}").as_bytes())
                .expect_err("refused")
        };
        assert_eq!(
            err("return math.random()"),
            "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'math'"
        );
        assert_eq!(
            err("a = 1"),
            "ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table"
        );
        assert_eq!(
            err("redis.register_function('f1')"),
            "ERR Error registering functions: ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."
        );
        assert_eq!(
            err("redis.register_function('f', function() end)\nredis.register_function('f', function() end)"),
            "ERR Error registering functions: ERR Function already exists in the library"
        );
        assert_eq!(err("local x = 1"), "ERR No functions registered");
        assert_eq!(
            err("while true do end"),
            "ERR Error registering functions: ERR FUNCTION LOAD timeout"
        );
        // The VM is usable after a load that ran out of budget.
        assert_eq!(eval("return 1"), Reply::Integer(1));
    }

    #[test]
    fn callbacks_run_with_the_ordinary_globals_and_keys_as_arguments() {
        let engine = LuaEngine::new(None);
        let code = "#!lua name=lib\n\
            local lib = redis\n\
            redis.register_function('f', function(keys) return string.upper(keys[1]) end)\n\
            redis.register_function('g', function() lib.register_function('x', function() end) end)\n\
            redis.register_function('h', function() error('boom') end)";
        assert_eq!(fcall(&engine, code, "f", &["abc"]), Reply::bulk("ABC"));
        assert_eq!(
            fcall(&engine, code, "g", &[]),
            Reply::err("ERR redis.register_function can only be called on FUNCTION LOAD command script: g, on @user_function:4.")
        );
        assert_eq!(
            fcall(&engine, code, "h", &[]),
            Reply::err("ERR user_function:5: boom script: h, on @user_function:5.")
        );
    }
}

#[test]
fn calls_with_thousands_of_arguments() {
    // Redis's own test: unpack(7,999 values) into one redis.call. Lua 5.1's
    // unpack stops near 8,000 values, so that is as many as a script can pass.
    let mut host = MapHost::default();
    let engine = LuaEngine::new(None);
    let mset = "local a = {} for i = 1, 7998 do a[i] = tostring(i) end \
                return redis.call('mset', unpack(a))";
    let reply = run_with(&engine, &mut host, mset, &[], &[]).expect("not interrupted");
    assert_eq!(reply, Reply::Status("OK".into()));
    assert_eq!(host.map.len(), 3999);
    let del = "local a = {} for i = 1, 7999 do a[i] = i end return redis.call('del', unpack(a))";
    let reply = run_with(&engine, &mut host, del, &[], &[]).expect("not interrupted");
    assert_eq!(reply, Reply::Integer(3999));
    // A bad word among many is refused with the same text as among few.
    assert_eq!(
        eval(
            "local a = {} for i = 1, 500 do a[i] = i end a[300] = true \
              return redis.pcall('del', unpack(a))"
        ),
        err("ERR Lua redis lib command arguments must be strings or integers")
    );
    // The few-argument path is not changed by the many-argument one.
    assert_eq!(
        eval("return redis.pcall('del', 'a', 'b')"),
        Reply::Integer(0)
    );
}
