// The sandbox runner: listens on a unix socket and starts processes for whoever connects (the agent server), as
// its own user, with exactly the environment and working directory each request gives. It runs in the workspace
// pod's `sandbox` container, which holds no credential, so nothing it starts can read the server's environment,
// memory or files. Protocol: ./protocol.ts. A connection that drops before its process ended kills the process's
// group (nobody could stop it any more); after the process ended, its group's stragglers are left alone, as
// with a local child, and a control connection (`signal-group`) can still signal them.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, lstat, unlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Readable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../log.js';
import {
  ControlSchema, MAX_FRAME_BYTES, OpeningSchema, RunnerProtocolError, STDERR_CHANNEL, STDOUT_CHANNEL, frameBytes, parseFrame,
  type RunnerMessage, type SpawnRequest,
} from './protocol.js';

/** Output held for a slow client before the process's pipes stop being read. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

export class SandboxRunner {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly groups = new Set<number>();

  constructor(private readonly log: Logger) {
    this.http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('the sandbox runner speaks WebSocket only\n');
    });
    this.http.on('clientError', (_err, socket) => socket.destroy());
    this.wss = new WebSocketServer({ server: this.http, maxPayload: MAX_FRAME_BYTES });
    this.wss.on('error', (err) => this.log.warn({ err }, 'sandbox runner: server error'));
    this.wss.on('connection', (ws) => this.accept(ws));
  }

  /** Listens on `socketPath` (a stale socket file there is replaced), open to every user of the pod. */
  async listen(socketPath: string): Promise<void> {
    const existing = await lstat(socketPath).catch(() => null);
    if (existing?.isSocket()) await unlink(socketPath);
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(socketPath, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    await chmod(socketPath, 0o666);
  }

  /** Kills every process group still running and stops listening. */
  async close(): Promise<void> {
    for (const pgid of this.groups) killGroup(pgid, 'SIGKILL');
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    await closed;
  }

  private accept(ws: WebSocket): void {
    ws.on('error', (err) => this.log.debug({ err }, 'sandbox runner: connection error'));
    ws.once('message', (data, isBinary) => {
      try {
        if (isBinary) throw new RunnerProtocolError('the first frame must be a text frame (spawn or signal-group)');
        const opening = parseFrame(OpeningSchema, frameBytes(data).toString('utf8'));
        if (opening.type === 'spawn') this.run(ws, opening);
        else {
          send(ws, { type: 'signaled', delivered: killGroup(opening.pgid, opening.signal) });
          ws.close(1000);
        }
      } catch (err) {
        refuse(ws, err);
      }
    });
  }

  private run(ws: WebSocket, req: SpawnRequest): void {
    let child: ChildProcess;
    try {
      child = spawn(req.file, req.args, { cwd: req.cwd, env: req.env, detached: true, stdio: [req.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    } catch (err) {
      // Refused synchronously (an argument with a NUL byte, E2BIG).
      send(ws, { type: 'error', message: (err as Error).message });
      ws.close(1000);
      return;
    }
    let closed = false;
    const pid = child.pid;
    child.stdin?.on('error', () => {}); // EPIPE once the process stopped reading
    child.on('spawn', () => {
      if (pid === undefined) return;
      this.groups.add(pid);
      send(ws, { type: 'spawned', pid });
    });
    let failed = false;
    child.on('error', (err) => {
      failed = closed = true; // spawn failures are the only 'error' (signals go through process.kill)
      send(ws, { type: 'error', message: `cannot start ${req.file}: ${err.message}` });
      ws.close(1000);
    });
    child.on('exit', (code, signal) => {
      if (pid !== undefined) this.groups.delete(pid);
      send(ws, { type: 'exit', code, signal });
    });
    child.on('close', (code, signal) => {
      if (failed) return;
      closed = true;
      send(ws, { type: 'close', code, signal });
      ws.close(1000);
    });
    forward(child.stdout!, STDOUT_CHANNEL, ws);
    forward(child.stderr!, STDERR_CHANNEL, ws);

    ws.on('message', (data, isBinary) => {
      try {
        if (isBinary) {
          if (child.stdin && !child.stdin.destroyed) child.stdin.write(frameBytes(data));
          return;
        }
        const control = parseFrame(ControlSchema, frameBytes(data).toString('utf8'));
        if (control.type === 'stdin-end') child.stdin?.end();
        else if (pid !== undefined) killGroup(pid, control.signal);
      } catch (err) {
        refuse(ws, err);
      }
    });
    ws.on('close', () => {
      // The client is gone while the process runs: nobody can read or stop it.
      if (!closed && pid !== undefined) killGroup(pid, 'SIGKILL');
    });
  }
}

function forward(stream: Readable, channel: number, ws: WebSocket): void {
  const tag = Buffer.from([channel]);
  stream.on('data', (chunk: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(Buffer.concat([tag, chunk]), () => {
      if (stream.isPaused() && ws.bufferedAmount < HIGH_WATER_BYTES / 2) stream.resume();
    });
    if (ws.bufferedAmount > HIGH_WATER_BYTES) stream.pause();
  });
}

function send(ws: WebSocket, message: RunnerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}

/** Answers a frame that breaks the protocol: an error message, close 1008 (the process, if any, is then killed). */
function refuse(ws: WebSocket, err: unknown): void {
  const message = err instanceof RunnerProtocolError ? err.message : `internal error: ${(err as Error).message}`;
  send(ws, { type: 'error', message });
  ws.close(1008);
}

function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
