//! Differential test against recorded redis-server 7.0.15 output.
//!
//! `testdata/redis-7.0.15.tsv` holds one case per line: a Lua function body,
//! a tab, and what Redis returned for it. Each case runs as
//!
//! ```text
//! <testdata/preamble.lua>
//! local R = pack(pcall(function() <case> end))
//! <testdata/post.lua>
//! ```
//!
//! The preamble defines a deterministic generator (`rnd`, `rstr`, `rval`,
//! `rnum`: random values, strings, nested tables) and `ser`, a serialiser
//! that writes strings as hex and numbers with 17 digits; the post-amble
//! prints success or the error text (the chunk is named `user_script` as in
//! Redis, so positions compare too). The cases cover random values through
//! cjson and cmsgpack round trips, random bytes and JSON fragments into the
//! decoders, random struct formats, bit operations, and hand-picked corners.
//!
//! To re-record (with redis-server on port 6391, fresh, so cjson settings
//! are at their defaults):
//!
//! ```text
//! cut -f1 redis-7.0.15.tsv | while IFS= read -r c; do
//!   printf '%s\t%s\n' "$c" "$(redis-cli -p 6391 EVAL "$(cat preamble.lua)
//! local R = pack(pcall(function() $c end))
//! $(cat post.lua)" 0)"; done
//! ```

const PREAMBLE: &str = include_str!("testdata/preamble.lua");
const POST: &str = include_str!("testdata/post.lua");
const CASES: &str = include_str!("testdata/redis-7.0.15.tsv");

#[test]
fn matches_recorded_redis_output() {
    let mut failures = Vec::new();
    let mut count = 0;
    for line in CASES.lines().filter(|l| !l.is_empty()) {
        let Some((case, want)) = line.split_once('\t') else {
            panic!("malformed line: {line}");
        };
        count += 1;
        let lua = mlua::Lua::new();
        super::register_all(&lua).expect("register");
        let script = format!("{PREAMBLE}\nlocal R = pack(pcall(function() {case} end))\n{POST}");
        let got = match lua
            .load(&script)
            .set_name("@user_script")
            .eval::<mlua::LuaString>()
        {
            Ok(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            Err(e) => format!("ERROR {e}"),
        };
        if got != want {
            failures.push(format!("{case}\n  redis: {want}\n  ours:  {got}"));
        }
    }
    assert!(count > 400, "only {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
