import { z } from 'zod';
import { baseFields } from './base.js';

/** The user interrupted the run: the in-flight LLM call or tool is cancelled, then the status is `paused`. */
export const InterruptEventSchema = z.strictObject({ kind: z.literal('InterruptEvent'), ...baseFields('user') });
export type InterruptEvent = z.infer<typeof InterruptEventSchema>;
