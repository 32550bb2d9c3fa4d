// Our SDK's RemoteConversation against the OFFICIAL agent server 1.58.2: examples/sdk-conversation.ts, unchanged,
// in a RemoteWorkspace pointed at the official server, with the agent's model the SDK's scripted
// OpenAI-compatible server (on loopback, which the Python root shares). The same turns as
// test/integration/sdk-example.test.ts plays against ours.
//
// The official server also asks the agent's model for a title as soon as the first user message arrives
// (`autotitle`, on by default), a request with no tools that races the agent's first step; a front answers
// those itself, so the scripted turns go to the agent in order.
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { RemoteWorkspace, type AgentSpecInput } from '@agentworkspace/sdk';
import { REPORT_TEXT, runExample } from '../../examples/sdk-conversation.js';
import { agentSpec, scratchDir, scriptedLLM } from '../integration/conversations-harness.js';
import type { TestServer } from '../support/server.js';
import { startOfficialServer } from './official-server.js';
import { describeWithPython } from './python.js';

jest.setTimeout(300_000);

/** Answers title requests (no tools) with a fixed title; forwards the rest to `upstream`. */
async function titleFront(upstream: string): Promise<{ url: string; titles: number; close: () => Promise<void> }> {
  const front = { url: '', titles: 0, close: async () => undefined as void };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const parsed = (() => { try { return JSON.parse(body) as { tools?: unknown[] }; } catch { return {}; } })();
      if (req.method === 'POST' && req.url?.endsWith('/chat/completions') && !parsed.tools?.length) {
        front.titles++;
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({
          id: 'title', object: 'chat.completion', created: 0, model: 'scripted',
          choices: [{ index: 0, message: { role: 'assistant', content: 'Write and count a report' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }));
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<string, string>;
      fetch(upstream + (req.url ?? ''), { method: req.method ?? 'GET', headers, body: req.method === 'GET' ? undefined : body })
        .then(async (up) => res.writeHead(up.status, { 'Content-Type': up.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await up.arrayBuffer())))
        .catch(() => res.destroy());
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  front.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  front.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return front;
}

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
    const model = await scriptedLLM({ turns: turns as never });
    const front = await titleFront(model.url);
    try {
      const workspace = new RemoteWorkspace({ url: official.url, sessionApiKey: official.key, workingDir: scratchDir('official-example') });
      const copy = join(scratchDir('official-example-copy'), 'report.txt');
      const result = await runExample(workspace, agentSpec(front) as AgentSpecInput, copy);
      expect(result.status).toBe('finished');
      expect(result.lines).toBe('1');
      expect(result.kinds).toEqual(expect.arrayContaining(['MessageEvent', 'ActionEvent', 'ObservationEvent']));
      expect(model.player.violations).toEqual([]);
      expect(front.titles).toBe(1);
    } finally {
      await front.close();
      await model.close();
    }
  });
});
