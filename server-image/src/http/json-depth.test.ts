import { describe, expect, it } from '@jest/globals';
import { MAX_JSON_DEPTH, tooDeep } from './json-depth.js';

const nested = (depth: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

describe('tooDeep', () => {
  it('accepts values up to the bound and scalars', () => {
    expect(tooDeep(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(tooDeep('x')).toBeUndefined();
    expect(tooDeep(null)).toBeUndefined();
    expect(tooDeep({ a: [1, { b: 2 }], c: 'd' })).toBeUndefined();
  });

  it('names where a value goes past the bound, at any depth, without overflowing the stack', () => {
    const path = tooDeep({ ok: 1, agent: { tools: [{ params: nested(100_000) }] } });
    expect(path?.slice(0, 4)).toEqual(['agent', 'tools', 0, 'params']);
    expect(path).toHaveLength(MAX_JSON_DEPTH);
    expect(tooDeep(nested(MAX_JSON_DEPTH + 1))).toHaveLength(MAX_JSON_DEPTH);
  });
});
