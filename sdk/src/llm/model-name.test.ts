import { describe, expect, it } from '@jest/globals';
import { resolveModel } from './model-name.js';

describe('resolveModel (LiteLLM-style names)', () => {
  it.each([
    ['openai/gpt-4o', 'openai', 'gpt-4o'],
    ['gpt-4o', 'openai', 'gpt-4o'],
    ['anthropic/claude-sonnet-4', 'anthropic', 'claude-sonnet-4'],
    ['claude-3-haiku', 'anthropic', 'claude-3-haiku'],
    ['litellm_proxy/anthropic/claude-sonnet-4', 'openai', 'anthropic/claude-sonnet-4'],
    ['hosted_vllm/Qwen/Qwen3-8B', 'openai', 'Qwen/Qwen3-8B'],
    ['ollama/llama3', 'openai', 'llama3'],
    ['scripted/demo', 'scripted', 'demo'],
  ])('%s → %s %s', (name, provider, model) => {
    expect(resolveModel(name)).toMatchObject({ provider, model });
  });

  it('rejects unknown providers and empty models, naming them', () => {
    expect(() => resolveModel('foo/bar')).toThrow(/unknown provider "foo"/);
    expect(() => resolveModel('openai/')).toThrow(/names no model/);
  });
});
