// Runs bash commands outside any conversation (OpenHands `/api/bash`), records their events and fans
// them out to subscribers (the bash WebSocket).
//
// Each command runs as `bash -c` (or `sh -c` where bash is absent) in its own process group, so a
// timeout can signal the whole group: SIGTERM, then SIGKILL after the grace period; exit_code is then -1.
// Output becomes BashOutput chunks of at most `chunkBytes` (1 MiB, the protocol's bound), published when
// a chunk fills and at exit (the last chunk carries exit_code), as the OpenHands server persists them: a
// command printing less than a chunk has one BashOutput. With `flushMs` set, output that has waited that
// long is published too (subscribers see a running command's output, in more events than OpenHands').
// Memory per command is bounded by about two chunks per stream; disk by `maxOutputBytes`, past which the
// command is killed. stop() ends a command early, as a timeout does.
import { existsSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { localLauncher, type LaunchedProcess, type ProcessLauncher } from '@agentworkspace/sdk';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import {
  type BashCommand, type BashEvent, type BashOutput, type ExecuteBashRequest, fileStampFromMicros, hexId, isoFromMicros, nowMicros,
} from './events.js';
import type { BashEventStore } from './store.js';

export interface BashServiceOptions {
  store: BashEventStore;
  log: Logger;
  metrics?: Metrics;
  /** Most bytes in one BashOutput's stdout or stderr. */
  chunkBytes: number;
  /** Output bytes kept per command; more kills the command. */
  maxOutputBytes: number;
  /** Pending output is published after this many ms. 0: only on full chunks and at exit. */
  flushMs: number;
  /** Delay between SIGTERM and SIGKILL. */
  killGraceMs: number;
  /** Environment of the commands (the caller removes secrets). */
  env: Record<string, string | undefined>;
  /** Working directory when a request gives none. */
  defaultCwd: string;
  /** Starts the commands (in the sandbox container, with OH_SANDBOX_SOCKET). Default: local child processes. */
  launcher?: ProcessLauncher;
  /** Events older than this many seconds are deleted periodically; null keeps them. */
  retentionSeconds?: number | null;
}

export type BashListener = (event: BashEvent) => void;

/** Thrown by subscribe() when the subscriber limit is reached. */
export class TooManySubscribersError extends Error {
  override name = 'TooManySubscribersError';
}

/** Thrown by start() once shutdown has begun. */
export class ShuttingDownError extends Error {
  override name = 'ShuttingDownError';
}

const MAX_SUBSCRIBERS = 50;
/** Chunks of one command queued for disk before its pipes stop being read. */
const MAX_IN_FLIGHT = 2;
/** A command running this long gets its 'bash command started' log line. */
const STARTED_LOG_MS = 1000;
type Outcome = 'exited' | 'timeout' | 'output_limit' | 'error' | 'shutdown' | 'stopped';

interface Running {
  kill(reason: Outcome): void;
  finished: Promise<BashOutput>;
}

interface StreamState {
  decoder: StringDecoder;
  pending: string;
  pendingBytes: number;
}

/** Splits `text` so the head is at most `maxBytes` of UTF-8 and ends on a character boundary. */
function cutUtf8(text: string, maxBytes: number): [string, string] {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return [text, ''];
  let cut = maxBytes;
  while (cut > 0 && ((buf[cut] as number) & 0xc0) === 0x80) cut--;
  return [buf.subarray(0, cut).toString('utf8'), buf.subarray(cut).toString('utf8')];
}

export class BashService {
  private readonly listeners = new Set<BashListener>();
  private readonly running = new Map<string, Running>();
  private accepting = true;
  private readonly shell = existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';

  private retentionTimer: NodeJS.Timeout | undefined;
  private publishing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: BashServiceOptions) {
    const retention = opts.retentionSeconds;
    if (retention) {
      const sweep = () => void this.deleteExpired(retention).catch((err: unknown) => opts.log.warn({ err }, 'bash event retention sweep failed'));
      sweep();
      this.retentionTimer = setInterval(sweep, Math.max(60, retention / 2) * 1000);
      this.retentionTimer.unref();
    }
  }

  /** Deletes events recorded more than `seconds` ago; returns how many. */
  async deleteExpired(seconds: number): Promise<number> {
    const cutoff = fileStampFromMicros(nowMicros() - BigInt(Math.round(seconds * 1e6)));
    const count = await this.opts.store.deleteBefore(cutoff);
    if (count) this.opts.log.info({ count }, 'bash events past retention deleted');
    return count;
  }

  get store(): BashEventStore {
    return this.opts.store;
  }

  get runningCount(): number {
    return this.running.size;
  }

  /**
   * Stops a running command (SIGTERM to its group, SIGKILL after the grace period) and resolves once its last
   * BashOutput is recorded; its exit code is then minus the signal's number. False when `commandId` (hex) is not
   * running.
   */
  async stop(commandId: string): Promise<boolean> {
    const running = this.running.get(commandId);
    if (!running) return false;
    running.kill('stopped');
    await running.finished;
    return true;
  }

  /** Registers a listener for every event from now on; returns the unsubscribe function. */
  subscribe(listener: BashListener): () => void {
    if (this.listeners.size >= MAX_SUBSCRIBERS) throw new TooManySubscribersError('Too many bash event connections');
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Records the event, then hands it to the listeners. Events are recorded one at a time in the order they were
   * created, which is the order of their file names: the store is an append-only log that socket readers follow
   * with a cursor (a file name), so an event can never appear behind a cursor that has passed it.
   */
  private publish(event: BashEvent): Promise<void> {
    const done = this.publishing.then(async () => {
      await this.opts.store.save(event);
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (err) {
          this.opts.log.warn({ err }, 'bash event listener failed');
        }
      }
    });
    this.publishing = done.catch(() => undefined);
    return done;
  }

  /** Records and publishes the BashCommand, starts it, and returns it with a promise of its last output. */
  async start(request: ExecuteBashRequest): Promise<{ command: BashCommand; finished: Promise<BashOutput>; whole: Promise<BashOutput> }> {
    if (!this.accepting) throw new ShuttingDownError('Server is shutting down');
    const command: BashCommand = {
      kind: 'BashCommand', id: hexId(), timestamp: isoFromMicros(nowMicros()),
      command: request.command, cwd: request.cwd ?? null, timeout: request.timeout,
    };
    // The process is launched before its BashCommand is written, and the write runs while the process starts (the
    // launch hands the spawn to the runner, or forks: either way the write no longer waits in line before it). Order
    // is kept: every BashOutput of the command is published after the BashCommand (publish() is one queue), and
    // the answer (start_bash_command's BashCommand, execute_bash_command's last BashOutput) is sent only once the
    // BashCommand is recorded. Should it fail to be recorded, the command is stopped and the request fails, as
    // before, except that the process may have run for the time the write took.
    const recorded = this.publish(command);
    const { finished, whole, kill } = this.run(command);
    try {
      await recorded;
    } catch (err) {
      kill('error');
      throw err;
    }
    return { command, finished, whole };
  }

  /**
   * Runs a command to completion. Returns its last BashOutput; when the command's whole output fits in
   * one chunk, that event carries all of it (as the OpenHands server's single final chunk would), even
   * if it was also streamed in smaller events while the command ran.
   */
  async execute(request: ExecuteBashRequest): Promise<BashOutput> {
    const { whole } = await this.start(request);
    return whole;
  }

  private run(command: BashCommand): { finished: Promise<BashOutput>; whole: Promise<BashOutput>; kill: (reason: Outcome) => void } {
    const { chunkBytes, maxOutputBytes, flushMs, killGraceMs, log, metrics } = this.opts;
    let order = 0;
    // Backpressure: while MAX_IN_FLIGHT chunks wait to be written, the command's pipes are not read, so
    // a command that prints faster than the disk takes it blocks instead of filling memory.
    const pipes: NodeJS.ReadableStream[] = [];
    let inFlight = 0;
    let paused = false;
    const emit = (stdout: string | null, stderr: string | null, exitCode: number | null): Promise<BashOutput> => {
      const event: BashOutput = {
        kind: 'BashOutput', id: hexId(), timestamp: isoFromMicros(nowMicros()), command_id: command.id,
        order: order++, exit_code: exitCode, stdout: stdout || null, stderr: stderr || null,
      };
      inFlight++;
      if (inFlight >= MAX_IN_FLIGHT && !paused) {
        paused = true;
        for (const pipe of pipes) pipe.pause();
      }
      // Never rejects: a chunk that could not be recorded is logged, and the command goes on.
      const recorded = this.publish(event).catch((err: unknown) => log.error({ err, commandId: command.id }, 'could not record bash output'));
      void recorded.then(() => {
        inFlight--;
        if (paused && inFlight < MAX_IN_FLIGHT) {
          paused = false;
          for (const pipe of pipes) pipe.resume();
        }
      });
      return recorded.then(() => event);
    };

    // Everything the command printed, while it fits in one chunk: the answer of execute().
    const whole = { stdout: '', stderr: '', bytes: 0, overflow: false };
    const streams: Record<'stdout' | 'stderr', StreamState> = {
      stdout: { decoder: new StringDecoder('utf8'), pending: '', pendingBytes: 0 },
      stderr: { decoder: new StringDecoder('utf8'), pending: '', pendingBytes: 0 },
    };
    let keptBytes = 0;
    let outcome: Outcome = 'exited';
    let flushTimer: NodeJS.Timeout | undefined;
    let settle!: (event: BashOutput) => void;
    let settleWhole!: (event: BashOutput) => void;
    const finished = new Promise<BashOutput>((resolve) => (settle = resolve));
    const wholePromise = new Promise<BashOutput>((resolve) => (settleWhole = resolve));
    let killTimer: NodeJS.Timeout | undefined;
    let pipesTimer: NodeJS.Timeout | undefined;
    /** Set once the command is being killed; resolves when its group has been sent SIGKILL. */
    let groupKilled: Promise<void> | undefined;
    let child: LaunchedProcess | undefined;
    let done = false;

    /** Signals the command's process group; false when the group has no member left. */
    const signalGroup = (signal: NodeJS.Signals | 0): boolean => child?.signalGroup(signal) ?? false;
    const kill = (reason: Outcome) => {
      if (groupKilled || done) return;
      outcome = reason;
      signalGroup('SIGTERM');
      // The SIGKILL is sent whatever the pipes do: members that ignore SIGTERM and do not hold the pipes
      // outlive the shell, and finish() waits for this before the last event is recorded.
      groupKilled = new Promise((resolve) => (killTimer = setTimeout(() => {
        signalGroup('SIGKILL');
        resolve();
        // A process that left the group (setsid) may still hold the pipes: stop waiting for them.
        pipesTimer = setTimeout(() => {
          for (const pipe of pipes) (pipe as NodeJS.ReadableStream & { destroy(): void }).destroy();
        }, killGraceMs);
        pipesTimer.unref();
      }, killGraceMs)));
    };

    const flushPending = () => {
      flushTimer = undefined;
      const out = streams.stdout.pending;
      const err = streams.stderr.pending;
      if (!out && !err) return;
      streams.stdout.pending = ''; streams.stdout.pendingBytes = 0;
      streams.stderr.pending = ''; streams.stderr.pendingBytes = 0;
      void emit(out, err, null);
    };

    const finish = async (exitCode: number, note?: string) => {
      if (done) return;
      done = true;
      if (flushTimer) clearTimeout(flushTimer);
      if (timeoutTimer) clearTimeout(timeoutTimer);
      clearTimeout(startedLog);
      if (groupKilled && signalGroup(0)) await groupKilled;
      clearTimeout(killTimer); // once the group is gone its id may be reused: never signal it again
      clearTimeout(pipesTimer);
      for (const name of ['stdout', 'stderr'] as const) {
        const rest = streams[name].decoder.end();
        if (rest) append(name, rest, false);
      }
      let stderr = streams.stderr.pending;
      if (note) {
        stderr += (stderr && !stderr.endsWith('\n') ? '\n' : '') + note;
        if (!whole.overflow) whole.stderr += (whole.stderr && !whole.stderr.endsWith('\n') ? '\n' : '') + note;
      }
      const last = await emit(streams.stdout.pending, stderr, exitCode);
      this.running.delete(command.id);
      metrics?.bashRunning.dec();
      metrics?.bashCommands.inc({ outcome });
      log.info({ commandId: command.id, pid: child?.pid, exitCode, outcome }, 'bash command finished');
      settle(last);
      const fits = !whole.overflow && Buffer.byteLength(whole.stdout) <= chunkBytes && Buffer.byteLength(whole.stderr) <= chunkBytes;
      settleWhole(fits ? { ...last, stdout: whole.stdout || null, stderr: whole.stderr || null } : last);
    };

    const append = (name: 'stdout' | 'stderr', text: string, scheduleFlush: boolean) => {
      const state = streams[name];
      state.pending += text;
      state.pendingBytes += Buffer.byteLength(text);
      if (!whole.overflow) {
        whole[name] += text;
        whole.bytes += Buffer.byteLength(text);
        if (whole.bytes > 2 * chunkBytes) {
          whole.overflow = true;
          whole.stdout = '';
          whole.stderr = '';
        }
      }
      while (state.pendingBytes >= chunkBytes) {
        const [head, rest] = cutUtf8(state.pending, chunkBytes);
        state.pending = rest;
        state.pendingBytes = Buffer.byteLength(rest);
        void emit(name === 'stdout' ? head : null, name === 'stderr' ? head : null, null);
      }
      if (scheduleFlush && flushMs > 0 && !flushTimer && (streams.stdout.pending || streams.stderr.pending)) {
        flushTimer = setTimeout(flushPending, flushMs);
      }
    };

    let timeoutTimer: NodeJS.Timeout | undefined;
    let startedLog: NodeJS.Timeout | undefined;
    metrics?.bashRunning.inc();
    this.running.set(command.id, { kill, finished });

    const cwd = command.cwd ?? this.opts.defaultCwd;
    void (async () => {
      try {
        // Synchronously: one stat of a local directory takes microseconds, where an asynchronous one waited a
        // thread-pool round trip before every launch; and so the launch happens within start(), before any write.
        if (!statSync(cwd).isDirectory()) throw new Error(`cwd is not a directory: ${cwd}`);
      } catch (err) {
        outcome = 'error';
        const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `cwd does not exist: ${cwd}` : (err as Error).message;
        await finish(-1, `Error executing command: ${reason}`);
        return;
      }
      if (!this.accepting) {
        outcome = 'shutdown';
        await finish(-1, 'Error executing command: server is shutting down');
        return;
      }
      try {
        child = (this.opts.launcher ?? localLauncher).launch(this.shell, ['-c', command.command], { cwd, env: this.opts.env });
      } catch (err) {
        // Refused synchronously (E2BIG, an invalid argument): the request schema should have caught it.
        outcome = 'error';
        await finish(-1, `Error executing command: ${(err as Error).message}`);
        return;
      }
      if (groupKilled) signalGroup('SIGTERM'); // stopped while it was being spawned
      // One log line per command on the hot path ('bash command finished', with the pid): a command still running
      // after STARTED_LOG_MS is logged as started then, so a long one is still visible while it runs.
      startedLog = setTimeout(() => log.info({ commandId: command.id, pid: child?.pid, timeout: command.timeout }, 'bash command started'), STARTED_LOG_MS);
      startedLog.unref();
      timeoutTimer = setTimeout(() => kill('timeout'), Math.max(0, command.timeout) * 1000);

      const onData = (name: 'stdout' | 'stderr') => (buf: Buffer) => {
        if (keptBytes >= maxOutputBytes) {
          kill('output_limit'); // more than the limit: drop the rest and end the command
          return;
        }
        if (keptBytes + buf.length > maxOutputBytes) {
          buf = buf.subarray(0, maxOutputBytes - keptBytes);
          kill('output_limit');
        }
        keptBytes += buf.length;
        append(name, streams[name].decoder.write(buf), true);
      };
      child.stdout.on('data', onData('stdout'));
      child.stderr.on('data', onData('stderr'));
      pipes.push(child.stdout, child.stderr);

      child.on('error', (err: Error) => {
        outcome = 'error';
        void finish(-1, `Error executing command: ${err.message}`);
      });
      child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
        // A background process that kept the pipes open is gone too once the group was killed.
        if (outcome === 'timeout') void finish(-1, `Command timed out after ${command.timeout} seconds`);
        else if (outcome === 'output_limit') void finish(-1, `Command output exceeded ${maxOutputBytes} bytes; command killed`);
        else if (outcome === 'shutdown') void finish(-1, 'Command killed: server shutting down');
        // Killed by a signal it did not get from us: minus the signal number, as Python's returncode.
        else void finish(code ?? (signal ? -(osConstants.signals[signal] ?? 1) : 0));
      });
    })().catch((err: unknown) => {
      log.error({ err, commandId: command.id }, 'bash command failed');
      outcome = 'error';
      void finish(-1, 'Error executing command: internal error');
    });

    return { finished, whole: wholePromise, kill };
  }

  /**
   * Stops accepting commands, lets running ones finish for up to `graceMs`, then kills the rest
   * (SIGTERM, then SIGKILL) and waits until their last events are recorded.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.accepting = false;
    clearInterval(this.retentionTimer);
    const all = () => [...this.running.values()];
    if (all().length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all(all().map((r) => r.finished)), grace]);
    clearTimeout(timer);
    const rest = all();
    for (const r of rest) r.kill('shutdown');
    await Promise.all(rest.map((r) => r.finished));
  }
}
