import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { localLauncher, type LaunchedProcess, type ProcessLauncher } from '../../process/launcher.js';

/** Output held for one read at most; beyond it control returns to the agent while the command goes on. */
const RETURN_AT_CHARS = 2_000_000;
/** Output held at most while nobody reads; older output is dropped. */
const KEEP_MAX_CHARS = 8_000_000;

export interface ShellSessionOptions {
  cwd: string;
  /** The shell's whole environment before `env` is added. Default: this process's environment. */
  baseEnv?: Record<string, string | undefined>;
  /** Added to the environment (the conversation's secrets). */
  env?: Record<string, string>;
  /** Return control when a command prints nothing new for this long (ms). Default 30 000. */
  noChangeTimeoutMs?: number;
  /** Output longer than this (characters) is cut in the middle for the model. Default 30 000. */
  maxOutputChars?: number;
  /** Where the full output of a cut command is saved. */
  saveDir: string;
  /** Starts the shell. Default: a local child process. */
  launcher?: ProcessLauncher;
}

export interface CommandResult {
  output: string;
  /** -1 while the command still runs (returned on a timeout). */
  exitCode: number;
  /** True when a timeout returned control before the command ended. */
  timedOut: boolean;
  /** Why control came back early, for the model. */
  note: string | null;
  workingDir: string;
  /** `command -v python` after the last finished command ("" when there is none), as OpenHands' PS1 reports it. */
  pythonPath: string;
  pid: number;
  fullOutputPath: string | null;
}

/**
 * A long-lived bash process: cwd and environment persist between commands.
 *
 * Protocol: each command is sent as one line `__oh_run <base64>`; the function evals it and prints a marker line
 * `__OH_DONE_<nonce>__ <exit code> <python>\x1f<cwd>` (`python`: `command -v python`, as OpenHands' PS1). Because bash reads its script from the pipe one byte at a time and the
 * whole command is one line, anything written later (`is_input`) reaches the running program, not bash.
 * bash leads its own process group, so C-c is SIGINT to the group: the foreground program dies, and bash's INT trap
 * (a trap, unlike an ignore, is not inherited) returns 130 from the function running the command, which abandons the
 * rest of the command line as an interactive shell would, while the shell itself and its state survive.
 */
export class ShellSession {
  private proc: (LaunchedProcess & { stdin: NonNullable<LaunchedProcess['stdin']> }) | null = null;
  private pending = '';
  /** Characters of the current command's output discarded because nobody read them in time. */
  private dropped = 0;
  private nonce = '';
  private running = false;
  private exited: number | null = null;
  private cwd: string;
  private pythonPath = '';
  private wake: (() => void) | null = null;
  private readonly noChangeMs: number;
  private readonly maxChars: number;

  constructor(private readonly opts: ShellSessionOptions) {
    this.cwd = opts.cwd;
    this.noChangeMs = opts.noChangeTimeoutMs ?? 30_000;
    this.maxChars = opts.maxOutputChars ?? 30_000;
  }

  get isRunning(): boolean {
    return this.running;
  }

  get pid(): number {
    return this.proc?.pid ?? -1;
  }

  private start(): void {
    this.nonce = randomBytes(8).toString('hex');
    this.pending = '';
    this.running = false;
    this.exited = null;
    const proc = (this.opts.launcher ?? localLauncher).launch('bash', ['--norc', '--noprofile'], {
      cwd: this.cwd,
      env: { ...(this.opts.baseEnv ?? process.env), ...this.opts.env, PS1: '', PS2: '', TERM: 'dumb', PAGER: 'cat', GIT_PAGER: 'cat' },
      stdin: true,
    }) as LaunchedProcess & { stdin: NonNullable<LaunchedProcess['stdin']> };
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    const onData = (d: string) => {
      this.pending += d;
      // A runaway command (`yes`) must not exhaust memory while nobody reads: keep the newest part only.
      if (this.pending.length > KEEP_MAX_CHARS) {
        this.dropped += this.pending.length - KEEP_MAX_CHARS / 2;
        this.pending = this.pending.slice(this.pending.length - KEEP_MAX_CHARS / 2);
      }
      this.wake?.();
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.stdin.on('error', () => {});
    proc.on('exit', (code: number | null, signal: NodeJS.Signals | null) => { this.exited = code ?? (signal ? 128 : 1); this.wake?.(); });
    // Not started (bash missing, the sandbox unreachable): the next command reports it and tries a new shell.
    proc.on('error', (err: Error) => { this.pending += `${err.message}\n`; this.exited = 127; this.wake?.(); });
    proc.stdin.write(
      `exec 2>&1\n` +
        `trap 'return 130 2>/dev/null' INT\n` +
        `__oh_body() { eval "$1"; }\n` +
        `__oh_run() { __oh_body "$(printf '%s' "$1" | base64 -d)"; __oh_ec=$?; printf '\\n__OH_DONE_${this.nonce}__ %s %s\\037%s\\n' "$__oh_ec" "$(command -v python || echo "")" "$PWD"; }\n`,
    );
    this.proc = proc;
  }

  private ensure(): NonNullable<ShellSession['proc']> {
    if (!this.proc || this.exited !== null) this.start();
    return this.proc!;
  }

  /** Starts `command`; resolves when it ends or a timeout returns control (it then keeps running). */
  async execute(command: string, opts: { timeoutMs?: number | null; signal?: AbortSignal } = {}): Promise<CommandResult> {
    if (this.running) throw new Error('a command is still running');
    const proc = this.ensure();
    this.pending = '';
    this.dropped = 0;
    this.running = true;
    proc.stdin.write(`__oh_run ${Buffer.from(command, 'utf8').toString('base64')}\n`);
    return this.collect(opts);
  }

  /** Waits for more output of the running command. */
  async readMore(opts: { timeoutMs?: number | null; signal?: AbortSignal } = {}): Promise<CommandResult> {
    return this.collect(opts);
  }

  /** Sends text (plus newline) to the running program's stdin, then collects output. */
  async sendInput(input: string, opts: { timeoutMs?: number | null; signal?: AbortSignal } = {}): Promise<CommandResult> {
    this.proc?.stdin.write(`${input}\n`);
    return this.collect(opts);
  }

  /** C-c: SIGINT to the shell's process group; resolves when the foreground program has ended (or timed out). */
  async interrupt(opts: { timeoutMs?: number | null; signal?: AbortSignal } = {}): Promise<CommandResult> {
    this.sigint();
    return this.collect({ timeoutMs: opts.timeoutMs ?? 10_000 });
  }

  private sigint(): void {
    if (this.proc && this.exited === null) this.proc.signalGroup('SIGINT');
  }

  private async collect(opts: { timeoutMs?: number | null; signal?: AbortSignal }): Promise<CommandResult> {
    let started = Date.now();
    let interrupts = 0;
    let lastChange = Date.now();
    let seen = this.pending.length;
    const markerRe = new RegExp(`\\n?__OH_DONE_${this.nonce}__ (\\d+) ([^\\n\\x1f]*)\\x1f([^\\n]*)\\n`);
    for (;;) {
      const m = markerRe.exec(this.pending);
      if (m) {
        const output = this.pending.slice(0, m.index);
        this.pending = this.pending.slice(m.index + m[0].length);
        this.running = false;
        this.pythonPath = m[2] ?? '';
        this.cwd = m[3] ?? this.cwd;
        return this.result(output, Number(m[1]), false, null);
      }
      if (this.exited !== null) {
        const output = this.pending;
        this.pending = '';
        this.running = false;
        return this.result(output, this.exited, false, `[The shell exited with code ${this.exited}; a new session starts with the next command.]`);
      }
      if (opts.signal?.aborted) {
        // Interrupted: C-c now, and again each second (a C-c that lands before bash starts the command is lost).
        this.sigint();
        interrupts++;
        opts = { timeoutMs: 1_000 };
        started = Date.now();
        continue;
      }
      if (this.pending.length !== seen) { seen = this.pending.length; lastChange = Date.now(); }
      if (this.pending.length >= RETURN_AT_CHARS) {
        const output = this.pending;
        this.pending = '';
        return this.result(output, -1, true, `[The command has printed over ${RETURN_AT_CHARS} characters and is still running. Send an empty command to see more output, or C-c with is_input=true to interrupt it.]`);
      }
      const now = Date.now();
      const hard = opts.timeoutMs != null ? started + opts.timeoutMs - now : Infinity;
      const soft = opts.timeoutMs == null ? lastChange + this.noChangeMs - now : Infinity;
      if (hard <= 0 && interrupts > 0 && interrupts < 5) {
        this.sigint();
        interrupts++;
        started = Date.now();
        continue;
      }
      if (hard <= 0 || soft <= 0) {
        const output = this.pending;
        this.pending = '';
        const note = hard <= 0
          ? `[The command timed out after ${(opts.timeoutMs ?? 0) / 1000} seconds. It is still running: send an empty command to see more output, text with is_input=true to feed it, or C-c with is_input=true to interrupt it.]`
          : `[The command has no new output after ${this.noChangeMs / 1000} seconds. You may wait longer to see additional output by sending empty command '', send other commands to interact with the current process, send keys ("C-c", "C-z", "C-d") to interrupt/kill the previous command before sending your new command, or use the timeout parameter in terminal for future commands.]`;
        return this.result(output, -1, true, note);
      }
      await this.waitForChange(Math.min(hard, soft), opts.signal);
    }
  }

  private waitForChange(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(t); signal?.removeEventListener('abort', done); this.wake = null; resolve(); };
      const t = setTimeout(done, Math.max(1, Math.min(ms, 2 ** 31 - 1)));
      signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  private result(raw: string, exitCode: number, timedOut: boolean, note: string | null): CommandResult {
    if (this.dropped > 0) {
      raw = `[... ${this.dropped} earlier characters of output were discarded ...]\n${raw}`;
      this.dropped = 0;
    }
    let output = raw;
    let fullOutputPath: string | null = null;
    if (raw.length > this.maxChars) {
      mkdirSync(this.opts.saveDir, { recursive: true });
      // As OpenHands: named by the content's hash, written once.
      fullOutputPath = join(this.opts.saveDir, `terminal_output_${createHash('sha256').update(raw).digest('hex').slice(0, 8)}.txt`);
      if (!existsSync(fullOutputPath)) writeFileSync(fullOutputPath, raw);
      const half = Math.floor(this.maxChars / 2);
      output = `${raw.slice(0, half)}\n[... Observation truncated due to length: ${raw.length - 2 * half} characters omitted. The full output (${raw.length} characters) is saved to ${fullOutputPath} ...]\n${raw.slice(raw.length - half)}`;
    }
    return { output, exitCode, timedOut, note, workingDir: this.cwd, pythonPath: this.pythonPath, pid: this.pid, fullOutputPath };
  }

  /** Kills the shell and everything it started. */
  async close(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    this.running = false;
    if (!proc || this.exited !== null) return;
    const gone = new Promise<void>((r) => { proc.once('exit', () => r()); proc.once('error', () => r()); });
    proc.signalGroup('SIGKILL');
    await gone;
  }

  /** A fresh shell in the workspace directory. */
  async reset(): Promise<void> {
    await this.close();
    this.cwd = this.opts.cwd;
  }

  static identity(): { username: string | null; hostname: string } {
    let username: string | null = null;
    try { username = userInfo().username; } catch { /* no passwd entry */ }
    return { username, hostname: hostname() };
  }
}
