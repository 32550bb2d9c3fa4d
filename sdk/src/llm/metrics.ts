import { z } from 'zod';
import type { TokenUsage } from './types.js';

export const TokenUsageRecordSchema = z.object({
  model: z.string().default(''),
  prompt_tokens: z.number().default(0),
  completion_tokens: z.number().default(0),
  cache_read_tokens: z.number().default(0),
  cache_write_tokens: z.number().default(0),
  reasoning_tokens: z.number().default(0),
  context_window: z.number().default(0),
  per_turn_token: z.number().default(0),
  response_id: z.string().default(''),
});

/** OpenHands `Metrics` for one LLM usage id (the fields the clients read). */
export const MetricsSchema = z.object({
  model_name: z.string().default('default'),
  accumulated_cost: z.number().default(0),
  max_budget_per_task: z.number().nullish(),
  accumulated_token_usage: TokenUsageRecordSchema.default(() => TokenUsageRecordSchema.parse({})),
  costs: z.array(z.object({ model: z.string(), cost: z.number(), timestamp: z.number() })).default([]),
  response_latencies: z.array(z.object({ model: z.string(), latency: z.number(), response_id: z.string() })).default([]),
});
export type Metrics = z.infer<typeof MetricsSchema>;

/** OpenHands `ConversationStats`: metrics per LLM usage id (`agent`, `condenser`, …). */
export const ConversationStatsSchema = z.object({
  usage_to_metrics: z.record(z.string(), MetricsSchema).default({}),
});
export type ConversationStats = z.infer<typeof ConversationStatsSchema>;

/** Adds one response's usage, latency and cost (per-token prices from the LLM config, zero when unset). */
export function recordUsage(
  stats: ConversationStats,
  usageId: string,
  model: string,
  usage: TokenUsage,
  responseId: string,
  latencyMs: number,
  prices: { input?: number | null; output?: number | null },
): ConversationStats {
  const prev = stats.usage_to_metrics[usageId] ?? MetricsSchema.parse({ model_name: model });
  const cost = usage.prompt_tokens * (prices.input ?? 0) + usage.completion_tokens * (prices.output ?? 0);
  const acc = prev.accumulated_token_usage;
  const next: Metrics = {
    ...prev,
    model_name: model,
    accumulated_cost: prev.accumulated_cost + cost,
    accumulated_token_usage: {
      ...acc,
      model,
      prompt_tokens: acc.prompt_tokens + usage.prompt_tokens,
      completion_tokens: acc.completion_tokens + usage.completion_tokens,
      cache_read_tokens: acc.cache_read_tokens + usage.cache_read_tokens,
      cache_write_tokens: acc.cache_write_tokens + usage.cache_write_tokens,
      reasoning_tokens: acc.reasoning_tokens + usage.reasoning_tokens,
      per_turn_token: usage.prompt_tokens + usage.completion_tokens,
      response_id: responseId,
    },
    costs: cost > 0 ? [...prev.costs, { model, cost, timestamp: Date.now() / 1000 }] : prev.costs,
    response_latencies: [...prev.response_latencies, { model, latency: latencyMs / 1000, response_id: responseId }],
  };
  return { usage_to_metrics: { ...stats.usage_to_metrics, [usageId]: next } };
}
