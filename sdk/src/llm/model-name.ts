import { LLMError } from './errors.js';

export type Provider = 'openai' | 'anthropic' | 'scripted';

/** Prefixes that name an OpenAI-compatible server; `litellm_proxy/` strips to the proxy's own model alias. */
const OPENAI_COMPATIBLE = ['openai', 'litellm_proxy', 'hosted_vllm', 'ollama', 'ollama_chat', 'openrouter', 'deepseek', 'groq', 'together_ai', 'mistral', 'lm_studio'];

/**
 * Resolves a LiteLLM-style model name to the adapter that serves it and the model id to send.
 * A bare name (`gpt-4o`) is OpenAI's; `claude-…` without prefix is Anthropic's.
 */
export function resolveModel(model: string): { provider: Provider; model: string; prefix: string | null } {
  const slash = model.indexOf('/');
  const prefix = slash > 0 ? model.slice(0, slash) : null;
  const rest = slash > 0 ? model.slice(slash + 1) : model;
  if (prefix === null) return { provider: model.startsWith('claude') ? 'anthropic' : 'openai', model, prefix };
  if (prefix === 'anthropic') return { provider: 'anthropic', model: rest, prefix };
  if (prefix === 'scripted') return { provider: 'scripted', model: rest, prefix };
  if (OPENAI_COMPATIBLE.includes(prefix)) {
    if (!rest) throw new LLMError('LLMConfigError', `llm.model "${model}" names no model after "${prefix}/"`);
    return { provider: 'openai', model: rest, prefix };
  }
  throw new LLMError(
    'LLMConfigError',
    `llm.model "${model}": unknown provider "${prefix}" (supported: anthropic, scripted, ${OPENAI_COMPATIBLE.join(', ')})`,
  );
}
