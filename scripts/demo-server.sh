#!/usr/bin/env bash
# `make demo-server`: the agent server alone, without Kubernetes: set up, start it locally on a free loopback
# port with a generated session key, show it answering (server info, a bash command, a file upload and
# download through the API), and stop it cleanly.
#   DEMO_KEEP_RUNNING=1  leave the server running (in the foreground) and print its URL and key
#   DEMO_SKIP_SETUP=1    skip scripts/setup.sh (the tests use it; they build the server themselves)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

if [ "${DEMO_SKIP_SETUP:-}" != 1 ]; then
  bash scripts/setup.sh
fi

DATA=$(mktemp -d "${TMPDIR:-/tmp}/agent-server-demo.XXXXXX")
KEY=$(node -e 'process.stdout.write(require("crypto").randomBytes(16).toString("hex"))')
LOG="$DATA/server.log"
SERVER_PID=""

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$DATA"
}
trap cleanup EXIT

phase_start "start the agent server: agent-server --host 127.0.0.1 --port 0"
# The package bin, as `npx agent-server` runs it (node_modules/.bin is on PATH), started directly so
# SIGTERM reaches the server itself. --port 0: the kernel picks a free port; the server logs its URL.
OH_SESSION_API_KEYS_0="$KEY" OH_BASH_EVENTS_DIR="$DATA/bash_events" OH_CONVERSATIONS_PATH="$DATA/conversations" \
  OH_WORKSPACE_PATH="$DATA/project" agent-server --host 127.0.0.1 --port 0 >"$LOG" 2>&1 &
SERVER_PID=$!
URL=""
for _ in $(seq 1 300); do
  URL=$(sed -n 's/.*"url":"\(http:[^"]*\)".*"msg":"agent server listening".*/\1/p' "$LOG" | head -n1)
  [ -n "$URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "the agent server exited:"; cat "$LOG"; exit 1; }
  sleep 0.1
done
[ -n "$URL" ] || { echo "the agent server did not start within 30 s:"; cat "$LOG"; exit 1; }
echo "agent server listening at $URL (pid $SERVER_PID)"
phase_end

# The calls go through the project's Node (fetch), so the demo needs no curl.
node --input-type=module - "$URL" "$KEY" "$DATA" <<'EOF'
const [url, key, data] = process.argv.slice(2);
const show = (value) => console.log(typeof value === 'string' ? value : JSON.stringify(value, null, 2));
async function api(method, path, body) {
  const headers = { 'X-Session-API-Key': key };
  if (body !== undefined && !(body instanceof FormData)) headers['Content-Type'] = 'application/json';
  const res = await fetch(url + path, { method, headers, body: body instanceof FormData || body === undefined ? body : JSON.stringify(body) });
  const type = res.headers.get('content-type') ?? '';
  const payload = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(payload)}`);
  return payload;
}
console.log('\n==> GET /server_info');
const info = await api('GET', '/server_info');
show({ title: info.title, version: info.version, uptime: info.uptime, runtime: info.python_version });
console.log('\n==> without the session key, /api answers 401');
const unauthorized = await fetch(url + '/api/bash/bash_events/search');
show(`${unauthorized.status} ${JSON.stringify(await unauthorized.json())}`);
console.log('\n==> POST /api/bash/execute_bash_command');
const out = await api('POST', '/api/bash/execute_bash_command', { command: 'echo "hello from $(uname -s) in $PWD"; echo "bash $BASH_VERSION"', cwd: data });
show({ exit_code: out.exit_code, stdout: out.stdout });
const file = `${data}/demo/hello.txt`;
console.log(`\n==> POST /api/file/upload?path=${file}`);
const form = new FormData();
form.append('file', new Blob(['uploaded through the agent server API\n']), 'hello.txt');
show(await api('POST', `/api/file/upload?path=${encodeURIComponent(file)}`, form));
console.log(`\n==> GET /api/file/download?path=${file}`);
show(await api('GET', `/api/file/download?path=${encodeURIComponent(file)}`));
EOF

if [ "${DEMO_KEEP_RUNNING:-}" = 1 ]; then
  echo
  echo "The agent server keeps running (pid $SERVER_PID)."
  echo "  URL: $URL"
  echo "  KEY: $KEY"
  echo "  try: curl -H 'X-Session-API-Key: $KEY' $URL/api/bash/bash_events/search"
  echo "Press Ctrl-C (or send SIGTERM) to stop it."
  trap 'kill -TERM "$SERVER_PID" 2>/dev/null || true' INT TERM
  wait "$SERVER_PID" || true
  wait "$SERVER_PID" 2>/dev/null || true
  echo "agent server stopped"
  exit 0
fi

phase_start "stop the agent server (SIGTERM)"
kill -TERM "$SERVER_PID"
status=0
wait "$SERVER_PID" || status=$?
SERVER_PID=""
echo "agent server exited with status $status; its last log lines (JSON, keys never included):"
tail -n 4 "$LOG"
phase_end
[ "$status" -eq 0 ]
