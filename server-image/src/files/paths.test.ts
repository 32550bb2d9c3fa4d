import { mkdirSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { toApiError } from '../http/errors.js';
import { PathPolicy, SERVER_PRIVATE_PATHS, deniedPaths } from './paths.js';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'paths-test-')));
const root = join(base, 'root');
mkdirSync(join(root, 'sub'), { recursive: true });
mkdirSync(join(base, 'outside'));
symlinkSync(join(base, 'outside'), join(root, 'link-out'));
symlinkSync(join(root, 'sub'), join(base, 'link-in'));
symlinkSync('/proc/self/environ', join(root, 'environ-link'));
symlinkSync('/proc/self', join(root, 'proc-link'));

async function status(policy: PathPolicy, query: unknown): Promise<number | string> {
  try {
    return await policy.fromQuery(query);
  } catch (err) {
    return toApiError(err)?.status ?? 'unmapped';
  }
}

describe('PathPolicy', () => {
  const open = new PathPolicy([]);
  const confined = new PathPolicy([root]);

  it.each([
    [{ path: '/a/b/../c' }, '/a/c'],
    [{ path: 'relative' }, 400],
    [{ path: './x' }, 400],
    [{ path: '/a\0b' }, 400],
    [{}, 422],
    [{ path: ['/a', '/b'] }, 422],
  ])('without roots %j → %s', async (query, expected) => {
    expect(await status(open, query)).toBe(expected);
  });

  it.each([
    [join(root, 'sub', 'new', 'file.txt'), join(root, 'sub', 'new', 'file.txt')],
    [root, root],
    [join(root, '..', 'outside', 'x'), 403],
    [join(root, 'link-out', 'x'), 403],
    [join(base, 'link-in', 'x'), join(root, 'sub', 'x')],
    [root + '-sibling', 403],
    ['/etc/passwd', 403],
  ])('with roots %s → %s', async (path, expected) => {
    expect(await status(confined, { path })).toBe(expected);
  });

  describe('with the server\'s private places denied (the sandbox mode)', () => {
    const sandboxed = new PathPolicy([], deniedPaths({ sandboxSocket: '/run/sandbox/runner.sock' }));

    it('denies them only in the sandbox mode', () => {
      expect(deniedPaths({})).toEqual([]);
      expect(sandboxed.denied).toEqual(SERVER_PRIVATE_PATHS);
    });

    it.each([
      [join(root, 'environ-link'), 403],
      [join(root, 'proc-link', 'environ'), 403],
      ['/proc/self/environ', 403],
      ['/proc', 403],
      ['/sys/kernel', 403],
      ['/var/run/secrets/kubernetes.io/serviceaccount/token', 403],
      ['/procfs-lookalike', '/procfs-lookalike'],
      [join(root, 'sub', 'x'), join(root, 'sub', 'x')],
    ])('%s → %s', async (path, expected) => {
      expect(await status(sandboxed, { path })).toBe(expected);
    });

    it('names the path asked for and where it leads', async () => {
      await expect(sandboxed.check(join(root, 'environ-link'))).rejects.toThrow(
        new RegExp(`^Path ${join(root, 'environ-link')} resolves to /proc/\\d+/environ, inside /proc: this server does not serve its own /proc$`),
      );
      await expect(confined.check(join(root, 'environ-link'))).rejects.toThrow('Path is outside the allowed roots');
    });
  });
});
