// The remote client's failure classes: a small closed taxonomy under AgentWorkspaceError, matched by class.
// Classification happens in one place each: an HTTP status becomes its class in `errorFromResponse`, a
// fetch failure in `errorFromFetchFailure`, a WebSocket close code in `errorFromClose`. Every message says
// what to do next.
import { AgentWorkspaceError } from '../errors.js';

/** No answer from the server: refused, reset, DNS, or the events socket lost for good. Retried on idempotent calls. */
export class ConnectionError extends AgentWorkspaceError {
  override readonly name: string = 'ConnectionError';
}

/** A request or a wait took longer than its limit (`timeoutMs`). */
export class TimeoutError extends AgentWorkspaceError {
  override readonly name: string = 'TimeoutError';
}

/** Starting a workspace (a pod, a container) failed or it never became ready; the message carries the reason. */
export class WorkspaceStartError extends AgentWorkspaceError {
  override readonly name: string = 'WorkspaceStartError';
}

/** The server answered with an error status. `detail` is the OpenHands `{"detail": …}` body (or the raw text). */
export class APIError extends AgentWorkspaceError {
  override readonly name: string = 'APIError';
  /** Seconds the server asked the client to wait (Retry-After), when it said. */
  readonly retryAfter: number | undefined;
  constructor(
    message: string,
    readonly status: number,
    readonly detail: unknown,
    options: { cause?: unknown; retryAfter?: number | undefined } = {},
  ) {
    super(message, { cause: options.cause });
    this.retryAfter = options.retryAfter;
  }
}

/** 400, 413, 422 and other 4xx: the request itself is wrong (the message names the field the server rejected). */
export class BadRequestError extends APIError {
  override readonly name: string = 'BadRequestError';
}

/** 401 or 403 (or the events socket's 4001): the session API key is missing or wrong. */
export class AuthenticationError extends APIError {
  override readonly name: string = 'AuthenticationError';
}

/** 404 (or the events socket's 4004): no such conversation, event or file on this server. */
export class NotFoundError extends APIError {
  override readonly name: string = 'NotFoundError';
}

/** 409: the conversation's state does not allow the call (e.g. it is already running). */
export class ConflictError extends APIError {
  override readonly name: string = 'ConflictError';
}

/** 429 or 5xx: the server is overloaded or failed. Retried on idempotent calls, honouring Retry-After. */
export class ServerError extends APIError {
  override readonly name: string = 'ServerError';
}

/** The `detail` of an OpenHands error body as one line: a string as is, a 422 list as `loc: msg; …`. */
function describeDetail(detail: unknown): string {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => {
      const issue = d as { loc?: unknown[]; msg?: unknown };
      return `${Array.isArray(issue.loc) ? issue.loc.join('.') : '?'}: ${String(issue.msg ?? JSON.stringify(d))}`;
    }).join('; ');
  }
  return JSON.stringify(detail);
}

/** The error class and message for an HTTP error status (`what` names the call, e.g. "POST /api/conversations"). */
export function errorFromResponse(status: number, body: unknown, what: string, retryAfter?: number): APIError {
  const detail = body && typeof body === 'object' && 'detail' in body ? (body as { detail: unknown }).detail : body;
  const said = describeDetail(detail);
  const o = { retryAfter };
  if (status === 401 || status === 403) {
    return new AuthenticationError(`${what}: ${status} ${said}. Check the workspace's sessionApiKey (the server's OH_SESSION_API_KEYS_0 or SESSION_API_KEY).`, status, detail, o);
  }
  if (status === 404) return new NotFoundError(`${what}: 404 ${said}. Check the id and the workspace URL; a deleted conversation cannot be resumed.`, status, detail, o);
  if (status === 409) return new ConflictError(`${what}: 409 ${said}. Wait for the current run to end, or pause or interrupt it.`, status, detail, o);
  if (status === 429 || status >= 500) return new ServerError(`${what}: ${status} ${said}. The server is busy or failed; retry later, or read its logs.`, status, detail, o);
  return new BadRequestError(`${what}: ${status} ${said}. Fix the request as the message says.`, status, detail, o);
}

/** A fetch that never got a response: a timeout when `timedOut`, otherwise a connection failure. */
export function errorFromFetchFailure(err: unknown, what: string, url: string, timedOut: boolean, timeoutMs: number): AgentWorkspaceError {
  if (timedOut) return new TimeoutError(`${what}: no answer within ${timeoutMs} ms; raise timeoutMs or check that the server at ${url} is healthy.`, { cause: err });
  // fetch's TypeError carries the socket's error as `cause`; read by shape, since either may come from another realm.
  const messageOf = (e: unknown): string | undefined =>
    e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : undefined;
  const reason = messageOf((err as { cause?: unknown } | undefined)?.cause) || messageOf(err) || String(err);
  return new ConnectionError(`${what}: cannot reach ${url} (${reason}); check the workspace URL and that the server is running.`, { cause: err });
}

/** Close codes after which reconnecting cannot help (OpenHands: 4001 auth failed, 4004 unknown conversation). */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([4001, 4004]);

/** The error for an events socket closed with a fatal code. */
export function errorFromClose(code: number, reason: string, conversationId: string): APIError {
  if (code === 4001) return new AuthenticationError(`events socket for ${conversationId}: authentication failed (${reason}); check the workspace's sessionApiKey.`, 401, reason);
  return new NotFoundError(`events socket for ${conversationId}: ${reason || 'conversation not found'} (close ${code}); check the id, or start a new conversation.`, 404, reason);
}
