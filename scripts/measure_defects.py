#!/usr/bin/env python3
"""Probe the reference's known defects (CONTRACT §6) on the reference and on
lovart, side by side, and print the numbers:

  concurrent sends kept, corrupt state kept, killed download left behind,
  upload peak memory, multi-artifact download wall time, bad inputs that end in
  a traceback.

    cargo build --release --features full
    python3 scripts/measure_defects.py --reference /path/to/agent_skill.py

The reference is not part of this project: fetch lovartai/lovart-skill yourself.
"""

import argparse
import http.server
import json
import os
import re
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

BIG = 64 * 1024 * 1024
RATE = 48 * 1024 * 1024  # bytes per second per connection


class SlowFiles(http.server.BaseHTTPRequestHandler):
    """Serves /big/<n>: 64 MiB per file, each connection throttled."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(BIG))
        self.end_headers()
        chunk = b"\0" * (1024 * 1024)
        try:
            for _ in range(BIG // len(chunk)):
                self.wfile.write(chunk)
                time.sleep(len(chunk) / RATE)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


class ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def env_for(home, base, extra=None):
    return {"PATH": os.environ["PATH"], "HOME": home, "LOVART_BASE_URL": base,
            "LOVART_ACCESS_KEY": "ak_sandbox", "LOVART_SECRET_KEY": "sk_sandbox", **(extra or {})}


def concurrent_sends(program, base, count):
    home = tempfile.mkdtemp()
    env = env_for(home, base)
    subprocess.run(program + ["create-project"], env=env, capture_output=True, check=True)
    procs = [subprocess.Popen(program + ["send", "--prompt", f"forever {i}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(count)]
    for proc in procs:
        proc.wait()
    state = json.load(open(os.path.join(home, ".lovart", "state.json")))
    return len(state.get("threads", []))


def corrupt_state_kept(program, base):
    home = tempfile.mkdtemp()
    os.makedirs(os.path.join(home, ".lovart"))
    original = '{"projects": {"p1": {"name": "mine"}}, "active_project": "p1", "threads": [' + "x" * 10
    open(os.path.join(home, ".lovart", "state.json"), "w").write(original)
    subprocess.run(program + ["project-add", "--project-id", "p2"], env=env_for(home, base), capture_output=True)
    folder = os.path.join(home, ".lovart")
    return any(open(os.path.join(folder, name)).read() == original for name in os.listdir(folder)
               if name.startswith("state.json"))


def killed_download(program, base, files_base):
    home = tempfile.mkdtemp()
    out = os.path.join(home, "out")
    url = f"{files_base}/big/killed"
    proc = subprocess.Popen(program + ["download", "--urls", url, "--output-dir", out],
                            env=env_for(home, base), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    again = subprocess.run(program + ["download", "--urls", url, "--output-dir", out],
                           env=env_for(home, base), capture_output=True, text=True, timeout=120)
    item = json.loads(again.stdout)["downloaded"][0]
    size = os.path.getsize(item["local_path"]) if item.get("local_path") else 0
    return item.get("new"), size


def upload_peak_rss_mib(program, base, size_mib):
    home = tempfile.mkdtemp()
    path = os.path.join(home, "big.bin")
    with open(path, "wb") as handle:
        handle.truncate(size_mib * 1024 * 1024)
    done = subprocess.run(["/usr/bin/time", "-f", "%M"] + program + ["upload", "--file", path],
                          env=env_for(home, base), capture_output=True, text=True)
    os.remove(path)
    return int(done.stderr.strip().splitlines()[-1]) / 1024


def multi_download_seconds(program, base, files_base, count):
    home = tempfile.mkdtemp()
    urls = [f"{files_base}/big/{i}" for i in range(count)]
    started = time.time()
    subprocess.run(program + ["download", "--urls", *urls, "--output-dir", os.path.join(home, "out")],
                   env=env_for(home, base), capture_output=True, check=True)
    return time.time() - started


BAD_INPUTS = [
    ["chat", "--prompt", "x", "--prefer-models", "{not json"],
    ["chat", "--prompt", "x", "--prefer-models", "[1, 2]"],
    ["upload", "--file", "/nonexistent/file.png"],
    ["upload", "--file", "/tmp"],
    ["chat", "--prompt", "x", "--download", "--output-dir", "/proc/forbidden"],
    ["--timeout", "-1", "chat", "--prompt", "x"],
    ["watch", "--prompt", "x", "--interval", "-1"],
    ["--base-url", "not a url", "status", "--thread-id", "t"],
    ["status", "--thread-id", "unknown-thread"],
    ["result", "--thread-id", "unknown-thread"],
]


def tracebacks(program, base):
    home = tempfile.mkdtemp()
    count = 0
    for args in BAD_INPUTS:
        done = subprocess.run(program + args, env=env_for(home, base), capture_output=True, text=True, timeout=120)
        if "Traceback" in done.stderr or "panicked" in done.stderr:
            count += 1
    return count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", required=True)
    parser.add_argument("--lovart", default="target/release/lovart")
    parser.add_argument("--port", type=int, default=18741)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    files = ThreadingServer(("127.0.0.1", 0), SlowFiles)
    threading.Thread(target=files.serve_forever, daemon=True).start()
    files_base = f"http://127.0.0.1:{files.server_address[1]}"
    time.sleep(1)
    programs = {"reference": [sys.executable, args.reference], "lovart": [args.lovart]}
    try:
        for name, program in programs.items():
            # A fresh sandbox each: its per-minute chat limit (60) must not carry over.
            sandbox = subprocess.Popen([args.lovart, "sandbox", "--fast", "--ephemeral", "--rate-scale", "0.01", "--port", str(args.port)],
                                       stderr=subprocess.DEVNULL)
            time.sleep(1)
            print(f"== {name}")
            print(f"32 concurrent sends: {concurrent_sends(program, base, 32)}/32 threads kept")
            print(f"corrupt state file kept: {corrupt_state_kept(program, base)}")
            new, size = killed_download(program, base, files_base)
            print(f"after a killed download, the next run: new={new}, file size {size} of {BIG}")
            print(f"upload 256 MiB: peak RSS {upload_peak_rss_mib(program, base, 256):.0f} MiB")
            print(f"8 x 64 MiB artifacts: {multi_download_seconds(program, base, files_base, 8):.1f} s")
            print(f"bad inputs ending in a traceback/panic: {tracebacks(program, base)}/{len(BAD_INPUTS)}")
            sandbox.terminate()
            sandbox.wait()
    finally:
        files.shutdown()


if __name__ == "__main__":
    main()
