// The agent server's side of the sandbox runner: a ProcessLauncher whose processes run in the sandbox container.
// Each launch is one WebSocket to the runner's unix socket (./protocol.ts); the process object behaves as the
// local launcher's child (stdin/stdout/stderr streams, `spawn`, `exit`, `close`, `error`), so the terminal tool,
// the bash service and workspaces use either unchanged. Frames from the runner are validated: a runner replaced
// by something hostile (the agent can reach the socket) can end a process with an error, never crash the server.
import { EventEmitter } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import type { LaunchedProcess, LaunchOptions, ProcessLauncher } from '@agentworkspace/sdk';
import { WebSocket, type RawData } from 'ws';
import {
  MAX_FRAME_BYTES, RunnerMessageSchema, RunnerProtocolError, STDERR_CHANNEL, STDOUT_CHANNEL, frameBytes, parseFrame, type RunnerMessage,
} from './protocol.js';

/** The runner could not be reached, or dropped the connection before the process ended. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
}

export class RunnerLauncher implements ProcessLauncher {
  /**
   * `socketPath`: the runner's unix socket (OH_SANDBOX_SOCKET). `connectPatienceMs`: how long a launch waits for a
   * runner that is not listening yet (the sandbox container starting or restarting). Default 15 s.
   */
  constructor(readonly socketPath: string, private readonly connectPatienceMs = 15_000) {}

  /**
   * The connection the next launch uses, opened once the last one's process started: the WebSocket handshake (connect, upgrade,
   * 101) is most of what a launch costs beyond the runner's own spawn, so it is done ahead of time. Still one
   * connection per process; the runner waits for a connection's first frame however long it comes.
   */
  private spare: WebSocket | undefined;
  /** The spare's socket once upgraded: unreferenced while it waits, so it keeps no process alive. */
  private spareSocket: Socket | undefined;

  launch(file: string, args: readonly string[], options: LaunchOptions): LaunchedProcess {
    const spare = this.spare;
    this.spare = undefined;
    this.spareSocket?.ref();
    this.spareSocket = undefined;
    const usable = spare?.readyState === WebSocket.OPEN || spare?.readyState === WebSocket.CONNECTING ? spare : undefined;
    const p = new RunnerProcess(this.socketPath, Date.now() + this.connectPatienceMs, file, args, options, usable);
    // Once the runner has started it (both sides then wait for the process), not while it is being started.
    p.once('spawn', () => this.spare ?? this.prepareSpare());
    return p;
  }

  /** Opens the spare connection; one that fails or closes (the runner restarting) is dropped, not retried. */
  private prepareSpare(): void {
    const ws = connect(this.socketPath);
    ws.on('error', () => {}); // answered by 'close'
    ws.once('upgrade', (res) => {
      if (this.spare !== ws) return;
      this.spareSocket = res.socket;
      res.socket.unref();
    });
    ws.on('close', () => {
      if (this.spare !== ws) return;
      this.spare = this.spareSocket = undefined;
    });
    this.spare = ws;
  }

  /** Signals a process group through a control connection; resolves with whether the runner delivered it. */
  signalGroup(pgid: number, signal: NodeJS.Signals | 0): Promise<boolean> {
    return new Promise((resolve) => {
      const ws = connect(this.socketPath);
      let delivered = false;
      ws.on('error', () => {}); // answered by 'close'
      ws.on('open', () => ws.send(JSON.stringify({ type: 'signal-group', pgid, signal })));
      ws.on('message', (data: RawData, isBinary: boolean) => {
        try {
          const m = isBinary ? null : parseFrame(RunnerMessageSchema, frameBytes(data).toString('utf8'));
          delivered = m?.type === 'signaled' && m.delivered;
        } catch { /* not an answer */ }
        ws.close();
      });
      ws.on('close', () => resolve(delivered));
    });
  }
}

function connect(socketPath: string): WebSocket {
  return new WebSocket(`ws+unix://${socketPath}:/`, { maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
}

type Phase = 'starting' | 'running' | 'ended' | 'failed';
const CONNECT_RETRY_MS = 200;

class RunnerProcess extends EventEmitter implements LaunchedProcess {
  pid: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout = new Readable({ read() {} });
  readonly stderr = new Readable({ read() {} });
  private phase: Phase = 'starting';
  /** Frames sent before the connection opened. */
  private queue: Array<{ data: string | Buffer; done?: (err?: Error) => void }> = [];

  private readonly spawnFrame: string;
  private ws!: WebSocket;

  /**
   * Until `connectDeadline` a runner that is not listening yet is waited for. `spare`: a connection to the runner
   * opened ahead (open or opening), else one is made.
   */
  constructor(private readonly socketPath: string, private readonly connectDeadline: number, private readonly file: string, args: readonly string[], options: LaunchOptions, spare?: WebSocket) {
    super();
    const env = Object.fromEntries(Object.entries(options.env).filter((e): e is [string, string] => e[1] !== undefined));
    this.spawnFrame = JSON.stringify({ type: 'spawn', file, args, cwd: options.cwd, env, stdin: options.stdin ?? false });
    this.open(spare);
    this.stdin = options.stdin
      ? new Writable({
          write: (chunk: Buffer, _enc, done) => this.send(chunk, done),
          final: (done) => this.send(JSON.stringify({ type: 'stdin-end' }), done),
        })
      : null;
  }

  private open(already?: WebSocket): void {
    const ws = (this.ws = already ?? connect(this.socketPath));
    let opened = false;
    ws.on('error', (err: NodeJS.ErrnoException) => {
      if (!opened && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') && Date.now() < this.connectDeadline) {
        setTimeout(() => this.open(), CONNECT_RETRY_MS);
        return;
      }
      this.fail(new SandboxUnavailableError(`sandbox runner at ${this.socketPath}: ${err.message}`, { cause: err }));
    });
    const start = () => {
      opened = true;
      ws.send(this.spawnFrame);
      for (const { data, done } of this.queue) ws.send(data, done);
      this.queue = [];
    };
    if (ws.readyState === WebSocket.OPEN) start();
    else ws.on('open', start);
    ws.on('message', (data, isBinary) => {
      try {
        this.receive(data, isBinary);
      } catch (err) {
        this.fail(err as Error);
        ws.close(1008);
      }
    });
    ws.on('close', (code) => {
      if (opened && (this.phase === 'starting' || this.phase === 'running')) {
        this.fail(new SandboxUnavailableError(`sandbox runner at ${this.socketPath} closed the connection (${code}) before ${this.file} ended`));
      }
    });
  }

  private receive(data: RawData, isBinary: boolean): void {
    const bytes = frameBytes(data);
    if (isBinary) {
      const channel = bytes[0];
      if (channel === STDOUT_CHANNEL) this.stdout.push(bytes.subarray(1));
      else if (channel === STDERR_CHANNEL) this.stderr.push(bytes.subarray(1));
      else throw new RunnerProtocolError(`output frame on unknown channel ${channel}`);
      return;
    }
    const m: RunnerMessage = parseFrame(RunnerMessageSchema, bytes.toString('utf8'));
    if (m.type === 'spawned' && this.phase === 'starting') {
      this.pid = m.pid;
      this.phase = 'running';
      this.emit('spawn');
    } else if (m.type === 'exit' && this.phase === 'running') {
      this.emit('exit', m.code, m.signal);
    } else if (m.type === 'close' && this.phase === 'running') {
      this.phase = 'ended';
      this.endStreams(() => this.emit('close', m.code, m.signal));
    } else if (m.type === 'error') {
      this.fail(new SandboxUnavailableError(`sandbox runner: ${m.message}`));
    } else {
      throw new RunnerProtocolError(`unexpected '${m.type}' frame while ${this.phase}`);
    }
  }

  /** Ends stdout and stderr; `then` runs once a stream that is being read has delivered all it had. */
  private endStreams(then: () => void): void {
    const reading = [this.stdout, this.stderr].filter((s) => s.readableFlowing === true);
    let left = reading.length;
    for (const s of reading) s.once('end', () => --left === 0 && then());
    this.stdout.push(null);
    this.stderr.push(null);
    if (left === 0) setImmediate(then);
  }

  private fail(err: Error): void {
    if (this.phase === 'ended' || this.phase === 'failed') return;
    this.phase = 'failed';
    this.endStreams(() => this.emit('error', err));
  }

  private send(data: string | Buffer, done?: (err?: Error) => void): void {
    if (this.ws.readyState === WebSocket.CONNECTING || (this.phase === 'starting' && this.ws.readyState !== WebSocket.OPEN)) this.queue.push({ data, ...(done ? { done } : {}) });
    else if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data, done);
    else done?.(); // the process is gone: what it would have read is dropped, as a closed pipe's
  }

  signalGroup(signal: NodeJS.Signals | 0): boolean {
    if (this.phase === 'failed') return false;
    if (signal === 0) return true;
    if (this.phase === 'ended') {
      if (this.pid !== undefined) void new RunnerLauncher(this.socketPath).signalGroup(this.pid, signal);
    } else {
      this.send(JSON.stringify({ type: 'signal', signal }));
    }
    return true;
  }
}

/**
 * Resolves once the runner accepts a connection on `socketPath` (retrying every 100 ms, logging every 10 s): the
 * server reports itself ready only then, so a pod whose sandbox container starts late is not Ready with a terminal
 * that fails. No deadline: until then /ready answers 503 and /alive 200.
 */
export async function waitForRunner(socketPath: string, log: { info(o: object, m: string): void }): Promise<void> {
  const started = Date.now();
  let lastLog = started;
  for (;;) {
    const reached = await new Promise<boolean>((resolve) => {
      const s = createConnection(socketPath);
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => { s.destroy(); resolve(false); });
    });
    if (reached) return;
    if (Date.now() - lastLog >= 10_000) {
      lastLog = Date.now();
      log.info({ socketPath, waitedMs: lastLog - started }, 'waiting for the sandbox runner before reporting ready');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
