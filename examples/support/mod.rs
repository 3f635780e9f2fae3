//! What the latency examples share: the INFO parser, quantiles and the
//! plot's font.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// `INFO fencekv` as a map of its `name:value` lines.
pub fn info(conn: &mut redis::Connection) -> Res<BTreeMap<String, String>> {
    let text: String = redis::cmd("INFO").arg("fencekv").query(conn)?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect())
}

/// The value at quantile `q` of sorted samples (nearest rank).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Register a TTF as plotters' "sans-serif" (the default family): the
/// explicit file, or the first of a few usual system fonts. plotters is
/// built without fontconfig, so it needs one registered from bytes.
pub fn register_font(explicit: Option<&Path>) -> Res<()> {
    const CANDIDATES: &[&str] = &[
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    ];
    let paths: Vec<PathBuf> = match explicit {
        Some(p) => vec![p.to_path_buf()],
        None => CANDIDATES.iter().map(PathBuf::from).collect(),
    };
    let path = paths
        .iter()
        .find(|p| p.is_file())
        .ok_or("no TTF font found; pass --font FILE.ttf")?;
    // plotters keeps fonts for the life of the process: leak the bytes once.
    let bytes: &'static [u8] = Box::leak(std::fs::read(path)?.into_boxed_slice());
    plotters::style::register_font("sans-serif", plotters::style::FontStyle::Normal, bytes)
        .map_err(|_| format!("{}: not a usable TTF font", path.display()))?;
    Ok(())
}
