//! `model/*.toml`: one checker run per file — its setup, its mode, its bounds
//! and the verdict it must give.
//!
//! ```toml
//! description = "3 nodes, 2 clients, ordered network: the safe base"
//! expect = "pass"                       # or "violation: linearizable"
//! nodes = 3
//! clients = [["set x 1", "get x"], ["get x"]]
//! network = "ordered"                   # ordered | unordered | duplicating
//! lossy = false
//! max_crashes = 0                       # nodes down at once
//! total_crashes = 1                     # crashes over a run (default: no bound)
//! drop_ignored_messages = true          # a reduction (spec §6); off to test it
//! symmetry = false                      # a reduction (spec §6): rename interchangeable nodes
//! max_term = 2
//! election_timer = "without-leader"    # always | without-leader (a reduction)
//! candidates = [0, 1]                   # the nodes that start elections (a reduction)
//! term_candidates = [0, 1, 0, 1]        # term t's only candidate (a reduction)
//! strategy = "dfs"                      # dfs | bfs (bfs for shortest traces)
//! script_retries = 1                    # runs after a conflicted commit
//! witness = ["a script is retried after a conflict"]  # extra sometimes-properties
//! [modes]
//! read-fence = "off"                    # any gap of crate::modes::Modes
//! [[plant]]                             # legacy data in the initial state
//! key = "x"
//! form = "bare"                         # current | legacy-payload | bare
//! value = "old"
//! ttl = "past"                          # past | future (optional)
//! ```
//!
//! A client operation `eval <steps>` runs an op-list script
//! (`crate::script::ops`), e.g. `eval if x nil; set y 1 @0`. `watch K…`
//! watches keys and `multi <commands>` runs `get`, `set`, `del` and
//! collection commands, separated by `;`, as one MULTI … EXEC that carries
//! the client's watch, e.g. `multi get x; set x 1`. Every script a
//! config names is in the script cache from the start (as if loaded with
//! SCRIPT LOAD), so only the scripts' own writes reach the log.

use std::path::Path;

use bytes::Bytes;
use serde::Deserialize;

use super::spec::Op;
use crate::cmd::{self, Command, ParseCtx};
use crate::modes::Modes;
use crate::node::ElectionTimer;
use crate::script::ops::COLLECTION_COMMANDS;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkKind {
    /// Per-pair FIFO, no duplication (like TCP between two processes).
    #[default]
    Ordered,
    /// Any order, each message delivered at most once.
    Unordered,
    /// Any order, any message may be delivered again. Model clients are
    /// sessions, so the node applies a duplicated write at most once and
    /// starts no second fence for a duplicated read.
    Duplicating,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Depth-first: little memory; the default for exhaustive passes.
    #[default]
    Dfs,
    /// Breadth-first, single-threaded: the first violation found is a shortest
    /// one, and the same on every run (what counterexample snapshots need).
    Bfs,
    /// Too large to exhaust: for `fencekv simulate` only. `fencekv check`
    /// refuses it (an exhaustive run would not end) unless `--bfs` or
    /// `--dfs` forces one; an exhaustive run asked for it searches depth-first.
    Simulate,
}

/// The file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub description: String,
    pub expect: String,
    pub nodes: usize,
    pub clients: Vec<Vec<String>>,
    /// The node each client asks first (default: client i asks node i).
    #[serde(default)]
    pub client_nodes: Vec<usize>,
    #[serde(default)]
    pub network: NetworkKind,
    #[serde(default)]
    pub lossy: bool,
    #[serde(default)]
    pub max_crashes: usize,
    /// At most this many crashes over the whole run (default: no bound;
    /// `max_crashes` bounds only how many nodes are down at once).
    #[serde(default)]
    pub total_crashes: Option<usize>,
    /// Drop every message its recipient ignores for good (default on; see
    /// `crate::model::Model`). Off only to test the reduction.
    #[serde(default = "default_true")]
    pub drop_ignored_messages: bool,
    /// Keep one state per renaming of interchangeable nodes (default off;
    /// see `crate::model::Symmetry`): for exhaustive passes. Gap configs
    /// leave it off, so their traces keep one name per node throughout.
    #[serde(default)]
    pub symmetry: bool,
    #[serde(default = "default_max_term")]
    pub max_term: u64,
    /// Pre-vote rounds each node may start per term (default 1). A bound,
    /// like `max_term`: a pre-vote raises no term, so without it a node that
    /// is refused could retry forever.
    #[serde(default = "default_max_pre_votes")]
    pub max_pre_votes: u32,
    #[serde(default)]
    pub election_timer: ElectionTimer,
    /// The nodes that may start elections (default: all). A reduction: the
    /// others still vote, replicate and serve.
    #[serde(default)]
    pub candidates: Option<Vec<usize>>,
    /// The one node that may campaign for each term, term 1 first (default:
    /// none listed). A reduction, like `candidates`: a state in which another
    /// node campaigns for a listed term (a candidate or leader of it, or a
    /// pre-candidate for it) is out of bounds, so there are no split votes
    /// and no duelling candidates in those terms. Terms past the list are
    /// open to every candidate.
    #[serde(default)]
    pub term_candidates: Vec<usize>,
    #[serde(default)]
    pub strategy: Strategy,
    /// Followers forward requests to the leader, as the server does
    /// (default: they answer `Redirect` and the client follows it).
    #[serde(default)]
    pub forward: bool,
    /// Snapshot and compact the log every this many applied entries (default
    /// 0: never); a leader then sends InstallSnapshot to a lagging follower.
    #[serde(default)]
    pub compact_after: u64,
    #[serde(default)]
    pub modes: Modes,
    #[serde(default = "default_script_retries")]
    pub script_retries: u32,
    /// Sometimes-properties beyond the standard ones that this run must
    /// witness (their names are in `crate::model::props`).
    #[serde(default)]
    pub witness: Vec<String>,
    #[serde(default)]
    pub plant: Vec<Plant>,
    /// Explicit time (default none: any timer may fire at any moment).
    #[serde(default)]
    pub time: Option<Time>,
}

/// The model's time, in ms of local clock (spec §6, Time in the model).
/// Every node's clock starts at 0 and ticks one ms at a time, without end;
/// at every moment any two clocks differ by at most `drift` ms; a timer
/// fires only once its node's clock has reached its deadline (the minimum
/// of its range: firing later covers the rest); messages take any time.
/// States that differ only by a shift of every time are one state, which
/// keeps the state space finite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Time {
    /// The minimum election timeout (CheckQuorum's period too).
    pub election_timeout: u64,
    /// The leader's heartbeat interval; 0: no heartbeats (rounds start
    /// only for reads).
    #[serde(default)]
    pub heartbeat: u64,
    /// How far apart two clocks may be at any moment.
    pub drift: u64,
    /// The lease is `election_timeout − lease_margin` (lease mode). Safe
    /// from `2 · drift` up: a follower's clock may be `drift` behind the
    /// leader's when the round is sent and `drift` ahead when it votes.
    #[serde(default)]
    pub lease_margin: u64,
    /// A horizon: no clock runs past this many ms (default none: time is
    /// unbounded, and states that differ by a shift of every time are one).
    /// With a horizon clocks keep their absolute values, so a run that
    /// passes is exhaustive up to it — and says nothing beyond it.
    #[serde(default)]
    pub max: Option<u64>,
}

/// Which encoding a planted key uses (spec §3, RC-1 to RC-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlantForm {
    /// `!redis|str|<key>` in the current format (TTL inline).
    Current,
    /// `!redis|str|<key>` holding a bare payload (TTL in the index).
    LegacyPayload,
    /// The bare key (TTL in the index).
    Bare,
}

/// Far before or far after the model's clock, so expiry is deterministic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlantTtl {
    Past,
    Future,
}

/// One legacy key in the initial state.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plant {
    pub key: String,
    pub form: PlantForm,
    pub value: String,
    #[serde(default)]
    pub ttl: Option<PlantTtl>,
}

fn default_script_retries() -> u32 {
    1
}

fn default_true() -> bool {
    true
}

fn default_max_term() -> u64 {
    2
}

fn default_max_pre_votes() -> u32 {
    1
}

/// The expected verdict of a run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expect {
    /// Every `always` holds and every `sometimes` is witnessed.
    Pass,
    /// This property is violated (a counterexample exists).
    Violation(String),
}

/// The model's configuration (what stateright calls `cfg`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModelCfg {
    pub name: String,
    pub description: String,
    pub expect: Expect,
    pub nodes: usize,
    pub clients: Vec<Vec<(Op, Option<usize>)>>,
    pub client_nodes: Vec<usize>,
    pub network: NetworkKind,
    pub lossy: bool,
    pub max_crashes: usize,
    pub total_crashes: Option<usize>,
    pub drop_ignored_messages: bool,
    pub symmetry: bool,
    pub max_term: u64,
    pub max_pre_votes: u32,
    pub election_timer: ElectionTimer,
    pub candidates: Option<Vec<usize>>,
    pub term_candidates: Vec<usize>,
    pub strategy: Strategy,
    pub forward: bool,
    pub compact_after: u64,
    pub modes: Modes,
    pub script_retries: u32,
    pub witness: Vec<String>,
    pub plant: Vec<Plant>,
    pub time: Option<Time>,
}

/// `get K`, `set K V`, `del K`, a collection command or `eval STEPS`,
/// optionally followed by `@N`: send this
/// operation to node N (otherwise to the node the previous one ended at).
fn parse_op(client: usize, s: &str) -> Result<(Op, Option<usize>), String> {
    let mut w: Vec<&str> = s.split_whitespace().collect();
    let mut node = None;
    if let Some(last) = w.last() {
        if let Some(n) = last.strip_prefix('@') {
            node = Some(n.parse().map_err(|_| format!("bad node in {s:?}"))?);
            w.pop();
        }
    }
    if let Some(["eval", ..]) = w.get(..1) {
        return Ok((Op::Script(w[1..].join(" ")), node));
    }
    if let Some((&"watch", keys)) = w.split_first() {
        if keys.is_empty() {
            return Err(format!("bad operation {s:?}: `watch` takes keys"));
        }
        let keys = keys.iter().map(|k| k.to_string()).collect();
        return Ok((Op::Watch(client, keys), node));
    }
    if let Some((&"multi", _)) = w.split_first() {
        let body = w[1..].join(" ");
        let cmds = body
            .split(';')
            .map(|c| c.split_whitespace().collect::<Vec<_>>())
            .filter(|c| !c.is_empty())
            .map(|c| {
                let plain = c.first().is_some_and(|n| COLLECTION_COMMANDS.contains(n))
                    || spec_op(&c).is_ok();
                if !plain {
                    return Err(format!(
                        "bad operation {s:?}: a MULTI queues `get K`, `set K V`, `del K` \
                         or a collection command, not {:?}",
                        c.join(" ")
                    ));
                }
                Ok(c.iter().map(|x| x.to_string()).collect())
            })
            .collect::<Result<Vec<Vec<String>>, String>>()?;
        return Ok((Op::Multi(client, cmds), node));
    }
    if w.first().is_some_and(|n| COLLECTION_COMMANDS.contains(n)) {
        let args: Vec<Bytes> = w
            .iter()
            .map(|x| Bytes::copy_from_slice(x.as_bytes()))
            .collect();
        cmd::parse_request(&args, &ParseCtx::default())
            .map_err(|e| format!("bad operation {s:?}: {}", e.text(&args)))?;
        return Ok((Op::Cmd(w.iter().map(|x| x.to_string()).collect()), node));
    }
    let expected = "expected `get K`, `set K V`, `del K`, a collection command (`rpush K V`, \
                    `lrange K 0 -1`, …) or `eval STEPS`, then optionally `@node`";
    let op = spec_op(&w).map_err(|why| format!("bad operation {s:?}: {why}{expected}"))?;
    Ok((op, node))
}

/// The words of an operation as a command of the command table, parsed by
/// its row, and the operation of the sequential spec it is: the spec models
/// GET, SET without options and DEL of one key, exactly the commands the
/// model's clients send.
fn spec_op(words: &[&str]) -> Result<Op, String> {
    let args: Vec<Bytes> = words
        .iter()
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect();
    let parsed = cmd::parse_request(&args, &ParseCtx::default())
        .map_err(|e| format!("{}; ", e.text(&args)))?;
    let s = |b: &Bytes| String::from_utf8_lossy(b).into_owned();
    let (op, sent) = match &parsed.op {
        cmd::Op::Get { key } => (Op::Get(s(key)), Command::get(key.clone())),
        cmd::Op::Set { key, value, .. } => (
            Op::Set(s(key), s(value)),
            Command::set(key.clone(), value.clone()),
        ),
        cmd::Op::Del { keys } if keys.len() == 1 => {
            (Op::Del(s(&keys[0])), Command::del(keys.clone()))
        }
        _ => return Err(String::new()),
    };
    if parsed != sent {
        return Err(String::new());
    }
    Ok(op)
}

impl ModelCfg {
    /// The classes of nodes the symmetry reduction may rename among
    /// themselves: nodes that no client names (as the node its first
    /// operation goes to, or an operation's `@N`) and `term_candidates` does not list, grouped by
    /// whether they campaign — every other difference between nodes is a
    /// name in their state, which renaming carries along.
    pub fn interchangeable_nodes(&self) -> Vec<Vec<usize>> {
        let n = self.nodes;
        let mut named: Vec<usize> = self.term_candidates.clone();
        for (i, ops) in self.clients.iter().enumerate() {
            // The first node is asked only if the first operation names none.
            if ops.first().is_some_and(|(_, at)| at.is_none()) {
                named.push(self.client_nodes.get(i).copied().unwrap_or(i) % n);
            }
            named.extend(ops.iter().filter_map(|(_, at)| at.map(|at| at % n)));
        }
        let campaigns = |i: &usize| self.candidates.as_ref().is_none_or(|c| c.contains(i));
        let free = (0..n).filter(|i| !named.contains(i));
        let (campaigning, others): (Vec<usize>, Vec<usize>) = free.partition(campaigns);
        [campaigning, others]
            .into_iter()
            .filter(|class| class.len() > 1)
            .collect()
    }

    pub fn from_file(path: &Path) -> Result<ModelCfg, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Self::from_toml(&name, &text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn from_toml(name: &str, text: &str) -> Result<ModelCfg, String> {
        let f: ModelFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let expect = match f.expect.trim() {
            "pass" => Expect::Pass,
            other => match other.strip_prefix("violation:") {
                Some(p) => Expect::Violation(p.trim().to_string()),
                None => {
                    return Err(format!(
                        "expect must be \"pass\" or \"violation: <property>\", not {other:?}"
                    ))
                }
            },
        };
        if f.nodes == 0 {
            return Err("nodes must be at least 1".into());
        }
        let clients = f
            .clients
            .iter()
            .enumerate()
            .map(|(client, ops)| {
                ops.iter()
                    .map(|s| parse_op(client, s))
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (op, _) in clients.iter().flatten() {
            if let Op::Script(body) = op {
                crate::script::ops::parse(body)?;
            }
        }
        for &n in &f.term_candidates {
            let campaigns = f.candidates.as_ref().is_none_or(|c| c.contains(&n));
            if n >= f.nodes || !campaigns {
                return Err(format!(
                    "term_candidates: node {n} is not a node that may campaign"
                ));
            }
        }
        for w in &f.witness {
            if !super::props::WITNESSES.contains(&w.as_str()) {
                return Err(format!(
                    "unknown witness {w:?}: one of {:?}",
                    super::props::WITNESSES
                ));
            }
        }
        if f.modes.read_mode == crate::modes::ReadMode::Lease && f.time.is_none() {
            return Err("read-mode = \"lease\" needs `time`: a lease is kept by the clock".into());
        }
        if f.modes.read_mode == crate::modes::ReadMode::Follower && f.max_crashes > 0 {
            return Err(
                "read-mode = \"follower\" with crashes is not modelled: a restarted \
                        follower numbers its asks from 1 again, and an answer to the old \
                        process's ask could cover a newer read (the server loses such \
                        answers with the old process's connections)"
                    .into(),
            );
        }
        if let Some(t) = f.time {
            if f.max_crashes > 0 {
                return Err("`time` with crashes is not modelled: a restarted node's \
                            clock would start again from 0"
                    .into());
            }
            if t.election_timeout == 0 {
                return Err("`time`: election-timeout must be at least 1".into());
            }
            if t.lease_margin > t.election_timeout {
                return Err("`time`: lease-margin above election-timeout leaves no lease".into());
            }
        }
        Ok(ModelCfg {
            name: name.to_string(),
            description: f.description,
            expect,
            nodes: f.nodes,
            clients,
            client_nodes: f.client_nodes,
            network: f.network,
            lossy: f.lossy,
            max_crashes: f.max_crashes,
            total_crashes: f.total_crashes,
            drop_ignored_messages: f.drop_ignored_messages,
            symmetry: f.symmetry,
            max_term: f.max_term,
            max_pre_votes: f.max_pre_votes,
            election_timer: f.election_timer,
            candidates: f.candidates,
            term_candidates: f.term_candidates,
            strategy: f.strategy,
            forward: f.forward,
            compact_after: f.compact_after,
            modes: f.modes,
            script_retries: f.script_retries,
            witness: f.witness,
            plant: f.plant,
            time: f.time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_commands_of_the_table() {
        let op = |s: &str| parse_op(0, s);
        assert_eq!(
            op("set x 1 @2"),
            Ok((Op::Set("x".into(), "1".into()), Some(2)))
        );
        assert_eq!(op("GET x"), Ok((Op::Get("x".into()), None)));
        assert_eq!(op("del x"), Ok((Op::Del("x".into()), None)));
        assert_eq!(
            op("multi get x; rpush l a @1"),
            Ok((
                Op::Multi(
                    0,
                    vec![
                        vec!["get".into(), "x".into()],
                        vec!["rpush".into(), "l".into(), "a".into()]
                    ]
                ),
                Some(1)
            ))
        );
        assert_eq!(
            op("watch x y"),
            Ok((Op::Watch(0, vec!["x".into(), "y".into()]), None))
        );
        assert!(op("multi incr x").is_err_and(|e| e.contains("a MULTI queues")));
        assert!(op("watch").is_err());
        // The table's own errors, and commands the model's clients never send.
        let err = |s: &str| op(s).err().unwrap_or_default();
        assert!(err("get").contains("ERR wrong number of arguments for 'get' command"));
        assert!(err("nosuch x").contains("ERR unknown command 'nosuch'"));
        for unsupported in ["set x 1 NX", "getset x 1", "unlink x", "del x y", "incr x"] {
            assert!(
                err(unsupported).starts_with("bad operation"),
                "{unsupported}"
            );
        }
    }

    #[test]
    fn term_candidates_name_nodes_that_may_campaign() {
        let base = "description = \"d\"\nexpect = \"pass\"\nnodes = 3\n\
                    clients = []\ncandidates = [0, 1]\n";
        let with =
            |list: &str| ModelCfg::from_toml("t", &format!("{base}term_candidates = {list}\n"));
        assert_eq!(
            with("[0, 1, 0, 1]").map(|c| c.term_candidates),
            Ok(vec![0, 1, 0, 1])
        );
        for bad in ["[0, 2]", "[3]"] {
            let err = with(bad).err().unwrap_or_default();
            assert!(err.contains("term_candidates"), "{bad}: {err}");
        }
    }

    #[test]
    fn read_modes_refuse_what_the_model_does_not_cover() {
        let base = "description = \"d\"\nexpect = \"pass\"\nnodes = 3\n\
                    clients = [[\"get x @2\"]]\n";
        let with = |extra: &str, mode: &str| {
            ModelCfg::from_toml(
                "t",
                &format!("{base}{extra}[modes]\nread-mode = \"{mode}\"\n"),
            )
        };
        assert_eq!(with("", "follower").err(), None);
        let err = with("max_crashes = 1\n", "follower")
            .err()
            .unwrap_or_default();
        assert!(err.contains("follower") && err.contains("crashes"), "{err}");
        let err = with("", "lease").err().unwrap_or_default();
        assert!(err.contains("needs `time`"), "{err}");
    }

    #[test]
    fn an_unknown_mode_is_an_error_that_names_it_and_the_accepted_ones() {
        let base = "description = \"d\"\nexpect = \"pass\"\nnodes = 3\n\
                    clients = [[\"get x\"]]\n[modes]\nread-fence = \"off\"\n";
        assert_eq!(ModelCfg::from_toml("t", base).err(), None);
        let misspelt = format!("{base}apply-wiat = \"skip\"\n");
        let err = ModelCfg::from_toml("t", &misspelt)
            .err()
            .unwrap_or_default();
        assert!(err.contains("apply-wiat"), "{err}");
        assert!(err.contains("apply-wait"), "{err}");
    }
}
