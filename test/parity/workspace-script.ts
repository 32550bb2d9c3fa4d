// The Python script of the workspace parity tests: the official client's calls for each item of issue #17,
// run against a server whose URL and key come in sys.argv[1]. Each section's result (or its error) is one key of
// the JSON it prints. workspace-client.test.ts runs it against our server; side-by-side.test.ts against both.
import { join } from 'node:path';
import type { TestServer } from '../support/server.js';

export const WORKSPACE_SCRIPT = String.raw`
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
    bad = http.post("/api/bash/start_bash_command", json={"command": 7, "timeout": 1.5})
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

# conversation_runtime_routes_v1: RemoteWorkspace(runtime_conversation_id=…) confined to the conversation's workspace.
def runtime():
    conv = http.post("/api/conversations", json=start).json()
    scoped = RemoteWorkspace(host=a["url"], api_key=a["key"], working_dir=a["dir"], runtime_conversation_id=conv["id"])
    ran = scoped.execute_command("pwd; echo scoped")
    uploaded = scoped.file_upload(a["upload_source"], a["dir"] + "/scoped.bin").model_dump(mode="json")
    prefix = f"/api/conversations/{conv['id']}"
    global_ids = [e["id"] for e in http.get("/api/bash/bash_events/search").json()["items"]]
    scoped_items = http.get(prefix + "/bash/bash_events/search").json()["items"]
    return {
        "stdout": ran.stdout, "exit_code": ran.exit_code, "upload": {"success": uploaded["success"], "file_size": uploaded["file_size"]},
        "scoped_events_not_global": bool(scoped_items) and not any(e["id"] in global_ids for e in scoped_items),
        "outside_path": http.get(prefix + "/file/download", params={"path": "/etc/hostname"}).status_code,
        "outside_cwd": http.post(prefix + "/bash/start_bash_command", json={"command": "true", "cwd": "/"}).status_code,
        "unknown": http.get(f"/api/conversations/{UNKNOWN}/bash/bash_events/search").status_code,
    }

# 6. ConversationInfo: the fields of a new conversation, as the official model validates them.
def conversation_info():
    from openhands.agent_server.models import ConversationInfo
    info = http.post("/api/conversations", json={**start, "tool_module_qualnames": {"terminal": "openhands.tools.terminal.definition"}}).json()
    ConversationInfo.model_validate(info)
    keep = ("title", "client_tools", "tool_module_qualnames", "runtime_info", "leaf_event_id", "hook_config", "parent_conversation_id",
            "forked_from_conversation_id", "forked_from_event_id", "sub_conversation_ids", "available_models", "current_model_id",
            "supports_runtime_model_switch", "launched_agent_profile")
    return {"keys": sorted(info), "values": {k: info.get(k) for k in keep}}

for fn in (stop, background, upload, statuses, invalid, info, concurrent_creates, runtime, conversation_info):
    section(fn)
print(json.dumps(out))
`;

/** The script's argument for `server`. */
export function workspaceScriptArg(server: Pick<TestServer, 'url' | 'key' | 'dataDir'>): Record<string, unknown> {
  return {
    url: server.url, key: server.key, dir: server.dataDir,
    upload_source: join(server.dataDir, 'upload-source.bin'), upload_target: join(server.dataDir, 'up', 'target.bin'),
  };
}
