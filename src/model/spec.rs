//! The sequential specification the histories are checked against: a plain
//! map from keys to values, written independently of the keyspace code (no
//! encodings, no read chain, no MVCC) so that it can catch them being wrong.
//! Collections are plain values too: a list is a `VecDeque`, a hash a
//! `BTreeMap`, a set a `BTreeSet`, a sorted set a map from member to score.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use stateright::semantics::SequentialSpec;

use crate::script::ops::{self, Step};

/// A client operation, as the history records it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Op {
    Get(String),
    Set(String, String),
    Del(String),
    /// An op-list script (`crate::script::ops`), one atomic step.
    Script(String),
    /// A collection command ([`ops::COLLECTION_COMMANDS`]), its words as written.
    Cmd(Vec<String>),
    /// `WATCH K…` by client `.0` (the spec keeps each client's watch).
    Watch(usize, Vec<String>),
    /// `MULTI`, the commands (each its words), `EXEC`, by client `.0`: one
    /// atomic step, or nil when a key the client watched was written since
    /// its WATCH (Redis's meaning; the watch ends either way).
    Multi(usize, Vec<Vec<String>>),
}

/// A collection value of the spec.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Coll {
    List(VecDeque<String>),
    Hash(BTreeMap<String, String>),
    Set(BTreeSet<String>),
    /// Member → score.
    ZSet(BTreeMap<String, i64>),
}

/// What a collection command answered, before it becomes a [`Ret`] or a
/// script step's text.
enum Answer {
    Nil,
    Int(i64),
    Bulk(String),
    List(Vec<String>),
    Error(String),
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

impl Op {
    /// The one key the operation touches: why a history may be checked one key
    /// at a time (`crate::lincheck::check_kv`). A script may touch any key:
    /// `"*"`, and a history with scripts is checked whole.
    pub fn key(&self) -> &str {
        match self {
            Op::Get(k) | Op::Set(k, _) | Op::Del(k) => k,
            Op::Cmd(words) => words.get(1).map_or("*", String::as_str),
            Op::Script(_) | Op::Watch(..) | Op::Multi(..) => "*",
        }
    }
}

/// What the operation returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Ret {
    Value(Option<String>),
    Ok,
    Deleted(i64),
    /// A script's replies, one per step that replies (values, `nil`, `OK`,
    /// integers as text), up to where a guard stopped it.
    Script(Vec<String>),
    Error(String),
}

/// The logical keyspace: GET, SET and DEL on a map (spec §1).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct KvSpec {
    /// The strings.
    pub map: BTreeMap<String, String>,
    /// The collections (a key is in at most one of the two maps).
    pub colls: BTreeMap<String, Coll>,
    /// Each client's open WATCH: its keys, and whether one was written since.
    pub watches: BTreeMap<usize, (BTreeSet<String>, bool)>,
}

/// Traces print the collections only when there are any, so a history of
/// strings prints as it always has.
impl std::fmt::Debug for KvSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("KvSpec");
        d.field("map", &self.map);
        if !self.colls.is_empty() {
            d.field("colls", &self.colls);
        }
        if !self.watches.is_empty() {
            d.field("watches", &self.watches);
        }
        d.finish()
    }
}

impl KvSpec {
    pub fn with(initial: impl IntoIterator<Item = (String, String)>) -> Self {
        KvSpec {
            map: initial.into_iter().collect(),
            ..KvSpec::default()
        }
    }

    /// The spec as seen by one key's operations: that key's initial entry only.
    pub fn restricted_to(&self, key: &str) -> Self {
        KvSpec {
            map: self
                .map
                .get_key_value(key)
                .map(|(k, v)| (k.clone(), v.clone()))
                .into_iter()
                .collect(),
            colls: self
                .colls
                .get_key_value(key)
                .map(|(k, v)| (k.clone(), v.clone()))
                .into_iter()
                .collect(),
            watches: BTreeMap::new(),
        }
    }

    /// DEL of one key of any type: how many keys it removed.
    fn del(&mut self, k: &str) -> i64 {
        (self.map.remove(k).is_some() || self.colls.remove(k).is_some()) as i64
    }

    /// A collection command over the maps: Redis's semantics for the words
    /// of [`ops::COLLECTION_COMMANDS`], an emptied collection removed, WRONGTYPE
    /// for a key of another type.
    fn collection(&mut self, words: &[String]) -> Answer {
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        let Some((name, key)) = w.first().zip(w.get(1)) else {
            return Answer::Error("ERR wrong number of arguments".into());
        };
        let key = key.to_string();
        if self.map.contains_key(&key) {
            return Answer::Error(WRONGTYPE.into());
        }
        let int = |s: &str| s.parse::<i64>().ok();
        let name = name.to_ascii_lowercase();
        // A read of a missing key sees an empty collection of its kind.
        let kind_of = |name: &str| -> Coll {
            match name {
                "hset" | "hget" | "hgetall" => Coll::Hash(BTreeMap::new()),
                "sadd" | "smembers" => Coll::Set(BTreeSet::new()),
                "zadd" | "zrange" => Coll::ZSet(BTreeMap::new()),
                _ => Coll::List(VecDeque::new()),
            }
        };
        let mut value = self.colls.remove(&key).unwrap_or_else(|| kind_of(&name));
        if std::mem::discriminant(&value) != std::mem::discriminant(&kind_of(&name)) {
            self.colls.insert(key, value);
            return Answer::Error(WRONGTYPE.into());
        }
        let answer = match (name.as_str(), &mut value, &w[2..]) {
            ("rpush", Coll::List(l), items) if !items.is_empty() => {
                l.extend(items.iter().map(|s| s.to_string()));
                Answer::Int(l.len() as i64)
            }
            ("lpush", Coll::List(l), items) if !items.is_empty() => {
                for i in items {
                    l.push_front(i.to_string());
                }
                Answer::Int(l.len() as i64)
            }
            ("lpop", Coll::List(l), []) => l.pop_front().map_or(Answer::Nil, Answer::Bulk),
            ("rpop", Coll::List(l), []) => l.pop_back().map_or(Answer::Nil, Answer::Bulk),
            ("lrange", Coll::List(l), [a, b]) => match (int(a), int(b)) {
                (Some(a), Some(b)) => Answer::List(range(l.iter().cloned().collect(), a, b)),
                _ => Answer::Error("ERR value is not an integer or out of range".into()),
            },
            ("hset", Coll::Hash(h), [f, v]) => {
                Answer::Int(h.insert(f.to_string(), v.to_string()).is_none() as i64)
            }
            ("hget", Coll::Hash(h), [f]) => h.get(*f).cloned().map_or(Answer::Nil, Answer::Bulk),
            ("hgetall", Coll::Hash(h), []) => {
                Answer::List(h.iter().flat_map(|(f, v)| [f.clone(), v.clone()]).collect())
            }
            ("sadd", Coll::Set(s), members) if !members.is_empty() => {
                Answer::Int(members.iter().filter(|m| s.insert(m.to_string())).count() as i64)
            }
            ("smembers", Coll::Set(s), []) => Answer::List(s.iter().cloned().collect()),
            ("zadd", Coll::ZSet(z), [score, member]) => match int(score) {
                Some(score) => Answer::Int(z.insert(member.to_string(), score).is_none() as i64),
                None => Answer::Error("ERR value is not a valid float".into()),
            },
            ("zrange", Coll::ZSet(z), [a, b]) => match (int(a), int(b)) {
                (Some(a), Some(b)) => {
                    let mut by_score: Vec<(i64, String)> =
                        z.iter().map(|(m, s)| (*s, m.clone())).collect();
                    by_score.sort();
                    Answer::List(range(by_score.into_iter().map(|(_, m)| m).collect(), a, b))
                }
                _ => Answer::Error("ERR value is not an integer or out of range".into()),
            },
            _ => Answer::Error(format!("ERR the spec does not model {words:?}")),
        };
        let empty = match &value {
            Coll::List(l) => l.is_empty(),
            Coll::Hash(h) => h.is_empty(),
            Coll::Set(s) => s.is_empty(),
            Coll::ZSet(z) => z.is_empty(),
        };
        if !empty {
            self.colls.insert(key, value);
        }
        answer
    }
}

/// Redis's index range `a..=b` over `items` (negative: from the end).
fn range(items: Vec<String>, a: i64, b: i64) -> Vec<String> {
    let n = items.len() as i64;
    let a = if a < 0 { (n + a).max(0) } else { a };
    let b = if b < 0 { n + b } else { b.min(n - 1) };
    if a > b || a >= n {
        return vec![];
    }
    items[a as usize..=b as usize].to_vec()
}

impl Answer {
    /// As a plain operation's return.
    fn ret(self) -> Ret {
        match self {
            Answer::Nil => Ret::Value(None),
            Answer::Int(n) => Ret::Deleted(n),
            Answer::Bulk(s) => Ret::Value(Some(s)),
            Answer::List(items) => Ret::Script(items),
            Answer::Error(e) => Ret::Error(e),
        }
    }

    /// As a script step's reply text (`crate::model::history` renders the
    /// engine's replies the same way: an array as `[a b]`).
    fn text(self) -> Result<String, String> {
        match self {
            Answer::Nil => Ok("nil".into()),
            Answer::Int(n) => Ok(n.to_string()),
            Answer::Bulk(s) => Ok(s),
            Answer::List(items) => Ok(format!("[{}]", items.join(" "))),
            Answer::Error(e) => Err(e),
        }
    }
}

impl SequentialSpec for KvSpec {
    type Op = Op;
    type Ret = Ret;

    fn invoke(&mut self, op: &Op) -> Ret {
        if self.watches.is_empty() {
            return self.run(op);
        }
        // Which watched keys the operation writes: a SET always (Redis
        // counts a SET of the same value), anything else when it changes
        // the key's value.
        let before: Vec<(String, Option<String>, Option<Coll>)> = self
            .watched_keys()
            .into_iter()
            .map(|k| {
                let (v, c) = (self.map.get(&k).cloned(), self.colls.get(&k).cloned());
                (k, v, c)
            })
            .collect();
        let ret = self.run(op);
        let set = op.set_keys();
        for (k, v, c) in before {
            if set.contains(&k)
                || self.map.get(&k) != v.as_ref()
                || self.colls.get(&k) != c.as_ref()
            {
                for (keys, dirty) in self.watches.values_mut() {
                    *dirty |= keys.contains(&k);
                }
            }
        }
        ret
    }
}

impl Op {
    /// The keys the operation SETs (a write even when the value stays).
    fn set_keys(&self) -> Vec<String> {
        let steps = match self {
            Op::Set(k, _) => return vec![k.clone()],
            Op::Script(body) => ops::parse(body).unwrap_or_default(),
            Op::Multi(_, cmds) => cmds
                .iter()
                .filter_map(|w| ops::parse(&w.join(" ")).ok())
                .flatten()
                .collect(),
            _ => return vec![],
        };
        steps
            .into_iter()
            .filter_map(|s| match s {
                Step::Set(k, _) | Step::IncrBy(k, _) => Some(k),
                _ => None,
            })
            .collect()
    }
}

impl KvSpec {
    fn watched_keys(&self) -> BTreeSet<String> {
        self.watches
            .values()
            .flat_map(|(k, _)| k.iter().cloned())
            .collect()
    }

    fn run(&mut self, op: &Op) -> Ret {
        match op {
            Op::Get(k) if self.colls.contains_key(k) => Ret::Error(WRONGTYPE.into()),
            Op::Get(k) => Ret::Value(self.map.get(k).cloned()),
            Op::Set(k, v) => {
                self.colls.remove(k);
                self.map.insert(k.clone(), v.clone());
                Ret::Ok
            }
            Op::Del(k) => Ret::Deleted(self.del(k)),
            Op::Script(body) => match ops::parse(body) {
                Ok(steps) => self.run_script(&steps),
                Err(e) => Ret::Error(e),
            },
            Op::Cmd(words) => self.collection(words).ret(),
            Op::Watch(client, keys) => {
                // WATCH inside a watch adds keys; a written key stays written.
                let (watched, _) = self.watches.entry(*client).or_default();
                watched.extend(keys.iter().cloned());
                Ret::Ok
            }
            Op::Multi(client, cmds) => {
                if self.watches.remove(client).is_some_and(|(_, dirty)| dirty) {
                    return Ret::Value(None);
                }
                let mut out = Vec::new();
                for words in cmds {
                    out.push(self.queued(words).text().unwrap_or_else(|e| e));
                }
                Ret::Script(out)
            }
        }
    }

    /// One command queued in a MULTI: GET, SET, DEL or a collection
    /// command; an error is that command's reply, and the rest still run.
    fn queued(&mut self, words: &[String]) -> Answer {
        match words {
            [get, k] if get.eq_ignore_ascii_case("get") => {
                if self.colls.contains_key(k) {
                    Answer::Error(WRONGTYPE.into())
                } else {
                    self.map.get(k).cloned().map_or(Answer::Nil, Answer::Bulk)
                }
            }
            [set, k, v] if set.eq_ignore_ascii_case("set") => {
                self.colls.remove(k);
                self.map.insert(k.clone(), v.clone());
                Answer::Bulk("OK".into())
            }
            [del, k] if del.eq_ignore_ascii_case("del") => Answer::Int(self.del(k)),
            _ => self.collection(words),
        }
    }
}

impl KvSpec {
    /// A script as one step over the map, written from the step table in
    /// `crate::script::ops` and nothing else.
    fn run_script(&mut self, steps: &[Step]) -> Ret {
        let mut out = Vec::new();
        for step in steps {
            match step {
                // GET (and the guards, which GET) and INCRBY refuse a collection.
                Step::Get(k)
                | Step::IfNil(k)
                | Step::IfEq(k, _)
                | Step::IfAtLeast(k, _)
                | Step::IncrBy(k, _)
                    if self.colls.contains_key(k) =>
                {
                    return Ret::Error(WRONGTYPE.into())
                }
                Step::Get(k) => out.push(self.map.get(k).cloned().unwrap_or_else(|| "nil".into())),
                Step::Set(k, v) => {
                    self.colls.remove(k);
                    self.map.insert(k.clone(), v.clone());
                    out.push("OK".into());
                }
                Step::Del(k) => out.push(self.del(k).to_string()),
                Step::IncrBy(k, n) => {
                    let old = match self.map.get(k) {
                        None => 0,
                        Some(v) => match v.parse::<i64>() {
                            Ok(v) => v,
                            Err(_) => {
                                return Ret::Error(
                                    "ERR value is not an integer or out of range".into(),
                                )
                            }
                        },
                    };
                    let new = old + n;
                    self.map.insert(k.clone(), new.to_string());
                    out.push(new.to_string());
                }
                Step::IfNil(k) => {
                    if self.map.contains_key(k) {
                        break;
                    }
                }
                Step::IfEq(k, v) => {
                    if self.map.get(k) != Some(v) {
                        break;
                    }
                }
                Step::IfNone(prefix) => {
                    let any = |k: &String| k.starts_with(prefix.as_str());
                    if self.map.keys().any(any) || self.colls.keys().any(any) {
                        break;
                    }
                }
                Step::Cmd(words) => match self.collection(words).text() {
                    Ok(text) => out.push(text),
                    Err(e) => return Ret::Error(e),
                },
                Step::IfAtLeast(k, n) => {
                    let value = self.map.get(k).and_then(|v| v.parse::<i64>().ok());
                    if value.is_none_or(|v| v < *n) {
                        break;
                    }
                }
            }
        }
        Ret::Script(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(spec: &mut KvSpec, line: &str) -> Ret {
        spec.invoke(&Op::Cmd(
            line.split_whitespace().map(String::from).collect(),
        ))
    }

    fn items(words: &[&str]) -> Ret {
        Ret::Script(words.iter().map(|w| w.to_string()).collect())
    }

    #[test]
    fn collections_follow_redis_and_keep_one_type_per_key() {
        let mut s = KvSpec::default();
        assert_eq!(cmd(&mut s, "rpush l a b"), Ret::Deleted(2));
        assert_eq!(cmd(&mut s, "lpush l z"), Ret::Deleted(3));
        assert_eq!(cmd(&mut s, "lrange l 0 -1"), items(&["z", "a", "b"]));
        assert_eq!(cmd(&mut s, "lrange l -2 99"), items(&["a", "b"]));
        assert_eq!(cmd(&mut s, "lrange l 5 9"), items(&[]));
        assert_eq!(cmd(&mut s, "lpop l"), Ret::Value(Some("z".into())));
        assert_eq!(cmd(&mut s, "hset h f 1"), Ret::Deleted(1));
        assert_eq!(cmd(&mut s, "hset h f 2"), Ret::Deleted(0));
        assert_eq!(cmd(&mut s, "hgetall h"), items(&["f", "2"]));
        assert_eq!(cmd(&mut s, "hget h g"), Ret::Value(None));
        assert_eq!(cmd(&mut s, "sadd s b a b"), Ret::Deleted(2));
        assert_eq!(cmd(&mut s, "smembers s"), items(&["a", "b"]));
        assert_eq!(cmd(&mut s, "zadd z 2 x"), Ret::Deleted(1));
        assert_eq!(cmd(&mut s, "zadd z 1 y"), Ret::Deleted(1));
        assert_eq!(cmd(&mut s, "zrange z 0 -1"), items(&["y", "x"]));
        let wrong = Ret::Error(WRONGTYPE.into());
        assert_eq!(cmd(&mut s, "sadd l a"), wrong);
        assert_eq!(s.invoke(&Op::Get("l".into())), wrong);
        s.invoke(&Op::Set("k".into(), "v".into()));
        assert_eq!(cmd(&mut s, "rpush k a"), wrong);
        // An emptied list is gone; SET and DEL take any type.
        assert_eq!(cmd(&mut s, "rpop l"), Ret::Value(Some("b".into())));
        assert_eq!(cmd(&mut s, "rpop l"), Ret::Value(Some("a".into())));
        assert!(!s.colls.contains_key("l"));
        assert_eq!(s.invoke(&Op::Del("h".into())), Ret::Deleted(1));
        s.invoke(&Op::Set("s".into(), "v".into()));
        assert_eq!(s.invoke(&Op::Get("s".into())), Ret::Value(Some("v".into())));
    }

    #[test]
    fn exec_aborts_iff_a_watched_key_was_written_after_the_watch() {
        let mut s = KvSpec::default();
        let multi = |c: usize, line: &str| {
            Op::Multi(
                c,
                line.split(';')
                    .map(|w| w.split_whitespace().map(String::from).collect())
                    .collect(),
            )
        };
        let watch = |c: usize, k: &str| Op::Watch(c, vec![k.to_string()]);
        assert_eq!(s.invoke(&watch(0, "x")), Ret::Ok);
        assert_eq!(s.invoke(&watch(1, "x")), Ret::Ok);
        assert_eq!(s.invoke(&multi(0, "get x; set x a")), items(&["nil", "OK"]));
        // Client 1's watch saw x written by client 0's EXEC.
        assert_eq!(s.invoke(&multi(1, "set x b")), Ret::Value(None));
        assert_eq!(s.invoke(&Op::Get("x".into())), Ret::Value(Some("a".into())));
        // The watch ended with the EXEC: the next one runs.
        assert_eq!(s.invoke(&multi(1, "set x b")), items(&["OK"]));
        // A SET of the same value is a write; a read, or a write to another
        // key, is not; a pop of an empty list changes nothing.
        s.invoke(&watch(0, "x"));
        s.invoke(&Op::Get("x".into()));
        s.invoke(&Op::Set("y".into(), "1".into()));
        cmd(&mut s, "lpop x2");
        assert_eq!(s.invoke(&multi(0, "get x")), items(&["b"]));
        s.invoke(&watch(0, "x"));
        s.invoke(&Op::Set("x".into(), "b".into()));
        assert_eq!(s.invoke(&multi(0, "get x")), Ret::Value(None));
        // A command's error is its reply; the others still run.
        assert_eq!(
            s.invoke(&multi(0, "rpush x a; set z 1")),
            items(&[WRONGTYPE, "OK"])
        );
    }

    #[test]
    fn script_steps_write_collection_replies_as_text() {
        let mut s = KvSpec::default();
        let body = "rpush l a b; lrange l 0 -1; hgetall none; lpop none";
        assert_eq!(
            s.invoke(&Op::Script(body.into())),
            items(&["2", "[a b]", "[]", "nil"])
        );
    }
}
