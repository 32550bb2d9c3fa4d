// Runs the real agentws bin (sdk/dist/cli/main.js, built by ensureServerBuilt with the server) as a child process
// on the project's Node, with only the environment a test gives it (plus PATH): a private HOME and config
// directory, so no ~/.kube/config or user config leaks in. Output is collected as it arrives, so a test can
// watch a streaming command (run, attach) while it runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, NODE, ensureServerBuilt } from './server.js';

export const AGENTWS_BIN = join(ROOT, 'sdk', 'dist', 'cli', 'main.js');

export interface AgentwsResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface AgentwsProcess {
  child: ChildProcess;
  /** What it printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves at exit with everything it printed; `failOn` for waitFor while it runs. */
  done: Promise<AgentwsResult>;
  /** Resolves with a sentence once it exited (for waitFor's failOn). */
  exited: Promise<string>;
}

/** A HOME of its own with the config directory under it, and `extra` (e.g. KUBECONFIG, LLM_API_KEY). */
export function agentwsEnv(extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'agentws-it-'));
  return { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), ...extra };
}

export function startAgentws(args: readonly string[], env: Record<string, string>, cwd?: string): AgentwsProcess {
  ensureServerBuilt();
  const child = spawn(NODE, [AGENTWS_BIN, ...args], {
    env: { PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<AgentwsResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return {
    child, done, stdout: () => stdout, stderr: () => stderr,
    exited: done.then((r) => `agentws ${args[0]} exited with ${r.code}:\n${r.stdout}\n${r.stderr}`, (err: unknown) => `agentws did not start: ${String(err)}`),
  };
}

/** Runs agentws to its exit. */
export function agentws(args: readonly string[], env: Record<string, string>, cwd?: string): Promise<AgentwsResult> {
  return startAgentws(args, env, cwd).done;
}
