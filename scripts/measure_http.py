#!/usr/bin/env python3
"""Measure `lovart mcp --http` against a local `lovart sandbox --fast`:
requests per second for `status` tool calls (C clients, each on its own
keep-alive connection, for S seconds) with their latency, and the server's
resident memory idle, with 100 idle keep-alive connections open, and after
the load.

    cargo build --release --features full && python3 scripts/measure_http.py \
        [--lovart target/release/lovart] [--clients 8] [--seconds 10] [--idle 100]

The server runs with its per-client caps lifted (--client-rate 0,
--client-concurrency 64) and a token, as it would off loopback; the sandbox's
rate windows are shrunk so that it is not the limit. Every call's answer is
checked (HTTP 200, a JSON-RPC result without isError). Linux only (reads
/proc/<pid>/status). The numbers depend on the machine's load: the script
prints it.
"""

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_for_port(port):
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def status_body(thread_id, request_id):
    return json.dumps({
        "jsonrpc": "2.0", "id": request_id, "method": "tools/call",
        "params": {"name": "status", "arguments": {"thread_id": thread_id}},
    })


def client_loop(port, token, thread_id, deadline, latencies, failures):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "Authorization": f"Bearer {token}",
    }
    request_id = 0
    while time.perf_counter() < deadline:
        request_id += 1
        started = time.perf_counter()
        connection.request("POST", "/mcp", status_body(thread_id, request_id), headers)
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        ok = response.status == 200
        if ok:
            answer = json.loads(body)
            ok = "result" in answer and not answer["result"].get("isError")
        if ok:
            latencies.append(elapsed)
        else:
            failures.append(response.status)
    connection.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lovart", default="target/release/lovart")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--idle", type=int, default=100)
    args = parser.parse_args()
    lovart = os.path.abspath(args.lovart)
    sandbox_port, port = free_port(), free_port()
    home = tempfile.mkdtemp(prefix="lovart-http-measure-")
    token = secrets.token_hex(24)
    env = {
        "HOME": home, "PATH": os.environ.get("PATH", ""),
        "LOVART_BASE_URL": f"http://127.0.0.1:{sandbox_port}",
        "LOVART_ACCESS_KEY": "ak_sandbox", "LOVART_SECRET_KEY": "sk_sandbox",
        "LOVART_WAIT_SCALE": "0.01", "LOVART_MCP_TOKEN": token,
    }
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; binary {args.lovart}")
    sandbox = subprocess.Popen(
        [lovart, "sandbox", "--fast", "--ephemeral", "--port", str(sandbox_port),
         "--rate-scale", "0.00001"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = None
    try:
        wait_for_port(sandbox_port)
        sent = subprocess.run([lovart, "send", "--prompt", "a cat"], env=env,
                              capture_output=True, text=True, check=True)
        thread_id = json.loads(sent.stdout)["thread_id"]
        server = subprocess.Popen(
            [lovart, "mcp", "--http", f"127.0.0.1:{port}", "--client-rate", "0",
             "--client-concurrency", "64", "--output-dir", os.path.join(home, "out")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port)
        time.sleep(0.5)
        print(f"memory at start: RSS {rss_kib(server.pid)} KiB")

        sockets = []
        for _ in range(args.idle):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            sockets.append(connection)
        time.sleep(1)
        idle = rss_kib(server.pid)
        print(f"memory with {args.idle} idle keep-alive connections: RSS {idle} KiB")
        for connection in sockets:
            connection.close()
        time.sleep(0.5)

        latencies, failures = [], []
        deadline = time.perf_counter() + args.seconds
        workers = [
            threading.Thread(target=client_loop,
                             args=(port, token, thread_id, deadline, latencies, failures))
            for _ in range(args.clients)
        ]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        ms = sorted(1000 * x for x in latencies)
        print(f"status calls: {len(latencies)} in {elapsed:.1f} s with {args.clients} clients = "
              f"{len(latencies) / elapsed:.0f} requests/s; latency median "
              f"{statistics.median(ms):.2f} ms, p99 {ms[int(0.99 * len(ms)) - 1]:.2f} ms; "
              f"failures {len(failures)}")
        print(f"memory after the load: RSS {rss_kib(server.pid)} KiB")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
        sandbox.terminate()
        sandbox.wait()


if __name__ == "__main__":
    main()
