import { z } from 'zod';
import { contentText } from '../events/content.js';
import type { Event } from '../events/event.js';

/** How many repetitions count as stuck, per pattern (OpenHands' defaults). */
export const StuckThresholdsSchema = z.object({
  action_observation: z.number().int().min(1).default(4),
  action_error: z.number().int().min(1).default(3),
  monologue: z.number().int().min(1).default(3),
  alternating_pattern: z.number().int().min(2).default(6),
});
export type StuckThresholds = z.infer<typeof StuckThresholdsSchema>;

export type StuckPattern = 'action_observation' | 'action_error' | 'monologue' | 'alternating_pattern';

function actionKey(e: Extract<Event, { kind: 'ActionEvent' }>): string {
  return `${e.tool_name}:${e.action ? JSON.stringify(e.action) : e.tool_call.arguments}`;
}

function resultKey(e: Event): string | null {
  if (e.kind === 'ObservationEvent') return `obs:${e.observation.kind}:${contentText(e.observation.content)}`;
  if (e.kind === 'AgentErrorEvent') return `err:${e.error}`;
  if (e.kind === 'UserRejectObservation') return `rej:${e.rejection_reason}`;
  return null;
}

const same = (xs: readonly string[]) => xs.every((x) => x === xs[0]);

/**
 * OpenHands' stuck detector, over the events since the last user message: the same action with the same observation
 * repeated, the same action failing the same way repeatedly, the agent talking to itself, or two actions alternating.
 */
export function detectStuck(events: readonly Event[], t: StuckThresholds): StuckPattern | null {
  let start = 0;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.kind === 'MessageEvent' && e.source === 'user') { start = i + 1; break; }
  }
  const recent = events.slice(start);
  const steps: { action: string; result: string | null; error: boolean }[] = [];
  for (const e of recent) {
    if (e.kind === 'ActionEvent') steps.push({ action: actionKey(e), result: null, error: false });
    else {
      const key = resultKey(e);
      const step = steps.findLast((s) => s.result === null);
      if (key && step) { step.result = key; step.error = e.kind === 'AgentErrorEvent'; }
    }
  }
  const done = steps.filter((s) => s.result !== null);
  const last = (n: number) => done.slice(-n);

  const ao = last(t.action_observation);
  if (ao.length === t.action_observation && same(ao.map((s) => s.action)) && same(ao.map((s) => s.result!)) && !ao[0]!.error) return 'action_observation';

  const ae = last(t.action_error);
  if (ae.length === t.action_error && ae.every((s) => s.error) && same(ae.map((s) => s.action))) return 'action_error';

  const agentMessages = recent.filter((e) => e.kind === 'MessageEvent' || e.kind === 'ActionEvent').slice(-t.monologue);
  if (agentMessages.length === t.monologue && agentMessages.every((e) => e.kind === 'MessageEvent' && e.source === 'agent')) return 'monologue';

  const alt = last(t.alternating_pattern);
  if (alt.length === t.alternating_pattern) {
    const even = alt.filter((_, i) => i % 2 === 0);
    const odd = alt.filter((_, i) => i % 2 === 1);
    if (same(even.map((s) => s.action)) && same(odd.map((s) => s.action)) && same(even.map((s) => s.result!)) && same(odd.map((s) => s.result!)) && even[0]!.action !== odd[0]!.action) {
      return 'alternating_pattern';
    }
  }
  return null;
}
