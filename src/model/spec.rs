//! The sequential specification the histories are checked against: a plain
//! map from keys to values, written independently of the keyspace code (no
//! encodings, no read chain, no MVCC) so that it can catch them being wrong.

use std::collections::BTreeMap;

use stateright::semantics::SequentialSpec;

/// A client operation, as the history records it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Op {
    Get(String),
    Set(String, String),
    Del(String),
}

impl Op {
    /// The one key the operation touches: why a history may be checked one key
    /// at a time (`crate::lincheck::check_kv`).
    pub fn key(&self) -> &str {
        match self {
            Op::Get(k) | Op::Set(k, _) | Op::Del(k) => k,
        }
    }
}

/// What the operation returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Ret {
    Value(Option<String>),
    Ok,
    Deleted(i64),
}

/// The logical keyspace: GET, SET and DEL on a map (spec §Keyspace).
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
        }
    }
}
