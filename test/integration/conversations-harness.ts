// What the conversations tests share: an agent spec pointed at the SDK's scripted OpenAI-compatible
// server (run in the test process, one per conversation so each script plays in order), REST calls whose
// responses are checked against the official OpenHands schema, and an events-socket client that checks
// every frame the same way and records them.
import { afterAll, beforeAll } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSchema, startScriptedOpenAIServer, type ScriptedServer, type ScriptInput } from '@agentworkspace/sdk';
import { WebSocket } from 'ws';
import { assertMatchesSchema, compileSchemas } from '../support/openhands-schema.js';
import { call, startServer, type StartOptions, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function scratchDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `conv-test-${prefix}-`));
}

export function scriptedLLM(script: ScriptInput, apiKey?: string): Promise<ScriptedServer> {
  return startScriptedOpenAIServer({ script, ...(apiKey ? { apiKey } : {}) });
}

/** Starts a scripted model (an OpenAI-compatible server playing `turns`) that the describe block closes afterwards. */
export type ScriptedModels = (turns: Json[], apiKey?: string) => Promise<ScriptedServer>;

/**
 * Registers a describe block's `beforeAll`/`afterAll`: `setup` may start scripted models with the given function
 * (for the server's environment or the block's own use) and returns the server's options; the real server then
 * starts. `server` forwards to it once started; `llm` starts more models; afterwards the server stops and every
 * model closes.
 */
export function useServerWithModels(setup: (llm: ScriptedModels) => StartOptions | Promise<StartOptions> = () => ({})): { server: TestServer; llm: ScriptedModels } {
  const models: ScriptedServer[] = [];
  let started: TestServer | undefined;
  const llm: ScriptedModels = async (turns, apiKey) => {
    const model = await scriptedLLM({ turns: turns as ScriptInput['turns'] }, apiKey);
    models.push(model);
    return model;
  };
  beforeAll(async () => {
    started = await startServer(await setup(llm));
  });
  afterAll(async () => {
    await started?.stop();
    await Promise.all(models.map((m) => m.close()));
  });
  const current = (): TestServer => {
    if (!started) throw new Error('the server is used before useServerWithModels\'s beforeAll ran');
    return started;
  };
  const server: TestServer = {
    get url() { return current().url; },
    get key() { return current().key; },
    get dataDir() { return current().dataDir; },
    get process() { return current().process; },
    logs: () => current().logs(),
    stop: () => current().stop(),
  };
  return { server, llm };
}

/** A user message with one text part, as clients send it (REST body or socket frame). */
export function userMessage(text: string): Json {
  return { role: 'user', content: [{ type: 'text', text }] };
}

/** An OpenHands `Agent` spec using the scripted server through the real OpenAI adapter. */
export function agentSpec(llm: { url: string }, extra: { api_key?: string | null; tools?: string[]; stream?: boolean } = {}): Json {
  return {
    kind: 'Agent',
    llm: {
      model: 'openai/scripted', base_url: `${llm.url}/v1`, usage_id: 'agent', num_retries: 0,
      ...(extra.api_key === null ? {} : { api_key: extra.api_key ?? 'sk-client-test-key' }),
      ...(extra.stream ? { stream: true } : {}),
    },
    tools: (extra.tools ?? ['terminal', 'file_editor']).map((name) => ({ name, params: {} })),
  };
}

/** Checks one event (REST item or WS frame) against the official type named by its kind. */
export function assertEvent(event: Json): void {
  if (event.kind === 'ConversationStateUpdateEvent' && event.key === 'full_state') {
    assertMatchesSchema('ConversationStateUpdateEvent', event);
    assertMatchesSchema('ConversationInfo', event.value);
    return;
  }
  assertMatchesSchema(String(event.kind), event);
}

/** A REST call whose 2xx JSON body must match `type` (an official schema type, or a checker); a 422 body must be the official HttpValidationError. */
export async function api<T = Json>(server: TestServer, method: string, path: string, type: string | ((body: T) => void) | null,
  init: { json?: unknown; key?: string | null } = {}): Promise<{ status: number; body: T }> {
  const res = await call<T>(server, method, path, init);
  if (res.status === 422) assertMatchesSchema('HttpValidationError', res.body);
  if (res.status >= 200 && res.status < 300 && type !== null) {
    if (typeof type === 'string') assertMatchesSchema(type, res.body);
    else type(res.body);
  }
  return { status: res.status, body: res.body };
}

/** An event search page: every item an official event, with a string-or-null cursor. */
export function assertEventPage(page: Json): void {
  if (!Array.isArray(page.items)) throw new Error(`not an event page: ${JSON.stringify(page).slice(0, 300)}`);
  for (const item of page.items) assertEvent(item);
  if (page.next_page_id !== null && typeof page.next_page_id !== 'string') throw new Error('next_page_id must be a string or null');
  if (Object.keys(page).some((k) => k !== 'items' && k !== 'next_page_id')) throw new Error(`extra fields in event page: ${Object.keys(page).join(',')}`);
}

/** Every persisted event of a conversation over REST (following the inclusive cursor). */
export async function allEvents(server: TestServer, id: string, pageSize = 100): Promise<Json[]> {
  const out: Json[] = [];
  let page: string | null = null;
  for (;;) {
    const q: string = `limit=${pageSize}${page ? `&page_id=${encodeURIComponent(page)}` : ''}`;
    const res = await api<Json>(server, 'GET', `/api/conversations/${id}/events/search?${q}`, assertEventPage);
    if (res.status !== 200) throw new Error(`events search ${res.status}: ${JSON.stringify(res.body)}`);
    out.push(...res.body.items);
    page = res.body.next_page_id;
    if (!page) return out;
  }
}

export async function createConversation(server: TestServer, body: Json): Promise<Json> {
  const res = await api(server, 'POST', '/api/conversations', 'ConversationInfo', { json: body });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function waitForStatus(server: TestServer, id: string, statuses: string[]): Promise<Json> {
  return waitFor(async () => {
    const res = await api(server, 'GET', `/api/conversations/${id}`, 'ConversationInfo');
    return statuses.includes(res.body.execution_status) ? res.body : undefined;
  }, `conversation ${id} status ${statuses.join('|')}`, { timeoutMs: 30_000, intervalMs: 50 });
}

/** Every type a frame of the events socket is checked against: the core's events, the server's own, the snapshot's value. */
const FRAME_TYPES = [...EventSchema.options.map((o) => o.shape.kind.value), 'ServerErrorEvent', 'StreamingDeltaEvent', 'ConversationInfo'];

/**
 * A raw events-socket client (first-frame auth, as the Python client): records and checks every frame. Its
 * waits fail at once, with the close code, when the socket closes before the awaited frame came.
 */
export class EventSocket {
  readonly frames: Json[] = [];
  readonly ws: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  private readonly errors: unknown[] = [];

  constructor(server: TestServer, id: string, query = '', opts: { auth?: 'frame' | 'query' | 'none' } = {}) {
    // Before the socket exists: compiling on a frame's arrival would stall this process past the server's ping.
    compileSchemas(FRAME_TYPES);
    const base = server.url.replace(/^http/, 'ws');
    const auth = opts.auth ?? 'frame';
    const q = auth === 'query' && server.key ? `${query ? `${query}&` : ''}session_api_key=${server.key}` : query;
    this.ws = new WebSocket(`${base}/sockets/events/${id}${q ? `?${q}` : ''}`, { maxPayload: 1024 * 1024 });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => {
        if (auth === 'frame' && server.key) this.ws.send(JSON.stringify({ type: 'auth', session_api_key: server.key }));
        resolve();
      });
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data, isBinary) => {
      try {
        if (isBinary) throw new Error('binary frame');
        const text = data.toString();
        if (Buffer.byteLength(text) >= 1024 * 1024) throw new Error(`frame of ${Buffer.byteLength(text)} bytes`);
        const frame = JSON.parse(text) as Json;
        assertEvent(frame);
        this.frames.push(frame);
      } catch (err) {
        this.errors.push(err);
      }
    });
  }

  /** Throws the first frame that failed validation. */
  assertValid(): void {
    if (this.errors.length) throw this.errors[0];
  }

  /** Persisted events received (everything but full_state snapshots, streaming deltas and server errors). */
  events(): Json[] {
    return this.frames.filter((f) => !(f.kind === 'ConversationStateUpdateEvent' && f.key === 'full_state') && f.kind !== 'ServerErrorEvent' && f.kind !== 'StreamingDeltaEvent');
  }

  snapshots(): Json[] {
    return this.frames.filter((f) => f.kind === 'ConversationStateUpdateEvent' && f.key === 'full_state');
  }

  async waitFor(predicate: (frame: Json, index: number) => boolean, what: string, from = 0): Promise<Json> {
    return waitFor(() => {
      this.assertValid();
      for (let i = from; i < this.frames.length; i++) if (predicate(this.frames[i] as Json, i)) return this.frames[i];
      return undefined;
    }, what, { timeoutMs: 30_000, intervalMs: 20, failOn: this.closed.then(({ code, reason }) => `the socket closed with ${code}${reason ? ` (${reason})` : ''} after ${this.frames.length} frames`) });
  }

  /** Waits for a full_state snapshot with one of `statuses`, at or after frame `from`. */
  waitForSnapshot(statuses: string[], from = 0): Promise<Json> {
    return this.waitFor((f) => f.kind === 'ConversationStateUpdateEvent' && f.key === 'full_state' && statuses.includes(f.value.execution_status),
      `full_state snapshot ${statuses.join('|')}`, from);
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

/** The (kind, detail) sequence of events, for golden comparisons. */
export function shape(events: Json[]): string[] {
  return events.map((e) => {
    if (e.kind === 'ConversationStateUpdateEvent') return `StateUpdate:${e.key}${e.key === 'execution_status' ? `=${e.value}` : ''}`;
    if (e.kind === 'ActionEvent' || e.kind === 'ObservationEvent') return `${e.kind}:${e.tool_name}`;
    if (e.kind === 'MessageEvent') return `MessageEvent:${e.source}`;
    return String(e.kind);
  });
}
