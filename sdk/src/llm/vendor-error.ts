import type { LLMConfig } from './config.js';
import { LLMError } from './errors.js';

/** The error classes both Stainless-generated vendor SDKs (openai, @anthropic-ai/sdk) export. */
export interface VendorErrorClasses {
  APIError: abstract new (...args: never[]) => Error & { status?: number | undefined; headers?: Headers | undefined };
  APIUserAbortError: abstract new (...args: never[]) => Error;
  APIConnectionTimeoutError: abstract new (...args: never[]) => Error;
  APIConnectionError: abstract new (...args: never[]) => Error;
}

/** Maps a vendor SDK failure onto the closed `LLMError` set; the original is kept as `cause`. */
export function fromVendorError(err: unknown, classes: VendorErrorClasses, signal?: AbortSignal): LLMError {
  if (err instanceof LLMError) return err;
  if (signal?.aborted || err instanceof classes.APIUserAbortError) return new LLMError('LLMAbortedError', 'LLM call aborted', { cause: err });
  if (err instanceof classes.APIConnectionTimeoutError) return new LLMError('LLMTimeoutError', 'LLM request timed out', { cause: err });
  if (err instanceof classes.APIConnectionError) return new LLMError('LLMConnectionError', `LLM connection failed: ${(err as Error).message}`, { cause: err });
  if (err instanceof classes.APIError && typeof err.status === 'number') {
    const ra = err.headers?.get('retry-after');
    const retryAfter = ra !== null && ra !== undefined && /^\d+(\.\d+)?$/.test(ra) ? Number(ra) : undefined;
    return LLMError.fromStatus(err.status, err.message.replace(/^\d{3}\s*/, ''), { cause: err, ...(retryAfter !== undefined ? { retryAfter } : {}) });
  }
  return new LLMError('LLMResponseError', `LLM call failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/**
 * The client options both vendor SDKs take from a config. Their own retries are off (the adapters retry per the
 * config) and their timeout is a second past the config's, so `callVendor`'s deadline fires first. Local servers
 * (vLLM, Ollama) accept any key; the SDKs insist on one.
 */
export function vendorClientOptions(config: LLMConfig, fetchImpl?: typeof fetch) {
  return {
    apiKey: config.api_key ?? 'EMPTY',
    baseURL: config.base_url ?? undefined,
    timeout: config.timeout * 1000 + 1000,
    maxRetries: 0,
    defaultHeaders: config.extra_headers ?? undefined,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  };
}

/**
 * Calls a vendor SDK with the request's signal joined to our own deadline of `timeoutS` (not only the SDK's), so a
 * timeout is told apart from an interrupt whatever the runtime; a failure becomes an `LLMError`.
 */
export async function callVendor<T>(
  timeoutS: number,
  signal: AbortSignal | undefined,
  classes: VendorErrorClasses,
  call: (options: { signal: AbortSignal }) => Promise<T>,
): Promise<T> {
  const deadline = AbortSignal.timeout(timeoutS * 1000);
  try {
    return await call({ signal: signal ? AbortSignal.any([signal, deadline]) : deadline });
  } catch (err) {
    if (deadline.aborted && !signal?.aborted) {
      throw new LLMError('LLMTimeoutError', `LLM request timed out after ${timeoutS} s`, { cause: err });
    }
    throw fromVendorError(err, classes, signal);
  }
}
