// Every event kind the SDK emits, and every tool action/observation kind, checked against the official OpenHands
// schema types (additionalProperties false, as the Python client's extra="forbid" models).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EventSchema, LocalConversation, ScriptedLLM, makeEvent, text, type Event, type EventInput,
} from '@agentworkspace/sdk';
import { assertMatchesSchema } from '../support/openhands-schema.js';

let root: string;
const seen: Event[] = [];

/** JSON as it goes on the wire (undefined dropped). */
const wire = (e: unknown) => JSON.parse(JSON.stringify(e)) as Record<string, unknown>;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sdk-schema-'));
  const ws = join(root, 'ws');
  const conv = await LocalConversation.create({
    agent: {
      llm: { model: 'scripted/schema', usage_id: 'agent', num_retries: 0 },
      tools: [{ name: 'terminal' }, { name: 'file_editor' }, { name: 'task_tracker' }],
      condenser: { kind: 'LLMSummarizingCondenser', llm: { model: 'scripted/condenser', usage_id: 'condenser' }, max_size: 8, keep_first: 2 },
    },
    workspace: ws,
    persistence_dir: join(root, 'store'),
    confirmation_policy: { kind: 'AlwaysConfirm' },
    stuck_detection: false,
    llmFactory: (cfg) => new ScriptedLLM(cfg, cfg.usage_id === 'condenser' ? { turns: [{ text: 'summary', repeat: 10 }] } : {
      turns: [
        { text: 'plan first', tool_calls: [{ name: 'task_tracker', arguments: { command: 'plan', task_list: [{ title: 'write', status: 'in_progress' }] } }] },
        { tool_calls: [{ name: 'file_editor', arguments: { command: 'create', path: join(ws, 'a.txt'), file_text: 'a\n' } }] },
        { tool_calls: [{ name: 'terminal', arguments: { command: 'cat a.txt' } }, { name: 'think', arguments: { thought: 'ok' } }] },
        { tool_calls: [{ name: 'terminal', arguments: '{broken' }] },
        { tool_calls: [{ name: 'file_editor', arguments: { command: 'view', path: join(ws, 'a.txt') } }] },
        { tool_calls: [{ name: 'finish', arguments: { message: 'done' } }] },
        { text: 'bye' },
        { error: { status: 400, message: 'boom' } },
        { text: 'slow', delay_ms: 30_000 },
      ],
    }),
  });
  conv.subscribe((e) => seen.push(e));
  await conv.sendMessage('go');
  await conv.run(); // waits: task_tracker
  await conv.confirm(); // waits: file_editor
  await conv.reject('no');
  await conv.run(); // terminal+think wait
  await conv.confirm(); // runs them; malformed → AgentError; view waits
  expect(conv.status).toBe('waiting_for_confirmation');
  await conv.confirm(); // finish
  await conv.sendMessage('more');
  await conv.run(); // 'bye'
  await conv.sendMessage('again');
  await conv.run(); // 400 → ConversationErrorEvent
  await conv.sendMessage('slow one');
  const running = conv.run();
  await new Promise((r) => setTimeout(r, 50));
  await conv.interrupt(); // InterruptEvent
  await running;
  await conv.close();
  const idle = await LocalConversation.create({ agent: { llm: { model: 'scripted/idle' } }, workspace: ws, llmFactory: (cfg) => new ScriptedLLM(cfg, { turns: [{ text: 'x' }] }) });
  idle.subscribe((e) => seen.push(e));
  await idle.sendMessage('hi');
  await idle.pause(); // PauseEvent
  await idle.close();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('SDK events match the official OpenHands schema types', () => {
  it('a real conversation emits the expected kinds', () => {
    const kinds = new Set(seen.map((e) => e.kind));
    for (const k of ['SystemPromptEvent', 'MessageEvent', 'ActionEvent', 'ObservationEvent', 'AgentErrorEvent', 'UserRejectObservation',
      'ConversationStateUpdateEvent', 'ConversationErrorEvent', 'PauseEvent', 'InterruptEvent', 'Condensation']) {
      expect(kinds).toContain(k);
    }
    const obsKinds = new Set(seen.flatMap((e) => (e.kind === 'ObservationEvent' ? [e.observation.kind] : [])));
    expect([...obsKinds].sort()).toEqual(['FileEditorObservation', 'FinishObservation', 'TaskTrackerObservation', 'TerminalObservation', 'ThinkObservation']);
  });

  it('every emitted event (persisted and full_state) validates as its OpenHands type', () => {
    for (const e of seen) assertMatchesSchema(e.kind, wire(e));
  });

  it('each tool action and observation validates as its OpenHands type', () => {
    for (const e of seen) {
      if (e.kind === 'ActionEvent' && e.action) assertMatchesSchema(e.action.kind, wire(e.action));
      if (e.kind === 'ObservationEvent') assertMatchesSchema(e.observation.kind, wire(e.observation));
      if (e.kind === 'SystemPromptEvent') for (const t of e.tools) assertMatchesSchema(t.kind, wire(t));
    }
  });

  it('kinds a run seldom produces validate too', () => {
    const samples: EventInput[] = [
      { kind: 'CondensationRequest' },
      { kind: 'CondensationSummaryEvent', summary: 's' },
      { kind: 'Condensation', forgotten_event_ids: ['a'], summary: 's', summary_offset: 1, llm_response_id: 'r' },
      { kind: 'AgentErrorEvent', tool_name: 't', tool_call_id: 'c', error: 'e', classification: { kind: 'agent_action', retryable: false } },
      { kind: 'MessageEvent', source: 'user', llm_message: { role: 'user', content: [text('hi'), { type: 'image', image_urls: ['data:x'] }] } },
    ];
    for (const s of samples) {
      const e = makeEvent(s as never) as Event;
      assertMatchesSchema(e.kind, wire(e));
    }
  });

  it('our schemas reject extra fields as the Python client does', () => {
    expect(EventSchema.safeParse({ kind: 'PauseEvent', extra: 1 }).success).toBe(false);
    expect(() => assertMatchesSchema('PauseEvent', { ...wire(makeEvent({ kind: 'PauseEvent' })), extra: 1 })).toThrow();
  });
});
