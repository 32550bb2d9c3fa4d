import { z } from 'zod';
import { baseFields } from './base.js';

/** An action the user (or a hook) rejected while the conversation waited for confirmation. */
export const UserRejectObservationSchema = z.strictObject({
  kind: z.literal('UserRejectObservation'),
  ...baseFields('environment'),
  tool_name: z.string(),
  tool_call_id: z.string(),
  action_id: z.string(),
  rejection_reason: z.string().default('User rejected the action'),
  rejection_source: z.enum(['user', 'hook']).default('user'),
});
export type UserRejectObservation = z.infer<typeof UserRejectObservationSchema>;
