import { setTimeout as delay } from 'node:timers/promises';
import type { LLMConfig } from './config.js';
import { LLMError } from './errors.js';
import type { CompletionRequest, CompletionResponse } from './types.js';

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** Seconds. */
  minWait: number;
  /** Seconds. */
  maxWait: number;
  multiplier: number;
}

/**
 * Wait before retry `attempt` (1-based), in milliseconds: `multiplier`·2^(attempt-1) clamped to [minWait, maxWait]
 * (tenacity's wait_exponential, as OpenHands), with up
 * to 25 % random jitter subtracted so that clients retrying together spread out. A server's Retry-After wins when it
 * is within `maxWait`.
 */
export function backoffMs(policy: RetryPolicy, attempt: number, retryAfter?: number, random: () => number = Math.random): number {
  if (retryAfter !== undefined && retryAfter >= 0 && retryAfter <= policy.maxWait) return retryAfter * 1000;
  const base = Math.min(policy.maxWait, Math.max(policy.minWait, policy.multiplier * 2 ** (attempt - 1)));
  return Math.round(base * 1000 * (1 - 0.25 * random()));
}

/** Waits `ms`; rejects with `LLMAbortedError`, clearing the timer, once `signal` aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (err) {
    throw signal?.aborted ? new LLMError('LLMAbortedError', 'LLM call aborted', { cause: err }) : err;
  }
}

/** Runs `fn`, retrying retryable `LLMError`s per `policy`. `onRetry` sees each failure that will be retried. */
export async function withRetries<T>(
  policy: RetryPolicy,
  fn: () => Promise<T>,
  opts: { signal?: AbortSignal; onRetry?: (err: LLMError, attempt: number, waitMs: number) => void } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof LLMError) || !err.retryable || attempt > policy.retries || opts.signal?.aborted) throw err;
      const wait = backoffMs(policy, attempt, err.retryAfter);
      opts.onRetry?.(err, attempt, wait);
      await sleep(wait, opts.signal);
    }
  }
}

/** Runs one completion `attempt` under `config`'s retry settings (num_retries, retry_*), stopping at the request's signal. */
export function completeWithRetries(
  config: LLMConfig,
  req: CompletionRequest,
  attempt: (req: CompletionRequest) => Promise<CompletionResponse>,
): Promise<CompletionResponse> {
  return withRetries(
    { retries: config.num_retries, minWait: config.retry_min_wait, maxWait: config.retry_max_wait, multiplier: config.retry_multiplier },
    () => attempt(req),
    req.signal ? { signal: req.signal } : {},
  );
}
