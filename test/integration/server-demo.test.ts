// The bare-server demo: `make demo-server` runs scripts/demo-server.sh. The test runs the script itself
// (DEMO_SKIP_SETUP=1: the harness has built the server; setup is the same scripts/setup.sh the test
// runner has already run), checks what it shows, and that DEMO_KEEP_RUNNING=1 leaves a usable server.
// It also starts the bin the README names, `npx agent-server`, from the repository root.
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { ROOT, call, ensureServerBuilt } from '../support/server.js';
import { waitFor } from '../support/wait.js';

jest.setTimeout(120_000);

const env = () => ({ ...process.env, PATH: `${ROOT}/node_modules/.bin:${process.env.PATH}`, DEMO_SKIP_SETUP: '1' });
const children: ReturnType<typeof spawn>[] = [];

/** Runs `command` in its own process group (as a terminal would), so a signal can reach all of it. */
function run(command: string, args: string[], extraEnv: Record<string, string> = {}) {
  const child = spawn(command, args, { cwd: ROOT, env: { ...env(), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('the bare-server demo (make demo-server → scripts/demo-server.sh)', () => {
  afterAll(() => {
    for (const child of children) {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('starts the server, shows it answering, and stops it cleanly', async () => {
    ensureServerBuilt();
    const demo = run('bash', ['scripts/demo-server.sh']);
    const code = await demo.exited;
    const out = demo.output();
    expect({ code, out }).toMatchObject({ code: 0 });
    expect(out).toMatch(/agent server listening at http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toContain('"title": "AgentWorkspace Agent Server"');
    expect(out).toContain('401 {"detail":"Unauthorized"}');
    expect(out).toMatch(/"exit_code": 0,\s+"stdout": "hello from Linux in \/[^"]*agent-server-demo/);
    expect(out).toContain('"success": true');
    expect(out).toContain('uploaded through the agent server API');
    expect(out).toContain('agent server exited with status 0');
    expect(out).toContain('"msg":"agent server stopped"');
  });

  it('with DEMO_KEEP_RUNNING=1 stays up, prints the URL and key, and stops on SIGTERM', async () => {
    const demo = run('bash', ['scripts/demo-server.sh'], { DEMO_KEEP_RUNNING: '1' });
    const [, url, key] = await waitFor(() => /URL: (http:\S+)\n\s+KEY: ([0-9a-f]{32})/.exec(demo.output()), 'the URL and key');
    const server = { url: url as string, key: key as string };
    const res = await call<{ stdout: string }>(server, 'POST', '/api/bash/execute_bash_command', { json: { command: 'echo kept running' } });
    expect(res.body.stdout).toBe('kept running\n');
    expect((await call(server, 'GET', '/api/bash/bash_events/search', { key: null })).status).toBe(401);
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toContain('agent server stopped');
    await expect(fetch(`${url}/alive`)).rejects.toThrow();
  });

  it('`npx agent-server --host 127.0.0.1 --port <p>` runs the server from the repository root', async () => {
    ensureServerBuilt();
    const npx = run('npx', ['--no', '--', 'agent-server', '--host', '127.0.0.1', '--port', '0']);
    const [, url] = await waitFor(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(npx.output()), 'the server to listen');
    expect((await call({ url: url as string, key: undefined }, 'GET', '/health')).body).toEqual({ status: 'ok' });
    // npm does not forward SIGTERM to the command it runs; Ctrl-C in a terminal signals the whole group.
    process.kill(-(npx.child.pid as number), 'SIGTERM');
    await npx.exited;
    expect(npx.output()).toContain('"msg":"agent server stopped"');
  });
});
