// An event as a server sends it (events-socket frame or REST search item), parsed with the SDK's event
// schemas. A kind this SDK does not model (the Python server adds kinds over time, and tools we do not
// ship have their own actions) is kept as sent once its common fields check out, so `events()` still
// holds every server event: OpenHands' advice is to treat unknown kinds leniently.
import { z } from 'zod';
import { EventSchema, type Event } from '../events/event.js';
import { FULL_STATE_KEY } from '../events/state-update-event.js';

const WireEventBaseSchema = z.looseObject({
  kind: z.string().min(1),
  id: z.string().min(1),
  timestamp: z.string(),
});

/** Frames a server streams but never persists: snapshots, token deltas, its own error replies, completion logs. */
const UNPERSISTED_KINDS: ReadonlySet<string> = new Set(['StreamingDeltaEvent', 'ServerErrorEvent', 'LLMCompletionLogEvent']);

export interface WireEvent {
  event: Event;
  /** False for frames that are not in the server's event log (`full_state` snapshots, deltas, server errors). */
  persisted: boolean;
}

/** The event in `raw`, or undefined when it does not even carry an event's common fields. */
export function parseWireEvent(raw: unknown): WireEvent | undefined {
  const head = (raw ?? {}) as { kind?: unknown; key?: unknown };
  const snapshot = head.kind === 'ConversationStateUpdateEvent' && head.key === FULL_STATE_KEY;
  const persisted = !snapshot && !(typeof head.kind === 'string' && UNPERSISTED_KINDS.has(head.kind));
  const known = EventSchema.safeParse(raw);
  if (known.success) return { event: known.data, persisted };
  if (!persisted && typeof head.kind === 'string') return { event: raw as Event, persisted };
  const base = WireEventBaseSchema.safeParse(raw);
  // Not a kind (or a field set) the SDK models: kept as the server sent it, its common fields checked.
  return base.success ? { event: base.data as unknown as Event, persisted } : undefined;
}
