import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LLMProfileError, LLMProfileStore } from './llm-profiles.js';

describe('LLMProfileStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'profiles-'));
  writeFileSync(join(dir, 'cheap.json'), JSON.stringify({ model: 'openai/gpt-mini', api_key: 'sk-x', usage_id: 'title', openrouter_app_name: 'OpenHands' }));
  writeFileSync(join(dir, 'broken.json'), '{');
  const store = new LLMProfileStore(dir);

  it('loads a profile by name (foo.json names foo), OpenHands-only fields left out', () => {
    expect(store.load('cheap')).toMatchObject({ model: 'openai/gpt-mini', api_key: 'sk-x', usage_id: 'title' });
    expect(store.load('cheap.json').model).toBe('openai/gpt-mini');
  });

  it.each(['missing', 'broken', '../cheap', '.hidden', ''])('%j is an LLMProfileError', (name) => {
    expect(() => store.load(name)).toThrow(LLMProfileError);
  });
});
