import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { contentText } from '../events/content.js';
import type { Message, MessageToolCall } from '../events/llm-message.js';
import type { LLMConfig } from './config.js';
import { LLMError } from './errors.js';
import { resolveModel } from './model-name.js';
import { completeWithRetries } from './retry.js';
import { assistantMessage, emptyUsage, type CompletionRequest, type CompletionResponse, type LLM, type TokenUsage } from './types.js';
import { callVendor, vendorClientOptions } from './vendor-error.js';

const CLASSES = { APIError, APIUserAbortError, APIConnectionTimeoutError, APIConnectionError };

/** Our messages as Chat Completions messages. Images become image_url parts on user messages. */
export function toOpenAIMessages(messages: readonly Message[]): ChatCompletionMessageParam[] {
  return messages.map((m): ChatCompletionMessageParam => {
    const body = contentText(m.content);
    switch (m.role) {
      case 'system':
        return { role: 'system', content: body };
      case 'tool':
        return { role: 'tool', tool_call_id: m.tool_call_id ?? '', content: body };
      case 'assistant':
        return {
          role: 'assistant',
          content: body || null,
          ...(m.tool_calls?.length
            ? { tool_calls: m.tool_calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) }
            : {}),
        };
      case 'user': {
        const images = m.content.flatMap((c) => (c.type === 'image' ? c.image_urls : []));
        if (images.length === 0) return { role: 'user', content: body };
        return {
          role: 'user',
          content: [{ type: 'text', text: body }, ...images.map((url) => ({ type: 'image_url' as const, image_url: { url } }))],
        };
      }
    }
  });
}

/** Any OpenAI-compatible Chat Completions endpoint: OpenAI, vLLM, Ollama, a LiteLLM proxy (`base_url`). */
export class OpenAICompatibleLLM implements LLM {
  readonly config: LLMConfig;
  private readonly client: OpenAI;
  private readonly model: string;

  constructor(config: LLMConfig, opts: { fetch?: typeof fetch } = {}) {
    this.config = config;
    this.model = resolveModel(config.model).model;
    this.client = new OpenAI(vendorClientOptions(config, opts.fetch));
  }

  complete(req: CompletionRequest): Promise<CompletionResponse> {
    return completeWithRetries(this.config, req, (r) => this.once(r));
  }

  private async once(req: CompletionRequest): Promise<CompletionResponse> {
    const started = performance.now();
    const tools: ChatCompletionTool[] = req.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
    const params = {
      model: this.model,
      messages: toOpenAIMessages(req.messages),
      ...(tools.length ? { tools } : {}),
      ...(this.config.temperature != null ? { temperature: this.config.temperature } : {}),
      ...(this.config.top_p != null ? { top_p: this.config.top_p } : {}),
      ...(this.config.max_output_tokens != null ? { max_completion_tokens: this.config.max_output_tokens } : {}),
    };
    return callVendor(this.config.timeout, req.signal, CLASSES, async (options) => {
      if (!this.config.stream) {
        const r = await this.client.chat.completions.create(params, options);
        const choice = r.choices[0];
        if (!choice) throw new LLMError('LLMResponseError', 'LLM response has no choices');
        const calls: MessageToolCall[] = (choice.message.tool_calls ?? []).flatMap((tc) =>
          tc.type === 'function' ? [{ id: tc.id, name: tc.function.name, arguments: tc.function.arguments, origin: 'completion' as const }] : [],
        );
        return {
          id: r.id,
          message: assistantMessage(choice.message.content, calls),
          usage: usageOf(r.usage),
          latency_ms: performance.now() - started,
        };
      }
      const stream = await this.client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }, options);
      let id = '';
      let content = '';
      let usage = emptyUsage();
      const calls = new Map<number, { id: string; name: string; arguments: string }>();
      for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
        id ||= chunk.id;
        if (chunk.usage) usage = usageOf(chunk.usage);
        const delta = chunk.choices[0]?.delta;
        if (!delta) continue;
        if (delta.content) {
          content += delta.content;
          req.onDelta?.({ content: delta.content });
        }
        for (const tc of delta.tool_calls ?? []) {
          const cur = calls.get(tc.index) ?? { id: '', name: '', arguments: '' };
          if (tc.id) cur.id = tc.id;
          if (tc.function?.name) cur.name += tc.function.name;
          if (tc.function?.arguments) cur.arguments += tc.function.arguments;
          calls.set(tc.index, cur);
        }
      }
      const toolCalls = [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => ({ ...c, origin: 'completion' as const }));
      return {
        id,
        message: assistantMessage(content, toolCalls),
        usage,
        latency_ms: performance.now() - started,
      };
    });
  }
}

function usageOf(u: OpenAI.CompletionUsage | undefined | null): TokenUsage {
  if (!u) return emptyUsage();
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    cache_read_tokens: u.prompt_tokens_details?.cached_tokens ?? 0,
    cache_write_tokens: 0,
    reasoning_tokens: u.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}
