import { AgentWorkspaceError } from '../errors.js';
import { z } from 'zod';
import { LLMConfigSchema, redactLLMConfig } from '../llm/config.js';
import { defaultToolName, isKnownTool, KNOWN_TOOL_NAMES } from '../tools/registry.js';

export const NoOpCondenserSchema = z.object({ kind: z.literal('NoOpCondenser') });

/** Summarizes the middle of the history once the view holds more than `max_size` events. */
export const LLMSummarizingCondenserSchema = z.object({
  kind: z.literal('LLMSummarizingCondenser'),
  llm: LLMConfigSchema,
  /** Events in the view before condensing. Default 120. */
  max_size: z.number().int().min(4).default(120),
  /** Events at the start that are never forgotten (system prompt, first message). Default 4. */
  keep_first: z.number().int().min(0).default(4),
});
export const CondenserSpecSchema = z.discriminatedUnion('kind', [NoOpCondenserSchema, LLMSummarizingCondenserSchema]);
export type CondenserSpec = z.infer<typeof CondenserSpecSchema>;

export const ToolSpecSchema = z.object({
  name: z.string().refine(isKnownTool, { error: (iss) => `unknown tool "${String(iss.input)}" (known: ${KNOWN_TOOL_NAMES.join(', ')})` }),
  params: z.record(z.string(), z.unknown()).default({}),
});

/**
 * OpenHands `Agent` (`kind: "Agent"`): the fields this core acts on. Others OpenHands clients send (mcp_config,
 * agent_context skills, critic, …) are accepted and ignored.
 */
export const AgentSpecSchema = z.object({
  kind: z.literal('Agent').default('Agent'),
  llm: LLMConfigSchema,
  tools: z.array(ToolSpecSchema).default([]),
  include_default_tools: z
    .array(z.string().refine((c) => defaultToolName(c) !== undefined, { error: (iss) => `unknown default tool "${String(iss.input)}" (known: FinishTool, ThinkTool)` }))
    .default(['FinishTool', 'ThinkTool']),
  /** Replaces the built-in system prompt. */
  system_prompt: z.string().nullish(),
  agent_context: z.looseObject({ system_message_suffix: z.string().nullish(), user_message_suffix: z.string().nullish() }).nullish(),
  condenser: CondenserSpecSchema.nullish(),
  mcp_config: z.record(z.string(), z.unknown()).default({}),
  filter_tools_regex: z.string().nullish(),
  tool_concurrency_limit: z.number().int().min(1).default(1),
});
export type AgentSpec = z.infer<typeof AgentSpecSchema>;
export type AgentSpecInput = z.input<typeof AgentSpecSchema>;

/** Validates an agent spec; the error names each bad field (e.g. `tools[1].name`, `llm.model`). */
export function parseAgentSpec(input: unknown): AgentSpec {
  const r = AgentSpecSchema.safeParse(input);
  if (r.success) return r.data;
  const detail = r.error.issues.map((i) => `${i.path.map((p, n) => (typeof p === 'number' ? `[${p}]` : `${n ? '.' : ''}${String(p)}`)).join('') || '(root)'}: ${i.message}`);
  throw new AgentSpecError(`invalid agent spec: ${detail.join('; ')}`, { cause: r.error });
}

export class AgentSpecError extends AgentWorkspaceError {
  override readonly name = 'AgentSpecError';
}

/** The tool specs the agent runs with: its `tools` plus `include_default_tools`, without duplicates. */
export function effectiveToolSpecs(spec: AgentSpec): { name: string; params: Record<string, unknown> }[] {
  const out = [...spec.tools];
  for (const c of spec.include_default_tools) {
    const name = defaultToolName(c)!;
    if (!out.some((t) => t.name === name)) out.push({ name, params: {} });
  }
  return out;
}

/** The spec as it may be shown, stored or streamed: every API key becomes `"**********"`. */
export function redactAgentSpec(spec: AgentSpec): Record<string, unknown> {
  return {
    ...spec,
    llm: redactLLMConfig(spec.llm),
    ...(spec.condenser?.kind === 'LLMSummarizingCondenser' ? { condenser: { ...spec.condenser, llm: redactLLMConfig(spec.condenser.llm) } } : {}),
  };
}
