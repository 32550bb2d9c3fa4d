import { describe, expect, it } from '@jest/globals';
import { parseLocation } from './cp.js';
import { UsageError } from './errors.js';

describe('cp locations', () => {
  it.each([
    ['demo:notes.md', { workspace: 'demo', path: 'notes.md' }],
    ['demo:/workspace/a:b', { workspace: 'demo', path: '/workspace/a:b' }],
    ['./demo:notes.md', { local: './demo:notes.md' }],
    ['/tmp/a:b', { local: '/tmp/a:b' }],
    ['Demo:x', { local: 'Demo:x' }],
    ['notes.md', { local: 'notes.md' }],
  ])('%s', (spec, expected) => {
    expect(parseLocation(spec)).toEqual(expected);
  });

  it('a workspace without a path is a usage error', () => {
    expect(() => parseLocation('demo:')).toThrow(UsageError);
  });
});
