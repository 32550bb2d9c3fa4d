import { z } from 'zod';
import { baseFields } from './base.js';

/** The user paused the run; the current step completes, then the status is `paused`. */
export const PauseEventSchema = z.strictObject({ kind: z.literal('PauseEvent'), ...baseFields('user') });
export type PauseEvent = z.infer<typeof PauseEventSchema>;
