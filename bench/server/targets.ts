// The servers measured side by side: ours (server-image on the project's Node 24); ours with the sandbox runner
// (the configuration workspace pods run: OH_SANDBOX_SOCKET set for the server and for the real runner,
// `node server-image/dist/sandbox/main.js`, listening on it); and, with --compare, the official OpenHands agent
// server (PyPI openhands-agent-server in the parity tier's Python root).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, NODE, ROOT, type TestServer } from '../../test/support/server.js';

export interface Target {
  name: string;
  /** Starts one server; it answers once this resolves (ours: listening, official: /alive). */
  start(): Promise<BenchServer>;
  version: string;
  /**
   * Only the figures its difference shows (ours+runner: what starts processes, start-up and memory); the others
   * (transfers, /health, fan-out) run the same code as `ours` and are not measured again. Default: every figure.
   */
  commandsOnly?: boolean;
}

/** A started server and the pids of its other processes (the runner), whose memory counts with the server's. */
export type BenchServer = TestServer & { companions?: number[]; socketPath?: string };

/** BENCH_SERVER_NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=…`): NODE_OPTIONS of our servers and the runner, for profiling. */
const nodeOptions = (): Record<string, string> => (process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {});

const nodeVersion = () => execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim();

export function ours(): Target {
  return { name: 'ours', start: () => startServer({ env: nodeOptions() }), version: `agent-server on Node ${nodeVersion()}` };
}

/**
 * Ours as in a workspace pod (`build`: as built at another ref, see baseline.ts): the runner (its own process, its environment only OH_SANDBOX_SOCKET and PATH) and the
 * server started together, as the pod's two containers are; resolves when both are up.
 */
export function oursWithRunner(build?: { name: string; bin: string; runnerMain: string; version: string }): Target {
  const runnerMain = build?.runnerMain ?? join(ROOT, 'server-image', 'dist', 'sandbox', 'main.js');
  return {
    name: build?.name ?? 'ours+runner',
    commandsOnly: true,
    version: build?.version ?? `agent-server and sandbox runner on Node ${nodeVersion()}`,
    start: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'bench-sandbox-'));
      const socket = join(dir, 'runner.sock');
      const runner = spawn(NODE, [runnerMain], {
        env: { OH_SANDBOX_SOCKET: socket, PATH: process.env.PATH ?? '/usr/bin:/bin', ...nodeOptions() }, stdio: ['ignore', 'pipe', 'inherit'],
      });
      runner.on('error', () => undefined); // an exit follows
      const exited = new Promise<void>((resolve) => runner.on('exit', () => resolve()));
      const listening = new Promise<void>((resolve, reject) => {
        let logs = '';
        runner.stdout.on('data', (d: Buffer) => {
          logs += d.toString();
          if (logs.includes('sandbox runner listening')) resolve();
        });
        void exited.then(() => reject(new Error(`the sandbox runner exited before listening: ${logs.slice(0, 500)}`)));
      });
      const stopRunner = async () => {
        if (runner.exitCode === null && runner.signalCode === null) runner.kill('SIGTERM');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      };
      try {
        const [server] = await Promise.all([startServer({ env: { OH_SANDBOX_SOCKET: socket, ...nodeOptions() }, ...(build ? { bin: build.bin } : {}) }), listening]);
        return {
          ...server,
          companions: [runner.pid as number],
          socketPath: socket,
          stop: async () => {
            const code = await server.stop();
            await stopRunner();
            return code;
          },
        };
      } catch (err) {
        await stopRunner();
        throw err;
      }
    },
  };
}
