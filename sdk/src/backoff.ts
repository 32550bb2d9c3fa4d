// Exponential backoff with jitter, shared by the LLM adapters' retries and the remote client's retries and
// reconnects. No Node built-ins: the remote client runs in browsers too.

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

/**
 * Waits `ms`; rejects with the signal's reason (clearing the timer) once `signal` aborts. A timer and a listener
 * rather than node:timers/promises, which browsers lack.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
