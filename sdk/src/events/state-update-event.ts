import { z } from 'zod';
import { baseFields } from './base.js';

/**
 * A change of one `ConversationState` field (persisted), or with key `full_state` the whole state dump
 * (published to subscribers, never persisted).
 */
export const ConversationStateUpdateEventSchema = z.strictObject({
  kind: z.literal('ConversationStateUpdateEvent'),
  ...baseFields('environment'),
  key: z.string(),
  value: z.unknown(),
});
export type ConversationStateUpdateEvent = z.infer<typeof ConversationStateUpdateEventSchema>;
export const FULL_STATE_KEY = 'full_state';
