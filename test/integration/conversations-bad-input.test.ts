// Hostile and malformed input to the conversations API: unknown and malformed ids, malformed agent specs,
// workspaces, messages and enums, oversized messages and bodies, and a flood of messages to a running
// conversation. Each gets a clear error naming the field; nothing is created or appended; the event log on
// disk stays whole; other conversations carry on.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import type { ScriptedServer } from '@agentworkspace/sdk';
import { call } from '../support/server.js';
import {
  agentSpec, allEvents, api, createConversation, scratchDir, scriptedLLM, shape, waitForStatus, useServerWithModels, userMessage, type Json,
} from './conversations-harness.js';

// Bounds a hang only; nothing here asserts on durations.
jest.setTimeout(90_000);

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const msg = (t: string, run = false) => ({ ...userMessage(t), run });

describe('bad input to the conversations API', () => {
  let model: ScriptedServer;
  const conversationsDir = () => join(server.dataDir, 'conversations');
  const stored = () => readdirSync(conversationsDir()).sort();

  const { server } = useServerWithModels(async (llm) => {
    model = await llm([{ text: 'ok', repeat: 50 }]);
    return {};
  });

  it('unknown and malformed conversation ids get 404 / 422', async () => {
    for (const [method, path] of [
      ['GET', ''], ['GET', '/events/search'], ['GET', '/events/count'], ['GET', '/events/some-id'], ['POST', '/run'],
      ['GET', '/agent_final_response'],
    ] as const) {
      const res = await api<Json>(server, method, `/api/conversations/${UNKNOWN}${path}`, null);
      expect([path, res.status, res.body]).toEqual([path, 404, { detail: `Conversation not found: ${UNKNOWN}` }]);
    }
    const send = await api<Json>(server, 'POST', `/api/conversations/${UNKNOWN}/events`, null, { json: msg('hi') });
    expect(send.status).toBe(404);
    const malformed = await api<Json>(server, 'GET', '/api/conversations/not-a-uuid', null);
    expect(malformed.status).toBe(422);
    expect(malformed.body.detail[0]).toMatchObject({ loc: ['path', 'conversation_id'], msg: 'Input should be a valid UUID' });
    // Where OpenHands raises a bare HTTPException(404): FastAPI's own detail.
    for (const [method, path] of [['POST', '/pause'], ['POST', '/interrupt'], ['DELETE', '']] as const) {
      expect(await api(server, method, `/api/conversations/${UNKNOWN}${path}`, null)).toMatchObject({ status: 404, body: { detail: 'Not Found' } });
      expect((await api(server, method, `/api/conversations/not-a-uuid${path}`, null)).status).toBe(422);
    }
    expect(await api(server, 'POST', `/api/conversations/${UNKNOWN}/condense`, null)).toMatchObject({ status: 404, body: { detail: 'Conversation not found' } });
  });

  it('malformed agent specs and workspaces are 422s naming the field, and create nothing', async () => {
    await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: scratchDir('ok') } });
    const before = stored();
    const ws = { type: 'local', working_dir: scratchDir('bad') };
    const good = agentSpec(model);
    const cases: [string, Json, (string | number)[], RegExp][] = [
      ['missing agent', { workspace: ws }, ['body', 'agent'], /required/i],
      ['unknown tool', { agent: { ...good, tools: [{ name: 'terminal' }, { name: 'rm_rf' }] }, workspace: ws }, ['body', 'agent', 'tools', 1, 'name'], /unknown tool "rm_rf"/],
      ['missing model', { agent: { ...good, llm: { api_key: 'k' } }, workspace: ws }, ['body', 'agent', 'llm', 'model'], /required/i],
      ['unknown provider', { agent: { ...good, llm: { ...good.llm, model: 'nosuch/model' } }, workspace: ws }, ['body', 'agent', 'llm'], /unknown provider "nosuch"/],
      ['ACP agent', { agent: { ...good, kind: 'ACPAgent' }, workspace: ws }, ['body', 'agent', 'kind'], /Agent/],
      ['agent not an object', { agent: 'gpt', workspace: ws }, ['body', 'agent'], /^Input should be a valid dictionary$/],
      ['missing workspace', { agent: good }, ['body', 'workspace'], /required/i],
      ['relative working_dir', { agent: good, workspace: { type: 'local', working_dir: 'rel/dir' } }, ['body', 'workspace', 'working_dir'], /absolute/],
      ['docker workspace', { agent: good, workspace: { kind: 'DockerWorkspace', working_dir: '/w' } }, ['body', 'workspace', 'kind'], /LocalWorkspace/],
      ['bad confirmation policy', { agent: good, workspace: ws, confirmation_policy: { kind: 'Maybe' } }, ['body', 'confirmation_policy', 'kind'], /./],
      ['max_iterations 0', { agent: good, workspace: ws, max_iterations: 0 }, ['body', 'max_iterations'], /./],
      ['bad conversation_id', { agent: good, workspace: ws, conversation_id: 'abc' }, ['body', 'conversation_id'], /UUID/],
      ['worktree', { agent: good, workspace: ws, worktree: true }, ['body', 'worktree'], /not supported/],
      ['bad initial message', { agent: good, workspace: ws, initial_message: { role: 'system', content: [] } }, ['body', 'initial_message', 'role'], /user/],
    ];
    for (const [name, body, loc, message] of cases) {
      const res = await api<Json>(server, 'POST', '/api/conversations', null, { json: body });
      expect([name, res.status]).toEqual([name, 422]);
      expect([name, res.body.detail[0].loc]).toEqual([name, loc]);
      expect(res.body.detail[0].msg).toMatch(message);
    }
    const notJson = await call<Json>(server, 'POST', '/api/conversations', { body: '{"agent":', headers: { 'Content-Type': 'application/json' } });
    expect(notJson.status).toBe(422);
    expect(notJson.body.detail[0].type).toBe('json_invalid');
    expect(stored()).toEqual(before);
  });

  it('malformed, oversized and mistyped messages are refused and append nothing', async () => {
    const c = await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: scratchDir('msg') } });
    const path = `/api/conversations/${c.id}/events`;
    const cases: [string, unknown, number, (string | number)[] | null][] = [
      ['assistant role', { role: 'assistant', content: [{ type: 'text', text: 'x' }] }, 422, ['body', 'role']],
      ['content not a list', { content: 'hello' }, 422, ['body', 'content']],
      ['unknown content type', { content: [{ type: 'video', url: 'x' }] }, 422, ['body', 'content', 0]],
      ['text not a string', { content: [{ type: 'text', text: 42 }] }, 422, ['body', 'content', 0]],
      ['run not a boolean', { content: [], run: 'yes' }, 422, ['body', 'run']],
      ['not an object', [1, 2, 3], 422, ['body']],
      ['oversized', msg('x'.repeat(600 * 1024)), 413, null],
      ['over the body limit', msg('x'.repeat(2 * 1024 * 1024)), 413, null],
    ];
    for (const [name, body, status, loc] of cases) {
      const res = await api<Json>(server, 'POST', path, null, { json: body });
      expect([name, res.status]).toEqual([name, status]);
      if (loc) expect([name, res.body.detail[0].loc.slice(0, loc.length)]).toEqual([name, loc]);
      else expect(typeof res.body.detail).toBe('string');
    }
    expect((await api<Json>(server, 'POST', path, null, { json: msg('x'.repeat(600 * 1024)) })).body.detail).toMatch(/limit is 524288/);
    expect(await allEvents(server, c.id)).toEqual([]);
    const enumCases = ['/events/search?sort_order=sideways', '/events/count?source=martian', '/events/search?limit=-1'];
    for (const q of enumCases) expect((await api(server, 'GET', `/api/conversations/${c.id}${q}`, null)).status).toBe(422);
    expect((await api(server, 'GET', '/api/conversations/count?status=asleep', null)).status).toBe(422);
    expect((await api(server, 'POST', `/api/conversations/${c.id}/confirmation_policy`, null, { json: { policy: 'never' } })).status).toBe(422);
    expect((await api(server, 'POST', `/api/conversations/${c.id}/events/respond_to_confirmation`, null, { json: { accept: 'yes' } })).status).toBe(422);
  });

  it('a flood of messages to a running conversation: all accepted in order, the log on disk whole, others unaffected', async () => {
    const busy = await scriptedLLM({
      turns: [
        // The first step lasts until the test has had every flooded message accepted (a file it then creates),
        // so the agent's next call must see them all, however slowly a loaded machine delivers 200 requests.
        { text: 'working', tool_calls: [{ name: 'terminal', arguments: { command: 'while [ ! -e flood-accepted ]; do sleep 0.05; done' } }] },
        { tool_calls: [{ name: 'finish', arguments: { message: 'read them all' } }] },
      ],
    });
    const bystanderModel = await scriptedLLM({ turns: [{ text: 'I am unaffected.' }] });
    try {
      const workspace = scratchDir('flood');
      const c = await createConversation(server, { agent: agentSpec(busy), workspace: { type: 'local', working_dir: workspace }, initial_message: { content: [{ type: 'text', text: 'start' }] } });
      await waitForStatus(server, c.id, ['running']);
      const N = 200;
      const [results, bystander] = await Promise.all([
        Promise.all(Array.from({ length: N }, (_v, i) => api<Json>(server, 'POST', `/api/conversations/${c.id}/events`, null, { json: msg(`flood ${i}`, true) }))),
        (async () => {
          // No autotitle: its title call's `stats` update would land wherever it races the first step.
          const b = await createConversation(server, {
            agent: agentSpec(bystanderModel), workspace: { type: 'local', working_dir: scratchDir('bystander') }, initial_message: { content: [{ type: 'text', text: 'hello' }] }, autotitle: false,
          });
          return waitForStatus(server, b.id, ['finished']);
        })(),
      ]);
      expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
      writeFileSync(join(workspace, 'flood-accepted'), '');
      await waitForStatus(server, c.id, ['finished']);
      expect(busy.player.violations).toEqual([]);
      // The agent's second call saw every flooded message.
      const lastRequest = busy.player.requests.at(-1)!.filter((m) => m.role === 'user').length;
      expect(lastRequest).toBe(N + 1);

      const events = await allEvents(server, c.id);
      const texts = events.filter((e) => e.kind === 'MessageEvent' && e.source === 'user').map((e) => e.llm_message.content[0].text);
      expect(new Set(texts)).toEqual(new Set(['start', ...Array.from({ length: N }, (_v, i) => `flood ${i}`)]));
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      // On disk: one file per event, indexes 0..n-1 with no gap, each a complete event matching what REST serves.
      const dir = join(conversationsDir(), c.id.replaceAll('-', ''), 'events');
      const files = readdirSync(dir).sort();
      expect(files.length).toBe(events.length);
      files.forEach((f, i) => {
        expect(f).toBe(`event-${String(i).padStart(5, '0')}-${events[i]!.id}.json`);
        expect(JSON.parse(readFileSync(join(dir, f), 'utf8')).id).toBe(events[i]!.id);
      });

      expect(shape(await allEvents(server, bystander.id))).toEqual([
        'SystemPromptEvent', 'MessageEvent:user', 'StateUpdate:last_user_message_id', 'StateUpdate:execution_status=running', 'StateUpdate:stats', 'MessageEvent:agent', 'StateUpdate:execution_status=finished',
      ]);
    } finally {
      await busy.close();
      await bystanderModel.close();
    }
  });
});
