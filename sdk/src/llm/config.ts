import { z } from 'zod';

/** How secrets serialize, as pydantic's `SecretStr`. A client sending this value back means "absent". */
export const REDACTED = '**********';

/**
 * OpenHands `LLM` settings (the subset this core acts on; unknown keys are dropped, as OpenHands ignores them).
 * Durations are in seconds, as in OpenHands.
 */
export const LLMConfigSchema = z.object({
  /** LiteLLM-style `provider/model`: `openai/…`, `anthropic/…`, `litellm_proxy/…`, `hosted_vllm/…`, `ollama/…`, `scripted/…`. */
  model: z.string({ error: 'llm.model is required (e.g. "openai/gpt-4o")' }).min(1, 'llm.model must not be empty'),
  api_key: z.string().nullish().transform((v) => (v === REDACTED ? undefined : (v ?? undefined))),
  base_url: z.string().nullish(),
  api_version: z.string().nullish(),
  usage_id: z.string().default('default'),
  temperature: z.number().min(0).nullish(),
  top_p: z.number().nullish(),
  max_input_tokens: z.number().int().positive().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  /** Per-request timeout, seconds. Default 300. */
  timeout: z.number().positive().default(300),
  /** Retries on 429, 408, 5xx, timeouts and connection errors (`LLMError.retryable`). Default 5. */
  num_retries: z.number().int().min(0).default(5),
  retry_multiplier: z.number().positive().default(8),
  /** Seconds; the first retry waits at least this long (before jitter). Default 8. */
  retry_min_wait: z.number().min(0).default(8),
  /** Seconds; no retry waits longer. Default 64. */
  retry_max_wait: z.number().min(0).default(64),
  stream: z.boolean().default(false),
  extra_headers: z.record(z.string(), z.string()).nullish(),
  input_cost_per_token: z.number().min(0).nullish(),
  output_cost_per_token: z.number().min(0).nullish(),
  native_tool_calling: z.boolean().default(true),
});
export type LLMConfig = z.infer<typeof LLMConfigSchema>;
export type LLMConfigInput = z.input<typeof LLMConfigSchema>;

/** The config as it may be shown or stored without secrets: `api_key` becomes `"**********"` when set. */
export function redactLLMConfig(config: LLMConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  if (config.api_key) out.api_key = REDACTED;
  else delete out.api_key;
  return out;
}
