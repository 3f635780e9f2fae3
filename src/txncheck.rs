//! Strict serializability of transactional histories recorded against a real
//! cluster: the list-append model of Elle (Kingsbury & Alvaro, "Elle:
//! Inferring Isolation Anomalies from Experimental Observations", VLDB 2020;
//! github.com/jepsen-io/elle).
//!
//! A transaction is a list of micro-operations, `append k v` and
//! `read k → [v …]`, on lists that only ever grow by appends. Each appended
//! value is unique per key, so a read names every write it saw and the order
//! they were applied in: the longest read of a key gives that key's version
//! order (all others must be prefixes of it), and each value maps back to the
//! one transaction that appended it. From that the checker infers
//!
//! - anomalies of single reads: *garbage* (a value nobody appended), a
//!   *duplicate* inside one read, *G1a* (a value appended by a transaction
//!   that failed for sure), *G1b* (a read that ends in a value its writer later
//!   appended past, an intermediate state), *internal* inconsistency (a read
//!   that does not reflect the same transaction's earlier appends and reads),
//!   and an *incompatible order* (two reads of a key, neither a prefix of the
//!   other);
//! - a dependency graph: `ww` (the next version of a key was appended by the
//!   other transaction), `wr` (a read ends in the other's append), `rw` (the
//!   other appended the version right after the one read), and real-time
//!   edges (one completed before the other was invoked). A cycle is an
//!   anomaly, classified by its edges as Adya's G0 (`ww` only), G1c (`ww` and
//!   `wr`), G-single (exactly one `rw`), G2-item (two or more), each with a
//!   `-realtime` variant when it closes only through a real-time edge (a
//!   violation of strict serializability but not of serializability).
//!
//! A transaction whose outcome the client never learned (`Info`) may have
//! committed, at any time after its invocation: it joins the graph only if
//! one of its appends was read, and it has no real-time successors (it never
//! completed). A transaction that failed for sure is in no edge; reading its
//! effects is G1a.
//!
//! Cycles are found per strongly connected component (Tarjan); inside one,
//! for each class, a breadth-first search over (transaction, edges used so
//! far) from a few starting transactions gives the shortest cycle of that
//! class through each, and the shortest of those is reported. Real-time
//! edges are transitively reduced as Elle does: a transaction is linked only
//! to the completed transactions of the *frontier* at its invocation (those
//! that precede no other completed transaction yet), which keeps the graph
//! near-linear in the history while its transitive closure is exactly the
//! real-time order.
//!
//! Everything here is deterministic: the same history gives the same report.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::{self, Write as _};

/// A key of the list-append workload.
pub type Key = String;
/// An appended value: unique per key across the history.
pub type Value = u64;
/// A transaction's index in the history.
pub type TxnId = usize;

/// A micro-operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mop {
    Append(Key, Value),
    /// The list read, or `None` when the client never learned it (a failed
    /// or unknown-outcome transaction).
    Read(Key, Option<Vec<Value>>),
}

impl Mop {
    pub fn key(&self) -> &str {
        match self {
            Mop::Append(k, _) | Mop::Read(k, _) => k,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Committed, and every read's result is known.
    Ok,
    /// Did not commit, for sure (a clear rejection): none of its appends
    /// took effect.
    Fail,
    /// Unknown (a timeout, a lost connection, leadership lost after the
    /// proposal): it may have committed, at any time after its invocation.
    Info,
}

/// One transaction of a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Txn {
    pub process: u64,
    /// When it was invoked, on a clock that is monotone across clients.
    pub invoke: u64,
    /// When its result arrived (required for `Ok`; ignored for `Info`).
    pub complete: Option<u64>,
    pub outcome: Outcome,
    pub mops: Vec<Mop>,
}

/// A history the checker cannot judge: its assumptions do not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// An ok transaction without a completion time, or completing before it
    /// was invoked.
    Clock { txn: TxnId },
    /// An ok transaction with a read whose result is unknown.
    UnknownRead { txn: TxnId, key: Key },
    /// The same value appended to a key twice.
    DuplicateAppend {
        key: Key,
        value: Value,
        txns: [TxnId; 2],
    },
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::Clock { txn } => {
                write!(f, "T{txn} is ok but completes before it is invoked")
            }
            Malformed::UnknownRead { txn, key } => {
                write!(f, "T{txn} is ok but its read of {key} has no result")
            }
            Malformed::DuplicateAppend { key, value, txns } => write!(
                f,
                "{value} is appended to {key} twice (T{} and T{}): values must be unique per key",
                txns[0], txns[1]
            ),
        }
    }
}

impl std::error::Error for Malformed {}

/// What a dependency edge is, and the observation behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// `next`, appended by the edge's target, directly follows `prev`,
    /// appended by its source, in `key`'s version order.
    Ww { key: Key, prev: Value, next: Value },
    /// The target read `key` ending in `value`, which the source appended.
    Wr { key: Key, value: Value },
    /// The source read `key` ending in `last` (`None`: empty), and `next`,
    /// the target's append, is the following version.
    Rw {
        key: Key,
        last: Option<Value>,
        next: Value,
    },
    /// The source completed at `completed`, before the target was invoked at
    /// `invoked`.
    Realtime { completed: u64, invoked: u64 },
}

/// The kinds of dependency edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dep {
    Ww,
    Wr,
    Rw,
    Realtime,
}

impl Why {
    pub fn dep(&self) -> Dep {
        match self {
            Why::Ww { .. } => Dep::Ww,
            Why::Wr { .. } => Dep::Wr,
            Why::Rw { .. } => Dep::Rw,
            Why::Realtime { .. } => Dep::Realtime,
        }
    }
}

impl fmt::Display for Dep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dep::Ww => "ww",
            Dep::Wr => "wr",
            Dep::Rw => "rw",
            Dep::Realtime => "rt",
        })
    }
}

/// One edge of a cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub from: TxnId,
    pub to: TxnId,
    pub why: Why,
}

/// Adya's cycle classes, and their real-time variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CycleClass {
    /// Write cycle: `ww` edges only.
    G0,
    /// Circular information flow: `ww` and `wr`, at least one `wr`.
    G1c,
    /// Read skew: exactly one `rw`.
    GSingle,
    /// Write skew and friends: two or more `rw`.
    G2Item,
    G0Realtime,
    G1cRealtime,
    GSingleRealtime,
    G2ItemRealtime,
}

impl CycleClass {
    const SERIALIZABILITY: [CycleClass; 4] = [
        CycleClass::G0,
        CycleClass::G1c,
        CycleClass::GSingle,
        CycleClass::G2Item,
    ];
    const REALTIME: [CycleClass; 4] = [
        CycleClass::G0Realtime,
        CycleClass::G1cRealtime,
        CycleClass::GSingleRealtime,
        CycleClass::G2ItemRealtime,
    ];

    /// The class of a cycle with these edges.
    fn of(flags: Flags) -> CycleClass {
        use CycleClass::*;
        match (flags.rw, flags.wr, flags.rt) {
            (0, false, false) => G0,
            (0, true, false) => G1c,
            (1, _, false) => GSingle,
            (_, _, false) => G2Item,
            (0, false, true) => G0Realtime,
            (0, true, true) => G1cRealtime,
            (1, _, true) => GSingleRealtime,
            (_, _, true) => G2ItemRealtime,
        }
    }

    pub fn realtime(self) -> bool {
        Self::REALTIME.contains(&self)
    }

    /// Whether a search for this class may take an edge of `dep` with
    /// `flags` so far (prunes paths that can no longer end in the class).
    fn allows(self, dep: Dep, flags: Flags) -> bool {
        use CycleClass::*;
        match dep {
            Dep::Ww => true,
            Dep::Wr => !matches!(self, G0 | G0Realtime),
            Dep::Rw => match self {
                G0 | G1c | G0Realtime | G1cRealtime => false,
                GSingle | GSingleRealtime => flags.rw == 0,
                G2Item | G2ItemRealtime => true,
            },
            Dep::Realtime => self.realtime(),
        }
    }

    /// The edge kinds every cycle of this class contains: the search starts
    /// from sources of the kind with the fewest edges.
    fn required(self) -> &'static [Dep] {
        use CycleClass::*;
        match self {
            G0 => &[Dep::Ww],
            G1c => &[Dep::Wr],
            GSingle | G2Item => &[Dep::Rw],
            G0Realtime => &[Dep::Realtime, Dep::Ww],
            G1cRealtime => &[Dep::Realtime, Dep::Wr],
            GSingleRealtime | G2ItemRealtime => &[Dep::Realtime, Dep::Rw],
        }
    }

    pub fn name(self) -> &'static str {
        use CycleClass::*;
        match self {
            G0 => "G0",
            G1c => "G1c",
            GSingle => "G-single",
            G2Item => "G2-item",
            G0Realtime => "G0-realtime",
            G1cRealtime => "G1c-realtime",
            GSingleRealtime => "G-single-realtime",
            G2ItemRealtime => "G2-item-realtime",
        }
    }
}

impl fmt::Display for CycleClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a read should have shown, by its own transaction's earlier
/// micro-operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    /// An earlier read plus the appends since.
    Exactly(Vec<Value>),
    /// No earlier read: it must end with the appends so far.
    EndsWith(Vec<Value>),
}

/// One anomaly, with the evidence for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Anomaly {
    /// `txn` read `value` in `key`, which no transaction appended.
    Garbage { txn: TxnId, key: Key, value: Value },
    /// `txn` read `value` twice in one read of `key`.
    Duplicate { txn: TxnId, key: Key, value: Value },
    /// `reader` read `value`, appended by `writer`, which failed.
    G1a {
        reader: TxnId,
        writer: TxnId,
        key: Key,
        value: Value,
    },
    /// `reader`'s read of `key` ends in `value`, but `writer` appended
    /// `last` to `key` after it: an intermediate state.
    G1b {
        reader: TxnId,
        writer: TxnId,
        key: Key,
        value: Value,
        last: Value,
    },
    /// `txn`'s read of `key` does not reflect its own earlier operations.
    Internal {
        txn: TxnId,
        key: Key,
        expected: Expected,
        read: Vec<Value>,
    },
    /// Two reads of `key` of which neither is a prefix of the other: no
    /// version order explains both.
    Incompatible {
        key: Key,
        a: (TxnId, Vec<Value>),
        b: (TxnId, Vec<Value>),
    },
    /// A dependency cycle: `steps[i].to == steps[i + 1].from`, and the last
    /// step returns to the first's source.
    Cycle { class: CycleClass, steps: Vec<Step> },
}

impl Anomaly {
    pub fn name(&self) -> &'static str {
        match self {
            Anomaly::Garbage { .. } => "garbage",
            Anomaly::Duplicate { .. } => "duplicate",
            Anomaly::G1a { .. } => "G1a",
            Anomaly::G1b { .. } => "G1b",
            Anomaly::Internal { .. } => "internal",
            Anomaly::Incompatible { .. } => "incompatible-order",
            Anomaly::Cycle { class, .. } => class.name(),
        }
    }
}

fn list(vs: &[Value]) -> String {
    let inner: Vec<String> = vs.iter().map(|v| v.to_string()).collect();
    format!("[{}]", inner.join(" "))
}

/// A list as [`list`], with the middle of a long one elided: long reads
/// are the norm in list-append histories, and their ends are what matter.
fn short_list(vs: &[Value]) -> String {
    const HEAD: usize = 2;
    const TAIL: usize = 4;
    if vs.len() <= HEAD + TAIL + 1 {
        return list(vs);
    }
    let head: Vec<String> = vs[..HEAD].iter().map(|v| v.to_string()).collect();
    let tail: Vec<String> = vs[vs.len() - TAIL..]
        .iter()
        .map(|v| v.to_string())
        .collect();
    format!(
        "[{} …{} more… {}] ({} values)",
        head.join(" "),
        vs.len() - HEAD - TAIL,
        tail.join(" "),
        vs.len()
    )
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b) = (self.from, self.to);
        write!(f, "T{a} -{}-> T{b}: ", self.why.dep())?;
        match &self.why {
            Why::Ww { key, prev, next } => write!(
                f,
                "T{a} appended {prev} to {key}, and T{b} appended the next version, {next}"
            ),
            Why::Wr { key, value } => {
                write!(f, "T{b}'s read of {key} ends in {value}, appended by T{a}")
            }
            Why::Rw { key, last, next } => {
                match last {
                    Some(v) => write!(f, "T{a} read {key} up to {v}")?,
                    None => write!(f, "T{a} read {key} empty")?,
                }
                write!(f, ", and T{b} appended the next version, {next}")
            }
            Why::Realtime { completed, invoked } => write!(
                f,
                "T{a} completed at {completed}, before T{b} was invoked at {invoked}"
            ),
        }
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anomaly::Garbage { txn, key, value } => {
                write!(f, "garbage: T{txn} read {value} in {key}, which nobody appended")
            }
            Anomaly::Duplicate { txn, key, value } => {
                write!(f, "duplicate: T{txn} read {value} twice in one read of {key}")
            }
            Anomaly::G1a {
                reader,
                writer,
                key,
                value,
            } => write!(
                f,
                "G1a (aborted read): T{reader} read {value} in {key}, appended by T{writer}, which failed"
            ),
            Anomaly::G1b {
                reader,
                writer,
                key,
                value,
                last,
            } => write!(
                f,
                "G1b (intermediate read): T{reader}'s read of {key} ends in {value}, but its writer \
                 T{writer} appended {last} to {key} after it"
            ),
            Anomaly::Internal {
                txn,
                key,
                expected,
                read,
            } => {
                let want = match expected {
                    Expected::Exactly(vs) => short_list(vs),
                    Expected::EndsWith(vs) => format!("a list ending in {}", short_list(vs)),
                };
                write!(
                    f,
                    "internal: T{txn} read {key} = {}, but its own earlier operations give {want}",
                    short_list(read)
                )
            }
            Anomaly::Incompatible { key, a, b } => {
                let at = a.1.iter().zip(&b.1).take_while(|(x, y)| x == y).count();
                let nth = |vs: &[Value]| vs.get(at).map_or("nothing".into(), |v| v.to_string());
                write!(
                    f,
                    "incompatible-order: T{} read {key} = {} and T{} read {}; at position {at} \
                     one has {} and the other {}",
                    a.0,
                    short_list(&a.1),
                    b.0,
                    short_list(&b.1),
                    nth(&a.1),
                    nth(&b.1)
                )
            }
            Anomaly::Cycle { class, steps } => {
                write!(f, "{class}: a cycle of {} transactions", steps.len())?;
                for s in steps {
                    write!(f, "\n  {s}")?;
                }
                Ok(())
            }
        }
    }
}

/// The checker's verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub anomalies: Vec<Anomaly>,
    pub txns: usize,
    pub ok: usize,
    pub failed: usize,
    pub info: usize,
    /// Transactions in the dependency graph, and its edges.
    pub nodes: usize,
    pub edges: usize,
}

impl Report {
    /// No anomaly: the history is strictly serializable (as far as reads can
    /// tell).
    pub fn is_valid(&self) -> bool {
        self.anomalies.is_empty()
    }

    /// The anomalies' names, each once.
    pub fn names(&self) -> BTreeSet<&'static str> {
        self.anomalies.iter().map(Anomaly::name).collect()
    }

    /// The cycles found, each with its class.
    pub fn cycles(&self) -> impl Iterator<Item = (CycleClass, &[Step])> {
        self.anomalies.iter().filter_map(|a| match a {
            Anomaly::Cycle { class, steps } => Some((*class, steps.as_slice())),
            _ => None,
        })
    }

    /// The report with each involved transaction spelled out (at most
    /// `limit` anomalies).
    pub fn render(&self, history: &[Txn], limit: usize) -> String {
        let mut out = self.to_string();
        let mut shown = BTreeSet::new();
        for a in self.anomalies.iter().take(limit) {
            let ids: Vec<TxnId> = match a {
                Anomaly::Garbage { txn, .. }
                | Anomaly::Duplicate { txn, .. }
                | Anomaly::Internal { txn, .. } => vec![*txn],
                Anomaly::G1a { reader, writer, .. } | Anomaly::G1b { reader, writer, .. } => {
                    vec![*reader, *writer]
                }
                Anomaly::Incompatible { a, b, .. } => vec![a.0, b.0],
                Anomaly::Cycle { steps, .. } => steps.iter().map(|s| s.from).collect(),
            };
            shown.extend(ids);
        }
        if !shown.is_empty() {
            out.push_str("\ntransactions involved:");
        }
        for id in shown {
            if let Some(t) = history.get(id) {
                let _ = write!(out, "\n  T{id} {}", describe(t));
            }
        }
        if self.anomalies.len() > limit {
            let _ = write!(
                out,
                "\n(and {} more anomalies)",
                self.anomalies.len() - limit
            );
        }
        out
    }
}

/// `process 2, ok, 120..180: a x 5, r y [1 2]`.
pub fn describe(t: &Txn) -> String {
    let outcome = match t.outcome {
        Outcome::Ok => "ok",
        Outcome::Fail => "failed",
        Outcome::Info => "unknown",
    };
    let done = t
        .complete
        .map(|c| c.to_string())
        .unwrap_or_else(|| "?".into());
    let mops: Vec<String> = t
        .mops
        .iter()
        .map(|m| match m {
            Mop::Append(k, v) => format!("a {k} {v}"),
            Mop::Read(k, Some(vs)) => format!("r {k} {}", short_list(vs)),
            Mop::Read(k, None) => format!("r {k} ?"),
        })
        .collect();
    format!(
        "(process {}, {outcome}, {}..{done}): {}",
        t.process,
        t.invoke,
        mops.join(", ")
    )
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} transactions ({} ok, {} failed, {} unknown); graph of {} transactions and {} edges; ",
            self.txns, self.ok, self.failed, self.info, self.nodes, self.edges
        )?;
        if self.anomalies.is_empty() {
            return f.write_str("no anomalies");
        }
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for a in &self.anomalies {
            *counts.entry(a.name()).or_default() += 1;
        }
        let counts: Vec<String> = counts.iter().map(|(n, c)| format!("{n} ×{c}")).collect();
        write!(
            f,
            "{} anomalies: {}",
            self.anomalies.len(),
            counts.join(", ")
        )?;
        for a in &self.anomalies {
            write!(f, "\n{a}")?;
        }
        Ok(())
    }
}

/// Searches per strongly connected component and class: BFS from at most
/// this many starting transactions (the shortest cycle found is reported).
/// Bounds the cost on a large component; a class missed because of it still
/// leaves the component reported under another class.
const MAX_STARTS: usize = 16;

/// Checks a list-append history.
pub fn check(history: &[Txn]) -> Result<Report, Malformed> {
    validate(history)?;
    let mut report = Report {
        txns: history.len(),
        ..Report::default()
    };
    for t in history {
        match t.outcome {
            Outcome::Ok => report.ok += 1,
            Outcome::Fail => report.failed += 1,
            Outcome::Info => report.info += 1,
        }
    }
    let writers = writers(history)?;
    let mut anomalies = Vec::new();
    internal(history, &mut anomalies);
    let reads = ok_reads(history);
    let by_key = reads_by_key(&reads);
    let observed = single_reads(history, &writers, &by_key, &mut anomalies);
    let in_graph: Vec<bool> = history
        .iter()
        .enumerate()
        .map(|(i, t)| match t.outcome {
            Outcome::Ok => true,
            Outcome::Info => observed.contains(&i),
            Outcome::Fail => false,
        })
        .collect();
    let orders = version_orders(&by_key, &mut anomalies);
    let mut graph = Graph::new(history.len());
    data_edges(&writers, &reads, &orders, &in_graph, &mut graph);
    realtime_edges(history, &in_graph, &mut graph);
    report.nodes = in_graph.iter().filter(|&&b| b).count();
    report.edges = graph.edges.len();
    cycles(&graph, &mut anomalies);
    report.anomalies = anomalies;
    Ok(report)
}

fn validate(history: &[Txn]) -> Result<(), Malformed> {
    for (i, t) in history.iter().enumerate() {
        if t.outcome != Outcome::Ok {
            continue;
        }
        if t.complete.is_none_or(|c| c < t.invoke) {
            return Err(Malformed::Clock { txn: i });
        }
        for m in &t.mops {
            if let Mop::Read(k, None) = m {
                return Err(Malformed::UnknownRead {
                    txn: i,
                    key: k.clone(),
                });
            }
        }
    }
    Ok(())
}

/// (key, value) → the transaction that appended it.
type Writers<'h> = HashMap<(&'h str, Value), TxnId>;

fn writers(history: &[Txn]) -> Result<Writers<'_>, Malformed> {
    let mut w: Writers<'_> = HashMap::new();
    for (i, t) in history.iter().enumerate() {
        for m in &t.mops {
            if let Mop::Append(k, v) = m {
                if let Some(&j) = w.get(&(k.as_str(), *v)) {
                    return Err(Malformed::DuplicateAppend {
                        key: k.clone(),
                        value: *v,
                        txns: [j, i],
                    });
                }
                w.insert((k.as_str(), *v), i);
            }
        }
    }
    Ok(w)
}

/// One read of an ok transaction: whose, which micro-op, and whether it is
/// *external* (no append of its own to the key came before it).
struct Read<'h> {
    txn: TxnId,
    key: &'h str,
    values: &'h [Value],
    external: bool,
}

fn ok_reads(history: &[Txn]) -> Vec<Read<'_>> {
    let mut reads = Vec::new();
    for (i, t) in history.iter().enumerate() {
        if t.outcome != Outcome::Ok {
            continue;
        }
        let mut wrote: HashSet<&str> = HashSet::new();
        for m in &t.mops {
            match m {
                Mop::Append(k, _) => {
                    wrote.insert(k);
                }
                Mop::Read(k, Some(vs)) => reads.push(Read {
                    txn: i,
                    key: k,
                    values: vs,
                    external: !wrote.contains(k.as_str()),
                }),
                Mop::Read(_, None) => {}
            }
        }
    }
    reads
}

/// Internal consistency: each read of an ok transaction against its own
/// earlier reads and appends of the same key.
fn internal(history: &[Txn], out: &mut Vec<Anomaly>) {
    for (i, t) in history.iter().enumerate() {
        if t.outcome != Outcome::Ok {
            continue;
        }
        // Per key: the last read (if any) and the appends since.
        let mut state: BTreeMap<&str, (Option<&[Value]>, Vec<Value>)> = BTreeMap::new();
        for m in &t.mops {
            match m {
                Mop::Append(k, v) => state.entry(k).or_default().1.push(*v),
                Mop::Read(k, Some(vs)) => {
                    let (last, since) = state.entry(k).or_default();
                    let expected = match *last {
                        Some(prev) => {
                            let same = vs.len() == prev.len() + since.len()
                                && vs.starts_with(prev)
                                && vs.ends_with(since);
                            (!same).then(|| Expected::Exactly([prev, since.as_slice()].concat()))
                        }
                        None => (!vs.ends_with(since)).then(|| Expected::EndsWith(since.clone())),
                    };
                    if let Some(expected) = expected {
                        out.push(Anomaly::Internal {
                            txn: i,
                            key: k.clone(),
                            expected,
                            read: vs.clone(),
                        });
                    }
                    *last = Some(vs);
                    since.clear();
                }
                Mop::Read(_, None) => {}
            }
        }
    }
}

/// Each key's reads, longest first (ties by transaction).
fn reads_by_key<'r, 'h>(reads: &'r [Read<'h>]) -> BTreeMap<&'h str, Vec<&'r Read<'h>>> {
    let mut by_key: BTreeMap<&str, Vec<&Read<'_>>> = BTreeMap::new();
    for r in reads {
        by_key.entry(r.key).or_default().push(r);
    }
    for rs in by_key.values_mut() {
        rs.sort_by_key(|r| (std::cmp::Reverse(r.values.len()), r.txn));
    }
    by_key
}

/// Garbage, duplicates, G1a and G1b. Returns the transactions whose appends
/// were read by an ok transaction.
fn single_reads(
    history: &[Txn],
    writers: &Writers<'_>,
    by_key: &BTreeMap<&str, Vec<&Read<'_>>>,
    out: &mut Vec<Anomaly>,
) -> HashSet<TxnId> {
    let mut observed = HashSet::new();
    // G1a once per (reader, writer, key): one failed transaction read often
    // is one finding.
    let mut g1a_seen = HashSet::new();
    for rs in by_key.values() {
        let longest = rs[0].values;
        // Values are scanned in the longest read and in the reads that are
        // not a prefix of it: a prefix holds nothing new (and scanning every
        // read is quadratic in a long history).
        for (i, r) in rs.iter().enumerate() {
            if i > 0 && longest.starts_with(r.values) {
                continue;
            }
            let mut seen = HashSet::new();
            for &v in r.values {
                if !seen.insert(v) {
                    out.push(Anomaly::Duplicate {
                        txn: r.txn,
                        key: r.key.to_owned(),
                        value: v,
                    });
                }
                match writers.get(&(r.key, v)) {
                    None => out.push(Anomaly::Garbage {
                        txn: r.txn,
                        key: r.key.to_owned(),
                        value: v,
                    }),
                    Some(&w) => {
                        observed.insert(w);
                        if history[w].outcome == Outcome::Fail && g1a_seen.insert((r.txn, w, r.key))
                        {
                            out.push(Anomaly::G1a {
                                reader: r.txn,
                                writer: w,
                                key: r.key.to_owned(),
                                value: v,
                            });
                        }
                    }
                }
            }
        }
        // G1b: a read that ends inside another transaction's appends to the
        // key.
        for r in rs {
            let Some(&v) = r.values.last() else { continue };
            let Some(&w) = writers.get(&(r.key, v)) else {
                continue;
            };
            if w == r.txn {
                continue;
            }
            let last = history[w].mops.iter().rev().find_map(|m| match m {
                Mop::Append(k, x) if k == r.key => Some(*x),
                _ => None,
            });
            if let Some(last) = last.filter(|&l| l != v) {
                out.push(Anomaly::G1b {
                    reader: r.txn,
                    writer: w,
                    key: r.key.to_owned(),
                    value: v,
                    last,
                });
            }
        }
    }
    observed
}

/// Each key's version order: its longest read, when every read of the key
/// is a prefix of it; keys with incompatible reads get none (and an
/// anomaly per read that disagrees).
fn version_orders<'h>(
    by_key: &BTreeMap<&'h str, Vec<&Read<'h>>>,
    out: &mut Vec<Anomaly>,
) -> BTreeMap<&'h str, &'h [Value]> {
    let mut orders = BTreeMap::new();
    for (&key, rs) in by_key {
        let longest = rs[0];
        let mut ok = true;
        for r in &rs[1..] {
            if !longest.values.starts_with(r.values) {
                ok = false;
                out.push(Anomaly::Incompatible {
                    key: key.to_owned(),
                    a: (longest.txn, longest.values.to_vec()),
                    b: (r.txn, r.values.to_vec()),
                });
            }
        }
        if ok {
            orders.insert(key, longest.values);
        }
    }
    orders
}

/// The dependency graph: edges deduplicated per (from, to, kind), the first
/// justification kept.
struct Graph {
    edges: Vec<Step>,
    /// Per transaction: indices into `edges` of its outgoing edges.
    out: Vec<Vec<usize>>,
    seen: HashSet<(TxnId, TxnId, Dep)>,
}

impl Graph {
    fn new(n: usize) -> Graph {
        Graph {
            edges: Vec::new(),
            out: vec![Vec::new(); n],
            seen: HashSet::new(),
        }
    }

    fn add(&mut self, from: TxnId, to: TxnId, why: Why) {
        if from == to || !self.seen.insert((from, to, why.dep())) {
            return;
        }
        self.out[from].push(self.edges.len());
        self.edges.push(Step { from, to, why });
    }
}

fn data_edges(
    writers: &Writers<'_>,
    reads: &[Read<'_>],
    orders: &BTreeMap<&str, &[Value]>,
    in_graph: &[bool],
    g: &mut Graph,
) {
    let node = |key: &str, v: Value| writers.get(&(key, v)).copied().filter(|&w| in_graph[w]);
    // ww: consecutive versions by graph transactions (a garbage or failed
    // version in between is skipped: what follows it still follows).
    for (&key, order) in orders {
        let mut prev: Option<(TxnId, Value)> = None;
        for &v in order.iter() {
            let Some(w) = node(key, v) else { continue };
            if let Some((p, pv)) = prev {
                if p != w {
                    g.add(
                        p,
                        w,
                        Why::Ww {
                            key: key.to_owned(),
                            prev: pv,
                            next: v,
                        },
                    );
                }
            }
            prev = Some((w, v));
        }
    }
    for r in reads.iter().filter(|r| r.external) {
        // wr: the read's last value was appended by another transaction.
        if let Some(&v) = r.values.last() {
            if let Some(w) = node(r.key, v) {
                g.add(
                    w,
                    r.txn,
                    Why::Wr {
                        key: r.key.to_owned(),
                        value: v,
                    },
                );
            }
        }
        // rw: the first graph version after the read's state.
        let Some(order) = orders.get(r.key) else {
            continue;
        };
        let next = order[r.values.len().min(order.len())..]
            .iter()
            .find_map(|&v| node(r.key, v).map(|w| (w, v)));
        if let Some((w, v)) = next.filter(|&(w, _)| w != r.txn) {
            g.add(
                r.txn,
                w,
                Why::Rw {
                    key: r.key.to_owned(),
                    last: r.values.last().copied(),
                    next: v,
                },
            );
        }
    }
}

/// Real-time edges, transitively reduced with a frontier (see the module
/// doc): at each invocation, an edge from every transaction of the frontier;
/// at each completion, the completed transaction replaces those of the
/// frontier it succeeds (the frontier at its own invocation).
fn realtime_edges(history: &[Txn], in_graph: &[bool], g: &mut Graph) {
    // (time, 0 = invoke / 1 = complete, txn): at equal times invocations go
    // first, as real-time order is strict.
    let mut events: Vec<(u64, u8, TxnId)> = Vec::new();
    for (i, t) in history.iter().enumerate() {
        if !in_graph[i] {
            continue;
        }
        events.push((t.invoke, 0, i));
        if t.outcome == Outcome::Ok {
            if let Some(c) = t.complete {
                events.push((c, 1, i));
            }
        }
    }
    events.sort_unstable();
    let mut frontier: Vec<TxnId> = Vec::new();
    let mut at_invoke: HashMap<TxnId, Vec<TxnId>> = HashMap::new();
    for (_, kind, i) in events {
        if kind == 0 {
            for &f in &frontier {
                let completed = history[f].complete.unwrap_or(0);
                g.add(
                    f,
                    i,
                    Why::Realtime {
                        completed,
                        invoked: history[i].invoke,
                    },
                );
            }
            if history[i].outcome == Outcome::Ok {
                at_invoke.insert(i, frontier.clone());
            }
        } else {
            let before = at_invoke.remove(&i).unwrap_or_default();
            frontier.retain(|f| !before.contains(f));
            frontier.push(i);
        }
    }
}

/// Which edges a path has used: `rw` counted up to 2.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Flags {
    rw: u8,
    wr: bool,
    rt: bool,
}

impl Flags {
    fn with(self, dep: Dep) -> Flags {
        let mut f = self;
        match dep {
            Dep::Ww => {}
            Dep::Wr => f.wr = true,
            Dep::Rw => f.rw = (f.rw + 1).min(2),
            Dep::Realtime => f.rt = true,
        }
        f
    }

    fn index(self) -> usize {
        usize::from(self.rw) * 4 + usize::from(self.wr) * 2 + usize::from(self.rt)
    }
}

const FLAG_STATES: usize = 12;

/// Tarjan's strongly connected components, iteratively (histories are long
/// enough to overflow a recursive one). Components of one transaction are
/// left out: edges to oneself are never added.
fn components(g: &Graph) -> Vec<Vec<TxnId>> {
    let n = g.out.len();
    const NONE: usize = usize::MAX;
    let mut index = vec![NONE; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut result = Vec::new();
    for root in 0..n {
        if index[root] != NONE || g.out[root].is_empty() {
            continue;
        }
        // (node, position in its edge list)
        let mut call: Vec<(TxnId, usize)> = vec![(root, 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut pos)) = call.last_mut() {
            if let Some(&e) = g.out[v].get(*pos) {
                *pos += 1;
                let w = g.edges[e].to;
                if index[w] == NONE {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort_unstable();
                    result.push(comp);
                }
            }
        }
    }
    result.sort();
    result
}

fn cycles(g: &Graph, out: &mut Vec<Anomaly>) {
    let mut comp_of = vec![usize::MAX; g.out.len()];
    let comps = components(g);
    for (c, comp) in comps.iter().enumerate() {
        for &v in comp {
            comp_of[v] = c;
        }
    }
    for (c, comp) in comps.iter().enumerate() {
        let mut search = Search {
            g,
            comp,
            comp_of: &comp_of,
            c,
            local: comp.iter().enumerate().map(|(i, &v)| (v, i)).collect(),
            parent: vec![None; comp.len() * FLAG_STATES],
            touched: Vec::new(),
        };
        let mut found = false;
        for class in CycleClass::SERIALIZABILITY {
            if let Some(steps) = search.shortest(class) {
                out.push(Anomaly::Cycle { class, steps });
                found = true;
            }
        }
        // Real-time variants only where serializability alone finds no
        // cycle: the component closes only through real-time order.
        if !found {
            for class in CycleClass::REALTIME {
                if let Some(steps) = search.shortest(class) {
                    out.push(Anomaly::Cycle { class, steps });
                    found = true;
                }
            }
        }
        // The bounded searches may all miss in a large component: every
        // component has a cycle through each of its transactions, so report
        // the shortest through its first, whatever its class.
        if !found {
            if let Some((class, steps)) = search.bfs(comp[0], None) {
                out.push(Anomaly::Cycle { class, steps });
            }
        }
    }
}

struct Search<'a> {
    g: &'a Graph,
    comp: &'a [TxnId],
    comp_of: &'a [usize],
    c: usize,
    /// Transaction → its index in the component.
    local: HashMap<TxnId, usize>,
    /// Per (transaction, flags) state: the edge that reached it and the
    /// state it came from; reset between searches through `touched`.
    parent: Vec<Option<(usize, usize)>>,
    touched: Vec<usize>,
}

impl Search<'_> {
    /// The shortest cycle of `class` through any of the first `MAX_STARTS`
    /// transactions of the component with an outgoing edge of the rarest
    /// kind the class requires.
    fn shortest(&mut self, class: CycleClass) -> Option<Vec<Step>> {
        let (g, comp_of, c) = (self.g, self.comp_of, self.c);
        let inside = move |v: TxnId, dep: Dep| {
            g.out[v].iter().filter(move |&&e| {
                let s = &g.edges[e];
                s.why.dep() == dep && comp_of[s.to] == c
            })
        };
        let count = |dep: Dep| -> usize { self.comp.iter().map(|&v| inside(v, dep).count()).sum() };
        let anchor = class
            .required()
            .iter()
            .copied()
            .min_by_key(|&d| count(d))
            .unwrap_or(Dep::Ww);
        let starts: Vec<TxnId> = self
            .comp
            .iter()
            .copied()
            .filter(|&v| inside(v, anchor).next().is_some())
            .take(MAX_STARTS)
            .collect();
        let mut best: Option<Vec<Step>> = None;
        for s in starts {
            if let Some((_, cycle)) = self.bfs(s, Some(class)) {
                if best.as_ref().is_none_or(|b| cycle.len() < b.len()) {
                    best = Some(cycle);
                }
            }
        }
        best
    }

    fn state(&self, v: TxnId, f: Flags) -> usize {
        self.local[&v] * FLAG_STATES + f.index()
    }

    /// Breadth-first over (transaction, flags) from `start` back to it with
    /// flags of `class` (of any class: `None`); the cycle and its class.
    fn bfs(&mut self, start: TxnId, class: Option<CycleClass>) -> Option<(CycleClass, Vec<Step>)> {
        for s in self.touched.drain(..) {
            self.parent[s] = None;
        }
        let mut queue = VecDeque::new();
        queue.push_back((start, Flags::default()));
        while let Some((v, f)) = queue.pop_front() {
            for &e in &self.g.out[v] {
                let step = &self.g.edges[e];
                let dep = step.why.dep();
                if self.comp_of[step.to] != self.c || class.is_some_and(|c| !c.allows(dep, f)) {
                    continue;
                }
                let nf = f.with(dep);
                if step.to == start {
                    let found = CycleClass::of(nf);
                    if class.is_none_or(|c| c == found) {
                        // States carry flags, so a walk may pass one
                        // transaction twice (two cycles glued together, say
                        // two G-single into a "G2"): only a simple cycle
                        // counts. Checked here, where it is cheap; the
                        // shortest closed walk (`class: None`) is always
                        // simple.
                        let path = self.path(e, self.state(v, f));
                        let txns: HashSet<TxnId> = path.iter().map(|s| s.from).collect();
                        if txns.len() == path.len() {
                            return Some((found, path));
                        }
                    }
                    continue;
                }
                let s = self.state(step.to, nf);
                if self.parent[s].is_none() {
                    self.parent[s] = Some((e, self.state(v, f)));
                    self.touched.push(s);
                    queue.push_back((step.to, nf));
                }
            }
        }
        None
    }

    /// The steps from the search's start to `last`, which closes the cycle
    /// from state `s`.
    fn path(&self, last: usize, mut s: usize) -> Vec<Step> {
        let mut steps = vec![self.g.edges[last].clone()];
        while let Some((e, prev)) = self.parent[s] {
            steps.push(self.g.edges[e].clone());
            s = prev;
        }
        steps.reverse();
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::XorShift;
    use quickcheck::{quickcheck, TestResult};

    fn a(k: &str, v: Value) -> Mop {
        Mop::Append(k.into(), v)
    }

    fn r(k: &str, vs: &[Value]) -> Mop {
        Mop::Read(k.into(), Some(vs.to_vec()))
    }

    /// An ok transaction of process `p` over `[invoke, complete]`.
    fn ok(p: u64, invoke: u64, complete: u64, mops: Vec<Mop>) -> Txn {
        Txn {
            process: p,
            invoke,
            complete: Some(complete),
            outcome: Outcome::Ok,
            mops,
        }
    }

    fn with(outcome: Outcome, mut t: Txn) -> Txn {
        t.outcome = outcome;
        if outcome == Outcome::Info {
            t.complete = None;
        }
        t
    }

    fn report(h: &[Txn]) -> Report {
        check(h).expect("well formed")
    }

    /// The one cycle of `class` in the report, checked to be a real cycle of
    /// the history's transactions.
    fn the_cycle(rep: &Report, class: CycleClass) -> Vec<Step> {
        let found: Vec<_> = rep.cycles().filter(|(c, _)| *c == class).collect();
        assert_eq!(found.len(), 1, "one {class} expected:\n{rep}");
        let steps = found[0].1.to_vec();
        assert_simple_cycles(rep);
        steps
    }

    /// Every reported cycle is connected and passes each transaction once.
    fn assert_simple_cycles(rep: &Report) {
        for (_, steps) in rep.cycles() {
            for (i, s) in steps.iter().enumerate() {
                let next = &steps[(i + 1) % steps.len()];
                assert_eq!(s.to, next.from, "a connected cycle:\n{rep}");
            }
            let txns: BTreeSet<TxnId> = steps.iter().map(|s| s.from).collect();
            assert_eq!(txns.len(), steps.len(), "a simple cycle:\n{rep}");
        }
    }

    fn deps(steps: &[Step]) -> Vec<(TxnId, Dep, TxnId)> {
        steps.iter().map(|s| (s.from, s.why.dep(), s.to)).collect()
    }

    #[test]
    fn a_serial_history_passes() {
        let h = vec![
            ok(0, 0, 1, vec![a("x", 1), r("x", &[1])]),
            ok(1, 2, 3, vec![r("x", &[1]), a("y", 1)]),
            ok(0, 4, 5, vec![a("x", 2), a("y", 2), r("y", &[1, 2])]),
            ok(1, 6, 7, vec![r("x", &[1, 2]), r("y", &[1, 2])]),
        ];
        let rep = report(&h);
        assert!(rep.is_valid(), "{rep}");
        assert_eq!((rep.nodes, rep.ok), (4, 4));
    }

    #[test]
    fn g0_write_cycle() {
        // T0 and T1 append to x and y in opposite orders.
        let h = vec![
            ok(0, 0, 10, vec![a("x", 1), a("y", 1)]),
            ok(1, 0, 10, vec![a("x", 2), a("y", 2)]),
            ok(2, 20, 30, vec![r("x", &[1, 2]), r("y", &[2, 1])]),
        ];
        let rep = report(&h);
        let steps = the_cycle(&rep, CycleClass::G0);
        assert_eq!(deps(&steps), vec![(0, Dep::Ww, 1), (1, Dep::Ww, 0)]);
        assert_eq!(rep.names(), BTreeSet::from(["G0"]), "{rep}");
    }

    #[test]
    fn g1c_circular_information_flow() {
        let h = vec![
            ok(0, 0, 10, vec![a("x", 1), r("y", &[1])]),
            ok(1, 0, 10, vec![a("y", 1), r("x", &[1])]),
        ];
        let rep = report(&h);
        let steps = the_cycle(&rep, CycleClass::G1c);
        assert_eq!(deps(&steps), vec![(0, Dep::Wr, 1), (1, Dep::Wr, 0)]);
        assert_eq!(rep.names(), BTreeSet::from(["G1c"]), "{rep}");
    }

    #[test]
    fn g_single_read_skew() {
        // T0 sees T1's y but not its x.
        let h = vec![
            ok(0, 0, 10, vec![r("x", &[]), r("y", &[1])]),
            ok(1, 0, 10, vec![a("x", 1), a("y", 1)]),
            ok(2, 20, 30, vec![r("x", &[1])]),
        ];
        let rep = report(&h);
        let steps = the_cycle(&rep, CycleClass::GSingle);
        assert_eq!(deps(&steps), vec![(0, Dep::Rw, 1), (1, Dep::Wr, 0)]);
        assert_eq!(rep.names(), BTreeSet::from(["G-single"]), "{rep}");
        assert_eq!(
            steps[0].why,
            Why::Rw {
                key: "x".into(),
                last: None,
                next: 1
            }
        );
    }

    #[test]
    fn g2_item_write_skew() {
        // Each reads the key the other appends to, and misses it.
        let h = vec![
            ok(0, 0, 10, vec![r("x", &[]), a("y", 1)]),
            ok(1, 0, 10, vec![r("y", &[]), a("x", 1)]),
            ok(2, 20, 30, vec![r("x", &[1]), r("y", &[1])]),
        ];
        let rep = report(&h);
        let steps = the_cycle(&rep, CycleClass::G2Item);
        assert_eq!(deps(&steps), vec![(0, Dep::Rw, 1), (1, Dep::Rw, 0)]);
        assert_eq!(rep.names(), BTreeSet::from(["G2-item"]), "{rep}");
    }

    #[test]
    fn a_stale_read_is_g_single_realtime() {
        // T0's append completed before T1 began, yet T1 does not see it:
        // serializable (T1 before T0), not strictly.
        let h = vec![
            ok(0, 0, 10, vec![a("x", 1)]),
            ok(1, 20, 30, vec![r("x", &[])]),
            ok(2, 40, 50, vec![r("x", &[1])]),
        ];
        let rep = report(&h);
        let steps = the_cycle(&rep, CycleClass::GSingleRealtime);
        assert_eq!(deps(&steps), vec![(0, Dep::Realtime, 1), (1, Dep::Rw, 0)]);
        assert_eq!(rep.names(), BTreeSet::from(["G-single-realtime"]), "{rep}");
        assert!(rep
            .to_string()
            .contains("T0 completed at 10, before T1 was invoked at 20"));
    }

    #[test]
    fn two_cycles_through_one_transaction_are_not_one_g2() {
        // Two stale reads of T0's append: two G-single-realtime cycles
        // through T0. Glued together at T0 they make a closed walk with two
        // rw edges, which is not a cycle: no G2-item-realtime.
        let h = vec![
            ok(0, 0, 10, vec![a("x", 1)]),
            ok(1, 20, 30, vec![r("x", &[])]),
            ok(2, 20, 30, vec![r("x", &[])]),
            ok(3, 40, 50, vec![r("x", &[1])]),
        ];
        let rep = report(&h);
        assert_eq!(rep.names(), BTreeSet::from(["G-single-realtime"]), "{rep}");
        assert_simple_cycles(&rep);
    }

    #[test]
    fn appends_applied_against_real_time_are_g0_realtime() {
        let h = vec![
            ok(0, 0, 10, vec![a("x", 1)]),
            ok(1, 20, 30, vec![a("x", 2)]),
            ok(2, 40, 50, vec![r("x", &[2, 1])]),
        ];
        let rep = report(&h);
        let steps = the_cycle(&rep, CycleClass::G0Realtime);
        assert_eq!(deps(&steps), vec![(0, Dep::Realtime, 1), (1, Dep::Ww, 0)]);
    }

    #[test]
    fn an_unknown_outcome_may_commit_late_but_not_early() {
        // T1's outcome is unknown and it was seen: it committed, at some
        // time after its invocation, so it may follow T2's read...
        let late = vec![
            ok(0, 0, 10, vec![r("x", &[])]),
            with(Outcome::Info, ok(1, 5, 0, vec![a("x", 1)])),
            ok(2, 20, 30, vec![r("x", &[])]),
            ok(3, 40, 50, vec![r("x", &[1])]),
        ];
        let rep = report(&late);
        assert!(rep.is_valid(), "{rep}");
        assert_eq!(rep.nodes, 4);
        // ...but not precede its invocation.
        let early = vec![
            ok(0, 0, 10, vec![r("x", &[1])]),
            with(Outcome::Info, ok(1, 20, 0, vec![a("x", 1)])),
        ];
        let rep = report(&early);
        the_cycle(&rep, CycleClass::G1cRealtime);
        // An unknown transaction nobody saw is not in the graph at all.
        let unseen = vec![
            ok(0, 0, 10, vec![r("x", &[])]),
            with(Outcome::Info, ok(1, 0, 0, vec![a("x", 1)])),
        ];
        assert_eq!(report(&unseen).nodes, 1);
    }

    #[test]
    fn single_read_anomalies() {
        let h = vec![
            with(Outcome::Fail, ok(0, 0, 10, vec![a("x", 1)])),
            ok(1, 0, 10, vec![a("y", 1), a("y", 2)]),
            ok(2, 20, 30, vec![r("x", &[1])]),
            ok(3, 20, 30, vec![r("y", &[1])]),
            ok(4, 20, 30, vec![r("z", &[7])]),
            ok(5, 20, 30, vec![a("w", 1), r("w", &[1, 1])]),
            ok(6, 20, 30, vec![a("v", 1), r("v", &[])]),
        ];
        let rep = report(&h);
        let names = rep.names();
        for n in ["G1a", "G1b", "garbage", "duplicate", "internal"] {
            assert!(names.contains(n), "{n} missing:\n{rep}");
        }
        assert!(rep.anomalies.contains(&Anomaly::G1a {
            reader: 2,
            writer: 0,
            key: "x".into(),
            value: 1
        }));
        assert!(rep.anomalies.contains(&Anomaly::G1b {
            reader: 3,
            writer: 1,
            key: "y".into(),
            value: 1,
            last: 2
        }));
        assert!(rep.anomalies.contains(&Anomaly::Internal {
            txn: 6,
            key: "v".into(),
            expected: Expected::EndsWith(vec![1]),
            read: vec![]
        }));
        // The rendering names every transaction involved.
        let text = rep.render(&h, 20);
        assert!(
            text.contains("T0 (process 0, failed, 0..10): a x 1"),
            "{text}"
        );
    }

    #[test]
    fn a_read_that_forgets_its_own_earlier_read_is_internal() {
        let h = vec![
            ok(0, 0, 10, vec![a("x", 1)]),
            ok(1, 20, 30, vec![r("x", &[1]), a("x", 2), r("x", &[1, 3])]),
            ok(2, 20, 30, vec![a("x", 3)]),
        ];
        let rep = report(&h);
        assert!(rep.anomalies.contains(&Anomaly::Internal {
            txn: 1,
            key: "x".into(),
            expected: Expected::Exactly(vec![1, 2]),
            read: vec![1, 3]
        }));
    }

    #[test]
    fn reads_that_disagree_on_the_order_are_incompatible() {
        let h = vec![
            ok(0, 0, 10, vec![a("x", 1)]),
            ok(1, 0, 10, vec![a("x", 2)]),
            ok(2, 20, 30, vec![r("x", &[1, 2])]),
            ok(3, 20, 30, vec![r("x", &[2])]),
        ];
        let rep = report(&h);
        assert_eq!(
            rep.anomalies,
            vec![Anomaly::Incompatible {
                key: "x".into(),
                a: (2, vec![1, 2]),
                b: (3, vec![2]),
            }]
        );
    }

    #[test]
    fn malformed_histories_are_refused() {
        let h = vec![ok(0, 10, 5, vec![])];
        assert_eq!(check(&h), Err(Malformed::Clock { txn: 0 }));
        let h = vec![ok(0, 0, 5, vec![a("x", 1)]), ok(1, 0, 5, vec![a("x", 1)])];
        assert!(matches!(check(&h), Err(Malformed::DuplicateAppend { .. })));
    }

    /// A random history of `n` transactions run one at a time in index order
    /// over an in-memory store, each taking effect at time `10 i + 5`, with
    /// invocation and completion times around that point (so real time never
    /// contradicts the serial order), some failed for sure and some of
    /// unknown outcome (committed or not). Two final readers read every key.
    fn serial_history(seed: u64, n: usize) -> Vec<Txn> {
        const KEYS: [&str; 4] = ["k0", "k1", "k2", "k3"];
        let mut rng = XorShift::seeded(seed | 1);
        let mut store: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        let mut next_value = 1;
        let mut history = Vec::new();
        for i in 0..n + 2 {
            let at = 10 * i as u64 + 5;
            let invoke = at - rng.below(40).min(at);
            let complete = at + rng.below(40);
            let final_reader = i >= n;
            let outcome = match (final_reader, rng.below(10)) {
                (true, _) | (false, 0..=6) => Outcome::Ok,
                (false, 7) => Outcome::Fail,
                _ => Outcome::Info,
            };
            // An unknown outcome commits half the time.
            let commits = match outcome {
                Outcome::Ok => true,
                Outcome::Fail => false,
                Outcome::Info => rng.below(2) == 0,
            };
            let mut state = store.clone();
            let mut mops = Vec::new();
            let keys: Vec<&str> = if final_reader {
                KEYS.to_vec()
            } else {
                (0..1 + rng.below(4))
                    .map(|_| KEYS[rng.below(4) as usize])
                    .collect()
            };
            for key in keys {
                if !final_reader && rng.below(2) == 0 {
                    next_value += 1;
                    state.entry(key).or_default().push(next_value);
                    mops.push(a(key, next_value));
                } else {
                    let vs = state.get(key).cloned().unwrap_or_default();
                    let known = (outcome == Outcome::Ok).then_some(vs);
                    mops.push(Mop::Read(key.into(), known));
                }
            }
            if commits {
                store = state;
            }
            history.push(Txn {
                process: rng.below(5),
                invoke,
                complete: (outcome != Outcome::Info).then_some(complete),
                outcome,
                mops,
            });
        }
        history
    }

    /// The ok reads of the history (txn, mop index) with at least `len`
    /// values, not the final readers'.
    fn reads_of(h: &[Txn], len: usize) -> Vec<(usize, usize)> {
        let n = h.len() - 2;
        let mut out = Vec::new();
        for (i, t) in h[..n].iter().enumerate() {
            if t.outcome != Outcome::Ok {
                continue;
            }
            for (j, m) in t.mops.iter().enumerate() {
                if matches!(m, Mop::Read(_, Some(vs)) if vs.len() >= len) {
                    out.push((i, j));
                }
            }
        }
        out
    }

    quickcheck! {
        fn serial_histories_pass(seed: u64, n: u8) -> bool {
            let h = serial_history(seed, usize::from(n));
            let rep = report(&h);
            if !rep.is_valid() {
                eprintln!("{}", rep.render(&h, 10));
            }
            rep.is_valid()
        }

        fn dropping_a_middle_element_of_a_read_is_flagged(seed: u64, n: u8, pick: usize) -> TestResult {
            let mut h = serial_history(seed, usize::from(n).max(40));
            let reads = reads_of(&h, 3);
            if reads.is_empty() {
                return TestResult::discard();
            }
            let (i, j) = reads[pick % reads.len()];
            if let Mop::Read(_, Some(vs)) = &mut h[i].mops[j] {
                vs.remove(vs.len() / 2);
            }
            TestResult::from_bool(!report(&h).is_valid())
        }

        fn a_foreign_value_in_a_read_is_flagged(seed: u64, n: u8, pick: usize) -> TestResult {
            let mut h = serial_history(seed, usize::from(n).max(5));
            let reads = reads_of(&h, 0);
            if reads.is_empty() {
                return TestResult::discard();
            }
            let (i, j) = reads[pick % reads.len()];
            if let Mop::Read(_, Some(vs)) = &mut h[i].mops[j] {
                vs.push(1 << 40);
            }
            TestResult::from_bool(report(&h).names().contains("garbage"))
        }
    }

    #[test]
    fn ten_thousand_transactions_check_quickly() {
        let h = serial_history(7, 10_000);
        let started = std::time::Instant::now();
        let rep = report(&h);
        let took = started.elapsed();
        assert!(rep.is_valid(), "{}", rep.render(&h, 5));
        eprintln!("{rep} in {took:?}");
        assert!(took < std::time::Duration::from_secs(10), "{took:?}");
        // A stale read planted near the end of the same history is found.
        let mut h = h;
        let n = h.len();
        h.push(ok(
            9,
            10 * n as u64 + 100,
            10 * n as u64 + 110,
            vec![r("k0", &[])],
        ));
        let rep = report(&h);
        assert!(
            rep.cycles().any(|(c, _)| c.realtime()) && rep.cycles().all(|(c, _)| c.realtime()),
            "{rep}"
        );
        assert_simple_cycles(&rep);
    }
}
