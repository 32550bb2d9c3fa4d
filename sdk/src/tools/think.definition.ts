import { z } from 'zod';
import { observationBase } from './observation-base.js';

export const ThinkParamsSchema = z.strictObject({
  thought: z.string().describe('The thought to log.'),
});
export const ThinkActionSchema = ThinkParamsSchema.extend({ kind: z.literal('ThinkAction') });
export type ThinkAction = z.infer<typeof ThinkActionSchema>;

export const ThinkObservationSchema = z.strictObject({ kind: z.literal('ThinkObservation'), ...observationBase });
export type ThinkObservation = z.infer<typeof ThinkObservationSchema>;

export const THINK_DESCRIPTION = `Use the tool to think about something. It will not obtain new information or make any changes to the repository, but just log the thought. Use it when complex reasoning or brainstorming is needed.`;
