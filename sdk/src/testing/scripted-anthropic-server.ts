import type { IncomingMessage, ServerResponse } from 'node:http';
import { text } from '../events/content.js';
import type { Message } from '../events/llm-message.js';
import { listen, readJson, sendJson, sleep } from './http-listen.js';
import { ScriptPlayer, ScriptViolation } from './script-player.js';
import type { ScriptedServer, ScriptedServerOptions } from './scripted-openai-server.js';

type Block = { type: string; text?: string; id?: string; name?: string; input?: unknown; tool_use_id?: string; content?: unknown };
type WireMessage = { role: 'user' | 'assistant'; content: string | Block[] };

function blockText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((b: Block) => (b.type === 'text' ? (b.text ?? '') : '')).join('');
  return '';
}

/** Anthropic Messages as the SDK's own messages: `tool_result` blocks become tool messages. */
export function fromAnthropicMessages(system: unknown, messages: readonly WireMessage[]): Message[] {
  const out: Message[] = [];
  const sys = blockText(system);
  if (sys) out.push({ role: 'system', content: [text(sys)] });
  for (const m of messages) {
    const blocks: Block[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (m.role === 'user') {
      for (const b of blocks.filter((x) => x.type === 'tool_result')) out.push({ role: 'tool', content: [text(blockText(b.content))], tool_call_id: b.tool_use_id ?? null });
      const t = blockText(blocks);
      if (t) out.push({ role: 'user', content: [text(t)] });
    } else {
      const calls = blocks.filter((b) => b.type === 'tool_use').map((b) => ({ id: b.id ?? '', name: b.name ?? '', arguments: JSON.stringify(b.input ?? {}), origin: 'completion' as const }));
      out.push({ role: 'assistant', content: [text(blockText(blocks))], tool_calls: calls.length ? calls : null });
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

/** An Anthropic Messages-compatible server (`POST /v1/messages`, streaming and not) that plays and checks a script. */
export async function startScriptedAnthropicServer(opts: ScriptedServerOptions): Promise<ScriptedServer> {
  const player = new ScriptPlayer(opts.script);
  const seenKeys = new Set<string>();
  const seenModels: string[] = [];
  const seenStream: boolean[] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse, closing: AbortSignal) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || path !== '/v1/messages') {
      return sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no route ${req.method} ${path}` } });
    }
    // Anthropic's API takes `x-api-key`; recent SDKs send the key as a bearer token instead.
    const key = String(req.headers['x-api-key'] ?? '') || (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    if (key) seenKeys.add(key);
    if (opts.apiKey !== undefined && key !== opts.apiKey) {
      return sendJson(res, 401, { type: 'error', error: { type: 'authentication_error', message: 'invalid API key' } });
    }
    const body = (await readJson(req)) as { model?: string; system?: unknown; messages?: WireMessage[]; stream?: boolean };
    if (!Array.isArray(body?.messages)) return sendJson(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'messages: required array' } });
    seenModels.push(String(body.model));
    seenStream.push(body.stream === true);
    let r;
    try {
      r = player.next(fromAnthropicMessages(body.system, body.messages));
    } catch (err) {
      if (!(err instanceof ScriptViolation)) throw err;
      opts.onViolation?.(err.message);
      return sendJson(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: `scripted model: ${err.message}` } });
    }
    if (r.kind === 'error') {
      const headers: Record<string, string> = r.retryAfter !== undefined ? { 'retry-after': String(r.retryAfter) } : {};
      const type = r.status === 429 ? 'rate_limit_error' : r.status === 529 ? 'overloaded_error' : 'api_error';
      return sendJson(res, r.status, { type: 'error', error: { type, message: r.message } }, headers);
    }
    if (r.delayMs) await sleep(r.delayMs, closing);
    const content = r.message.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
    const calls = r.message.tool_calls ?? [];
    const model = body.model ?? 'scripted';
    const stop = calls.length ? 'tool_use' : 'end_turn';
    const usage = { input_tokens: r.usage.prompt_tokens, output_tokens: r.usage.completion_tokens };
    if (!body.stream) {
      return sendJson(res, 200, {
        id: r.id, type: 'message', role: 'assistant', model, stop_reason: stop, stop_sequence: null, usage,
        content: [
          ...(content ? [{ type: 'text', text: content }] : []),
          ...calls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: parseInput(c.arguments) })),
        ],
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...(data as object) })}\n\n`);
    send('message_start', { message: { id: r.id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: usage.input_tokens, output_tokens: 0 } } });
    let index = 0;
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
  };
  const server = await listen((req, res, closing) => {
    handle(req, res, closing).catch((err: unknown) => {
      if (closing.aborted) return; // the server closed mid-reply; its connections are gone
      if (!res.headersSent) sendJson(res, 500, { type: 'error', error: { type: 'api_error', message: String(err) } }); else res.end();
    });
  }, opts.port ?? 0, opts.host ?? '127.0.0.1');
  return { ...server, player, seenKeys, seenModels, seenStream };
}
