import type { ServerResponse } from 'node:http';
import { contentText, text } from '../events/content.js';
import type { Message, ThinkingBlock } from '../events/llm-message.js';
import { sendJson } from './http-listen.js';
import { serveScript, wireText, type FailureKind, type ScriptedReply, type ScriptedServer, type ScriptedServerOptions } from './scripted-server.js';

type Block = { type: string; text?: string; id?: string; name?: string; input?: unknown; tool_use_id?: string; content?: unknown; thinking?: string; signature?: string; data?: string };
type WireMessage = { role: 'user' | 'assistant'; content: string | Block[] };

/** Anthropic Messages as the SDK's own messages: `tool_result` blocks become tool messages. */
export function fromAnthropicMessages(system: unknown, messages: readonly WireMessage[]): Message[] {
  const out: Message[] = [];
  const sys = wireText(system);
  if (sys) out.push({ role: 'system', content: [text(sys)] });
  for (const m of messages) {
    const blocks: Block[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (m.role === 'user') {
      for (const b of blocks.filter((x) => x.type === 'tool_result')) out.push({ role: 'tool', content: [text(wireText(b.content))], tool_call_id: b.tool_use_id ?? null });
      const t = wireText(blocks);
      if (t) out.push({ role: 'user', content: [text(t)] });
    } else {
      const calls = blocks.filter((b) => b.type === 'tool_use').map((b) => ({ id: b.id ?? '', name: b.name ?? '', arguments: JSON.stringify(b.input ?? {}), origin: 'completion' as const }));
      const thinking = blocks.flatMap((b): ThinkingBlock[] => (b.type === 'thinking' ? [{ type: 'thinking', thinking: b.thinking ?? '', signature: b.signature ?? null }]
        : b.type === 'redacted_thinking' ? [{ type: 'redacted_thinking', data: b.data ?? '' }] : []));
      out.push({ role: 'assistant', content: [text(wireText(blocks))], tool_calls: calls.length ? calls : null, ...(thinking.length ? { thinking_blocks: thinking } : {}) });
    }
  }
  return out;
}

function parseInput(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return args; // a malformed scripted argument string goes out as a non-object input
  }
}

type Body = { model?: string; system?: unknown; messages?: WireMessage[]; stream?: boolean };

const ERROR_TYPES: Record<FailureKind, string> = {
  not_found: 'not_found_error', unauthorized: 'authentication_error', bad_request: 'invalid_request_error',
  script_violation: 'invalid_request_error', scripted: 'api_error', internal: 'api_error',
};

/** A played turn as a Messages response, or as its events when the request streams. */
function reply(res: ServerResponse, body: Body, r: ScriptedReply): void {
  const content = contentText(r.message.content);
  const calls = r.message.tool_calls ?? [];
  const model = body.model ?? 'scripted';
  const stop = calls.length ? 'tool_use' : 'end_turn';
  const usage = { input_tokens: r.usage.prompt_tokens, output_tokens: r.usage.completion_tokens };
  const thinking = r.message.thinking_blocks ?? [];
  if (!body.stream) {
    return sendJson(res, 200, {
      id: r.id, type: 'message', role: 'assistant', model, stop_reason: stop, stop_sequence: null, usage,
      content: [
        ...thinking,
        ...(content ? [{ type: 'text', text: content }] : []),
        ...calls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: parseInput(c.arguments) })),
      ],
    });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...(data as object) })}\n\n`);
  send('message_start', { message: { id: r.id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: usage.input_tokens, output_tokens: 0 } } });
  let index = 0;
  for (const b of thinking) {
    if (b.type === 'redacted_thinking') {
      send('content_block_start', { index, content_block: b });
    } else {
      send('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      for (const piece of b.thinking.match(/.{1,8}/gs) ?? []) send('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } });
      send('content_block_delta', { index, delta: { type: 'signature_delta', signature: b.signature ?? '' } });
    }
    send('content_block_stop', { index });
    index++;
  }
  if (content) {
    send('content_block_start', { index, content_block: { type: 'text', text: '' } });
    for (const piece of content.match(/.{1,8}/gs) ?? []) send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
    send('content_block_stop', { index });
    index++;
  }
  for (const c of calls) {
    send('content_block_start', { index, content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} } });
    for (const piece of c.arguments.match(/.{1,10}/gs) ?? []) send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
    send('content_block_stop', { index });
    index++;
  }
  send('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  send('message_stop', {});
  res.end();
}

/** An Anthropic Messages-compatible server (`POST /v1/messages`, streaming and not) that plays and checks a script. */
export function startScriptedAnthropicServer(opts: ScriptedServerOptions): Promise<ScriptedServer> {
  return serveScript<Body>(opts, {
    isCompletion: (method, path) => method === 'POST' && path === '/v1/messages',
    // Anthropic's API takes `x-api-key`; recent SDKs send the key as a bearer token instead.
    apiKey: (req) => String(req.headers['x-api-key'] ?? '') || (req.headers.authorization ?? '').replace(/^Bearer\s+/i, ''),
    errorBody: (kind, status, message) => ({
      type: 'error',
      error: { type: kind === 'scripted' && status === 429 ? 'rate_limit_error' : kind === 'scripted' && status === 529 ? 'overloaded_error' : ERROR_TYPES[kind], message },
    }),
    messages: (body) => (Array.isArray(body.messages) ? fromAnthropicMessages(body.system, body.messages) : undefined),
    reply,
  });
}
