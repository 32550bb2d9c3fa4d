// Events as they go on the wire. Event search and the events socket dump with `exclude_none=True`
// (OpenHands), so null fields are dropped; the free-form `value` of a state update is sent as is.
import type { Event } from '@agentworkspace/sdk';

function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNulls);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = stripNulls(v);
    return out;
  }
  return value;
}

/** The event with null fields removed (exclude_none), except inside a state update's `value`. */
export function wireEvent(event: Event): Record<string, unknown> {
  if (event.kind === 'ConversationStateUpdateEvent') {
    const { value, ...rest } = event;
    return { ...(stripNulls(rest) as Record<string, unknown>), value };
  }
  return stripNulls(event) as Record<string, unknown>;
}
