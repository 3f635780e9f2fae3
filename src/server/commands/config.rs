//! CONFIG: GET from the server's configuration (glob patterns, case
//! insensitive); SET of what may change while the node runs; RESETSTAT and
//! REWRITE as a server without a config file answers them.
//!
//! CONFIG SET changes, on this node only (as Redis's configuration is per
//! instance), `busy-reply-threshold` alias `lua-time-limit` — the script
//! time limit the watchdog applies, from the next check on —, `requirepass`
//! (for connections made after it; empty: none), `maxclients` and
//! `protected-mode` (for connections accepted after it), the client limits
//! `client-query-buffer-limit` (at least 1mb), `client-output-buffer-limit`
//! (`<class> <hard> <soft> <seconds>` groups; only `normal` applies) and
//! `timeout` (for open connections too, from their next batch), and Redis's
//! memory-layout knobs ([`SETTABLE`]), which are validated as Redis 7.0
//! validates them, remembered and reported by CONFIG GET, and change
//! nothing: fencekv has one layout for every value. `set-max-listpack-
//! entries` is Redis 7.2's (7.0 does not know it). Everything else CONFIG
//! GET reports is fixed at startup. As in Redis 7.0, several parameters may
//! be set at once, all or none; an alias is a parameter of its own name
//! (setting both in one call is not a duplicate). A fixed parameter may be
//! "set" to the value it already has (`CONFIG SET save ""`): a no-op.

use bytes::Bytes;

use crate::cmd::glob::glob_match;
use crate::resp::reply::errors;
use crate::resp::Reply;

use super::super::config::{memtoull, parse_output_limits, ServerConfig, MIN_QUERY_BUFFER_LIMIT};
use super::reply::{arity, text, unknown_subcommand};

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
        ("proto-max-bulk-len", "536870912".into()),
        ("client-output-buffer-limit", cfg.limits.output_text()),
        ("tcp-keepalive", "300".into()),
        ("requirepass", text(&cfg.access.requirepass())),
        ("cluster-enabled", "no".into()),
        (
            "tls-port",
            cfg.tls.as_ref().map_or(0, |t| t.port).to_string(),
        ),
        (
            "tls-cert-file",
            cfg.tls
                .as_ref()
                .map(|t| t.cert_file.clone())
                .unwrap_or_default(),
        ),
        (
            "tls-key-file",
            cfg.tls
                .as_ref()
                .map(|t| t.key_file.clone())
                .unwrap_or_default(),
        ),
        (
            "tls-ca-cert-file",
            cfg.tls
                .as_ref()
                .map(|t| t.ca_cert_file.clone())
                .unwrap_or_default(),
        ),
        (
            "tls-auth-clients",
            cfg.tls
                .as_ref()
                .map_or(super::super::tls::AuthClients::default(), |t| {
                    t.auth_clients
                })
                .name()
                .into(),
        ),
    ]
}

/// How a settable parameter's argument is read (Redis 7.0's `config.c`).
#[derive(Clone, Copy, Debug)]
enum Numeric {
    /// `string2ll`, then the bounds.
    Integer { min: i64, max: i64 },
    /// A size in bytes, `memtoull` (units b, k, kb, m, mb, g, gb), at most
    /// `LONG_MAX`.
    Memory,
    /// `yes` or `no` (any case), kept as 1 or 0.
    YesNo,
    /// [`Numeric::Memory`] of at least this many bytes.
    MemoryAtLeast(i64),
}

/// A parameter CONFIG SET may change. `canonical` names the value an alias
/// shares with its parameter.
#[derive(Debug)]
struct Settable {
    name: &'static str,
    canonical: &'static str,
    numeric: Numeric,
    default: i64,
}

const SIZE: Numeric = Numeric::Integer {
    min: 0,
    max: i64::MAX,
};
const INT: Numeric = Numeric::Integer {
    min: i32::MIN as i64,
    max: i32::MAX as i64,
};
const DEPTH: Numeric = Numeric::Integer {
    min: 0,
    max: i32::MAX as i64,
};

/// The script time limit's canonical name: its value is the watchdog's.
const SCRIPT_LIMIT: &str = "busy-reply-threshold";
/// The client limit's name: its value is [`ServerConfig::access`]'s.
const MAXCLIENTS: &str = "maxclients";
/// Protected mode's name: its value is [`ServerConfig::access`]'s.
const PROTECTED_MODE: &str = "protected-mode";
/// The password's name: a string, set apart from [`SETTABLE`]'s numbers.
const REQUIREPASS: &str = "requirepass";
/// The client limits' names: their values are [`ServerConfig::limits`]'.
const QUERY_BUFFER_LIMIT: &str = "client-query-buffer-limit";
const TIMEOUT: &str = "timeout";
/// A string of class groups, set apart from [`SETTABLE`]'s numbers.
const OUTPUT_BUFFER_LIMIT: &str = "client-output-buffer-limit";

/// What CONFIG SET accepts, with Redis 7.0.15's defaults and bounds.
const SETTABLE: &[Settable] = &[
    Settable {
        name: PROTECTED_MODE,
        canonical: PROTECTED_MODE,
        numeric: Numeric::YesNo,
        default: 1,
    },
    Settable {
        name: QUERY_BUFFER_LIMIT,
        canonical: QUERY_BUFFER_LIMIT,
        numeric: Numeric::MemoryAtLeast(MIN_QUERY_BUFFER_LIMIT as i64),
        default: 1 << 30,
    },
    Settable {
        name: TIMEOUT,
        canonical: TIMEOUT,
        numeric: Numeric::Integer {
            min: 0,
            max: i32::MAX as i64,
        },
        default: 0,
    },
    Settable {
        name: MAXCLIENTS,
        canonical: MAXCLIENTS,
        numeric: Numeric::Integer {
            min: 1,
            max: u32::MAX as i64,
        },
        default: 10_000,
    },
    Settable {
        name: "busy-reply-threshold",
        canonical: SCRIPT_LIMIT,
        numeric: SIZE,
        default: 5000,
    },
    Settable {
        name: "lua-time-limit",
        canonical: SCRIPT_LIMIT,
        numeric: SIZE,
        default: 5000,
    },
    Settable {
        name: "hash-max-listpack-entries",
        canonical: "hash-max-listpack-entries",
        numeric: SIZE,
        default: 512,
    },
    Settable {
        name: "hash-max-ziplist-entries",
        canonical: "hash-max-listpack-entries",
        numeric: SIZE,
        default: 512,
    },
    Settable {
        name: "hash-max-listpack-value",
        canonical: "hash-max-listpack-value",
        numeric: Numeric::Memory,
        default: 64,
    },
    Settable {
        name: "hash-max-ziplist-value",
        canonical: "hash-max-listpack-value",
        numeric: Numeric::Memory,
        default: 64,
    },
    Settable {
        name: "list-max-listpack-size",
        canonical: "list-max-listpack-size",
        numeric: INT,
        default: -2,
    },
    Settable {
        name: "list-max-ziplist-size",
        canonical: "list-max-listpack-size",
        numeric: INT,
        default: -2,
    },
    Settable {
        name: "list-compress-depth",
        canonical: "list-compress-depth",
        numeric: DEPTH,
        default: 0,
    },
    Settable {
        name: "set-max-intset-entries",
        canonical: "set-max-intset-entries",
        numeric: SIZE,
        default: 512,
    },
    Settable {
        name: "set-max-listpack-entries",
        canonical: "set-max-listpack-entries",
        numeric: SIZE,
        default: 128,
    },
    Settable {
        name: "zset-max-listpack-entries",
        canonical: "zset-max-listpack-entries",
        numeric: SIZE,
        default: 128,
    },
    Settable {
        name: "zset-max-ziplist-entries",
        canonical: "zset-max-listpack-entries",
        numeric: SIZE,
        default: 128,
    },
    Settable {
        name: "zset-max-listpack-value",
        canonical: "zset-max-listpack-value",
        numeric: Numeric::Memory,
        default: 64,
    },
    Settable {
        name: "zset-max-ziplist-value",
        canonical: "zset-max-listpack-value",
        numeric: Numeric::Memory,
        default: 64,
    },
];

impl Settable {
    fn value(&self, cfg: &ServerConfig) -> i64 {
        if self.canonical == SCRIPT_LIMIT {
            i64::try_from(cfg.scripts.watchdog.limit_ms()).unwrap_or(i64::MAX)
        } else if self.canonical == MAXCLIENTS {
            i64::try_from(cfg.access.maxclients()).unwrap_or(i64::MAX)
        } else if self.canonical == PROTECTED_MODE {
            i64::from(cfg.access.protected_mode())
        } else if self.canonical == QUERY_BUFFER_LIMIT {
            i64::try_from(cfg.limits.query_buffer()).unwrap_or(i64::MAX)
        } else if self.canonical == TIMEOUT {
            i64::try_from(cfg.limits.timeout_secs()).unwrap_or(i64::MAX)
        } else {
            cfg.settings.get(self.canonical, self.default)
        }
    }

    fn store(&self, cfg: &ServerConfig, v: i64) {
        if self.canonical == SCRIPT_LIMIT {
            cfg.scripts
                .watchdog
                .set_limit_ms(u64::try_from(v).unwrap_or(0));
        } else if self.canonical == MAXCLIENTS {
            cfg.access.set_maxclients(u64::try_from(v).unwrap_or(1));
        } else if self.canonical == PROTECTED_MODE {
            cfg.access.set_protected_mode(v != 0);
        } else if self.canonical == QUERY_BUFFER_LIMIT {
            cfg.limits
                .set_query_buffer(u64::try_from(v).unwrap_or(MIN_QUERY_BUFFER_LIMIT));
        } else if self.canonical == TIMEOUT {
            cfg.limits.set_timeout_secs(u64::try_from(v).unwrap_or(0));
        } else {
            cfg.settings.set(self.canonical, v);
        }
    }

    /// The value as CONFIG GET shows it.
    fn shown(&self, cfg: &ServerConfig) -> String {
        match (self.numeric, self.value(cfg)) {
            (Numeric::YesNo, 0) => "no".into(),
            (Numeric::YesNo, _) => "yes".into(),
            (_, v) => v.to_string(),
        }
    }

    /// The argument as a value, or Redis's reason it is not one.
    fn parse(&self, arg: &[u8]) -> Result<i64, String> {
        let (v, min, max) = match self.numeric {
            Numeric::YesNo if arg.eq_ignore_ascii_case(b"yes") => return Ok(1),
            Numeric::YesNo if arg.eq_ignore_ascii_case(b"no") => return Ok(0),
            Numeric::YesNo => return Err("argument must be 'yes' or 'no'".into()),
            Numeric::Integer { min, max } => {
                let v = crate::resp::decode::string2ll(arg)
                    .ok_or("argument couldn't be parsed into an integer")?;
                (v, min, max)
            }
            Numeric::Memory | Numeric::MemoryAtLeast(_) => {
                let v = memtoull(arg).ok_or("argument must be a memory value")?;
                let min = match self.numeric {
                    Numeric::MemoryAtLeast(min) => min,
                    _ => 0,
                };
                // Redis reads the unsigned size into a long long.
                (v as i64, min, i64::MAX)
            }
        };
        if v < min || v > max {
            return Err(format!(
                "argument must be between {min} and {max} inclusive"
            ));
        }
        Ok(v)
    }
}

/// `ERR CONFIG SET failed (possibly related to argument '<name>') - <why>`
fn set_failed(name: &[u8], why: &str) -> Reply {
    Reply::err(format!(
        "ERR CONFIG SET failed (possibly related to argument '{}') - {why}",
        errors::truncate_for_error(name)
    ))
}

/// `CONFIG SET parameter value [parameter value ...]`, as Redis 7.0's
/// `configSetCommand`: the first unknown, fixed or repeated parameter is the
/// error; then the values are read in order, and the first bad one is the
/// error (named by the parameter's own name); only then is anything set.
fn config_set(cfg: &ServerConfig, args: &[Bytes]) -> Reply {
    if args.len() < 4 {
        return arity("config|set");
    }
    if !args.len().is_multiple_of(2) {
        return Reply::err(errors::SYNTAX);
    }
    let fixed = config_table(cfg);
    let mut chosen: Vec<(&Settable, &Bytes)> = Vec::new();
    let mut refused: Option<Reply> = None;
    let mut password: Option<&Bytes> = None;
    let mut output: Option<&Bytes> = None;
    for pair in args[2..].chunks_exact(2) {
        let (name, value) = (&pair[0], &pair[1]);
        let known = SETTABLE
            .iter()
            .find(|s| name.eq_ignore_ascii_case(s.name.as_bytes()));
        let is_password = name.eq_ignore_ascii_case(REQUIREPASS.as_bytes());
        let is_output = name.eq_ignore_ascii_case(OUTPUT_BUFFER_LIMIT.as_bytes());
        let problem = match known {
            None if (is_password && password.is_some()) || (is_output && output.is_some()) => {
                Some(set_failed(name, "duplicate parameter"))
            }
            None if is_password => {
                password = Some(value);
                None
            }
            None if is_output => {
                output = Some(value);
                None
            }
            Some(s) if chosen.iter().any(|(c, _)| c.name == s.name) => {
                Some(set_failed(name, "duplicate parameter"))
            }
            Some(s) => {
                chosen.push((s, value));
                None
            }
            // A fixed parameter set to the value it has changes nothing, so
            // it is accepted (test harnesses send `CONFIG SET save ""`).
            None if fixed.iter().any(|(k, v)| {
                name.eq_ignore_ascii_case(k.as_bytes()) && value.eq_ignore_ascii_case(v.as_bytes())
            }) =>
            {
                None
            }
            None if fixed
                .iter()
                .any(|(k, _)| name.eq_ignore_ascii_case(k.as_bytes())) =>
            {
                Some(set_failed(
                    name,
                    "fencekv's configuration is fixed at startup",
                ))
            }
            None => Some(Reply::err(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                errors::truncate_for_error(name)
            ))),
        };
        if refused.is_none() {
            refused = problem;
        }
    }
    if let Some(r) = refused {
        return r;
    }
    let mut values = Vec::with_capacity(chosen.len());
    for (s, value) in &chosen {
        match s.parse(value) {
            Ok(v) => values.push((*s, v)),
            Err(why) => return set_failed(s.name.as_bytes(), &why),
        }
    }
    let output = match output {
        None => None,
        Some(o) => {
            // Not UTF-8: no words, Redis's "wrong number of arguments".
            let text = std::str::from_utf8(o).unwrap_or("");
            if let Err(why) = parse_output_limits(text) {
                return set_failed(OUTPUT_BUFFER_LIMIT.as_bytes(), why);
            }
            Some(text)
        }
    };
    for (s, v) in values {
        s.store(cfg, v);
    }
    if let Some(text) = output {
        // Parsed above: cannot fail now.
        let _ = cfg.limits.set_output(text);
    }
    // Connections keep their state: an authenticated one stays so, as in
    // Redis; new ones need the new password.
    if let Some(pw) = password {
        cfg.access.set_requirepass(pw.clone());
    }
    Reply::ok()
}

/// `CONFIG GET pattern… | SET … | RESETSTAT | REWRITE | HELP`
pub(super) fn config(cfg: &ServerConfig, args: &[Bytes]) -> Reply {
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
            let mut table = config_table(cfg);
            table.extend(SETTABLE.iter().map(|s| (s.name, s.shown(cfg))));
            let mut seen = vec![false; table.len()];
            for pat in &args[2..] {
                for (i, (k, v)) in table.iter().enumerate() {
                    if !seen[i] && name_matches(pat, k) {
                        seen[i] = true;
                        out.push((Reply::bulk(*k), Reply::bulk(v.clone())));
                    }
                }
            }
            Reply::Map(out)
        }
        b"set" => config_set(cfg, args),
        b"resetstat" if args.len() == 2 => {
            cfg.errors.reset();
            Reply::ok()
        }
        b"rewrite" if args.len() == 2 => {
            Reply::err("ERR The server is running without a config file")
        }
        b"resetstat" | b"rewrite" => arity(&format!("config|{}", text(&sub))),
        _ => unknown_subcommand(&args[1], "CONFIG"),
    }
}

/// Whether parameter `name` matches the glob `pat`, ignoring case as CONFIG
/// GET does (Redis's `stringmatchlen` with `nocase`: both sides lower-cased).
fn name_matches(pat: &[u8], name: &str) -> bool {
    glob_match(
        &pat.to_ascii_lowercase(),
        &name.to_ascii_lowercase().into_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::super::client_conn::ClientConn;
    use super::super::test_support::*;
    use super::super::{handle, Action};
    use super::{glob_match, memtoull, name_matches};
    use crate::resp::Reply;

    #[test]
    fn config_get_globs() {
        let mut conn = conn();
        let Reply::Map(m) = run(&mut conn, &["CONFIG", "GET", "save", "append*"]) else {
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
            err(run(&mut conn, &["CONFIG", "GET"])),
            "ERR wrong number of arguments for 'config|get' command"
        );
        assert_eq!(
            err(run(&mut conn, &["CONFIG", "SET", "foo", "bar"])),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
    }

    #[test]
    fn config_set_layout_knobs_and_aliases() {
        let mut conn = conn();
        let cfg = cfg();
        let get = |name: &str| {
            let Action::Reply(Reply::Map(m)) = handle(
                &mut super::super::test_support::conn(),
                &cfg,
                &b(&["CONFIG", "GET", name]),
                0,
            ) else {
                panic!("CONFIG GET is a map")
            };
            m.into_iter().map(|(_, v)| v).collect::<Vec<_>>()
        };
        let set = |conn: &mut ClientConn, words: &[&str]| {
            let mut a = vec!["CONFIG", "SET"];
            a.extend(words);
            match handle(conn, &cfg, &b(&a), 0) {
                Action::Reply(r) => r,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(get("hash-max-ziplist-entries"), vec![Reply::bulk("512")]);
        assert_eq!(
            set(&mut conn, &["hash-max-listpack-entries", "100"]),
            Reply::ok()
        );
        assert_eq!(get("hash-max-ziplist-entries"), vec![Reply::bulk("100")]);
        assert_eq!(
            set(
                &mut conn,
                &[
                    "HASH-MAX-ZIPLIST-VALUE",
                    "1kb",
                    "list-max-listpack-size",
                    "-5"
                ]
            ),
            Reply::ok()
        );
        assert_eq!(get("hash-max-listpack-value"), vec![Reply::bulk("1024")]);
        assert_eq!(get("list-max-ziplist-size"), vec![Reply::bulk("-5")]);
        // All or nothing.
        let e = set(
            &mut conn,
            &[
                "set-max-intset-entries",
                "7",
                "zset-max-listpack-value",
                "1x",
            ],
        );
        assert_eq!(
            e.error_text(),
            Some(
                "ERR CONFIG SET failed (possibly related to argument 'zset-max-listpack-value') \
                 - argument must be a memory value"
            )
        );
        assert_eq!(get("set-max-intset-entries"), vec![Reply::bulk("512")]);
        // A fixed parameter "set" to its own value is a no-op; another value
        // is refused.
        assert_eq!(set(&mut conn, &["save", ""]), Reply::ok());
        assert_eq!(set(&mut conn, &["appendonly", "NO"]), Reply::ok());
        assert_eq!(
            set(&mut conn, &["save", "900 1"]).error_text(),
            Some(
                "ERR CONFIG SET failed (possibly related to argument 'save') - \
                 fencekv's configuration is fixed at startup"
            )
        );
        for (words, e) in [
            (
                &["list-compress-depth", "-1"][..],
                "ERR CONFIG SET failed (possibly related to argument 'list-compress-depth') - \
                 argument must be between 0 and 2147483647 inclusive",
            ),
            (
                &["Hash-Max-Ziplist-Entries", "x"][..],
                "ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-entries') \
                 - argument couldn't be parsed into an integer",
            ),
            (&["a", "1", "b"][..], "ERR syntax error"),
            (
                &["a"][..],
                "ERR wrong number of arguments for 'config|set' command",
            ),
            (
                &["list-compress-depth", "1", "LIST-compress-depth", "2"][..],
                "ERR CONFIG SET failed (possibly related to argument 'LIST-compress-depth') - \
                 duplicate parameter",
            ),
            (
                &["list-compress-depth", "x", "nosuch", "2"][..],
                "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'",
            ),
            (
                &["port", "1"][..],
                "ERR CONFIG SET failed (possibly related to argument 'port') - fencekv's \
                 configuration is fixed at startup",
            ),
        ] {
            assert_eq!(set(&mut conn, words).error_text(), Some(e), "{words:?}");
        }
        // An alias is a parameter of its own.
        assert_eq!(
            set(
                &mut conn,
                &[
                    "zset-max-listpack-entries",
                    "1",
                    "zset-max-ziplist-entries",
                    "2"
                ]
            ),
            Reply::ok()
        );
        assert_eq!(get("zset-max-listpack-entries"), vec![Reply::bulk("2")]);
    }

    #[test]
    fn config_set_the_script_time_limit() {
        let cfg = cfg();
        let mut conn = conn();
        let r = handle(
            &mut conn,
            &cfg,
            &b(&["CONFIG", "SET", "lua-time-limit", "250"]),
            0,
        );
        assert!(
            matches!(r, Action::Reply(ref r) if *r == Reply::ok()),
            "{r:?}"
        );
        assert_eq!(cfg.scripts.watchdog.limit_ms(), 250);
        let Action::Reply(Reply::Map(m)) =
            handle(&mut conn, &cfg, &b(&["CONFIG", "GET", "busy-*"]), 0)
        else {
            panic!("a map")
        };
        assert_eq!(
            m,
            vec![(Reply::bulk("busy-reply-threshold"), Reply::bulk("250"))]
        );
    }

    #[test]
    fn memory_values_parse_like_memtoull() {
        for (arg, v) in [
            ("64", Some(64)),
            ("1k", Some(1000)),
            ("1KB", Some(1024)),
            ("2mb", Some(2 << 20)),
            ("1g", Some(1_000_000_000)),
            ("", Some(0)),
            ("kb", Some(0)),
            ("0001k", Some(1000)),
            ("17179869184gb", Some(0)),
            ("99999999999999999999", Some(u64::MAX)),
            ("-1", None),
            ("+1", None),
            (" 1", None),
            ("1 kb", None),
            ("1t", None),
            ("1.5", None),
        ] {
            assert_eq!(memtoull(arg.as_bytes()), v, "{arg:?}");
        }
        assert_eq!(memtoull(&[b'1'; 130]), None);
    }

    #[test]
    fn globs() {
        // As Redis's stringmatchlen: `*` does not match the empty string
        // (KEYS * takes a shortcut instead).
        assert!(!glob_match(b"*", b""));
        assert!(glob_match(b"a*c", b"abbbc"));
        assert!(!glob_match(b"a*c", b"abbb"));
        assert!(glob_match(b"h?llo", b"hello"));
        assert!(glob_match(b"h[ae]llo", b"hallo"));
        assert!(!glob_match(b"h[^e]llo", b"hello"));
        assert!(glob_match(b"h[a-b]llo", b"hbllo"));
        assert!(name_matches(b"PORT", "port"));
        assert!(glob_match(b"a\\*", b"a*"));
        assert!(!glob_match(b"a\\*", b"ab"));
    }
}
