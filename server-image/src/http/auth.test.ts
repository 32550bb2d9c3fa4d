import { describe, expect, it } from '@jest/globals';
import { keyMatches } from './auth.js';

describe('keyMatches', () => {
  it.each([
    [['k1'], 'k1', true],
    [['k1', 'k2'], 'k2', true],
    [['k1'], 'k1 ', false],
    [['k1'], 'k', false],
    [['k1'], '', false],
    [['k1'], undefined, false],
    [[], 'k1', false],
  ])('keys %j, candidate %j → %s', (keys, candidate, expected) => {
    expect(keyMatches(keys, candidate)).toBe(expected);
  });
});
