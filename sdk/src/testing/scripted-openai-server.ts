import type { ServerResponse } from 'node:http';
import { contentText, text } from '../events/content.js';
import type { Message } from '../events/llm-message.js';
import { sendJson } from './http-listen.js';
import { serveScript, wireText, type FailureKind, type ScriptedReply, type ScriptedServer, type ScriptedServerOptions } from './scripted-server.js';

type WireMessage = { role: string; content?: unknown; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string };

/** Chat Completions messages as the SDK's own messages (what the script player checks). */
export function fromOpenAIMessages(messages: readonly WireMessage[]): Message[] {
  return messages.map((m): Message => ({
    role: m.role === 'developer' ? 'system' : (m.role as Message['role']),
    content: [text(wireText(m.content))],
    tool_calls: m.tool_calls?.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments, origin: 'completion' as const })) ?? null,
    tool_call_id: m.tool_call_id ?? null,
  }));
}

type Body = { model?: string; messages?: WireMessage[]; stream?: boolean; stream_options?: { include_usage?: boolean } };

const ERROR_TYPES: Record<FailureKind, string> = {
  not_found: 'not_found', unauthorized: 'authentication_error', bad_request: 'invalid_request_error',
  script_violation: 'invalid_request_error', scripted: 'server_error', internal: 'server_error',
};
const ERROR_CODES: Partial<Record<FailureKind, string>> = { unauthorized: 'invalid_api_key', script_violation: 'script_violation' };

/** A played turn as a Chat Completion, or as its chunks when the request streams. */
function reply(res: ServerResponse, body: Body, r: ScriptedReply): void {
  const content = contentText(r.message.content);
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
}

/**
 * An OpenAI-compatible Chat Completions server (`POST /v1/chat/completions`, streaming and not) that plays a script
 * and checks every request with `ScriptPlayer`. A violation answers 400 with the reason and stays in
 * `player.violations`.
 */
export function startScriptedOpenAIServer(opts: ScriptedServerOptions): Promise<ScriptedServer> {
  return serveScript<Body>(opts, {
    isCompletion: (method, path) => method === 'POST' && (path === '/v1/chat/completions' || path === '/chat/completions'),
    answerOther: (method, path, res) => {
      if (method !== 'GET' || (path !== '/v1/models' && path !== '/models')) return false;
      sendJson(res, 200, { object: 'list', data: [{ id: 'scripted', object: 'model', created: 0, owned_by: 'scripted' }] });
      return true;
    },
    apiKey: (req) => (req.headers.authorization ?? '').replace(/^Bearer\s+/i, ''),
    errorBody: (kind, status, message) => ({
      error: { message, type: kind === 'scripted' && status === 429 ? 'rate_limit_exceeded' : ERROR_TYPES[kind], ...(ERROR_CODES[kind] ? { code: ERROR_CODES[kind] } : {}) },
    }),
    messages: (body) => (Array.isArray(body.messages) ? fromOpenAIMessages(body.messages) : undefined),
    reply,
  });
}
