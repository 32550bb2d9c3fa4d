import { describe, expect, it } from '@jest/globals';
import { text } from '../events/content.js';
import { makeEvent, type Event } from '../events/event.js';
import type { LLM } from '../llm/types.js';
import { LLMSummarizingCondenser } from './condenser.js';
import { buildView, viewToMessages } from './view.js';

let n = 0;
function parallel(k: number): Event[] {
  const r = `resp${n++}`;
  const calls = Array.from({ length: k }, (_, i) => `c${n}_${i}`);
  const actions = calls.map((id) => makeEvent({
    kind: 'ActionEvent', tool_name: 'think', tool_call_id: id, llm_response_id: r,
    tool_call: { id, name: 'think', arguments: '{"thought":"t"}', origin: 'completion' }, action: { kind: 'ThinkAction', thought: 't' },
  }));
  const obs = actions.map((a) => makeEvent({ kind: 'ObservationEvent', tool_name: 'think', tool_call_id: a.tool_call_id, action_id: a.id, observation: { kind: 'ThinkObservation', content: [text('ok')] } }));
  return [...actions, ...obs];
}

const condenser = new LLMSummarizingCondenser({} as LLM, 10, 2);

/** Every tool call in the messages is answered, and no result lacks its call. */
function valid(events: Event[]): boolean {
  const msgs = viewToMessages(buildView(events));
  const calls = new Set(msgs.flatMap((m) => m.tool_calls?.map((c) => c.id) ?? []));
  const results = new Set(msgs.filter((m) => m.role === 'tool').map((m) => m.tool_call_id));
  return [...calls].every((c) => results.has(c)) && [...results].every((r) => calls.has(r!));
}

describe('LLMSummarizingCondenser.plan', () => {
  const head = [
    makeEvent({ kind: 'SystemPromptEvent', system_prompt: text('sys'), tools: [] }),
    makeEvent({ kind: 'MessageEvent', source: 'user', llm_message: { role: 'user', content: [text('go')] } }),
  ];

  it('does nothing under max_size', () => {
    expect(condenser.plan(buildView([...head, ...parallel(2)]))).toBeNull();
  });

  it('forgets the middle, keeps keep_first and a tail that starts at a step boundary', () => {
    const events = [...head, ...parallel(3), ...parallel(2), ...parallel(3)];
    const plan = condenser.plan(buildView(events))!;
    expect(plan.summaryOffset).toBe(2);
    expect(plan.forgottenEventIds).not.toContain(head[0]!.id);
    expect(plan.forgottenEventIds).not.toContain(head[1]!.id);
    const last = events.slice(-6).map((e) => e.id);
    for (const id of last) expect(plan.forgottenEventIds).not.toContain(id);
    const condensed = [...events, makeEvent({ kind: 'Condensation', forgotten_event_ids: plan.forgottenEventIds, summary: 'S', summary_offset: 2, llm_response_id: 'x' })];
    expect(valid(condensed)).toBe(true);
    const msgs = viewToMessages(buildView(condensed));
    expect(msgs[2]!.content[0]).toEqual(text('Summary of the earlier conversation:\nS'));
  });

  it('a CondensationRequest forces a condensation below max_size', () => {
    const events = [...head, ...parallel(1), ...parallel(1), ...parallel(1)];
    expect(condenser.plan(buildView(events))).toBeNull();
    expect(condenser.plan(buildView([...events, makeEvent({ kind: 'CondensationRequest' })]))).not.toBeNull();
  });
});
