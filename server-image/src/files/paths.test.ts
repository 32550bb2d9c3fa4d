import { mkdirSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { toApiError } from '../http/errors.js';
import { PathPolicy } from './paths.js';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'paths-test-')));
const root = join(base, 'root');
mkdirSync(join(root, 'sub'), { recursive: true });
mkdirSync(join(base, 'outside'));
symlinkSync(join(base, 'outside'), join(root, 'link-out'));
symlinkSync(join(root, 'sub'), join(base, 'link-in'));

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
});
