import { setTimeout as delay } from 'node:timers/promises';
import { backoffMs, type RetryPolicy } from '../backoff.js';
import type { LLMConfig } from './config.js';
import { LLMError } from './errors.js';
import type { CompletionRequest, CompletionResponse } from './types.js';

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
