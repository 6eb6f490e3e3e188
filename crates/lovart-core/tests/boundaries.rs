//! The engine's boundaries, read from its own sources: it never prints or
//! exits the process (it reports `Event`s; front ends render them and choose
//! exit codes), and it depends on no command-line or terminal crate.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn the_engine_never_prints_or_exits() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 30, "found only {} files", files.len());
    let forbidden = [
        "println!",
        "print!(",
        "eprint!(",
        "eprintln!",
        "dbg!(",
        "process::exit",
        "io::stdout()",
        "io::stderr().write",
    ];
    let mut found = Vec::new();
    for file in files {
        // Unit tests (files named tests.rs) may print what they like.
        if file.file_name().is_some_and(|name| name == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable source");
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for word in forbidden {
                if code.contains(word) {
                    found.push(format!(
                        "{}:{}: {}",
                        file.display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the engine prints or exits:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_engine_depends_on_no_command_line_or_terminal_crate() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .expect("readable manifest");
    for name in ["clap", "indicatif", "console"] {
        assert!(
            !manifest
                .lines()
                .any(|line| line.trim_start().starts_with(&format!("{name} "))
                    || line.trim_start().starts_with(&format!("{name}="))
                    || line.trim_start().starts_with(&format!("{name}.workspace"))),
            "lovart-core depends on {name}"
        );
    }
}
