//! Read latency under fencekv's read modes (`--read-mode fence|lease|follower`)
//! and its plot: the measurement behind bench/read-modes.sh.
//!
//! Measure (one client, sequential requests, after a warm-up) against one
//! node's client port — the leader under fence and lease, a follower under
//! follower, or a lone node as the baseline — two reads: `GET k0`, and an
//! `EVAL_RO` script that GETs k0..k6 (seven `redis.call('GET', …)`). The keys
//! are SET beforehand through `--leader-port`; the script is sent once untimed
//! so its body is cached.
//!
//! ```text
//! cargo run --release --example read_latency -- --port 7861 --leader-port 7860 \
//!     --mode follower --target follower --delay-ms 2 --iterations 500 --out reads.csv
//! ```
//!
//! It prints median and p99 in ms per read and appends one CSV row per read,
//! `mode,target,op,median_ms,p99_ms,delay_ms`, with op `get` or `eval7`.
//!
//! Plot (bars of median latency per mode and read, p99 as a tick above each
//! bar, log scale; one panel per peer delay, the lone node in each):
//!
//! ```text
//! cargo run --release --example read_latency -- --plot reads.csv --png reads.png
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
#[command(about = "GET and 7-GET EVAL_RO latency at one node, and its plot")]
struct Args {
    /// Client port of the node to measure.
    #[arg(long, default_value_t = 6379)]
    port: u16,
    /// Client port to SET the keys through (the leader; default: --port).
    #[arg(long)]
    leader_port: Option<u16>,
    /// Label of the server's read mode, written into the CSV.
    #[arg(long, default_value = "fence")]
    mode: String,
    /// Label of the node measured: leader | follower | single.
    #[arg(long, default_value = "leader", value_parser = ["leader", "follower", "single"])]
    target: String,
    /// Peer delay the cluster runs with, written into the CSV (for the plot).
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Timed requests per read.
    #[arg(long, default_value_t = 500)]
    iterations: usize,
    /// Untimed requests before each read's timed ones.
    #[arg(long, default_value_t = 50)]
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

const CSV_HEADER: &str = "mode,target,op,median_ms,p99_ms,delay_ms";
/// GET calls in the EVAL_RO script.
const SCRIPT_GETS: usize = 7;

mod support;
use support::{info, quantile, register_font, Res};

fn main() -> Res<()> {
    let args = Args::parse();
    match (&args.plot, &args.png) {
        (Some(csv), Some(png)) => plot(csv, png, args.font.as_deref()),
        _ => measure(&args),
    }
}

/// The key of the script's `i`-th GET (0-based: `KEYS[i + 1]`).
fn key(i: usize) -> String {
    format!("k{i}")
}

/// The script that GETs `KEYS[1..=7]`, each through its own call.
fn script_body() -> String {
    let calls: Vec<String> = (1..=SCRIPT_GETS)
        .map(|i| format!("redis.call('GET', KEYS[{i}])"))
        .collect();
    format!("return {{{}}}", calls.join(", "))
}

fn measure(args: &Args) -> Res<()> {
    let connect = |port: u16| -> Res<redis::Connection> {
        Ok(redis::Client::open(format!("redis://127.0.0.1:{port}/"))?.get_connection()?)
    };
    let mut conn = connect(args.port)?;
    let role = info(&mut conn)?.get("role").cloned().unwrap_or_default();
    if args.target != "single" && role != args.target {
        eprintln!(
            "warning: port {} is {role:?}, measured as {:?}",
            args.port, args.target
        );
    }
    {
        let mut leader = connect(args.leader_port.unwrap_or(args.port))?;
        for i in 0..SCRIPT_GETS {
            let _: () = redis::cmd("SET")
                .arg(key(i))
                .arg(format!("v{i}"))
                .query(&mut leader)?;
        }
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

    let body = script_body();
    let get = || {
        let mut c = redis::cmd("GET");
        c.arg(key(0));
        c
    };
    let eval7 = || {
        let mut c = redis::cmd("EVAL_RO");
        c.arg(&body).arg(SCRIPT_GETS);
        for i in 0..SCRIPT_GETS {
            c.arg(key(i));
        }
        c
    };
    // Both reads must see the SETs (through the leader, so at a follower
    // only with a read index); the first EVAL_RO also caches the body.
    let got: String = get().query(&mut conn)?;
    if got != "v0" {
        return Err(format!("GET k0 at port {} answered {got:?}", args.port).into());
    }
    let got: Vec<String> = eval7().query(&mut conn)?;
    let expected: Vec<String> = (0..SCRIPT_GETS).map(|i| format!("v{i}")).collect();
    if got != expected {
        return Err(format!("EVAL_RO at port {} answered {got:?}", args.port).into());
    }

    println!(
        "mode {}, {} (port {}, {role}), peer delay {} ms, {} requests per read after {} warm-up",
        args.mode, args.target, args.port, args.delay_ms, args.iterations, args.warmup
    );
    println!("| read | median ms | p99 ms |");
    println!("|---|---|---|");
    let ops: [(&str, &dyn Fn() -> redis::Cmd); 2] = [("get", &get), ("eval7", &eval7)];
    for (op, make) in ops {
        for _ in 0..args.warmup {
            let _: redis::Value = make().query(&mut conn)?;
        }
        let mut ms = Vec::with_capacity(args.iterations);
        for _ in 0..args.iterations {
            let cmd = make();
            let t = Instant::now();
            let _: redis::Value = cmd.query(&mut conn)?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        ms.sort_by(f64::total_cmp);
        let (p50, p99) = (quantile(&ms, 0.5), quantile(&ms, 0.99));
        println!("| {op} | {p50:.3} | {p99:.3} |");
        if let Some(f) = &mut csv {
            writeln!(
                f,
                "{},{},{op},{p50:.3},{p99:.3},{}",
                args.mode, args.target, args.delay_ms
            )?;
        }
    }
    Ok(())
}

/// One CSV row, as [`measure`] writes it.
struct Row {
    mode: String,
    target: String,
    op: String,
    median_ms: f64,
    p99_ms: f64,
    delay_ms: u64,
}

fn read_rows(path: &Path) -> Res<Vec<Row>> {
    let text = std::fs::read_to_string(path)?;
    let mut rows = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty() && *l != CSV_HEADER) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 6 {
            return Err(format!("{}: bad row {line:?}", path.display()).into());
        }
        rows.push(Row {
            mode: f[0].to_string(),
            target: f[1].to_string(),
            op: f[2].to_string(),
            median_ms: f[3].parse()?,
            p99_ms: f[4].parse()?,
            delay_ms: f[5].parse()?,
        });
    }
    if rows.is_empty() {
        return Err(format!("{}: no rows", path.display()).into());
    }
    Ok(rows)
}

/// Bars of median latency, one group per (mode, target), one bar per read,
/// with the p99 as a tick; one panel per peer delay of the cluster rows, the
/// single-node rows (delay 0) repeated in each as the baseline.
fn plot(csv: &Path, png: &Path, font: Option<&Path>) -> Res<()> {
    use plotters::prelude::*;

    register_font(font)?;
    let rows = read_rows(csv)?;
    let is_single = |r: &Row| r.target == "single";
    let mut delays: Vec<u64> = rows
        .iter()
        .filter(|r| !is_single(r))
        .map(|r| r.delay_ms)
        .collect();
    delays.sort();
    delays.dedup();
    if delays.is_empty() {
        delays.push(0);
    }
    // Groups in CSV order, single last.
    let mut groups: Vec<(String, String)> = Vec::new();
    for r in rows
        .iter()
        .filter(|r| !is_single(r))
        .chain(rows.iter().filter(|r| is_single(r)))
    {
        let g = (r.mode.clone(), r.target.clone());
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    const OPS: [(&str, &str); 2] = [("get", "GET"), ("eval7", "EVAL_RO, 7 GETs")];
    let colors = [RGBColor(0x1f, 0x77, 0xb4), RGBColor(0xff, 0x7f, 0x0e)];
    let lo = rows
        .iter()
        .map(|r| r.median_ms)
        .fold(f64::INFINITY, f64::min)
        / 2.0;
    let hi = rows.iter().map(|r| r.p99_ms).fold(0.0, f64::max) * 2.0;

    let delay_list: Vec<String> = delays.iter().map(u64::to_string).collect();
    let root = BitMapBackend::new(png, (560 * delays.len() as u32 + 80, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        &format!(
            "fencekv read latency by read mode, 3 nodes, peer delay {} ms (one client)",
            delay_list.join(" / ")
        ),
        ("sans-serif", 22),
    )?;
    let (body, legend_area) = root.split_vertically(540);
    let panels = body.split_evenly((1, delays.len()));
    for (panel, &delay) in panels.iter().zip(&delays) {
        let at = |g: &(String, String), op: &str| {
            rows.iter().find(|r| {
                r.mode == g.0
                    && r.target == g.1
                    && r.op == op
                    && (is_single(r) || r.delay_ms == delay)
            })
        };
        let n = groups.len() as f64;
        let mut chart = ChartBuilder::on(panel)
            .caption(format!("peer delay {delay} ms"), ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(52)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..n, (lo..hi).log_scale())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(groups.len() * 2 + 1)
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                // Label group centres only.
                if (x - i as f64 - 0.5).abs() < 1e-6 && i < groups.len() {
                    let (mode, target) = &groups[i];
                    if target == "single" {
                        mode.clone()
                    } else {
                        format!("{mode} @ {target}")
                    }
                } else {
                    String::new()
                }
            })
            .y_desc("latency (ms, log scale)")
            .y_label_formatter(&|y| {
                if *y >= 1.0 {
                    format!("{y:.0}")
                } else {
                    format!("{y}")
                }
            })
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 16))
            .draw()?;
        for (gi, g) in groups.iter().enumerate() {
            for (oi, (op, _)) in OPS.iter().enumerate() {
                let Some(r) = at(g, op) else { continue };
                let x0 = gi as f64 + 0.12 + oi as f64 * 0.38;
                let x1 = x0 + 0.36;
                let c = colors[oi];
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, lo), (x1, r.median_ms)],
                    c.filled(),
                )))?;
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x0, r.p99_ms), (x1, r.p99_ms)],
                    BLACK.stroke_width(3),
                )))?;
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![((x0 + x1) / 2.0, r.median_ms), ((x0 + x1) / 2.0, r.p99_ms)],
                    BLACK.stroke_width(1),
                )))?;
                chart.draw_series(std::iter::once(Text::new(
                    if r.median_ms < 1.0 {
                        format!("{:.3}", r.median_ms)
                    } else {
                        format!("{:.1}", r.median_ms)
                    },
                    (x0 + 0.01, r.median_ms * 0.93),
                    ("sans-serif", 12).into_font().color(&WHITE),
                )))?;
            }
        }
    }
    // A legend of its own below the panels: the two reads, then the p99 tick.
    let mut x = 80;
    for ((_, label), c) in OPS.iter().zip(colors) {
        legend_area.draw(&Rectangle::new([(x, 14), (x + 24, 30)], c.filled()))?;
        legend_area.draw(&Text::new(
            format!("{label} median (value in ms)"),
            (x + 32, 14),
            ("sans-serif", 16),
        ))?;
        x += 360;
    }
    legend_area.draw(&PathElement::new(
        vec![(x, 22), (x + 24, 22)],
        BLACK.stroke_width(3),
    ))?;
    legend_area.draw(&Text::new("p99", (x + 32, 14), ("sans-serif", 16)))?;
    root.present()?;
    println!("wrote {}", png.display());
    Ok(())
}
