import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** One scripted tool call. Object arguments are JSON-encoded; a string is sent verbatim (so it may be malformed). */
export const ScriptToolCallSchema = z.strictObject({
  name: z.string().min(1),
  arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).default({}),
  id: z.string().optional(),
});

/**
 * One model turn: an assistant reply (text and/or tool calls) or a scripted HTTP error.
 * `expect_tool_result_contains`: the request must carry a tool result containing this text (checks what the agent
 * really observed). `repeat` plays the same turn several times (e.g. to make the agent look stuck).
 */
export const ScriptTurnSchema = z.strictObject({
  text: z.string().optional(),
  /** Extended thinking (Anthropic dialect: a signed `thinking` block before the text; the OpenAI dialect leaves it out). */
  thinking: z.string().min(1).optional(),
  tool_calls: z.array(ScriptToolCallSchema).optional(),
  error: z.strictObject({ status: z.number().int().min(400).max(599), message: z.string().default('scripted error'), retry_after: z.number().min(0).optional() }).optional(),
  expect_tool_result_contains: z.string().optional(),
  delay_ms: z.number().int().min(0).default(0),
  repeat: z.number().int().min(1).default(1),
  usage: z.strictObject({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0) }).optional(),
}).refine((t) => t.error !== undefined || t.text !== undefined || (t.tool_calls?.length ?? 0) > 0, 'a turn needs text, tool_calls or error');
export type ScriptTurn = z.infer<typeof ScriptTurnSchema>;

/**
 * `turns` answer the agent in order. `title` answers title requests (a server's autotitle: no tools, the title
 * system prompt) whenever they come, without taking a turn: a text, or an HTTP error (the title then falls back
 * to the message). Default: the text "Scripted title".
 */
export const ScriptSchema = z.strictObject({
  turns: z.array(ScriptTurnSchema).min(1),
  title: z.union([
    z.string().min(1),
    z.strictObject({ error: z.strictObject({ status: z.number().int().min(400).max(599), message: z.string().default('scripted error') }) }),
  ]).default('Scripted title'),
});
export type Script = z.infer<typeof ScriptSchema>;
export type ScriptInput = z.input<typeof ScriptSchema>;

/** Reads a script from a `.json`, `.yaml` or `.yml` file; errors name the file and the offending field. */
export function loadScript(path: string): Script {
  const raw = readFileSync(path, 'utf8');
  const data: unknown = /\.ya?ml$/i.test(path) ? parseYaml(raw) : JSON.parse(raw);
  const r = ScriptSchema.safeParse(data);
  if (!r.success) throw new Error(`invalid script ${path}: ${z.prettifyError(r.error)}`);
  return r.data;
}
