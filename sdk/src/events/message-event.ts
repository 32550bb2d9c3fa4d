import { z } from 'zod';
import { baseFields, EventSourceSchema } from './base.js';
import { TextContentSchema } from './content.js';
import { MessageSchema } from './llm-message.js';

/** A message from the user or the agent (an agent message with no tool call ends the run). */
export const MessageEventSchema = z.strictObject({
  kind: z.literal('MessageEvent'),
  ...baseFields('user'),
  source: EventSourceSchema,
  llm_message: MessageSchema,
  llm_response_id: z.string().nullish(),
  activated_skills: z.array(z.string()).default([]),
  extended_content: z.array(TextContentSchema).default([]),
  sender: z.string().nullish(),
  critic_result: z.unknown().nullish(),
});
export type MessageEvent = z.infer<typeof MessageEventSchema>;
