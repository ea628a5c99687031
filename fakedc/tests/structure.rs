//! The fake DC's layering, checked on its source: services import only the
//! router (`rpc`) and the `world`, plus the leaf helpers `random` and `srp`,
//! and never each other, so no service can form an import cycle with
//! another and shared state has one home.

use std::path::{Path, PathBuf};

/// Modules of the crate a service may name.
const ALLOWED: &[&str] = &["rpc", "world", "random", "srp"];

fn service_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the services directory")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    files.sort();
    files
}

/// The code of a file before its unit tests, which may reach into the
/// module under test through `super::`.
fn code_before_tests(source: &str) -> &str {
    source
        .find("#[cfg(test)]")
        .map_or(source, |at| &source[..at])
}

/// Every `crate::<module>` a piece of code names.
fn crate_modules(code: &str) -> Vec<&str> {
    code.match_indices("crate::")
        .map(|(at, _)| {
            let rest = &code[at + "crate::".len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

#[test]
fn services_import_only_rpc_and_world() {
    let files = service_files();
    assert!(files.len() >= 10, "found {} services", files.len());
    let mut offences = Vec::new();
    for path in &files {
        let source = std::fs::read_to_string(path).expect("readable source");
        let code = code_before_tests(&source);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        for module in crate_modules(code) {
            // `services/mod.rs` assembles the services and may name them.
            let own = name == "mod.rs" && module == "services";
            if !ALLOWED.contains(&module) && !own {
                offences.push(format!("{name}: crate::{module}"));
            }
        }
        if name != "mod.rs" && code.contains("super::") {
            offences.push(format!("{name}: imports another service through super::"));
        }
        if code.contains("impl crate::FakeDc") {
            offences.push(format!("{name}: extends FakeDc (lib.rs does that)"));
        }
    }
    assert!(
        offences.is_empty(),
        "layering broken:\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_checker_sees_a_cross_service_import() {
    let code = "use super::files::photo_tl;\nuse crate::proto::unix_now;\nuse crate::world::World;";
    assert_eq!(crate_modules(code), ["proto", "world"]);
    assert!(code_before_tests(code).contains("super::"));
    let with_tests = "fn f() {}\n#[cfg(test)]\nmod tests { use super::f; }";
    assert!(!code_before_tests(with_tests).contains("super::"));
}
