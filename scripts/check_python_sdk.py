#!/usr/bin/env python3
"""Drive `lovart mcp` with the official MCP Python SDK (the newest `mcp` on
PyPI) against a local `lovart sandbox`, in every protocol generation the SDK
speaks: a 2025-11-25 session (`mode="legacy"`, initialize handshake) and a
stateless 2026-07-28 connection (`mode="2026-07-28"`).

In each: `generate` a video, which needs the user's approval of its cost;
the user says yes through the SDK's elicitation callback (elicitation/create
in a session, an input_required round trip when stateless) and the video is
downloaded; then `generate` again with a user who says no, and `confirm` the
pending step with the tool; each downloaded file is read back as its
`lovart://` resource. Prints what each connection negotiated.

    python3 scripts/check_python_sdk.py [--lovart target/debug/lovart]

Without `--inner` it makes a venv under target/ (or reuses it), installs the
newest `mcp` into it with pip, and runs itself there.
"""

import argparse
import asyncio
import base64
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def outer(args):
    venv = os.path.join(ROOT, "target", "python-sdk-venv")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--upgrade", "mcp"], check=True
    )
    command = [python, os.path.abspath(__file__), "--inner", "--lovart", args.lovart]
    sys.exit(subprocess.run(command).returncode)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(lovart):
    port = free_port()
    sandbox = subprocess.Popen(
        [lovart, "sandbox", "--fast", "--ephemeral", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/v1/openapi/tools/catalog", timeout=1)
            return sandbox, url
        except OSError:
            time.sleep(0.1)
    sandbox.kill()
    raise SystemExit("the sandbox did not start")


async def drive(mode, lovart, env, out):
    from mcp import Client, StdioServerParameters, types

    answers = []

    def answering(yes):
        async def callback(context, params):
            answers.append(params.message)
            if yes:
                return types.ElicitResult(action="accept", content={"confirm": True})
            return types.ElicitResult(action="decline")
        return callback

    def check(result, what):
        assert not result.is_error, f"{mode} {what}: {result}"
        return result.structured_content

    async def read_back(client, result, output):
        links = [block for block in result.content if block.type == "resource_link"]
        assert links, f"{mode}: no resource link"
        read = await client.read_resource(str(links[0].uri))
        data = base64.b64decode(read.contents[0].blob)
        with open(output["downloaded"][0]["local_path"], "rb") as f:
            assert data == f.read(), f"{mode}: resource bytes differ from the file"
        return links[0].mime_type, len(data)

    server = StdioServerParameters(command=lovart, args=["mcp"], env=env)
    async with Client(server, mode=mode, elicitation_callback=answering(True)) as client:
        negotiated = client.protocol_version
        result = await client.call_tool(
            "generate", {"prompt": "ocean video", "output_dir": out})
        output = check(result, "generate (approved)")
        assert output["final_status"] == "done", output
        assert output.get("approved_by_user") is True, output
        mime, size = await read_back(client, result, output)
        print(f"  {mode}: negotiated {negotiated}; generate -> asked "
              f"{len(answers)}x -> approved -> done, {mime} {size} bytes read back")

    async with Client(server, mode=mode, elicitation_callback=answering(False)) as client:
        result = await client.call_tool(
            "generate", {"prompt": "ocean video", "output_dir": out})
        output = check(result, "generate (declined)")
        assert output["final_status"] == "pending_confirmation", output
        confirmed = await client.call_tool(
            "confirm", {"thread_id": output["thread_id"], "output_dir": out})
        done = check(confirmed, "confirm")
        assert done["final_status"] == "done", done
        mime, size = await read_back(client, confirmed, done)
        print(f"  {mode}: generate -> declined -> pending_confirmation -> confirm -> done, "
              f"{mime} {size} bytes read back")
    return negotiated


def inner(args):
    import importlib.metadata
    version = importlib.metadata.version("mcp")
    lovart = os.path.abspath(args.lovart)
    sandbox, url = start_sandbox(lovart)
    try:
        with tempfile.TemporaryDirectory() as home:
            env = {
                "HOME": home, "PATH": os.environ.get("PATH", ""),
                "LOVART_BASE_URL": url,
                "LOVART_ACCESS_KEY": "ak_sandbox", "LOVART_SECRET_KEY": "sk_sandbox",
                "LOVART_WAIT_SCALE": "0.01",
            }
            out = os.path.join(home, "out")
            print(f"official MCP Python SDK {version} against {lovart}:")
            negotiated = [asyncio.run(drive(mode, lovart, env, out))
                          for mode in ("legacy", "2026-07-28")]
            assert negotiated == ["2025-11-25", "2026-07-28"], negotiated
    finally:
        sandbox.terminate()
        sandbox.wait()
    print("python SDK check: ok")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lovart", default=os.path.join(ROOT, "target", "debug", "lovart"))
    parser.add_argument("--inner", action="store_true")
    args = parser.parse_args()
    inner(args) if args.inner else outer(args)


if __name__ == "__main__":
    main()
