#!/usr/bin/env python3
"""Issue 21, item 1, measured: how many threads does a send whose answer is
lost start when it is run again?

A stand-in on 127.0.0.1 passes every request to a `lovart sandbox --fast`
but holds the answer to the first `POST /chat` for --hold seconds (longer than
the client's --timeout); the sandbox starts that thread all the same. Then
`lovart --timeout T chat --prompt … --json` runs twice (the same request), and
the script reports each run's error kind, the Idempotency-Keys the sandbox
received and how many threads it started.

    python3 scripts/measure_lost_answers.py [--lovart target/release/lovart]
"""

import argparse
import http.client
import http.server
import json
import os
import subprocess
import tempfile
import threading
import time


def stand_in(upstream_port, hold, seen):
    """A forwarding server that holds the first POST /chat answer."""
    held = {"left": 1}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            if self.command == "POST" and self.path.startswith("/v1/openapi/chat") and "confirm" not in self.path:
                seen.append(self.headers.get("Idempotency-Key"))
                if held["left"] > 0:
                    held["left"] -= 1
                    time.sleep(hold)
            try:
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = forward

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lovart", default="target/release/lovart")
    parser.add_argument("--port", type=int, default=18761)
    parser.add_argument("--timeout", type=int, default=2)
    parser.add_argument("--hold", type=float, default=6.0)
    args = parser.parse_args()
    lovart = os.path.abspath(args.lovart)
    sandbox = subprocess.Popen([lovart, "sandbox", "--fast", "--ephemeral", "--port", str(args.port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    keys = []
    proxy = stand_in(args.port, args.hold, keys)
    home = tempfile.mkdtemp(prefix="lovart-lost-")
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": home,
        "LOVART_BASE_URL": f"http://127.0.0.1:{proxy.server_address[1]}",
        "LOVART_ACCESS_KEY": "ak_sandbox", "LOVART_SECRET_KEY": "sk_sandbox",
    }
    try:
        for run in (1, 2):
            started = time.time()
            out = subprocess.run([lovart, "--timeout", str(args.timeout), "chat", "--prompt", "a calm lake", "--json"],
                                 env=env, capture_output=True, text=True)
            try:
                answer = json.loads(out.stdout)
            except ValueError:
                answer = {}
            error = answer.get("error") or {}
            print(f"run {run}: exit {out.returncode}, {time.time() - started:.1f}s, "
                  f"kind {error.get('kind')}, retryable {error.get('retryable')}, "
                  f"final_status {answer.get('final_status')}, thread {answer.get('thread_id') or error.get('thread_id')}")
        distinct = len(set(keys))
        print(f"POST /chat sends: {len(keys)}, distinct Idempotency-Keys: {distinct} "
              f"(threads the server started: {distinct})")
    finally:
        proxy.shutdown()
        sandbox.terminate()


if __name__ == "__main__":
    main()
