// The official OpenHands Python packages (1.58.2), run from the Python 3.13 root that scripts/python-root.sh
// builds and caches outside the repository. A test hands a Python script (its stdin) and a JSON argument
// (sys.argv[1]); the script prints one JSON line last, which the test reads back.
//
// When the root is missing the parity tests are skipped with a message saying how to build it; under CI=true
// a missing root is a failure instead (scripts/test.sh builds it before the tier).
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe } from '@jest/globals';
import { ROOT } from '../support/server.js';

const SCRIPT = join(ROOT, 'scripts', 'python-root.sh');
const PYTHON = '/opt/openhands/bin/python';

/** The root's directory when it is complete, else undefined. */
export function pythonRoot(): string | undefined {
  try {
    return execFileSync('bash', [SCRIPT, 'path'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const present = pythonRoot() !== undefined;
if (!present) {
  const message = 'the Python 3.13 root with openhands 1.58.2 is missing: run `bash scripts/python-root.sh setup` (needs root)';
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`parity tests skipped: ${message}`);
}

/** `describe`, or `describe.skip` when the root is missing outside CI. */
export const describeWithPython: typeof describe.skip = present ? describe : describe.skip;

export class PythonScriptError extends Error {
  override name = 'PythonScriptError';
}

/**
 * Runs `script` with the official packages, `arg` as JSON in sys.argv[1], and returns the JSON of its last
 * stdout line. A non-zero exit is a PythonScriptError carrying its stderr.
 */
export function runPython<T = Record<string, unknown>>(script: string, arg: unknown, env: Record<string, string> = {}): Promise<T> {
  const vars = Object.entries({ OPENHANDS_SUPPRESS_BANNER: '1', ...env }).map(([k, v]) => `${k}=${v}`);
  const child = spawn('bash', [SCRIPT, 'run', ...vars, PYTHON, '-', JSON.stringify(arg)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.on('error', () => undefined); // a script that exits early closes its stdin; the exit code tells
  child.stdin.end(script);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new PythonScriptError(`python exited with ${code}:\n${stderr.slice(-4000)}`));
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new PythonScriptError(`python printed no JSON result:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
      }
    });
  });
}
