import { z } from 'zod';
import { ContentSchema } from './content.js';

/** OpenHands `MessageToolCall`: `arguments` is the raw JSON string the model produced. */
export const MessageToolCallSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  arguments: z.string(),
  origin: z.enum(['completion', 'responses']).default('completion'),
  responses_item_id: z.string().nullish(),
});
export type MessageToolCall = z.infer<typeof MessageToolCallSchema>;

export const ThinkingBlockSchema = z.strictObject({
  type: z.literal('thinking').default('thinking'),
  thinking: z.string(),
  signature: z.string().nullish(),
});
export const RedactedThinkingBlockSchema = z.strictObject({
  type: z.literal('redacted_thinking').default('redacted_thinking'),
  data: z.string(),
});
export const AnyThinkingBlockSchema = z.union([ThinkingBlockSchema, RedactedThinkingBlockSchema]);
export type ThinkingBlock = z.infer<typeof AnyThinkingBlockSchema>;

/** OpenHands LLM `Message` (`thinking_blocks`: Anthropic's extended thinking, signed, sent back with tool results). */
export const MessageSchema = z.strictObject({
  role: z.enum(['user', 'system', 'assistant', 'tool']),
  content: z.array(ContentSchema).default([]),
  tool_calls: z.array(MessageToolCallSchema).nullish(),
  tool_call_id: z.string().nullish(),
  name: z.string().nullish(),
  reasoning_content: z.string().nullish(),
  thinking_blocks: z.array(AnyThinkingBlockSchema).default([]),
});
/** A parsed message always has `thinking_blocks` (OpenHands writes `[]`); one built in code may leave them out. */
export type Message = Omit<z.infer<typeof MessageSchema>, 'thinking_blocks'> & { thinking_blocks?: ThinkingBlock[] };
export type MessageInput = z.input<typeof MessageSchema>;
