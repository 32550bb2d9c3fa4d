import { describe, it, expect } from '@jest/globals';
import { loadConfig } from '../config.js';
import { initializedConfig } from './init-router.js';

describe('initializedConfig', () => {
  it('takes the session keys, paths and the LLM settings of the delivered env; leaves the rest', () => {
    const base = loadConfig({ env: { OH_DEFERRED_INIT: '1', OH_SECRET_KEY: 'init', LLM_MODEL: 'dormant/model' } });
    const config = initializedConfig(base, {
      session_api_keys: ['user'], conversations_path: 'c', env: { LLM_MODEL: 'openai/x', LLM_API_KEY: 'sk-user', LLM_BASE_URL: 'http://llm/v1', OTHER: '1' },
    }, '/srv');
    expect(config).toMatchObject({
      deferredInit: false, sessionApiKeys: ['user'], secretKey: 'init', conversationsPath: '/srv/c',
      llmModel: 'openai/x', llmApiKey: 'sk-user', llmBaseUrl: 'http://llm/v1',
    });
    expect(initializedConfig(base, { env: { OTHER: '1' } }, '/').llmModel).toBe('dormant/model');
  });
});
