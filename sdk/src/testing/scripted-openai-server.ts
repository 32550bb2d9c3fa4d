import type { IncomingMessage, ServerResponse } from 'node:http';
import { text } from '../events/content.js';
import type { Message } from '../events/llm-message.js';
import { listen, readJson, sendJson, sleep, type RunningServer } from './http-listen.js';
import { ScriptPlayer, ScriptViolation } from './script-player.js';
import type { Script, ScriptInput } from './script.js';

export interface ScriptedServerOptions {
  script: Script | ScriptInput;
  port?: number;
  host?: string;
  /** When set, requests must carry this key (401 otherwise). */
  apiKey?: string;
  /** Called with each violation as it happens (the CLI prints them). */
  onViolation?: (message: string) => void;
}

export interface ScriptedServer extends RunningServer {
  player: ScriptPlayer;
  /** API keys seen in requests, so a test can show the key reached the server (and nowhere else). */
  seenKeys: Set<string>;
  /** The `model` of each request, in order. */
  seenModels: string[];
  /** Whether each request asked to stream, in order. */
  seenStream: boolean[];
}

type WireMessage = { role: string; content?: unknown; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string };

function partsText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: { type?: string; text?: string }) => (p.type === 'text' ? (p.text ?? '') : '')).join('');
  return '';
}

/** Chat Completions messages as the SDK's own messages (what the script player checks). */
export function fromOpenAIMessages(messages: readonly WireMessage[]): Message[] {
  return messages.map((m): Message => ({
    role: m.role === 'developer' ? 'system' : (m.role as Message['role']),
    content: [text(partsText(m.content))],
    tool_calls: m.tool_calls?.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments, origin: 'completion' as const })) ?? null,
    tool_call_id: m.tool_call_id ?? null,
  }));
}

/**
 * An OpenAI-compatible Chat Completions server (`POST /v1/chat/completions`, streaming and not) that plays a script
 * and checks every request with `ScriptPlayer`. A violation answers 400 with the reason and stays in
 * `player.violations`.
 */
export async function startScriptedOpenAIServer(opts: ScriptedServerOptions): Promise<ScriptedServer> {
  const player = new ScriptPlayer(opts.script);
  const seenKeys = new Set<string>();
  const seenModels: string[] = [];
  const seenStream: boolean[] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse, closing: AbortSignal) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) {
      return sendJson(res, 200, { object: 'list', data: [{ id: 'scripted', object: 'model', created: 0, owned_by: 'scripted' }] });
    }
    if (req.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/chat/completions')) {
      return sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'not_found' } });
    }
    const key = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    if (key) seenKeys.add(key);
    if (opts.apiKey !== undefined && key !== opts.apiKey) {
      return sendJson(res, 401, { error: { message: 'invalid api key', type: 'authentication_error', code: 'invalid_api_key' } });
    }
    const body = (await readJson(req)) as { model?: string; messages?: WireMessage[]; stream?: boolean; stream_options?: { include_usage?: boolean } };
    if (!Array.isArray(body?.messages)) return sendJson(res, 400, { error: { message: 'messages: required array', type: 'invalid_request_error' } });
    seenModels.push(String(body.model));
    seenStream.push(body.stream === true);
    let r;
    try {
      r = player.next(fromOpenAIMessages(body.messages));
    } catch (err) {
      if (!(err instanceof ScriptViolation)) throw err;
      opts.onViolation?.(err.message);
      return sendJson(res, 400, { error: { message: `scripted model: ${err.message}`, type: 'invalid_request_error', code: 'script_violation' } });
    }
    if (r.kind === 'error') {
      const headers: Record<string, string> = r.retryAfter !== undefined ? { 'retry-after': String(r.retryAfter) } : {};
      return sendJson(res, r.status, { error: { message: r.message, type: r.status === 429 ? 'rate_limit_exceeded' : 'server_error' } }, headers);
    }
    if (r.delayMs) await sleep(r.delayMs, closing);
    const content = r.message.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
    const calls = r.message.tool_calls ?? [];
    const model = body.model ?? 'scripted';
    const created = Math.floor(Date.now() / 1000);
    const usage = { ...r.usage, total_tokens: r.usage.prompt_tokens + r.usage.completion_tokens };
    const finish = calls.length ? 'tool_calls' : 'stop';
    if (!body.stream) {
      return sendJson(res, 200, {
        id: r.id, object: 'chat.completion', created, model,
        choices: [{
          index: 0, finish_reason: finish, logprobs: null,
          message: {
            role: 'assistant', content: content || null, refusal: null,
            ...(calls.length ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) } : {}),
          },
        }],
        usage,
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (delta: unknown, finishReason: string | null = null) =>
      res.write(`data: ${JSON.stringify({ id: r.id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] })}\n\n`);
    chunk({ role: 'assistant', content: '' });
    for (const piece of content.match(/.{1,8}/gs) ?? []) chunk({ content: piece });
    calls.forEach((c, index) => {
      chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] });
      for (const piece of c.arguments.match(/.{1,10}/gs) ?? []) chunk({ tool_calls: [{ index, function: { arguments: piece } }] });
    });
    chunk({}, finish);
    if (body.stream_options?.include_usage) res.write(`data: ${JSON.stringify({ id: r.id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  };
  const server = await listen((req, res, closing) => {
    handle(req, res, closing).catch((err: unknown) => {
      if (closing.aborted) return; // the server closed mid-reply; its connections are gone
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(err), type: 'server_error' } }); else res.end();
    });
  }, opts.port ?? 0, opts.host ?? '127.0.0.1');
  return { ...server, player, seenKeys, seenModels, seenStream };
}
