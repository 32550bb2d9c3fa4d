// HTTP to an agent server: the session key header, a per-request timeout, OpenHands error bodies mapped to
// the error classes (remote/errors.ts), and retries with backoff and jitter on idempotent calls only, so a
// retried request can never run a command, send a message or start a run twice. fetch is injectable (tests,
// proxies); nothing here needs Node.
import type { z } from 'zod';
import { backoffMs, sleep, type RetryPolicy } from '../backoff.js';
import type { AgentWorkspaceError } from '../errors.js';
import { APIError, ConnectionError, ServerError, TimeoutError, errorFromFetchFailure, errorFromResponse } from './errors.js';

export const SESSION_KEY_HEADER = 'X-Session-API-Key';

export interface HttpClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8000` (a trailing `/` is dropped). */
  url: string;
  /** Sent as `X-Session-API-Key`. Default: none (a server without keys). */
  sessionApiKey?: string | undefined;
  /** Per-request limit. @unit milliseconds. Default 60 000 (OpenHands' `api_timeout`). */
  timeoutMs?: number | undefined;
  /** Retries of an idempotent call after a connection error, a timeout, 429 or 5xx. Default 2. */
  maxRetries?: number | undefined;
  /** The fetch implementation. Default: the global `fetch`. */
  fetch?: typeof fetch | undefined;
  /** Random source of the retry jitter, in [0, 1). Default `Math.random`. */
  random?: (() => number) | undefined;
}

export interface RequestOptions<S extends z.ZodType | undefined> {
  /** Query parameters; undefined values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  /** A JSON body. */
  json?: unknown;
  /** A raw body (multipart uploads). */
  body?: FormData | Blob | Uint8Array;
  /** The response schema; without one the body is returned as JSON (or `undefined` when empty). */
  schema?: S;
  /** Whether a retry is safe. Default: true for GET, HEAD, PUT and DELETE, false otherwise. */
  idempotent?: boolean;
  /** Overrides the client's timeout for this call. @unit milliseconds. */
  timeoutMs?: number;
  /** Aborts the call (and its retries). */
  signal?: AbortSignal;
}

/** Retry waits: 0.5 s doubling to 8 s, less up to 25 % jitter (the Stainless SDKs' policy). */
const RETRY_WAIT = { minWait: 0.5, maxWait: 8, multiplier: 0.5 } as const;

function retryAfterSeconds(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}

/** The failures a retry can cure: no answer (connection, timeout), or a 429/5xx. */
export function retryable(err: unknown): err is ConnectionError | TimeoutError | ServerError {
  return err instanceof ConnectionError || err instanceof TimeoutError || err instanceof ServerError;
}

export class HttpClient {
  readonly url: string;
  readonly sessionApiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly policy: RetryPolicy;
  private readonly fetchImpl: typeof fetch;
  private readonly random: () => number;

  constructor(options: HttpClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.sessionApiKey = options.sessionApiKey;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.policy = { ...RETRY_WAIT, retries: options.maxRetries ?? 2 };
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.random = options.random ?? Math.random;
  }

  /** Sends one request (retrying idempotent ones) and returns its parsed body; throws an AgentWorkspaceError subclass. */
  async request<S extends z.ZodType | undefined = undefined>(
    method: string, path: string, options: RequestOptions<S> = {},
  ): Promise<S extends z.ZodType ? z.output<S> : unknown> {
    const res = await this.send(method, path, options);
    const text = await res.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch (err) {
        throw new ServerError(`${method} ${path}: the answer is not JSON (${text.slice(0, 120)}); is ${this.url} an agent server?`, res.status, text, { cause: err });
      }
    }
    if (!options.schema) return body as never;
    const parsed = options.schema.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
      throw new ServerError(`${method} ${path}: unexpected answer (${issues}); the server may speak another protocol version.`, res.status, body, { cause: parsed.error });
    }
    return parsed.data as never;
  }

  /** Sends one request (retrying idempotent ones) and returns its body as bytes. */
  async bytes(method: string, path: string, options: RequestOptions<undefined> = {}): Promise<Uint8Array> {
    const res = await this.send(method, path, options);
    return new Uint8Array(await res.arrayBuffer());
  }

  /** The response of a successful (2xx) request; error statuses and failures become AgentWorkspaceErrors. */
  private async send(method: string, path: string, options: RequestOptions<z.ZodType | undefined>): Promise<Response> {
    const idempotent = options.idempotent ?? ['GET', 'HEAD', 'PUT', 'DELETE'].includes(method);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(method, path, options);
      } catch (err) {
        if (!idempotent || !retryable(err) || attempt > this.policy.retries || options.signal?.aborted) throw err;
        const retryAfter = err instanceof APIError ? err.retryAfter : undefined;
        await sleep(backoffMs(this.policy, attempt, retryAfter, this.random), options.signal);
      }
    }
  }

  private async once(method: string, path: string, options: RequestOptions<z.ZodType | undefined>): Promise<Response> {
    const what = `${method} ${path}`;
    const target = new URL(this.url + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) target.searchParams.set(k, String(v));
    const headers: Record<string, string> = {};
    if (this.sessionApiKey) headers[SESSION_KEY_HEADER] = this.sessionApiKey;
    let body: RequestInit['body'];
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      body = options.body as RequestInit['body'];
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await this.fetchImpl(target, { method, headers, ...(body !== undefined ? { body } : {}), signal });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      throw errorFromFetchFailure(err, what, this.url, timeout.aborted, timeoutMs) satisfies AgentWorkspaceError;
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : '';
    } catch {
      // not JSON: keep the text as the detail
    }
    throw errorFromResponse(res.status, parsed, what, retryAfterSeconds(res.headers));
  }
}
