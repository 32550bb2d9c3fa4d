// Acceptance: the official @openhands/typescript-client RemoteConversation drives a whole conversation on
// our server with the scripted model — create, send, run to completion with terminal and file_editor
// actions that really change the workspace — and receives every event over the WebSocket in order. Every
// REST response and WS frame is checked against the official schema (extra properties forbidden), and one
// turn's event order matches the protocol's golden sequence (§5.5).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ScriptedServer } from '@agentworkspace/sdk';
import { WebSocket } from 'ws';
import { startServer, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import { agentSpec, allEvents, api, assertEvent, scratchDir, scriptedLLM, shape, type Json } from './conversations-harness.js';

// Bounds a hang only; nothing here asserts on durations.
jest.setTimeout(90_000);

// The client looks for window.WebSocket when its module loads (its require('ws') fallback is dead in ESM).
(globalThis as unknown as { window: unknown }).window = { WebSocket };
const { RemoteConversation, RemoteWorkspace } = await import('@openhands/typescript-client');

const GOLDEN_TURN = [
  'SystemPromptEvent',
  'MessageEvent:user',
  'StateUpdate:last_user_message_id',
  'StateUpdate:execution_status=running',
  'StateUpdate:stats', 'ActionEvent:terminal', 'ObservationEvent:terminal',
  'StateUpdate:stats', 'ActionEvent:file_editor', 'ObservationEvent:file_editor',
  'StateUpdate:stats', 'ActionEvent:finish', 'ObservationEvent:finish',
  'StateUpdate:execution_status=finished',
];

describe('official TypeScript client RemoteConversation against our server', () => {
  let server: TestServer;
  let llm: ScriptedServer;
  let workDir: string;

  beforeAll(async () => {
    workDir = scratchDir('client');
    llm = await scriptedLLM({
      turns: [
        { text: 'I will write the greeting with the terminal.', tool_calls: [{ name: 'terminal', arguments: { command: `printf 'hello from the agent\\n' > ${workDir}/greeting.txt && cat ${workDir}/greeting.txt` } }] },
        { tool_calls: [{ name: 'file_editor', arguments: { command: 'create', path: join(workDir, 'notes.md'), file_text: '# Notes\nwritten by file_editor\n' } }], expect_tool_result_contains: 'hello from the agent' },
        { tool_calls: [{ name: 'finish', arguments: { message: 'Both files are written.' } }], expect_tool_result_contains: 'notes.md' },
        { text: 'Second turn: nothing more to do.' },
      ],
    });
    server = await startServer();
  });

  afterAll(async () => {
    await server?.stop();
    await llm?.close();
  });

  it('creates, sends, runs to completion, and streams every event in order', async () => {
    const received: Json[] = [];
    const errors: Error[] = [];
    const workspace = new RemoteWorkspace({ host: server.url, workingDir: workDir, apiKey: server.key as string });
    const conversation = new RemoteConversation(agentSpec(llm) as never, workspace, {
      callback: (event: unknown) => received.push(event as Json),
      onError: (err: Error) => errors.push(err),
    });
    await conversation.start();
    const id = conversation.id;
    await conversation.startWebSocketClient();
    await waitFor(() => received.find((e) => e.kind === 'ConversationStateUpdateEvent' && e.key === 'full_state'), 'the first full_state frame');
    expect(received[0]).toMatchObject({ kind: 'ConversationStateUpdateEvent', key: 'full_state', value: { id, execution_status: 'idle' } });

    await conversation.sendMessage('Write greeting.txt with the terminal and notes.md with the file editor, then finish.');
    await conversation.run();
    const finalSnapshot = () => received.findIndex((e, i) => i > 0 && e.key === 'full_state' && e.value.execution_status === 'finished');
    await waitFor(() => finalSnapshot() > 0, 'a finished full_state snapshot after the run');

    // The workspace really changed.
    expect(readFileSync(join(workDir, 'greeting.txt'), 'utf8')).toBe('hello from the agent\n');
    expect(readFileSync(join(workDir, 'notes.md'), 'utf8')).toBe('# Notes\nwritten by file_editor\n');

    // Every frame matches the official schema; the persisted ones are exactly the server's events, in order.
    received.forEach(assertEvent);
    const persisted = received.filter((e) => e.key !== 'full_state');
    const rest = await allEvents(server, id);
    expect(persisted.map((e) => e.id)).toEqual(rest.map((e) => e.id));
    expect(persisted).toEqual(rest);
    // The autotitle's call adds one `stats` update (as OpenHands), wherever it races the first step.
    const withoutStats = (shapes: string[]) => shapes.filter((s) => s !== 'StateUpdate:stats');
    expect(withoutStats(shape(rest))).toEqual(withoutStats(GOLDEN_TURN));
    expect(shape(rest).filter((s) => s === 'StateUpdate:stats')).toHaveLength(GOLDEN_TURN.length - withoutStats(GOLDEN_TURN).length + 1);
    // The snapshot comes after the run's last event.
    expect(finalSnapshot()).toBe(received.length - 1);

    // The client's own views agree.
    expect(await conversation.state.getExecutionStatus()).toBe('finished');
    // (its cache also keeps the non-persisted full_state frames it received, which REST never lists)
    const snapshotIds = new Set(received.filter((e) => e.key === 'full_state').map((e) => e.id));
    const clientIds = (await conversation.state.events.getEvents()).map((e: { id: string }) => e.id);
    expect(clientIds.filter((eid: string) => !snapshotIds.has(eid))).toEqual(rest.map((e) => e.id));
    expect(await conversation.getAgentFinalResponse()).toBe('Both files are written.');
    const stats = await conversation.conversationStats() as Json;
    expect(Object.keys(stats.usage_to_metrics)).toEqual(['agent']);

    // A second turn continues the same conversation.
    const before = received.length;
    await conversation.sendMessage('Anything else?');
    await conversation.run();
    await waitFor(() => received.slice(before).some((e) => e.key === 'full_state' && e.value.execution_status === 'finished'), 'second turn finished');
    const second = received.slice(before).filter((e) => e.key !== 'full_state');
    expect(shape(second)).toEqual(['StateUpdate:execution_status=idle', 'MessageEvent:user', 'StateUpdate:last_user_message_id', 'StateUpdate:execution_status=running', 'StateUpdate:stats', 'MessageEvent:agent', 'StateUpdate:execution_status=finished']);

    const info = await api(server, 'GET', `/api/conversations/${id}`, 'ConversationInfo');
    expect(info.body).toMatchObject({ id, execution_status: 'finished', workspace: { kind: 'LocalWorkspace', working_dir: workDir } });
    expect(info.body.agent.llm.api_key).toBe('**********');
    expect(JSON.stringify(received)).not.toContain('sk-client-test-key');
    expect(server.logs()).not.toContain('sk-client-test-key');
    expect(llm.player.violations).toEqual([]);
    expect(errors).toEqual([]);
    await conversation.close();
  });
});
