// The conversations REST API on the real server process: every route of protocol §3.2–§3.3 with its status
// codes and quirks, every 2xx body checked against the official schema; server-side LLM credentials;
// the cap on concurrent runs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import type { ScriptedServer } from '@agentworkspace/sdk';
import { call, getWithBody } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import {
  agentSpec, allEvents, api, assertEventPage, createConversation, EventSocket, scratchDir, scriptedLLM, waitForStatus, useServerWithModels, userMessage,
  type Json,
} from './conversations-harness.js';

// Bounds a hang only; nothing here asserts on durations.
jest.setTimeout(90_000);

const hex = (id: string) => id.replaceAll('-', '');

describe('conversations API', () => {
  const { server, llm } = useServerWithModels();

  it('creates (201), is idempotent on conversation_id (200), accepts both workspace dialects and both id forms', async () => {
    const model = await llm([{ text: 'hi' }]);
    const ts = await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: scratchDir('ts') } });
    expect(ts).toMatchObject({ execution_status: 'idle', workspace: { kind: 'LocalWorkspace' }, title: null, tags: {} });

    const again = await api(server, 'POST', '/api/conversations', 'ConversationInfo', {
      json: { agent: agentSpec(model, { tools: ['terminal'] }), workspace: { type: 'local', working_dir: '/elsewhere' }, conversation_id: ts.id },
    });
    expect(again.status).toBe(200);
    expect(again.body.workspace).toEqual(ts.workspace);
    expect(again.body.agent.tools).toEqual(ts.agent.tools);

    const wanted = 'c0ffee0012344abc8def0123456789ab';
    const py = await api(server, 'POST', '/api/conversations', 'ConversationInfo', {
      json: {
        agent: agentSpec(model), workspace: { kind: 'LocalWorkspace', working_dir: scratchDir('py') }, conversation_id: wanted,
        tool_module_qualnames: { terminal: 'openhands.tools.terminal.definition' }, stuck_detection_thresholds: { action_observation: 4 },
        agent_definitions: [], client_tools: [], plugins: null, hook_config: null, observability_tags: [], user_id: null,
      },
    });
    expect(py.status).toBe(201);
    expect(py.body.id).toBe('c0ffee00-1234-4abc-8def-0123456789ab');
    expect((await api(server, 'GET', `/api/conversations/${wanted}`, 'ConversationInfo')).body.id).toBe(py.body.id);
    expect(existsSync(join(server.dataDir, 'conversations', wanted, 'base_state.json'))).toBe(true);
  });

  it('searches and counts with paging (inclusive hex cursor), status filter and sort orders; batch-gets by ids', async () => {
    const model = await llm([{ text: 'x' }]);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: scratchDir(`s${i}`) } })).id);
    const all = await api<Json>(server, 'GET', '/api/conversations/search?sort_order=CREATED_AT', 'ConversationPage');
    const order = all.body.items.map((c: Json) => c.id);
    expect(order.slice(-3)).toEqual(ids);
    const desc = await api<Json>(server, 'GET', '/api/conversations/search', 'ConversationPage');
    expect(desc.body.items.map((c: Json) => c.id)).toEqual([...order].reverse());
    const count = await api<number>(server, 'GET', '/api/conversations/count', null);
    expect(count.body).toBe(order.length);
    expect((await api<number>(server, 'GET', '/api/conversations/count?status=idle', null)).body).toBe(order.length);
    expect((await api<number>(server, 'GET', '/api/conversations/count?status=finished', null)).body).toBe(0);

    const first = await api<Json>(server, 'GET', '/api/conversations/search?sort_order=CREATED_AT&limit=2', 'ConversationPage');
    expect(first.body.items.map((c: Json) => c.id)).toEqual(order.slice(0, 2));
    expect(first.body.next_page_id).toBe(hex(order[2]));
    const second = await api<Json>(server, 'GET', `/api/conversations/search?sort_order=CREATED_AT&limit=2&page_id=${first.body.next_page_id}`, 'ConversationPage');
    expect(second.body.items[0].id).toBe(order[2]);
    const unknownCursor = await api<Json>(server, 'GET', '/api/conversations/search?sort_order=CREATED_AT&limit=2&page_id=nope', 'ConversationPage');
    expect(unknownCursor.body.items.map((c: Json) => c.id)).toEqual(order.slice(0, 2));

    const batch = await api<Json[]>(server, 'GET', `/api/conversations?ids=${ids[0]}&ids=${hex(ids[1]!)}&ids=00000000-0000-4000-8000-000000000000`, null);
    expect(batch.status).toBe(200);
    expect(batch.body.map((c) => c?.id ?? null)).toEqual([ids[0], ids[1], null]);

    for (const [query, loc] of [['sort_order=NEWEST', 'sort_order'], ['limit=0', 'limit'], ['limit=101', 'limit'], ['status=sleeping', 'status']] as const) {
      const bad = await api<Json>(server, 'GET', `/api/conversations/search?${query}`, null);
      expect(bad.status).toBe(422);
      expect(bad.body.detail[0].loc).toEqual(['query', loc]);
    }
  });

  it('PATCH sets title and tags; DELETE removes it (both 404 when unknown, as OpenHands 1.58)', async () => {
    const model = await llm([{ text: 'x' }]);
    const c = await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: scratchDir('patch') } });
    expect((await api(server, 'PATCH', `/api/conversations/${c.id}`, 'Success', { json: { title: 'My task', tags: { team: 'infra' } } })).body).toEqual({ success: true });
    const info = await api<Json>(server, 'GET', `/api/conversations/${c.id}`, 'ConversationInfo');
    expect(info.body).toMatchObject({ title: 'My task', tags: { team: 'infra' } });
    expect(await api(server, 'PATCH', '/api/conversations/00000000-0000-4000-8000-000000000000', null, { json: { title: 'x' } })).toMatchObject({ status: 404, body: { detail: 'Not Found' } });
    const badTag = await api<Json>(server, 'PATCH', `/api/conversations/${c.id}`, null, { json: { tags: { 'Bad-Key': 'v' } } });
    expect(badTag.status).toBe(422);
    expect(badTag.body.detail[0].loc).toEqual(['body', 'tags', 'Bad-Key']);

    const missing = await api<Json>(server, 'DELETE', '/api/conversations/00000000-0000-4000-8000-000000000000', null);
    expect(missing.status).toBe(404);
    expect((await api(server, 'DELETE', `/api/conversations/${c.id}`, 'Success')).status).toBe(200);
    const gone = await api<Json>(server, 'GET', `/api/conversations/${c.id}`, null);
    expect(gone).toEqual({ status: 404, body: { detail: `Conversation not found: ${c.id}` } });
    expect(existsSync(join(server.dataDir, 'conversations', hex(c.id)))).toBe(false);
  });

  it('searches, counts and gets events with every filter, sort order and inclusive paging', async () => {
    const model = await llm([
      { text: 'Looking.', tool_calls: [{ name: 'terminal', arguments: { command: 'echo NEEDLE-in-output' } }] },
      { tool_calls: [{ name: 'finish', arguments: { message: 'found it' } }] },
    ]);
    const c = await createConversation(server, {
      agent: agentSpec(model), workspace: { type: 'local', working_dir: scratchDir('ev') },
      initial_message: { content: [{ type: 'text', text: 'Find the Needle please' }], run: false },
    });
    await waitForStatus(server, c.id, ['finished']);
    const base = `/api/conversations/${c.id}/events`;
    const all = await allEvents(server, c.id);
    expect(all.length).toBeGreaterThan(8);

    const bare = await api<Json>(server, 'GET', `${base}/search?kind=MessageEvent`, assertEventPage);
    const qualified = await api<Json>(server, 'GET', `${base}/search?kind=openhands.sdk.event.llm_convertible.message.MessageEvent`, assertEventPage);
    expect(bare.body.items.length).toBe(1);
    expect(qualified.body.items).toEqual(bare.body.items);
    expect((await api<number>(server, 'GET', `${base}/count?kind=openhands.sdk.event.llm_convertible.action.ActionEvent`, null)).body).toBe(2);
    const user = await api<Json>(server, 'GET', `${base}/search?source=user`, assertEventPage);
    expect(user.body.items.map((e: Json) => e.kind)).toEqual(['MessageEvent']);
    const body = await api<Json>(server, 'GET', `${base}/search?body=nEeDlE`, assertEventPage);
    expect(body.body.items.map((e: Json) => e.id)).toEqual([user.body.items[0].id]);

    const pivot = all[4] as Json;
    const gte = await api<Json>(server, 'GET', `${base}/search?timestamp__gte=${encodeURIComponent(pivot.timestamp)}`, assertEventPage);
    expect(gte.body.items.map((e: Json) => e.id)).toEqual(all.slice(4).map((e) => e.id));
    const lt = await api<number>(server, 'GET', `${base}/count?timestamp__lt=${encodeURIComponent(pivot.timestamp)}`, null);
    expect(lt.body).toBe(4);
    const desc = await api<Json>(server, 'GET', `${base}/search?sort_order=TIMESTAMP_DESC`, assertEventPage);
    expect(desc.body.items.map((e: Json) => e.id)).toEqual(all.map((e) => e.id).reverse());

    const paged = await allEvents(server, c.id, 3);
    expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
    const page1 = await api<Json>(server, 'GET', `${base}/search?limit=3`, assertEventPage);
    expect(page1.body.next_page_id).toBe(all[3]!.id);
    expect((await api<number>(server, 'GET', `${base}/count`, null)).body).toBe(all.length);

    const one = await api<Json>(server, 'GET', `${base}/${pivot.id}`, String(pivot.kind));
    expect(one.body.id).toBe(pivot.id);
    expect((await api<Json>(server, 'GET', `${base}/no-such-event`, null)).status).toBe(404);
    const batch = await getWithBody(server, base, [pivot.id, 'no-such-event']);
    expect(batch.status).toBe(200);
    expect((batch.body as Json[]).map((e) => e?.id ?? null)).toEqual([pivot.id, null]);

    for (const [query, loc] of [['source=robot', 'source'], ['sort_order=ASC', 'sort_order'], ['timestamp__gte=yesterday', 'timestamp__gte'], ['limit=500', 'limit']] as const) {
      const bad = await api<Json>(server, 'GET', `${base}/search?${query}`, null);
      expect(bad.status).toBe(422);
      expect(bad.body.detail[0].loc).toEqual(['query', loc]);
    }
    expect((await api<Json>(server, 'GET', '/api/conversations/00000000-0000-4000-8000-000000000000/events/search', null)).status).toBe(404);
    expect((await api(server, 'GET', `/api/conversations/${c.id}/agent_final_response`, 'AgentResponseResult')).body).toEqual({ response: 'found it' });
  });

  it('run is 409 while running; pause and interrupt stop it (404 for unknown ids)', async () => {
    const model = await llm([
      { text: 'thinking slowly', tool_calls: [{ name: 'think', arguments: { thought: 'hmm' } }], delay_ms: 1500 },
      { text: 'slow again', tool_calls: [{ name: 'think', arguments: { thought: 'hmm' } }], delay_ms: 5000 },
      { tool_calls: [{ name: 'finish', arguments: { message: 'done' } }] },
    ]);
    const c = await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: scratchDir('run') } });
    const noMessage = await api<Json>(server, 'POST', `/api/conversations/${c.id}/run`, null);
    expect(noMessage.status).toBe(400);
    expect((await api(server, 'POST', `/api/conversations/${c.id}/events`, 'Success', { json: userMessage('go') })).status).toBe(200);
    expect((await api(server, 'POST', `/api/conversations/${c.id}/run`, 'Success')).status).toBe(200);
    const busy = await api<Json>(server, 'POST', `/api/conversations/${c.id}/run`, null);
    expect(busy.status).toBe(409);
    expect(busy.body.detail).toMatch(/^Conversation already running/);
    expect((await api(server, 'POST', `/api/conversations/${c.id}/pause`, 'Success')).status).toBe(200);
    await waitForStatus(server, c.id, ['paused']);

    expect((await api(server, 'POST', `/api/conversations/${c.id}/run`, 'Success')).status).toBe(200);
    await waitForStatus(server, c.id, ['running']);
    expect((await api(server, 'POST', `/api/conversations/${c.id}/interrupt`, 'Success')).status).toBe(200);
    await waitForStatus(server, c.id, ['paused']);
    const kinds = (await allEvents(server, c.id)).map((e) => e.kind);
    expect(kinds).toContain('PauseEvent');
    expect(kinds).toContain('InterruptEvent');

    for (const action of ['pause', 'interrupt']) {
      const res = await api<Json>(server, 'POST', `/api/conversations/00000000-0000-4000-8000-000000000000/${action}`, null);
      expect(res.status).toBe(404);
    }
    expect((await api<Json>(server, 'POST', '/api/conversations/00000000-0000-4000-8000-000000000000/run', null)).status).toBe(404);
  });

  it('confirmation policy: actions wait; reject answers them, accept runs them', async () => {
    const dir = scratchDir('confirm');
    const model = await llm([
      { tool_calls: [{ name: 'terminal', arguments: { command: 'touch rejected.txt' } }] },
      { tool_calls: [{ name: 'terminal', arguments: { command: 'touch accepted.txt' } }], expect_tool_result_contains: 'not now' },
      { tool_calls: [{ name: 'finish', arguments: { message: 'ok' } }] },
    ]);
    const c = await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: dir } });
    expect((await api(server, 'POST', `/api/conversations/${c.id}/confirmation_policy`, 'Success', { json: { policy: { kind: 'AlwaysConfirm' } } })).status).toBe(200);
    const badPolicy = await api<Json>(server, 'POST', `/api/conversations/${c.id}/confirmation_policy`, null, { json: { policy: { kind: 'SometimesConfirm' } } });
    expect(badPolicy.status).toBe(422);
    expect(badPolicy.body.detail[0].loc.slice(0, 2)).toEqual(['body', 'policy']);

    await api(server, 'POST', `/api/conversations/${c.id}/events`, 'Success', { json: { ...userMessage('touch files'), run: true } });
    await waitForStatus(server, c.id, ['waiting_for_confirmation']);
    expect((await api(server, 'POST', `/api/conversations/${c.id}/events/respond_to_confirmation`, 'Success', { json: { accept: false, reason: 'not now' } })).status).toBe(200);
    const rejected = (await allEvents(server, c.id)).filter((e) => e.kind === 'UserRejectObservation');
    expect(rejected).toEqual([expect.objectContaining({ rejection_reason: 'not now', tool_name: 'terminal' })]);
    expect(existsSync(join(dir, 'rejected.txt'))).toBe(false);

    await api(server, 'POST', `/api/conversations/${c.id}/run`, 'Success');
    await waitForStatus(server, c.id, ['waiting_for_confirmation']);
    await api(server, 'POST', `/api/conversations/${c.id}/confirmation_policy`, 'Success', { json: { policy: { kind: 'NeverConfirm' } } });
    await api(server, 'POST', `/api/conversations/${c.id}/events/respond_to_confirmation`, 'Success', { json: { accept: true } });
    await waitForStatus(server, c.id, ['finished']);
    expect(existsSync(join(dir, 'accepted.txt'))).toBe(true);
    expect(model.player.violations).toEqual([]);
  });

  it('secrets reach the terminal masked; security analyzer, ask_agent and condense answer as the protocol says', async () => {
    const model = await llm([
      { tool_calls: [{ name: 'terminal', arguments: { command: 'echo "token=$MY_TOKEN other=$OTHER server=${LLM_API_KEY:-unset}"' } }] },
      { tool_calls: [{ name: 'finish', arguments: { message: 'printed' } }], expect_tool_result_contains: 'token=<secret-hidden> other=<secret-hidden> server=unset' },
      { text: 'It printed the token.' },
    ]);
    const c = await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: scratchDir('sec') } });
    expect((await api(server, 'POST', `/api/conversations/${c.id}/secrets`, 'Success', { json: { secrets: { MY_TOKEN: 'tok-1234567', OTHER: { value: 'other-value-99' } } } })).status).toBe(200);
    const badSecret = await api<Json>(server, 'POST', `/api/conversations/${c.id}/secrets`, null, { json: { secrets: { 'not a name': 'x' } } });
    expect(badSecret.status).toBe(422);
    const info = await api<Json>(server, 'GET', `/api/conversations/${c.id}`, 'ConversationInfo');
    expect(info.body.secret_registry).toEqual({ secret_sources: { MY_TOKEN: { kind: 'StaticSecret' }, OTHER: { kind: 'StaticSecret' } } });

    await api(server, 'POST', `/api/conversations/${c.id}/events`, 'Success', { json: { ...userMessage('print it'), run: true } });
    await waitForStatus(server, c.id, ['finished']);
    const events = JSON.stringify(await allEvents(server, c.id));
    expect(events).not.toContain('tok-1234567');
    expect(events).not.toContain('other-value-99');

    expect((await api(server, 'POST', `/api/conversations/${c.id}/security_analyzer`, 'Success', { json: { security_analyzer: { kind: 'LLMSecurityAnalyzer' } } })).status).toBe(200);
    expect((await api<Json>(server, 'GET', `/api/conversations/${c.id}`, 'ConversationInfo')).body.security_analyzer).toEqual({ kind: 'LLMSecurityAnalyzer' });
    const unsupported = await api<Json>(server, 'POST', `/api/conversations/${c.id}/security_analyzer`, null, { json: { security_analyzer: { kind: 'GraySwanAnalyzer' } } });
    expect(unsupported.status).toBe(422);
    expect(unsupported.body.detail[0].msg).toMatch(/LLMSecurityAnalyzer/);
    expect((await api(server, 'POST', `/api/conversations/${c.id}/security_analyzer`, 'Success', { json: { security_analyzer: null } })).status).toBe(200);

    const before = (await allEvents(server, c.id)).length;
    const asked = await api(server, 'POST', `/api/conversations/${c.id}/ask_agent`, 'AskAgentResponse', { json: { question: 'What did you print?' } });
    expect(asked.body).toEqual({ response: 'It printed the token.' });
    expect((await allEvents(server, c.id)).length).toBe(before); // side-effect free
    expect((await api<Json>(server, 'POST', '/api/conversations/00000000-0000-4000-8000-000000000000/ask_agent', null, { json: { question: 'x' } })).status).toBe(404);
    const condense = await api<Json>(server, 'POST', `/api/conversations/${c.id}/condense`, null);
    expect(condense.status).toBe(409);
    expect(condense.body.detail).toMatch(/condenser/i);
    expect(model.player.violations).toEqual([]);
  });
});

describe('fork', () => {
  let model: ScriptedServer;

  const { server } = useServerWithModels(async (llm) => {
    model = await llm([
      { tool_calls: [{ name: 'terminal', arguments: { command: 'echo original' } }] },
      { tool_calls: [{ name: 'finish', arguments: { message: 'original done' } }] },
      { text: 'the fork continues on its own' },
    ]);
    return {};
  });

  it('copies events up to an event into a new conversation that continues on its own (201; 409 taken id; 404 unknown event)', async () => {
    const src = await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: scratchDir('fork') }, tags: { team: 'a' } });
    await api(server, 'POST', `/api/conversations/${src.id}/events`, 'Success', { json: { ...userMessage('run it'), run: true } });
    await waitForStatus(server, src.id, ['finished']);
    const events = await allEvents(server, src.id);
    // Cut after the finish observation, so the shared scripted model sees its last call answered in the fork too.
    const cut = events.filter((e) => e.kind === 'ObservationEvent').at(-1) as Json;
    expect(events.indexOf(cut)).toBeLessThan(events.length - 1);
    const fork = await api<Json>(server, 'POST', `/api/conversations/${src.id}/fork`, 'ConversationInfo', { json: { title: 'forked', from_event_id: cut.id } });
    expect(fork.status).toBe(201);
    expect(fork.body).toMatchObject({
      title: 'forked', tags: { team: 'a' }, execution_status: 'idle', forked_from_conversation_id: src.id, forked_from_event_id: cut.id,
      workspace: src.workspace, stats: { usage_to_metrics: {} },
    });
    expect(fork.body.id).not.toBe(src.id);
    const forkEvents = await allEvents(server, fork.body.id);
    expect(forkEvents).toEqual(events.slice(0, events.indexOf(cut) + 1));

    await api(server, 'POST', `/api/conversations/${fork.body.id}/events`, 'Success', { json: { ...userMessage('go on'), run: true } });
    await waitForStatus(server, fork.body.id, ['finished']);
    expect((await api(server, 'GET', `/api/conversations/${fork.body.id}/agent_final_response`, 'AgentResponseResult')).body).toEqual({ response: 'the fork continues on its own' });
    expect(await allEvents(server, src.id)).toEqual(events);
    expect(model.player.violations).toEqual([]);

    expect((await api<Json>(server, 'POST', `/api/conversations/${src.id}/fork`, null, { json: { id: fork.body.id } })).status).toBe(409);
    expect((await api<Json>(server, 'POST', `/api/conversations/${src.id}/fork`, null, { json: { from_event_id: 'nope' } })).status).toBe(404);
    expect((await api<Json>(server, 'POST', '/api/conversations/00000000-0000-4000-8000-000000000000/fork', null, { json: {} })).status).toBe(404);
    const whole = await api<Json>(server, 'POST', `/api/conversations/${src.id}/fork`, 'ConversationInfo', { json: { reset_metrics: false } });
    expect(whole.body).toMatchObject({ execution_status: 'finished', forked_from_conversation_id: src.id });
    expect(Object.keys(whole.body.stats.usage_to_metrics)).toEqual(['agent']);
    expect((await allEvents(server, whole.body.id)).map((e) => e.id)).toEqual(events.map((e) => e.id));
  });
});

describe('a secret given to a conversation never leaves the server unmasked', () => {
  const SECRET = 'tok-late-secret-4242';
  const { server, llm } = useServerWithModels();

  /** Every file of a conversation's directory, concatenated. */
  const files = (id: string) => {
    const dir = join(server.dataDir, 'conversations', id.replaceAll('-', ''));
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile())
      .map((d) => readFileSync(join(d.parentPath, d.name), 'utf8')).join('\n');
  };

  it('in a fork (events written before the secret was given) and its socket replay, and in the answer of ask_agent', async () => {
    const model = await llm([{ text: 'noted' }, { text: `the token is ${SECRET}` }]);
    const c = await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: scratchDir('late') } });
    await api(server, 'POST', `/api/conversations/${c.id}/events`, 'Success', { json: { ...userMessage(`remember ${SECRET}`), run: true } });
    await waitForStatus(server, c.id, ['finished']);
    await api(server, 'POST', `/api/conversations/${c.id}/secrets`, 'Success', { json: { secrets: { TOKEN: SECRET } } });
    expect(files(c.id)).toContain(SECRET); // written before the server knew it was a secret

    const asked = await api<Json>(server, 'POST', `/api/conversations/${c.id}/ask_agent`, 'AskAgentResponse', { json: { question: 'which token?' } });
    expect(asked.body).toEqual({ response: 'the token is <secret-hidden>' });

    const fork = await api<Json>(server, 'POST', `/api/conversations/${c.id}/fork`, 'ConversationInfo', { json: {} });
    expect(fork.status).toBe(201);
    expect(files(fork.body.id)).not.toContain(SECRET);
    const events = await allEvents(server, fork.body.id);
    expect(JSON.stringify(events)).toContain('remember <secret-hidden>');
    const socket = new EventSocket(server, fork.body.id, 'resend_mode=all');
    await waitFor(() => socket.events().length >= events.length || undefined, 'the fork replayed on its socket');
    socket.assertValid();
    expect(JSON.stringify(socket.frames)).not.toContain(SECRET);
    socket.ws.close();
    expect(model.player.violations).toEqual([]);
  });
});

describe('server-side LLM credentials', () => {
  const SERVER_KEY = 'sk-server-side-secret-0042';
  let model: ScriptedServer;

  const { server } = useServerWithModels(async (llm) => {
    model = await llm([
      { tool_calls: [{ name: 'terminal', arguments: { command: 'env | grep -c -E "LLM_API_KEY|OH_SESSION_API_KEYS" || true' } }] },
      { tool_calls: [{ name: 'finish', arguments: { message: 'ok' } }], expect_tool_result_contains: '0' },
    ], SERVER_KEY);
    return { env: { LLM_MODEL: 'openai/scripted', LLM_API_KEY: SERVER_KEY, LLM_BASE_URL: `${model.url}/v1` } };
  });

  it('uses them for a spec without a key, never returns them, and keeps them from the agent', async () => {
    const c = await createConversation(server, {
      agent: { kind: 'Agent', llm: { usage_id: 'agent', num_retries: 0 }, tools: [{ name: 'terminal' }] },
      workspace: { type: 'local', working_dir: scratchDir('creds') },
      initial_message: { content: [{ type: 'text', text: 'check the environment' }] },
    });
    expect(c.agent.llm).toMatchObject({ model: 'openai/scripted', api_key: '**********', base_url: `${model.url}/v1` });
    await waitForStatus(server, c.id, ['finished']);
    expect([...model.seenKeys]).toEqual([SERVER_KEY]);
    expect(model.player.violations).toEqual([]);
    const everything = JSON.stringify([
      (await api(server, 'GET', `/api/conversations/${c.id}`, 'ConversationInfo')).body,
      (await api(server, 'GET', '/api/conversations/search', 'ConversationPage')).body,
      await allEvents(server, c.id),
    ]);
    expect(everything).not.toContain(SERVER_KEY);
    expect(server.logs()).not.toContain(SERVER_KEY);
    const persisted = readdirSync(join(server.dataDir, 'conversations', hex(c.id))).join(',');
    expect(persisted).toContain('base_state.json');
  });

  it('does not send the server key to an endpoint the client chose', async () => {
    const other = await scriptedLLM({ turns: [{ text: 'hello' }] });
    try {
      const c = await createConversation(server, {
        agent: { kind: 'Agent', llm: { model: 'openai/scripted', base_url: `${other.url}/v1`, num_retries: 0 } },
        workspace: { type: 'local', working_dir: scratchDir('creds2') },
        initial_message: { content: [{ type: 'text', text: 'hi' }] },
      });
      await waitForStatus(server, c.id, ['finished']);
      expect([...other.seenKeys]).not.toContain(SERVER_KEY);
    } finally {
      await other.close();
    }
  });
});

describe('concurrent run cap', () => {
  let slow: ScriptedServer;
  let quick: ScriptedServer;

  const { server } = useServerWithModels(async (llm) => {
    slow = await llm([{ text: 'slow', tool_calls: [{ name: 'think', arguments: { thought: 'a' } }], delay_ms: 5000 }]);
    quick = await llm([{ text: 'quick answer' }]);
    return { env: { OH_MAX_CONCURRENT_RUNS: '1' } };
  });

  it('refuses a run beyond OH_MAX_CONCURRENT_RUNS with a 429 naming the limit, appending nothing', async () => {
    const a = await createConversation(server, { agent: agentSpec(slow), workspace: { type: 'local', working_dir: scratchDir('capa') }, initial_message: { content: [{ type: 'text', text: 'go' }] } });
    await waitForStatus(server, a.id, ['running']);
    const b = await createConversation(server, { agent: agentSpec(quick), workspace: { type: 'local', working_dir: scratchDir('capb') } });
    const refused = await api<Json>(server, 'POST', `/api/conversations/${b.id}/events`, null, { json: { ...userMessage('hi'), run: true } });
    expect(refused.status).toBe(429);
    expect(refused.body.detail).toMatch(/at most 1 may run at once/);
    expect((await allEvents(server, b.id)).length).toBe(0);
    await api(server, 'POST', `/api/conversations/${b.id}/events`, 'Success', { json: userMessage('hi') });
    expect((await api<Json>(server, 'POST', `/api/conversations/${b.id}/run`, null)).status).toBe(429);

    await api(server, 'POST', `/api/conversations/${a.id}/interrupt`, 'Success');
    await waitForStatus(server, a.id, ['paused']);
    expect((await api(server, 'POST', `/api/conversations/${b.id}/run`, 'Success')).status).toBe(200);
    await waitForStatus(server, b.id, ['finished']);

    const metrics = await call<string>(server, 'GET', '/metrics');
    expect(metrics.body).toMatch(/^agent_server_conversations\{loaded="true"\} 2$/m);
    expect(metrics.body).toMatch(/^agent_server_conversation_runs 0$/m);
    expect(metrics.body).toMatch(/^agent_server_conversation_subscribers 0$/m);
    const appended = (await allEvents(server, a.id)).length + (await allEvents(server, b.id)).length;
    expect(metrics.body).toMatch(new RegExp(`^agent_server_conversation_events_total ${appended}$`, 'm'));
  });
});

describe('idle conversations', () => {
  let model: ScriptedServer;

  const { server } = useServerWithModels(async (llm) => {
    model = await llm([
      { tool_calls: [{ name: 'terminal', arguments: { command: 'export REMEMBER=in-the-old-shell; echo set' } }] },
      { tool_calls: [{ name: 'finish', arguments: { message: 'set' } }] },
      { tool_calls: [{ name: 'terminal', arguments: { command: 'echo "remember=${REMEMBER:-gone}"' } }] },
      { tool_calls: [{ name: 'finish', arguments: { message: 'checked' } }], expect_tool_result_contains: 'remember=gone' },
    ]);
    return { env: { OH_CONVERSATION_IDLE_TTL_SECONDS: '1' } };
  });

  it('are released from memory (their shell with them) and reload from disk on next use', async () => {
    const c = await createConversation(server, { agent: agentSpec(model), workspace: { type: 'local', working_dir: scratchDir('idle') }, initial_message: { content: [{ type: 'text', text: 'set it' }] } });
    await waitForStatus(server, c.id, ['finished']);
    const before = await allEvents(server, c.id);
    await waitFor(() => server.logs().includes('idle conversation released from memory') && server.logs().includes(c.id), 'the idle release');
    expect(await allEvents(server, c.id)).toEqual(before);
    await api(server, 'POST', `/api/conversations/${c.id}/events`, 'Success', { json: { ...userMessage('check it'), run: true } });
    await waitForStatus(server, c.id, ['finished']);
    expect(model.player.violations).toEqual([]);
    const after = await allEvents(server, c.id);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(new Set(after.map((e) => e.id)).size).toBe(after.length);
  });
});
