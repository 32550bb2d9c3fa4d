// What every command shares: its options (--json, the Kubernetes flags), number parsing, and one action wrapper
// that turns the handler's result into the exit code and any error into one message (exit-codes.ts): a
// UsageError goes through commander (the message and the usage hint), anything else is printed by reportError.
import { InvalidArgumentError, type Command } from 'commander';
import { AgentWorkspaceError } from '../errors.js';
import { CliError, UsageError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { paint, writeJson, writeLine, type Io } from './io.js';
import type { ErrorOutput } from './output.js';
import type { KubernetesFlags } from './target.js';

export interface Context {
  io: Io;
  /** The exit code the action left. */
  exitCode: number;
}

export interface JsonFlag {
  json?: boolean;
}

export const withJson = (cmd: Command): Command => cmd.option('--json', 'print JSON (one document; JSON lines for streams) instead of text');

export const withKubernetes = (cmd: Command): Command => cmd
  .option('-n, --namespace <namespace>', 'Kubernetes namespace (default: the kubeconfig context\'s, else "default")')
  .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)');

export type KubernetesOptions = KubernetesFlags & JsonFlag;

/** commander argParser: a positive number of seconds. */
export function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds.');
  return n;
}

/** commander argParser: a positive integer. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

/** Prints `err` (stderr; with --json also an ErrorOutput on stdout) and returns the exit code. */
export function reportError(io: Io, err: unknown, json: boolean): number {
  const exitCode = err instanceof CliError ? err.exitCode : EXIT.failure;
  const message = err instanceof Error ? err.message : String(err);
  // Errors the SDK throws on purpose say what happened and what to do; anything else is a bug, named by its class.
  const shown = err instanceof AgentWorkspaceError ? message : `${err instanceof Error ? err.name : 'error'}: ${message}`;
  writeLine(io.stderr, paint(io.stderr, 'red', `agentws: ${shown}`));
  if (json) {
    const doc: ErrorOutput = { error: { name: err instanceof Error ? err.name : 'Error', message, exitCode } };
    writeJson(io.stdout, doc);
  }
  return exitCode;
}

/**
 * Sets `cmd`'s action: `handler(options, ...arguments)` returns the exit code. A UsageError becomes commander's
 * usage error (exit 2); other errors are reported (exit 1 or the CliError's code).
 */
export function act<O extends JsonFlag>(cmd: Command, ctx: Context, handler: (options: O, ...args: never[]) => Promise<number>): Command {
  return cmd.action(async (...received: unknown[]) => {
    const command = received.at(-1) as Command;
    const options = command.opts<O>();
    try {
      ctx.exitCode = await handler(options, ...(command.processedArgs as never[]));
    } catch (err) {
      if (err instanceof UsageError) command.error(`error: ${err.message}`, { exitCode: EXIT.usage, code: 'agentws.usage' });
      ctx.exitCode = reportError(ctx.io, err, Boolean(options.json));
    }
  });
}
