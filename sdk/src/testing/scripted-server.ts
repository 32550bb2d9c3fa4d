// A scripted LLM behind HTTP, whatever its wire format: checks the key, reads the body, plays the next turn
// with `ScriptPlayer`, and answers in the dialect (OpenAI Chat Completions or Anthropic Messages) it is given.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Message } from '../events/llm-message.js';
import { listen, readJson, sendJson, sleep, type RunningServer } from './http-listen.js';
import { isTitleRequest, ScriptPlayer, ScriptViolation, type PlayResult } from './script-player.js';
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
  /** The `model` of each request, in order (title requests are in `player.titleRequests` only). */
  seenModels: string[];
  /** Whether each request asked to stream, in order. */
  seenStream: boolean[];
  /** The `tools` of each request as sent (title requests aside), in order. */
  seenTools: unknown[];
}

/**
 * The text of a wire message's content, in both dialects: a plain string, or the `text` of its `{type: "text"}`
 * parts (OpenAI) or blocks (Anthropic), joined.
 */
export function wireText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: { type?: string; text?: string }) => (p.type === 'text' ? (p.text ?? '') : '')).join('');
  return '';
}

/** Why a request failed, for the dialect's error body. */
export type FailureKind = 'not_found' | 'unauthorized' | 'bad_request' | 'script_violation' | 'scripted' | 'internal';

export type ScriptedReply = Extract<PlayResult, { kind: 'reply' }>;

/** A wire format: the completion route, where the key travels, error bodies, request messages and the reply. */
export interface WireDialect<Body extends { model?: string; stream?: boolean }> {
  isCompletion(method: string, path: string): boolean;
  /** Answers a request that is not a completion (e.g. a model list); false leaves it to a 404. */
  answerOther?(method: string, path: string, res: ServerResponse): boolean;
  apiKey(req: IncomingMessage): string;
  errorBody(kind: FailureKind, status: number, message: string): unknown;
  /** The request's messages as the SDK's own, or undefined when the body has no message list. */
  messages(body: Body): Message[] | undefined;
  /** Writes a played turn, streamed when the body asked for it. */
  reply(res: ServerResponse, body: Body, reply: ScriptedReply): void;
}

/** Serves `opts.script` in `dialect`; `close()` also cancels replies waiting out a scripted delay. */
export async function serveScript<Body extends { model?: string; stream?: boolean }>(
  opts: ScriptedServerOptions,
  dialect: WireDialect<Body>,
): Promise<ScriptedServer> {
  const player = new ScriptPlayer(opts.script);
  const seenKeys = new Set<string>();
  const seenModels: string[] = [];
  const seenStream: boolean[] = [];
  const seenTools: unknown[] = [];
  const fail = (res: ServerResponse, kind: FailureKind, status: number, message: string, headers: Record<string, string> = {}) =>
    sendJson(res, status, dialect.errorBody(kind, status, message), headers);
  const handle = async (req: IncomingMessage, res: ServerResponse, closing: AbortSignal) => {
    const method = req.method ?? '';
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (!dialect.isCompletion(method, path)) {
      if (!dialect.answerOther?.(method, path, res)) fail(res, 'not_found', 404, `no route ${method} ${path}`);
      return;
    }
    const key = dialect.apiKey(req);
    if (key) seenKeys.add(key);
    if (opts.apiKey !== undefined && key !== opts.apiKey) return fail(res, 'unauthorized', 401, 'invalid API key');
    const body = (await readJson(req)) as Body;
    const messages = body ? dialect.messages(body) : undefined;
    if (!messages) return fail(res, 'bad_request', 400, 'messages: required array');
    if (!isTitleRequest(messages)) {
      seenModels.push(String(body.model));
      seenStream.push(body.stream === true);
      seenTools.push((body as { tools?: unknown }).tools);
    }
    let r;
    try {
      r = player.next(messages);
    } catch (err) {
      if (!(err instanceof ScriptViolation)) throw err;
      opts.onViolation?.(err.message);
      return fail(res, 'script_violation', 400, `scripted model: ${err.message}`);
    }
    if (r.kind === 'error') {
      return fail(res, 'scripted', r.status, r.message, r.retryAfter !== undefined ? { 'retry-after': String(r.retryAfter) } : {});
    }
    if (r.delayMs) await sleep(r.delayMs, closing);
    dialect.reply(res, body, r);
  };
  const server = await listen((req, res, closing) => {
    handle(req, res, closing).catch((err: unknown) => {
      if (closing.aborted) return; // the server closed mid-reply; its connections are gone
      if (!res.headersSent) fail(res, 'internal', 500, String(err));
      else res.end();
    });
  }, opts.port ?? 0, opts.host ?? '127.0.0.1');
  return { ...server, player, seenKeys, seenModels, seenStream, seenTools };
}
