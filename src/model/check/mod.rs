//! Running a check: progress, the verdict, and a readable counterexample.
//!
//! A `bfs` run searches for a shortest violation itself ([`search`]); a `dfs`
//! run uses stateright's checker and then shrinks what it finds
//! ([`minimize`]). [`trace`] renders the counterexample; [`simulate`],
//! [`explore`] and [`schedule`] are the other ways to walk the model.

pub mod explore;
pub mod minimize;
pub mod progress;
pub mod schedule;
pub mod search;
pub mod simulate;
pub mod trace;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use stateright::actor::ActorModelAction;
use stateright::{Checker, CheckerBuilder, Expectation, HasDiscoveries, Model, Path};

use super::config::{Expect, Strategy};
use super::{Model as FenceModel, ModelCfg, State};
pub use explore::{explore, explorer_path};
pub use minimize::{is_one_minimal, minimize};
pub use progress::Stop;
pub use schedule::{replay_schedule, violated};
pub use search::{shortest_violation, SearchStats, Violation};
pub use simulate::simulate;
pub use trace::{render_trace, show_msg};

type Action = ActorModelAction<crate::node::Msg, crate::node::Timer, ()>;

/// How to run a check.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub strategy: Option<Strategy>,
    pub threads: usize,
    /// Print progress lines every this often (None: quiet).
    pub progress: Option<Duration>,
    /// Stop, with an incomplete verdict, at this many unique states.
    pub max_states: Option<usize>,
    /// Stop, with an incomplete verdict, after running this long.
    pub timeout: Option<Duration>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            strategy: None,
            threads: 1,
            progress: None,
            max_states: None,
            timeout: None,
        }
    }
}

/// The outcome of a check.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub name: String,
    /// "pass", or "violation: <property>", or "missing: <sometimes property>",
    /// or "incomplete: …" when a limit stopped the run (see `stopped`).
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
    /// Set when a limit stopped the run before a verdict: no pass is claimed.
    /// (A violation found before the limit is a verdict, and leaves this None.)
    pub stopped: Option<Stop>,
}

impl Outcome {
    pub fn as_expected(&self) -> bool {
        self.verdict == self.expected
    }

    /// Whether the verdict is one: the run finished or found a violation.
    pub fn is_complete(&self) -> bool {
        self.stopped.is_none()
    }
}

fn expect_text(e: &Expect) -> String {
    match e {
        Expect::Pass => "pass".into(),
        Expect::Violation(p) => format!("violation: {p}"),
    }
}

/// Why `fencekv check` will not run `cfg` as asked, if it will not: a config
/// meant for random walks, with no strategy forced.
pub fn refusal(cfg: &ModelCfg, opts: &CheckOptions) -> Option<String> {
    (cfg.strategy == Strategy::Simulate && opts.strategy.is_none()).then(|| {
        format!(
            "{} is for random walks (strategy = \"simulate\"): its state space is too \
             large to exhaust. Run `fencekv simulate` on it, or force an exhaustive run \
             with --bfs or --dfs.",
            cfg.name
        )
    })
}

/// Run the check a config describes.
pub fn run(cfg: ModelCfg, opts: &CheckOptions) -> Outcome {
    let name = cfg.name.clone();
    let expected = expect_text(&cfg.expect);
    let strategy = opts.strategy.unwrap_or(cfg.strategy);
    let stop_at_first = matches!(cfg.expect, Expect::Violation(_));
    let model = cfg.into_model();
    let started = Instant::now();
    let limits = progress::Limits {
        max_states: opts.max_states,
        timeout: opts.timeout,
        started: Some(started),
    };
    if strategy == Strategy::Bfs {
        let (violation, stats) = search::search(&model, opts.progress, limits);
        let elapsed = started.elapsed();
        let (mut verdict, trace, trace_len, counterexample) = describe(&model, violation);
        if let Some(stop) = &stats.stopped {
            verdict = progress::incomplete_verdict(stop, stats.unique_states, elapsed);
        }
        return Outcome {
            counterexample,
            name,
            verdict,
            expected,
            unique_states: stats.unique_states,
            states: stats.states,
            max_depth: stats.max_depth,
            elapsed,
            trace,
            trace_len,
            stopped: stats.stopped,
        };
    }
    // Kept to read the result once the checker is gone: a stopped checker
    // is dropped before the counterexample is minimized (see below).
    let model_after = model.clone();
    let mut builder: CheckerBuilder<FenceModel> = model.checker();
    if stop_at_first {
        builder = builder.finish_when(HasDiscoveries::AnyFailures);
    }
    // A run that expects a violation uses one thread, so the counterexample
    // it finds (and then minimizes) is the same on every run.
    let threads = if stop_at_first {
        1
    } else {
        opts.threads.max(1)
    };
    // The limits are ours, not the builder's: its `target_state_count`
    // counts every state generated, not unique ones, and its `timeout` only
    // closes the job market, which a lone worker never looks at again.
    let checker = builder.threads(threads).spawn_dfs();
    let mut rate = progress::Rate::new();
    let mut stopped = None;
    while !checker.is_done() {
        // Often, so a --max-states stop lands close to the limit.
        std::thread::sleep(Duration::from_millis(10));
        if let Some(stop) = limits.reached(checker.unique_state_count()) {
            if !checker.is_done() {
                stopped = Some(stop);
                break;
            }
        }
        if let Some(every) = opts.progress {
            if rate.due(every) {
                let unique = checker.unique_state_count();
                // stateright 0.31's checker exposes no size of its DFS
                // stacks (they are private to the workers), so no queue.
                progress::Line {
                    elapsed: started.elapsed(),
                    states: checker.state_count(),
                    unique,
                    rate: rate.tick(unique),
                    depth: checker.max_depth(),
                    queue: None,
                    tail: String::new(),
                }
                .print();
            }
        }
    }
    // `is_done` turns true once every worker has stopped.
    let elapsed = started.elapsed();
    let (unique_states, states, max_depth) = (
        checker.unique_state_count(),
        checker.state_count(),
        checker.max_depth(),
    );
    let discoveries = checker.discoveries();
    if stopped.is_some() {
        // Dropping the checker closes its job market: with several workers
        // each stops at its next share of work. A lone worker (runs that
        // expect a violation) only notices when its stack is empty, so it
        // runs on in the background; `fencekv check` exits right after.
        drop(checker);
    }
    let model = &model_after;
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
    if violation.is_some() {
        // A violation found before the limit is the verdict.
        stopped = None;
    }
    let (verdict, trace, trace_len, counterexample) = match (violation, &stopped) {
        (Some((prop, path)), _) => describe(model, Some((prop, minimize(model, path)))),
        (None, Some(stop)) => (
            progress::incomplete_verdict(stop, unique_states, elapsed),
            String::new(),
            0,
            None,
        ),
        (None, None) => {
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
        unique_states,
        states,
        max_depth,
        elapsed,
        trace,
        trace_len,
        stopped,
    }
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
                render_trace(model, &model.with_fixed_names(&path)),
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
