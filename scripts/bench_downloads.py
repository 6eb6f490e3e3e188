#!/usr/bin/env python3
"""Measures parallel artifact downloads: a figure, not a test.

A small HTTP server on 127.0.0.1 serves N files of SIZE MiB, each connection
throttled to RATE MiB/s (so the network, not the disk or the CPU, is the
limit, as with a CDN that caps each connection). `lovart download --urls …`
fetches all N at once; the floor is one file's time, SIZE / RATE, when every
transfer runs side by side (the old bound of 4 at once made 8 files take two
rounds). Prints the wall time (process start-up included), the floor, the
most transfers the server saw at once, and whether every file arrived whole;
and, first, one file alone: what start-up and one transfer cost on this
machine, the best N files can do when they all run side by side.

Usage: scripts/bench_downloads.py [--bin target/release/lovart] [--files 8]
       [--size-mib 64] [--rate-mib 64] [--runs 3]
"""

import argparse
import http.server
import os
import subprocess
import sys
import tempfile
import threading
import time

MIB = 1024 * 1024
PIECE = 256 * 1024


class Throttled(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    size = 64 * MIB
    rate = 64 * MIB
    lock = threading.Lock()
    in_flight = 0
    peak = 0

    def do_GET(self):
        cls = type(self)
        with cls.lock:
            cls.in_flight += 1
            cls.peak = max(cls.peak, cls.in_flight)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(cls.size))
            self.end_headers()
            piece = b"\0" * PIECE
            start = time.monotonic()
            sent = 0
            while sent < cls.size:
                chunk = piece[: min(PIECE, cls.size - sent)]
                self.wfile.write(chunk)
                sent += len(chunk)
                # Pace to `rate`: never ahead of where the clock says we may be.
                ahead = sent / cls.rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with cls.lock:
                cls.in_flight -= 1

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default="target/release/lovart")
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--size-mib", type=float, default=64)
    parser.add_argument("--rate-mib", type=float, default=64)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    binary = os.path.abspath(args.bin)
    if not os.path.exists(binary):
        sys.exit(f"no binary at {binary}: cargo build --release --features full (or --bin target/debug/lovart)")

    Throttled.size = int(args.size_mib * MIB)
    Throttled.rate = args.rate_mib * MIB
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Throttled)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    floor = Throttled.size / Throttled.rate
    print(f"{args.files} files of {args.size_mib:g} MiB at {args.rate_mib:g} MiB/s per connection; "
          f"floor {floor:.2f} s (all at once)", flush=True)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LOVART_ACCESS_KEY": "ak_bench",
        "LOVART_SECRET_KEY": "sk_bench",
    }
    def fetch(count, tag):
        Throttled.peak = 0
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as out:
            urls = [f"{base}/{tag}/file{i}.png" for i in range(count)]
            start = time.monotonic()
            proc = subprocess.run(
                [binary, "download", "--urls", *urls, "--output-dir", out],
                capture_output=True, env=env,
            )
            wall = time.monotonic() - start
            whole = sum(
                1 for name in os.listdir(out)
                if os.path.getsize(os.path.join(out, name)) == Throttled.size
            )
        if proc.returncode != 0:
            print(proc.stderr.decode(errors="replace"), file=sys.stderr)
        return wall, whole, proc.returncode

    alone = min(fetch(1, f"alone{run}")[0] for run in range(args.runs))
    print(f"one file alone: {alone:.2f} s (start-up and one transfer)", flush=True)
    walls = []
    for run in range(args.runs):
        wall, whole, code = fetch(args.files, f"run{run}")
        walls.append(wall)
        print(f"run {run + 1}: {wall:.2f} s ({wall / floor:.2f}x the floor, {wall / alone:.2f}x one file); "
              f"at most {Throttled.peak} transfers at once; {whole}/{args.files} files whole; "
              f"exit {code}", flush=True)
    best = min(walls)
    print(f"best: {best:.2f} s = {best / floor:.2f}x the floor of {floor:.2f} s, "
          f"{best / alone:.2f}x one file alone")
    server.shutdown()


if __name__ == "__main__":
    main()
