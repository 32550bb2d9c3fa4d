import { z } from 'zod';
import { baseFields } from './base.js';

/** The condenser forgot `forgotten_event_ids`; `summary` stands in for them at position `summary_offset` of the view. */
export const CondensationSchema = z.strictObject({
  kind: z.literal('Condensation'),
  ...baseFields('environment'),
  forgotten_event_ids: z.array(z.string()).default([]),
  summary: z.string().nullish(),
  summary_offset: z.number().int().min(0).nullish(),
  llm_response_id: z.string(),
});
export type Condensation = z.infer<typeof CondensationSchema>;
