//! The `fencekv` command line.
//!
//! One subcommand per way of running the node state machine: `serve` runs the
//! real server; the model checker's `check`, `simulate` and `explore` (and a
//! multi-node `cluster`) join the [`Cmd`] enum as they are written.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::de::DeserializeOwned;

use fencekv::modes::{
    ApplyWait, ExpiredShadow, LegacyOrder, Modes, ReadFence, ReadSetValidation, StartTs, TermCommit,
};
use fencekv::server::storage::AppendFsync;
use fencekv::server::{serve, ServeOptions};

#[derive(Parser)]
#[command(name = "fencekv", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a single-node server speaking RESP (redis-cli, redis-benchmark and
    /// Redis client libraries work against it).
    Serve(ServeArgs),
    /// Model-check one configuration (`model/*.toml`) exhaustively; exits
    /// non-zero when the verdict differs from the file's `expect`.
    Check(CheckArgs),
    /// Random walks on a configuration too large to exhaust.
    Simulate(SimulateArgs),
    /// Serve the stateright explorer for a configuration.
    Explore(ExploreArgs),
}

#[derive(Args)]
struct CheckArgs {
    /// The configuration file, e.g. model/base.toml.
    file: std::path::PathBuf,
    /// Breadth-first, single-threaded: shortest, stable counterexamples.
    #[arg(long, conflicts_with = "dfs")]
    bfs: bool,
    /// Depth-first (the default for exhaustive passes).
    #[arg(long)]
    dfs: bool,
    /// Checker threads for DFS runs that expect a pass.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

#[derive(Args)]
struct SimulateArgs {
    file: std::path::PathBuf,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of random walks.
    #[arg(long, default_value_t = 1000)]
    runs: usize,
    /// Steps per walk at most.
    #[arg(long, default_value_t = 60)]
    depth: usize,
}

#[derive(Args)]
struct ExploreArgs {
    file: std::path::PathBuf,
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum FsyncArg {
    /// Every batch is on disk before its replies leave.
    Always,
    /// Batches become durable within about a second.
    Everysec,
    /// Durable only on graceful shutdown.
    No,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// TCP port for clients.
    #[arg(long, default_value_t = 6379)]
    port: u16,
    /// Directory for the durable log.
    #[arg(long, default_value = "./data")]
    dir: PathBuf,
    /// When the durable log reaches the disk (see `server::storage`).
    #[arg(long, value_enum, default_value = "everysec")]
    appendfsync: FsyncArg,
    /// Allow the FENCEKV.RAW* debugging commands.
    #[arg(long)]
    enable_debug_commands: bool,
    /// Log filter (tracing EnvFilter syntax), e.g. `info`, `fencekv=debug`.
    #[arg(long, default_value = "info")]
    log_level: String,

    /// UNSAFE: read fence mode: once | per-call | off.
    #[arg(long, value_name = "MODE", value_parser = mode::<ReadFence>)]
    unsafe_read_fence: Option<ReadFence>,
    /// UNSAFE: when reads take start_ts: after-fence | before-fence.
    #[arg(long, value_name = "MODE", value_parser = mode::<StartTs>)]
    unsafe_start_ts: Option<StartTs>,
    /// UNSAFE: whether reads wait for applied >= read_index: wait | skip.
    #[arg(long, value_name = "MODE", value_parser = mode::<ApplyWait>)]
    unsafe_apply_wait: Option<ApplyWait>,
    /// UNSAFE: whether reads wait for a current-term commit: required | skip.
    #[arg(long, value_name = "MODE", value_parser = mode::<TermCommit>)]
    unsafe_term_commit: Option<TermCommit>,
    /// UNSAFE: what script commits validate: read-and-write | write-only.
    #[arg(long, value_name = "MODE", value_parser = mode::<ReadSetValidation>)]
    unsafe_read_set_validation: Option<ReadSetValidation>,
    /// UNSAFE: read chain order: prefixed-first | bare-first.
    #[arg(long, value_name = "MODE", value_parser = mode::<LegacyOrder>)]
    unsafe_legacy_order: Option<LegacyOrder>,
    /// UNSAFE: expired prefixed keys: shadow | fall-back.
    #[arg(long, value_name = "MODE", value_parser = mode::<ExpiredShadow>)]
    unsafe_expired_shadow: Option<ExpiredShadow>,
}

/// Parse a mode by its kebab-case name, the same names the model's TOML
/// files use (the enums' serde names), so the two never drift apart.
fn mode<T: DeserializeOwned + Clone + Send + Sync + 'static>(s: &str) -> Result<T, String> {
    use serde::de::IntoDeserializer;
    let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> = s.into_deserializer();
    T::deserialize(de).map_err(|e| e.to_string())
}

impl ServeArgs {
    fn modes(&self) -> Modes {
        let mut m = Modes::default();
        if let Some(v) = self.unsafe_read_fence {
            m.read_fence = v;
        }
        if let Some(v) = self.unsafe_start_ts {
            m.start_ts = v;
        }
        if let Some(v) = self.unsafe_apply_wait {
            m.apply_wait = v;
        }
        if let Some(v) = self.unsafe_term_commit {
            m.term_commit = v;
        }
        if let Some(v) = self.unsafe_read_set_validation {
            m.read_set_validation = v;
        }
        if let Some(v) = self.unsafe_legacy_order {
            m.legacy_order = v;
        }
        if let Some(v) = self.unsafe_expired_shadow {
            m.expired_shadow = v;
        }
        m
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Serve(args) => run_serve(args),
        Cmd::Check(args) => run_check(args),
        Cmd::Simulate(args) => run_simulate(args),
        Cmd::Explore(args) => run_explore(args),
    }
}

fn load_model(file: &std::path::Path) -> Result<fencekv::model::ModelCfg, ExitCode> {
    fencekv::model::ModelCfg::from_file(file).map_err(|e| {
        eprintln!("fencekv: {e}");
        ExitCode::from(2)
    })
}

fn run_check(args: CheckArgs) -> ExitCode {
    use fencekv::model::check::{report, run, CheckOptions};
    use fencekv::model::config::Strategy;
    let cfg = match load_model(&args.file) {
        Ok(c) => c,
        Err(code) => return code,
    };
    eprintln!("checking {}: {}", cfg.name, cfg.description.trim());
    let strategy = if args.bfs {
        Some(Strategy::Bfs)
    } else if args.dfs {
        Some(Strategy::Dfs)
    } else {
        None
    };
    let opts = CheckOptions {
        strategy,
        threads: args.threads,
        progress: Some(std::time::Duration::from_secs(1)),
    };
    let outcome = run(cfg, &opts);
    print!("{}", report(&outcome));
    if outcome.as_expected() {
        ExitCode::SUCCESS
    } else {
        eprintln!("UNEXPECTED VERDICT: expected {}", outcome.expected);
        ExitCode::from(1)
    }
}

fn run_simulate(args: SimulateArgs) -> ExitCode {
    use fencekv::model::check::{report, simulate};
    let cfg = match load_model(&args.file) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let outcome = simulate(cfg, args.seed, args.runs, args.depth);
    print!("{}", report(&outcome));
    if outcome.verdict == "pass" {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn run_explore(args: ExploreArgs) -> ExitCode {
    let cfg = match load_model(&args.file) {
        Ok(c) => c,
        Err(code) => return code,
    };
    eprintln!("explorer for {} on http://{}", cfg.name, args.addr);
    fencekv::model::check::explore(cfg, &args.addr);
    ExitCode::SUCCESS
}

fn run_serve(args: ServeArgs) -> ExitCode {
    let filter = match tracing_subscriber::EnvFilter::try_new(&args.log_level) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fencekv: invalid --log-level {:?}: {e}", args.log_level);
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let modes = args.modes();
    let gaps = modes.gaps();
    if !gaps.is_empty() {
        eprintln!(
            "WARNING: UNSAFE MODES ENABLED: {}. This node deliberately breaks its safety \
             guarantees (stale reads, lost isolation) for demonstrations. Never use it for data \
             you care about.",
            gaps.join(", ")
        );
    }
    let opts = ServeOptions {
        bind: args.bind,
        port: args.port,
        dir: args.dir,
        appendfsync: match args.appendfsync {
            FsyncArg::Always => AppendFsync::Always,
            FsyncArg::Everysec => AppendFsync::Everysec,
            FsyncArg::No => AppendFsync::No,
        },
        debug_commands: args.enable_debug_commands,
        modes,
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("fencekv-io")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fencekv: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(serve(opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fencekv: error: {e}");
            ExitCode::FAILURE
        }
    }
}
