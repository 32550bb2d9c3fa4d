// The agent server with OH_SANDBOX_SOCKET on the host: the real runner process (dist/sandbox/main.js) and the real
// server; bash commands run as the runner's children with only the environment the server gives them (none of its
// secrets), and the file and git routes refuse paths and symlinks into /proc. (On the host everything runs as one
// user, so this shows the wiring and the refusals; that the agent cannot read the server at all is the cluster's
// test, test/e2e/workspace-secrets.test.ts.)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { git } from '../support/git.js';
import { NODE, ROOT, type TestServer, call, ensureServerBuilt, startServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

jest.setTimeout(60_000);

describe('agent server with the sandbox runner', () => {
  const socketDir = mkdtempSync(join(tmpdir(), 'sandbox-socket-'));
  const socket = join(socketDir, 'runner.sock');
  let runnerLogs = '';
  let runner: ChildProcess | undefined;
  let server: TestServer;
  let repo: string;

  beforeAll(async () => {
    // Built first (startServer would build a stale dist/ too, but the runner starts from it before the server is up):
    // with OH_SANDBOX_SOCKET the server reports ready only once the runner accepts connections.
    ensureServerBuilt();
    runner = spawn(NODE, [join(ROOT, 'server-image', 'dist', 'sandbox', 'main.js')], {
      env: { OH_SANDBOX_SOCKET: socket, PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    runner.stdout!.on('data', (d: Buffer) => (runnerLogs += d.toString()));
    runner.stderr!.on('data', (d: Buffer) => (runnerLogs += d.toString()));
    await waitFor(() => runnerLogs.includes('sandbox runner listening'), 'the runner to listen');
    server = await startServer({ env: { OH_SANDBOX_SOCKET: socket, OH_SECRET_KEY: 'server-secret-key-value', LLM_API_KEY: 'server-llm-key-value' } });
    repo = join(server.dataDir, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q');
    writeFileSync(join(repo, 'notes.txt'), 'one\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'init');
    writeFileSync(join(repo, 'notes.txt'), 'one\ntwo\n');
    symlinkSync('/proc/self/environ', join(repo, 'leak'));
    symlinkSync('/proc/self', join(repo, 'leak-dir'));
  });
  afterAll(async () => {
    await server?.stop();
    runner?.kill('SIGTERM');
  });

  it('runs bash commands as the runner\'s children, without the server\'s secrets', async () => {
    const res = await call<{ exit_code: number; stdout: string }>(server, 'POST', '/api/bash/execute_bash_command', {
      json: { command: 'cat /proc/$PPID/cmdline | tr "\\0" " "; echo; env', timeout: 30 },
    });
    expect(res.status).toBe(200);
    expect(res.body.exit_code).toBe(0);
    const [parent, ...env] = res.body.stdout.split('\n');
    expect(parent).toContain('dist/sandbox/main.js');
    expect(env.join('\n')).not.toMatch(/server-secret-key-value|server-llm-key-value|OH_SESSION_API_KEYS/);
  });

  it.each(['/api/git/diff', '/api/file/download'])('%s refuses a symlink into /proc, names the path, and serves other files', async (route) => {
    const q = (p: string) => `${route}?path=${encodeURIComponent(p)}`;
    const viaLink = await call<{ detail: string }>(server, 'GET', q(join(repo, 'leak')));
    expect(viaLink.status).toBe(403);
    expect(JSON.stringify(viaLink.body)).toMatch(new RegExp(`Path ${join(repo, 'leak')} resolves to /proc/\\d+/environ, inside /proc: this server does not serve its own /proc`));
    expect((await call(server, 'GET', q(join(repo, 'leak-dir', 'environ')))).status).toBe(403);
    expect((await call(server, 'GET', q('/proc/self/environ'))).status).toBe(403);
    expect((await call(server, 'GET', q('/sys/kernel/hostname'))).status).toBe(403);
    const fine = await call(server, 'GET', q(join(repo, 'notes.txt')));
    expect(fine.status).toBe(200);
  });
});
