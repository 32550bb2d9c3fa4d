// A prototype of the "process runner": a small process that spawns commands for a big one over a unix socket,
// measured beside the floor. Forking our ~110 MiB server costs more than the floor's whole `bash -c true`
// (fork copies the parent's page tables), so a runner of a fresh runtime's size, asked over a socket, is what
// the command round trip can get down to. Here: the benchmark process asks, a fresh Node 24 process spawns
// `bash -c` with its output piped (as the server must), and answers the exit code and output.
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NODE } from '../../test/support/server.js';

const RUNNER = `
const { spawn } = require('node:child_process');
const net = require('node:net');
const server = net.createServer((socket) => {
  socket.on('error', () => undefined);
  let buffered = '';
  socket.on('data', (d) => {
    buffered += d;
    for (let nl = buffered.indexOf('\\n'); nl >= 0; nl = buffered.indexOf('\\n')) {
      const { command } = JSON.parse(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      const child = spawn('/bin/bash', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let stdout = '', stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.on('error', (err) => socket.write(JSON.stringify({ exit_code: -1, stdout, stderr: String(err) }) + '\\n'));
      child.on('close', (code) => socket.write(JSON.stringify({ exit_code: code, stdout, stderr }) + '\\n'));
    }
  });
});
server.listen(process.argv[1], () => console.log('listening'));
`;

export interface Runner {
  /** Asks the runner to run `command` and waits for its answer: ms. Rejects unless it exited 0. */
  run(command: string): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the runner on a socket in `dir` and connects to it. */
export async function startRunner(dir: string): Promise<Runner> {
  const path = join(dir, 'runner.sock');
  const child = spawn(NODE, ['-e', RUNNER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.on('error', () => undefined); // an exit follows
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    void exited.then(() => reject(new Error('runner exited before listening')));
  });
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect(path, () => resolve(s));
    s.on('error', reject);
  });
  const waiting: Array<{ t0: number; resolve(ms: number): void; reject(err: Error): void }> = [];
  const fail = (err: Error) => {
    for (const w of waiting.splice(0)) w.reject(err);
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('runner socket closed')));
  let buffered = '';
  socket.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const answer = JSON.parse(buffered.slice(0, nl)) as { exit_code: number; stderr: string };
      buffered = buffered.slice(nl + 1);
      const w = waiting.shift();
      if (answer.exit_code === 0) w?.resolve(performance.now() - w.t0);
      else w?.reject(new Error(`runner: exit ${answer.exit_code} ${answer.stderr.slice(0, 300)}`));
    }
  });
  return {
    run: (command) => new Promise((resolve, reject) => {
      waiting.push({ t0: performance.now(), resolve, reject });
      socket.write(`${JSON.stringify({ command })}\n`);
    }),
    stop: async () => {
      socket.destroy();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
