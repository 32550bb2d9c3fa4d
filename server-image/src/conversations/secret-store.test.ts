import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { SECRETS_FILE, SecretStore } from './secret-store.js';

const value = { llm_api_key: 'sk-live-1234', secrets: { TOKEN: 'tok-abcdef' } };

describe('SecretStore', () => {
  it('round-trips encrypted, with nothing readable on disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-store-'));
    new SecretStore('key-one').save(dir, value);
    const raw = readFileSync(join(dir, SECRETS_FILE), 'utf8');
    expect(raw).not.toContain('sk-live-1234');
    expect(raw).not.toContain('tok-abcdef');
    expect(new SecretStore('key-one').load(dir)).toEqual(value);
  });

  it('ignores a file under another key or tampered with, and stores nothing without a key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-store-'));
    new SecretStore('key-one').save(dir, value);
    expect(new SecretStore('key-two').load(dir)).toBeUndefined();
    const none = mkdtempSync(join(tmpdir(), 'secret-store-'));
    const store = new SecretStore(undefined);
    expect(store.enabled).toBe(false);
    store.save(none, value);
    expect(store.load(none)).toBeUndefined();
    expect(() => readFileSync(join(none, SECRETS_FILE))).toThrow();
  });
});
