import { z } from 'zod';

/** OpenHands `ConversationExecutionStatus`. Terminal: finished, error, stuck. */
export const ExecutionStatusSchema = z.enum(['idle', 'running', 'paused', 'waiting_for_confirmation', 'finished', 'error', 'stuck', 'deleting']);
export type ExecutionStatus = z.infer<typeof ExecutionStatusSchema>;
export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['finished', 'error', 'stuck'];

/** `base_state.json` as this core writes and reads it (OpenHands `ConversationState` field names). */
export const PersistedStateSchema = z.looseObject({
  id: z.string(),
  agent: z.record(z.string(), z.unknown()),
  workspace: z.object({ kind: z.literal('LocalWorkspace').default('LocalWorkspace'), working_dir: z.string() }),
  persistence_dir: z.string().nullish(),
  max_iterations: z.number().int().min(1),
  stuck_detection: z.boolean(),
  execution_status: ExecutionStatusSchema,
  confirmation_policy: z.record(z.string(), z.unknown()),
  stats: z.record(z.string(), z.unknown()),
  last_user_message_id: z.string().nullish(),
});
export type PersistedState = z.infer<typeof PersistedStateSchema>;
