import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { ContentBlockParam, MessageParam, RawMessageStreamEvent, Tool } from '@anthropic-ai/sdk/resources/messages';
import { contentText } from '../events/content.js';
import type { Message, MessageToolCall, ThinkingBlock } from '../events/llm-message.js';
import type { LLMConfig } from './config.js';
import { resolveModel } from './model-name.js';
import { completeWithRetries } from './retry.js';
import { assistantMessage, emptyUsage, type CompletionRequest, type CompletionResponse, type LLM, type TokenUsage } from './types.js';
import { callVendor, vendorClientOptions } from './vendor-error.js';

const CLASSES = { APIError, APIUserAbortError, APIConnectionTimeoutError, APIConnectionError };

function parseArgs(raw: string): unknown {
  try {
    return JSON.parse(raw || '{}');
  } catch {
    // The model produced unparsable arguments earlier; send them back as a string so the history stays valid.
    return { raw_arguments: raw };
  }
}

/**
 * Our messages as Anthropic Messages: system messages become the `system` parameter, tool results become
 * `tool_result` blocks of one user turn (Anthropic requires them together, right after the assistant's `tool_use`).
 */
export function toAnthropicMessages(messages: readonly Message[]): { system: string; messages: MessageParam[] } {
  const system: string[] = [];
  const out: MessageParam[] = [];
  const push = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    const last = out[out.length - 1];
    if (last && last.role === role && Array.isArray(last.content)) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const m of messages) {
    const body = contentText(m.content);
    if (m.role === 'system') system.push(body);
    else if (m.role === 'tool') push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id ?? '', content: body }]);
    else if (m.role === 'user') push('user', [{ type: 'text', text: body || ' ' }]);
    else {
      // Thinking blocks go back first, signed as received (Anthropic requires them with the tool results).
      const blocks: ContentBlockParam[] = (m.thinking_blocks ?? []).map((b): ContentBlockParam =>
        b.type === 'thinking' ? { type: 'thinking', thinking: b.thinking, signature: b.signature ?? '' } : { type: 'redacted_thinking', data: b.data });
      if (body) blocks.push({ type: 'text', text: body });
      for (const c of m.tool_calls ?? []) blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: parseArgs(c.arguments) });
      push('assistant', blocks.length ? blocks : [{ type: 'text', text: ' ' }]);
    }
  }
  return { system: system.join('\n\n'), messages: out };
}

/** Anthropic's Messages API through `@anthropic-ai/sdk` (`anthropic/<model>`; `base_url` for a compatible endpoint). */
export class AnthropicLLM implements LLM {
  readonly config: LLMConfig;
  private readonly client: Anthropic;
  private readonly model: string;

  constructor(config: LLMConfig, opts: { fetch?: typeof fetch } = {}) {
    this.config = config;
    this.model = resolveModel(config.model).model;
    this.client = new Anthropic(vendorClientOptions(config, opts.fetch));
  }

  complete(req: CompletionRequest): Promise<CompletionResponse> {
    return completeWithRetries(this.config, req, (r) => this.once(r));
  }

  private async once(req: CompletionRequest): Promise<CompletionResponse> {
    const started = performance.now();
    const { system, messages } = toAnthropicMessages(req.messages);
    const tools: Tool[] = req.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters as Tool['input_schema'] }));
    const params = {
      model: this.model,
      max_tokens: this.config.max_output_tokens ?? 8192,
      messages,
      ...(system ? { system } : {}),
      ...(tools.length ? { tools } : {}),
      ...(this.config.temperature != null ? { temperature: this.config.temperature } : {}),
    };
    return callVendor(this.config.timeout, req.signal, CLASSES, async (options) => {
      if (!this.config.stream) {
        const r = await this.client.messages.create({ ...params, stream: false }, options);
        let content = '';
        const calls: MessageToolCall[] = [];
        const thinking: ThinkingBlock[] = [];
        for (const b of r.content) {
          if (b.type === 'text') content += b.text;
          else if (b.type === 'thinking') thinking.push({ type: 'thinking', thinking: b.thinking, signature: b.signature });
          else if (b.type === 'redacted_thinking') thinking.push({ type: 'redacted_thinking', data: b.data });
          // A proxy may pass a model's unparsable arguments through as a string; keep them raw so the error says so.
          else if (b.type === 'tool_use') calls.push({ id: b.id, name: b.name, arguments: typeof b.input === 'string' ? b.input : JSON.stringify(b.input ?? {}), origin: 'completion' });
        }
        return {
          id: r.id,
          message: assistantMessage(content, calls, thinking),
          usage: usageOf(r.usage),
          latency_ms: performance.now() - started,
        };
      }
      const stream = await this.client.messages.create({ ...params, stream: true }, options);
      let id = '';
      let content = '';
      const usage = emptyUsage();
      const blocks = new Map<number, { id: string; name: string; json: string }>();
      const thinking = new Map<number, ThinkingBlock>();
      for await (const ev of stream as AsyncIterable<RawMessageStreamEvent>) {
        if (ev.type === 'message_start') {
          id = ev.message.id;
          Object.assign(usage, usageOf(ev.message.usage));
        } else if (ev.type === 'content_block_start' && ev.content_block.type === 'tool_use') {
          blocks.set(ev.index, { id: ev.content_block.id, name: ev.content_block.name, json: '' });
        } else if (ev.type === 'content_block_start' && ev.content_block.type === 'thinking') {
          thinking.set(ev.index, { type: 'thinking', thinking: ev.content_block.thinking, signature: ev.content_block.signature });
        } else if (ev.type === 'content_block_start' && ev.content_block.type === 'redacted_thinking') {
          thinking.set(ev.index, { type: 'redacted_thinking', data: ev.content_block.data });
        } else if (ev.type === 'content_block_delta') {
          const t = thinking.get(ev.index);
          if (ev.delta.type === 'thinking_delta' && t?.type === 'thinking') {
            t.thinking += ev.delta.thinking;
            req.onDelta?.({ reasoning_content: ev.delta.thinking });
          } else if (ev.delta.type === 'signature_delta' && t?.type === 'thinking') {
            t.signature = (t.signature ?? '') + ev.delta.signature;
          } else if (ev.delta.type === 'text_delta') {
            content += ev.delta.text;
            req.onDelta?.({ content: ev.delta.text });
          } else if (ev.delta.type === 'input_json_delta') {
            const b = blocks.get(ev.index);
            if (b) b.json += ev.delta.partial_json;
          }
        } else if (ev.type === 'message_delta') {
          usage.completion_tokens = ev.usage.output_tokens;
        }
      }
      const calls = [...blocks.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => ({ id: b.id, name: b.name, arguments: b.json || '{}', origin: 'completion' as const }));
      return {
        id,
        message: assistantMessage(content, calls, [...thinking.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b)),
        usage,
        latency_ms: performance.now() - started,
      };
    });
  }
}

function usageOf(u: { input_tokens: number; output_tokens: number; cache_read_input_tokens?: number | null; cache_creation_input_tokens?: number | null }): TokenUsage {
  return {
    prompt_tokens: u.input_tokens,
    completion_tokens: u.output_tokens,
    cache_read_tokens: u.cache_read_input_tokens ?? 0,
    cache_write_tokens: u.cache_creation_input_tokens ?? 0,
    reasoning_tokens: 0,
  };
}
