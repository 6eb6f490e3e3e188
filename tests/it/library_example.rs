//! The Rust API as another program uses it: `examples/generate_image.rs`
//! (built by `cargo test` beside this test binary) run as it is, against its
//! own in-process sandbox.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/<profile>/examples/generate_image`, when `cargo test` built it.
fn built_example() -> Option<PathBuf> {
    // The test binary is `target/<profile>/deps/it-<hash>`.
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let example = profile_dir
        .join("examples")
        .join(format!("generate_image{}", std::env::consts::EXE_SUFFIX));
    example.is_file().then_some(example)
}

#[test]
fn the_generate_image_example_downloads_a_png_into_its_temporary_folder() {
    let Some(example) = built_example() else {
        eprintln!(
            "SKIPPED: examples/generate_image is not built next to this test binary \
             (plain `cargo test` builds it; `cargo test --test it` alone does not)"
        );
        return;
    };
    let temp = tempfile::tempdir().expect("temp dir");
    let output = Command::new(&example)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", temp.path())
        .env("TMPDIR", temp.path())
        .env("TMP", temp.path())
        .env("TEMP", temp.path())
        .env("LOVART_WAIT_SCALE", "0.001")
        .output()
        .expect("run the example");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status.code()
    );

    // One line: the path of the image, inside the example's own folder.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let image = Path::new(lines[0]);
    let folder = image
        .parent()
        .and_then(Path::parent)
        .expect("<folder>/images/<file>");
    assert!(
        folder.starts_with(temp.path()),
        "{} is not under the temporary folder {}",
        image.display(),
        temp.path().display()
    );
    assert_eq!(image.extension().and_then(|ext| ext.to_str()), Some("png"));
    let bytes = std::fs::read(image).expect("the image the example printed");
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "not a PNG: {:?}",
        &bytes[..bytes.len().min(8)]
    );

    // The engine's events reached the example's sink: the poll's statuses.
    assert!(
        stderr.lines().any(|line| line == "status: done"),
        "stderr:\n{stderr}"
    );

    // The send was recorded in the example's own state file, not in HOME's.
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(folder.join("state.json")).expect("the example's state file"),
    )
    .expect("state JSON");
    assert_eq!(
        state["threads"].as_array().map(Vec::len),
        Some(1),
        "{state}"
    );
    assert!(!temp.path().join(".lovart").exists());
}
