//! The repository keeps the promises its documents make about its layout.
//!
//! ```text
//! README.md "Where does X happen?"   every file or folder its right-hand column names
//!                                    exists (`X` and `*` are wildcards: at least one match)
//! DESIGN's layering                  each crate's Cargo.toml depends only on crates below it:
//!                                    tensor < autograd < nn, optim (nn and optim side by side)
//!                                    < the facade < crates built on it (benches); any other
//!                                    crate (vector search) on tensor alone
//! ```
//! Both read the files at test time, so a README row or a new crate is checked as it
//! is written. Read next: `tests/gradcheck_ops.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The rows of the README's "Where does X happen?" table: (what, the file column).
fn where_table(readme: &str) -> Vec<(String, String)> {
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Where does X happen"))
        .expect("README.md has no `## Where does X happen?` section");
    section
        .lines()
        .filter(|line| line.starts_with('|') && !line.starts_with("|---"))
        .skip(1) // the header row
        .map(|line| {
            let cells: Vec<&str> = line.trim().trim_matches('|').split(" | ").collect();
            let (what, files) = (cells[0], cells[cells.len() - 1]);
            (what.trim().to_string(), files.trim().to_string())
        })
        .collect()
}

/// The `code spans` of a table cell.
fn code_spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// The paths below `dir` that `pattern` names; in its last component `X` and `*`
/// stand for any text (`autograd/src/ops/X.rs`, `autograd/src/composite*`).
fn matches(dir: &Path, pattern: &str) -> Vec<PathBuf> {
    let pattern = pattern.trim_end_matches('/');
    let literal = dir.join(pattern);
    if literal.exists() {
        return vec![literal];
    }
    let (parent, name) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    let Some((before, after)) = name.split_once('*').or_else(|| name.split_once('X')) else {
        return vec![];
    };
    let Ok(entries) = std::fs::read_dir(dir.join(parent)) else {
        return vec![];
    };
    entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| {
            let n = p.file_name().unwrap_or_default().to_string_lossy();
            n.len() >= before.len() + after.len() && n.starts_with(before) && n.ends_with(after)
        })
        .collect()
}

#[test]
fn every_path_in_the_readme_where_table_exists() {
    let readme = read(&root().join("README.md"));
    let rows = where_table(&readme);
    assert!(
        rows.len() >= 20,
        "only {} rows read from the table",
        rows.len()
    );
    let mut missing = Vec::new();
    for (what, files) in &rows {
        if code_spans(files).is_empty() {
            missing.push(format!("no `path` in row \"{what}\""));
        }
        // a bare name (`make_fixtures.py`) lives in the folder named before it in the cell
        let mut folder = root();
        for span in code_spans(files) {
            let found = [root(), folder.clone()]
                .iter()
                .find_map(|dir| matches(dir, span).into_iter().next());
            match found {
                Some(path) if path.is_dir() => folder = path,
                Some(_) => {}
                None => missing.push(format!("`{span}` (row \"{what}\")")),
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README.md's \"Where does X happen?\" names paths that do not exist: {}",
        missing.join(", ")
    );
}

#[test]
fn the_table_reader_expands_wildcards() {
    assert!(!matches(&root(), "autograd/src/ops/X.rs").is_empty());
    assert!(!matches(&root(), "nn/src/layers/*").is_empty());
    assert!(matches(&root(), "nn/src/layers/no_such_layer_*.rs").is_empty());
    assert!(matches(&root(), "nn/src/no_such_file.rs").is_empty());
    let row = "| x | `tests/fixtures/` (`make_fixtures.py` regenerates them) |";
    let table = where_table(&format!(
        "\n## Where does X happen?\n\n| a | b |\n|---|---|\n{row}\n"
    ));
    let spans = code_spans(&table[0].1);
    assert_eq!(spans, ["tests/fixtures/", "make_fixtures.py"]);
}

/// The facade crate, at the top of the workspace.
const FACADE: &str = "ferrograd";

/// The workspace's crates and the workspace crates each depends on to build (normal and
/// build dependencies, also per target). Dev-dependencies are not layering: each crate's
/// doc examples are written with `ferrograd::` paths, as a learner writes them, so each
/// crate has the facade as a dev-dependency. The facade (the root package) is a
/// dependency others may name, not a crate checked here: it sits on top of everything.
fn workspace_dependencies() -> BTreeMap<String, Vec<String>> {
    let manifest = read(&root().join("Cargo.toml"));
    let members = manifest
        .split_once("\nmembers")
        .and_then(|(_, rest)| rest.split_once(']'))
        .expect("the root Cargo.toml lists its workspace members");
    let manifests: Vec<String> = (quoted_strings(members.0).iter())
        .map(|m| read(&root().join(m).join("Cargo.toml")))
        .collect();
    let mut names: Vec<String> = manifests.iter().map(|m| package_name(m)).collect();
    names.push(package_name(&manifest));
    (manifests.iter())
        .map(|m| {
            let deps = dependencies(m).into_iter();
            (
                package_name(m),
                deps.filter(|d| names.contains(d)).collect(),
            )
        })
        .collect()
}

/// The double-quoted strings of a text: `members = ["tensor", "nn"]` → tensor, nn.
fn quoted_strings(line: &str) -> Vec<String> {
    line.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// `name = "..."` of a crate's `[package]`.
fn package_name(manifest: &str) -> String {
    let package = manifest
        .lines()
        .skip_while(|l| l.trim() != "[package]")
        .skip(1);
    let line = package
        .take_while(|l| !l.starts_with('['))
        .find(|l| l.trim_start().starts_with("name"))
        .expect("a [package] with a name");
    quoted_strings(line).remove(0)
}

/// Every build dependency name in a manifest: the keys of `[dependencies]` and
/// `[build-dependencies]` (also under `[target.'…'.]`), and the `[dependencies.NAME]`
/// form; `[dev-dependencies]` are left out.
fn dependencies(manifest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_table = false;
    for line in manifest.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_end_matches(']');
            let last = header.rsplit('.').next().unwrap_or(header);
            let table = |h: &str| h.ends_with("dependencies") && !h.ends_with("dev-dependencies");
            in_table = table(header);
            if !in_table
                && let Some((head, _)) = header.rsplit_once('.')
                && table(head)
            {
                out.push(last.to_string()); // [dependencies.nn]
            }
        } else if in_table && !line.is_empty() && !line.starts_with('#') {
            let key = line.split(['=', '.']).next().unwrap_or("").trim();
            out.push(key.trim_matches('"').to_string());
        }
    }
    out
}

#[test]
fn the_dependency_reader_sees_every_form() {
    let manifest = "[package]\nname = \"x\"\n[dependencies]\ntensor.workspace = true\n\
                    rand = \"0.8\"\n[dev-dependencies]\n\"nn\" = { path = \"../nn\" }\n\
                    [target.'cfg(unix)'.dependencies]\nautograd = { workspace = true }\n\
                    [dependencies.optim]\npath = \"../optim\"\n[lints]\nworkspace = true\n";
    assert_eq!(package_name(manifest), "x");
    assert_eq!(
        dependencies(manifest),
        ["tensor", "rand", "autograd", "optim"]
    );
}

#[test]
fn each_crate_depends_only_on_crates_below_it() {
    let graph = workspace_dependencies();
    // DESIGN.md's layers. A crate not named here sits on tensor alone, beside autograd
    // (the vector-search crate), unless it is built on the facade (the benchmarks).
    let level = |krate: &str| match krate {
        "tensor" => 0,
        "autograd" => 1,
        "nn" | "optim" => 2,
        FACADE => 3,
        _ if graph
            .get(krate)
            .is_some_and(|d| d.iter().any(|d| d == FACADE)) =>
        {
            4
        }
        _ => 1,
    };
    for known in ["tensor", "autograd", "nn", "optim"] {
        assert!(graph.contains_key(known), "no crate `{known}` in {graph:?}");
    }
    let mut wrong = Vec::new();
    for (krate, deps) in &graph {
        for dep in deps {
            if level(dep) >= level(krate) {
                wrong.push(format!("{krate} depends on {dep}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "against DESIGN's layering (each crate depends only on those below it; \
         optim not on nn; a vector-search crate on tensor alone): {}",
        wrong.join(", ")
    );
    // the reader found the dependencies (a check that cannot pass vacuously)
    assert!(graph["nn"].contains(&"autograd".to_string()), "{graph:?}");
}
