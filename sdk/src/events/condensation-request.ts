import { z } from 'zod';
import { baseFields } from './base.js';

/** Asks the condenser to condense at the next step, whatever the view size (e.g. after a context-window error). */
export const CondensationRequestSchema = z.strictObject({ kind: z.literal('CondensationRequest'), ...baseFields('environment') });
export type CondensationRequest = z.infer<typeof CondensationRequestSchema>;
