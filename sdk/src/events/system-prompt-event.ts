import { z } from 'zod';
import { baseFields } from './base.js';
import { TextContentSchema } from './content.js';

export const ToolAnnotationsSchema = z.strictObject({
  title: z.string().nullish(),
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});
export type ToolAnnotations = z.infer<typeof ToolAnnotationsSchema>;

/** How OpenHands serializes a tool in `SystemPromptEvent.tools`: `kind` is the tool class, e.g. `TerminalTool`. */
export const ToolDefinitionSchema = z.strictObject({
  kind: z.string().regex(/^[A-Za-z]+Tool$/),
  title: z.string(),
  description: z.string(),
  action_type: z.string(),
  observation_type: z.string().nullish(),
  annotations: ToolAnnotationsSchema.nullish(),
  meta: z.record(z.string(), z.unknown()).nullish(),
});
export type ToolDefinition = z.infer<typeof ToolDefinitionSchema>;

/** Emitted once, when the agent initializes, before the first user message is answered. */
export const SystemPromptEventSchema = z.strictObject({
  kind: z.literal('SystemPromptEvent'),
  ...baseFields('agent'),
  system_prompt: TextContentSchema,
  tools: z.array(ToolDefinitionSchema),
  dynamic_context: TextContentSchema.nullish(),
});
export type SystemPromptEvent = z.infer<typeof SystemPromptEventSchema>;
