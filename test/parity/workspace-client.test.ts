// The official Python client (openhands-sdk 1.58.2's RemoteWorkspace, and its httpx client for the routes it
// has no method for) against our server: what issue #17 found differing from the official server. The script
// runs once (importing the SDK takes seconds); each test reads its part of the result.
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestServer, startServer } from '../support/server.js';
import { describeWithPython, runPython } from './python.js';

jest.setTimeout(180_000);

const SCRIPT = String.raw`
import json, sys, threading, time, traceback, uuid
from openhands.sdk.workspace import RemoteWorkspace
from openhands.agent_server.models import BashOutput, FileUploadResult
from openhands.agent_server.server_details_router import ServerInfo

a = json.loads(sys.argv[1])
ws = RemoteWorkspace(host=a["url"], api_key=a["key"], working_dir=a["dir"])
http = ws.client
out = {}
UNKNOWN = "00000000-0000-4000-8000-000000000000"
agent = {"kind": "Agent", "llm": {"model": "openai/unused", "base_url": "http://127.0.0.1:9/v1", "api_key": "sk-not-used", "usage_id": "agent"}, "tools": []}
start = {"agent": agent, "workspace": {"kind": "LocalWorkspace", "working_dir": a["dir"]}}

def section(fn):
    """Runs one item's calls; a failure is recorded under its name, so the other items still report."""
    try:
        out[fn.__name__] = fn()
    except Exception:
        out[fn.__name__] = {"error": traceback.format_exc(limit=3)}

def wait_output(command_id, deadline=30):
    end = time.time() + deadline
    while time.time() < end:
        last = ws.get_command_output(command_id)
        if last is not None and last.get("exit_code") is not None:
            return last
        time.sleep(0.05)
    raise TimeoutError(f"no exit code for {command_id} after {deadline}s")

def outputs(command_id):
    page = http.get("/api/bash/bash_events/search", params={"kind__eq": "BashOutput", "command_id__eq": command_id}).json()
    return [BashOutput.model_validate(e).model_dump(mode="json") for e in page["items"]]

# 1. stop_command stops a running command; finished and unknown ids are no-ops.
def stop():
    command_id = ws.start_command("sleep 30", timeout=60)
    time.sleep(0.3)
    started = time.time()
    ws.stop_command(command_id)
    last = wait_output(command_id, deadline=10)
    seconds = time.time() - started
    ws.stop_command(command_id)
    ws.stop_command(UNKNOWN)
    return {"seconds": seconds, "last": last, "status": {
        "finished": http.post(f"/api/bash/bash_commands/{command_id}/stop").status_code,
        "unknown": http.post(f"/api/bash/bash_commands/{UNKNOWN}/stop").status_code,
        "malformed": http.post("/api/bash/bash_commands/not-a-uuid/stop").status_code,
    }}

# 2. get_command_output (the last persisted BashOutput) carries the whole output of a short command.
def background():
    command_id = ws.start_command("echo bg; sleep 0.3")
    return {"last": wait_output(command_id), "events": outputs(command_id)}

# 3. file_upload's result has the size written.
def upload():
    with open(a["upload_source"], "wb") as f:
        f.write(b"x" * 1234)
    result = ws.file_upload(a["upload_source"], a["upload_target"]).model_dump(mode="json")
    raw = http.post("/api/file/upload", params={"path": a["upload_target"]}, files={"file": ("f", b"abc")}).json()
    return {"result": result, "raw": FileUploadResult.model_validate(raw).model_dump()}

# 4. Status codes for an unknown conversation, and a 422's input and ctx.
def statuses():
    unknown = {
        "delete": http.delete(f"/api/conversations/{UNKNOWN}").status_code,
        "pause": http.post(f"/api/conversations/{UNKNOWN}/pause").status_code,
        "interrupt": http.post(f"/api/conversations/{UNKNOWN}/interrupt").status_code,
        "patch": http.patch(f"/api/conversations/{UNKNOWN}", json={"title": "x"}).status_code,
        "ask_agent": http.post(f"/api/conversations/{UNKNOWN}/ask_agent", json={"question": "x"}).status_code,
    }
    conv = http.post("/api/conversations", json=start).json()
    condense = http.post(f"/api/conversations/{conv['id']}/condense")
    return {"unknown": unknown, "condense": {"status": condense.status_code, "detail": condense.json()["detail"]}}

def invalid():
    bad = http.post("/api/bash/start_bash_command", json={"command": 7, "timeout": -1})
    secret = http.post("/api/conversations", json={**start, "agent": {**agent, "llm": {"api_key": "sk-not-used", "usage_id": 7}}})
    return {"status": bad.status_code, "detail": bad.json()["detail"], "secret_body": secret.text}

# 5. /server_info: the official model accepts it; capabilities are the implemented ones.
def info():
    body = ws.get_server_info()
    ServerInfo.model_validate(body)
    return body

# idempotent_conversation_create_v1: concurrent creates of one id give one 201 and the same conversation.
def concurrent_creates():
    conversation_id = str(uuid.uuid4())
    results = []
    def create():
        r = http.post("/api/conversations", json={**start, "conversation_id": conversation_id})
        results.append((r.status_code, r.json()["id"]))
    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
    return {"statuses": sorted(s for s, _ in results), "ids": sorted(set(i for _, i in results)), "id": conversation_id}

for fn in (stop, background, upload, statuses, invalid, info, concurrent_creates):
    section(fn)
print(json.dumps(out))
`;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describeWithPython('the official Python client (openhands-sdk 1.58.2) against our server: RemoteWorkspace and raw routes', () => {
  let server: TestServer;
  let out: Json;
  beforeAll(async () => {
    server = await startServer();
    out = await runPython<Json>(SCRIPT, {
      url: server.url, key: server.key, dir: server.dataDir,
      upload_source: join(server.dataDir, 'upload-source.bin'), upload_target: join(server.dataDir, 'up', 'target.bin'),
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('1. stop_command stops a running command at once; a finished id is a success, an unknown one 404 (the client no-ops)', () => {
    expect(out.stop.seconds).toBeLessThan(5);
    expect(out.stop.last).toMatchObject({ kind: 'BashOutput', exit_code: -15 }); // killed by SIGTERM, as asyncio reports it
    expect(out.stop.status).toEqual({ finished: 200, unknown: 404, malformed: 422 });
  });

  it('2. get_command_output returns the whole output of `echo bg; sleep 0.3`: one persisted BashOutput per command', () => {
    expect(out.background.last).toMatchObject({ stdout: 'bg\n', exit_code: 0, order: 0 });
    expect(out.background.events).toHaveLength(1);
  });

  it('3. file_upload reports the size written (FileUploadResult.file_size)', () => {
    expect(out.upload.result).toMatchObject({ success: true, file_size: 1234, destination_path: join(server.dataDir, 'up', 'target.bin') });
    expect(out.upload.raw).toEqual({ success: true, file_size: 3 });
    expect(readFileSync(join(server.dataDir, 'up', 'target.bin'), 'utf8')).toBe('abc');
  });

  it('4. an unknown conversation is a 404 (DELETE, pause, interrupt, PATCH, ask_agent); condense without a condenser 409', () => {
    expect(out.statuses.unknown).toEqual({ delete: 404, pause: 404, interrupt: 404, patch: 404, ask_agent: 404 });
    expect(out.statuses.condense).toEqual({ status: 409, detail: expect.stringMatching(/^Cannot condense conversation/) });
  });

  it('4. a 422 lists type, loc, msg, input and ctx as FastAPI does, secrets redacted from the input', () => {
    expect(out.invalid.status).toBe(422);
    expect(out.invalid.detail).toEqual([
      { type: 'string_type', loc: ['body', 'command'], msg: 'Input should be a valid string', input: 7 },
      { type: 'greater_than_equal', loc: ['body', 'timeout'], msg: 'Input should be greater than or equal to 0', input: -1, ctx: { ge: 0 } },
    ]);
    expect(out.invalid.secret_body).toContain('<redacted>');
    expect(out.invalid.secret_body).not.toContain('sk-not-used');
  });

  it('5. /server_info validates as the official ServerInfo, version 1.58.2, advertising only implemented capabilities', () => {
    expect(out.info).toMatchObject({ version: '1.58.2', capabilities: ['idempotent_conversation_create_v1'], conversation_runtime: 'local' });
  });

  it('5. idempotent_conversation_create_v1: concurrent creates of one id give one 201 and three 200 for the same conversation', () => {
    expect(out.concurrent_creates.statuses).toEqual([200, 200, 200, 201]);
    expect(out.concurrent_creates.ids).toEqual([out.concurrent_creates.id]);
  });
});
