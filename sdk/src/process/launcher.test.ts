import { describe, expect, it } from '@jest/globals';
import { tmpdir } from 'node:os';
import { localLauncher, type LaunchedProcess } from './launcher.js';

function ended(p: LaunchedProcess): Promise<{ out: string; code: number | null; signal: string | null }> {
  let out = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  p.stderr.resume();
  return new Promise((resolve, reject) => {
    p.on('error', reject);
    p.on('close', (code: number | null, signal: string | null) => resolve({ out, code, signal }));
  });
}

describe('localLauncher', () => {
  it('runs with exactly the given environment and working directory, stdin /dev/null by default', async () => {
    const p = localLauncher.launch('/bin/sh', ['-c', 'echo "$PWD ${ONLY-} ${HOME-unset}"; cat; exit 4'], { cwd: tmpdir(), env: { ONLY: 'given' } });
    expect(p.stdin).toBeNull();
    expect(await ended(p)).toEqual({ out: `${tmpdir()} given unset\n`, code: 4, signal: null });
  });

  it('pipes stdin when asked, and signals the whole group; a gone group answers false', async () => {
    const p = localLauncher.launch('/bin/sh', ['-c', 'read line; echo "got $line"; sleep 1000 & wait'], { cwd: tmpdir(), env: {}, stdin: true });
    const result = ended(p);
    let seen = '';
    p.stdout.on('data', (d: string) => (seen += d));
    p.stdin!.write('hello\n');
    while (!seen.includes('got hello')) await new Promise((r) => setTimeout(r, 10));
    expect(p.signalGroup('SIGTERM')).toBe(true);
    expect(await result).toMatchObject({ out: 'got hello\n', code: null, signal: 'SIGTERM' });
    // The background sleep was in the group too: once it is gone, nothing is left to signal.
    while (p.signalGroup(0)) await new Promise((r) => setTimeout(r, 10));
    expect(p.signalGroup('SIGKILL')).toBe(false);
  });

  it('reports a program that cannot start as an error event', async () => {
    const p = localLauncher.launch('/no/such/program', [], { cwd: tmpdir(), env: {} });
    await expect(new Promise((_resolve, reject) => p.on('error', reject))).rejects.toThrow(/ENOENT/);
    expect(p.signalGroup('SIGTERM')).toBe(false);
  });
});
