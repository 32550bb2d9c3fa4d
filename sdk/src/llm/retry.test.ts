import { describe, expect, it } from '@jest/globals';
import { LLMError } from './errors.js';
import { backoffMs } from '../backoff.js';
import { withRetries } from './retry.js';

const policy = { retries: 3, minWait: 8, maxWait: 64, multiplier: 8 };

describe('retries', () => {
  it('backs off exponentially within [min, max] with up to 25 % jitter, honouring Retry-After', () => {
    expect(backoffMs(policy, 1, undefined, () => 0)).toBe(8000);
    expect(backoffMs(policy, 2, undefined, () => 0)).toBe(16000);
    expect(backoffMs(policy, 5, undefined, () => 0)).toBe(64000);
    expect(backoffMs(policy, 1, undefined, () => 1)).toBe(6000);
    expect(backoffMs(policy, 1, 3)).toBe(3000);
    expect(backoffMs(policy, 1, 600, () => 0)).toBe(8000);
  });

  it('retries retryable errors only, up to the limit', async () => {
    const fast = { retries: 2, minWait: 0, maxWait: 0, multiplier: 0 };
    let calls = 0;
    await expect(withRetries(fast, async () => { calls++; throw LLMError.fromStatus(429, 'slow'); })).rejects.toThrow('429 slow');
    expect(calls).toBe(3);
    calls = 0;
    await expect(withRetries(fast, async () => { calls++; throw LLMError.fromStatus(400, 'bad'); })).rejects.toThrow('400 bad');
    expect(calls).toBe(1);
    calls = 0;
    expect(await withRetries(fast, async () => { if (++calls < 3) throw LLMError.fromStatus(502, 'x'); return 'ok'; })).toBe('ok');
  });

  it('classifies statuses', () => {
    expect(LLMError.fromStatus(401, '').code).toBe('LLMAuthenticationError');
    expect(LLMError.fromStatus(429, '').retryable).toBe(true);
    expect(LLMError.fromStatus(500, '').retryable).toBe(true);
    expect(LLMError.fromStatus(422, '').retryable).toBe(false);
  });
});
