//! The sequential specification the histories are checked against: a plain
//! map from keys to values, written independently of the keyspace code (no
//! encodings, no read chain, no MVCC) so that it can catch them being wrong.

use std::collections::BTreeMap;

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
}

impl Op {
    /// The one key the operation touches: why a history may be checked one key
    /// at a time (`crate::lincheck::check_kv`). A script may touch any key:
    /// `"*"`, and a history with scripts is checked whole.
    pub fn key(&self) -> &str {
        match self {
            Op::Get(k) | Op::Set(k, _) | Op::Del(k) => k,
            Op::Script(_) => "*",
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct KvSpec {
    pub map: BTreeMap<String, String>,
}

impl KvSpec {
    pub fn with(initial: impl IntoIterator<Item = (String, String)>) -> Self {
        KvSpec {
            map: initial.into_iter().collect(),
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
        }
    }
}

impl SequentialSpec for KvSpec {
    type Op = Op;
    type Ret = Ret;

    fn invoke(&mut self, op: &Op) -> Ret {
        match op {
            Op::Get(k) => Ret::Value(self.map.get(k).cloned()),
            Op::Set(k, v) => {
                self.map.insert(k.clone(), v.clone());
                Ret::Ok
            }
            Op::Del(k) => Ret::Deleted(self.map.remove(k).is_some() as i64),
            Op::Script(body) => match ops::parse(body) {
                Ok(steps) => self.run_script(&steps),
                Err(e) => Ret::Error(e),
            },
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
                Step::Get(k) => out.push(self.map.get(k).cloned().unwrap_or_else(|| "nil".into())),
                Step::Set(k, v) => {
                    self.map.insert(k.clone(), v.clone());
                    out.push("OK".into());
                }
                Step::Del(k) => out.push((self.map.remove(k).is_some() as i64).to_string()),
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
                    if self.map.keys().any(|k| k.starts_with(prefix.as_str())) {
                        break;
                    }
                }
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
