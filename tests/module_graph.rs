//! The crate's top-level modules depend on each other without a circle: the edge (server,
//! protocols) points down to the service, the model and the store, never back. Reads every
//! `crate::<module>` path in the code of `src/` (`use` lines, grouped `crate::{a, b}`
//! imports, full paths and `$crate::` in macros; comments left out) and looks for a cycle
//! among the top-level modules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`None` for the crate roots).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    match first.as_str() {
        "lib.rs" | "main.rs" => None,
        _ => Some(first.trim_end_matches(".rs").to_owned()),
    }
}

/// The identifiers that follow `crate::` in `text`, grouped imports included.
fn referenced(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(&src, f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(from) = module_of(&src, file) else {
            continue;
        };
        // Comments may name any module; only code depends on one.
        let text: String = fs::read_to_string(file)
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let deps = graph.entry(from.clone()).or_default();
        for to in referenced(&text) {
            if to != from && modules.contains(&to) {
                deps.insert(to);
            }
        }
    }
    graph
}

/// A cycle through `node`, if there is one, as the path that closes it.
fn cycle(
    graph: &BTreeMap<String, BTreeSet<String>>,
    node: &str,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(i) = path.iter().position(|n| n == node) {
        let mut c = path[i..].to_vec();
        c.push(node.to_owned());
        return Some(c);
    }
    if done.contains(node) {
        return None;
    }
    path.push(node.to_owned());
    for next in graph.get(node).into_iter().flatten() {
        if let Some(c) = cycle(graph, next, path, done) {
            return Some(c);
        }
    }
    path.pop();
    done.insert(node.to_owned());
    None
}

#[test]
fn the_module_graph_has_no_circle() {
    let graph = graph();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(c) = cycle(&graph, node, &mut Vec::new(), &mut done) {
            panic!("module cycle: {}\n{graph:#?}", c.join(" -> "));
        }
    }
}

#[test]
fn protocols_stand_on_the_contract_not_on_the_server() {
    let graph = graph();
    for protocol in [
        "aliyun", "aws", "protocol", "service", "model", "store", "crypto",
    ] {
        assert!(
            !graph[protocol].contains("server"),
            "{protocol} imports server: {:?}",
            graph[protocol]
        );
    }
    for lower in ["service", "model", "store", "crypto"] {
        for edge in ["aliyun", "aws", "protocol"] {
            assert!(!graph[lower].contains(edge), "{lower} imports {edge}");
        }
    }
    // The check itself sees real edges.
    assert!(graph["server"].contains("aliyun") && graph["aliyun"].contains("service"));
}

#[test]
fn references_are_read_in_every_form() {
    let refs =
        referenced("use crate::{aliyun, aws::x};\nlet a = $crate::enums::y; crate::model::K");
    assert_eq!(
        refs,
        ["aliyun", "aws", "enums", "model"]
            .into_iter()
            .map(String::from)
            .collect()
    );
}

/// The README's layout names every file and directory of `src/` that exists, and nothing
/// that does not; for the directories it lists file by file, every file.
#[test]
fn the_readme_layout_matches_the_tree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    let layout = readme.split("## Layout").nth(1).unwrap();
    let block = layout.split("```").nth(1).unwrap();
    let mut named: BTreeSet<String> = BTreeSet::new();
    let mut dir = String::new();
    // A directory inside a listed directory (`  secrets/`), whose files are indented deeper.
    let mut subdir = String::new();
    for line in block.lines() {
        if let Some(rest) = line.strip_prefix("src/") {
            let entry = rest.split_whitespace().next().unwrap();
            named.insert(format!("src/{entry}"));
            dir = if entry.ends_with('/') {
                format!("src/{entry}")
            } else {
                String::new()
            };
            subdir.clear();
        } else if line.starts_with("    ") && !subdir.is_empty() && !line.starts_with("      ") {
            for word in line.split_whitespace().take_while(|w| w.ends_with(".rs")) {
                named.insert(format!("{subdir}{word}"));
            }
        } else if line.starts_with("  ") && !line.starts_with("   ") && !dir.is_empty() {
            let first = line.split_whitespace().next().unwrap_or_default();
            if first.ends_with('/') {
                subdir = format!("{dir}{first}");
                named.insert(subdir.clone());
                continue;
            }
            subdir.clear();
            for word in line.split_whitespace().take_while(|w| w.ends_with(".rs")) {
                named.insert(format!("{dir}{word}"));
            }
        }
    }
    for path in &named {
        assert!(
            root.join(path).exists(),
            "the README names {path}, which does not exist"
        );
    }
    let src = root.join("src");
    for entry in fs::read_dir(&src).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let shown = if entry.path().is_dir() {
            format!("src/{name}/")
        } else {
            format!("src/{name}")
        };
        if name == "lib.rs" {
            continue;
        }
        assert!(named.contains(&shown), "the README's layout lacks {shown}");
        let listed = named.iter().any(|n| n.starts_with(&shown) && n != &shown);
        if entry.path().is_dir() && listed {
            for file in fs::read_dir(entry.path()).unwrap() {
                let file = file.unwrap();
                let is_dir = file.path().is_dir();
                let file = file.file_name().into_string().unwrap();
                // Test-only files are part of their module's story.
                if file.ends_with("tests.rs") || file == "suite.rs" {
                    continue;
                }
                if !is_dir {
                    let path = format!("{shown}{file}");
                    assert!(named.contains(&path), "the README's layout lacks {path}");
                    continue;
                }
                let sub = format!("{shown}{file}/");
                assert!(named.contains(&sub), "the README's layout lacks {sub}");
                for inner in fs::read_dir(root.join(&sub)).unwrap() {
                    let inner = inner.unwrap().file_name().into_string().unwrap();
                    let path = format!("{sub}{inner}");
                    assert!(named.contains(&path), "the README's layout lacks {path}");
                }
            }
        }
    }
}
