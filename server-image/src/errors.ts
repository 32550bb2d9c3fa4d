// The server's domain errors: what the conversation and file services refuse, by meaning. They know nothing
// of HTTP: http/errors.ts gives each class its status (the one table), ws/ its close code or error frame. The
// message is for the client; it never carries an internal detail (a path of the server, a library's message).
export class DomainError extends Error {
  override readonly name: string = 'DomainError';
}

/** The thing asked for does not exist (a conversation, an event, a directory). */
export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
}

/** The request is at odds with the current state (an id taken, a conversation running). */
export class ConflictError extends DomainError {
  override readonly name = 'ConflictError';
}

/** The request is well-formed but cannot be done as asked (a path that is not a directory, nothing to run). */
export class InvalidRequestError extends DomainError {
  override readonly name = 'InvalidRequestError';
}

/** The request reaches outside what this server may touch (a path outside the allowed roots, a denied file). */
export class ForbiddenError extends DomainError {
  override readonly name = 'ForbiddenError';
}

/** Something sent is larger than the configured limit. */
export class TooLargeError extends DomainError {
  override readonly name = 'TooLargeError';
}

/** The server cannot do it now (shutting down, not yet initialized); `retryAfterSeconds` when waiting will help. */
export class UnavailableError extends DomainError {
  override readonly name = 'UnavailableError';
  constructor(message: string, readonly retryAfterSeconds?: number) {
    super(message);
  }
}

/** The client asks for more than the server allows at once (the run cap); retry after `retryAfterSeconds`. */
export class TooManyRequestsError extends DomainError {
  override readonly name = 'TooManyRequestsError';
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}

/** One entry of a 422 `detail` list, as FastAPI writes it. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
  /** What was at `loc` (for a missing field: the object it is missing from), secrets redacted. */
  input?: unknown;
  /** pydantic's context of the error: the bound, the allowed values, the refinement's message. */
  ctx?: Record<string, unknown>;
}

/** Input that breaks its contract, as FastAPI's list of `{loc, msg, type}` (validation.ts builds it from zod). */
export class ValidationError extends DomainError {
  override readonly name = 'ValidationError';
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '));
  }
}

/**
 * An operation failed for a reason the client cannot act on (a conversation that does not load, a model call
 * that failed). The message is logged with its cause; the client gets a bare 500.
 */
export class OperationFailedError extends DomainError {
  override readonly name = 'OperationFailedError';
}
