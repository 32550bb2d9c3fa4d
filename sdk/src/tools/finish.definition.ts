import { z } from 'zod';
import { observationBase } from './observation-base.js';

export const FinishParamsSchema = z.strictObject({
  message: z.string().describe('Final message to send to the user.'),
});
export const FinishActionSchema = FinishParamsSchema.extend({ kind: z.literal('FinishAction') });
export type FinishAction = z.infer<typeof FinishActionSchema>;

export const FinishObservationSchema = z.strictObject({ kind: z.literal('FinishObservation'), ...observationBase });
export type FinishObservation = z.infer<typeof FinishObservationSchema>;

export const FINISH_DESCRIPTION = `Signals the completion of the current task or conversation.

Use this tool when you have successfully completed the user's requested task, or when you cannot proceed further. The message should include a clear summary of actions taken and their results.`;
