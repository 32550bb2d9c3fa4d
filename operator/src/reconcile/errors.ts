/**
 * The reconcile error taxonomy. Anything thrown that is not a {@link TerminalError} is transient: the
 * key is retried with backoff. A TerminalError becomes the Ready condition's reason and is not retried
 * until the workspace (or a periodic resync) brings the key back.
 */
import type { Reason } from '../api/agentworkspace.js';

export class TerminalError extends Error {
  override name = 'TerminalError';
  constructor(
    readonly reason: Extract<Reason, 'InvalidSpec' | 'ResourceConflict'>,
    message: string,
  ) {
    super(message);
  }
}

/** The HTTP status of a client-node ApiException (or undefined for other errors). */
export function statusCodeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (err: unknown): boolean => statusCodeOf(err) === 404;
export const isConflict = (err: unknown): boolean => statusCodeOf(err) === 409;
/** AlreadyExists is a 409 too; callers that create treat any 409 as "exists". */
export const isAlreadyExists = isConflict;
