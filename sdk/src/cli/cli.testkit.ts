// Runs agentws in-process (runCli) with captured output and a private config directory and HOME (so no
// ~/.kube/config is found unless a test gives one).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runCli } from './program.js';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** A stream that collects what is written (not a terminal unless `tty`). */
export function captureStream(tty = false): Writable & { text: string; isTTY: boolean } {
  const stream = Object.assign(new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      stream.text += chunk.toString();
      done();
    },
  }), { text: '', isTTY: tty });
  return stream;
}

/** A fresh HOME (and XDG_CONFIG_HOME under it) for one test's config file. */
export function freshEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'agentws-home-'));
  return { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), ...extra };
}

export async function agentws(argv: string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): Promise<Captured> {
  const stdout = captureStream();
  const stderr = captureStream();
  const code = await runCli(argv, { stdout, stderr, env, cwd });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
