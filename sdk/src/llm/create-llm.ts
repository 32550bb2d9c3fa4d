import { AnthropicLLM } from './anthropic-adapter.js';
import { LLMConfigSchema, type LLMConfig, type LLMConfigInput } from './config.js';
import { resolveModel } from './model-name.js';
import { OpenAICompatibleLLM } from './openai-adapter.js';
import { ScriptedLLM } from './scripted-llm.js';
import type { LLM } from './types.js';

/** Builds the adapter a config names (by its model prefix). Throws `LLMError('LLMConfigError')` on a bad config. */
export function createLLM(input: LLMConfig | LLMConfigInput, opts: { fetch?: typeof fetch } = {}): LLM {
  const config = LLMConfigSchema.parse(input);
  switch (resolveModel(config.model).provider) {
    case 'anthropic':
      return new AnthropicLLM(config, opts);
    case 'scripted':
      return new ScriptedLLM(config);
    case 'openai':
      return new OpenAICompatibleLLM(config, opts);
  }
}

/** Makes the LLM for a config; the conversation takes one so tests and servers can supply their own. */
export type LLMFactory = (config: LLMConfig) => LLM;
export const defaultLLMFactory: LLMFactory = (config) => createLLM(config);
