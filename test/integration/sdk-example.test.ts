// examples/sdk-conversation.ts, unchanged, in every kind of workspace: only the workspace argument differs.
// The scripted model plays the same turns everywhere (write the file, run a command, finish); the example
// downloads the file and checks it. Later workspaces (Kubernetes, Docker) join the table.
import { join } from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import { LocalWorkspace, RemoteWorkspace, type AgentSpecInput } from '@agentworkspace/sdk';
import { REPORT_TEXT, runExample } from '../../examples/sdk-conversation.js';
import { agentSpec, scratchDir, useServerWithModels } from './conversations-harness.js';

// Bounds a hang only; nothing here asserts on durations.
jest.setTimeout(90_000);

const turns = [
  { tool_calls: [{ name: 'terminal', arguments: { command: `echo "${REPORT_TEXT}" > report.txt` } }] },
  { tool_calls: [{ name: 'terminal', arguments: { command: 'wc -l report.txt' } }] },
  { tool_calls: [{ name: 'finish', arguments: { message: 'report written and counted' } }], expect_tool_result_contains: '1 report.txt' },
];

describe('the SDK example', () => {
  const { server, llm } = useServerWithModels();

  const workspaces: [string, () => LocalWorkspace | RemoteWorkspace][] = [
    ['LocalWorkspace', () => new LocalWorkspace(scratchDir('example-local'))],
    ['RemoteWorkspace', () => new RemoteWorkspace({ url: server.url, sessionApiKey: server.key, workingDir: scratchDir('example-remote') })],
  ];

  it.each(workspaces)('runs unchanged in a %s: the agent writes and counts, the script downloads and checks', async (_kind, make) => {
    const model = await llm(turns);
    const copy = join(scratchDir('example-copy'), 'report.txt');
    const result = await runExample(make(), agentSpec(model) as AgentSpecInput, copy);
    expect(result.status).toBe('finished');
    expect(result.lines).toBe('1');
    expect(result.kinds).toEqual(expect.arrayContaining(['MessageEvent', 'ActionEvent', 'ObservationEvent']));
    expect(model.player.violations).toEqual([]);
  });
});
