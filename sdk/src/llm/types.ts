import { text } from '../events/content.js';
import type { Message, MessageToolCall, ThinkingBlock } from '../events/llm-message.js';
import type { LLMConfig } from './config.js';

/** A tool as the model sees it: name, description and JSON Schema of its parameters. */
export interface LLMTool {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
}

export interface CompletionRequest {
  messages: readonly Message[];
  tools: readonly LLMTool[];
  /** Aborting cancels the HTTP request (interrupt). */
  signal?: AbortSignal;
  /** Token deltas when the LLM streams. */
  onDelta?: (delta: { content?: string; reasoning_content?: string }) => void;
}

export interface CompletionResponse {
  /** The provider's response id; shared by the ActionEvents of this response. */
  id: string;
  /** The assistant message: text content and/or tool calls. */
  message: Message & { role: 'assistant'; tool_calls?: MessageToolCall[] | null };
  usage: TokenUsage;
  latency_ms: number;
}

/** The one seam between the agent and a model. Adapters wrap vendor SDKs; the scripted model fakes it for tests. */
export interface LLM {
  readonly config: LLMConfig;
  complete(request: CompletionRequest): Promise<CompletionResponse>;
}

export function emptyUsage(): TokenUsage {
  return { prompt_tokens: 0, completion_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0 };
}

/** A reply as the assistant message of a completion: no content when the text is empty, null when there are no calls. */
export function assistantMessage(content: string | null | undefined, calls: MessageToolCall[], thinking: ThinkingBlock[] = []): CompletionResponse['message'] {
  return {
    role: 'assistant', content: content ? [text(content)] : [], tool_calls: calls.length ? calls : null,
    // As LiteLLM for Anthropic: the thinking text is also the reasoning content.
    ...(thinking.length ? { thinking_blocks: thinking, reasoning_content: thinking.map((b) => (b.type === 'thinking' ? b.thinking : '')).join('') || null } : {}),
  };
}
