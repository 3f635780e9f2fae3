use std::time::Duration;
use fencekv::model::check::{run, report, CheckOptions};
use fencekv::model::ModelCfg;

#[test]
fn scratch() {
    let name = std::env::var("CFG").unwrap_or("base".into());
    let cfg = ModelCfg::from_file(std::path::Path::new(&format!("model/{name}.toml"))).unwrap();
    let strat = match std::env::var("STRAT").as_deref() { Ok("bfs") => Some(fencekv::model::config::Strategy::Bfs), Ok("dfs") => Some(fencekv::model::config::Strategy::Dfs), _ => None };
    let o = run(cfg, &CheckOptions { strategy: strat, threads: 2, progress: Some(Duration::from_secs(5)) });
    println!("{}", report(&o));
}
