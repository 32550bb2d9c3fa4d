import { z } from 'zod';

export const ErrorClassificationSchema = z.strictObject({
  kind: z.enum(['auth', 'quota', 'rate_limit', 'config', 'transient', 'agent_action', 'internal', 'unknown']),
  retryable: z.boolean(),
  user_action: z.enum(['none', 'retry', 'settings']).default('none'),
  error_id: z.string().nullish(),
});
export type ErrorClassification = z.infer<typeof ErrorClassificationSchema>;
