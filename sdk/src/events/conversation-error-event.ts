import { z } from 'zod';
import { baseFields, EventSourceSchema } from './base.js';
import { ErrorClassificationSchema } from './error-classification.js';

/** A run-level failure; the status becomes `error`. `code` is e.g. `MaxIterationsReached` or an error class name. */
export const ConversationErrorEventSchema = z.strictObject({
  kind: z.literal('ConversationErrorEvent'),
  ...baseFields('environment'),
  source: EventSourceSchema,
  code: z.string(),
  detail: z.string(),
  classification: ErrorClassificationSchema.nullish(),
});
export type ConversationErrorEvent = z.infer<typeof ConversationErrorEventSchema>;
