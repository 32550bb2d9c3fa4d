// Exit codes: 0 success; 1 a failure (connection, not found, refused); 2 bad usage; a run's final status
// maps to its own code so scripts can tell them apart; exec passes the command's code through.
import type { ExecutionStatus } from '../conversation/state.js';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** `run` and `attach`: the status the conversation stopped in → the exit code. */
export const STATUS_EXIT_CODES: Readonly<Record<ExecutionStatus, number>> = {
  finished: 0,
  error: 3,
  stuck: 4,
  paused: 5,
  idle: 5,
  waiting_for_confirmation: 6,
  running: EXIT.failure,
  deleting: EXIT.failure,
};

/** `exec`: a command stopped at its timeout (the SDK's exit code -1) exits as timeout(1) does. */
export const EXEC_TIMEOUT_EXIT = 124;
