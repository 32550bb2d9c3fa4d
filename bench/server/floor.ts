// The OS floor the server's figures are divided by, measured from the benchmark process in the same rounds:
// spawning the shell command directly, `cp` of the same file, and a bare node:http server (no framework, no auth)
// answering /health, started the way the agent server is.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { NODE } from '../../test/support/server.js';

/** One `bash -c <command>` spawned from the benchmark process, to its exit: ms. */
export function spawnShell(command: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('bash', ['-c', command], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`bash -c ${command} exited ${code}`))));
  });
}

/** `cp src dst`: ms. */
export function copyFile(src: string, dst: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile('cp', [src, dst], (err) => (err ? reject(err) : resolve(performance.now() - t0)));
  });
}

const BARE_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  const body = '{"status":"ok"}';
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
`;

export interface BareServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A bare node:http server in its own process (the project's Node 24), answering every path 200 {"status":"ok"}. */
export function startBareServer(): Promise<BareServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['-e', BARE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    child.on('error', reject);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) resolve({
        url: `http://127.0.0.1:${match[1]}`, process: child,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
    void exited.then(() => reject(new Error(`bare server exited before listening: ${out}`)));
  });
}
