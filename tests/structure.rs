//! The crate's layering, checked on its source (ARCHITECTURE.md, "The
//! layers"): which top-level module may name which, and no import cycle
//! among them.
//!
//! A module's edges are the `crate::<module>` paths its files name outside
//! comments and unit tests; a path through a crate-root re-export
//! (`crate::Error`, `crate::Client`) counts for the module it re-exports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each module may import. Anything not listed is an offence, and the
/// lists themselves must form no cycle (checked below).
const ALLOWED: &[(&str, &[&str])] = &[
    ("types", &[]),
    ("private_files", &[]),
    ("error", &["types"]),
    ("transfer", &["error", "types", "private_files"]),
    ("client", &["transfer", "error", "types", "private_files"]),
    ("media", &["client", "transfer", "error", "types"]),
    ("td", &["error", "types"]),
    ("tgl", &["td", "error", "types"]),
    ("updates", &[]),
    (
        "commands",
        &[
            "td",
            "tgl",
            "client",
            "media",
            "transfer",
            "error",
            "types",
            "private_files",
        ],
    ),
    (
        "update_stream",
        &["updates", "tgl", "td", "client", "error", "types"],
    ),
    ("lines", &["commands", "update_stream", "error"]),
];

fn source_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            source_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

/// A file's code without its unit tests and without comment lines (doc
/// links may point anywhere).
fn code_of(source: &str) -> String {
    let before_tests = source
        .find("#[cfg(test)]")
        .map_or(source, |at| &source[..at]);
    before_tests
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first segment of every `crate::` path in `code`, groups included:
/// `crate::{error::Error, td}` names `error` and `td`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphanumeric() || c == '_') => {
                        item_start = false;
                        names.push(ident_at(&group[i..]));
                    }
                    _ => {}
                }
            }
        } else {
            names.push(ident_at(rest));
        }
    }
    names
}

fn ident_at(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The crate root's re-exports: `pub use client::{Client, ClientBuilder};`
/// maps `Client` and `ClientBuilder` to `client`.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for line in code_of(lib).lines() {
        let Some(path) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let path = path.trim_end_matches(';');
        let module = ident_at(path);
        let items = match path.find('{') {
            Some(open) => path[open + 1..].trim_end_matches('}').to_string(),
            None => path.rsplit("::").next().unwrap_or_default().to_string(),
        };
        for item in items.split(',') {
            let item = item.trim();
            let name = item.rsplit(" as ").next().unwrap_or(item);
            let name = name.rsplit("::").next().unwrap_or(name).trim();
            if !name.is_empty() {
                names.insert(name.to_string(), module.clone());
            }
        }
    }
    names
}

/// Module → the modules it names.
fn module_graph() -> BTreeMap<String, BTreeSet<(String, String)>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let reexports = root_reexports(&lib);
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for path in files {
        let relative = path.strip_prefix(&src).expect("under src");
        let first = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("readable source");
        for name in crate_paths(&code_of(&source)) {
            let target = reexports.get(&name).cloned().unwrap_or(name);
            // `crate::BoxFuture` and other items defined at the root.
            if target != module && ALLOWED.iter().any(|(m, _)| *m == target) {
                graph
                    .entry(module.clone())
                    .or_default()
                    .insert((target, relative.display().to_string()));
            }
        }
    }
    graph
}

#[test]
fn modules_import_only_the_layers_below_them() {
    let graph = module_graph();
    assert!(
        graph.contains_key("commands") && graph.contains_key("client"),
        "the checker sees the crate: {graph:?}"
    );
    let mut offences = Vec::new();
    for (module, edges) in &graph {
        let allowed = ALLOWED
            .iter()
            .find(|(m, _)| m == module)
            .map(|(_, a)| *a)
            .unwrap_or_else(|| panic!("module {module} is missing from ALLOWED"));
        for (target, file) in edges {
            if !allowed.contains(&target.as_str()) {
                offences.push(format!("{file}: crate::{target} ({module} → {target})"));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "layering broken:\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_allowed_layers_have_no_cycle() {
    // Depth-first search over ALLOWED: a module on the current path seen
    // again is a cycle.
    fn visit<'a>(module: &'a str, path: &mut Vec<&'a str>, done: &mut BTreeSet<&'a str>) {
        assert!(
            !path.contains(&module),
            "import cycle: {} → {module}",
            path.join(" → ")
        );
        if done.contains(module) {
            return;
        }
        path.push(module);
        let below = ALLOWED
            .iter()
            .find(|(m, _)| *m == module)
            .map_or(&[][..], |(_, a)| *a);
        for next in below {
            visit(next, path, done);
        }
        path.pop();
        done.insert(module);
    }
    let mut done = BTreeSet::new();
    for (module, _) in ALLOWED {
        visit(module, &mut Vec::new(), &mut done);
    }
    assert_eq!(done.len(), ALLOWED.len());
}

#[test]
fn the_checker_reads_paths_and_reexports() {
    let code = "use crate::{error::{Error, Result}, td};\nlet x = crate::Client::new();\n// crate::lines in a comment";
    assert_eq!(crate_paths(&code_of(code)), ["error", "td", "Client"]);
    let lib = "pub use client::auth::{LoginToken, SignInError};\npub use error::{Error, Result};\npub use types::User;";
    let names = root_reexports(lib);
    assert_eq!(names["SignInError"], "client");
    assert_eq!(names["Result"], "error");
    assert_eq!(names["User"], "types");
    let with_tests = "use crate::a;\n#[cfg(test)]\nmod tests { use crate::b; }";
    assert_eq!(crate_paths(&code_of(with_tests)), ["a"]);
}
