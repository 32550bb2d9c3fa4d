import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '../log.js';
import { BashService, ShuttingDownError } from './service.js';
import { BashEventStore } from './store.js';

const dirs: string[] = [];
function service(extra: { retentionSeconds?: number | null } = {}, existing?: string) {
  const dir = existing ?? mkdtempSync(join(tmpdir(), 'bash-service-test-'));
  dirs.push(dir);
  const log = createLogger('silent', new Writable({ write(_c, _e, cb) { cb(); } }));
  const bash = new BashService({
    store: new BashEventStore(join(dir, 'events')), log, chunkBytes: 1024, maxOutputBytes: 1 << 20, flushMs: 0,
    killGraceMs: 100, env: { PATH: process.env.PATH }, defaultCwd: dir, ...extra,
  });
  return { bash, dir };
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('BashService', () => {
  it('deletes events past the retention period and keeps newer ones', async () => {
    const { bash, dir } = service();
    await bash.execute({ command: 'echo one', timeout: 10 });
    expect(readdirSync(join(dir, 'events'))).toHaveLength(2);
    expect(await bash.deleteExpired(3600)).toBe(0);
    expect(await bash.deleteExpired(0)).toBe(2);
    expect(readdirSync(join(dir, 'events'))).toEqual([]);
    await bash.shutdown(0);
  });

  it('sweeps at start when a retention is configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bash-service-test-'));
    dirs.push(dir);
    const events = join(dir, 'events');
    mkdirSync(events);
    const old = `20200101000000000000_BashCommand_${'a'.repeat(32)}`;
    writeFileSync(join(events, old), JSON.stringify({ kind: 'BashCommand', id: 'a'.repeat(32), timestamp: '2020-01-01T00:00:00.000000Z', command: 'x', cwd: null, timeout: 1 }));
    const { bash } = service({ retentionSeconds: 3600 }, dir);
    await bash.execute({ command: 'echo new', timeout: 10 });
    const { waitFor } = await import('../../../test/support/wait.js');
    await waitFor(() => !readdirSync(events).includes(old), 'the start-up sweep');
    expect(readdirSync(events)).toHaveLength(2);
    await bash.shutdown(0);
  });

  it('refuses new commands once shutdown begins and kills running ones after the grace period', async () => {
    const { bash } = service();
    const { finished } = await bash.start({ command: 'sleep 600', timeout: 1000 });
    await bash.shutdown(50);
    expect((await finished).exit_code).toBe(-1);
    await expect(bash.start({ command: 'true', timeout: 1 })).rejects.toThrow(ShuttingDownError);
  });
});
