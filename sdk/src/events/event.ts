import { z } from 'zod';
import { ActionEventSchema } from './action-event.js';
import { AgentErrorEventSchema } from './agent-error-event.js';
import { CondensationSchema } from './condensation.js';
import { CondensationRequestSchema } from './condensation-request.js';
import { CondensationSummaryEventSchema } from './condensation-summary-event.js';
import { ConversationErrorEventSchema } from './conversation-error-event.js';
import { InterruptEventSchema } from './interrupt-event.js';
import { MessageEventSchema } from './message-event.js';
import { ObservationEventSchema } from './observation-event.js';
import { PauseEventSchema } from './pause-event.js';
import { ConversationStateUpdateEventSchema } from './state-update-event.js';
import { SystemPromptEventSchema } from './system-prompt-event.js';
import { UserRejectObservationSchema } from './user-reject-observation.js';

/** Every event kind the agent core emits, discriminated on `kind` (the OpenHands class name). */
export const EventSchema = z.discriminatedUnion('kind', [
  SystemPromptEventSchema,
  MessageEventSchema,
  ActionEventSchema,
  ObservationEventSchema,
  UserRejectObservationSchema,
  AgentErrorEventSchema,
  ConversationErrorEventSchema,
  ConversationStateUpdateEventSchema,
  PauseEventSchema,
  InterruptEventSchema,
  CondensationSchema,
  CondensationRequestSchema,
  CondensationSummaryEventSchema,
]);
export type Event = z.infer<typeof EventSchema>;
export type EventInput = z.input<typeof EventSchema>;
export type EventKind = Event['kind'];

/** Builds a complete event (id, timestamp and source defaults filled in) from its kind-specific fields. */
export function makeEvent<K extends EventKind>(
  input: Extract<EventInput, { kind: K }>,
): Extract<Event, { kind: K }> {
  return EventSchema.parse(input) as Extract<Event, { kind: K }>;
}

/** Events the model sees (OpenHands' `LLMConvertibleEvent`). */
export type LLMConvertibleEvent = Extract<
  Event,
  { kind: 'SystemPromptEvent' | 'MessageEvent' | 'ActionEvent' | 'ObservationEvent' | 'UserRejectObservation' | 'AgentErrorEvent' | 'CondensationSummaryEvent' }
>;
export function isLLMConvertible(e: Event): e is LLMConvertibleEvent {
  return (
    e.kind === 'SystemPromptEvent' || e.kind === 'MessageEvent' || e.kind === 'ActionEvent' ||
    e.kind === 'ObservationEvent' || e.kind === 'UserRejectObservation' || e.kind === 'AgentErrorEvent' ||
    e.kind === 'CondensationSummaryEvent'
  );
}

/** Events that answer a tool call: its observation, its error, or its rejection. */
export type ToolResultEvent = Extract<Event, { kind: 'ObservationEvent' | 'AgentErrorEvent' | 'UserRejectObservation' }>;
export function isToolResult(e: Event | undefined): e is ToolResultEvent {
  return e?.kind === 'ObservationEvent' || e?.kind === 'AgentErrorEvent' || e?.kind === 'UserRejectObservation';
}
