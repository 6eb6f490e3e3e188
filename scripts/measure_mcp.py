#!/usr/bin/env python3
"""Measure `lovart mcp` against a local `lovart sandbox --fast`: the latency
of a `status` tool call (JSON-RPC round trip over stdio), a `generate`, and
the server's resident memory after start-up and after N calls.

    cargo build --release --features full && python3 scripts/measure_mcp.py [--lovart target/release/lovart] [--calls 100]

Linux only (reads /proc/<pid>/status for VmRSS / VmHWM).
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_kib(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
    return fields


class Session:
    def __init__(self, lovart, env):
        self.proc = subprocess.Popen(
            [lovart, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=env, text=True, bufsize=1)
        self.next_id = 0
        self.request("initialize", {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "measure", "version": "0"}})
        self.notify("notifications/initialized")

    def notify(self, method, params=None):
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.proc.stdin.write(json.dumps(message) + "\n")

    def request(self, method, params):
        self.next_id += 1
        self.proc.stdin.write(json.dumps(
            {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}) + "\n")
        while True:
            answer = json.loads(self.proc.stdout.readline())
            if answer.get("id") == self.next_id:
                return answer

    def call(self, tool, arguments):
        started = time.perf_counter()
        answer = self.request("tools/call", {"name": tool, "arguments": arguments})
        elapsed = time.perf_counter() - started
        result = answer["result"]
        assert not result.get("isError"), result
        return elapsed, result["structuredContent"]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lovart", default="target/release/lovart")
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    port = free_port()
    home = tempfile.mkdtemp(prefix="lovart-mcp-measure-")
    sandbox = subprocess.Popen(
        [args.lovart, "sandbox", "--fast", "--ephemeral", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {
        "HOME": home, "PATH": os.environ.get("PATH", ""),
        "LOVART_BASE_URL": f"http://127.0.0.1:{port}",
        "LOVART_ACCESS_KEY": "ak_sandbox", "LOVART_SECRET_KEY": "sk_sandbox",
        "LOVART_WAIT_SCALE": "0.01",
    }
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        started = time.perf_counter()
        session = Session(args.lovart, env)
        print(f"spawn + initialize: {1000 * (time.perf_counter() - started):.1f} ms")
        idle = memory_kib(session.proc.pid)
        print(f"memory after initialize: RSS {idle['VmRSS']} KiB")
        elapsed, output = session.call(
            "generate", {"prompt": "a cat", "output_dir": os.path.join(home, "out")})
        print(f"generate (image, downloaded, LOVART_WAIT_SCALE=0.01): {1000 * elapsed:.1f} ms"
              f" -> {output['final_status']}")
        thread = output["thread_id"]
        latencies = [session.call("status", {"thread_id": thread})[0] for _ in range(args.calls)]
        latencies.sort()
        ms = [1000 * x for x in latencies]
        print(f"status x{args.calls}: median {statistics.median(ms):.2f} ms, "
              f"p90 {ms[int(0.9 * len(ms)) - 1]:.2f} ms, max {ms[-1]:.2f} ms")
        after = memory_kib(session.proc.pid)
        print(f"memory after {args.calls + 1} calls: RSS {after['VmRSS']} KiB, "
              f"peak {after['VmHWM']} KiB")
        session.close()
    finally:
        sandbox.terminate()
        sandbox.wait()


if __name__ == "__main__":
    main()
