#!/usr/bin/env python3
"""Measures `lovart batch` against `lovart sandbox`: a figure, not a test.

1. 120 prompts against `lovart sandbox --fast` with the documented rate limits
   in real time (chat 60/min and 600/h, query 300/min and 3000/h; jobs finish
   after two status polls), real waits (poll every 3 s, second look 5 s after
   "done"). Prints the wall time against the floor: the wait the limits impose
   on the last send (120 sends at 60/min: the 61st cannot go before 60 s) plus
   one row's own time (a 1-row batch, measured first: two polls 3 s apart and
   the second look 5 s later, which no scheduling removes); the 429s the
   sandbox answered; and duplicate sends (POST /chat answered 200 more than
   once per row, or rows sharing a thread).
2. 10,000 rows, to show memory is flat in the number of rows: the same, with
   every window and wait scaled by 0.001 on both sides (`--rate-scale`,
   `LOVART_RATE_SCALE`, `LOVART_WAIT_SCALE`), so the 16.7 "hours" the chat tier
   needs pass in about a minute. Prints the batch's peak RSS (VmHWM).

   `--scale S` runs part 1 the same way (every window and wait times S on
   both sides), so a figure takes seconds instead of minutes; the ratio to
   the floor is what to compare (start-up weighs a little more at small S).
   Without `--concurrency`, the batch runs with no flags: its defaults.

Usage: scripts/bench_batch.py [--bin target/release/lovart] [--rows 120]
       [--concurrency N] [--scale 1.0] [--skip-big] [--big-rows 10000]
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(binary, extra):
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [binary, "sandbox", "--fast", "--ephemeral", "--port", str(port), *extra],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env={"PATH": os.environ.get("PATH", "")},
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, log, f"http://127.0.0.1:{port}"


def stop_sandbox(proc, log):
    proc.terminate()
    proc.wait()
    log.seek(0)
    return log.read().decode(errors="replace").splitlines()


def run_batch(binary, base_url, rows, concurrency, scale, home):
    path = os.path.join(home, "prompts.txt")
    with open(path, "w") as f:
        for i in range(rows):
            f.write(f"a watercolour fox, row {i:05d}\n")  # no scenario keyword such as 402
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": home,
        "LOVART_BASE_URL": base_url,
        "LOVART_ACCESS_KEY": "ak_sandbox",
        "LOVART_SECRET_KEY": "sk_sandbox",
    }
    if scale != 1.0:
        env["LOVART_RATE_SCALE"] = str(scale)
        env["LOVART_WAIT_SCALE"] = str(scale)
    peak = [0]
    start = time.monotonic()
    flags = [] if concurrency is None else ["--concurrency", str(concurrency)]
    proc = subprocess.Popen(
        [binary, "batch", path, *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )

    def watch_rss():
        while proc.poll() is None:
            try:
                with open(f"/proc/{proc.pid}/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            peak[0] = max(peak[0], int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.1)

    watcher = threading.Thread(target=watch_rss, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    wall = time.monotonic() - start
    watcher.join()
    lines = out.decode().splitlines()
    return proc.returncode, wall, lines, err.decode(), peak[0]


def report(name, code, wall, lines, err, sandbox_log, rows, floor):
    import json

    outputs = [json.loads(line) for line in lines]
    threads = {o.get("thread_id") for o in outputs}
    sends_ok = sum(1 for l in sandbox_log if l.startswith("POST /v1/openapi/chat ") and l.endswith(" 200"))
    refused = sum(1 for l in sandbox_log if l.endswith(" 429"))
    done = sum(1 for o in outputs if o.get("final_status") == "done")
    duplicates = max(0, sends_ok - rows) + (rows - len(threads))
    print(f"== {name}")
    print(f"rows: {rows}, printed: {len(outputs)}, done: {done}, exit: {code}")
    if floor:
        print(f"wall: {wall:.1f} s; floor: {floor:.1f} s; over the floor: {100 * (wall / floor - 1):.1f} %")
    else:
        print(f"wall: {wall:.1f} s")
    print(f"429s answered by the sandbox: {refused}")
    print(f"duplicate sends: {duplicates} (POST /chat answered 200: {sends_ok}, distinct threads: {len(threads)})")
    print("batch summary: " + (err.strip().splitlines() or [""])[-1], flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default="target/release/lovart")
    parser.add_argument("--rows", type=int, default=120)
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--big-rows", type=int, default=10_000)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-small", action="store_true")
    args = parser.parse_args()
    binary = os.path.abspath(args.bin)
    if not os.path.exists(binary):
        sys.exit(f"no binary at {binary}: cargo build --release --features full (or --bin target/debug/lovart)")

    if not args.skip_small:
        scale = args.scale
        rate = ["--rate-scale", str(scale)] if scale != 1.0 else []
        # 120 sends at 60 a minute: the last 60 go at 60 s at the earliest.
        limits_floor = 60.0 * scale * ((args.rows - 1) // 60)
        # One row alone, against its own sandbox (the limits are per account).
        proc, log, url = start_sandbox(binary, rate)
        with tempfile.TemporaryDirectory() as home:
            _, one_row, _, _, _ = run_batch(binary, url, 1, 1, scale, home)
        stop_sandbox(proc, log)
        floor = limits_floor + one_row
        proc, log, url = start_sandbox(binary, rate)
        print(f"one row alone: {one_row:.2f} s; the limits hold the last send {limits_floor:.1f} s", flush=True)
        with tempfile.TemporaryDirectory() as home:
            code, wall, lines, err, _ = run_batch(binary, url, args.rows, args.concurrency, scale, home)
        flags = "no flags" if args.concurrency is None else f"--concurrency {args.concurrency}"
        waits = "real limits and waits" if scale == 1.0 else f"limits and waits scaled by {scale}"
        report(f"{args.rows} prompts, {waits}, {flags}",
               code, wall, lines, err, stop_sandbox(proc, log), args.rows, floor)

    if not args.skip_big:
        scale = 0.001
        proc, log, url = start_sandbox(binary, ["--rate-scale", str(scale)])
        with tempfile.TemporaryDirectory() as home:
            code, wall, lines, err, peak = run_batch(binary, url, args.big_rows, 64, scale, home)
        report(f"{args.big_rows} prompts, windows and waits scaled by {scale}, --concurrency 64",
               code, wall, lines, err, stop_sandbox(proc, log), args.big_rows, None)
        print(f"peak RSS of lovart batch: {peak / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
