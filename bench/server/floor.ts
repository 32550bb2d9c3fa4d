// The OS floor the server's figures are divided by, measured in the same rounds: spawning the shell command
// directly (from a fresh Node process, see startSpawner), `cp` of the same file, and a bare node:http server (no
// framework, no auth) answering /health, started the way the agent server is.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { NODE } from '../../test/support/server.js';

const SPAWNER = `
const { spawn } = require('node:child_process');
const { performance } = require('node:perf_hooks');
require('node:readline').createInterface({ input: process.stdin }).on('line', (command) => {
  const t0 = performance.now();
  spawn('bash', ['-c', command], { stdio: 'ignore' }).on('exit', (code) => console.log(code + ' ' + (performance.now() - t0)));
});
`;

export interface Spawner {
  /** Spawns `bash -c <command>` in the spawner and waits for its exit: ms. */
  run(command: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A fresh Node 24 process that spawns shell commands when asked and times them. Not the benchmark process itself:
 * spawning gets slower with the spawning process's resident memory (fork copies its page tables; the benchmark
 * process grows to ~400 MiB with its upload and download buffers, which made `bash -c true` take 20–30 ms), so the
 * floor is a process of a fresh runtime's size.
 */
export function startSpawner(): Spawner {
  const child = spawn(NODE, ['-e', SPAWNER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: Array<{ resolve(ms: number): void; reject(err: Error): void }> = [];
  const exited = new Promise<void>((r) => child.on('exit', () => {
    for (const w of waiting.splice(0)) w.reject(new Error('spawner exited'));
    r();
  }));
  child.on('error', () => undefined); // an exit follows
  child.stdin.on('error', () => undefined);
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const [code, elapsed] = buffered.slice(0, nl).split(' ');
      buffered = buffered.slice(nl + 1);
      const w = waiting.shift();
      if (code === '0') w?.resolve(Number(elapsed));
      else w?.reject(new Error(`bash -c exited ${code} in the spawner`));
    }
  });
  return {
    run: (command) => new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      child.stdin.write(`${command}\n`);
    }),
    stop: async () => {
      child.stdin.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** curl with `args` until it exits 0: ms. */
export function timedCurl(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile('curl', ['--silent', '--show-error', '--fail', ...args], (err, _out, stderr) => (err ? reject(new Error(`curl: ${stderr || err.message}`)) : resolve(performance.now() - t0)));
  });
}

/** `cp src dst`: ms. */
export function copyFile(src: string, dst: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile('cp', [src, dst], (err) => (err ? reject(err) : resolve(performance.now() - t0)));
  });
}

// Also the transfer ceiling of node:http itself: POST /upload?path= writes the raw body (no multipart) to the file,
// GET /download?path= streams the file, each the idiomatic way (pipeline with a file stream).
const BARE_SERVER = `
const http = require('node:http');
const fs = require('node:fs');
const { pipeline } = require('node:stream');
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const path = url.searchParams.get('path');
  const failed = (err) => { if (err) res.destroy(err); };
  if (url.pathname === '/upload') return pipeline(req, fs.createWriteStream(path), (err) => (err ? failed(err) : res.end('{"success":true}')));
  if (url.pathname === '/download') {
    res.writeHead(200, { 'content-length': fs.statSync(path).size });
    return pipeline(fs.createReadStream(path), res, failed);
  }
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
