import { AgentWorkspaceError } from '../errors.js';

/**
 * The closed set of LLM failures. `retryable` says whether the retry loop tries again; `code` names the class for
 * `ConversationErrorEvent.code`.
 */
export type LLMErrorCode =
  | 'LLMAuthenticationError'
  | 'LLMBadRequestError'
  | 'LLMRateLimitError'
  | 'LLMServiceUnavailableError'
  | 'LLMTimeoutError'
  | 'LLMConnectionError'
  | 'LLMAbortedError'
  | 'LLMConfigError'
  | 'LLMResponseError';

export class LLMError extends AgentWorkspaceError {
  override readonly name = 'LLMError';
  readonly code: LLMErrorCode;
  readonly status: number | undefined;
  readonly retryable: boolean;
  /** Seconds the server asked us to wait (Retry-After), when it said. */
  readonly retryAfter: number | undefined;
  constructor(code: LLMErrorCode, message: string, opts: { status?: number; retryAfter?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.code = code;
    this.status = opts.status;
    this.retryAfter = opts.retryAfter;
    this.retryable =
      code === 'LLMRateLimitError' || code === 'LLMServiceUnavailableError' || code === 'LLMTimeoutError' || code === 'LLMConnectionError';
  }

  static fromStatus(status: number, message: string, opts: { retryAfter?: number; cause?: unknown } = {}): LLMError {
    const code: LLMErrorCode =
      status === 401 || status === 403 ? 'LLMAuthenticationError'
      : status === 408 ? 'LLMTimeoutError'
      : status === 429 ? 'LLMRateLimitError'
      : status >= 500 ? 'LLMServiceUnavailableError'
      : 'LLMBadRequestError';
    return new LLMError(code, `${status} ${message}`, { status, ...opts });
  }
}
