import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ShellSession, type LaunchedProcess } from '@agentworkspace/sdk';
import { WebSocket } from 'ws';
import { waitFor } from '../../../test/support/wait.js';
import { createLogger } from '../log.js';
import { RunnerLauncher, SandboxUnavailableError, waitForRunner } from './runner-launcher.js';
import { SandboxRunner } from './runner.js';

const dir = mkdtempSync(join(tmpdir(), 'sandbox-runner-'));
const socketPath = join(dir, 'runner.sock');
const runner = new SandboxRunner(createLogger('silent'));
const launcher = new RunnerLauncher(socketPath);

beforeAll(() => runner.listen(socketPath));
afterAll(() => runner.close());

interface Outcome { stdout: string; stderr: string; code: number | null; signal: string | null; error?: Error }

function collect(p: LaunchedProcess): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { stdout: '', stderr: '', code: null, signal: null };
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
    p.on('close', (code: number | null, signal: string | null) => resolve({ ...out, code, signal }));
    p.on('error', (error: Error) => resolve({ ...out, error }));
  });
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** A raw connection to the runner; resolves with the frames it got and how it closed. */
function raw(frames: Array<string | Buffer>): Promise<{ messages: string[]; code: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws+unix://${socketPath}:/`);
    const messages: string[] = [];
    ws.on('error', reject);
    ws.on('open', () => { for (const f of frames) ws.send(f); });
    ws.on('message', (d, isBinary) => { if (!isBinary) messages.push(String(d)); });
    ws.on('close', (code) => resolve({ messages, code }));
  });
}

describe('sandbox runner and RunnerLauncher', () => {
  it('runs a process with exactly the given cwd and environment and reports output and exit code', async () => {
    const p = launcher.launch('bash', ['-c', 'echo "$PWD $GIVEN ${HOME-unset}"; echo err >&2; exit 3'], { cwd: dir, env: { GIVEN: 'yes', PATH: process.env.PATH } });
    const r = await collect(p);
    expect(r).toEqual({ stdout: `${dir} yes unset\n`, stderr: 'err\n', code: 3, signal: null });
    expect(p.pid).toBeGreaterThan(1);
  });

  it('streams stdin and output both ways', async () => {
    const p = launcher.launch('cat', [], { cwd: dir, env: {}, stdin: true });
    const out = collect(p);
    p.stdin!.write('one\n');
    await waitFor(() => p.stdout.readableLength === 0 && p.pid, 'the spawn');
    p.stdin!.end('two\n');
    expect(await out).toMatchObject({ stdout: 'one\ntwo\n', code: 0 });
  });

  it('signals the whole process group', async () => {
    const p = launcher.launch('bash', ['-c', 'sleep 1000 & echo $!; wait'], { cwd: dir, env: { PATH: process.env.PATH } });
    const out = collect(p);
    let printed = '';
    p.stdout.on('data', (d: string) => (printed += d));
    const child = Number(await waitFor(() => /^\d+\n/.exec(printed)?.[0], 'the background pid'));
    expect(p.signalGroup('SIGTERM')).toBe(true);
    expect(await out).toMatchObject({ code: null, signal: 'SIGTERM' });
    await waitFor(() => !alive(child), 'the background sleep to end');
  });

  it('reports a process that cannot start, and an unreachable runner, as errors', async () => {
    const missing = await collect(launcher.launch('/no/such/program', [], { cwd: dir, env: {} }));
    expect(missing.error).toBeInstanceOf(SandboxUnavailableError);
    expect(missing.error?.message).toContain('/no/such/program');
    const nowhere = await collect(new RunnerLauncher(join(dir, 'absent.sock'), 0).launch('true', [], { cwd: dir, env: {} }));
    expect(nowhere.error).toBeInstanceOf(SandboxUnavailableError);
  });

  it('waits for a runner that is not listening yet (the sandbox container starting)', async () => {
    const later = join(dir, 'later.sock');
    const p = collect(new RunnerLauncher(later).launch('echo', ['started late'], { cwd: dir, env: {} }));
    const lateRunner = new SandboxRunner(createLogger('silent'));
    await lateRunner.listen(later);
    try {
      expect(await p).toMatchObject({ stdout: 'started late\n', code: 0 });
    } finally {
      await lateRunner.close();
    }
  });

  it('waitForRunner resolves only once a runner accepts connections (the server is ready only then)', async () => {
    const later = join(dir, 'ready-later.sock');
    let reached = false;
    const waiting = waitForRunner(later, createLogger('silent')).then(() => { reached = true; });
    // Not before the runner listens: a launch probe fails meanwhile with the runner absent.
    expect((await collect(new RunnerLauncher(later, 0).launch('true', [], { cwd: dir, env: {} }))).error).toBeInstanceOf(SandboxUnavailableError);
    expect(reached).toBe(false);
    const lateRunner = new SandboxRunner(createLogger('silent'));
    await lateRunner.listen(later);
    try {
      await waiting;
      expect(reached).toBe(true);
    } finally {
      await lateRunner.close();
    }
  });

  it('runs each launch on its own connection, opened ahead, and survives the runner restarting meanwhile', async () => {
    const restarting = join(dir, 'restarting.sock');
    const ahead = new RunnerLauncher(restarting);
    let first = new SandboxRunner(createLogger('silent'));
    await first.listen(restarting);
    try {
      for (const word of ['one', 'two']) expect(await collect(ahead.launch('echo', [word], { cwd: dir, env: {} }))).toMatchObject({ stdout: `${word}\n`, code: 0 });
      await first.close(); // drops the connection opened for the next launch
      first = new SandboxRunner(createLogger('silent'));
      await first.listen(restarting);
      expect(await collect(ahead.launch('echo', ['three'], { cwd: dir, env: {} }))).toMatchObject({ stdout: 'three\n', code: 0 });
    } finally {
      await first.close();
    }
  });

  it('kills the process group when the client disconnects before the process ended', async () => {
    const ws = new WebSocket(`ws+unix://${socketPath}:/`);
    ws.on('error', () => {});
    const spawned = new Promise<number>((resolve) => ws.on('message', (d) => resolve((JSON.parse(String(d)) as { pid: number }).pid)));
    ws.on('open', () => ws.send(JSON.stringify({ type: 'spawn', file: 'sleep', args: ['1000'], cwd: dir, env: {}, stdin: false })));
    const pid = await spawned;
    expect(alive(pid)).toBe(true);
    ws.terminate();
    await waitFor(() => !alive(pid), 'the orphaned sleep to be killed');
  });

  it('answers hostile frames with an error and close 1008, and keeps serving', async () => {
    for (const frames of [
      ['not json'], [Buffer.from('binary first')], [JSON.stringify({ type: 'spawn' })], [JSON.stringify([1, 2])],
      [JSON.stringify({ type: 'spawn', file: 'true', args: [], cwd: dir, env: { A: 1 }, stdin: false })],
      [JSON.stringify({ type: 'signal-group', pgid: 1, signal: 'SIGKILL' })],
      [JSON.stringify({ type: 'spawn', file: 'sleep', args: ['1000'], cwd: dir, env: {}, stdin: false }), JSON.stringify({ type: 'signal', signal: 'SIGNOPE' })],
    ]) {
      const r = await raw(frames);
      expect(r.code).toBe(1008);
      expect(r.messages.some((m) => (JSON.parse(m) as { type: string }).type === 'error')).toBe(true);
    }
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request({ socketPath, path: '/' }, (res) => { res.resume(); resolve(res.statusCode); }).on('error', reject).end();
    });
    expect(status).toBe(426);
    expect(await collect(launcher.launch('echo', ['still here'], { cwd: dir, env: {} }))).toMatchObject({ stdout: 'still here\n', code: 0 });
  });

  it('hosts the terminal tool\'s shell: state persists, C-c interrupts the foreground program', async () => {
    const shell = new ShellSession({ cwd: dir, baseEnv: { PATH: process.env.PATH }, env: { SECRET_OF_THIS: 'x' }, saveDir: join(dir, 'saved'), launcher });
    try {
      expect((await shell.execute('cd /tmp && export KEPT=1')).exitCode).toBe(0);
      const r = await shell.execute('echo "$PWD $KEPT $SECRET_OF_THIS"');
      expect(r.output.trim()).toBe('/tmp 1 x');
      expect(r.workingDir).toBe('/tmp');
      const slow = await shell.execute('sleep 1000', { timeoutMs: 200 });
      expect(slow.timedOut).toBe(true);
      expect((await shell.interrupt()).exitCode).toBe(130);
      expect((await shell.execute('echo after')).output.trim()).toBe('after');
    } finally {
      await shell.close();
    }
  });
});
