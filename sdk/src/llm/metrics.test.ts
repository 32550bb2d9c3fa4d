import { describe, expect, it } from '@jest/globals';
import { ConversationStatsSchema, recordUsage } from './metrics.js';

describe('recordUsage', () => {
  it('accumulates tokens, cost from per-token prices, and latencies per usage id', () => {
    let stats = ConversationStatsSchema.parse({});
    const usage = { prompt_tokens: 1000, completion_tokens: 200, cache_read_tokens: 100, cache_write_tokens: 0, reasoning_tokens: 5 };
    const prices = { input: 0.000002, output: 0.00001 };
    stats = recordUsage(stats, 'agent', 'openai/gpt-x', usage, 'r1', 1500, prices);
    stats = recordUsage(stats, 'agent', 'openai/gpt-x', usage, 'r2', 500, prices);
    stats = recordUsage(stats, 'condenser', 'openai/gpt-mini', usage, 'r3', 100, {});
    const agent = stats.usage_to_metrics.agent!;
    expect(agent.accumulated_token_usage).toMatchObject({ prompt_tokens: 2000, completion_tokens: 400, cache_read_tokens: 200, reasoning_tokens: 10, per_turn_token: 1200, response_id: 'r2' });
    expect(agent.accumulated_cost).toBeCloseTo(2 * (1000 * 0.000002 + 200 * 0.00001), 10);
    expect(agent.response_latencies.map((l) => l.latency)).toEqual([1.5, 0.5]);
    expect(stats.usage_to_metrics.condenser!.accumulated_cost).toBe(0);
    expect(ConversationStatsSchema.parse(JSON.parse(JSON.stringify(stats)))).toEqual(stats);
  });
});
