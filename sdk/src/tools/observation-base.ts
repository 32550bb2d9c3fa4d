import { z } from 'zod';
import { ContentSchema } from '../events/content.js';

/** Fields every OpenHands observation carries: what the model reads, and whether the tool failed. */
export const observationBase = {
  content: z.array(ContentSchema).default([]),
  is_error: z.boolean().default(false),
};
