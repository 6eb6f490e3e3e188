#!/usr/bin/env bash
# Drive `lovart mcp` with the official MCP Inspector CLI (pinned below) in
# its default mode, against a local `lovart sandbox`:
#   - tools/list (every tool listed);
#   - tools/call generate (must succeed with structured content: the
#     Inspector's default is a 2025-11-25 session that lists the tasks
#     extension, so a task handle here would fail);
#   - skills/list --verify (the served SKILL.md, its digest and its
#     frontmatter, exit 0).
#
#     scripts/check_inspector.sh [path/to/lovart]   (default target/debug/lovart)
#
# npx fetches the Inspector into target/inspector-npm (nothing is installed
# globally). The Inspector asks for Node >= 22.19 but runs on Node 20
# (Debian's); older Node, or no npx, skips with a message (exit 0).
set -euo pipefail
cd "$(dirname "$0")/.."
INSPECTOR="@modelcontextprotocol/inspector@2.12.0"
LOVART="$(realpath "${1:-target/debug/lovart}")"

if ! command -v npx >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    apt-get install -y -q nodejs npm >/dev/null 2>&1 || true
fi
if ! command -v npx >/dev/null 2>&1; then
    echo "check_inspector: skipped: no node/npx (install nodejs and npm)"
    exit 0
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
    echo "check_inspector: skipped: $INSPECTOR needs Node >= 20 here (it asks for 22.19); found $(node --version)"
    exit 0
fi

scratch="$(mktemp -d)"
sandbox_pid=""
cleanup() {
    if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$LOVART" sandbox --fast --ephemeral --port "$port" >"$scratch/sandbox.log" 2>&1 &
sandbox_pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
        "$url/v1/openapi/tools/catalog" 2>/dev/null; then
        break
    fi
    sleep 0.1
done

export npm_config_cache="$PWD/target/inspector-npm"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
mkdir -p "$scratch/home"
inspector() {
    timeout 120 npx -y "$INSPECTOR" --cli --format json --connect-timeout 60000 \
        -e "HOME=$scratch/home" -e "LOVART_BASE_URL=$url" \
        -e LOVART_ACCESS_KEY=ak_sandbox -e LOVART_SECRET_KEY=sk_sandbox \
        -e LOVART_WAIT_SCALE=0.01 \
        "$LOVART" mcp "$@"
}

# Each answer is one JSON object; python3 checks it and says what it saw.
check() {
    python3 - "$@" <<'PY'
import json, sys
step, path = sys.argv[1], sys.argv[2]
text = open(path).read()
try:
    answer = json.loads(text)
    answer = answer.get("result", answer)
    if step == "tools/list":
        names = sorted(tool["name"] for tool in answer["tools"])
        assert "generate" in names and len(names) == 11, names
        print(f"check_inspector: tools/list: {len(names)} tools")
    elif step == "generate":
        output = answer.get("structuredContent") or {}
        assert answer.get("isError") is False and output.get("final_status") == "done"
        assert output.get("downloaded"), "nothing downloaded"
        print(f"check_inspector: tools/call generate: final_status done, thread {output['thread_id']}")
    elif step == "skills":
        assert answer["ok"] is True and answer["frontmatter"] == [], "not verified"
        files = [f"{f['status']} {f['actualDigest'][:20]}" for f in answer["files"]]
        print(f"check_inspector: skills/list --verify: {answer['outcome']}, {files}")
except (ValueError, KeyError, AssertionError, AttributeError, TypeError) as error:
    sys.exit(f"check_inspector: {step}: {error!r} in: {text[:3000]}")
PY
}

fail() { echo "check_inspector: $1 failed (exit $2):"; cat "$scratch/out" "$scratch/err"; exit 1; }

status=0; inspector --method tools/list >"$scratch/out" 2>"$scratch/err" || status=$?
[ "$status" -eq 0 ] || fail "tools/list" "$status"
check tools/list "$scratch/out"

status=0
inspector --method tools/call --tool-name generate \
    --tool-args-json "{\"prompt\":\"a cat\",\"output_dir\":\"$scratch/out-files\"}" \
    >"$scratch/out" 2>"$scratch/err" || status=$?
[ "$status" -eq 0 ] || fail "tools/call generate" "$status"
check generate "$scratch/out"

status=0; inspector --method skills/list --verify >"$scratch/out" 2>"$scratch/err" || status=$?
[ "$status" -eq 0 ] || fail "skills/list --verify" "$status"
if grep -q "frontmatter-mismatch" "$scratch/out"; then fail "skills/list --verify (frontmatter-mismatch)" 0; fi
check skills "$scratch/out"
echo "check_inspector: ok ($INSPECTOR, node $(node --version))"
