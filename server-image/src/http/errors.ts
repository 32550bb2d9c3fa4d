// The HTTP layer's error type and its one code→status table, rendered in the OpenHands error shape:
// `{"detail": <string|object|list>}`; 422 carries FastAPI's list of `{type, loc, msg, input, ctx?}`
// (../validation.ts builds it, secrets redacted). The domain's errors (../errors.ts) are mapped here, by class,
// in one place. Every 500 — a failed operation, an internal ApiError or anything unexpected — is a bare
// `{"detail":"Internal Server Error","error_id":…}`: the cause is logged with that id and the request id, never
// sent. Any other deliberate status of 500 or more (503: shutting down, not yet initialized) is rendered as
// OpenHands renders an HTTPException of 500 or more, `{"detail":"Internal Server Error","exception":"503: …"}`;
// its text is the message our code wrote for the client (an ApiError's or UnavailableError's), never a cause's.
import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import {
  ConflictError, type DomainError, ForbiddenError, InvalidRequestError, NotFoundError, OperationFailedError, TooLargeError,
  TooManyRequestsError, UnavailableError, ValidationError, type ValidationIssue,
} from '../errors.js';
import type { Logger } from '../log.js';

export const STATUS_BY_CODE = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  validation: 422,
  too_many_requests: 429,
  headers_too_large: 431,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof STATUS_BY_CODE;

/** An error whose code picks the HTTP status and whose detail is sent as `{"detail": detail}`. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ErrorCode,
    readonly detail: string | ValidationIssue[] | Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : code);
  }

  get status(): number {
    return STATUS_BY_CODE[this.code];
  }
}

/**
 * Answers `{"detail": detail}` with `status` straight on the connection and closes it: for requests that never
 * reach Express (a malformed request head, a refused WebSocket upgrade).
 */
export function endWithError(socket: Duplex, status: number, detail: string): void {
  const body = JSON.stringify({ detail });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** 404 for any request no route matched. */
export const notFound: RequestHandler = (_req, _res, next) => next(new ApiError('not_found', 'Not Found'));

interface BodyParserError { type?: string; status?: number; expose?: boolean }

const CODE_BY_CLASS: [abstract new (...args: never[]) => DomainError, ErrorCode][] = [
  [NotFoundError, 'not_found'], [ConflictError, 'conflict'], [InvalidRequestError, 'bad_request'], [ForbiddenError, 'forbidden'],
  [TooLargeError, 'payload_too_large'], [OperationFailedError, 'internal'],
];

/**
 * What an error is to a client: an ApiError as it is, a domain error by its class, a failure of Express's
 * parsers by its type; undefined for anything else (a bug: a bare 500).
 */
export function toApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof ValidationError) return new ApiError('validation', err.issues);
  if (err instanceof UnavailableError) {
    return new ApiError('unavailable', err.message, err.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(err.retryAfterSeconds) });
  }
  if (err instanceof TooManyRequestsError) return new ApiError('too_many_requests', err.message, { 'Retry-After': String(err.retryAfterSeconds) });
  for (const [cls, code] of CODE_BY_CLASS) if (err instanceof cls) return new ApiError(code, err.message);
  // The router's decoding of a path parameter (`/api/conversations/%zz`).
  if (err instanceof URIError) return new ApiError('bad_request', 'Malformed percent-encoding in the URL path');
  const parser = err as BodyParserError | null;
  if (parser?.type === 'entity.parse.failed') return new ApiError('validation', [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }]);
  if (parser?.type === 'entity.too.large') return new ApiError('payload_too_large', 'Request body too large');
  // e.g. an unsupported charset or encoding
  if (parser?.expose && typeof parser.status === 'number' && parser.status < 500) return new ApiError('bad_request', 'Bad Request');
  return undefined;
}

/**
 * Final error middleware: the status from `toApiError`; a 500 says only that, with an id to find the log line;
 * another 5xx (503) is OpenHands' `{"detail":"Internal Server Error","exception":"<status>: <detail>"}`.
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const error = toApiError(err);
    if (!error || error.status === 500) {
      const errorId = randomBytes(8).toString('hex');
      log.error({ err, errorId, reqId: res.locals.reqId }, 'request failed');
      if (!res.headersSent) res.status(500).json({ detail: 'Internal Server Error', error_id: errorId });
      else res.destroy();
      return;
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error.status >= 500) {
      log.error({ code: error.code, reqId: res.locals.reqId }, error.message);
      // OpenHands' handler for an HTTPException of 500 or more; only a string detail (written for the client) is shown.
      const said = typeof error.detail === 'string' ? error.detail : STATUS_CODES[error.status] ?? '';
      return void res.status(error.status).set(error.headers).json({ detail: 'Internal Server Error', exception: `${error.status}: ${said}` });
    }
    res.status(error.status).set(error.headers).json({ detail: error.detail });
  };
}
