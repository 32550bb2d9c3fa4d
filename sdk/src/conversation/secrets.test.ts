import { describe, expect, it } from '@jest/globals';
import { SECRET_MASK, SecretRegistry, SecretsSchema } from './secrets.js';

describe('SecretRegistry', () => {
  it('masks values deep in objects and exposes them as env', () => {
    const r = new SecretRegistry(SecretsSchema.parse({ TOKEN: 'abc-123-xyz', OTHER: { kind: 'StaticSecret', value: 'pw-999' } }));
    r.addMaskOnly('sk-api-key-1');
    expect(r.env()).toEqual({ TOKEN: 'abc-123-xyz', OTHER: 'pw-999' });
    expect(r.maskDeep({ a: ['x abc-123-xyz y', { b: 'pw-999sk-api-key-1' }], n: 1 })).toEqual({ a: [`x ${SECRET_MASK} y`, { b: `${SECRET_MASK}${SECRET_MASK}` }], n: 1 });
    expect(JSON.stringify(r.dump())).not.toContain('pw-999');
  });

  it('rejects secret names that are not environment variable names', () => {
    expect(SecretsSchema.safeParse({ 'BAD-NAME': 'x' }).success).toBe(false);
  });
});
