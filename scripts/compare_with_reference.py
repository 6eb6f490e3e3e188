#!/usr/bin/env python3
"""Run the same command sequences with the reference `agent_skill.py` and with
`lovart`, against one `lovart sandbox --fast`, each with its own empty HOME,
and report every difference in stdout, the stderr `Error:` line, the exit code
and the state file (after masking ids, times, temp paths and URL hashes).

    python3 scripts/compare_with_reference.py --reference /path/to/agent_skill.py

The reference is not part of this project: fetch lovartai/lovart-skill yourself.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SCENARIOS = {
    "local": [
        ["config"], ["config", "--json"], ["projects"], ["projects", "--json"],
        ["project-add", "--project-id", "abcdef0123456789", "--name", "海报 Posters"],
        ["project-add", "--proj", "zzz999"], ["projects"],
        ["project-switch", "--project-id", "abc"], ["project-switch", "--project-id", "nope"],
        ["project-rename", "--project-id", "zzz999", "--name", "Renamed"],
        ["threads"], ["threads", "--json"], ["thread-remove", "--thread-id", "t1"],
        ["project-remove", "--project-id", "zzz999"], ["config"],
    ],
    "remote": [
        ["create-project"], ["config"], ["query-mode"], ["set-mode"], ["set-mode", "--fast"],
        ["set-mode", "--unlimited"], ["query-mode"], ["set-mode", "--fast"],
        ["status", "--thread-id", "missing"], ["result", "--thread-id", "missing"],
        ["upload-artifact", "--project-id", "p", "--url", "http://x/a.png"],
    ],
    "chat": [
        ["chat", "--prompt", "a cyberpunk cat", "--json", "--download", "--output-dir", "{out}"],
        ["chat", "--prompt", "画一只赛博朋克猫 in neon", "--download", "--output-dir", "{out}"],
        ["threads"], ["projects", "--json"],
        ["chat", "--prompt", "please refuse this", "--json"],
        ["chat", "--prompt", "abort now", "--json"],
        ["send", "--prompt", "4 variations of a fox"],
        ["chat", "--prompt", "a video of waves", "--json", "--download", "--output-dir", "{out}"],
        ["chat", "--prompt", "expensive 402 poster", "--json"],
        ["chat", "--project-id", "doesnotexist", "--prompt", "x", "--json"],
        ["chat", "--prompt", "noext brokenlink image", "--json", "--download", "--output-dir", "{out}"],
        ["config", "--json"],
    ],
    "confirm": [
        ["chat", "--prompt", "a video of the sea", "--json"],
        ["confirm", "--thread-id", "{thread}", "--json", "--download", "--output-dir", "{out}"],
        ["result", "--thread-id", "{thread}", "--download", "--output-dir", "{out}"],
        ["chat", "--prompt", "a video of a fox"],
        ["confirm", "--thread-id", "{thread}"],
        ["status", "--thread-id", "{thread}"],
        ["chat", "--thread-id", "{thread}", "--prompt", "now make it music", "--json", "--download", "--output-dir", "{out}"],
        ["confirm", "--thread-id", "{thread}", "--json"],
        ["threads", "--json"],
    ],
    "edges": [
        ["--timeout", "2", "chat", "--prompt", "forever and ever", "--json"],
        ["chat", "--prompt", "flaky 3d model", "--json", "--download", "--output-dir", "{out}"],
        ["chat", "--prompt", "  ✨ emoji 🐱 prompt that is quite long indeed, more than fifty characters  ", "--json",
         "--attachments", "http://x/a.png", "--include-tools", "generate_image_midjourney", "--mode", "thinking"],
        ["chat", "--prompt", "abort", "--download", "--output-dir", "{out}"],
        ["chat", "--prompt", "refuse", "--download", "--output-dir", "{out}"],
        ["send", "--prompt", "forever", "--attachments"],
        ["send", "--prompt", "again", "--thread-id", "{thread}"],
        ["result", "--thread-id", "{thread}", "--json"],
        ["--base-url", "http://127.0.0.1:9", "status", "--thread-id", "x"],
        ["download", "--urls", "{base}/files/none.png", "{base}/files/none.png", "http://127.0.0.1:9/z.mp4", "--output-dir", "{out}"],
        ["config", "--json"],
    ],
    "watch": [
        ["watch", "--prompt", "4 variations of a cyberpunk cat", "--interval", "1", "--output-dir", "{out}"],
        ["watch"],
        ["download", "--urls", "{base}/files/none.png", "--output-dir", "{out}", "--prefix", "x"],
    ],
}


def mask(text, home, out):
    text = text.replace(out, "<out>").replace(home, "<home>")
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", "<time>", text)
    text = re.sub(r"lovart_[0-9a-f]{12}", "lovart_<hash>", text)
    text = re.sub(r"x_[0-9a-f]{12}", "x_<hash>", text)
    ids = {}
    for found in re.findall(r"[0-9a-f]{32}", text):
        ids.setdefault(found, f"<id{len(ids) + 1}>")
    for full, name in ids.items():
        text = text.replace(full, name)
    for full, name in ids.items():  # the short forms the outputs print
        text = text.replace(full[:12], name + "[:12]").replace(full[:8], name + "[:8]")
    # Short forms of ids that the same output never prints in full (threads list).
    return re.sub(r"(?<![0-9a-f<])[0-9a-f]{8}(?=\.\.\.|\])", "<hex8>", text)


# Additions the open issues asked for on paths the reference already had; they
# are reported apart, so "differences" counts only what nobody asked for.
CONFIRM_ADDED_KEYS = ("project_id", "generation_succeeded", "warning", "agent_message")


def sanctioned(step, reference, ours):
    """Lovart's stdout with the sanctioned additions taken out, and their names."""
    if ours["code"] != 0 and reference["stdout"] == "":
        try:
            parsed = json.loads(ours["stdout"])
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and list(parsed) == ["error"] and ours["stdout"].count("\n") == 1:
            return "", "error object on a --json failure"
    if step[0] == "confirm" and "--json" in step and ours["stdout"].startswith("{"):
        parsed = json.loads(ours["stdout"], object_pairs_hook=lambda pairs: dict(pairs))
        ref = json.loads(reference["stdout"]) if reference["stdout"].startswith("{") else {}
        removed = [key for key in CONFIRM_ADDED_KEYS if key in parsed and key not in ref]
        for key in removed:
            del parsed[key]
        if removed:
            return json.dumps(parsed, indent=2, ensure_ascii=False) + "\n", "confirm's " + ", ".join(removed)
    return ours["stdout"], None


def run_sequence(program, steps, base, env_extra):
    home = tempfile.mkdtemp(prefix="cmp-home-")
    out = os.path.join(home, "out")
    env = {"PATH": os.environ["PATH"], "HOME": home, "TZ": "UTC", "LOVART_BASE_URL": base,
           "LOVART_ACCESS_KEY": "ak_sandbox", "LOVART_SECRET_KEY": "sk_sandbox", **env_extra}
    records = []
    last_thread = "none"
    for step in steps:
        args = [a.format(out=out, base=base, thread=last_thread) for a in step]
        started = time.time()
        done = subprocess.run(program + args, env=env, capture_output=True, text=True, timeout=600)
        found = re.findall(r'"thread_id": "([0-9a-f]{32})"', done.stdout)
        last_thread = found[-1] if found else last_thread
        error_lines = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
        records.append({
            "args": " ".join(step),
            "code": done.returncode,
            "stdout": mask(done.stdout, home, out),
            "error": mask("\n".join(error_lines), home, out),
            "seconds": round(time.time() - started, 1),
        })
    state_path = os.path.join(home, ".lovart", "state.json")
    state = open(state_path).read() if os.path.exists(state_path) else None
    files = sorted(os.listdir(out)) if os.path.isdir(out) else []
    shutil.rmtree(home, ignore_errors=True)
    return records, (mask(state, home, out) if state else None), sorted(mask(f, home, out) for f in files)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", required=True)
    parser.add_argument("--lovart", default="target/release/lovart")
    parser.add_argument("--port", type=int, default=18731)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([args.lovart, "sandbox", "--fast", "--ephemeral", "--rate-scale", "0.01", "--port", str(args.port)],
                              stderr=subprocess.DEVNULL)
    time.sleep(1)
    failures = 0
    additions = 0
    try:
        for name, steps in SCENARIOS.items():
            if args.only and name not in args.only:
                continue
            ref = run_sequence([sys.executable, args.reference], steps, base, {})
            ours = run_sequence([args.lovart], steps, base, {"LOVART_WAIT_SCALE": "0.01"})
            for step, left, right in zip(steps, ref[0], ours[0]):
                right = dict(right)
                right["stdout"], addition = sanctioned(step, left, right)
                if addition:
                    additions += 1
                    print(f"[{name}] {left['args']}: sanctioned addition: {addition}")
                for key in ("code", "stdout", "error"):
                    if left[key] != right[key]:
                        failures += 1
                        print(f"[{name}] {left['args']}: {key} differs\n--- reference\n{left[key]}\n--- lovart\n{right[key]}\n")
            if ref[1] != ours[1]:
                failures += 1
                print(f"[{name}] state file differs\n--- reference\n{ref[1]}\n--- lovart\n{ours[1]}\n")
            if ref[2] != ours[2]:
                failures += 1
                print(f"[{name}] downloaded files differ: {ref[2]} vs {ours[2]}")
            print(f"[{name}] compared {len(steps)} steps; reference {sum(r['seconds'] for r in ref[0]):.1f}s, "
                  f"lovart {sum(r['seconds'] for r in ours[0]):.1f}s")
    finally:
        server.terminate()
    print("sanctioned additions:", additions)
    print("differences:", failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
