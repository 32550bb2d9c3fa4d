// Our RemoteConversation (and RemoteWorkspace) against the real agent server process: a whole run
// streamed; the server dropping the socket mid-run (a lagging subscriber) and the client ending with
// exactly the server's events; the server SIGKILLed mid-run and restarted, the conversation resumed with
// resumeConversation; pause, interrupt, confirm and reject over the wire; typed errors for a wrong key and
// an unknown conversation. Event lists are compared by id with the server's REST list.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import {
  AgentWorkspaceError, AuthenticationError, NotFoundError, RemoteConversation, RemoteWorkspace, resumeConversation, startConversation,
  type AgentSpecInput, type Conversation, type Event, type ScriptedServer,
} from '@agentworkspace/sdk';
import { startServer, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import { agentSpec, allEvents, scratchDir, scriptedLLM, useServerWithModels, type Json } from './conversations-harness.js';

// Bounds a hang only; nothing here asserts on durations.
jest.setTimeout(120_000);

const ids = (events: readonly { id: string }[]) => events.map((e) => e.id);
const agent = (model: ScriptedServer, extra: Parameters<typeof agentSpec>[1] = {}) => agentSpec(model, extra) as AgentSpecInput;
const workspaceOn = (server: TestServer, dir = scratchDir('remote-conv')) => new RemoteWorkspace({ url: server.url, sessionApiKey: server.key, workingDir: dir });

/** Resolves once the conversation holds an event matching `predicate`. */
const eventSeen = (conv: Conversation, predicate: (e: Json) => boolean, what: string) =>
  waitFor(() => conv.events().find((e) => predicate(e as Json)), what, { timeoutMs: 60_000, intervalMs: 20 });

describe('RemoteConversation on the agent server', () => {
  const { server, llm } = useServerWithModels();

  it('streams a whole run: run() resolves finished, events() equals the server list, subscribers saw each event and the snapshot', async () => {
    const dir = scratchDir('remote-run');
    const model = await llm([
      { tool_calls: [{ name: 'terminal', arguments: { command: 'echo streamed > out.txt && cat out.txt' } }] },
      { tool_calls: [{ name: 'finish', arguments: { message: 'done' } }], expect_tool_result_contains: 'streamed' },
    ]);
    const workspace = workspaceOn(server, dir);
    const conv = await startConversation({ agent: agent(model), workspace });
    expect(conv).toBeInstanceOf(RemoteConversation);
    const seen: Event[] = [];
    conv.subscribe((e) => seen.push(e));
    await conv.sendMessage('write out.txt');
    expect(conv.events().some((e) => e.kind === 'MessageEvent' && e.source === 'user')).toBe(true);
    expect(await conv.run()).toBe('finished');
    expect(conv.status).toBe('finished');
    const rest = await allEvents(server, conv.id);
    expect(ids(conv.events())).toEqual(ids(rest as { id: string }[]));
    expect(ids(seen.filter((e) => !(e.kind === 'ConversationStateUpdateEvent' && e.key === 'full_state')))).toEqual(ids(rest as { id: string }[]));
    expect(seen.some((e) => e.kind === 'ConversationStateUpdateEvent' && e.key === 'full_state')).toBe(true);
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('streamed\n');

    // The workspace half of the same server: commands, files both ways, git.
    expect(await workspace.execute('cat out.txt; echo oops >&2; exit 3')).toEqual({ exitCode: 3, stdout: 'streamed\n', stderr: 'oops\n' });
    expect(await workspace.execute('pwd', { cwd: '.' })).toMatchObject({ exitCode: 0, stdout: `${dir}\n` });
    await workspace.upload(new TextEncoder().encode('uploaded bytes'), 'sub/in.txt');
    expect(new TextDecoder().decode(await workspace.download('sub/in.txt'))).toBe('uploaded bytes');
    const copy = join(scratchDir('remote-copy'), 'copy.txt');
    await workspace.download(`${dir}/out.txt`, copy);
    expect(readFileSync(copy, 'utf8')).toBe('streamed\n');
    await expect(workspace.download('missing.txt')).rejects.toBeInstanceOf(NotFoundError);
    expect(await workspace.gitChanges()).toEqual([]); // not a repository yet
    expect((await workspace.execute('git init -q')).exitCode).toBe(0);
    expect(await workspace.gitChanges()).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'out.txt' })]));
    expect((await workspace.gitDiff('out.txt')).modified).toBe('streamed');
    expect(model.player.violations).toEqual([]);
    await conv.close();
  });

  it('pauses, interrupts, and confirms or rejects over the wire', async () => {
    const model = await llm([
      { text: 'slow step', tool_calls: [{ name: 'think', arguments: { thought: 'one' } }], delay_ms: 1500 },
      { tool_calls: [{ name: 'finish', arguments: { message: 'after the pause' } }] },
    ]);
    const conv = await startConversation({ agent: agent(model), workspace: workspaceOn(server) });
    await conv.sendMessage('think slowly');
    const run = conv.run();
    await eventSeen(conv, (e) => e.kind === 'ConversationStateUpdateEvent' && e.value === 'running', 'the run started');
    await conv.pause();
    expect(await run).toBe('paused');
    expect(conv.events().some((e) => e.kind === 'PauseEvent')).toBe(true);
    expect(await conv.run()).toBe('finished');
    await conv.close();

    const hanging = await llm([{ text: 'never answered in time', delay_ms: 60_000 }]);
    const stopped = await startConversation({ agent: agent(hanging), workspace: workspaceOn(server) });
    await stopped.sendMessage('wait forever');
    const long = stopped.run();
    await eventSeen(stopped, (e) => e.kind === 'ConversationStateUpdateEvent' && e.value === 'running', 'the run started');
    await stopped.interrupt();
    expect(await long).toBe('paused');
    expect(stopped.events().some((e) => e.kind === 'InterruptEvent')).toBe(true);
    await stopped.close();

    const careful = await llm([
      { tool_calls: [{ name: 'terminal', arguments: { command: 'echo confirmed' } }] },
      { tool_calls: [{ name: 'terminal', arguments: { command: 'rm -rf /tmp/not-this' } }], expect_tool_result_contains: 'confirmed' },
      { tool_calls: [{ name: 'finish', arguments: { message: 'understood' } }], expect_tool_result_contains: 'too risky' },
    ]);
    const asks = await startConversation({ agent: agent(careful), workspace: workspaceOn(server), confirmation_policy: { kind: 'AlwaysConfirm' } });
    await asks.sendMessage('run two commands');
    expect(await asks.run()).toBe('waiting_for_confirmation');
    expect(await asks.confirm()).toBe('waiting_for_confirmation');
    await asks.reject('too risky');
    expect(asks.events().filter((e) => e.kind === 'UserRejectObservation').map((e) => (e as Json).rejection_reason)).toEqual(['too risky']);
    await asks.setConfirmationPolicy({ kind: 'NeverConfirm' });
    expect(await asks.run()).toBe('finished');
    expect(ids(asks.events())).toEqual(ids(await allEvents(server, asks.id) as { id: string }[]));
    expect(careful.player.violations).toEqual([]);
    await asks.close();
  });

  it('raises typed errors: a wrong key is an AuthenticationError, an unknown conversation a NotFoundError', async () => {
    const model = await llm([{ text: 'unused' }]);
    const wrong = new RemoteWorkspace({ url: server.url, sessionApiKey: 'not-the-key', workingDir: scratchDir('wrong-key') });
    await expect(startConversation({ agent: agent(model), workspace: wrong })).rejects.toBeInstanceOf(AuthenticationError);
    await expect(resumeConversation({ workspace: workspaceOn(server), conversationId: '00000000-0000-4000-8000-000000000000' }))
      .rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('RemoteConversation when the server drops its socket mid-run', () => {
  let model: ScriptedServer;
  const { server } = useServerWithModels(async (llm) => {
    model = await llm([
      { text: 'Many thoughts at once.', tool_calls: Array.from({ length: 8 }, (_v, i) => ({ name: 'think', arguments: { thought: `thought ${i}` } })) },
      { text: 'Still working.', tool_calls: [{ name: 'think', arguments: { thought: 'slowly' } }], delay_ms: 1500 },
      { tool_calls: [{ name: 'finish', arguments: { message: 'done thinking' } }] },
    ]);
    // One frame in flight per subscriber and a lag bound of 8: the first turn's burst outruns any reader.
    return { env: { AGENT_SERVER_WS_MAX_LAG_EVENTS: '8', AGENT_SERVER_WS_HIGH_WATER_BYTES: '1' } };
  });

  it('reconnects, catches up over REST, and ends with exactly the server events: no gaps, no duplicates', async () => {
    const conv = await startConversation({ agent: agent(model), workspace: workspaceOn(server), reconnect: { initialDelayMs: 50 } });
    await conv.sendMessage('think a lot');
    expect(await conv.run()).toBe('finished');
    expect(server.logs()).toContain('event subscriber too slow');
    const rest = ids(await allEvents(server, conv.id) as { id: string }[]);
    expect(ids(conv.events())).toEqual(rest);
    expect(new Set(rest).size).toBe(rest.length);
    expect(model.player.violations).toEqual([]);
    await conv.close();
  });
});

describe('RemoteConversation across a server crash', () => {
  const data = scratchDir('remote-crash');
  const env = { OH_CONVERSATIONS_PATH: join(data, 'conversations'), OH_SECRET_KEY: 'remote-crash-secret-key' };
  const servers: TestServer[] = [];
  let model: ScriptedServer | undefined;
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await model?.close();
  });

  it('after SIGKILL mid-run and a restart, resumeConversation reattaches with every event and the run continues', async () => {
    model = await scriptedLLM({
      turns: [
        { tool_calls: [{ name: 'terminal', arguments: { command: 'sleep 30; echo late' } }] },
        { tool_calls: [{ name: 'finish', arguments: { message: 'recovered' } }], expect_tool_result_contains: 'A restart occurred while this tool was in progress' },
      ],
    });
    const a = await startServer({ env });
    servers.push(a);
    const dir = scratchDir('remote-crash-ws');
    const conv = await startConversation({ agent: agent(model), workspace: workspaceOn(a, dir), reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    await conv.sendMessage('run the long command');
    const interrupted = conv.run();
    interrupted.catch(() => undefined); // asserted below; the crash must not surface as an unhandled rejection first
    await eventSeen(conv, (e) => e.kind === 'ActionEvent' && e.tool_name === 'terminal', 'the long command started');
    a.process.kill('SIGKILL');
    const before = ids(conv.events());
    await conv.close();
    await expect(interrupted).rejects.toBeInstanceOf(AgentWorkspaceError);

    const b = await startServer({ env });
    servers.push(b);
    const resumed = await resumeConversation({ workspace: workspaceOn(b, dir), conversationId: conv.id });
    expect(resumed.id).toBe(conv.id);
    expect(resumed.status).toBe('error');
    const stored = ids(await allEvents(b, conv.id) as { id: string }[]);
    expect(ids(resumed.events())).toEqual(stored);
    expect(stored.slice(0, before.length)).toEqual(before);
    await resumed.sendMessage('the server restarted; please finish');
    expect(await resumed.run()).toBe('finished');
    expect(ids(resumed.events())).toEqual(ids(await allEvents(b, conv.id) as { id: string }[]));
    expect(model.player.violations).toEqual([]);
    await resumed.close();
  });
});
