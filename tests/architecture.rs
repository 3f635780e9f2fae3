//! Rules of the house that the compiler does not check, checked over the
//! source text:
//!
//! - the module graph has no cycles: no module imports a module that imports
//!   it back, at any level of the tree (a module may use its ancestors' items
//!   and its own descendants freely; siblings form a DAG);
//! - every spec rule id cited in code, tests or docs (`P-3`, `SC-4`, …) and
//!   every `spec §N` section exists in `spec/SPEC.md`; named anchors (`§Fence`)
//!   are not used, and nothing points outside the repository.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `src/a/b.rs` → `[a, b]`; `src/a/mod.rs` → `[a]`; `src/lib.rs` → `[]`.
fn module_of(path: &Path) -> Vec<String> {
    let rel = path.strip_prefix("src").unwrap_or(path);
    let mut parts: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs").to_string();
        if stem != "mod" && stem != "lib" {
            parts.push(stem);
        }
    }
    parts
}

/// The code of a file without comments, string literals and its trailing
/// `#[cfg(test)]` module (tests may reach anywhere).
fn code_of(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim() == "#[cfg(test)]" {
            break;
        }
        let mut in_str = false;
        let mut prev = ' ';
        let mut kept = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !in_str && c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            if c == '"' && prev != '\\' && prev != '\'' {
                in_str = !in_str;
            } else if !in_str {
                kept.push(c);
            }
            prev = if prev == '\\' && c == '\\' { ' ' } else { c };
            i += 1;
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Parse a use tree at `s` (after `crate::` or `super::`): `a::b::{c, d::e}`.
fn use_tree(s: &[char], mut i: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix;
    loop {
        while s.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        if s.get(i) == Some(&'{') {
            i += 1;
            loop {
                while s.get(i).is_some_and(|c| c.is_whitespace() || *c == ',') {
                    i += 1;
                }
                match s.get(i) {
                    None => return i,
                    Some('}') => return i + 1,
                    _ => {
                        let before = i;
                        i = use_tree(s, i, path.clone(), out);
                        if i == before {
                            i += 1;
                        }
                    }
                }
            }
        }
        let start = i;
        while s.get(i).copied().is_some_and(is_ident) {
            i += 1;
        }
        if start == i {
            out.push(path);
            return i;
        }
        path.push(s[start..i].iter().collect());
        if s.get(i) == Some(&':') && s.get(i + 1) == Some(&':') {
            i += 2;
        } else {
            out.push(path);
            return i;
        }
    }
}

/// Every module path a file's code names through `crate::` or `super::`.
fn references(code: &str, module: &[String], is_mod_rs: bool) -> Vec<Vec<String>> {
    let s: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let boundary = i == 0 || !is_ident(s[i - 1]) && s[i - 1] != ':';
        let rest = |w: &str| s[i..].iter().take(w.len()).copied().eq(w.chars());
        if boundary && rest("crate::") {
            i = use_tree(&s, i + 7, Vec::new(), &mut out);
        } else if boundary && rest("super::") {
            // In `a/b.rs` (module a::b) `super` is `a`; in `a/mod.rs`
            // (module a) it is the crate root.
            let mut base = module.to_vec();
            if !is_mod_rs || !base.is_empty() {
                base.pop();
            }
            let mut j = i + 7;
            while s[j..].iter().take(7).copied().eq("super::".chars()) {
                base.pop();
                j += 7;
            }
            i = use_tree(&s, j, base, &mut out);
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn the_module_graph_has_no_cycles() {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let modules: BTreeSet<Vec<String>> = files
        .iter()
        .filter(|p| !p.ends_with("main.rs"))
        .map(|p| module_of(p))
        .collect();
    // Sibling graphs: for an edge F → T, the children of their lowest
    // common ancestor that contain them.
    let mut graphs: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut witness: BTreeMap<(Vec<String>, String, String), String> = BTreeMap::new();
    for path in &files {
        if path.ends_with("main.rs") || path.ends_with("tests.rs") {
            continue;
        }
        let from = module_of(path);
        let text = fs::read_to_string(path).expect("source file");
        let is_mod_rs = path.ends_with("mod.rs") || path.ends_with("lib.rs");
        for r in references(&code_of(&text), &from, is_mod_rs) {
            // The longest prefix of the path that is a module.
            let Some(to) = (0..=r.len())
                .rev()
                .map(|n| r[..n].to_vec())
                .find(|p| modules.contains(p))
            else {
                continue;
            };
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common == from.len() || common == to.len() {
                continue; // an ancestor or a descendant
            }
            let lca = from[..common].to_vec();
            let (a, b) = (from[common].clone(), to[common].clone());
            witness
                .entry((lca.clone(), a.clone(), b.clone()))
                .or_insert_with(|| format!("{} names crate::{}", path.display(), r.join("::")));
            graphs
                .entry(lca)
                .or_default()
                .entry(a)
                .or_default()
                .insert(b);
        }
    }
    let mut cycles = Vec::new();
    for (parent, g) in &graphs {
        // Depth-first search for a back edge.
        fn visit(
            n: &str,
            g: &BTreeMap<String, BTreeSet<String>>,
            state: &mut BTreeMap<String, u8>,
            stack: &mut Vec<String>,
            found: &mut Option<Vec<String>>,
        ) {
            state.insert(n.to_string(), 1);
            stack.push(n.to_string());
            for m in g.get(n).into_iter().flatten() {
                if found.is_some() {
                    return;
                }
                match state.get(m.as_str()) {
                    Some(1) => {
                        let at = stack.iter().position(|s| s == m).unwrap_or(0);
                        let mut c = stack[at..].to_vec();
                        c.push(m.clone());
                        *found = Some(c);
                    }
                    Some(_) => {}
                    None => visit(m, g, state, stack, found),
                }
            }
            stack.pop();
            state.insert(n.to_string(), 2);
        }
        // One cycle per graph is enough to fail; fixing it shows the next.
        let mut state = BTreeMap::new();
        let mut found = None;
        for n in g.keys() {
            if found.is_none() && !state.contains_key(n.as_str()) {
                visit(n, g, &mut state, &mut Vec::new(), &mut found);
            }
        }
        if let Some(c) = found {
            let place = if parent.is_empty() {
                "crate".to_string()
            } else {
                format!("crate::{}", parent.join("::"))
            };
            let why: Vec<String> = c
                .windows(2)
                .map(|w| {
                    let key = (parent.clone(), w[0].clone(), w[1].clone());
                    witness.get(&key).cloned().unwrap_or_default()
                })
                .collect();
            cycles.push(format!(
                "in {place}: {}\n    {}",
                c.join(" -> "),
                why.join("\n    ")
            ));
        }
    }
    assert!(
        cycles.is_empty(),
        "module import cycles:\n{}",
        cycles.join("\n")
    );
}

/// Spec rule ids: `KS-1`, `SC-4`, `ENC-A`, ….
fn rule_ids(text: &str, prefixes: Option<&BTreeSet<String>>) -> Vec<(usize, String)> {
    let s: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < s.len() {
        if s[i] == '\n' {
            line += 1;
        }
        let boundary = i == 0 || !(is_ident(s[i - 1]) || s[i - 1] == '-');
        if boundary && s[i].is_ascii_uppercase() {
            let mut j = i;
            while j < s.len() && s[j].is_ascii_uppercase() {
                j += 1;
            }
            if j - i <= 4 && s.get(j) == Some(&'-') {
                let mut k = j + 1;
                while k < s.len() && (s[k].is_ascii_digit() || s[k].is_ascii_uppercase()) {
                    k += 1;
                }
                let end_ok = s.get(k).is_none_or(|c| !is_ident(*c) && *c != '-');
                if k > j + 1 && end_ok {
                    let prefix: String = s[i..j].iter().collect();
                    if prefixes.is_none_or(|p| p.contains(&prefix)) {
                        out.push((line, s[i..k].iter().collect()));
                    }
                }
                i = k;
                continue;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

#[test]
fn cited_spec_rules_exist() {
    let spec = fs::read_to_string("spec/SPEC.md").expect("spec/SPEC.md");
    // A rule is defined where a table row starts with its id, or where a
    // bold paragraph names it in parentheses: `**Ambiguity (ENC-A).**`.
    let mut defined = BTreeSet::new();
    for l in spec.lines() {
        let t = l.trim_start();
        if let Some(cell) = t.strip_prefix('|') {
            let first = cell.split('|').next().unwrap_or("").trim();
            if rule_ids(first, None).iter().any(|(_, id)| id == first) {
                defined.insert(first.to_string());
            }
        }
        let t = t.strip_prefix("- ").unwrap_or(t);
        if let Some(bold) = t.strip_prefix("**") {
            let head = bold.split("**").next().unwrap_or("");
            for (_, id) in rule_ids(head, None) {
                if head.contains(&format!("({id})")) {
                    defined.insert(id);
                }
            }
        }
    }
    assert!(defined.len() > 20, "spec rule ids not found: {defined:?}");
    let prefixes: BTreeSet<String> = defined
        .iter()
        .filter_map(|id| id.split('-').next().map(str::to_string))
        .collect();
    // Sections: `## 6. The protocol (P)` defines §6.
    let sections: BTreeSet<String> = spec
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .filter_map(|l| l.split('.').next())
        .filter(|n| n.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_string)
        .collect();

    let mut files = Vec::new();
    for dir in ["src", "tests", "bench", "model", "examples"] {
        rust_files(Path::new(dir), &mut files);
    }
    for extra in ["README.md", "spec/SPEC.md"] {
        files.push(PathBuf::from(extra));
    }
    for dir in ["bench", "model"] {
        if let Ok(rd) = fs::read_dir(dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "sh" || x == "toml") {
                    files.push(p);
                }
            }
        }
    }
    let mut bad = Vec::new();
    for path in &files {
        if path.ends_with("architecture.rs") {
            continue;
        }
        let Ok(text) = fs::read_to_string(path) else {
            continue;
        };
        for (line, id) in rule_ids(&text, Some(&prefixes)) {
            if !defined.contains(&id) {
                bad.push(format!(
                    "{}:{line}: rule {id} is not in spec/SPEC.md",
                    path.display()
                ));
            }
        }
        for (n, l) in text.lines().enumerate() {
            let mut rest = l;
            while let Some(at) = rest.find('§') {
                let after = &rest[at + '§'.len_utf8()..];
                let anchor: String = after
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
                    .collect();
                let anchor = anchor.trim_end_matches('.');
                let before = rest[..at].trim_end().to_ascii_lowercase();
                if anchor.starts_with(|c: char| c.is_ascii_alphabetic()) {
                    bad.push(format!(
                        "{}:{}: named anchor §{anchor}: cite a rule id or a section number",
                        path.display(),
                        n + 1
                    ));
                } else if before.ends_with("spec")
                    || (path.ends_with("SPEC.md")
                        // The spec cites Raft's paper and thesis by section too.
                        && !before.ends_with("raft")
                        && !before.ends_with("thesis"))
                {
                    let top = anchor.split('.').next().unwrap_or("");
                    if !sections.contains(top) {
                        bad.push(format!(
                            "{}:{}: spec §{anchor} does not exist",
                            path.display(),
                            n + 1
                        ));
                    }
                }
                rest = after;
            }
            if l.contains("../shared") {
                bad.push(format!(
                    "{}:{}: points outside the repository",
                    path.display(),
                    n + 1
                ));
            }
        }
    }
    assert!(bad.is_empty(), "unresolved references:\n{}", bad.join("\n"));
}
