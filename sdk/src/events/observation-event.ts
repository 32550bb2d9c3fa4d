import { z } from 'zod';
import { ObservationSchema } from '../tools/kinds.js';
import { baseFields } from './base.js';
import { TextContentSchema } from './content.js';

/** The result of executing an action; a failed tool is an observation with `is_error` true. */
export const ObservationEventSchema = z.strictObject({
  kind: z.literal('ObservationEvent'),
  ...baseFields('environment'),
  tool_name: z.string(),
  tool_call_id: z.string(),
  action_id: z.string(),
  observation: ObservationSchema,
  extended_content: z.array(TextContentSchema).default([]),
});
export type ObservationEvent = z.infer<typeof ObservationEventSchema>;
