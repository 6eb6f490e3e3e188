#!/usr/bin/env python3
"""Measure lovart against a broken or hostile network (issue 12) and print the
numbers: peak memory and time to fail against endless, huge and dripping
answers, downloads that never end or drip, an upload of /dev/zero, and the
sandbox under many unsigned requests and idle connections.

    cargo build --release --features full
    python3 scripts/measure_hostile.py [--lovart target/release/lovart]

Everything runs on 127.0.0.1 against servers this script starts itself; every
loop is bounded. Takes about two minutes.
"""

import argparse
import os
import resource
import socket
import socketserver
import subprocess
import tempfile
import threading
import time

GIB = 1024 ** 3


class Hostile(socketserver.BaseRequestHandler):
    """One request per connection; what it answers depends on `server.mode`."""

    def handle(self):
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 1 << 20:
            piece = self.request.recv(65536)
            if not piece:
                return
            data += piece
        path = data.split(b" ", 2)[1].split(b"?")[0].decode()
        mode = self.server.mode
        try:
            if path.endswith("/project/save"):
                self.full(b'{"code":0,"data":{"project_id":"p1"}}')
            elif path.endswith("/chat"):
                self.full(b'{"code":0,"data":{"thread_id":"t1"}}')
            elif mode == "huge":  # announces 10 GB, sends until the client hangs up
                self.stream(b"Content-Length: %d\r\n" % (10 * 10 ** 9), 10 * 10 ** 9)
            elif mode == "endless":  # no length; up to 16 GiB
                self.stream(b"Connection: close\r\n", 16 * GIB)
            elif mode == "drip":  # a byte a second, up to 20 minutes
                self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1200\r\n\r\n")
                for _ in range(1200):
                    self.request.sendall(b" ")
                    time.sleep(1)
        except OSError:
            pass

    def full(self, body):
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))

    def stream(self, header, limit):
        self.request.sendall(b"HTTP/1.1 200 OK\r\n" + header + b"\r\n")
        block = b"a" * (1 << 20)
        for _ in range(limit // len(block)):
            self.request.sendall(block)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode):
        super().__init__(("127.0.0.1", 0), Hostile)
        self.mode = mode
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]


def measure(lovart, args, base, extra_env=None, limit=300):
    """Runs lovart; returns (seconds, peak RSS MiB, exit code, last stderr line)."""
    with tempfile.TemporaryDirectory() as home:
        env = {"PATH": os.environ["PATH"], "HOME": home, "LOVART_BASE_URL": base,
               "LOVART_ACCESS_KEY": "ak_sandbox", "LOVART_SECRET_KEY": "sk_sandbox",
               **(extra_env or {})}
        started = time.monotonic()
        process = subprocess.Popen([lovart, *args], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, cwd=home)
        timer = threading.Timer(limit, process.kill)
        timer.start()
        captured = {}

        def drain(name, pipe):
            captured[name] = pipe.read()

        readers = [threading.Thread(target=drain, args=(name, pipe))
                   for name, pipe in (("out", process.stdout), ("err", process.stderr))]
        for reader in readers:
            reader.start()
        # wait4 (not communicate) reaps the child, so its rusage is its own.
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.monotonic() - started
        timer.cancel()
        for reader in readers:
            reader.join()
        code = os.waitstatus_to_exitcode(status)
        process.returncode = code
        stderr = captured.get("err", b"").decode(errors="replace").strip().splitlines()
        return elapsed, usage.ru_maxrss / 1024, code, (stderr[-1] if stderr else "")


def report(name, result):
    seconds, rss, code, line = result
    print(f"{name:<48} {seconds:7.1f} s  peak RSS {rss:7.1f} MiB  exit {code}  | {line[:90]}")


def client_side(lovart):
    huge, endless, drip = Server("huge"), Server("endless"), Server("drip")
    report("status, answer announcing 10 GB", measure(lovart, ["status", "--thread-id", "t1"], huge.url))
    report("status, endless answer (no length)", measure(lovart, ["status", "--thread-id", "t1"], endless.url))
    report("--timeout 5 status, 1 byte/s (3 attempts)",
           measure(lovart, ["--timeout", "5", "status", "--thread-id", "t1"], drip.url))
    report("--timeout 10 chat, status 1 byte/s",
           measure(lovart, ["--timeout", "10", "chat", "--prompt", "a cat"], drip.url))
    with tempfile.TemporaryDirectory() as out:
        result = measure(lovart, ["download", "--urls", endless.url + "/a.png", "--output-dir", out],
                         endless.url, {"LOVART_MAX_DOWNLOAD_BYTES": str(256 * 1024 * 1024)})
        left = sum(os.path.getsize(os.path.join(out, name)) for name in os.listdir(out))
        report(f"download endless, 256 MiB limit (left {left} B)", result)
    with tempfile.TemporaryDirectory() as out:
        result = measure(lovart, ["download", "--urls", drip.url + "/a.png", "--output-dir", out],
                         drip.url, {"LOVART_DOWNLOAD_STALL_SECS": "5"})
        report(f"download 1 byte/s, stall 5 s (left {len(os.listdir(out))} files)", result)
    report("upload --file /dev/zero", measure(lovart, ["upload", "--file", "/dev/zero"], drip.url))


def rss_of(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields.get("VmRSS", "?"), fields.get("VmHWM", "?")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sandbox_side(lovart):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    port = free_port()
    sandbox = subprocess.Popen([lovart, "sandbox", "--ephemeral", "--port", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env={"PATH": os.environ["PATH"]})
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        print(f"sandbox at start: RSS {rss_of(sandbox.pid)[0]}")
        padding = b"x" * (48 * 1024)
        request = (b"POST /v1/openapi/chat HTTP/1.1\r\nHost: x\r\nX-Padding: " + padding +
                   b"\r\nContent-Length: 4096\r\n\r\n" + b"b" * 4096)
        started = time.monotonic()
        for _ in range(12_000):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
                connection.sendall(request)
                connection.recv(4096)
        rss, peak = rss_of(sandbox.pid)
        print(f"sandbox after 12,000 unsigned 52 KiB requests ({time.monotonic() - started:.1f} s): "
              f"RSS {rss}, peak {peak}")

        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(1000)]
        for connection in idle:
            connection.setblocking(False)
        opened = time.monotonic()
        closed_at = {}
        while len(closed_at) < len(idle) and time.monotonic() - opened < 90:
            for index, connection in enumerate(idle):
                if index in closed_at:
                    continue
                try:
                    if connection.recv(1) == b"":
                        closed_at[index] = time.monotonic() - opened
                except BlockingIOError:
                    pass
                except OSError:
                    closed_at[index] = time.monotonic() - opened
            time.sleep(0.2)
        at_once = sum(1 for seconds in closed_at.values() if seconds < 1)
        last = max(closed_at.values()) if closed_at else float("nan")
        print(f"1,000 idle connections: {at_once} closed within 1 s (cap), "
              f"{len(closed_at)} closed in all, the last after {last:.1f} s")
        for connection in idle:
            connection.close()
        print(f"sandbox at the end: RSS {rss_of(sandbox.pid)[0]}")
    finally:
        sandbox.terminate()
        sandbox.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lovart", default="target/release/lovart")
    args = parser.parse_args()
    lovart = os.path.abspath(args.lovart)
    client_side(lovart)
    sandbox_side(lovart)


if __name__ == "__main__":
    main()
