import { z } from 'zod';
import { baseFields } from './base.js';
import { ErrorClassificationSchema } from './error-classification.js';

/** A tool-level error fed back to the model as the result of `tool_call_id` (bad arguments, unknown tool, restart). */
export const AgentErrorEventSchema = z.strictObject({
  kind: z.literal('AgentErrorEvent'),
  ...baseFields('agent'),
  tool_name: z.string(),
  tool_call_id: z.string(),
  error: z.string(),
  classification: ErrorClassificationSchema.nullish(),
});
export type AgentErrorEvent = z.infer<typeof AgentErrorEventSchema>;
