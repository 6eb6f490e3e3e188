#!/usr/bin/env bash
# What a first build costs: clean release build time (what `cargo install
# --locked --path .` compiles), release binary size with and without the
# features, and `cargo test --features full` time (compile, then run).
#
# Every build starts from a fresh, empty target dir (crates already downloaded:
# run `cargo fetch --locked` once first). Wall time depends on whatever else
# runs on the machine; the CPU time (Linux) is the steadier number to compare.
#
#   scripts/measure_build.sh            # everything
#   scripts/measure_build.sh release    # clean release build + sizes only
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export CARGO_TERM_COLOR=never CARGO_INCREMENTAL=0

seconds() { # seconds COMMAND...: runs it quietly; prints wall and CPU (user+sys) time
    local start end cpu0 cpu1 me=$BASHPID
    start=$(date +%s.%N)
    cpu0=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$me/stat 2>/dev/null || echo 0)
    "$@" >"$scratch/log" 2>&1 || { cat "$scratch/log" >&2; exit 1; }
    end=$(date +%s.%N)
    # Children's CPU time, in clock ticks, from /proc (Linux only).
    cpu1=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$me/stat 2>/dev/null || echo 0)
    awk -v a="$start" -v b="$end" -v c0="$cpu0" -v c1="$cpu1" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%.1f s wall", b - a; if (c1 > c0) printf ", %.1f s CPU", (c1 - c0) / hz }'
}
size() { stat -c %s "$1" 2>/dev/null || stat -f %z "$1"; }
exe=lovart$([[ ${OS:-} == Windows_NT ]] && echo .exe || true)

echo "machine: $(nproc 2>/dev/null || sysctl -n hw.ncpu) cores, load $(uptime | sed 's/.*average[s]*: //')"
echo "rustc:   $(rustc --version)"
cargo fetch --locked >/dev/null 2>&1

if [[ $what == all || $what == release ]]; then
    # `-p lovart`: the root package only, as `cargo install --path .` builds
    # it (a plain `cargo build` at the root builds every default member).
    export CARGO_TARGET_DIR=$scratch/release
    t=$(seconds cargo build --release --locked -p lovart)
    echo "clean release build (default features): ${t}"
    default=$(size "$CARGO_TARGET_DIR/release/$exe")
    rm -rf "$CARGO_TARGET_DIR"
    t=$(seconds cargo build --release --locked -p lovart --features full)
    echo "clean release build (--features full):  ${t}"
    full=$(size "$CARGO_TARGET_DIR/release/$exe")
    rm -rf "$CARGO_TARGET_DIR"
    t=$(seconds cargo build --release --locked -p lovart --no-default-features)
    echo "clean release build (no features):       ${t}"
    lean=$(size "$CARGO_TARGET_DIR/release/$exe")
    echo "release binary: ${default} bytes (default), ${full} bytes (full), ${lean} bytes (no features)"
    rm -rf "$CARGO_TARGET_DIR"
fi

if [[ $what == all || $what == test ]]; then
    export CARGO_TARGET_DIR=$scratch/test
    t=$(seconds cargo test --locked --features full --no-run)
    echo "clean cargo test compile: ${t}"
    t=$(seconds cargo test --locked --features full)
    echo "cargo test run (built):   ${t}"
    rm -rf "$CARGO_TARGET_DIR"
fi
