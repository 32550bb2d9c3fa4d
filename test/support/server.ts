// Starts the REAL agent server (server-image/bin/agent-server.js, the package's bin, on the project's
// Node 24) as a child process on a free loopback port, with a temporary data directory and, unless told
// otherwise, a generated session key. The server picks the port itself (--port 0) and the harness reads
// it from the "agent server listening" log line, so there is no port race.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, rmdirSync, statSync, utimesSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');
export const SERVER_BIN = join(ROOT, 'server-image', 'bin', 'agent-server.js');

export interface TestServer {
  url: string;
  /** The session key, or undefined when started without one. */
  key: string | undefined;
  /** The temporary directory holding the server's data (bash events) and its working directory. */
  dataDir: string;
  process: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far. */
  logs(): string;
  /** SIGTERM, then waits for the exit; returns the exit code (null if killed by a signal). */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  /** Session key; `null` starts without authentication. Default: a random key. */
  key?: string | null;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Extra command-line arguments. */
  args?: string[];
  /** Another build's bin (the benchmark's baseline); the caller builds it. Default: this checkout's, built if stale. */
  bin?: string;
}

/** True when every source file of `src` has a JavaScript file in `dist` and none changed after `built`. */
function distFresh(src: string, dist: string, built: number): boolean {
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const path = join(src, entry.name);
    if (entry.isDirectory()) {
      if (!distFresh(path, join(dist, entry.name), built)) return false;
    } else if (entry.name.endsWith('.ts') && !/\.(test|testkit)\.ts$/.test(entry.name)) {
      if (!existsSync(join(dist, entry.name.replace(/\.ts$/, '.js'))) || statSync(path).mtimeMs > built) return false;
    }
  }
  return true;
}

/** The workspaces the server's JavaScript is built from, by `tsc -b server-image` (it references sdk). */
const BUILT_PACKAGES = ['sdk', 'server-image'];

/** Where `tsc -b` records a package's build; its mtime stamps the last build this harness ran. */
const buildInfo = (pkg: string) => join(ROOT, pkg, 'dist', '.tsbuildinfo');

/**
 * True when a package's last build is at least as new as its package.json and tsconfig files (which change how
 * it compiles and resolves) and every source file, each of which has its JavaScript file.
 */
function packageFresh(pkg: string): boolean {
  if (!existsSync(buildInfo(pkg))) return false;
  const built = statSync(buildInfo(pkg)).mtimeMs;
  const configs = [join(ROOT, pkg, 'package.json'), join(ROOT, pkg, 'tsconfig.json'), join(ROOT, 'tsconfig.base.json')];
  if (configs.some((file) => statSync(file).mtimeMs > built)) return false;
  return distFresh(join(ROOT, pkg, 'src'), join(ROOT, pkg, 'dist'), built);
}

/**
 * Stamps each package's build with the time it started (`tsc -b` leaves its files untouched when a change did
 * not alter them), so a source edited during the build still counts as newer.
 */
function markBuilt(started: Date): void {
  for (const pkg of BUILT_PACKAGES) if (existsSync(buildInfo(pkg))) utimesSync(buildInfo(pkg), started, started);
}

/** Builds server-image and the sdk it runs when either's dist is missing or older than its sources or configs. */
export function ensureServerBuilt(): void {
  const fresh = () => BUILT_PACKAGES.every(packageFresh);
  if (fresh()) return;
  const lock = join(ROOT, 'node_modules', '.cache', 'agent-server-build.lock');
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // another test worker is building; wait for it
      execFileSync('sleep', ['0.2']);
      if (fresh()) return;
    }
  }
  try {
    if (!fresh()) {
      const started = new Date();
      try {
        execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-b', 'server-image'], {
          cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}` },
        });
        markBuilt(started);
      } catch (err) {
        // tsc -b still emits when other files have type errors (the static tier reports those);
        // the behaviour under test only needs fresh JavaScript.
        markBuilt(started);
        if (!fresh()) throw err;
        console.warn(`server-image built with type errors:\n${(err as { stdout?: string }).stdout ?? ''}`);
      }
    }
  } finally {
    rmdirSync(lock);
  }
}

/** Runs the bin with `args` and `env` until it exits; for configuration errors. */
export function runServerToExit(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  ensureServerBuilt();
  return new Promise((resolve) => {
    const child = spawn(NODE, [SERVER_BIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  if (!options.bin) ensureServerBuilt();
  const key = options.key === null ? undefined : (options.key ?? randomBytes(16).toString('hex'));
  const dataDir = mkdtempSync(join(tmpdir(), 'agent-server-test-'));
  const env: Record<string, string> = {
    PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME ?? dataDir,
    // Tests make "not a repository" directories under the temp dir: git must not find a repository above it
    // (a stray /tmp/.git on a shared machine turned them into one).
    GIT_CEILING_DIRECTORIES: tmpdir(),
    OH_BASH_EVENTS_DIR: join(dataDir, 'bash_events'),
    OH_CONVERSATIONS_PATH: join(dataDir, 'conversations'),
    OH_WORKSPACE_PATH: join(dataDir, 'project'),
    ...(key ? { OH_SESSION_API_KEYS_0: key } : {}),
    ...options.env,
  };
  const child = spawn(NODE, [options.bin ?? SERVER_BIN, '--host', '127.0.0.1', '--port', '0', ...(options.args ?? [])], {
    cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent server did not start:\n${logs}`)), 30_000);
    const onData = (chunk: Buffer) => {
      logs += chunk.toString();
      const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"agent server listening"/.exec(logs);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`agent server exited with ${code} before listening:\n${logs}`));
    });
  });
  let url: string;
  try {
    url = await listening;
  } catch (err) {
    // A server that never listened is not left behind: no orphan process, no temporary directory.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  let stopped: Promise<number | null> | undefined;
  return {
    url, key, dataDir, process: child,
    logs: () => logs,
    stop: () => {
      stopped ??= (async () => {
        if (!child.killed && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        const code = await exited;
        clearTimeout(timer);
        rmSync(dataDir, { recursive: true, force: true });
        return code;
      })();
      return stopped;
    },
  };
}

export interface CallResult<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON, else the text. */
  body: T;
}

/**
 * One HTTP request to the server with its session key (unless `key: null` or another key is given).
 * JSON bodies are sent as JSON; the response body is parsed when it is JSON.
 */
export async function call<T = unknown>(server: Pick<TestServer, 'url' | 'key'>, method: string, path: string, init: {
  json?: unknown; body?: string | FormData | Blob | Uint8Array; key?: string | null; headers?: Record<string, string>;
} = {}): Promise<CallResult<T>> {
  const headers: Record<string, string> = { ...init.headers };
  const key = init.key === undefined ? server.key : init.key;
  if (key) headers['X-Session-API-Key'] = key;
  let body = init.body;
  if (init.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(init.json);
  }
  const res = await fetch(server.url + path, { method, headers, body });
  const text = await res.text();
  const parsed = (res.headers.get('content-type') ?? '').includes('application/json') && text ? JSON.parse(text) : text;
  return { status: res.status, headers: res.headers, body: parsed as T };
}

/** GET with a JSON body (the batch routes, FastAPI style), which fetch cannot send. */
export function getWithBody(server: Pick<TestServer, 'url' | 'key'>, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const { port } = new URL(server.url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1', port: Number(port), path, method: 'GET',
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...(server.key ? { 'X-Session-API-Key': server.key } : {}) },
    }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}
