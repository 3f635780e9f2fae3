//! The `fencekv` command line.
//!
//! One subcommand per way of running the node state machine: `serve` runs the
//! real server, `cluster` a local cluster of them; `check`, `simulate` and
//! `explore` run the model checker.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::de::DeserializeOwned;

use fencekv::modes::{
    ApplyWait, CheckQuorum, CommitRule, ElectionRestriction, ExpiredShadow, LeaderNoop, LeaseStart,
    LegacyOrder, LogPersistence, Modes, PreVote, RangeReads, ReadFence, ReadMode,
    ReadSetValidation, StartTs, TermCommit, Truncation, VotePersistence, VoteStickiness, Watch,
};
use fencekv::server::peer_auth::PeerAuth;
use fencekv::server::storage::AppendFsync;
use fencekv::server::tls::{AuthClients, ClientTlsOptions, PeerTlsOptions};
use fencekv::server::{serve, ClusterOptions, ServeOptions};

#[derive(Parser)]
#[command(name = "fencekv", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a server speaking RESP (redis-cli, redis-benchmark and Redis client
    /// libraries work against it): a single node, or with `--id` and
    /// `--peers` one node of a cluster.
    Serve(Box<ServeArgs>),
    /// Start a local cluster of N nodes on loopback in one command (for trying
    /// it out); Ctrl-C stops every node.
    Cluster(ClusterArgs),
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
    /// Stop after this many unique states: the verdict is "incomplete"
    /// (exit code 3) unless a violation was found by then.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_states: Option<u64>,
    /// Stop after this many seconds (fractions allowed), like --max-states.
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    timeout: Option<std::time::Duration>,
}

/// A positive number of seconds, e.g. `60` or `0.5`.
fn seconds(s: &str) -> Result<std::time::Duration, String> {
    let secs: f64 = s.parse().map_err(|_| format!("{s:?}: expected seconds"))?;
    if !secs.is_finite() || secs <= 0.0 {
        return Err(format!("{s:?}: expected a positive number of seconds"));
    }
    std::time::Duration::try_from_secs_f64(secs).map_err(|e| format!("{s:?}: {e}"))
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

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum YesNo {
    Yes,
    No,
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
    /// TCP port for clients (0: no plain listener, as in Redis; then give
    /// --tls-port).
    #[arg(long, default_value_t = 6379)]
    port: u16,
    /// A second client port speaking TLS (`redis-cli --tls`, `rediss://`).
    #[arg(long, requires_all = ["tls_cert_file", "tls_key_file"])]
    tls_port: Option<u16>,
    /// The TLS port's certificate chain (PEM).
    #[arg(long, value_name = "FILE")]
    tls_cert_file: Option<PathBuf>,
    /// The TLS port's private key (PEM, unencrypted).
    #[arg(long, value_name = "FILE")]
    tls_key_file: Option<PathBuf>,
    /// CA certificates (PEM) that client certificates must be signed by.
    #[arg(long, value_name = "FILE")]
    tls_ca_cert_file: Option<PathBuf>,
    /// Whether TLS clients must present a certificate signed by
    /// --tls-ca-cert-file: yes (Redis's default; a client without one is
    /// refused) | optional (one presented must be valid) | no. With yes or
    /// optional, --tls-ca-cert-file is required, as in Redis.
    #[arg(long, value_name = "yes|no|optional", default_value = "yes", value_parser = AuthClients::parse)]
    tls_auth_clients: AuthClients,
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

    /// This node's id in the cluster (one of the ids in --peers).
    #[arg(long, requires = "peers")]
    id: Option<u64>,
    /// Every node's peer address, this one's included: `1=127.0.0.1:7001,2=…`.
    #[arg(long, requires = "id", value_parser = parse_peers)]
    peers: Option<std::collections::BTreeMap<u64, std::net::SocketAddr>>,
    /// Election timeout: a follower that hears nothing from a leader for a
    /// random time between this and twice this starts an election.
    #[arg(long, default_value_t = 300)]
    election_timeout_ms: u64,
    /// How often a leader sends heartbeats (well below the election timeout).
    #[arg(long, default_value_t = 50)]
    heartbeat_ms: u64,
    /// Hold every message to a peer this long (a fault hook for benchmarks
    /// and demos; 0 = none).
    #[arg(long, default_value_t = 0)]
    peer_delay_ms: u64,
    /// The largest peer frame accepted, in MiB: a longer one closes the
    /// connection before its body is read. Must exceed the largest
    /// legitimate frame (an InstallSnapshot carries the whole store).
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
    max_peer_frame_mb: u64,
    /// A file holding the cluster's shared secret (at least 16 bytes;
    /// trailing whitespace is not part of it). Every peer connection opens
    /// with a challenge–response over it (HMAC-SHA256 over fresh nonces),
    /// so a process without it cannot join, and binds the caller's id to
    /// the connection. Required with --peers unless --insecure-peers.
    #[arg(long, value_name = "FILE", conflicts_with = "insecure_peers")]
    cluster_secret_file: Option<PathBuf>,
    /// Run a cluster with no secret: anyone who reaches a peer port can
    /// join and speak as any node but this one. For a trusted network only.
    #[arg(long)]
    insecure_peers: bool,
    /// Mutual TLS on peer links: this node's certificate chain (PEM), which
    /// it presents both when it connects and when it accepts. It must carry
    /// the node's --peers IP as a subjectAltName: peers are verified for
    /// the IP they are addressed by. Needs --peer-tls-key and --peer-tls-ca.
    #[arg(long, value_name = "FILE", requires_all = ["peer_tls_key", "peer_tls_ca", "peers"])]
    peer_tls_cert: Option<PathBuf>,
    /// This node's private key for peer TLS (PEM, unencrypted).
    #[arg(long, value_name = "FILE", requires_all = ["peer_tls_cert", "peer_tls_ca"])]
    peer_tls_key: Option<PathBuf>,
    /// The CA (PEM) every peer's certificate must be signed by; a peer
    /// without one is refused.
    #[arg(long, value_name = "FILE", requires_all = ["peer_tls_cert", "peer_tls_key"])]
    peer_tls_ca: Option<PathBuf>,
    /// A request with no answer after this long (e.g. the leader it was
    /// forwarded to died, or no leader is elected) gets an error.
    #[arg(long, default_value_t = 5000)]
    request_timeout_ms: u64,
    /// Snapshot the state machine and drop the log it covers every this many
    /// applied entries, or every half as many as the store has keys if that
    /// is more, so a large store does not snapshot all the time (0: never).
    /// A follower that fell further behind is sent the snapshot.
    #[arg(long, default_value_t = 10_000)]
    compact_after: u64,
    /// Past this many milliseconds a running script makes the server busy,
    /// as Redis's busy-reply-threshold: other clients get BUSY until it ends
    /// or SCRIPT KILL stops it (a killed script writes nothing). The node's
    /// thread runs the script meanwhile, so on a cluster the followers may
    /// elect another leader; the script is then answered as when its leader
    /// is lost (spec SC-7).
    #[arg(long, default_value_t = 5000)]
    lua_time_limit: u64,
    /// Run a script again this many times when its commit conflicts with a
    /// concurrent write, then answer TRYAGAIN.
    #[arg(long, default_value_t = 8)]
    script_retries: u32,
    /// The default user's password, as Redis's requirepass: a new
    /// connection must AUTH (or HELLO … AUTH) before any other command.
    /// Empty: no password. CONFIG SET requirepass changes it on this node.
    #[arg(long, default_value = "")]
    requirepass: String,
    /// How many clients may be connected at once; one more is answered
    /// `-ERR max number of clients reached` and closed, as in Redis.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=u64::from(u32::MAX)))]
    maxclients: u64,
    /// As Redis's protected-mode: while no password is set, clients from
    /// anywhere but the loopback interface are refused with Redis's DENIED
    /// error. CONFIG SET protected-mode changes it on this node.
    #[arg(long, value_enum, default_value = "yes")]
    protected_mode: YesNo,
    /// A client whose unparsed input exceeds this many bytes (units b, kb,
    /// mb, gb, …; at least 1mb) is closed, as Redis's
    /// client-query-buffer-limit. CONFIG SET changes it.
    #[arg(long, default_value = "1gb", value_parser = query_buffer_limit)]
    client_query_buffer_limit: u64,
    /// `normal <hard> <soft> <soft-seconds>`, as Redis's
    /// client-output-buffer-limit: a client whose unread replies exceed
    /// the hard limit, or the soft one for longer than soft-seconds, is
    /// closed (0: no limit; Redis's default `normal 0 0 0`). CONFIG SET
    /// changes it.
    #[arg(long, default_value = "normal 0 0 0", value_parser = output_buffer_limit)]
    client_output_buffer_limit: String,
    /// Close a client idle for this many seconds (0: never), as Redis's
    /// timeout. CONFIG SET changes it.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=i32::MAX as u64))]
    timeout: u64,

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
    /// UNSAFE: whether script commits validate scanned ranges: validated | point-only.
    #[arg(long, value_name = "MODE", value_parser = mode::<RangeReads>)]
    unsafe_range_reads: Option<RangeReads>,
    /// UNSAFE: whether EXEC honours WATCH: validated | ignored.
    #[arg(long, value_name = "MODE", value_parser = mode::<Watch>)]
    unsafe_watch: Option<Watch>,
    /// UNSAFE: read chain order: prefixed-first | bare-first.
    #[arg(long, value_name = "MODE", value_parser = mode::<LegacyOrder>)]
    unsafe_legacy_order: Option<LegacyOrder>,
    /// UNSAFE: expired prefixed keys: shadow | fall-back.
    #[arg(long, value_name = "MODE", value_parser = mode::<ExpiredShadow>)]
    unsafe_expired_shadow: Option<ExpiredShadow>,
    /// UNSAFE: votes on disk before they are sent: before-reply | skip.
    #[arg(long, value_name = "MODE", value_parser = mode::<VotePersistence>)]
    unsafe_vote_persistence: Option<VotePersistence>,
    /// UNSAFE: entries on disk before they are acknowledged: before-ack | skip.
    #[arg(long, value_name = "MODE", value_parser = mode::<LogPersistence>)]
    unsafe_log_persistence: Option<LogPersistence>,
    /// UNSAFE: votes only for an up-to-date log: up-to-date | off.
    #[arg(long, value_name = "MODE", value_parser = mode::<ElectionRestriction>)]
    unsafe_election_restriction: Option<ElectionRestriction>,
    /// UNSAFE: when a follower truncates its log: on-conflict | always.
    #[arg(long, value_name = "MODE", value_parser = mode::<Truncation>)]
    unsafe_truncation: Option<Truncation>,
    /// UNSAFE: which entries a leader commits by counting: current-term | any-term.
    #[arg(long, value_name = "MODE", value_parser = mode::<CommitRule>)]
    unsafe_commit_rule: Option<CommitRule>,
    /// Whether a new leader appends a no-op at once: on | off (safe either way).
    #[arg(long, value_name = "MODE", value_parser = mode::<LeaderNoop>)]
    leader_noop: Option<LeaderNoop>,
    /// PreVote before elections (thesis §9.6): on | off (safe either way).
    #[arg(long, value_name = "MODE", value_parser = mode::<PreVote>)]
    pre_vote: Option<PreVote>,
    /// A leader that hears from no majority steps down: on | off (safe either way).
    #[arg(long, value_name = "MODE", value_parser = mode::<CheckQuorum>)]
    check_quorum: Option<CheckQuorum>,
    /// How a leader confirms it leads before a read or script: fence (a
    /// heartbeat round per read batch) | lease (no round while a majority
    /// acknowledged a round sent less than the lease ago; safe only while
    /// clocks drift within --max-clock-drift) | follower (followers serve
    /// reads and *_RO scripts with a read index from the leader).
    #[arg(long, value_name = "MODE", value_parser = mode::<ReadMode>)]
    read_mode: Option<ReadMode>,
    /// Lease mode: how much two nodes' clock rates may differ, as a fraction.
    /// The lease is election-timeout-ms × (1 − this) − --lease-margin-ms.
    #[arg(long, default_value_t = 0.01)]
    max_clock_drift: f64,
    /// Lease mode: taken off the lease besides the drift (scheduling, GC
    /// pauses the drift bound does not cover).
    #[arg(long, default_value_t = 10)]
    lease_margin_ms: u64,
    /// UNSAFE (lease mode): from when a lease counts: sent | ack-receipt.
    #[arg(long, value_name = "MODE", value_parser = mode::<LeaseStart>)]
    unsafe_lease_start: Option<LeaseStart>,
    /// UNSAFE (lease mode): followers refuse votes while they hear from a
    /// leader: on | off.
    #[arg(long, value_name = "MODE", value_parser = mode::<VoteStickiness>)]
    unsafe_vote_stickiness: Option<VoteStickiness>,
}

fn query_buffer_limit(s: &str) -> Result<u64, String> {
    use fencekv::server::config::{memtoull, MIN_QUERY_BUFFER_LIMIT};
    match memtoull(s.as_bytes()) {
        Some(n) if (MIN_QUERY_BUFFER_LIMIT..=i64::MAX as u64).contains(&n) => Ok(n),
        Some(_) => Err(format!("must be at least {MIN_QUERY_BUFFER_LIMIT} (1mb)")),
        None => Err(format!("{s:?}: expected a size such as 1gb")),
    }
}

fn output_buffer_limit(s: &str) -> Result<String, String> {
    fencekv::server::config::parse_output_limits(s).map_err(str::to_string)?;
    Ok(s.to_string())
}

fn parse_peers(s: &str) -> Result<std::collections::BTreeMap<u64, std::net::SocketAddr>, String> {
    let mut peers = std::collections::BTreeMap::new();
    for part in s.split(',').filter(|p| !p.is_empty()) {
        let (id, addr) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?}: expected ID=HOST:PORT"))?;
        let id: u64 = id
            .trim()
            .parse()
            .map_err(|_| format!("{part:?}: the id must be a number"))?;
        let addr = addr
            .trim()
            .parse()
            .map_err(|e| format!("{part:?}: bad address: {e}"))?;
        if peers.insert(id, addr).is_some() {
            return Err(format!("node id {id} is listed twice"));
        }
    }
    if peers.is_empty() {
        return Err("no peers given".into());
    }
    Ok(peers)
}

#[derive(Args)]
struct ClusterArgs {
    /// Number of nodes.
    #[arg(long, default_value_t = 3)]
    nodes: u64,
    /// Client port of node 1; node i listens on port + i - 1.
    #[arg(long, default_value_t = 6379)]
    port: u16,
    /// Peer port of node 1; node i uses peer_port + i - 1.
    #[arg(long, default_value_t = 7001)]
    peer_port: u16,
    /// Node i keeps its data in DIR/node<i>.
    #[arg(long, default_value = "./cluster-data")]
    dir: PathBuf,
    /// Passed on to every node (e.g. `--appendfsync always`).
    #[arg(last = true)]
    extra: Vec<String>,
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
        let d = Modes::default();
        Modes {
            read_fence: self.unsafe_read_fence.unwrap_or(d.read_fence),
            start_ts: self.unsafe_start_ts.unwrap_or(d.start_ts),
            apply_wait: self.unsafe_apply_wait.unwrap_or(d.apply_wait),
            term_commit: self.unsafe_term_commit.unwrap_or(d.term_commit),
            dedup: d.dedup,
            read_set_validation: self
                .unsafe_read_set_validation
                .unwrap_or(d.read_set_validation),
            range_reads: self.unsafe_range_reads.unwrap_or(d.range_reads),
            watch: self.unsafe_watch.unwrap_or(d.watch),
            legacy_order: self.unsafe_legacy_order.unwrap_or(d.legacy_order),
            expired_shadow: self.unsafe_expired_shadow.unwrap_or(d.expired_shadow),
            vote_persistence: self.unsafe_vote_persistence.unwrap_or(d.vote_persistence),
            log_persistence: self.unsafe_log_persistence.unwrap_or(d.log_persistence),
            election_restriction: self
                .unsafe_election_restriction
                .unwrap_or(d.election_restriction),
            truncation: self.unsafe_truncation.unwrap_or(d.truncation),
            commit_rule: self.unsafe_commit_rule.unwrap_or(d.commit_rule),
            leader_noop: self.leader_noop.unwrap_or(d.leader_noop),
            pre_vote: self.pre_vote.unwrap_or(d.pre_vote),
            check_quorum: self.check_quorum.unwrap_or(d.check_quorum),
            read_mode: self.read_mode.unwrap_or(d.read_mode),
            lease_start: self.unsafe_lease_start.unwrap_or(d.lease_start),
            vote_stickiness: self.unsafe_vote_stickiness.unwrap_or(d.vote_stickiness),
        }
    }
}

// The checker allocates and frees a state per step, and the server a buffer
// per request: mimalloc measured faster than glibc's malloc for both (README).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Serve(args) => run_serve(*args),
        Cmd::Cluster(args) => run_cluster(args),
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
    use fencekv::model::check::{refusal, report, run, CheckOptions};
    use fencekv::model::config::Strategy;
    let cfg = match load_model(&args.file) {
        Ok(c) => c,
        Err(code) => return code,
    };
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
        max_states: args
            .max_states
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        timeout: args.timeout,
    };
    if let Some(why) = refusal(&cfg, &opts) {
        eprintln!("fencekv: {why}");
        return ExitCode::from(2);
    }
    eprintln!("checking {}: {}", cfg.name, cfg.description.trim());
    let model = cfg.clone().into_model();
    let outcome = run(cfg, &opts);
    print!("{}", report(&outcome));
    if let Some(path) = &outcome.counterexample {
        println!(
            "see it in the explorer: fencekv explore {} --addr 127.0.0.1:3000, then open\n  http://127.0.0.1:3000/{}",
            args.file.display(),
            fencekv::model::check::explorer_path(&model, path).replacen("/.states/", "#/steps/", 1)
        );
    }
    print!("{}", summary(&outcome));
    if !outcome.is_complete() {
        eprintln!("INCOMPLETE: a limit stopped the check; nothing is claimed");
        ExitCode::from(3)
    } else if outcome.as_expected() {
        ExitCode::SUCCESS
    } else {
        eprintln!("UNEXPECTED VERDICT: expected {}", outcome.expected);
        ExitCode::from(1)
    }
}

/// The table `fencekv check` ends with (after the report, whose first line
/// the snapshots and scripts read, so that stays as it was).
fn summary(o: &fencekv::model::check::Outcome) -> String {
    use fencekv::model::check::progress::{bytes, peak_resident_bytes, thousands};
    let secs = o.elapsed.as_secs_f64();
    let rows = [
        ("verdict", o.verdict.clone()),
        ("expected", o.expected.clone()),
        ("unique states", thousands(o.unique_states)),
        ("states", thousands(o.states)),
        ("max depth", o.max_depth.to_string()),
        ("elapsed", format!("{secs:.2}s")),
        (
            "unique/s",
            thousands((o.unique_states as f64 / secs.max(1e-9)) as usize),
        ),
        ("peak memory", bytes(peak_resident_bytes())),
    ];
    let mut s = String::from("\n");
    for (k, v) in rows {
        s += &format!("  {k:<14} {v}\n");
    }
    s
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
             guarantees (stale reads, lost writes, two leaders, lost isolation) for \
             demonstrations. Never use it for data you care about.",
            gaps.join(", ")
        );
    }
    if modes.read_mode == ReadMode::Lease {
        if !(0.0..1.0).contains(&args.max_clock_drift) {
            eprintln!("fencekv: --max-clock-drift must be in [0, 1)");
            return ExitCode::from(2);
        }
        let t = std::time::Duration::from_millis(args.election_timeout_ms.max(1));
        let lease = fencekv::node::NodeConfig::lease_for(
            t,
            args.max_clock_drift,
            std::time::Duration::from_millis(args.lease_margin_ms),
        );
        eprintln!(
            "NOTE: lease reads: a leader serves reads for {} ms after a majority acknowledged \
             a round, with no round of its own. This is safe only while no two nodes' clocks \
             run more than {} apart in rate (--max-clock-drift) and no node stalls longer \
             than the {} ms margin; outside that a deposed leader can serve a stale read.",
            lease.as_millis(),
            args.max_clock_drift,
            args.lease_margin_ms
        );
    }
    let peer_auth = match (&args.peers, &args.cluster_secret_file, args.insecure_peers) {
        (None, _, _) => PeerAuth::Insecure, // a single node has no peers
        (Some(_), Some(file), _) => match PeerAuth::from_file(file) {
            Ok(a) => {
                warn_if_readable_by_others(file);
                a
            }
            Err(e) => {
                eprintln!("fencekv: {e}");
                return ExitCode::from(2);
            }
        },
        (Some(_), None, true) => {
            eprintln!(
                "WARNING: --insecure-peers: peer connections are not authenticated. Anyone who                  can reach a peer port can join this cluster and send Raft messages as any                  other node. Use --cluster-secret-file on any network you do not fully trust."
            );
            PeerAuth::Insecure
        }
        (Some(_), None, false) => {
            eprintln!(
                "fencekv: a cluster node needs --cluster-secret-file FILE (the same secret on                  every node; e.g. `head -c 32 /dev/urandom | base64 > FILE`), or                  --insecure-peers to run without one on a trusted network"
            );
            return ExitCode::from(2);
        }
    };
    let tls = match (args.tls_port, args.tls_cert_file, args.tls_key_file) {
        (Some(port), Some(cert_file), Some(key_file)) => Some(ClientTlsOptions {
            port,
            cert_file,
            key_file,
            ca_cert_file: args.tls_ca_cert_file,
            auth_clients: args.tls_auth_clients,
        }),
        _ => None,
    };
    let peer_tls = match (args.peer_tls_cert, args.peer_tls_key, args.peer_tls_ca) {
        (Some(cert), Some(key), Some(ca)) => Some(PeerTlsOptions { cert, key, ca }),
        _ => None,
    };
    let opts = ServeOptions {
        bind: args.bind,
        port: args.port,
        tls,
        dir: args.dir,
        appendfsync: match args.appendfsync {
            FsyncArg::Always => AppendFsync::Always,
            FsyncArg::Everysec => AppendFsync::Everysec,
            FsyncArg::No => AppendFsync::No,
        },
        debug_commands: args.enable_debug_commands,
        modes,
        cluster: match (args.id, args.peers) {
            (Some(id), Some(peers)) => {
                let t = std::time::Duration::from_millis(args.election_timeout_ms.max(1));
                Some(ClusterOptions {
                    id,
                    peers,
                    election_timeout: t..t * 2,
                    lease: fencekv::node::NodeConfig::lease_for(
                        t,
                        args.max_clock_drift,
                        std::time::Duration::from_millis(args.lease_margin_ms),
                    ),
                    heartbeat: std::time::Duration::from_millis(args.heartbeat_ms.max(1)),
                    peer_delay: std::time::Duration::from_millis(args.peer_delay_ms),
                    max_peer_frame: args.max_peer_frame_mb.saturating_mul(1 << 20),
                    auth: peer_auth,
                    peer_tls,
                })
            }
            _ => None,
        },
        request_timeout: std::time::Duration::from_millis(args.request_timeout_ms.max(1)),
        compact_after: args.compact_after,
        lua_time_limit: std::time::Duration::from_millis(args.lua_time_limit),
        script_retries: args.script_retries,
        requirepass: args.requirepass,
        maxclients: args.maxclients,
        protected_mode: args.protected_mode == YesNo::Yes,
        query_buffer_limit: args.client_query_buffer_limit,
        output_buffer_limit: args.client_output_buffer_limit,
        timeout_secs: args.timeout,
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

/// `DIR/cluster-secret`, made (32 random bytes, hex, mode 0600) if missing,
/// so a restarted local cluster keeps its secret.
fn cluster_secret(dir: &std::path::Path) -> Result<PathBuf, String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let file = dir.join("cluster-secret");
    if file.exists() {
        return Ok(file);
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| format!("no randomness for the cluster secret: {e}"))?;
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&file)
        .and_then(|mut f| f.write_all(format!("{hex}\n").as_bytes()))
        .map_err(|e| format!("cannot write the cluster secret {}: {e}", file.display()))?;
    Ok(file)
}

/// A secret others can read is no secret: say so (as ssh does for keys).
fn warn_if_readable_by_others(file: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(file) {
        if meta.permissions().mode() & 0o077 != 0 {
            eprintln!(
                "WARNING: the cluster secret {} is readable by other users (chmod 600 it)",
                file.display()
            );
        }
    }
}

/// `fencekv cluster`: run N copies of this binary as `serve` with the right
/// flags, print where they listen, and stop them all on Ctrl-C (or when one
/// exits).
fn run_cluster(args: ClusterArgs) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("fencekv: cannot find this executable: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.nodes == 0 || u64::from(args.port) + args.nodes > 65_536 {
        eprintln!("fencekv: --nodes must be at least 1 and the ports must fit");
        return ExitCode::from(2);
    }
    let peers: Vec<String> = (1..=args.nodes)
        .map(|i| format!("{i}=127.0.0.1:{}", u64::from(args.peer_port) + i - 1))
        .collect();
    let peers = peers.join(",");
    // The nodes share a secret made here, unless told otherwise.
    let mut secret_args: Vec<std::ffi::OsString> = Vec::new();
    let told = |flag: &str| {
        args.extra
            .iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    if !told("--cluster-secret-file") && !told("--insecure-peers") {
        match cluster_secret(&args.dir) {
            Ok(file) => {
                secret_args.push("--cluster-secret-file".into());
                secret_args.push(file.into());
            }
            Err(e) => {
                eprintln!("fencekv: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let mut children = Vec::new();
    for i in 1..=args.nodes {
        let port = u64::from(args.port) + i - 1;
        let dir = args.dir.join(format!("node{i}"));
        let child = std::process::Command::new(&exe)
            .arg("serve")
            .args(["--id", &i.to_string(), "--peers", &peers])
            .args(["--port", &port.to_string()])
            .arg("--dir")
            .arg(&dir)
            .args(&secret_args)
            .args(&args.extra)
            .spawn();
        match child {
            Ok(c) => {
                println!(
                    "node {i}: redis-cli -p {port}   (data in {})",
                    dir.display()
                );
                children.push(c);
            }
            Err(e) => {
                eprintln!("fencekv: cannot start node {i}: {e}");
                for mut c in children {
                    let _ = c.kill();
                }
                return ExitCode::FAILURE;
            }
        }
    }
    println!(
        "cluster of {} nodes started; peers {peers}; Ctrl-C stops it",
        args.nodes
    );
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fencekv: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Wait for Ctrl-C, or for any node to exit on its own.
    rt.block_on(async {
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = tokio::time::sleep(std::time::Duration::from_millis(200)) => {
                    if children.iter_mut().any(|c| matches!(c.try_wait(), Ok(Some(_)))) {
                        eprintln!("fencekv: a node exited; stopping the cluster");
                        break;
                    }
                }
            }
        }
    });
    for c in &mut children {
        // SIGTERM: each node flushes its log and exits cleanly.
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
    }
    for mut c in children {
        let _ = c.wait();
    }
    ExitCode::SUCCESS
}
