import { z } from 'zod';
import { baseFields } from './base.js';

/** The summary of forgotten events as it appears in the model's view. */
export const CondensationSummaryEventSchema = z.strictObject({
  kind: z.literal('CondensationSummaryEvent'),
  ...baseFields('environment'),
  summary: z.string(),
});
export type CondensationSummaryEvent = z.infer<typeof CondensationSummaryEventSchema>;
