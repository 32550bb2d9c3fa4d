// Starts the OFFICIAL OpenHands agent server (openhands-agent-server 1.58.2, `python -m openhands.agent_server`)
// from the Python root (scripts/python-root.sh) on a free loopback port, with its data under a temporary
// directory in /tmp (the root shares the host's /tmp, so both servers and the client see the same paths).
// It is ready once /alive answers (a dormant server's /ready stays 503 until /api/init).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

/** A port that was free a moment ago (the official server takes a fixed --port). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface OfficialServerOptions {
  /** Session key; `null` starts without one. Default: a random key. */
  key?: string | null;
  env?: Record<string, string>;
}

export async function startOfficialServer(options: OfficialServerOptions = {}): Promise<TestServer> {
  const key = options.key === null ? undefined : (options.key ?? randomBytes(16).toString('hex'));
  const dataDir = mkdtempSync(join(tmpdir(), 'official-server-test-'));
  const port = await freePort();
  const env: Record<string, string> = {
    OH_CONVERSATIONS_PATH: join(dataDir, 'conversations'),
    OH_BASH_EVENTS_DIR: join(dataDir, 'bash_events'),
    OH_ENABLE_VSCODE: 'false',
    OH_ENABLE_VNC: 'false',
    OH_PRELOAD_TOOLS: 'false',
    ...(key ? { OH_SESSION_API_KEYS_0: key } : {}),
    ...options.env,
  };
  const child: ChildProcess = spawn('bash', [
    join(ROOT, 'scripts', 'python-root.sh'), 'run', ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    '/opt/openhands/bin/python', '-m', 'openhands.agent_server', '--host', '127.0.0.1', '--port', String(port),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout?.on('data', (d) => (logs += d));
  child.stderr?.on('data', (d) => (logs += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    rmSync(dataDir, { recursive: true, force: true });
    return code;
  };
  try {
    await waitFor(async () => (await fetch(`${url}/alive`).catch(() => undefined))?.ok, 'the official server to answer /alive', {
      timeoutMs: 120_000, intervalMs: 200, failOn: exited.then((code) => `the official server exited with ${code}:\n${logs.slice(-3000)}`),
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, key, dataDir, process: child, logs: () => logs, stop };
}
