// Our SDK's RemoteConversation against the OFFICIAL agent server 1.58.2: examples/sdk-conversation.ts, unchanged,
// in a RemoteWorkspace pointed at the official server, with the agent's model the SDK's scripted
// OpenAI-compatible server (on loopback, which the Python root shares). The same turns as
// test/integration/sdk-example.test.ts plays against ours.
//
// The official server also asks the agent's model for a title as soon as the first user message arrives
// (`autotitle`, on by default), a request with no tools that races the agent's first step; the scripted model
// answers it from `script.title` without taking a turn, which also shows the official request is the one our
// server sends (`titleRequestMessages`, told apart by its system prompt) and the title lands in ConversationInfo.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { contentText, RemoteWorkspace, titleRequestMessages, type AgentSpecInput } from '@agentworkspace/sdk';
import { REPORT_TEXT, runExample } from '../../examples/sdk-conversation.js';
import { agentSpec, scratchDir, scriptedLLM } from '../integration/conversations-harness.js';
import { call, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import { startOfficialServer } from './official-server.js';
import { describeWithPython } from './python.js';

jest.setTimeout(300_000);

const turns = [
  { tool_calls: [{ name: 'terminal', arguments: { command: `echo "${REPORT_TEXT}" > report.txt` } }] },
  { tool_calls: [{ name: 'terminal', arguments: { command: 'wc -l report.txt' } }] },
  { tool_calls: [{ name: 'finish', arguments: { message: 'report written and counted' } }], expect_tool_result_contains: '1 report.txt' },
];

describeWithPython('our SDK against the official agent server 1.58.2', () => {
  let official: TestServer;
  beforeAll(async () => {
    official = await startOfficialServer();
  });
  afterAll(async () => {
    await official?.stop();
  });

  it('runs the shared example unchanged: the agent writes and counts, the script downloads and checks', async () => {
    const model = await scriptedLLM({ title: 'Write and count a report', turns: turns as never });
    try {
      const workspace = new RemoteWorkspace({ url: official.url, sessionApiKey: official.key, workingDir: scratchDir('official-example') });
      const copy = join(scratchDir('official-example-copy'), 'report.txt');
      const result = await runExample(workspace, agentSpec(model) as AgentSpecInput, copy);
      expect(result.status).toBe('finished');
      expect(result.lines).toBe('1');
      expect(result.kinds).toEqual(expect.arrayContaining(['MessageEvent', 'ActionEvent', 'ObservationEvent']));
      expect(model.player.violations).toEqual([]);
      expect(model.player.remaining).toBe(0);
      // #17 item 6: the official autotitle request is the one ours sends, and its title is reported.
      expect(model.player.titleRequests).toHaveLength(1);
      const request = model.player.titleRequests[0]!.map((m) => ({ role: m.role, text: contentText(m.content) }));
      const message = /starts with this message:\n\n([\s\S]*)\.Also make sure/.exec(request[1]?.text ?? '')?.[1] ?? '';
      expect(message).not.toBe('');
      expect(request).toEqual(titleRequestMessages(message).map((m) => ({ role: m.role, text: contentText(m.content) })));
      const titled = await waitFor(async () => {
        const page = await call<{ items: { title: string | null }[] }>(official, 'GET', '/api/conversations/search');
        return page.body.items.find((c) => c.title)?.title;
      }, 'the official server titles the conversation');
      expect(titled).toBe('Write and count a report');
    } finally {
      await model.close();
    }
  });
});
