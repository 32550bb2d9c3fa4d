import { z } from 'zod';
import { ActionSchema } from '../tools/kinds.js';
import { AnyThinkingBlockSchema, MessageToolCallSchema } from './llm-message.js';
import { baseFields, SecurityRiskSchema } from './base.js';
import { TextContentSchema } from './content.js';

/**
 * One tool call of the model. `action` is null when the call could not become an action (unknown tool, arguments
 * that fail validation); an `AgentErrorEvent` with the same `tool_call_id` follows it then.
 * Parallel calls from one LLM response share `llm_response_id`; the first carries the response's `thought`.
 */
export const ActionEventSchema = z.strictObject({
  kind: z.literal('ActionEvent'),
  ...baseFields('agent'),
  thought: z.array(TextContentSchema).default([]),
  reasoning_content: z.string().nullish(),
  thinking_blocks: z.array(AnyThinkingBlockSchema).default([]),
  responses_reasoning_item: z.unknown().nullish(),
  action: ActionSchema.nullish(),
  tool_name: z.string(),
  tool_call_id: z.string(),
  tool_call: MessageToolCallSchema,
  llm_response_id: z.string(),
  security_risk: SecurityRiskSchema.default('UNKNOWN'),
  critic_result: z.unknown().nullish(),
  summary: z.string().nullish(),
});
export type ActionEvent = z.infer<typeof ActionEventSchema>;
