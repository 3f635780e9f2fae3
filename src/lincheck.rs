//! Linearizability of histories recorded against a real cluster, checked
//! against the same [`SequentialSpec`] the model checker uses.
//!
//! The search is Wing & Gong's, as made practical by Lowe ("Testing for
//! linearizability", Concurrency and Computation: Practice and Experience,
//! 2016) and by Porcupine (github.com/anishathalye/porcupine): call and return
//! entries in a doubly linked list ordered by time; linearize a call that comes
//! before the first return and whose spec result matches, backtrack when the
//! first return is reached; remember every (set of linearized operations, spec
//! state) configuration visited, so repeated ones are pruned.
//! [`check_partitioned`] checks each key on its own (P-compositionality, Horn &
//! Kroening 2015) and merges the witnesses, which locality (Herlihy & Wing
//! 1990) says is always possible.
//!
//! An operation whose client never learned the result may or may not have taken
//! effect, at any time after its call. Porcupine gives it a return at infinity
//! and accepts any result. Here such operations stay out of the list and are
//! tried after the returned candidates; as they are optional and precede
//! nothing, a configuration is also pruned when removing one of them gives a
//! visited configuration, or when one is linearized right after another whose
//! effect it overwrites. Without that, lost writes that never took effect
//! multiply the search: the 50,000-operation test runs out of budget.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashSet};
use std::fmt::{self, Debug, Write as _};
use std::hash::Hash;

use stateright::semantics::SequentialSpec;

use crate::model::spec::{KvSpec, Op, Ret};

/// One operation of a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event<Op, Ret> {
    pub client: u64,
    pub op: Op,
    /// When it was called, on any clock that is monotone across clients.
    pub call: u64,
    pub outcome: Outcome<Ret>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<Ret> {
    Returned {
        ret: Ret,
        at: u64,
    },
    /// The client never learned the result (timeout, connection lost,
    /// leadership lost after proposing): the operation may or may not have
    /// taken effect, at any time after its call.
    Unknown,
}

impl<O, R> Event<O, R> {
    fn returned_at(&self) -> Option<u64> {
        match self.outcome {
            Outcome::Returned { at, .. } => Some(at),
            Outcome::Unknown => None,
        }
    }

    /// Real-time order: `self` returned strictly before `other` was called.
    pub fn precedes(&self, other: &Self) -> bool {
        self.returned_at().is_some_and(|at| at < other.call)
    }
}

/// How much searching to do before answering [`Verdict::Unknown`]; for
/// [`check_partitioned`], per key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub max_steps: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_steps: 10_000_000,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `order` is a witness: indices into the history. Unknown-outcome
    /// operations that need not have taken effect are left out.
    Linearizable {
        order: Vec<usize>,
    },
    NotLinearizable(Counterexample),
    /// The budget ran out first.
    Unknown,
}

impl Verdict {
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable { .. })
    }
}

/// Where the search got furthest before every order failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The longest linearizable prefix found, in order.
    pub prefix: Vec<usize>,
    /// The operation whose return came while it could not be placed after
    /// `prefix`.
    pub stuck: usize,
    /// The returned operations that could have come next after `prefix`,
    /// `stuck` among them; none led to a linearization from there.
    pub candidates: Vec<usize>,
}

impl Counterexample {
    /// A human-readable account: the state after the prefix, and what the spec
    /// says each candidate should have returned there.
    pub fn explain<S>(&self, init: &S, history: &[Event<S::Op, S::Ret>]) -> String
    where
        S: SequentialSpec + Clone + Debug,
        S::Op: Debug,
        S::Ret: Debug,
    {
        let mut state = init.clone();
        for e in self.prefix.iter().filter_map(|&i| history.get(i)) {
            state.invoke(&e.op);
        }
        let mut out = format!(
            "after a linearizable prefix of {} operations the state is {state:?}; \
             #{} returned before any of these could be placed:\n",
            self.prefix.len(),
            self.stuck
        );
        for &i in &self.candidates {
            let Some(e) = history.get(i) else { continue };
            let spec = state.clone().invoke(&e.op);
            let seen = match &e.outcome {
                Outcome::Returned { ret, at } => format!("{ret:?} at {at}"),
                Outcome::Unknown => "nothing".to_owned(),
            };
            let _ = writeln!(
                out,
                "  #{i} client {} {:?} called at {}: returned {seen}, the spec gives {spec:?}",
                e.client, e.op, e.call
            );
        }
        out
    }
}

/// An operation that returned before it was called: the clock is broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed {
    pub index: usize,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "operation #{} returns before it is called", self.index)
    }
}

impl std::error::Error for Malformed {}

/// Checks a whole history against one spec object.
pub fn check<S>(
    init: &S,
    history: &[Event<S::Op, S::Ret>],
    budget: Budget,
) -> Result<Verdict, Malformed>
where
    S: SequentialSpec + Clone + Hash + Eq,
{
    validate(history)?;
    let ids: Vec<usize> = (0..history.len()).collect();
    Ok(Search::new(history, &ids).run(init.clone(), budget))
}

/// Per-key verdicts, and the verdict on the whole history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partitioned<K> {
    pub keys: BTreeMap<K, Verdict>,
    /// The first failing key's counterexample, else Unknown if any key ran out
    /// of budget, else a witness for the whole history.
    pub overall: Verdict,
}

impl<K> Partitioned<K> {
    pub fn failing(&self) -> impl Iterator<Item = (&K, &Counterexample)> {
        self.keys.iter().filter_map(|(k, v)| match v {
            Verdict::NotLinearizable(cx) => Some((k, cx)),
            _ => None,
        })
    }
}

/// Checks each key's operations on their own: sound when every operation
/// touches exactly one key, and far cheaper, as the search is exponential in
/// the worst case and concurrency per key is low.
pub fn check_partitioned<S, K: Ord>(
    history: &[Event<S::Op, S::Ret>],
    init: impl Fn(&K) -> S,
    key_of: impl Fn(&S::Op) -> K,
    budget: Budget,
) -> Result<Partitioned<K>, Malformed>
where
    S: SequentialSpec + Clone + Hash + Eq,
{
    validate(history)?;
    let mut parts: BTreeMap<K, Vec<usize>> = BTreeMap::new();
    for (i, e) in history.iter().enumerate() {
        parts.entry(key_of(&e.op)).or_default().push(i);
    }
    let keys: BTreeMap<K, Verdict> = parts
        .into_iter()
        .map(|(k, ids)| {
            let v = Search::new(history, &ids).run(init(&k), budget);
            (k, v)
        })
        .collect();
    let mut orders = vec![];
    let mut overall = None;
    for v in keys.values() {
        match v {
            Verdict::Linearizable { order } => orders.push(order.as_slice()),
            Verdict::NotLinearizable(_) => {
                overall = Some(v.clone());
                break;
            }
            Verdict::Unknown => overall = overall.or(Some(Verdict::Unknown)),
        }
    }
    let overall = overall.unwrap_or_else(|| match interleave(history, &orders) {
        Some(order) => Verdict::Linearizable { order },
        None => Verdict::Unknown, // locality says this cannot happen
    });
    Ok(Partitioned { keys, overall })
}

/// [`check_partitioned`] for the keyspace spec, starting from `init`.
pub fn check_kv(
    init: &KvSpec,
    history: &[Event<Op, Ret>],
    budget: Budget,
) -> Result<Partitioned<String>, Malformed> {
    // A script or a transaction may touch any key, so a history with one
    // is checked whole.
    if history.iter().any(|e| e.op.key() == "*") {
        return check_partitioned(
            history,
            |_: &String| init.clone(),
            |_| "*".to_owned(),
            budget,
        );
    }
    check_partitioned(
        history,
        |k: &String| init.restricted_to(k),
        |op| op.key().to_owned(),
        budget,
    )
}

fn validate<O, R>(history: &[Event<O, R>]) -> Result<(), Malformed> {
    match history
        .iter()
        .position(|e| e.returned_at().is_some_and(|at| at < e.call))
    {
        Some(index) => Err(Malformed { index }),
        None => Ok(()),
    }
}

/// Merges per-key witnesses into one: repeatedly take the key whose next
/// operation was called first, which is correct when no operation still to be
/// placed returned before that call — and locality says one always qualifies.
fn interleave<O, R>(history: &[Event<O, R>], orders: &[&[usize]]) -> Option<Vec<usize>> {
    let all = || orders.iter().flat_map(|o| o.iter().copied());
    let mut returns: BinaryHeap<Reverse<(u64, usize)>> = all()
        .filter_map(|i| history[i].returned_at().map(|at| Reverse((at, i))))
        .collect();
    let mut heads: BinaryHeap<Reverse<(u64, usize, usize)>> = orders
        .iter()
        .enumerate()
        .filter_map(|(q, o)| o.first().map(|&i| Reverse((history[i].call, q, 0))))
        .collect();
    let mut placed = vec![false; history.len()];
    let mut out = Vec::with_capacity(all().count());
    while let Some(Reverse((call, q, pos))) = heads.pop() {
        while returns.peek().is_some_and(|Reverse((_, i))| placed[*i]) {
            returns.pop();
        }
        if returns.peek().is_some_and(|Reverse((at, _))| *at < call) {
            return None;
        }
        let i = orders[q][pos];
        placed[i] = true;
        out.push(i);
        if let Some(&next) = orders[q].get(pos + 1) {
            heads.push(Reverse((history[next].call, q, pos + 1)));
        }
    }
    Some(out)
}

const NIL: usize = usize::MAX;
const HEAD: usize = 0;

/// A list entry. `op` is an index into the partition; a call's `ret` is its
/// return entry, a return's is NIL.
struct Node {
    prev: usize,
    next: usize,
    op: usize,
    ret: usize,
}

/// A visited configuration: which operations are linearized, and the state.
#[derive(PartialEq, Eq, Hash)]
struct Config<S> {
    bits: Vec<u64>,
    state: S,
}

enum Choice {
    Call(usize),
    /// A position in `Search::unknown`.
    Unknown(usize),
}

enum Cursor {
    List(usize),
    /// A position in `Search::unknown`, and the first return still to come.
    Unknown(usize, u64),
}

struct Search<'h, S: SequentialSpec> {
    history: &'h [Event<S::Op, S::Ret>],
    ids: &'h [usize],
    nodes: Vec<Node>,
    /// Unknown-outcome operations, by call time; never in the list.
    unknown: Vec<usize>,
    required: usize,
    bits: Vec<u64>,
    cache: HashSet<Config<S>>,
    taken_unknown: Vec<usize>,
}

fn set_bit(bits: &mut [u64], i: usize) {
    bits[i / 64] |= 1 << (i % 64);
}

fn clear_bit(bits: &mut [u64], i: usize) {
    bits[i / 64] &= !(1 << (i % 64));
}

impl<'h, S> Search<'h, S>
where
    S: SequentialSpec + Clone + Hash + Eq,
{
    fn new(history: &'h [Event<S::Op, S::Ret>], ids: &'h [usize]) -> Self {
        let mut entries = vec![];
        let mut unknown = vec![];
        for (j, &i) in ids.iter().enumerate() {
            let e = &history[i];
            match e.returned_at() {
                Some(at) => entries.extend([(e.call, false, j), (at, true, j)]),
                None => unknown.push((e.call, j)),
            }
        }
        // At equal times calls sort first: the operations overlap.
        entries.sort_unstable();
        unknown.sort_unstable();
        let mut nodes = vec![Node {
            prev: NIL,
            next: if entries.is_empty() { NIL } else { 1 },
            op: NIL,
            ret: NIL,
        }];
        let mut call_node = vec![NIL; ids.len()];
        for (pos, &(_, is_return, j)) in entries.iter().enumerate() {
            let me = pos + 1;
            let next = if me < entries.len() { me + 1 } else { NIL };
            nodes.push(Node {
                prev: pos,
                next,
                op: j,
                ret: NIL,
            });
            if is_return {
                nodes[call_node[j]].ret = me;
            } else {
                call_node[j] = me;
            }
        }
        Search {
            history,
            ids,
            required: entries.len() / 2,
            nodes,
            unknown: unknown.into_iter().map(|(_, j)| j).collect(),
            bits: vec![0; ids.len().div_ceil(64)],
            cache: HashSet::new(),
            taken_unknown: vec![],
        }
    }

    fn event(&self, j: usize) -> &'h Event<S::Op, S::Ret> {
        &self.history[self.ids[j]]
    }

    fn unlink(&mut self, x: usize) {
        let Node { prev, next, .. } = self.nodes[x];
        self.nodes[prev].next = next;
        if next != NIL {
            self.nodes[next].prev = prev;
        }
    }

    fn relink(&mut self, x: usize) {
        let Node { prev, next, .. } = self.nodes[x];
        self.nodes[prev].next = x;
        if next != NIL {
            self.nodes[next].prev = x;
        }
    }

    /// The time of the first return still in the list.
    fn horizon(&self) -> u64 {
        let mut n = self.nodes[HEAD].next;
        while n != NIL && self.nodes[n].ret != NIL {
            n = self.nodes[n].next;
        }
        self.return_time(n)
    }

    fn return_time(&self, n: usize) -> u64 {
        if n == NIL {
            return u64::MAX;
        }
        self.event(self.nodes[n].op)
            .returned_at()
            .unwrap_or(u64::MAX)
    }

    /// Records the configuration reached by linearizing `j` into `next`, unless
    /// it was visited, or is one visited plus an unknown-outcome operation
    /// (which is optional and precedes nothing, so adds no way to succeed).
    fn admit(&mut self, j: usize, next: &S) -> bool {
        set_bit(&mut self.bits, j);
        let mut probe = Config {
            bits: self.bits.clone(),
            state: next.clone(),
        };
        let j_unknown = self.event(j).returned_at().is_none().then_some(j);
        let seen = self.cache.contains(&probe)
            || self
                .taken_unknown
                .iter()
                .copied()
                .chain(j_unknown)
                .any(|u| {
                    clear_bit(&mut probe.bits, u);
                    let hit = self.cache.contains(&probe);
                    set_bit(&mut probe.bits, u);
                    hit
                });
        if seen {
            clear_bit(&mut self.bits, j);
        } else {
            self.cache.insert(probe);
        }
        !seen
    }

    fn order(&self, stack: &[(Choice, S)]) -> Vec<usize> {
        let local = |c: &Choice| match *c {
            Choice::Call(n) => self.nodes[n].op,
            Choice::Unknown(p) => self.unknown[p],
        };
        stack.iter().map(|(c, _)| self.ids[local(c)]).collect()
    }

    fn counterexample(&self, stack: &[(Choice, S)], ret: usize) -> Counterexample {
        let mut candidates = vec![];
        let mut n = self.nodes[HEAD].next;
        while n != ret && n != NIL {
            candidates.push(self.ids[self.nodes[n].op]);
            n = self.nodes[n].next;
        }
        Counterexample {
            prefix: self.order(stack),
            stuck: self.ids[self.nodes[ret].op],
            candidates,
        }
    }

    fn run(mut self, init: S, budget: Budget) -> Verdict {
        let mut state = init;
        if self.required == 0 {
            return Verdict::Linearizable { order: vec![] };
        }
        self.cache.insert(Config {
            bits: self.bits.clone(),
            state: state.clone(),
        });
        // What was linearized, each with the state before it.
        let mut stack: Vec<(Choice, S)> = vec![];
        let mut best: Option<Counterexample> = None;
        let mut cursor = Cursor::List(self.nodes[HEAD].next);
        let mut steps = 0;
        loop {
            steps += 1;
            if steps > budget.max_steps {
                return Verdict::Unknown;
            }
            let mut push = None;
            let mut backtrack = false;
            match cursor {
                Cursor::List(n) if n != NIL && self.nodes[n].ret != NIL => {
                    let j = self.nodes[n].op;
                    let e = self.event(j);
                    let mut next = state.clone();
                    let fits = match &e.outcome {
                        Outcome::Returned { ret, .. } => next.is_valid_step(&e.op, ret),
                        Outcome::Unknown => {
                            next.invoke(&e.op);
                            true
                        }
                    };
                    if fits && self.admit(j, &next) {
                        push = Some((Choice::Call(n), next));
                    } else {
                        cursor = Cursor::List(self.nodes[n].next);
                    }
                }
                Cursor::List(n) => {
                    // The first return: every call before it has been tried.
                    if n != NIL && best.as_ref().is_none_or(|b| stack.len() > b.prefix.len()) {
                        best = Some(self.counterexample(&stack, n));
                    }
                    cursor = Cursor::Unknown(0, self.return_time(n));
                }
                Cursor::Unknown(p, horizon) => match self.unknown.get(p) {
                    Some(&j) if self.event(j).call <= horizon => {
                        cursor = Cursor::Unknown(p + 1, horizon);
                        let taken = self.bits[j / 64] & (1 << (j % 64)) != 0;
                        if !taken {
                            let op = &self.event(j).op;
                            let mut next = state.clone();
                            next.invoke(op);
                            // Right after another unknown-outcome operation
                            // whose effect this one overwrites, it is covered
                            // by the parent linearizing this one instead.
                            let redundant = match stack.last() {
                                Some((Choice::Unknown(_), saved)) => {
                                    let mut alt = saved.clone();
                                    alt.invoke(op);
                                    alt == next
                                }
                                _ => false,
                            };
                            if !redundant && self.admit(j, &next) {
                                push = Some((Choice::Unknown(p), next));
                            }
                        }
                    }
                    _ => backtrack = true,
                },
            }
            if let Some((choice, next)) = push {
                match choice {
                    Choice::Call(n) => {
                        self.unlink(n);
                        self.unlink(self.nodes[n].ret);
                        self.required -= 1;
                    }
                    Choice::Unknown(p) => self.taken_unknown.push(self.unknown[p]),
                }
                stack.push((choice, std::mem::replace(&mut state, next)));
                if self.required == 0 {
                    return Verdict::Linearizable {
                        order: self.order(&stack),
                    };
                }
                cursor = Cursor::List(self.nodes[HEAD].next);
            }
            if backtrack {
                let Some((choice, saved)) = stack.pop() else {
                    return best.map_or(Verdict::Unknown, Verdict::NotLinearizable);
                };
                state = saved;
                match choice {
                    Choice::Call(n) => {
                        self.relink(self.nodes[n].ret);
                        self.relink(n);
                        self.required += 1;
                        clear_bit(&mut self.bits, self.nodes[n].op);
                        cursor = Cursor::List(self.nodes[n].next);
                    }
                    Choice::Unknown(p) => {
                        self.taken_unknown.pop();
                        clear_bit(&mut self.bits, self.unknown[p]);
                        cursor = Cursor::Unknown(p + 1, self.horizon());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::{quickcheck, Arbitrary, Gen};
    use stateright::semantics::{ConsistencyTester, LinearizabilityTester};

    type H = Vec<Event<Op, Ret>>;

    fn get(k: &str) -> Op {
        Op::Get(k.into())
    }
    fn set(k: &str, v: &str) -> Op {
        Op::Set(k.into(), v.into())
    }
    fn del(k: &str) -> Op {
        Op::Del(k.into())
    }
    fn val(v: Option<&str>) -> Ret {
        Ret::Value(v.map(Into::into))
    }
    fn done(client: u64, op: Op, ret: Ret, call: u64, at: u64) -> Event<Op, Ret> {
        let outcome = Outcome::Returned { ret, at };
        Event {
            client,
            op,
            call,
            outcome,
        }
    }
    fn lost(client: u64, op: Op, call: u64) -> Event<Op, Ret> {
        let outcome = Outcome::Unknown;
        Event {
            client,
            op,
            call,
            outcome,
        }
    }

    /// Checks `h` whole and per key; both must agree, and a witness must hold.
    fn verdict(h: &H) -> Verdict {
        let init = KvSpec::default();
        let v = check(&init, h, Budget::default()).expect("well-formed");
        let p = check_kv(&init, h, Budget::default()).expect("well-formed");
        assert_eq!(v.is_linearizable(), p.overall.is_linearizable());
        for v in [&v, &p.overall] {
            if let Verdict::Linearizable { order } = v {
                assert!(
                    is_prefix(&init, h, order) && complete(h, order),
                    "{order:?}"
                );
            }
        }
        v
    }

    /// `order` replays on the spec and respects real time, including against
    /// the operations it leaves out.
    fn is_prefix<S: SequentialSpec + Clone>(
        init: &S,
        h: &[Event<S::Op, S::Ret>],
        order: &[usize],
    ) -> bool {
        let mut seen = vec![false; h.len()];
        let mut state = init.clone();
        let mut max_call = 0;
        for &i in order {
            let e = &h[i];
            let r = state.invoke(&e.op);
            let wrong = matches!(&e.outcome, Outcome::Returned { ret, .. } if *ret != r);
            if seen[i] || wrong || e.returned_at().is_some_and(|at| at < max_call) {
                return false;
            }
            seen[i] = true;
            max_call = max_call.max(e.call);
        }
        (0..h.len()).all(|i| seen[i] || h[i].returned_at().is_none_or(|at| at >= max_call))
    }

    fn complete(h: &H, order: &[usize]) -> bool {
        (0..h.len()).all(|i| h[i].returned_at().is_none() || order.contains(&i))
    }

    #[test]
    fn a_stale_read_after_a_completed_write_is_rejected() {
        let h = vec![
            done(1, set("x", "1"), Ret::Ok, 0, 1),
            done(2, get("x"), val(None), 2, 3),
        ];
        let Verdict::NotLinearizable(cx) = verdict(&h) else {
            panic!()
        };
        assert_eq!(
            (&cx.prefix, cx.stuck, &cx.candidates),
            (&vec![0], 1, &vec![1])
        );
        let text = cx.explain(&KvSpec::default(), &h);
        assert!(text.contains("#1 client 2 Get(\"x\")"), "{text}");
        assert!(text.contains("the spec gives Value(Some(\"1\"))"), "{text}");
    }

    #[test]
    fn a_read_concurrent_with_a_write_may_see_either() {
        for seen in [None, Some("1")] {
            let h = vec![
                done(1, set("x", "1"), Ret::Ok, 0, 10),
                done(2, get("x"), val(seen), 1, 2),
            ];
            assert!(verdict(&h).is_linearizable());
        }
        // Returning at the instant the read is called still overlaps it.
        let h = vec![
            done(1, set("x", "1"), Ret::Ok, 0, 5),
            done(2, get("x"), val(None), 5, 6),
        ];
        assert!(verdict(&h).is_linearizable());
    }

    #[test]
    fn a_lost_write_may_or_may_not_have_happened() {
        let observed = vec![
            lost(1, set("x", "1"), 0),
            done(2, get("x"), val(Some("1")), 5, 6),
        ];
        assert_eq!(
            verdict(&observed),
            Verdict::Linearizable { order: vec![0, 1] }
        );
        let never = vec![
            lost(1, set("x", "1"), 0),
            done(2, get("x"), val(None), 5, 6),
            done(2, get("x"), val(None), 7, 8),
        ];
        assert_eq!(verdict(&never), Verdict::Linearizable { order: vec![1, 2] });
    }

    #[test]
    fn a_lost_write_takes_effect_once_and_only_after_its_call() {
        // Seen, overwritten by a write that finished before the read, then
        // seen no more: the write that finished first must be gone for good.
        let h = vec![
            lost(1, set("x", "1"), 0),
            done(2, set("x", "2"), Ret::Ok, 1, 2),
            done(3, get("x"), val(Some("1")), 3, 4),
            done(3, get("x"), val(Some("2")), 5, 6),
        ];
        assert!(!verdict(&h).is_linearizable());
        // Seen, deleted, seen again: one lost write cannot happen twice...
        let mut h = vec![
            lost(1, set("x", "1"), 0),
            done(2, get("x"), val(Some("1")), 1, 2),
            done(2, del("x"), Ret::Deleted(1), 3, 4),
            done(2, get("x"), val(Some("1")), 5, 6),
        ];
        assert!(!verdict(&h).is_linearizable());
        // ...but two can.
        h.push(lost(3, set("x", "1"), 0));
        assert!(verdict(&h).is_linearizable());
        // Seen before it was called.
        let h = vec![
            done(2, get("x"), val(Some("1")), 0, 1),
            lost(1, set("x", "1"), 2),
        ];
        assert!(!verdict(&h).is_linearizable());
    }

    #[test]
    fn del_returns_how_many_keys_it_removed() {
        let mut h = vec![
            done(1, set("x", "1"), Ret::Ok, 0, 1),
            done(1, del("x"), Ret::Deleted(1), 2, 3),
            done(1, del("x"), Ret::Deleted(0), 4, 5),
        ];
        assert!(verdict(&h).is_linearizable());
        h[2] = done(1, del("x"), Ret::Deleted(1), 4, 5);
        assert!(!verdict(&h).is_linearizable());
        // Concurrent deletes of one value: exactly one of them removes it.
        let both = |a, b| {
            vec![
                done(1, set("x", "1"), Ret::Ok, 0, 1),
                done(2, del("x"), Ret::Deleted(a), 2, 5),
                done(3, del("x"), Ret::Deleted(b), 3, 4),
            ]
        };
        assert_eq!(
            verdict(&both(0, 1)),
            Verdict::Linearizable {
                order: vec![0, 2, 1]
            }
        );
        assert!(!verdict(&both(1, 1)).is_linearizable());
        // Per key, each key starts from its own initial entry.
        let init = KvSpec::with([("x".to_owned(), "a".to_owned())]);
        let h = vec![
            done(1, del("x"), Ret::Deleted(1), 0, 1),
            done(1, get("y"), val(None), 0, 1),
        ];
        let p = check_kv(&init, &h, Budget::default()).expect("well-formed");
        assert!(p.overall.is_linearizable() && p.keys.len() == 2);
    }

    #[test]
    fn bad_clocks_and_budgets_are_reported() {
        let h = vec![
            done(1, get("x"), val(None), 0, 1),
            done(1, get("x"), val(None), 5, 4),
        ];
        assert_eq!(
            check(&KvSpec::default(), &h, Budget::default()),
            Err(Malformed { index: 1 })
        );
        let h = vec![
            done(1, set("x", "1"), Ret::Ok, 0, 9),
            done(2, get("x"), val(None), 1, 2),
        ];
        let tight = Budget { max_steps: 1 };
        assert_eq!(check(&KvSpec::default(), &h, tight), Ok(Verdict::Unknown));
    }

    /// An append-only log: appends do not overwrite each other, so lost ones
    /// may have to be linearized back to back.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
    struct Log(Vec<u8>);

    impl SequentialSpec for Log {
        /// Append, or read.
        type Op = Option<u8>;
        type Ret = Vec<u8>;
        fn invoke(&mut self, op: &Option<u8>) -> Vec<u8> {
            self.0.extend(op);
            self.0.clone()
        }
    }

    #[test]
    fn lost_operations_that_do_not_overwrite_each_other_combine() {
        let read = |seen: &[u8]| Event {
            client: 3,
            op: None,
            call: 5,
            outcome: Outcome::Returned {
                ret: seen.to_vec(),
                at: 6,
            },
        };
        let lost = |x: u8| Event {
            client: x.into(),
            op: Some(x),
            call: 0,
            outcome: Outcome::Unknown,
        };
        for (seen, ok) in [
            (&[1, 2][..], true),
            (&[2, 1], true),
            (&[2], true),
            (&[1, 2, 1], false),
        ] {
            let h = [lost(1), lost(2), read(seen)];
            let v = check(&Log::default(), &h, Budget::default()).expect("well-formed");
            assert_eq!(
                (v.is_linearizable(), brute_force(&Log::default(), &h)),
                (ok, ok),
                "{seen:?}"
            );
        }
    }

    /// A small history from 2–3 sequential clients; results mostly from a
    /// true sequential execution at return time, sometimes random.
    #[derive(Clone, Debug)]
    struct Small {
        init: KvSpec,
        h: H,
    }

    impl Arbitrary for Small {
        fn arbitrary(g: &mut Gen) -> Self {
            let clients = 2 + usize::from(bool::arbitrary(g));
            let keys = &["x", "y"][..1 + usize::from(bool::arbitrary(g))];
            let n = 3 + usize::from(u8::arbitrary(g) % 5);
            let init = match bool::arbitrary(g) {
                true => KvSpec::with([("x".to_owned(), "1".to_owned())]),
                false => KvSpec::default(),
            };
            let (mut truth, mut h) = (init.clone(), H::new());
            let (mut busy, mut gone) = (vec![None; clients], vec![false; clients]);
            let mut clock = 0;
            loop {
                let live: Vec<usize> = (0..clients)
                    .filter(|&c| !gone[c] && (busy[c].is_some() || h.len() < n))
                    .collect();
                let Some(&c) = g.choose(&live) else { break };
                let Some(i) = busy[c].take() else {
                    let (k, v) = (
                        *g.choose(keys).unwrap_or(&"x"),
                        *g.choose(&["1", "2"]).unwrap_or(&"1"),
                    );
                    let op = match u8::arbitrary(g) % 3 {
                        0 => get(k),
                        1 => set(k, v),
                        _ => del(k),
                    };
                    h.push(lost(c as u64, op, clock));
                    busy[c] = Some(h.len() - 1);
                    clock += u64::from(bool::arbitrary(g));
                    continue;
                };
                match u8::arbitrary(g) % 6 {
                    0 => {
                        if bool::arbitrary(g) {
                            truth.invoke(&h[i].op);
                        }
                        gone[c] = true;
                    }
                    r => {
                        let mut ret = truth.invoke(&h[i].op);
                        if r == 1 {
                            ret = match ret {
                                Ret::Value(_) => {
                                    val(*g.choose(&[None, Some("1"), Some("2")]).unwrap_or(&None))
                                }
                                Ret::Deleted(d) => Ret::Deleted(1 - d),
                                other => other,
                            };
                        }
                        h[i].outcome = Outcome::Returned { ret, at: clock };
                        clock += 1;
                    }
                }
            }
            Small { init, h }
        }
    }

    /// Every subset of the lost operations, every order that respects real time.
    fn brute_force<S: SequentialSpec + Clone>(init: &S, h: &[Event<S::Op, S::Ret>]) -> bool {
        fn orders<S: SequentialSpec + Clone>(
            state: S,
            h: &[Event<S::Op, S::Ret>],
            chosen: &[usize],
            used: &mut [bool],
        ) -> bool {
            if chosen.iter().all(|&i| used[i]) {
                return true;
            }
            for &b in chosen {
                if used[b] || chosen.iter().any(|&a| !used[a] && h[a].precedes(&h[b])) {
                    continue;
                }
                let mut s = state.clone();
                let r = s.invoke(&h[b].op);
                if matches!(&h[b].outcome, Outcome::Returned { ret, .. } if *ret != r) {
                    continue;
                }
                used[b] = true;
                if orders(s, h, chosen, used) {
                    return true;
                }
                used[b] = false;
            }
            false
        }
        let lost: Vec<usize> = (0..h.len())
            .filter(|&i| h[i].returned_at().is_none())
            .collect();
        (0..1u32 << lost.len()).any(|mask| {
            let chosen: Vec<usize> = (0..h.len())
                .filter(|&i| match lost.iter().position(|&l| l == i) {
                    Some(bit) => mask & (1 << bit) != 0,
                    None => true,
                })
                .collect();
            orders(init.clone(), h, &chosen, &mut vec![false; h.len()])
        })
    }

    /// The model checker's tester, fed the same events in time order; lost
    /// operations stay in flight.
    fn stateright_says(init: &KvSpec, h: &H) -> bool {
        let mut evs = vec![];
        for (i, e) in h.iter().enumerate() {
            evs.push((e.call, false, i));
            evs.extend(e.returned_at().map(|at| (at, true, i)));
        }
        evs.sort_unstable();
        let mut t = LinearizabilityTester::new(init.clone());
        for (_, is_return, i) in evs {
            let e = &h[i];
            let r = match &e.outcome {
                Outcome::Returned { ret, .. } if is_return => t.on_return(e.client, ret.clone()),
                _ => t.on_invoke(e.client, e.op.clone()),
            };
            assert!(r.is_ok(), "clients are sequential");
        }
        t.serialized_history().is_some()
    }

    quickcheck! {
        /// Whole and per key; a witness must hold, and a counterexample's
        /// prefix too (per key, its prefix is one key's only).
        fn agrees_with_brute_force(s: Small) -> bool {
            let want = brute_force(&s.init, &s.h);
            let whole = check(&s.init, &s.h, Budget::default());
            let per_key = check_kv(&s.init, &s.h, Budget::default()).map(|p| p.overall);
            let holds = |order: &[usize]| is_prefix(&s.init, &s.h, order);
            let agree = |v: &Result<Verdict, Malformed>| match v {
                Ok(Verdict::Linearizable { order }) => want && holds(order) && complete(&s.h, order),
                Ok(Verdict::NotLinearizable(cx)) => {
                    !want
                        && s.h[cx.stuck].returned_at().is_some()
                        && !cx.prefix.contains(&cx.stuck)
                        && cx.candidates.contains(&cx.stuck)
                }
                _ => false,
            };
            let whole_prefix = match &whole {
                Ok(Verdict::NotLinearizable(cx)) => holds(&cx.prefix),
                _ => true,
            };
            agree(&whole) && agree(&per_key) && whole_prefix
        }

        fn stateright_agrees_with_brute_force(s: Small) -> bool {
            brute_force(&s.init, &s.h) == stateright_says(&s.init, &s.h)
        }
    }

    /// SplitMix64: deterministic large histories without a dependency.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) % n
        }
    }

    /// A real atomic register: each operation takes effect at a random point
    /// inside its interval; 2% are lost, half of those after taking effect.
    /// Written values are unique (the operation's index).
    fn register_history(n: usize, keys: u64, clients: usize, seed: u64) -> H {
        let mut rng = Rng(seed);
        let mut free = vec![0; clients];
        let mut ops = vec![];
        for i in 0..n {
            let c = rng.below(clients as u64) as usize;
            let call = free[c] + 1 + rng.below(50);
            let point = call + 1 + rng.below(100);
            let at = point + 1 + rng.below(100);
            free[c] = at;
            let k = format!("k{}", rng.below(keys));
            let op = match rng.below(20) {
                0..10 => get(&k),
                10..17 => set(&k, &i.to_string()),
                _ => del(&k),
            };
            let lost = rng.below(50) == 0;
            let happens = !lost || rng.below(2) == 0;
            ops.push((point, i, happens, done(c as u64, op, Ret::Ok, call, at)));
            if lost {
                ops[i].3.outcome = Outcome::Unknown;
            }
        }
        let mut by_point: Vec<usize> = (0..n).collect();
        by_point.sort_by_key(|&i| (ops[i].0, i));
        let mut spec = KvSpec::default();
        for i in by_point {
            let (_, _, happens, e) = &mut ops[i];
            if *happens {
                let r = spec.invoke(&e.op);
                if let Outcome::Returned { ret, .. } = &mut e.outcome {
                    *ret = r;
                }
            }
        }
        ops.into_iter().map(|o| o.3).collect()
    }

    #[test]
    fn a_large_register_history_is_linearizable_until_one_read_is_corrupted() {
        let mut h = register_history(5_000, 20, 8, 7);
        let init = KvSpec::default();
        let p = check_kv(&init, &h, Budget::default()).expect("well-formed");
        let Verdict::Linearizable { order } = &p.overall else {
            panic!("{:?}", p.failing().next())
        };
        assert!(p.keys.len() == 20 && is_prefix(&init, &h, order) && complete(&h, order));

        // A read returns a value written only by a write called after it returned.
        let (g, s) = (h.len() / 2..h.len())
            .filter(|&g| matches!(h[g].op, Op::Get(_)) && h[g].returned_at().is_some())
            .find_map(|g| {
                let s = (g..h.len()).find(|&s| {
                    matches!(&h[s].op, Op::Set(k, _) if k == h[g].op.key()) && h[g].precedes(&h[s])
                })?;
                Some((g, s))
            })
            .expect("such a pair in 5,000 operations");
        let Op::Set(key, v) = h[s].op.clone() else {
            unreachable!()
        };
        h[g].outcome = Outcome::Returned {
            ret: val(Some(&v)),
            at: h[g].returned_at().unwrap_or(0),
        };
        let p = check_kv(&init, &h, Budget::default()).expect("well-formed");
        let failing: Vec<_> = p.failing().collect();
        assert_eq!(failing.len(), 1);
        assert_eq!((failing[0].0, failing[0].1.stuck), (&key, g));
        assert!(matches!(p.overall, Verdict::NotLinearizable(_)));
        assert!(p.keys.iter().all(|(k, v)| *k == key || v.is_linearizable()));
        let text = failing[0].1.explain(&init.restricted_to(&key), &h);
        assert!(text.contains(&format!("#{g} ")), "{text}");
    }

    /// Run by hand: `cargo test --release --lib lincheck_large -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn lincheck_large_history_timing() {
        let h = register_history(50_000, 20, 8, 11);
        let start = std::time::Instant::now();
        let p = check_kv(&KvSpec::default(), &h, Budget::default()).expect("well-formed");
        println!(
            "50,000 operations, 20 keys, 8 clients: {:?}",
            start.elapsed()
        );
        assert!(p.overall.is_linearizable());
    }
}
