// The CLI's own failures, under the SDK's base class. Every error reaches the user as one line on stderr (and,
// with --json, an ErrorOutput document on stdout) and an exit code (exit-codes.ts).
import { AgentWorkspaceError } from '../errors.js';
import { EXIT } from './exit-codes.js';

/** Something the user can fix (a missing workspace, an unreadable key file); `exitCode` defaults to 1. */
export class CliError extends AgentWorkspaceError {
  override readonly name: string = 'CliError';
  constructor(message: string, readonly exitCode: number = EXIT.failure, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Flags or arguments that do not fit together (exit 2, with the command's usage). */
export class UsageError extends CliError {
  override readonly name: string = 'UsageError';
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}
