//! Per-connection state and the connection-level commands (PING, ECHO, QUIT,
//! HELLO, AUTH, SELECT, RESET, CLIENT, COMMAND, CONFIG, INFO).
//!
//! These answer from the connection and the server's configuration, never
//! from the keyspace, so they are pure functions here and never reach the
//! node; everything else goes through [`crate::cmd::parse`] to the node.
//! Replies and error texts follow redis-server 7.0.15 (CLIENT SETINFO, which
//! 7.0 lacks, follows 7.2).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;

use crate::cmd::{self, Command, ParseCtx};
use crate::resp::reply::errors;
use crate::resp::{Protocol, Reply};

use super::runtime::NodeInfo;
use super::storage::AppendFsync;

/// The Redis version fencekv answers as (HELLO, INFO).
pub const REDIS_VERSION: &str = "7.0.15";

/// The server's fixed configuration, as CONFIG GET and INFO show it.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub bind: String,
    pub port: u16,
    pub dir: String,
    pub appendfsync: AppendFsync,
    pub debug_commands: bool,
    pub started: Instant,
    /// Every node's peer address (empty for a single node), for INFO.
    pub peers: BTreeMap<stateright::actor::Id, SocketAddr>,
    /// The transport's fault hooks (used only by debug commands).
    pub faults: Arc<super::peers::Faults>,
    /// The script engine and watchdog (SCRIPT LOAD, SCRIPT KILL).
    pub scripts: super::scripts::Scripts,
}

/// What CLIENT LIST shows about a connection.
#[derive(Clone, Debug)]
pub struct ClientInfo {
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    pub name: Bytes,
    pub lib_name: Bytes,
    pub lib_ver: Bytes,
    pub proto: Protocol,
    pub created: Instant,
}

/// Every open connection, by client id. Touched on connect, disconnect and
/// the rare CLIENT/HELLO changes only, so a std `Mutex` is enough.
#[derive(Default)]
pub struct Registry {
    next_id: u64,
    clients: BTreeMap<u64, ClientInfo>,
}

/// The registry shared by every connection.
pub type SharedRegistry = Arc<Mutex<Registry>>;

impl Registry {
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }
}

/// Lock the registry; a poisoned lock still holds valid data (every update
/// is a single insert or field write).
fn lock(reg: &SharedRegistry) -> std::sync::MutexGuard<'_, Registry> {
    reg.lock().unwrap_or_else(|p| p.into_inner())
}

/// Number of connected clients.
pub fn connected_clients(reg: &SharedRegistry) -> usize {
    lock(reg).len()
}

/// One connection's state.
pub struct Session {
    pub id: u64,
    pub info: ClientInfo,
    registry: SharedRegistry,
}

impl Session {
    /// Register a new connection.
    pub fn open(registry: SharedRegistry, addr: SocketAddr, laddr: SocketAddr) -> Session {
        let info = ClientInfo {
            addr,
            laddr,
            name: Bytes::new(),
            lib_name: Bytes::new(),
            lib_ver: Bytes::new(),
            proto: Protocol::Resp2,
            created: Instant::now(),
        };
        let id = {
            let mut reg = lock(&registry);
            reg.next_id += 1;
            let id = reg.next_id;
            reg.clients.insert(id, info.clone());
            id
        };
        Session { id, info, registry }
    }

    pub fn proto(&self) -> Protocol {
        self.info.proto
    }

    /// Mirror a change of this connection's info into the registry.
    fn publish(&self) {
        if let Some(c) = lock(&self.registry).clients.get_mut(&self.id) {
            *c = self.info.clone();
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        lock(&self.registry).clients.remove(&self.id);
    }
}

/// What a request turns into.
#[derive(Debug)]
pub enum Action {
    /// Answered by the connection.
    Reply(Reply),
    /// A keyspace command for the node.
    Node(Command),
    /// INFO: needs the node's counters, then [`render_info`].
    Info(Vec<Section>),
    /// `+OK`, then close the connection.
    Quit,
}

/// Decide what to do with one request (`args` non-empty).
pub fn handle(s: &mut Session, cfg: &ServerConfig, args: &[Bytes], now_ms: u64) -> Action {
    let name = &args[0];
    // The keyspace commands are the hot path: connection commands are few
    // and their names distinct, so test for them by length first.
    let local = match name.len() {
        4 => {
            if name.eq_ignore_ascii_case(b"ping") {
                Some(ping(args))
            } else if name.eq_ignore_ascii_case(b"echo") {
                Some(echo(args))
            } else if name.eq_ignore_ascii_case(b"quit") {
                return Action::Quit;
            } else if name.eq_ignore_ascii_case(b"auth") {
                Some(auth(args))
            } else if name.eq_ignore_ascii_case(b"info") {
                return Action::Info(info_sections(&args[1..]));
            } else {
                None
            }
        }
        5 if name.eq_ignore_ascii_case(b"hello") => Some(hello(s, args)),
        5 if name.eq_ignore_ascii_case(b"reset") => Some(reset(s, args)),
        6 if name.eq_ignore_ascii_case(b"select") => Some(select(args)),
        6 if name.eq_ignore_ascii_case(b"client") => Some(client(s, args)),
        6 if name.eq_ignore_ascii_case(b"config") => Some(config(cfg, args)),
        7 if name.eq_ignore_ascii_case(b"command") => Some(command(cfg, args)),
        6 if name.eq_ignore_ascii_case(b"script") => script_local(cfg, args),
        _ => None,
    };
    if let Some(reply) = local {
        return Action::Reply(reply);
    }
    if cfg.debug_commands {
        if let Some(reply) = fault_command(cfg, args) {
            return Action::Reply(reply);
        }
    }
    let ctx = ParseCtx {
        now_ms,
        debug_commands: cfg.debug_commands,
    };
    match cmd::parse(args, &ctx) {
        Ok(cmd) => Action::Node(cmd),
        Err(reply) => Action::Reply(reply),
    }
}

/// SCRIPT KILL and HELP act on the process, and SCRIPT LOAD compiles before
/// it reaches the log (a script that does not compile is never cached):
/// answered here. `None`: the node's business.
fn script_local(cfg: &ServerConfig, args: &[Bytes]) -> Option<Reply> {
    let sub = args.get(1)?;
    if sub.eq_ignore_ascii_case(b"kill") {
        return Some(if args.len() == 2 {
            cfg.scripts.watchdog.kill()
        } else {
            Reply::err(errors::wrong_arity("script|kill"))
        });
    }
    if sub.eq_ignore_ascii_case(b"help") {
        return Some(if args.len() == 2 {
            Reply::Array(
                SCRIPT_HELP
                    .iter()
                    .map(|l| Reply::Status((*l).into()))
                    .collect(),
            )
        } else {
            Reply::err(errors::wrong_arity("script|help"))
        });
    }
    if sub.eq_ignore_ascii_case(b"load") && args.len() == 3 {
        if let Err(e) = cfg.scripts.engine.compile_check(&args[2]) {
            return Some(Reply::err(e));
        }
    }
    None
}

const SCRIPT_HELP: &[&str] = &[
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Prints this help.",
];

/// The transport's fault hooks, for tests and demos (debug commands only):
/// `FENCEKV.PARTITION id [id …]` drops all traffic to and from those peers,
/// `FENCEKV.HEAL` ends every partition, `FENCEKV.PEERDELAY ms` holds every
/// peer message that long.
fn fault_command(cfg: &ServerConfig, args: &[Bytes]) -> Option<Reply> {
    let name = args[0].to_ascii_lowercase();
    let ids = |args: &[Bytes]| -> Option<Vec<stateright::actor::Id>> {
        args.iter()
            .map(|a| {
                std::str::from_utf8(a)
                    .ok()?
                    .parse::<usize>()
                    .ok()
                    .map(stateright::actor::Id::from)
            })
            .collect()
    };
    Some(match name.as_slice() {
        b"fencekv.partition" if args.len() >= 2 => match ids(&args[1..]) {
            Some(ids) => {
                if let Ok(mut p) = cfg.faults.partitioned.lock() {
                    p.extend(ids);
                }
                Reply::ok()
            }
            None => Reply::err("ERR node ids must be integers"),
        },
        b"fencekv.partition" => arity("fencekv.partition"),
        b"fencekv.heal" if args.len() == 1 => {
            if let Ok(mut p) = cfg.faults.partitioned.lock() {
                p.clear();
            }
            Reply::ok()
        }
        b"fencekv.heal" => arity("fencekv.heal"),
        b"fencekv.peerdelay" if args.len() == 2 => {
            match std::str::from_utf8(&args[1])
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
            {
                Some(ms) => {
                    if let Ok(mut d) = cfg.faults.delay.lock() {
                        *d = std::time::Duration::from_millis(ms);
                    }
                    Reply::ok()
                }
                None => Reply::err("ERR value is not an integer or out of range"),
            }
        }
        b"fencekv.peerdelay" => arity("fencekv.peerdelay"),
        _ => return None,
    })
}

fn arity(name: &str) -> Reply {
    Reply::err(errors::wrong_arity(name))
}

fn unknown_subcommand(sub: &[u8], cmd: &str) -> Reply {
    Reply::err(format!(
        "ERR unknown subcommand '{}'. Try {cmd} HELP.",
        errors::truncate_for_error(sub)
    ))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `PING [message]`
fn ping(args: &[Bytes]) -> Reply {
    match args.len() {
        1 => Reply::Status("PONG".into()),
        2 => Reply::Bulk(args[1].clone()),
        _ => arity("ping"),
    }
}

/// `ECHO message`
fn echo(args: &[Bytes]) -> Reply {
    match args.len() {
        2 => Reply::Bulk(args[1].clone()),
        _ => arity("echo"),
    }
}

/// `AUTH [username] password`: there are no passwords; the default user is
/// `nopass`, as in a redis-server without `requirepass`.
fn auth(args: &[Bytes]) -> Reply {
    match args.len() {
        2 => Reply::err(
            "ERR AUTH <password> called without any password configured for the default \
             user. Are you sure your configuration is correct?",
        ),
        3 => check_user(&args[1]),
        _ => Reply::err(errors::SYNTAX),
    }
}

fn check_user(user: &[u8]) -> Reply {
    if user == b"default" {
        Reply::ok()
    } else {
        Reply::err("WRONGPASS invalid username-password pair or user is disabled.")
    }
}

/// Redis refuses client names (and CLIENT SETINFO values) with characters
/// outside `!`..=`~`.
fn valid_client_attr(v: &[u8]) -> bool {
    v.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

/// `HELLO [protover [AUTH username password] [SETNAME clientname]]`
fn hello(s: &mut Session, args: &[Bytes]) -> Reply {
    let mut proto = s.info.proto;
    if args.len() >= 2 {
        match crate::resp::decode::string2ll(&args[1]) {
            Some(2) => proto = Protocol::Resp2,
            Some(3) => proto = Protocol::Resp3,
            Some(_) => return Reply::err("NOPROTO unsupported protocol version"),
            None => return Reply::err("ERR Protocol version is not an integer or out of range"),
        }
    }
    let mut user = None;
    let mut name = None;
    let mut j = 2;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = &args[j];
        if opt.eq_ignore_ascii_case(b"auth") && more >= 2 {
            user = Some(&args[j + 1]);
            j += 3;
        } else if opt.eq_ignore_ascii_case(b"setname") && more >= 1 {
            name = Some(&args[j + 1]);
            j += 2;
        } else {
            return Reply::err(format!(
                "ERR Syntax error in HELLO option '{}'",
                errors::truncate_for_error(opt)
            ));
        }
    }
    if let Some(user) = user {
        let r = check_user(user);
        if r.is_error() {
            return r;
        }
    }
    if let Some(name) = name {
        if !valid_client_attr(name) {
            return Reply::err(
                "ERR Client names cannot contain spaces, newlines or special characters.",
            );
        }
        s.info.name = name.clone();
    }
    s.info.proto = proto;
    s.publish();
    Reply::Map(vec![
        (Reply::bulk("server"), Reply::bulk("redis")),
        (Reply::bulk("version"), Reply::bulk(REDIS_VERSION)),
        (
            Reply::bulk("proto"),
            Reply::Integer(if proto == Protocol::Resp3 { 3 } else { 2 }),
        ),
        (Reply::bulk("id"), Reply::Integer(s.id as i64)),
        (Reply::bulk("mode"), Reply::bulk("standalone")),
        (Reply::bulk("role"), Reply::bulk("master")),
        (Reply::bulk("modules"), Reply::Array(vec![])),
    ])
}

/// `RESET`: back to RESP2, no name.
fn reset(s: &mut Session, args: &[Bytes]) -> Reply {
    if args.len() != 1 {
        return arity("reset");
    }
    s.info.proto = Protocol::Resp2;
    s.info.name = Bytes::new();
    s.publish();
    Reply::Status("RESET".into())
}

/// `SELECT index`: one database only.
fn select(args: &[Bytes]) -> Reply {
    if args.len() != 2 {
        return arity("select");
    }
    match crate::resp::decode::string2ll(&args[1]) {
        Some(0) => Reply::ok(),
        Some(_) => Reply::err("ERR fencekv has a single database: only SELECT 0 is supported"),
        None => Reply::err(errors::NOT_INTEGER),
    }
}

/// `CLIENT ID|GETNAME|SETNAME|INFO|LIST|SETINFO|HELP`
fn client(s: &mut Session, args: &[Bytes]) -> Reply {
    if args.len() < 2 {
        return arity("client");
    }
    let sub = args[1].to_ascii_lowercase();
    let n = args.len();
    match &sub[..] {
        b"id" if n == 2 => Reply::Integer(s.id as i64),
        b"getname" if n == 2 => {
            if s.info.name.is_empty() {
                Reply::Nil
            } else {
                Reply::Bulk(s.info.name.clone())
            }
        }
        b"setname" if n == 3 => {
            if !valid_client_attr(&args[2]) {
                return Reply::err(
                    "ERR Client names cannot contain spaces, newlines or special characters.",
                );
            }
            s.info.name = args[2].clone();
            s.publish();
            Reply::ok()
        }
        b"setinfo" if n == 4 => {
            let attr = args[2].to_ascii_lowercase();
            let slot = match &attr[..] {
                b"lib-name" => &mut s.info.lib_name,
                b"lib-ver" => &mut s.info.lib_ver,
                _ => {
                    return Reply::err(format!(
                        "ERR Unrecognized option '{}'",
                        errors::truncate_for_error(&args[2])
                    ))
                }
            };
            if !valid_client_attr(&args[3]) {
                return Reply::err(format!(
                    "ERR {} cannot contain spaces, newlines or special characters.",
                    text(&attr)
                ));
            }
            *slot = args[3].clone();
            s.publish();
            Reply::ok()
        }
        b"info" if n == 2 => Reply::Verbatim(
            "txt".into(),
            Bytes::from(client_line(s.id, &s.info, Instant::now())),
        ),
        b"list" => client_list(s, &args[2..]),
        b"help" if n == 2 => Reply::Array(
            [
                "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "GETNAME",
                "    Return the name of the current connection.",
                "ID",
                "    Return the ID of the current connection.",
                "INFO",
                "    Return information about the current client connection.",
                "LIST [TYPE normal] [ID <id> [<id> ...]]",
                "    Return information about client connections.",
                "SETINFO <option> <value>",
                "    Set client meta attr. Options are LIB-NAME and LIB-VER.",
                "SETNAME <name>",
                "    Assign the name <name> to the current connection.",
                "HELP",
                "    Print this help.",
            ]
            .iter()
            .map(|l| Reply::Status((*l).into()))
            .collect(),
        ),
        b"id" | b"getname" | b"setname" | b"setinfo" | b"info" | b"help" => {
            arity(&format!("client|{}", text(&sub)))
        }
        _ => unknown_subcommand(&args[1], "CLIENT"),
    }
}

/// `CLIENT LIST [TYPE normal|…] [ID id …]`
fn client_list(s: &Session, opts: &[Bytes]) -> Reply {
    let mut ids: Option<Vec<u64>> = None;
    let mut only_normal_ok = true;
    match opts.first().map(|o| o.to_ascii_lowercase()) {
        None => {}
        Some(o) if o == b"type" && opts.len() == 2 => {
            let t = opts[1].to_ascii_lowercase();
            match &t[..] {
                b"normal" => {}
                b"master" | b"replica" | b"slave" | b"pubsub" => only_normal_ok = false,
                _ => {
                    return Reply::err(format!(
                        "ERR Unknown client type '{}'",
                        errors::truncate_for_error(&opts[1])
                    ))
                }
            }
        }
        Some(o) if o == b"id" && opts.len() >= 2 => {
            let mut v = Vec::new();
            for a in &opts[1..] {
                match crate::resp::decode::string2ll(a) {
                    Some(id) if id > 0 => v.push(id as u64),
                    _ => return Reply::err("ERR Invalid client ID"),
                }
            }
            ids = Some(v);
        }
        Some(_) => return Reply::err(errors::SYNTAX),
    }
    let now = Instant::now();
    let mut out = String::new();
    if only_normal_ok {
        let reg = lock(&s.registry);
        for (id, info) in &reg.clients {
            if ids.as_ref().is_some_and(|v| !v.contains(id)) {
                continue;
            }
            out.push_str(&client_line(*id, info, now));
        }
    }
    Reply::Verbatim("txt".into(), Bytes::from(out))
}

/// One CLIENT LIST line, Redis 7.2's fields (values fencekv does not track
/// are zero, as for an idle Redis client).
fn client_line(id: u64, c: &ClientInfo, now: Instant) -> String {
    format!(
        "id={id} addr={} laddr={} fd=0 name={} age={} idle=0 flags=N db=0 sub=0 psub=0 \
         ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 \
         omem=0 tot-mem=0 events=r cmd=NULL user=default redir=-1 resp={} lib-name={} \
         lib-ver={}\n",
        c.addr,
        c.laddr,
        text(&c.name),
        now.saturating_duration_since(c.created).as_secs(),
        if c.proto == Protocol::Resp3 { 3 } else { 2 },
        text(&c.lib_name),
        text(&c.lib_ver),
    )
}

// ------------------------------------------------------------------ COMMAND

use crate::cmd::table;

/// `COMMAND [COUNT | INFO name… | DOCS name… ]`
fn command(cfg: &ServerConfig, args: &[Bytes]) -> Reply {
    let debug = cfg.debug_commands;
    if args.len() == 1 {
        return table::command_all(debug);
    }
    let sub = args[1].to_ascii_lowercase();
    match &sub[..] {
        b"count" if args.len() == 2 => table::command_count(debug),
        b"count" => arity("command|count"),
        b"info" => table::command_info(&args[2..], debug),
        b"docs" => table::command_docs(&args[2..], debug),
        _ => unknown_subcommand(&args[1], "COMMAND"),
    }
}

// ------------------------------------------------------------------- CONFIG

/// The parameters CONFIG GET knows, with their values for this server.
fn config_table(cfg: &ServerConfig) -> Vec<(&'static str, String)> {
    vec![
        ("bind", cfg.bind.clone()),
        ("port", cfg.port.to_string()),
        ("dir", cfg.dir.clone()),
        ("save", String::new()),
        ("appendonly", "no".into()),
        ("appendfsync", cfg.appendfsync.name().into()),
        ("databases", "1".into()),
        ("maxmemory", "0".into()),
        ("maxmemory-policy", "noeviction".into()),
        ("maxclients", "10000".into()),
        ("proto-max-bulk-len", "536870912".into()),
        ("client-query-buffer-limit", "1073741824".into()),
        ("timeout", "0".into()),
        ("tcp-keepalive", "300".into()),
        ("requirepass", String::new()),
        ("protected-mode", "no".into()),
        ("cluster-enabled", "no".into()),
        ("lua-time-limit", "5000".into()),
        ("busy-reply-threshold", "5000".into()),
    ]
}

/// `CONFIG GET pattern… | SET … | RESETSTAT | REWRITE | HELP`
fn config(cfg: &ServerConfig, args: &[Bytes]) -> Reply {
    if args.len() < 2 {
        return arity("config");
    }
    let sub = args[1].to_ascii_lowercase();
    match &sub[..] {
        b"get" => {
            if args.len() < 3 {
                return arity("config|get");
            }
            let mut out = Vec::new();
            let table = config_table(cfg);
            let mut seen = vec![false; table.len()];
            for pat in &args[2..] {
                for (i, (k, v)) in table.iter().enumerate() {
                    if !seen[i] && glob_match(pat, k.as_bytes(), true) {
                        seen[i] = true;
                        out.push((Reply::bulk(*k), Reply::bulk(v.clone())));
                    }
                }
            }
            Reply::Map(out)
        }
        b"set" => {
            if args.len() < 4 || !args.len().is_multiple_of(2) {
                return arity("config|set");
            }
            let table = config_table(cfg);
            let name = &args[2];
            if table
                .iter()
                .any(|(k, _)| name.eq_ignore_ascii_case(k.as_bytes()))
            {
                Reply::err(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{}') - fencekv's \
                     configuration is fixed at startup",
                    errors::truncate_for_error(name)
                ))
            } else {
                Reply::err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                    errors::truncate_for_error(name)
                ))
            }
        }
        b"resetstat" if args.len() == 2 => Reply::ok(),
        b"rewrite" if args.len() == 2 => {
            Reply::err("ERR The server is running without a config file")
        }
        b"resetstat" | b"rewrite" => arity(&format!("config|{}", text(&sub))),
        _ => unknown_subcommand(&args[1], "CONFIG"),
    }
}

/// Redis's `stringmatchlen`: `*`, `?`, `[…]` (with `^` and ranges) and `\`.
pub fn glob_match(pat: &[u8], s: &[u8], nocase: bool) -> bool {
    if nocase {
        crate::cmd::glob::glob_match(&pat.to_ascii_lowercase(), &s.to_ascii_lowercase())
    } else {
        crate::cmd::glob::glob_match(pat, s)
    }
}

// --------------------------------------------------------------------- INFO

/// An INFO section fencekv knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Server,
    Clients,
    Persistence,
    Replication,
    Keyspace,
    Fencekv,
}

const DEFAULT_SECTIONS: [Section; 6] = [
    Section::Server,
    Section::Clients,
    Section::Persistence,
    Section::Replication,
    Section::Keyspace,
    Section::Fencekv,
];

/// `INFO [section …]`: unknown sections are silently empty, as in Redis.
pub fn info_sections(args: &[Bytes]) -> Vec<Section> {
    if args.is_empty() {
        return DEFAULT_SECTIONS.to_vec();
    }
    let mut out = Vec::new();
    for a in args {
        let a = a.to_ascii_lowercase();
        let add: &[Section] = match &a[..] {
            b"default" | b"all" | b"everything" => &DEFAULT_SECTIONS,
            b"server" => &[Section::Server],
            b"clients" => &[Section::Clients],
            b"persistence" => &[Section::Persistence],
            b"replication" => &[Section::Replication],
            b"keyspace" => &[Section::Keyspace],
            b"fencekv" => &[Section::Fencekv],
            _ => &[],
        };
        for s in add {
            if !out.contains(s) {
                out.push(*s);
            }
        }
    }
    out
}

fn kv(out: &mut String, k: &str, v: &dyn std::fmt::Display) {
    let _ = write!(out, "{k}:{v}\r\n");
}

/// Whether rendering needs the key count (a walk over the keyspace).
pub fn needs_keyspace(sections: &[Section]) -> bool {
    sections.contains(&Section::Keyspace)
}

/// The INFO text for `sections` (Redis's format: `# Name` then `key:value`
/// lines, CRLF, a blank line between sections).
pub fn render_info(
    sections: &[Section],
    node: &NodeInfo,
    cfg: &ServerConfig,
    clients: usize,
) -> Reply {
    let mut out = String::new();
    for (i, s) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        match s {
            Section::Server => {
                let uptime = cfg.started.elapsed().as_secs();
                out.push_str("# Server\r\n");
                kv(&mut out, "redis_version", &REDIS_VERSION);
                kv(&mut out, "fencekv_version", &env!("CARGO_PKG_VERSION"));
                kv(&mut out, "redis_mode", &"standalone");
                kv(&mut out, "os", &std::env::consts::OS);
                kv(&mut out, "arch_bits", &(usize::BITS));
                kv(&mut out, "process_id", &std::process::id());
                kv(&mut out, "tcp_port", &cfg.port);
                kv(&mut out, "uptime_in_seconds", &uptime);
                kv(&mut out, "uptime_in_days", &(uptime / 86400));
                kv(&mut out, "executable", &"fencekv");
            }
            Section::Clients => {
                out.push_str("# Clients\r\n");
                kv(&mut out, "connected_clients", &clients);
                kv(&mut out, "maxclients", &10000);
            }
            Section::Persistence => {
                out.push_str("# Persistence\r\n");
                kv(&mut out, "loading", &0);
                kv(&mut out, "aof_enabled", &0);
                kv(&mut out, "appendfsync", &cfg.appendfsync.name());
                kv(&mut out, "log_entries", &node.log_entries);
                kv(&mut out, "log_entries_persisted", &node.persisted_entries);
                kv(&mut out, "log_batches", &node.storage_batches);
                kv(&mut out, "log_syncs", &node.storage_syncs);
                kv(&mut out, "log_sync_pending", &(node.sync_pending as u8));
            }
            Section::Replication => {
                out.push_str("# Replication\r\n");
                kv(&mut out, "role", &"master");
                kv(&mut out, "connected_slaves", &0);
            }
            Section::Keyspace => {
                out.push_str("# Keyspace\r\n");
                if let Some((keys, expires)) = node.keys {
                    if keys > 0 {
                        kv(
                            &mut out,
                            "db0",
                            &format!("keys={keys},expires={expires},avg_ttl=0"),
                        );
                    }
                }
            }
            Section::Fencekv => {
                out.push_str("# Fencekv\r\n");
                kv(&mut out, "role", &node.role);
                kv(&mut out, "term", &node.term);
                kv(&mut out, "cluster_size", &cfg.peers.len().max(1));
                kv(
                    &mut out,
                    "leader",
                    &node
                        .leader
                        .map(|l| usize::from(l).to_string())
                        .unwrap_or_else(|| "none".into()),
                );
                if let Some(addr) = node.leader.and_then(|l| cfg.peers.get(&l)) {
                    kv(&mut out, "leader_peer_addr", addr);
                }
                kv(&mut out, "commit_index", &node.commit_index);
                kv(&mut out, "applied_index", &node.applied_index);
                kv(&mut out, "log_entries", &node.log_entries);
                kv(&mut out, "last_snapshot_index", &node.snapshot_index);
                kv(
                    &mut out,
                    "log_entries_held",
                    &(node.log_entries - node.snapshot_index),
                );
                kv(
                    &mut out,
                    "snapshots_installed",
                    &node.stats.snapshots_installed,
                );
                kv(&mut out, "read_fences", &node.stats.read_fences);
                kv(&mut out, "fence_rounds", &node.stats.fence_rounds);
                let st = &node.stats;
                kv(&mut out, "scripts_run", &st.scripts_run);
                kv(&mut out, "script_fences", &st.script_fences);
                kv(
                    &mut out,
                    "script_fences_per_script",
                    &format!(
                        "{:.2}",
                        st.script_fences as f64 / st.scripts_run.max(1) as f64
                    ),
                );
                kv(&mut out, "script_runs", &st.script_attempts);
                kv(&mut out, "script_commits", &st.script_commits);
                kv(&mut out, "script_conflicts", &st.script_conflicts);
                kv(&mut out, "script_retries", &st.script_retries);
                kv(
                    &mut out,
                    "modes",
                    &if node.gaps.is_empty() {
                        "safe".to_string()
                    } else {
                        node.gaps.join(",")
                    },
                );
            }
        }
    }
    Reply::Verbatim("txt".into(), Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(args: &[&str]) -> Vec<Bytes> {
        args.iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect()
    }

    fn cfg() -> ServerConfig {
        ServerConfig {
            bind: "127.0.0.1".into(),
            port: 6379,
            dir: "./data".into(),
            appendfsync: AppendFsync::Everysec,
            debug_commands: false,
            started: Instant::now(),
            peers: BTreeMap::new(),
            faults: Arc::default(),
            scripts: super::super::scripts::Scripts::new(std::time::Duration::from_secs(5)),
        }
    }

    fn session() -> Session {
        let addr: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
        Session::open(Arc::default(), addr, addr)
    }

    fn run(s: &mut Session, args: &[&str]) -> Reply {
        match handle(s, &cfg(), &b(args), 0) {
            Action::Reply(r) => r,
            other => panic!("not a local reply: {other:?}"),
        }
    }

    fn err(r: Reply) -> String {
        r.error_text().expect("an error").to_string()
    }

    #[test]
    fn ping_echo() {
        let mut s = session();
        assert_eq!(run(&mut s, &["PING"]), Reply::Status("PONG".into()));
        assert_eq!(run(&mut s, &["ping", "x"]), Reply::bulk("x"));
        assert_eq!(
            err(run(&mut s, &["ping", "a", "b"])),
            "ERR wrong number of arguments for 'ping' command"
        );
        assert_eq!(run(&mut s, &["echo", "hi"]), Reply::bulk("hi"));
        assert_eq!(
            err(run(&mut s, &["echo"])),
            "ERR wrong number of arguments for 'echo' command"
        );
        assert!(matches!(
            handle(&mut s, &cfg(), &b(&["QUIT"]), 0),
            Action::Quit
        ));
    }

    #[test]
    fn hello_switches_protocol_and_names() {
        let mut s = session();
        let r = run(&mut s, &["HELLO", "3", "SETNAME", "app"]);
        let Reply::Map(m) = r else {
            panic!("HELLO answers a map")
        };
        assert_eq!(m[0], (Reply::bulk("server"), Reply::bulk("redis")));
        assert_eq!(m[2], (Reply::bulk("proto"), Reply::Integer(3)));
        assert_eq!(s.proto(), Protocol::Resp3);
        assert_eq!(run(&mut s, &["client", "getname"]), Reply::bulk("app"));
        assert_eq!(
            err(run(&mut s, &["HELLO", "4"])),
            "NOPROTO unsupported protocol version"
        );
        assert_eq!(
            err(run(&mut s, &["HELLO", "x"])),
            "ERR Protocol version is not an integer or out of range"
        );
        assert_eq!(
            err(run(&mut s, &["HELLO", "3", "AUTH", "u"])),
            "ERR Syntax error in HELLO option 'AUTH'"
        );
        assert_eq!(
            err(run(&mut s, &["HELLO", "3", "AUTH", "u", "p"])),
            "WRONGPASS invalid username-password pair or user is disabled."
        );
        assert!(!run(&mut s, &["HELLO", "2", "AUTH", "default", "p"]).is_error());
        assert_eq!(s.proto(), Protocol::Resp2);
    }

    #[test]
    fn select_and_auth() {
        let mut s = session();
        assert_eq!(run(&mut s, &["SELECT", "0"]), Reply::ok());
        assert_eq!(
            err(run(&mut s, &["SELECT", "1"])),
            "ERR fencekv has a single database: only SELECT 0 is supported"
        );
        assert_eq!(
            err(run(&mut s, &["SELECT", "x"])),
            "ERR value is not an integer or out of range"
        );
        assert!(err(run(&mut s, &["AUTH", "pw"])).starts_with("ERR AUTH <password> called"));
    }

    #[test]
    fn client_commands() {
        let mut s = session();
        assert_eq!(run(&mut s, &["CLIENT", "GETNAME"]), Reply::Nil);
        assert_eq!(
            err(run(&mut s, &["CLIENT", "SETNAME", "a b"])),
            "ERR Client names cannot contain spaces, newlines or special characters."
        );
        assert_eq!(
            run(&mut s, &["CLIENT", "SETINFO", "LIB-NAME", "redis-rs"]),
            Reply::ok()
        );
        assert_eq!(
            err(run(&mut s, &["CLIENT", "SETINFO", "lib-foo", "x"])),
            "ERR Unrecognized option 'lib-foo'"
        );
        assert_eq!(
            err(run(&mut s, &["CLIENT", "foo"])),
            "ERR unknown subcommand 'foo'. Try CLIENT HELP."
        );
        assert_eq!(
            err(run(&mut s, &["CLIENT", "id", "x"])),
            "ERR wrong number of arguments for 'client|id' command"
        );
        let Reply::Verbatim(_, list) = run(&mut s, &["CLIENT", "LIST"]) else {
            panic!("CLIENT LIST is text")
        };
        let list = String::from_utf8_lossy(&list).into_owned();
        assert!(list.contains(&format!("id={} ", s.id)), "{list}");
        assert!(list.contains("lib-name=redis-rs"), "{list}");
    }

    #[test]
    fn config_get_globs() {
        let mut s = session();
        let Reply::Map(m) = run(&mut s, &["CONFIG", "GET", "save", "append*"]) else {
            panic!("CONFIG GET is a map")
        };
        let keys: Vec<_> = m.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(
            keys,
            vec![
                Reply::bulk("save"),
                Reply::bulk("appendonly"),
                Reply::bulk("appendfsync")
            ]
        );
        assert_eq!(
            err(run(&mut s, &["CONFIG", "GET"])),
            "ERR wrong number of arguments for 'config|get' command"
        );
        assert_eq!(
            err(run(&mut s, &["CONFIG", "SET", "foo", "bar"])),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
    }

    #[test]
    fn globs() {
        // As Redis's stringmatchlen: `*` does not match the empty string
        // (KEYS * takes a shortcut instead).
        assert!(!glob_match(b"*", b"", false));
        assert!(glob_match(b"a*c", b"abbbc", false));
        assert!(!glob_match(b"a*c", b"abbb", false));
        assert!(glob_match(b"h?llo", b"hello", false));
        assert!(glob_match(b"h[ae]llo", b"hallo", false));
        assert!(!glob_match(b"h[^e]llo", b"hello", false));
        assert!(glob_match(b"h[a-b]llo", b"hbllo", false));
        assert!(glob_match(b"PORT", b"port", true));
        assert!(glob_match(b"a\\*", b"a*", false));
        assert!(!glob_match(b"a\\*", b"ab", false));
    }

    #[test]
    fn info_format() {
        let node = NodeInfo {
            keys: Some((2, 1)),
            ..NodeInfo::default()
        };
        let r = render_info(&[Section::Keyspace, Section::Clients], &node, &cfg(), 3);
        assert_eq!(
            r,
            Reply::Verbatim(
                "txt".into(),
                Bytes::from_static(
                    b"# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\n\r\n# Clients\r\n\
                      connected_clients:3\r\nmaxclients:10000\r\n"
                )
            )
        );
        assert_eq!(info_sections(&b(&["nosuch"])), vec![]);
    }
}
