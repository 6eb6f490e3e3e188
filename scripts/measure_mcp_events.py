#!/usr/bin/env python3
"""How progress flows while `lovart mcp` downloads a large artifact.

A stand-in Lovart API (one project, one thread that is done, one artifact)
serves a 64 MiB file at about 16 MiB/s. `lovart mcp` (stdio) is asked to
`generate` with a progress token; the script records every notification
with its arrival time and prints: how many download-progress notifications
came, the most in any one second, the longest gap between two of them while
the file downloaded, and when the result came.

    python3 scripts/measure_mcp_events.py [--lovart target/debug/lovart]
"""

import argparse
import json
import os
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SIZE = 64 * 1024 * 1024
CHUNK = 256 * 1024
RATE = 16 * 1024 * 1024  # bytes per second


class StandIn(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, body):
        data = json.dumps({"code": 0, "data": body}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.route()

    def do_GET(self):
        self.route()

    def route(self):
        path = self.path.split("?")[0]
        host = self.headers.get("Host")
        if path == "/v1/openapi/project/save":
            self.reply({"project_id": "p1"})
        elif path == "/v1/openapi/project/validate":
            self.reply({"valid": True, "project_name": "x"})
        elif path == "/v1/openapi/chat":
            self.reply({"thread_id": "t1"})
        elif path == "/v1/openapi/chat/status":
            self.reply({"status": "done"})
        elif path == "/v1/openapi/chat/result":
            artifact = {"type": "image", "content": f"http://{host}/files/big.png"}
            self.reply({"status": "done", "items": [{"type": "assistant", "artifacts": [artifact]}]})
        elif path == "/files/big.png":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(SIZE))
            self.end_headers()
            block = b"\x89PNG\r\n\x1a\n" + b"\0" * (CHUNK - 8)
            sent = 0
            try:
                while sent < SIZE:
                    self.wfile.write(block)
                    sent += CHUNK
                    time.sleep(CHUNK / RATE)
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            self.send_response(404)
            self.end_headers()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lovart", default="target/debug/lovart")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    home = tempfile.mkdtemp(prefix="lovart-measure-")
    env = dict(os.environ, LOVART_HOME=home, LOVART_ACCESS_KEY="ak", LOVART_SECRET_KEY="sk",
               LOVART_BASE_URL=f"http://127.0.0.1:{server.server_port}")
    child = subprocess.Popen([args.lovart, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env=env)

    def send(message):
        child.stdin.write((json.dumps(message) + "\n").encode())
        child.stdin.flush()

    send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "measure", "version": "0"}}})
    child.stdout.readline()
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    started = time.monotonic()
    send({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "generate", "_meta": {"progressToken": 1},
        "arguments": {"prompt": "a cat", "wait_seconds": 30, "output_dir": os.path.join(home, "out")}}})
    progress = []
    answered = None
    while answered is None:
        line = child.stdout.readline()
        if not line:
            break
        message = json.loads(line)
        now = time.monotonic() - started
        if message.get("method") == "notifications/progress":
            progress.append((now, message["params"].get("message", "")))
        elif message.get("id") == 1:
            answered = now
            status = message["result"]["structuredContent"].get("final_status")
    child.stdin.close()
    child.wait(timeout=5)
    server.shutdown()
    downloading = [(t, m) for t, m in progress if m.startswith("downloading ") and " of " in m]
    per_second = {}
    for t, _ in downloading:
        per_second[int(t)] = per_second.get(int(t), 0) + 1
    gaps = [b[0] - a[0] for a, b in zip(downloading, downloading[1:])]
    print(f"file: {SIZE >> 20} MiB at {RATE >> 20} MiB/s")
    print(f"result after {answered:.2f} s, final_status {status}")
    print(f"progress notifications: {len(progress)}, of them download bytes: {len(downloading)}")
    if downloading:
        print(f"first bytes report at {downloading[0][0]:.2f} s: {downloading[0][1]}")
        print(f"last bytes report at {downloading[-1][0]:.2f} s: {downloading[-1][1]}")
        print(f"most in one second: {max(per_second.values())}")
        print(f"longest gap between bytes reports: {max(gaps, default=0):.3f} s")


if __name__ == "__main__":
    main()
