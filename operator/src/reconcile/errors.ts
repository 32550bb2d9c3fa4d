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
