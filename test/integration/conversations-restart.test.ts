// Restart safety on the real server process: SIGKILL mid-run, restart on the same data directory. Every
// event a client had received is still served (events are durable before they are sent), every
// conversation is listed, the interrupted one comes back as `error` with explanatory events and continues
// on a new message, and nothing like an ownership lease makes the new process refuse its own
// conversations. A graceful stop (SIGTERM) mid-run leaves the conversation `paused` instead.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ScriptedServer } from '@agentworkspace/sdk';
import { startServer, type TestServer } from '../support/server.js';
import {
  agentSpec, allEvents, api, createConversation, EventSocket, scratchDir, scriptedLLM, waitForStatus, userMessage, type Json,
} from './conversations-harness.js';

// Bounds a hang only; nothing here asserts on durations.
jest.setTimeout(90_000);

const filesUnder = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
  .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));

describe('restart safety', () => {
  const data = scratchDir('restart-data');
  // Each start gets a new session key, so the restart-stable OH_SECRET_KEY protects what survives restarts.
  const env = { OH_CONVERSATIONS_PATH: join(data, 'conversations'), OH_SECRET_KEY: 'restart-test-secret-key' };
  const servers: TestServer[] = [];
  let model: ScriptedServer;
  let other: ScriptedServer;

  const boot = async () => {
    const s = await startServer({ env });
    servers.push(s);
    return s;
  };

  beforeAll(async () => {
    model = await scriptedLLM({
      turns: [
        { text: 'Creating a marker, then a long command.', tool_calls: [{ name: 'terminal', arguments: { command: 'echo marker > marker.txt' } }] },
        { tool_calls: [{ name: 'terminal', arguments: { command: 'sleep 20; echo late' } }] },
        { tool_calls: [{ name: 'terminal', arguments: { command: 'echo "token=$RESTART_TOKEN"' } }], expect_tool_result_contains: 'A restart occurred while this tool was in progress' },
        { tool_calls: [{ name: 'finish', arguments: { message: 'recovered' } }], expect_tool_result_contains: 'token=<secret-hidden>' },
        { text: 'slow', tool_calls: [{ name: 'think', arguments: { thought: 'waiting' } }], delay_ms: 5000 },
      ],
    }, 'sk-client-test-key'); // only the client's own key is accepted: after the restart it must come back
    other = await scriptedLLM({ turns: [{ text: 'the other conversation answers' }] });
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await model?.close();
    await other?.close();
  });

  it('after SIGKILL mid-run, serves every conversation and event, marks the run error, and continues', async () => {
    const a = await boot();
    const done = await createConversation(a, { agent: agentSpec(other), workspace: { type: 'local', working_dir: scratchDir('other') }, initial_message: { content: [{ type: 'text', text: 'hi' }] } });
    await waitForStatus(a, done.id, ['finished']);
    const doneEvents = await allEvents(a, done.id);

    const workDir = scratchDir('restart-ws');
    const c = await createConversation(a, { agent: agentSpec(model), workspace: { type: 'local', working_dir: workDir }, secrets: { RESTART_TOKEN: 'tok-restart-777' } });
    const socket = new EventSocket(a, c.id);
    await socket.waitFor(() => true, 'first frame');
    socket.send(userMessage('make a marker, then run the long command'));
    const longAction = await socket.waitFor((f) => f.kind === 'ActionEvent' && f.action?.command === 'sleep 20; echo late', 'the long command started');
    a.process.kill('SIGKILL');
    await socket.closed;
    socket.assertValid();
    const seen = socket.events();

    const b = await boot();
    // Every conversation is listed and served, with every event the client had (a prefix of what is stored now).
    const listed = await api<Json>(b, 'GET', '/api/conversations/search', 'ConversationPage');
    expect(listed.body.items.map((i: Json) => i.id).sort()).toEqual([c.id, done.id].sort());
    expect(await allEvents(b, done.id)).toEqual(doneEvents);
    const info = await api<Json>(b, 'GET', `/api/conversations/${c.id}`, 'ConversationInfo');
    expect(info.body.execution_status).toBe('error');
    const stored = await allEvents(b, c.id);
    expect(stored.slice(0, seen.length)).toEqual(seen);
    const added = stored.slice(seen.length);
    expect(added).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'AgentErrorEvent', tool_call_id: longAction.tool_call_id, error: expect.stringContaining('A restart occurred while this tool was in progress') }),
      expect.objectContaining({ kind: 'ConversationErrorEvent', code: 'ServerRestarted' }),
      expect.objectContaining({ kind: 'ConversationStateUpdateEvent', key: 'execution_status', value: 'error' }),
    ]));

    // The client reconnects, replays, and sees everything it had, in order, then continues the conversation.
    const again = new EventSocket(b, c.id, 'resend_mode=all');
    await again.waitFor((_f, i) => i === stored.length, 'replay after restart');
    expect(again.frames[0]).toMatchObject({ key: 'full_state', value: { execution_status: 'error' } });
    expect(again.events().slice(0, seen.length)).toEqual(seen);
    const from = again.frames.length;
    again.send(userMessage('the server restarted; please finish'));
    await again.waitForSnapshot(['finished'], from);
    again.assertValid();
    expect(model.player.violations).toEqual([]);
    const final = await allEvents(b, c.id);
    expect(again.events()).toEqual(final);
    expect((await api(b, 'GET', `/api/conversations/${c.id}/agent_final_response`, 'AgentResponseResult')).body).toEqual({ response: 'recovered' });
    // The client's key and the secret survived the restart encrypted; neither is anywhere on disk in the clear.
    expect([...model.seenKeys]).toEqual(['sk-client-test-key']);
    const leaks = filesUnder(data).filter((f) => /sk-client-test-key|tok-restart-777/.test(readFileSync(f, 'utf8')));
    expect(leaks).toEqual([]);
    await again.close();

    // A graceful stop mid-run leaves the conversation paused (never `running` on disk), and it is served again.
    await api(b, 'POST', `/api/conversations/${c.id}/events`, 'Success', { json: { ...userMessage('one more, slowly'), run: true } });
    await waitForStatus(b, c.id, ['running']);
    expect(await b.stop()).toBe(0);
    const d = await boot();
    expect((await api<Json>(d, 'GET', `/api/conversations/${c.id}`, 'ConversationInfo')).body.execution_status).toBe('paused');
    expect((await allEvents(d, c.id)).map((e) => e.id).slice(0, final.length)).toEqual(final.map((e) => e.id));
  });

  it('starts past unreadable conversation directories and keeps serving the others', async () => {
    const dir = scratchDir('restart-junk');
    const junkEnv = { OH_CONVERSATIONS_PATH: join(dir, 'conversations'), OH_SECRET_KEY: 'restart-test-secret-key' };
    const first = await startServer({ env: junkEnv });
    servers.push(first);
    const good = await createConversation(first, { agent: agentSpec(other), workspace: { type: 'local', working_dir: scratchDir('junk-ws') } });
    expect(await first.stop()).toBe(0);
    mkdirSync(join(dir, 'conversations', 'not-a-conversation'));
    mkdirSync(join(dir, 'conversations', 'ffffffffffff4fffbfffffffffffffff'));
    writeFileSync(join(dir, 'conversations', 'ffffffffffff4fffbfffffffffffffff', 'base_state.json'), '{"id": trunc');
    const second = await startServer({ env: junkEnv });
    servers.push(second);
    const listed = await api<Json>(second, 'GET', '/api/conversations/search', 'ConversationPage');
    expect(listed.body.items.map((i: Json) => i.id)).toEqual([good.id]);
    expect(second.logs()).toContain('skipping an unreadable conversation directory');
    expect((await api<Json>(second, 'GET', '/api/conversations/ffffffff-ffff-4fff-bfff-ffffffffffff', null)).status).toBe(404);
  });
});
