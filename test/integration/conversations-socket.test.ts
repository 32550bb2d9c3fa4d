// WS /sockets/events/{id} on the real server: the full-state first frame, replay modes, live events, a
// message frame that starts the agent, the post-run snapshot, 4004, errors as ServerErrorEvents, the
// subscriber limit, pings, frames under 1 MiB, a slow reader that stalls nobody, and catch-up after the
// server drops a socket mid-run (resend_all + REST search end with exactly the server's event ids).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import type { ScriptedServer } from '@agentworkspace/sdk';
import { WebSocket } from 'ws';
import { waitFor } from '../support/wait.js';
import {
  agentSpec, allEvents, api, createConversation, EventSocket, scratchDir, shape, waitForStatus, useServerWithModels, userMessage, type Json,
} from './conversations-harness.js';

// Bounds a hang only; nothing here asserts on durations.
jest.setTimeout(90_000);

// The official client's WebSocket needs window.WebSocket when its module loads (ESM: no require('ws')).
(globalThis as unknown as { window: unknown }).window = { WebSocket };
const { RemoteConversation, RemoteWorkspace } = await import('@openhands/typescript-client');

const ids = (events: Json[]) => events.map((e) => e.id as string);

describe('events socket', () => {
  const { server, llm } = useServerWithModels();

  it('closes with 4004 for an unknown conversation, with either auth style', async () => {
    for (const auth of ['frame', 'query'] as const) {
      const socket = new EventSocket(server, '00000000-0000-4000-8000-000000000000', '', { auth });
      expect(await socket.closed).toEqual({ code: 4004, reason: 'Conversation not found' });
    }
    const malformed = new EventSocket(server, 'not-a-uuid');
    expect((await malformed.closed).code).toBe(4004);
    const badEncoding = new EventSocket(server, '%E0%A4%A');
    expect(await badEncoding.closed).toEqual({ code: 4004, reason: 'Conversation not found' });
  });

  it('sends a full-state frame first; a message frame runs the agent; live events then a finished snapshot follow', async () => {
    const dir = scratchDir('ws');
    const model = await llm([
      { tool_calls: [{ name: 'terminal', arguments: { command: 'echo from-socket > made-by-socket.txt' } }] },
      { tool_calls: [{ name: 'finish', arguments: { message: 'done' } }] },
    ]);
    // No autotitle: its title call's `stats` update would land wherever it races the first step.
    const c = await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: dir }, autotitle: false });
    const socket = new EventSocket(server, c.id);
    const first = await socket.waitFor(() => true, 'first frame');
    expect(first).toMatchObject({ kind: 'ConversationStateUpdateEvent', key: 'full_state', value: { id: c.id, execution_status: 'idle' } });

    socket.send(userMessage('make a file'));
    await socket.waitForSnapshot(['finished'], 1);
    expect(readFileSync(join(dir, 'made-by-socket.txt'), 'utf8')).toBe('from-socket\n');
    const rest = await allEvents(server, c.id);
    expect(socket.events()).toEqual(rest);
    expect(shape(rest)).toEqual([
      'SystemPromptEvent', 'MessageEvent:user', 'StateUpdate:last_user_message_id', 'StateUpdate:execution_status=running',
      'StateUpdate:stats', 'ActionEvent:terminal', 'ObservationEvent:terminal',
      'StateUpdate:stats', 'ActionEvent:finish', 'ObservationEvent:finish', 'StateUpdate:execution_status=finished',
    ]);
    expect(socket.frames.at(-1)).toMatchObject({ key: 'full_state', value: { execution_status: 'finished' } });

    // Bad frames are answered with ServerErrorEvents; the socket stays open and nothing is appended.
    socket.send('{not json');
    socket.send({ role: 'assistant', content: [{ type: 'text', text: 'spoofed' }] });
    socket.send({ role: 'user', content: [{ type: 'text', text: 'x'.repeat(600 * 1024) }] });
    await waitFor(() => socket.frames.filter((f) => f.kind === 'ServerErrorEvent').length === 3, 'three ServerErrorEvents');
    expect(socket.frames.filter((f) => f.kind === 'ServerErrorEvent').map((f) => f.code)).toEqual(['JSONDecodeError', 'ValidationError', 'payload_too_large']);
    expect(await allEvents(server, c.id)).toEqual(rest);
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    socket.assertValid();

    // Replays: all (and the deprecated alias), since a timestamp (inclusive), none.
    for (const query of ['resend_mode=all', 'resend_all=true']) {
      const replay = new EventSocket(server, c.id, query);
      await replay.waitFor((_f, i) => i === rest.length, `${query} replay`);
      expect(replay.frames[0]).toMatchObject({ key: 'full_state', value: { execution_status: 'finished' } });
      expect(replay.frames.slice(1)).toEqual(rest);
      await replay.close();
    }
    const pivot = rest[4] as Json;
    const since = new EventSocket(server, c.id, `resend_mode=since&after_timestamp=${encodeURIComponent(pivot.timestamp)}`);
    await since.waitFor((_f, i) => i === rest.length - 4, 'since replay');
    expect(ids(since.frames.slice(1))).toEqual(ids(rest.slice(4)));
    await since.close();
    for (const bad of ['resend_mode=some', 'resend_mode=since', 'resend_mode=since&after_timestamp=noon']) {
      const s = new EventSocket(server, c.id, bad);
      expect((await s.closed).code).toBe(1008);
    }
    await socket.close();
  });

  it('streams token deltas of a streaming LLM as StreamingDeltaEvents, before the message they make up, never persisted', async () => {
    const reply = 'This answer arrives in many small streamed pieces.';
    const model = await llm([{ text: reply }]);
    const c = await createConversation(server, { agent: agentSpec(model, { stream: true }), workspace: { type: 'local', working_dir: scratchDir('stream') } });
    const socket = new EventSocket(server, c.id);
    await socket.waitFor(() => true, 'first frame');
    socket.send(userMessage('answer in a stream'));
    await socket.waitForSnapshot(['finished'], 1);
    socket.assertValid();
    const deltas = socket.frames.filter((f) => f.kind === 'StreamingDeltaEvent');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((d) => d.content ?? '').join('')).toBe(reply);
    const answer = socket.frames.findIndex((f) => f.kind === 'MessageEvent' && f.source === 'agent');
    expect(socket.frames.indexOf(deltas.at(-1)!)).toBeLessThan(answer);
    const rest = await allEvents(server, c.id);
    expect(rest.some((e) => e.kind === 'StreamingDeltaEvent')).toBe(false);
    expect(socket.events()).toEqual(rest);
    await socket.close();
  });

  it('keeps frames under 1 MiB: an oversized event becomes a ServerErrorEvent pointing at REST', async () => {
    const dir = scratchDir('big');
    const big = 'b'.repeat(700 * 1024);
    const model = await llm([
      { tool_calls: [{ name: 'file_editor', arguments: { command: 'create', path: join(dir, 'big.txt'), file_text: big } }] },
      { tool_calls: [{ name: 'finish', arguments: { message: 'written' } }] },
    ]);
    const c = await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: dir } });
    const socket = new EventSocket(server, c.id);
    await socket.waitFor(() => true, 'first frame');
    socket.send(userMessage('write a big file'));
    await socket.waitForSnapshot(['finished'], 1);
    socket.assertValid();
    const tooLarge = socket.frames.filter((f) => f.kind === 'ServerErrorEvent');
    expect(tooLarge).toEqual([expect.objectContaining({ code: 'EventTooLarge' })]);
    const action = (await allEvents(server, c.id)).find((e) => e.kind === 'ActionEvent' && e.tool_name === 'file_editor') as Json;
    expect(tooLarge[0]!.detail).toContain(`/api/conversations/${c.id}/events/${action.id}`);
    const full = await api<Json>(server, 'GET', `/api/conversations/${c.id}/events/${action.id}`, 'ActionEvent');
    expect(full.body.action.file_text).toBe(big);
    expect(readFileSync(join(dir, 'big.txt'), 'utf8')).toBe(big);
    await socket.close();
  });
});

// Its own server: a 300 ms ping rightly drops any client that misses a pong, which a busy test process may do,
// so no other test shares it.
describe('events socket limits and pings', () => {
  // 5 subscribers: the server's own two of an untitled conversation (as OpenHands counts its own), three sockets.
  const { server, llm } = useServerWithModels(() => ({ env: { AGENT_SERVER_WS_MAX_SUBSCRIBERS: '5', AGENT_SERVER_WS_PING_MS: '300' } }));

  it('allows the configured number of subscribers (less the server\'s own), then closes with 1013; pings and drops clients that never answer', async () => {
    const model = await llm([{ text: 'hi' }]);
    const c = await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: scratchDir('subs') } });
    const subs = [new EventSocket(server, c.id), new EventSocket(server, c.id), new EventSocket(server, c.id)];
    await Promise.all(subs.map((s) => s.waitFor(() => true, 'first frame')));
    const extra = new EventSocket(server, c.id);
    expect(await extra.closed).toEqual({ code: 1013, reason: 'Too many connections' });
    await subs[0]!.close();
    const replacement = new EventSocket(server, c.id);
    await replacement.waitFor(() => true, 'first frame after a slot freed');

    let pings = 0;
    subs[1]!.ws.on('ping', () => pings++);
    await waitFor(() => pings >= 2, 'two server pings');
    expect(subs[1]!.ws.readyState).toBe(WebSocket.OPEN);
    await Promise.all([subs[1]!.close(), subs[2]!.close(), replacement.close()]);

    const mute = new WebSocket(`${server.url.replace(/^http/, 'ws')}/sockets/events/${c.id}?session_api_key=${server.key}`, { autoPong: false });
    const closed = new Promise<number>((resolve) => mute.once('close', (code) => resolve(code)));
    expect(await closed).toBe(1006);
  });
});

describe('events socket catch-up after the server drops a subscriber mid-run', () => {
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

  it('closes the lagging socket with 1013; resend_all plus REST search give exactly the server ids, no gaps, no duplicates', async () => {
    const c = await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: scratchDir('catchup') } });
    const first = new EventSocket(server, c.id);
    await first.waitFor(() => true, 'first frame');
    // The official client listens too; it is dropped in the same burst and reconnects on its own.
    const seenByClient: Json[] = [];
    const official = new RemoteConversation(agentSpec(model) as never, new RemoteWorkspace({ host: server.url, workingDir: '/tmp', apiKey: server.key as string }), {
      conversationId: c.id, callback: (e: unknown) => seenByClient.push(e as Json),
    });
    await official.start();
    await official.startWebSocketClient();
    await waitFor(() => seenByClient.length > 0, 'the official client subscribed');
    first.send(userMessage('think a lot'));
    expect(await first.closed).toEqual({ code: 1013, reason: 'Subscriber too slow; reconnect and replay' });
    first.assertValid();
    const before = ids(first.events());

    // Reconnect at once (mid-run), replaying everything, then reconcile with REST as clients do.
    const second = new EventSocket(server, c.id, 'resend_mode=all');
    await second.waitForSnapshot(['finished'], 1);
    second.assertValid();
    const rest = ids(await allEvents(server, c.id));
    const merged: string[] = [];
    for (const id of [...before, ...ids(second.events()), ...rest]) if (!merged.includes(id)) merged.push(id);
    expect(merged).toEqual(rest);
    expect(ids(second.events())).toEqual(rest);
    expect(new Set(rest).size).toBe(rest.length);
    expect(rest.slice(0, before.length)).toEqual(before);
    expect(before.length).toBeLessThan(rest.length);
    expect(model.player.violations).toEqual([]);
    await waitForStatus(server, c.id, ['finished']);
    await second.close();

    // The official client, after its own reconnects, merges REST with what it cached: exactly the server's ids.
    await waitFor(() => seenByClient.some((e) => e.key === 'full_state' && e.value.execution_status === 'finished'), 'the official client saw the end');
    const snapshots = new Set(seenByClient.filter((e) => e.key === 'full_state').map((e) => e.id));
    expect((server.logs().match(/event subscriber too slow/g) ?? []).length).toBeGreaterThanOrEqual(2);
    const merged2 = (await official.state.events.getEvents()).map((e: { id: string }) => e.id).filter((id: string) => !snapshots.has(id));
    expect(merged2).toEqual(rest);
    await official.close();
  });
});

// Its own server, with the default ping: a paused reader must be held back by backpressure, not dropped.
describe('events socket with a reader that stops reading', () => {
  let model: ScriptedServer;

  const { server } = useServerWithModels(async (llm) => {
    model = await llm([
      ...Array.from({ length: 12 }, (_v, i) => ({ tool_calls: [{ name: 'terminal', arguments: { command: `seq 1 2000 | sed 's/^/line ${i} /'` } }] })),
      { tool_calls: [{ name: 'finish', arguments: { message: 'printed' } }] },
    ]);
    return {};
  });

  it('a reader that stops reading stalls neither the agent nor other subscribers, and later gets everything in order', async () => {
    const c = await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: scratchDir('slow') } });
    const slow = new EventSocket(server, c.id);
    const fast = new EventSocket(server, c.id);
    await Promise.all([slow.waitFor(() => true, 'first frame'), fast.waitFor(() => true, 'first frame')]);
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    fast.send(userMessage('print a lot'));
    await fast.waitForSnapshot(['finished'], 1);
    const rest = await allEvents(server, c.id);
    expect(fast.events()).toEqual(rest);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await slow.waitForSnapshot(['finished'], 1);
    expect(slow.events()).toEqual(rest);
    await Promise.all([slow.close(), fast.close()]);
  });
});
