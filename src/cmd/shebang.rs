//! The first line of a script or a library (Redis 7.0): EVAL's
//! `#!lua [flags=a,b]` shebang and FUNCTION LOAD's `#!<engine> name=<lib>`
//! metadata, with Redis's error texts. Pure: the node reads the flags
//! before it runs a script, the engine skips the line when it compiles.

use crate::resp::inline::split_args;

/// Script flags (Redis's `SCRIPT_FLAG_*`), one bit each, in the order
/// Redis lists them (`scripts_flags_def`, FUNCTION LIST's `flags`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScriptFlags(pub u32);

impl ScriptFlags {
    pub const NO_WRITES: u32 = 1 << 0;
    pub const ALLOW_OOM: u32 = 1 << 1;
    pub const ALLOW_STALE: u32 = 1 << 2;
    pub const NO_CLUSTER: u32 = 1 << 3;
    pub const ALLOW_CROSS_SLOT_KEYS: u32 = 1 << 4;
    /// A script without a shebang: Redis 6's rules (it may write, EVAL_RO
    /// refuses only its write commands). Never a function's.
    pub const EVAL_COMPAT: u32 = 1 << 5;

    /// Each declarable flag's name, in bit order.
    pub const NAMES: [(&'static str, u32); 5] = [
        ("no-writes", Self::NO_WRITES),
        ("allow-oom", Self::ALLOW_OOM),
        ("allow-stale", Self::ALLOW_STALE),
        ("no-cluster", Self::NO_CLUSTER),
        ("allow-cross-slot-keys", Self::ALLOW_CROSS_SLOT_KEYS),
    ];

    /// The bit of a flag name (exact, case-sensitive, as Redis compares).
    pub fn bit(name: &[u8]) -> Option<u32> {
        Self::NAMES
            .iter()
            .find(|(n, _)| n.as_bytes() == name)
            .map(|(_, b)| *b)
    }

    pub fn has(self, bit: u32) -> bool {
        self.0 & bit != 0
    }

    /// The declared flags' names, in Redis's order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .iter()
            .filter(move |(_, b)| self.0 & b != 0)
            .map(|(n, _)| *n)
    }
}

/// The length of a first line starting with `#!` (up to, not including,
/// its `\n`): the part the engine skips, keeping the line feed so that
/// line numbers stay the user's. 0 when there is no such line.
pub fn header_len(body: &[u8]) -> usize {
    if !body.starts_with(b"#!") {
        return 0;
    }
    body.iter().position(|&b| b == b'\n').unwrap_or(body.len())
}

/// EVAL's flags (Redis's `evalExtractShebangFlags`): a script with no
/// shebang is [`ScriptFlags::EVAL_COMPAT`]; with one, the flags it names.
/// `Err` carries Redis's reply text.
pub fn eval_flags(body: &[u8]) -> Result<ScriptFlags, String> {
    if !body.starts_with(b"#!") {
        return Ok(ScriptFlags(ScriptFlags::EVAL_COMPAT));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("ERR Invalid script shebang".into());
    };
    let parts = match split_args(&body[..end]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("ERR Invalid engine in script shebang".into()),
    };
    if parts[0] != b"#!lua" {
        return Err(format!(
            "ERR Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(&parts[0])
        ));
    }
    let mut flags = 0;
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(format!(
                "ERR Unknown lua shebang option: {}",
                String::from_utf8_lossy(part)
            ));
        };
        // `flags=` names no flag (sdssplitlen of "" is empty).
        if list.is_empty() {
            continue;
        }
        for name in list.split(|&b| b == b',') {
            match ScriptFlags::bit(name) {
                Some(bit) => flags |= bit,
                None => {
                    return Err(format!(
                        "ERR Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(name)
                    ))
                }
            }
        }
    }
    Ok(ScriptFlags(flags))
}

/// A library's first line (Redis's `functionExtractLibMetaData`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibraryMeta {
    /// As written (`lua`, `LUA`): engines are found case-insensitively.
    pub engine: String,
    pub name: String,
}

/// The metadata of a FUNCTION LOAD payload, checked as Redis checks it
/// (the name's characters, then the engine). `Err`: Redis's reply text.
pub fn library_meta(code: &[u8]) -> Result<LibraryMeta, String> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err("ERR Invalid library metadata".into());
    };
    let parts = match split_args(&code[..end]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("ERR Invalid library metadata".into()),
    };
    let engine = String::from_utf8_lossy(&parts[0][2..]).into_owned();
    let mut name: Option<Vec<u8>> = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "ERR Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(part[5..].to_vec());
            continue;
        }
        return Err(format!(
            "ERR Invalid metadata value given: {}",
            String::from_utf8_lossy(part)
        ));
    }
    let Some(name) = name else {
        return Err("ERR Library name was not given".into());
    };
    if !valid_name(&name) {
        return Err(INVALID_NAME.into());
    }
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(format!("ERR Engine '{engine}' not found"));
    }
    Ok(LibraryMeta {
        engine,
        // Valid names are ASCII.
        name: String::from_utf8_lossy(&name).into_owned(),
    })
}

/// Redis 7.0 uses this one text for library and function names alike.
pub const INVALID_NAME: &str = "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// Redis's `functionsVerifyName`: one or more of `[A-Za-z0-9_]`.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eval_shebangs_as_redis_reads_them() {
        assert_eq!(
            eval_flags(b"return 1"),
            Ok(ScriptFlags(ScriptFlags::EVAL_COMPAT))
        );
        assert_eq!(eval_flags(b"#!lua\nreturn 1"), Ok(ScriptFlags(0)));
        assert_eq!(eval_flags(b"#!lua flags=\nreturn 1"), Ok(ScriptFlags(0)));
        assert_eq!(
            eval_flags(b"#!lua flags=no-writes,allow-oom\n"),
            Ok(ScriptFlags(ScriptFlags::NO_WRITES | ScriptFlags::ALLOW_OOM))
        );
        let err = |b: &[u8]| eval_flags(b).unwrap_err();
        assert_eq!(err(b"#!lua"), "ERR Invalid script shebang");
        assert_eq!(
            err(b"#!foo\nreturn 1"),
            "ERR Unexpected engine in script shebang: #!foo"
        );
        assert_eq!(
            err(b"#! \nreturn 1"),
            "ERR Unexpected engine in script shebang: #!"
        );
        assert_eq!(
            err(b"#!lua flags=bad\n"),
            "ERR Unexpected flag in script shebang: bad"
        );
        assert_eq!(
            err(b"#!lua name=x\n"),
            "ERR Unknown lua shebang option: name=x"
        );
    }

    #[test]
    fn library_metadata_as_redis_reads_it() {
        let meta = library_meta(b"#!lua name=\"foo\"\nx").unwrap();
        assert_eq!(meta.name, "foo");
        assert_eq!(library_meta(b"#!LUA name=x\n").unwrap().engine, "LUA");
        let err = |b: &[u8]| library_meta(b).unwrap_err();
        assert_eq!(err(b"return 1"), "ERR Missing library metadata");
        assert_eq!(err(b"#!lua name=x"), "ERR Invalid library metadata");
        assert_eq!(err(b"#!luax name=x\n"), "ERR Engine 'luax' not found");
        assert_eq!(err(b"#! name=test\n"), "ERR Engine '' not found");
        assert_eq!(err(b"#!lua\n"), "ERR Library name was not given");
        assert_eq!(
            err(b"#!lua name=test foo=bar\n"),
            "ERR Invalid metadata value given: foo=bar"
        );
        assert_eq!(
            err(b"#!lua name=foo name=bar\n"),
            "ERR Invalid metadata value, name argument was given multiple times"
        );
        assert_eq!(err(b"#!lua name=a-b\n"), INVALID_NAME);
        assert_eq!(header_len(b"#!lua name=x\nbody"), 12);
        assert_eq!(header_len(b"body"), 0);
    }
}
