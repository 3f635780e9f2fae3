//! Running a check: progress, the verdict, and a readable counterexample.
//!
//! stateright 0.31.0 overwrites a property's discovery when later states also
//! violate it, so its BFS counterexamples are neither shortest nor stable.
//! [`shortest_violation`] works around that from the outside, through the
//! public `Model` API only: a single-threaded breadth-first search that visits
//! states in order of depth and actions in the model's order, and stops at the
//! first state that violates an `always` property — a shortest counterexample,
//! the same on every run. (A `CheckerVisitor` would do too, but stateright
//! rebuilds the whole path for every visited state before calling it.)

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use stateright::actor::{ActorModelAction, Id};
use stateright::{Checker, CheckerBuilder, Expectation, HasDiscoveries, Model, Path};

use super::config::{Expect, Strategy};
use super::{Model as FenceModel, ModelCfg, ModelState, State};
use crate::node::{Msg, Role};
use crate::resp::Reply;

type Action = ActorModelAction<crate::node::Msg, crate::node::Timer, ()>;

/// A violated property and the path to the violating state.
pub type Violation = (&'static str, Path<State, Action>);

/// What a search saw.
#[derive(Clone, Debug, Default)]
pub struct SearchStats {
    pub unique_states: usize,
    pub states: usize,
    pub max_depth: usize,
}

fn fingerprint(state: &State) -> u64 {
    use std::hash::{Hash, Hasher};
    // SipHash with fixed keys: the same on every run and machine.
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new();
    state.hash(&mut h);
    h.finish()
}

/// Breadth-first search for the shortest path to a state that violates an
/// `always` property (see the module comment). Stops at the first one.
pub fn shortest_violation(
    model: &FenceModel,
    progress: Option<Duration>,
) -> (Option<Violation>, SearchStats) {
    use std::collections::{HashMap, VecDeque};
    let started = Instant::now();
    let mut last_print = Instant::now();
    let mut stats = SearchStats::default();
    // fingerprint → (parent fingerprint, action from the parent); roots have none.
    let mut parents: HashMap<u64, Option<(u64, Action)>> = HashMap::new();
    let mut queue: VecDeque<(State, u64, usize)> = VecDeque::new();
    for s in model.init_states() {
        let fp = fingerprint(&s);
        if parents.insert(fp, None).is_none() {
            queue.push_back((s, fp, 0));
        }
    }
    let always: Vec<_> = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation == Expectation::Always)
        .collect();
    // Rebuild the path to `fp` by walking the parents back to a root.
    let path_to = |parents: &HashMap<u64, Option<(u64, Action)>>, fp: u64| {
        let mut steps = Vec::new();
        let mut cur = fp;
        while let Some(Some((parent, action))) = parents.get(&cur) {
            steps.push(action.clone());
            cur = *parent;
        }
        steps.reverse();
        let root = model
            .init_states()
            .into_iter()
            .find(|s| fingerprint(s) == cur);
        root.and_then(|r| Path::from_actions(model, r, steps.iter()))
    };
    let violated = |s: &State| {
        always
            .iter()
            .find(|p| !(p.condition)(model, s))
            .map(|p| p.name)
    };
    for (s, fp, _) in &queue {
        if let Some(name) = violated(s) {
            stats.unique_states = queue.len();
            return (path_to(&parents, *fp).map(|p| (name, p)), stats);
        }
    }
    let mut actions = Vec::new();
    while let Some((state, fp, depth)) = queue.pop_front() {
        stats.unique_states += 1;
        stats.max_depth = stats.max_depth.max(depth);
        if let Some(every) = progress {
            if last_print.elapsed() >= every {
                eprintln!(
                    "  {:>7.1}s  bfs  unique {:>11}  queued {:>10}  depth {}",
                    started.elapsed().as_secs_f64(),
                    stats.unique_states,
                    queue.len(),
                    depth
                );
                last_print = Instant::now();
            }
        }
        actions.clear();
        model.actions(&state, &mut actions);
        for action in actions.drain(..) {
            let Some(next) = model.next_state(&state, action.clone()) else {
                continue;
            };
            stats.states += 1;
            if !model.within_boundary(&next) {
                continue;
            }
            let nfp = fingerprint(&next);
            if let std::collections::hash_map::Entry::Vacant(e) = parents.entry(nfp) {
                e.insert(Some((fp, action)));
                // Checked when first reached, not when expanded: every state
                // of a smaller depth was checked before, so the first
                // violation reached is a shortest one, and the last layer
                // need not be expanded.
                if let Some(name) = violated(&next) {
                    stats.unique_states += queue.len() + 1;
                    stats.max_depth = depth + 1;
                    return (path_to(&parents, nfp).map(|p| (name, p)), stats);
                }
                queue.push_back((next, nfp, depth + 1));
            }
        }
    }
    (None, stats)
}

/// Replay `actions` from `init`; if some prefix reaches a state violating an
/// `always` property, return that prefix's length. `None` if an action is not
/// enabled where it is replayed, or no state violates.
fn replay_violates(model: &FenceModel, init: &State, actions: &[Action]) -> Option<usize> {
    let always: Vec<_> = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation == Expectation::Always)
        .collect();
    let mut state = init.clone();
    let mut enabled = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        enabled.clear();
        model.actions(&state, &mut enabled);
        if !enabled.contains(a) {
            return None;
        }
        state = model.next_state(&state, a.clone())?;
        if !model.within_boundary(&state) {
            return None;
        }
        if always.iter().any(|p| !(p.condition)(model, &state)) {
            return Some(i + 1);
        }
    }
    None
}

/// Shrink a counterexample until no single step can be removed (and every
/// step still applies): deterministic, so the same input gives the same
/// trace. Used where BFS cannot reach the counterexample's depth.
pub fn minimize(model: &FenceModel, path: Path<State, Action>) -> Path<State, Action> {
    let init = path.clone().into_states().swap_remove(0);
    let mut actions = path.clone().into_actions();
    'shrink: loop {
        for i in 0..actions.len() {
            let mut candidate = actions.clone();
            candidate.remove(i);
            if let Some(len) = replay_violates(model, &init, &candidate) {
                candidate.truncate(len);
                actions = candidate;
                continue 'shrink;
            }
        }
        break;
    }
    Path::from_actions(model, init, actions.iter()).unwrap_or(path)
}

/// Whether removing any single step of `path` loses the violation (the test
/// of [`minimize`]'s promise).
pub fn is_one_minimal(model: &FenceModel, path: &Path<State, Action>) -> bool {
    let init = path.clone().into_states().swap_remove(0);
    let actions = path.clone().into_actions();
    replay_violates(model, &init, &actions) == Some(actions.len())
        && (0..actions.len()).all(|i| {
            let mut c = actions.clone();
            c.remove(i);
            replay_violates(model, &init, &c).is_none()
        })
}

/// How to run a check.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub strategy: Option<Strategy>,
    pub threads: usize,
    /// Print progress lines every this often (None: quiet).
    pub progress: Option<Duration>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            strategy: None,
            threads: 1,
            progress: None,
        }
    }
}

/// The outcome of a check.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub name: String,
    /// "pass", or "violation: <property>", or "missing: <sometimes property>".
    pub verdict: String,
    pub expected: String,
    pub unique_states: usize,
    pub states: usize,
    pub max_depth: usize,
    pub elapsed: Duration,
    /// The counterexample, rendered (empty on a pass).
    pub trace: String,
    /// The number of actions in the counterexample.
    pub trace_len: usize,
    /// The counterexample itself.
    pub counterexample: Option<Path<State, Action>>,
}

impl Outcome {
    pub fn as_expected(&self) -> bool {
        self.verdict == self.expected
    }
}

fn expect_text(e: &Expect) -> String {
    match e {
        Expect::Pass => "pass".into(),
        Expect::Violation(p) => format!("violation: {p}"),
    }
}

/// Run the check a config describes.
pub fn run(cfg: ModelCfg, opts: &CheckOptions) -> Outcome {
    let name = cfg.name.clone();
    let expected = expect_text(&cfg.expect);
    let strategy = opts.strategy.unwrap_or(cfg.strategy);
    let stop_at_first = matches!(cfg.expect, Expect::Violation(_));
    let model = cfg.into_model();
    if strategy == Strategy::Bfs {
        let started = Instant::now();
        let (violation, stats) = shortest_violation(&model, opts.progress);
        let (verdict, trace, trace_len, counterexample) = describe(&model, violation);
        return Outcome {
            counterexample,
            name,
            verdict,
            expected,
            unique_states: stats.unique_states,
            states: stats.states,
            max_depth: stats.max_depth,
            elapsed: started.elapsed(),
            trace,
            trace_len,
        };
    }
    let mut builder: CheckerBuilder<FenceModel> = model.checker();
    if stop_at_first {
        builder = builder.finish_when(HasDiscoveries::AnyFailures);
    }
    let started = Instant::now();
    // A run that expects a violation uses one thread, so the counterexample
    // it finds (and then minimizes) is the same on every run.
    let threads = if stop_at_first {
        1
    } else {
        opts.threads.max(1)
    };
    let checker = builder.threads(threads).spawn_dfs();
    let mut last = (Instant::now(), 0usize);
    while !checker.is_done() {
        std::thread::sleep(Duration::from_millis(50));
        if let Some(every) = opts.progress {
            if last.0.elapsed() >= every {
                let unique = checker.unique_state_count();
                let rate = (unique - last.1) as f64 / last.0.elapsed().as_secs_f64();
                eprintln!(
                    "  {:>7.1}s  states {:>11}  unique {:>11}  {:>9.0} unique/s  depth {}",
                    started.elapsed().as_secs_f64(),
                    checker.state_count(),
                    unique,
                    rate,
                    checker.max_depth()
                );
                last = (Instant::now(), unique);
            }
        }
    }
    // `is_done` turns true once every worker has stopped; `join` collects them.
    let elapsed = started.elapsed();
    let model = checker.model();
    let discoveries = checker.discoveries();
    let mut violation = None;
    {
        for p in model.properties() {
            if p.expectation == Expectation::Always {
                if let Some(path) = discoveries.get(p.name) {
                    violation = Some((p.name, path.clone()));
                    break;
                }
            }
        }
    }
    let (verdict, trace, trace_len, counterexample) = match violation {
        Some((prop, path)) => describe(model, Some((prop, minimize(model, path)))),
        None => {
            let missing: Vec<_> = model
                .properties()
                .iter()
                .filter(|p| {
                    p.expectation == Expectation::Sometimes && !discoveries.contains_key(p.name)
                })
                .map(|p| p.name)
                .collect();
            if missing.is_empty() || stop_at_first {
                ("pass".to_string(), String::new(), 0, None)
            } else {
                (
                    format!("missing: {}", missing.join(", ")),
                    String::new(),
                    0,
                    None,
                )
            }
        }
    };
    Outcome {
        counterexample,
        name,
        verdict,
        expected,
        unique_states: checker.unique_state_count(),
        states: checker.state_count(),
        max_depth: checker.max_depth(),
        elapsed,
        trace,
        trace_len,
    }
}

fn who(model: &FenceModel, id: Id) -> String {
    let i = usize::from(id);
    if i < model.cfg.nodes {
        format!("n{i}")
    } else {
        format!("c{}", i - model.cfg.nodes)
    }
}

fn show_reply(r: &Reply) -> String {
    match r {
        Reply::Bulk(b) => format!("{:?}", String::from_utf8_lossy(b)),
        Reply::Nil => "nil".into(),
        Reply::Status(s) => s.clone(),
        Reply::Integer(n) => format!("(integer) {n}"),
        Reply::Error(e) => format!("error {e:?}"),
        other => format!("{other:?}"),
    }
}

/// One message, briefly.
pub fn show_msg(model: &FenceModel, msg: &Msg) -> String {
    match msg {
        Msg::Request { req, cmd, .. } => format!("Request#{req} {}", show_cmd(cmd)),
        Msg::Forwarded {
            client, req, cmd, ..
        } => format!("Forwarded {}#{req} {}", who(model, *client), show_cmd(cmd)),
        Msg::InstallSnapshot {
            term,
            snapshot,
            leader_commit,
            round,
        } => format!(
            "InstallSnapshot term={term} last={}@t{} keys={} commit={leader_commit} round={round}",
            snapshot.index,
            snapshot.term,
            snapshot.data.len()
        ),
        Msg::Reply { req, reply } => format!("Reply#{req} {}", show_reply(reply)),
        Msg::Redirect { req, leader } => format!(
            "Redirect#{req} leader={}",
            leader.map(|l| who(model, l)).unwrap_or_else(|| "?".into())
        ),
        Msg::Uncertain { req } => format!("Uncertain#{req}"),
        Msg::Tick { now_ms } => format!("Tick {now_ms}"),
        Msg::RequestVote { term, last_log_index, last_log_term } => {
            format!("RequestVote term={term} last={last_log_index}@t{last_log_term}")
        }
        Msg::Vote { term, granted } => format!("Vote term={term} granted={granted}"),
        Msg::AppendEntries { term, prev_index, prev_term, entries, leader_commit, round } => format!(
            "AppendEntries term={term} prev={prev_index}@t{prev_term} entries=[{}] commit={leader_commit} round={round}",
            entries
                .iter()
                .map(|e| format!("t{}:{}", e.term, show_payload(&e.payload)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Msg::AppendResult { term, success, match_index, round } => {
            format!("AppendResult term={term} ok={success} match={match_index} round={round}")
        }
    }
}

fn show_cmd(cmd: &crate::cmd::Command) -> String {
    if let crate::cmd::Op::Eval {
        script: crate::cmd::scripting::ScriptRef::Body(body),
        ..
    } = &cmd.op
    {
        return format!("EVAL {:?}", String::from_utf8_lossy(body));
    }
    let mut s = format!("{cmd:?}");
    s.retain(|c| c != '\n');
    s
}

fn show_payload(p: &crate::raft::Payload) -> String {
    match p {
        crate::raft::Payload::Noop => "noop".into(),
        crate::raft::Payload::Command { cmd, .. } => show_cmd(cmd),
        crate::raft::Payload::Expire { keys, .. } => format!("expire {keys:?}"),
        crate::raft::Payload::Txn {
            start_ts,
            read_set,
            write_set,
            ..
        } => {
            let keys = |ks: &mut dyn Iterator<Item = &bytes::Bytes>| {
                ks.map(|k| String::from_utf8_lossy(k).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            format!(
                "txn start_ts={start_ts} reads=[{}] writes=[{}]",
                keys(&mut read_set.iter()),
                keys(&mut write_set.iter().map(|(k, _)| k))
            )
        }
    }
}

fn roles(model: &FenceModel, s: &State) -> String {
    s.actor_states
        .iter()
        .enumerate()
        .filter_map(|(i, st)| match &**st {
            ModelState::Node(n) => Some(format!(
                "{}{}:{}(t{},c{},a{})",
                who(model, Id::from(i)),
                if s.crashed.get(i).copied().unwrap_or(false) {
                    "✝"
                } else {
                    ""
                },
                match n.role {
                    Role::Leader => "L",
                    Role::Candidate => "C",
                    Role::Follower => "F",
                },
                n.term(),
                n.commit_index,
                n.applied
            )),
            ModelState::Client(_) => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The counterexample as numbered steps: who did what, who believed it led
/// (L/C/F with term, commit and applied index after the step), what was read.
pub fn render_trace(model: &FenceModel, path: &Path<State, Action>) -> String {
    let mut out = String::new();
    let steps = path.clone().into_vec();
    let _ = writeln!(
        out,
        "   0. init                                   {}",
        roles(model, &steps[0].0)
    );
    for (i, w) in steps.windows(2).enumerate() {
        let Some(action) = &w[0].1 else { continue };
        let what = match action {
            ActorModelAction::Deliver { src, dst, msg } => {
                format!(
                    "{} → {}: {}",
                    who(model, *src),
                    who(model, *dst),
                    show_msg(model, msg)
                )
            }
            ActorModelAction::Timeout(id, t) => format!("{} timeout {t:?}", who(model, *id)),
            ActorModelAction::Drop(env) => format!(
                "network drops {} → {}: {}",
                who(model, env.src),
                who(model, env.dst),
                show_msg(model, &env.msg)
            ),
            ActorModelAction::Crash(id) => format!("{} crashes", who(model, *id)),
            ActorModelAction::Recover(id) => {
                format!("{} recovers from its storage", who(model, *id))
            }
            ActorModelAction::SelectRandom { .. } => "random choice".into(),
        };
        let _ = writeln!(
            out,
            "{:>4}. {what}\n        {}",
            i + 1,
            roles(model, &w[1].0)
        );
    }
    let last = path.last_state();
    if let Some(h) = last.history.tester.serialized_history() {
        let _ = writeln!(out, "history (linearizable): {h:?}");
    } else {
        let _ = writeln!(out, "history (NOT linearizable): {:?}", last.history.tester);
    }
    out
}

/// The verdict, rendered trace, its length and the path of a violation.
fn describe(
    model: &FenceModel,
    violation: Option<Violation>,
) -> (String, String, usize, Option<Path<State, Action>>) {
    match violation {
        Some((prop, path)) => {
            let len = path.clone().into_actions().len();
            (
                format!("violation: {prop}"),
                render_trace(model, &path),
                len,
                Some(path),
            )
        }
        None => ("pass".to_string(), String::new(), 0, None),
    }
}

/// Print an outcome the way `fencekv check` does.
pub fn report(o: &Outcome) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} (expected {}) — {} unique states, {} states, depth {}, {:.2}s",
        o.name,
        o.verdict,
        o.expected,
        o.unique_states,
        o.states,
        o.max_depth,
        o.elapsed.as_secs_f64()
    );
    if !o.trace.is_empty() {
        let _ = writeln!(s, "counterexample ({} steps):\n{}", o.trace_len, o.trace);
    }
    s
}

/// Random walks: `runs` walks of at most `max_depth` steps from the initial
/// state, each step an action chosen uniformly (seeded, so the same walks
/// every run), stopping at the first state that violates an `always`
/// property. Our own loop rather than stateright 0.31's simulation checker,
/// which cannot rebuild a walk that tried an action that changed nothing (it
/// records the index into a shrunken list, then replays it against the full
/// one).
pub fn simulate(cfg: ModelCfg, seed: u64, runs: usize, max_depth: usize) -> Outcome {
    let name = cfg.name.clone();
    let expected = expect_text(&cfg.expect);
    let model = cfg.into_model();
    let started = Instant::now();
    let always: Vec<_> = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation == Expectation::Always)
        .collect();
    let mut rng =
        crate::server::runtime::XorShift::seeded(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut seen = std::collections::HashSet::new();
    let (mut states, mut deepest) = (0usize, 0usize);
    let mut violation = None;
    let inits = model.init_states();
    'runs: for _ in 0..runs {
        let Some(init) = inits.first().cloned() else {
            break;
        };
        let mut state = init.clone();
        let mut path: Vec<Action> = Vec::new();
        for depth in 0..=max_depth {
            states += 1;
            seen.insert(fingerprint(&state));
            deepest = deepest.max(depth);
            if let Some(p) = always.iter().find(|p| !(p.condition)(&model, &state)) {
                violation =
                    Path::from_actions(&model, init, path.iter()).map(|path| (p.name, path));
                break 'runs;
            }
            if depth == max_depth {
                break;
            }
            let mut actions = Vec::new();
            model.actions(&state, &mut actions);
            // Try actions in a random order until one changes something.
            let mut next = None;
            while !actions.is_empty() {
                let action = actions.swap_remove(rng.below(actions.len() as u64) as usize);
                if let Some(n) = model.next_state(&state, action.clone()) {
                    if Model::within_boundary(&model, &n) {
                        next = Some((action, n));
                        break;
                    }
                }
            }
            let Some((action, n)) = next else { break };
            path.push(action);
            state = n;
        }
    }
    let (verdict, trace, trace_len, counterexample) = describe(&model, violation);
    Outcome {
        counterexample,
        name,
        verdict,
        expected,
        unique_states: seen.len(),
        states,
        max_depth: deepest,
        elapsed: started.elapsed(),
        trace,
        trace_len,
    }
}

/// Serve the stateright explorer for a config (blocks).
pub fn explore(cfg: ModelCfg, addr: &str) {
    let model = cfg.into_model();
    model.checker().serve(addr);
}

/// The message kind's name, as schedules write it (`AppendEntries`, `Vote`…).
fn msg_kind(msg: &Msg) -> &'static str {
    match msg {
        Msg::Request { .. } => "Request",
        Msg::Forwarded { .. } => "Forwarded",
        Msg::InstallSnapshot { .. } => "InstallSnapshot",
        Msg::Reply { .. } => "Reply",
        Msg::Redirect { .. } => "Redirect",
        Msg::Uncertain { .. } => "Uncertain",
        Msg::Tick { .. } => "Tick",
        Msg::RequestVote { .. } => "RequestVote",
        Msg::Vote { .. } => "Vote",
        Msg::AppendEntries { .. } => "AppendEntries",
        Msg::AppendResult { .. } => "AppendResult",
    }
}

/// Follow a hand-written schedule from the initial state, one step per line:
/// `n0 timeout Election`, `n0 timeout Apply`, or `n1 <- n0 RequestVote`
/// (deliver the first enabled message of that kind from n0 to n1, in message
/// order; add `newest` for the last: clients are `c0`, `c1`, …). Each step must be enabled where it is taken: a
/// schedule is a claim that the model can do this, checked step by step.
pub fn replay_schedule(
    model: &FenceModel,
    schedule: &[&str],
) -> Result<Path<State, Action>, String> {
    let parse_id = |s: &str| -> Result<Id, String> {
        let (kind, n) = s.split_at(1);
        let n: usize = n.parse().map_err(|_| format!("bad actor {s:?}"))?;
        match kind {
            "n" => Ok(Id::from(n)),
            "c" => Ok(Id::from(model.cfg.nodes + n)),
            _ => Err(format!("bad actor {s:?}")),
        }
    };
    let init = model
        .init_states()
        .into_iter()
        .next()
        .ok_or("the model has no initial state")?;
    let mut state = init.clone();
    let mut actions = Vec::new();
    for (i, line) in schedule.iter().enumerate() {
        let w: Vec<&str> = line.split_whitespace().collect();
        let mut enabled = Vec::new();
        model.actions(&state, &mut enabled);
        let found = match w.as_slice() {
            [who, "timeout", timer] => {
                let id = parse_id(who)?;
                enabled.into_iter().find(|a| {
                    matches!(a, ActorModelAction::Timeout(t, tm) if *t == id && format!("{tm:?}") == *timer)
                })
            }
            [dst, "<-", src, kind, rest @ ..] => {
                let (src, dst) = (parse_id(src)?, parse_id(dst)?);
                let mut matching = enabled.into_iter().filter(|a| {
                    matches!(a, ActorModelAction::Deliver { src: s, dst: d, msg } if *s == src && *d == dst && msg_kind(msg) == *kind)
                });
                match rest {
                    [] => matching.next(),
                    // On an unordered network several such messages may be in
                    // flight; they order by content, so the greatest is the
                    // newest (higher request number, longer log, later round).
                    ["newest"] => matching.last(),
                    _ => return Err(format!("step {}: cannot parse {line:?}", i + 1)),
                }
            }
            _ => return Err(format!("step {}: cannot parse {line:?}", i + 1)),
        };
        let action = found.ok_or_else(|| format!("step {}: {line:?} is not enabled", i + 1))?;
        state = model
            .next_state(&state, action.clone())
            .ok_or_else(|| format!("step {}: {line:?} changes nothing", i + 1))?;
        actions.push(action);
    }
    Path::from_actions(model, init, actions.iter())
        .ok_or_else(|| "the schedule does not replay".into())
}

/// The `always` properties the last state of `path` violates.
pub fn violated(model: &FenceModel, path: &Path<State, Action>) -> Vec<&'static str> {
    model
        .properties()
        .into_iter()
        .filter(|p| {
            p.expectation == Expectation::Always && !(p.condition)(model, path.last_state())
        })
        .map(|p| p.name)
        .collect()
}

/// The explorer's address for a path: the initial state's index, then the
/// index of each action among the actions enabled where it is taken
/// (`/.states/0/4/1/…`).
pub fn explorer_path(model: &FenceModel, path: &Path<State, Action>) -> String {
    let mut url = String::from("/.states/0");
    let steps = path.clone().into_vec();
    for (state, action) in steps {
        let Some(action) = action else { break };
        let mut enabled = Vec::new();
        model.actions(&state, &mut enabled);
        if let Some(i) = enabled.iter().position(|a| *a == action) {
            let _ = write!(url, "/{i}");
        }
    }
    url
}
