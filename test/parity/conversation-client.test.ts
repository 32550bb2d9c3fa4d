// The official Python client's RemoteConversation (openhands-sdk 1.58.2) against our server: a whole
// conversation with the terminal (the agent's model the SDK's scripted OpenAI-compatible server on loopback),
// then `RemoteConversation.attach` by id and `fork`, as issue #17's acceptance names them.
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { scratchDir, scriptedLLM } from '../integration/conversations-harness.js';
import { type TestServer, startServer } from '../support/server.js';
import { describeWithPython, runPython } from './python.js';

jest.setTimeout(180_000);

const SCRIPT = String.raw`
import json, sys, time
from pydantic import SecretStr
from openhands.sdk import LLM, Agent, Conversation, Tool
from openhands.sdk.conversation.impl.remote_conversation import RemoteConversation
from openhands.sdk.workspace import RemoteWorkspace
from openhands.tools.terminal import TerminalTool  # registers the terminal's action and observation kinds

a = json.loads(sys.argv[1])
ws = RemoteWorkspace(host=a["url"], api_key=a["key"], working_dir=a["dir"])
llm = LLM(model="openai/scripted", base_url=a["llm"] + "/v1", api_key=SecretStr("sk-scripted"), usage_id="agent", num_retries=0)
agent = Agent(llm=llm, tools=[Tool(name=TerminalTool.name)])
conv = Conversation(agent=agent, workspace=ws, visualizer=None, delete_on_close=False)  # kept for the second process
conv.send_message("Print the greeting with echo.")
conv.run()
out = {"id": str(conv.id), "status": conv.state.execution_status.value, "kinds": [type(e).__name__ for e in conv.state.events]}
attached = RemoteConversation.attach(ws, conv.id, visualizer=None)
out["attached"] = {"same_id": attached.id == conv.id, "status": attached.state.execution_status.value, "kinds": [type(e).__name__ for e in attached.state.events]}
# 7. The event fields of 1.58.2 as the client's own models read them (a fresh attach: no live snapshot).
from openhands.sdk.event import ActionEvent, ConversationStateUpdateEvent, MessageEvent, ObservationEvent
evs = list(attached.state.events)
tree = [e for e in evs if not isinstance(e, ConversationStateUpdateEvent)]
user = [e for e in evs if isinstance(e, MessageEvent) and e.source == "user"]
terminal = [e.observation for e in evs if isinstance(e, ObservationEvent) and type(e.observation).__name__ == "TerminalObservation"]
info = ws.client.get(f"/api/conversations/{conv.id}").json()
for _ in range(400):  # the autotitle runs in the background on the server
    if info.get("title"):
        break
    time.sleep(0.05)
    info = ws.client.get(f"/api/conversations/{conv.id}").json()
out["fields"] = {
    "first_parent": tree[0].parent_id,
    "parents_chain": all(b.parent_id == a.id for a, b in zip(tree, tree[1:])),
    "leaf": info.get("leaf_event_id") == tree[-1].id,
    "last_user_updates": [e.value == user[0].id for e in evs if isinstance(e, ConversationStateUpdateEvent) and e.key == "last_user_message_id"],
    "summaries": [e.summary for e in evs if isinstance(e, ActionEvent)],
    "thinking_blocks": [list(e.llm_message.thinking_blocks) for e in evs if isinstance(e, MessageEvent)],
    "save_dirs": [o.full_output_save_dir for o in terminal],
    "py_interpreter_paths": [type(o.metadata.py_interpreter_path).__name__ for o in terminal],
    "title": info.get("title"),
}
fork = conv.fork(title="a fork")
info = ws.client.get(f"/api/conversations/{fork.id}").json()
out["fork"] = {"new_id": fork.id != conv.id, "kinds": [type(e).__name__ for e in fork.state.events], "title": info.get("title"),
               "forked_from": info.get("forked_from_conversation_id") == str(conv.id)}
for c in (fork, attached, conv):
    c.close()
print(json.dumps(out))
`;

// A new process that never imported the terminal tool: attach must learn its module from tool_module_qualnames.
const ATTACH_SCRIPT = String.raw`
import json, sys
from openhands.sdk.conversation.impl.remote_conversation import RemoteConversation
from openhands.sdk.workspace import RemoteWorkspace

a = json.loads(sys.argv[1])
ws = RemoteWorkspace(host=a["url"], api_key=a["key"], working_dir=a["dir"])
conv = RemoteConversation.attach(ws, a["id"], visualizer=None)
out = {"status": conv.state.execution_status.value, "kinds": [type(e).__name__ for e in conv.state.events]}
conv.close()
print(json.dumps(out))
`;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describeWithPython('the official Python RemoteConversation (openhands-sdk 1.58.2) against our server', () => {
  let server: TestServer;
  let out: Json;
  let dir: string;
  beforeAll(async () => {
    server = await startServer();
    const model = await scriptedLLM({ title: 'Python greets', turns: [
      { tool_calls: [{ name: 'terminal', arguments: { command: 'echo hello-from-python' } }] },
      { tool_calls: [{ name: 'finish', arguments: { message: 'printed', summary: 'Finished' } }], expect_tool_result_contains: 'hello-from-python' },
    ] as never });
    try {
      dir = scratchDir('python-conversation');
      out = await runPython<Json>(SCRIPT, { url: server.url, key: server.key, dir, llm: model.url });
      expect(model.player.violations).toEqual([]);
    } finally {
      await model.close();
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('runs a conversation with the terminal to the finish', () => {
    expect(out.status).toBe('finished');
    expect(out.kinds).toEqual(expect.arrayContaining(['MessageEvent', 'ActionEvent', 'ObservationEvent']));
  });

  // The running client also holds the full_state snapshot it was sent live, which is not an event of the log.
  const withoutStateUpdates = (kinds: string[]) => kinds.filter((k) => k !== 'ConversationStateUpdateEvent');

  it('attach reconnects by id and sees the same conversation', () => {
    expect(out.attached).toMatchObject({ same_id: true, status: 'finished' });
    expect(withoutStateUpdates(out.attached.kinds)).toEqual(withoutStateUpdates(out.kinds));
  });

  it('attach from a new process learns the tool modules from tool_module_qualnames and reads every event', async () => {
    const attached = await runPython<Json>(ATTACH_SCRIPT, { url: server.url, key: server.key, dir, id: out.id });
    expect(attached).toEqual({ status: 'finished', kinds: out.attached.kinds });
  });

  it('7. reads the event fields of 1.58.2: parent_id chain and leaf, last_user_message_id updates, summary, thinking_blocks, the terminal\'s save dir and python path; 6. the autotitle', () => {
    expect(out.fields).toEqual({
      first_parent: null, parents_chain: true, leaf: true, last_user_updates: [true],
      summaries: ['terminal: {"command": "echo hello-from-python"}', 'Finished'],
      thinking_blocks: [[]], save_dirs: [expect.stringMatching(/\/observations$/)], py_interpreter_paths: ['str'],
      title: 'Python greets',
    });
  });

  it('fork copies the conversation under a new id, with its title and parent', () => {
    expect(out.fork).toEqual({ new_id: true, kinds: out.attached.kinds, title: 'a fork', forked_from: true });
  });
});
