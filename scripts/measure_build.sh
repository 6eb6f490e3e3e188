#!/usr/bin/env bash
# What a first build costs: clean release build time (what `cargo install
# --locked --path .` compiles), release binary size with and without the
# `sandbox` feature, and `cargo test` time (compile, then run).
#
# Every build starts from a fresh, empty target dir (crates already downloaded:
# run `cargo fetch --locked` once first). Timings depend on the machine and on
# whatever else runs on it; run twice and compare when the machine is shared.
#
#   scripts/measure_build.sh            # everything
#   scripts/measure_build.sh release    # clean release build + sizes only
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export CARGO_TERM_COLOR=never CARGO_INCREMENTAL=0

seconds() { # seconds COMMAND...: runs it quietly, prints the wall time
    local start end
    start=$(date +%s.%N)
    "$@" >"$scratch/log" 2>&1 || { cat "$scratch/log" >&2; exit 1; }
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }'
}
size() { stat -c %s "$1" 2>/dev/null || stat -f %z "$1"; }
exe=lovart$([[ ${OS:-} == Windows_NT ]] && echo .exe || true)

echo "machine: $(nproc 2>/dev/null || sysctl -n hw.ncpu) cores, load $(uptime | sed 's/.*average[s]*: //')"
echo "rustc:   $(rustc --version)"
cargo fetch --locked >/dev/null 2>&1

if [[ $what == all || $what == release ]]; then
    export CARGO_TARGET_DIR=$scratch/release
    t=$(seconds cargo build --release --locked)
    echo "clean release build (default features): ${t} s"
    full=$(size "$CARGO_TARGET_DIR/release/$exe")
    # Same dir: only the crates whose features differ are rebuilt.
    t=$(seconds cargo build --release --locked --no-default-features)
    echo "then --no-default-features:               ${t} s"
    lean=$(size "$CARGO_TARGET_DIR/release/$exe")
    echo "release binary: ${full} bytes with the sandbox, ${lean} bytes without"
    rm -rf "$CARGO_TARGET_DIR"
fi

if [[ $what == all || $what == test ]]; then
    export CARGO_TARGET_DIR=$scratch/test
    t=$(seconds cargo test --locked --no-run)
    echo "clean cargo test compile: ${t} s"
    t=$(seconds cargo test --locked)
    echo "cargo test run (built):   ${t} s"
    rm -rf "$CARGO_TARGET_DIR"
fi
