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
