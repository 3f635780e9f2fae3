//! CONFIG: GET from the server's fixed configuration (glob patterns, case
//! insensitive), and SET, RESETSTAT and REWRITE as a server without a
//! config file answers them.

use bytes::Bytes;

use crate::cmd::glob::glob_match;
use crate::resp::reply::errors;
use crate::resp::Reply;

use super::super::config::ServerConfig;
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
            let table = config_table(cfg);
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
    use super::super::test_support::*;
    use super::{glob_match, name_matches};
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
