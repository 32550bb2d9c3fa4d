// The server's one error type and its one code→status table, rendered in the OpenHands error shape:
// `{"detail": <string|object|list>}`; 422 carries FastAPI's list of `{loc, msg, type}`; anything
// unexpected becomes a bare 500 `{"detail":"Internal Server Error","error_id":…}` whose cause is logged,
// never sent.
import { randomBytes } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
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
  headers_too_large: 431,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof STATUS_BY_CODE;

/** One entry of a 422 `detail` list, as FastAPI writes it. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

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

function issueType(issue: z.core.$ZodIssue, missing: boolean): string {
  if (missing) return 'missing';
  switch (issue.code) {
    case 'invalid_type': return `${issue.expected}_type`;
    case 'too_big': return 'less_than_equal';
    case 'too_small': return 'greater_than_equal';
    case 'invalid_value': return 'enum';
    case 'invalid_format': return 'string_pattern_mismatch';
    case 'unrecognized_keys': return 'extra_forbidden';
    default: return issue.code;
  }
}

/**
 * Parses `value` with `schema` or throws a 422 ApiError whose locations start with `source`
 * ("body", "query" or "path"), as FastAPI reports them.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, source: 'body' | 'query' | 'path'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ApiError('validation', result.error.issues.map((issue) => {
    const missing = issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined;
    return {
      loc: [source, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
      msg: missing ? 'Field required' : issue.message,
      type: issueType(issue, missing),
    };
  }));
}

/** 404 for any request no route matched. */
export const notFound: RequestHandler = (_req, _res, next) => next(new ApiError('not_found', 'Not Found'));

interface BodyParserError { type?: string; status?: number; expose?: boolean }

/** Final error middleware: ApiError → its status; body-parser failures → 422/413; anything else → 500. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    let error: ApiError;
    const parserType = (err as BodyParserError)?.type;
    if (err instanceof ApiError) {
      error = err;
    } else if (parserType === 'entity.parse.failed') {
      error = new ApiError('validation', [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }]);
    } else if (parserType === 'entity.too.large') {
      error = new ApiError('payload_too_large', 'Request body too large');
    } else if ((err as BodyParserError)?.expose && typeof (err as BodyParserError).status === 'number'
      && (err as BodyParserError).status! < 500) {
      error = new ApiError('bad_request', 'Bad Request'); // e.g. unsupported charset or encoding
    } else {
      const errorId = randomBytes(8).toString('hex');
      log.error({ err, errorId, reqId: res.locals.reqId }, 'unhandled error');
      if (!res.headersSent) res.status(500).json({ detail: 'Internal Server Error', error_id: errorId });
      else res.destroy();
      return;
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error.status >= 500) log.error({ code: error.code, reqId: res.locals.reqId }, error.message);
    res.status(error.status).set(error.headers).json({ detail: error.detail });
  };
}
