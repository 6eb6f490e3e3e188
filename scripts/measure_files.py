#!/usr/bin/env python3
"""Measure what the files feature costs, against a local `lovart sandbox --fast`.

1. Download of the sandbox's 64 MiB `bigfile` PNG with `lovart download`:
   median wall time of the binary under test (hashes every byte for the
   history line, appends it) and of a baseline binary (--baseline, e.g. a build
   of main without the feature), and the same with `--name` and `--sidecar`.
2. 16 `lovart download` processes at once into one state folder: history
   lines written, and whether each parses (none torn, none lost).
3. `lovart history --json` and `lovart gallery` over a 5,000-line history:
   median wall time and the page's size.

Usage: scripts/measure_files.py [--lovart target/debug/lovart] [--baseline PATH] [--runs 5]
Prints one JSON object. Numbers are for the binaries given (debug builds by default).
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(lovart):
    port = free_port()
    proc = subprocess.Popen([lovart, "sandbox", "--fast", "--ephemeral", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={"PATH": os.environ.get("PATH", "")})
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    sys.exit("the sandbox did not start")


def env_for(home, base_url):
    return {"PATH": os.environ.get("PATH", ""), "HOME": home, "LOVART_BASE_URL": base_url,
            "LOVART_ACCESS_KEY": "ak_sandbox", "LOVART_SECRET_KEY": "sk_sandbox",
            "LOVART_WAIT_SCALE": "0.01"}


def timed(cmd, env):
    started = time.monotonic()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"{cmd[1]} failed: {done.stderr}")
    return elapsed, done.stdout


def median_download(lovart, env, url, work, runs, extra=()):
    times = []
    for run in range(runs):
        out = tempfile.mkdtemp(dir=work)
        elapsed, _ = timed([lovart, "download", "--urls", url, "--output-dir", out, *extra], env)
        times.append(elapsed)
    return round(statistics.median(times), 3)


def synthetic_history(path, count):
    with open(path, "w") as f:
        for n in range(count):
            record = {"version": 1, "local_path": f"/nowhere/{n}.png",
                      "url": f"https://cdn.example/{n}.png", "type": "image",
                      "mime_type": "image/png", "size": 1000, "sha256": "0" * 64,
                      "prompt": f"prompt number {n} " + "word " * 20,
                      "thread_id": f"thread{n // 4:06d}", "project_id": "p1",
                      "tool": None, "model": None, "cost": None,
                      "downloaded_at": f"2026-11-{1 + n % 28:02d}T10:00:00+00:00",
                      "lovart_version": "0.1.0"}
            f.write(json.dumps(record) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lovart", default=os.path.join(ROOT, "target", "debug", "lovart"))
    parser.add_argument("--baseline")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="lovart-measure-files-")
    sandbox, base_url = start_sandbox(args.lovart)
    report = {"binary": args.lovart, "baseline": args.baseline}
    try:
        home = os.path.join(work, "home")
        os.makedirs(home)
        env = env_for(home, base_url)
        _, sent = timed([args.lovart, "chat", "--prompt", "bigfile", "--json"], env)
        url = next(a["content"] for item in json.loads(sent)["items"]
                   for a in item.get("artifacts", []))
        report["bigfile_seconds"] = median_download(args.lovart, env, url, work, args.runs)
        report["bigfile_named_sidecar_seconds"] = median_download(
            args.lovart, env, url, work, args.runs, ("--name", "{index}.{ext}", "--sidecar"))
        if args.baseline:
            base_home = os.path.join(work, "base-home")
            os.makedirs(base_home)
            report["bigfile_baseline_seconds"] = median_download(
                args.baseline, env_for(base_home, base_url), url, work, args.runs)

        crowd_home = os.path.join(work, "crowd")
        os.makedirs(crowd_home)
        crowd_env = env_for(crowd_home, base_url)
        _, cat = timed([args.lovart, "chat", "--prompt", "a cat", "--json"], env)
        small = next(a["content"] for item in json.loads(cat)["items"]
                     for a in item.get("artifacts", []))
        procs = [subprocess.Popen([args.lovart, "download", "--urls", f"{small}?n={n}",
                                   "--output-dir", os.path.join(work, f"crowd-out-{n}")],
                                  env=crowd_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for n in range(16)]
        codes = [proc.wait() for proc in procs]
        lines = open(os.path.join(crowd_home, ".lovart", "history.jsonl")).read().splitlines()
        parsed = sum(1 for line in lines if json.loads(line).get("version") == 1)
        report["concurrent_downloads"] = {"processes": 16, "succeeded": codes.count(0),
                                          "history_lines": len(lines), "lines_parsed": parsed}
    finally:
        sandbox.terminate()
        sandbox.wait()

    big_home = os.path.join(work, "big")
    os.makedirs(os.path.join(big_home, ".lovart"))
    synthetic_history(os.path.join(big_home, ".lovart", "history.jsonl"), 5000)
    big_env = env_for(big_home, "http://127.0.0.1:9")
    page = os.path.join(work, "gallery.html")
    history_times, gallery_times = [], []
    for _ in range(3):
        history_times.append(timed([args.lovart, "history", "--json"], big_env)[0])
        gallery_times.append(timed([args.lovart, "gallery", "--out", page], big_env)[0])
    report["history_5000_seconds"] = round(statistics.median(history_times), 3)
    report["gallery_5000_seconds"] = round(statistics.median(gallery_times), 3)
    report["gallery_5000_bytes"] = os.path.getsize(page)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
