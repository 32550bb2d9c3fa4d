// The official Python client's RemoteConversation (openhands-sdk 1.58.2) against our server: a whole
// conversation with the terminal (the agent's model the SDK's scripted OpenAI-compatible server on loopback),
// then `RemoteConversation.attach` by id and `fork`, as issue #17's acceptance names them.
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { scratchDir, scriptedLLM } from '../integration/conversations-harness.js';
import { type TestServer, startServer } from '../support/server.js';
import { describeWithPython, runPython } from './python.js';

jest.setTimeout(180_000);

const SCRIPT = String.raw`
import json, sys
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
    const model = await scriptedLLM({ turns: [
      { tool_calls: [{ name: 'terminal', arguments: { command: 'echo hello-from-python' } }] },
      { tool_calls: [{ name: 'finish', arguments: { message: 'printed' } }], expect_tool_result_contains: 'hello-from-python' },
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

  it('fork copies the conversation under a new id, with its title and parent', () => {
    expect(out.fork).toEqual({ new_id: true, kinds: out.attached.kinds, title: 'a fork', forked_from: true });
  });
});
