#!/usr/bin/env python3
"""Measure how `lovart mcp` (stdio) stops when its client leaves mid-download.

A local stand-in API answers a `generate` at once with one image whose
download drips (one byte every 100 ms). Each round starts `lovart mcp`,
calls `generate` (wait_seconds 600), waits until the download's
`.lovart-partial-*` file exists, then closes stdin or sends SIGTERM, and
measures the time from that moment to the process's exit. It reports the
exit codes, the times (median, max), whether a partial file stayed and
whether the thread was in the state file.

    cargo build && python3 scripts/measure_mcp_stop.py [--lovart target/debug/lovart] [--rounds 10]

Unix only (SIGTERM).
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARTIFACT_BYTES = 6000
DRIP_EVERY = 0.1


class StandIn(BaseHTTPRequestHandler):
    """Thread `t1`, done at once, with one slowly dripping image."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, data):
        body = json.dumps({"code": 0, "data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        self.route()

    def do_GET(self):
        self.route()

    def route(self):
        path = self.path.split("?")[0]
        host = self.headers.get("Host")
        if path == "/v1/openapi/project/save":
            self.answer({"project_id": "p1"})
        elif path == "/v1/openapi/project/validate":
            self.answer({"valid": True, "project_name": "cat"})
        elif path == "/v1/openapi/chat":
            self.answer({"thread_id": "t1"})
        elif path == "/v1/openapi/chat/status":
            self.answer({"status": "done"})
        elif path == "/v1/openapi/chat/result":
            self.answer({"thread_id": "t1", "status": "done", "items": [{
                "type": "generator", "name": "artifacts",
                "artifacts": [{"type": "image", "content": f"http://{host}/files/slow.png"}]}]})
        elif path == "/files/slow.png":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(ARTIFACT_BYTES))
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(ARTIFACT_BYTES):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(DRIP_EVERY)
            except OSError:
                pass
        else:
            self.send_error(404)


def partials(folder):
    if not os.path.isdir(folder):
        return []
    return [name for name in os.listdir(folder) if name.startswith(".lovart-partial-")]


def one_round(lovart, base_url, how):
    home = tempfile.mkdtemp(prefix="lovart-stop-")
    out = os.path.join(home, "out")
    env = {
        "HOME": home, "PATH": os.environ.get("PATH", ""), "TZ": "UTC",
        "LOVART_BASE_URL": base_url,
        "LOVART_ACCESS_KEY": "ak_sandbox", "LOVART_SECRET_KEY": "sk_sandbox",
    }
    proc = subprocess.Popen(
        [lovart, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, env=env, text=True, bufsize=1, cwd=home)

    def send(message):
        proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()

    send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "measure", "version": "0"}}})
    json.loads(proc.stdout.readline())
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "generate",
        "arguments": {"prompt": "a cat", "wait_seconds": 600, "output_dir": out}}})
    deadline = time.monotonic() + 20
    while not partials(out):
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("the download never began")
        time.sleep(0.01)
    stopped = time.monotonic()
    if how == "close":
        proc.stdin.close()
    else:
        proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    elapsed = time.monotonic() - stopped
    with open(os.path.join(home, ".lovart", "state.json")) as f:
        threads = [thread.get("id") for thread in json.load(f).get("threads", [])]
    return {"code": code, "seconds": elapsed, "partials_left": len(partials(out)),
            "thread_saved": "t1" in threads}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lovart", default="target/debug/lovart")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    lovart = os.path.abspath(args.lovart)
    report = {}
    for how in ("close", "sigterm"):
        rounds = [one_round(lovart, base_url, how) for _ in range(args.rounds)]
        seconds = [r["seconds"] for r in rounds]
        report[how] = {
            "rounds": len(rounds),
            "exit_codes": sorted({r["code"] for r in rounds}),
            "median_ms": round(statistics.median(seconds) * 1000, 1),
            "max_ms": round(max(seconds) * 1000, 1),
            "partials_left": sum(r["partials_left"] for r in rounds),
            "thread_saved": all(r["thread_saved"] for r in rounds),
        }
    print(json.dumps(report, indent=2))
    server.shutdown()


if __name__ == "__main__":
    main()
