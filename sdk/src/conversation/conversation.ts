import { AgentWorkspaceError } from '../errors.js';
import type { AgentSpecInput } from '../agent/agent-spec.js';
import type { ConfirmationPolicyInput } from '../agent/confirmation-policy.js';
import type { StuckThresholds } from '../agent/stuck-detector.js';
import type { Event } from '../events/event.js';
import type { MessageInput } from '../events/llm-message.js';
import type { EventListener } from './event-log.js';
import type { SecretSource } from './secrets.js';
import type { ExecutionStatus } from './state.js';

/**
 * What a new conversation starts with, wherever it runs: `LocalConversation.create` applies the defaults
 * (`LocalConversationOptionsSchema`), a remote conversation sends these to the agent server, which applies its own.
 */
export interface ConversationSettings {
  agent: AgentSpecInput;
  /** Default: a new id. Remotely the create call is then attach-or-create (idempotent). */
  conversation_id?: string;
  confirmation_policy?: ConfirmationPolicyInput;
  max_iterations?: number;
  stuck_detection?: boolean;
  stuck_detection_thresholds?: Partial<StuckThresholds>;
  secrets?: Record<string, string | SecretSource>;
}

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

/** A call that the conversation's status does not allow, e.g. `confirm` when nothing waits. */
export class ConversationStateError extends AgentWorkspaceError {
  override readonly name = 'ConversationStateError';
}
