//! EVAL latency against the number of `redis.call('GET', …)` calls in the
//! script: the measurement behind fencekv's headline (one read fence per
//! script, then every read from the snapshot), and its plot. `--form exec`
//! measures MULTI, the same GETs, EXEC instead (one fence per EXEC).
//!
//! Measure (one client, sequential EVALs, after a warm-up), against a
//! cluster's leader:
//!
//! ```text
//! cargo run --release --example script_latency -- --port 7832 --mode once \
//!     --delay-ms 2 --gets 1,3,7,15 --iterations 200 --out latency.csv
//! ```
//!
//! For each GET count it prints median, p90 and p99 in ms and appends one CSV
//! row `mode,gets,median_ms,p90_ms,p99_ms,fences_per_script,delay_ms`.
//! `fences_per_script` comes from the leader's `INFO fencekv` counters
//! (`script_fences` / `scripts_run`) read before and after that GET count's
//! timed EVALs, so each row has its own, not the run's average.
//!
//! Plot (median latency against GETs per script, one line per mode):
//!
//! ```text
//! cargo run --release --example script_latency -- --plot latency.csv --png latency.png
//! ```
//!
//! The plot's font is read at run time from the first of a few usual system
//! paths (DejaVu Sans, Liberation Sans) or from `--font FILE.ttf`: plotters is
//! built without fontconfig, so it needs one registered from bytes.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;

#[derive(Parser)]
#[command(about = "EVAL latency vs GET calls per script, and its plot")]
struct Args {
    /// Client port of the node to measure (the cluster's leader).
    #[arg(long, default_value_t = 6379)]
    port: u16,
    /// Label of the server's read-fence mode, written into the CSV.
    #[arg(long, default_value = "once")]
    mode: String,
    /// What one measured request is: `eval` (one EVAL whose script GETs
    /// each key) or `exec` (MULTI, one GET per key, EXEC, pipelined).
    #[arg(long, default_value = "eval", value_parser = ["eval", "exec"])]
    form: String,
    /// Peer delay the cluster runs with, written into the CSV (for the plot's title).
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// GET counts to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,3,7,15")]
    gets: Vec<usize>,
    /// Timed EVALs per GET count.
    #[arg(long, default_value_t = 200)]
    iterations: usize,
    /// Untimed EVALs before each GET count's timed ones.
    #[arg(long, default_value_t = 20)]
    warmup: usize,
    /// Append the rows to this CSV file (a header is written to a new file).
    #[arg(long)]
    out: Option<PathBuf>,

    /// Plot instead of measuring: read this CSV...
    #[arg(long, requires = "png")]
    plot: Option<PathBuf>,
    /// ...and write the chart to this PNG.
    #[arg(long, requires = "plot")]
    png: Option<PathBuf>,
    /// TTF font for the plot (default: the first usual system font found).
    #[arg(long)]
    font: Option<PathBuf>,
}

const CSV_HEADER: &str = "mode,gets,median_ms,p90_ms,p99_ms,fences_per_script,delay_ms";

mod support;
use support::{info, quantile, register_font, Res};

fn main() -> Res<()> {
    let args = Args::parse();
    match (&args.plot, &args.png) {
        (Some(csv), Some(png)) => plot(csv, png, args.font.as_deref()),
        _ => measure(&args),
    }
}

/// The key a script's `i`-th GET reads (1-based, like `KEYS`).
fn key(i: usize) -> String {
    format!("bench:k{i}")
}

/// The script that GETs keys 1..=`gets`, each through its own call, and
/// returns their values as an array.
fn script_body(gets: usize) -> String {
    let calls: Vec<String> = (1..=gets)
        .map(|i| format!("redis.call('GET', KEYS[{i}])"))
        .collect();
    format!("return {{{}}}", calls.join(", "))
}

/// (script_fences, scripts_run) from the node's counters.
fn script_counters(conn: &mut redis::Connection) -> Res<(u64, u64)> {
    let i = info(conn)?;
    let n = |name: &str| -> Res<u64> {
        Ok(i.get(name)
            .ok_or_else(|| format!("INFO fencekv has no {name}"))?
            .parse()?)
    };
    Ok((n("script_fences")?, n("scripts_run")?))
}

fn measure(args: &Args) -> Res<()> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{}/", args.port))?;
    let mut conn = client.get_connection()?;
    let role = info(&mut conn)?.get("role").cloned().unwrap_or_default();
    if role != "leader" {
        eprintln!(
            "warning: port {} is {role:?}, not the leader; EVALs are forwarded",
            args.port
        );
    }
    let max = args.gets.iter().copied().max().unwrap_or(0);
    for i in 1..=max {
        let _: () = redis::cmd("SET")
            .arg(key(i))
            .arg(format!("v{i}"))
            .query(&mut conn)?;
    }

    let mut csv = match &args.out {
        Some(path) => {
            let mut f = OpenOptions::new().create(true).append(true).open(path)?;
            if f.metadata()?.len() == 0 {
                writeln!(f, "{CSV_HEADER}")?;
            }
            Some(f)
        }
        None => None,
    };
    println!(
        "mode {}, peer delay {} ms, {} EVALs per GET count after {} warm-up",
        args.mode, args.delay_ms, args.iterations, args.warmup
    );
    println!("| gets | median ms | p90 ms | p99 ms | fences/script |");
    println!("|---|---|---|---|---|");
    for &gets in &args.gets {
        let body = script_body(gets);
        let expected: Vec<String> = (1..=gets).map(|i| format!("v{i}")).collect();
        let eval = || {
            let mut pipe = redis::pipe();
            if args.form == "exec" {
                pipe.atomic();
                for i in 1..=gets {
                    pipe.cmd("GET").arg(key(i));
                }
            } else {
                let cmd = pipe.cmd("EVAL").arg(&body).arg(gets);
                for i in 1..=gets {
                    cmd.arg(key(i));
                }
            }
            pipe
        };
        let got: Vec<String> = if args.form == "exec" {
            eval().query(&mut conn)?
        } else {
            let (got,): (Vec<String>,) = eval().query(&mut conn)?;
            got
        };
        if got != expected {
            return Err(format!("script with {gets} GETs answered {got:?}").into());
        }
        for _ in 0..args.warmup {
            let _: redis::Value = eval().query(&mut conn)?;
        }
        let (fences0, runs0) = script_counters(&mut conn)?;
        let mut ms = Vec::with_capacity(args.iterations);
        for _ in 0..args.iterations {
            let cmd = eval();
            let t = Instant::now();
            let _: redis::Value = cmd.query(&mut conn)?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let (fences1, runs1) = script_counters(&mut conn)?;
        ms.sort_by(f64::total_cmp);
        let (p50, p90, p99) = (quantile(&ms, 0.5), quantile(&ms, 0.9), quantile(&ms, 0.99));
        let per_script = (fences1 - fences0) as f64 / (runs1 - runs0).max(1) as f64;
        println!("| {gets} | {p50:.3} | {p90:.3} | {p99:.3} | {per_script:.2} |");
        if let Some(f) = &mut csv {
            writeln!(
                f,
                "{},{gets},{p50:.3},{p90:.3},{p99:.3},{per_script:.2},{}",
                args.mode, args.delay_ms
            )?;
        }
    }
    Ok(())
}

/// One CSV row, as [`measure`] writes it.
struct Row {
    mode: String,
    gets: usize,
    median_ms: f64,
    delay_ms: String,
}

fn read_rows(path: &Path) -> Res<Vec<Row>> {
    let text = std::fs::read_to_string(path)?;
    let mut rows = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty() && *l != CSV_HEADER) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 7 {
            return Err(format!("{}: bad row {line:?}", path.display()).into());
        }
        rows.push(Row {
            mode: f[0].to_string(),
            gets: f[1].parse()?,
            median_ms: f[2].parse()?,
            delay_ms: f[6].to_string(),
        });
    }
    if rows.is_empty() {
        return Err(format!("{}: no rows", path.display()).into());
    }
    Ok(rows)
}

fn plot(csv: &Path, png: &Path, font: Option<&Path>) -> Res<()> {
    use plotters::prelude::*;

    register_font(font)?;
    let rows = read_rows(csv)?;
    let mut modes: Vec<String> = Vec::new();
    for r in &rows {
        if !modes.contains(&r.mode) {
            modes.push(r.mode.clone());
        }
    }
    let mut delays: Vec<&str> = rows.iter().map(|r| r.delay_ms.as_str()).collect();
    delays.dedup();
    let delay = if delays.len() == 1 {
        format!("{} ms", delays[0])
    } else {
        "mixed".to_string()
    };
    let max_gets = rows.iter().map(|r| r.gets).max().unwrap_or(1);
    let max_ms = rows.iter().map(|r| r.median_ms).fold(0.0, f64::max);

    let root = BitMapBackend::new(png, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("fencekv EVAL median latency, 3 nodes, peer delay {delay}"),
            ("sans-serif", 24),
        )
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(0usize..max_gets + 1, 0f64..max_ms * 1.15)?;
    chart
        .configure_mesh()
        .x_desc("redis.call('GET') calls per script")
        .y_desc("median EVAL latency (ms)")
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .draw()?;
    for (i, mode) in modes.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let mut points: Vec<(usize, f64)> = rows
            .iter()
            .filter(|r| &r.mode == mode)
            .map(|r| (r.gets, r.median_ms))
            .collect();
        points.sort_by_key(|p| p.0);
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(3)))?
            .label(format!("fence {mode}"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
            });
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 5, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    println!("wrote {}", png.display());
    Ok(())
}
