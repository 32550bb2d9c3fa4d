import { describe, expect, it } from '@jest/globals';
import { withServerCredentials } from './llm-credentials.js';

const creds = { model: 'openai/gpt-4o', apiKey: 'sk-server', baseUrl: 'https://llm.internal/v1' };

describe('withServerCredentials', () => {
  it('fills model, key and endpoint for a spec without them', () => {
    expect(withServerCredentials({ llm: {} }, creds)).toEqual({ llm: { model: 'openai/gpt-4o', api_key: 'sk-server', base_url: 'https://llm.internal/v1' } });
    expect(withServerCredentials({ tools: [] }, creds)).toEqual({ tools: [], llm: { model: 'openai/gpt-4o', api_key: 'sk-server', base_url: 'https://llm.internal/v1' } });
  });

  it('treats a redacted key as absent, and keeps a key the client sent', () => {
    expect(withServerCredentials({ llm: { model: 'm', api_key: '**********' } }, creds)).toMatchObject({ llm: { api_key: 'sk-server' } });
    expect(withServerCredentials({ llm: { model: 'm', api_key: 'sk-client', base_url: 'https://x' } }, creds)).toEqual({ llm: { model: 'm', api_key: 'sk-client', base_url: 'https://x' } });
  });

  it('never sends the server key to an endpoint the client chose', () => {
    expect(withServerCredentials({ llm: { model: 'm', base_url: 'https://attacker.example/v1' } }, creds)).toEqual({ llm: { model: 'm', base_url: 'https://attacker.example/v1' } });
    expect(withServerCredentials({ llm: { model: 'm', base_url: 'https://llm.internal/v1' } }, creds)).toMatchObject({ llm: { api_key: 'sk-server' } });
    expect(withServerCredentials({ llm: { model: 'm', base_url: 'https://x' } }, { apiKey: 'k' })).toEqual({ llm: { model: 'm', base_url: 'https://x' } });
  });

  it("applies to a summarizing condenser's LLM too, and leaves non-objects for validation", () => {
    expect(withServerCredentials({ llm: { model: 'm', api_key: 'c' }, condenser: { kind: 'LLMSummarizingCondenser', llm: { model: 'm' } } }, creds))
      .toMatchObject({ condenser: { llm: { api_key: 'sk-server' } } });
    expect(withServerCredentials('gpt', creds)).toBe('gpt');
    expect(withServerCredentials({ llm: 'x' }, creds)).toEqual({ llm: 'x' });
    expect(withServerCredentials({ llm: {} }, {})).toEqual({ llm: {} });
  });
});
