// The one seam through which the SDK and the agent server start the agent's processes (the terminal tool's shell,
// a workspace's commands, the server's bash commands). By default a local child process; the agent server in a
// Kubernetes pod passes a launcher that runs them in the sandbox container instead (server-image/src/sandbox).
import { spawn } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';

export interface LaunchOptions {
  cwd: string;
  /** The process's whole environment (nothing is inherited). */
  env: Record<string, string | undefined>;
  /** Give the process a stdin pipe (`stdin` is then a stream); default: stdin is /dev/null. */
  stdin?: boolean;
}

/**
 * A started process, leading its own process group. Events as Node's ChildProcess: `exit` (code, signal) when it
 * ended, `close` (code, signal) when its output streams ended too, `error` (Error) when it could not be started or
 * its launcher lost track of it (no `exit`/`close` follows an `error`).
 */
export interface LaunchedProcess extends EventEmitter {
  /** Its pid as seen by whoever started it (in the sandbox: the sandbox container's pid namespace); undefined before it started. */
  readonly pid: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /**
   * Sends `signal` (0: none, a probe) to the process's whole group, also after the process ended (members it left
   * behind). False when the group is known to have no member left; a launcher that cannot know at once answers true.
   */
  signalGroup(signal: NodeJS.Signals | 0): boolean;
}

export interface ProcessLauncher {
  /** Starts `file` with `args`; failures to start are reported by the `error` event, never thrown. */
  launch(file: string, args: readonly string[], options: LaunchOptions): LaunchedProcess;
}

/** Processes on this machine, as this process's user: `spawn` with `detached` (a new process group). */
export const localLauncher: ProcessLauncher = {
  launch(file, args, options) {
    const child = spawn(file, [...args], {
      cwd: options.cwd, env: options.env, detached: true, stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    return Object.assign(child, {
      signalGroup(signal: NodeJS.Signals | 0) {
        if (child.pid === undefined) return false;
        try {
          process.kill(-child.pid, signal);
          return true;
        } catch {
          return false; // the group is already gone
        }
      },
    }) as unknown as LaunchedProcess;
  },
};
