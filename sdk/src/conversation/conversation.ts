import { z } from 'zod';
import type { AgentSpecInput } from '../agent/agent-spec.js';
import { ConfirmationPolicySchema, type ConfirmationPolicyInput } from '../agent/confirmation-policy.js';
import { StuckThresholdsSchema } from '../agent/stuck-detector.js';
import type { Event } from '../events/event.js';
import type { MessageInput } from '../events/llm-message.js';
import type { EventListener } from './event-log.js';
import { SecretsSchema } from './secrets.js';
import type { ExecutionStatus } from './state.js';

/**
 * What a new conversation starts with, wherever it runs, besides its agent, with the defaults in one place:
 * `LocalConversation.create` parses its options with it, the agent server its `StartConversationRequest`; a remote
 * conversation sends these fields to the server, which applies the same defaults.
 */
export const ConversationSettingsSchema = z.object({
  /** Default: a new id. Remotely the create call is then attach-or-create (idempotent). */
  conversation_id: z.uuid().optional(),
  confirmation_policy: ConfirmationPolicySchema.default({ kind: 'NeverConfirm' }),
  /** LLM steps per `run()`. */
  max_iterations: z.number().int().min(1).default(500),
  stuck_detection: z.boolean().default(true),
  stuck_detection_thresholds: StuckThresholdsSchema.default(() => StuckThresholdsSchema.parse({})),
  secrets: SecretsSchema.default({}),
});

/** The settings as a caller writes them (every field but `agent` optional). */
export type ConversationSettings = z.input<typeof ConversationSettingsSchema> & { agent: AgentSpecInput };

/**
 * A conversation with an agent, wherever it runs. `LocalConversation` runs the agent in this process; a remote
 * conversation (same methods) drives an agent server, so switching is changing the workspace argument.
 */
export interface Conversation {
  readonly id: string;
  readonly status: ExecutionStatus;
  /** Every persisted event, in order. */
  events(): readonly Event[];
  /** Appends a user message. A finished or stuck conversation becomes idle, ready to run again. */
  sendMessage(message: string | MessageInput): Promise<void>;
  /**
   * Runs the agent until it finishes, pauses, waits for confirmation, errs or is stuck; resolves with that status.
   * While waiting for confirmation, running accepts the pending actions.
   */
  run(): Promise<ExecutionStatus>;
  /** Stops after the current step (status `paused`, a `PauseEvent`). */
  pause(): Promise<void>;
  /** Cancels the in-flight LLM call or tool at once (status `paused`, an `InterruptEvent`). */
  interrupt(): Promise<void>;
  /** Accepts the actions waiting for confirmation and runs them. */
  confirm(): Promise<ExecutionStatus>;
  /** Rejects the actions waiting for confirmation (`UserRejectObservation`s); the agent sees the reason next run. */
  reject(reason?: string): Promise<void>;
  setConfirmationPolicy(policy: ConfirmationPolicyInput): Promise<void>;
  /** Summarizes the history now (needs an LLMSummarizingCondenser). */
  condense(): Promise<void>;
  /** Sees every event from now on, persisted or not (`full_state` snapshots). Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
  /** Interrupts a run and releases the tools (the shell). The persisted conversation stays reopenable. */
  close(): Promise<void>;
}
