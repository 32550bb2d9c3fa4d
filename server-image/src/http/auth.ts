// Session-key authentication shared by HTTP routes and WebSockets (OpenHands `X-Session-API-Key`).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiError } from './errors.js';

export const SESSION_KEY_HEADER = 'x-session-api-key';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Whether `candidate` equals one of `keys`. Constant-time: both sides are hashed to equal-length digests
 * and every key is compared, so neither the key length nor which key matched shows in the timing.
 */
export function keyMatches(keys: readonly string[], candidate: string | undefined | null): boolean {
  if (typeof candidate !== 'string') return false;
  const given = digest(candidate);
  let matched = false;
  for (const key of keys) matched = timingSafeEqual(digest(key), given) || matched;
  return matched;
}

/** The request's X-Session-API-Key header, if exactly one was sent. */
export function headerKey(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Rejects with 401 `{"detail":"Unauthorized"}` unless the header carries a configured key. No keys: open. */
export function requireSessionKey(keys: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    if (keys.length === 0 || keyMatches(keys, headerKey(req.headers[SESSION_KEY_HEADER]))) return next();
    next(new ApiError('unauthorized', 'Unauthorized'));
  };
}
