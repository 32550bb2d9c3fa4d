// The conversation service: the catalog of every conversation under OH_CONVERSATIONS_PATH, and the
// operations of the conversations API on them.
//
// At start it reads each conversation directory's base_state.json, meta.json and server_meta.json (no
// events, no shells); a conversation is opened on first access and released after an idle period when
// nothing runs or listens. Ones that were `running` when the previous process died are opened at once so
// they come back as `error` with their explanatory events. There is no ownership lease: the directory
// belongs to this process (the OpenHands #4192 failure cannot happen).
//
// At most `maxConcurrentRuns` conversations run at a time; starting another is a 503 naming the limit.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  AgentSpecSchema, buildView, contentText, conversationDir, createLLM, eventFileName, LLMConfigSchema, LLMError, LocalConversation,
  makeEvent, PersistedStateSchema, REDACTED, viewToMessages, writeJsonAtomic,
  type Event, type ExecutionStatus, type LLMFactory, type Message, type SecretSource,
} from '@agentworkspace/sdk';
import { z } from 'zod';
import type { PathPolicy } from '../files/paths.js';
import { ApiError, parseOrThrow } from '../http/errors.js';
import type { Logger } from '../log.js';
import { infoView, type ServerMeta } from './conversation-info.js';
import { type ClientKeys, HostedConversation, SERVER_META_FILE } from './hosted-conversation.js';
import { withServerCredentials, type ServerLLMCredentials } from './llm-credentials.js';
import { SecretStore } from './secret-store.js';
import { normalizeConversationId, type ConversationSortOrder, type ForkRequest, type SendMessageRequest, type StartConversationRequest } from './requests.js';

export interface ConversationServiceOptions {
  conversationsPath: string;
  credentials: ServerLLMCredentials;
  maxConcurrentRuns: number;
  /** Seconds a loaded conversation may sit unused (not running, no subscribers) before release; null: never. */
  idleTtlSeconds: number | null;
  /** Largest message content, in bytes of its JSON. */
  maxMessageBytes: number;
  paths: PathPolicy;
  log: Logger;
  llmFactory?: LLMFactory;
  /** The agent's shell environment: the server's own without its secrets. */
  toolEnvironment: Record<string, string | undefined>;
  /** OH_SECRET_KEY (else the first session key): encrypts client API keys and secrets kept for restarts. */
  secretKey?: string | undefined;
}

const ServerMetaSchema = z.object({
  title: z.string().nullable().default(null),
  tags: z.record(z.string(), z.string()).default({}),
  security_analyzer: z.object({ kind: z.literal('LLMSecurityAnalyzer') }).nullable().default(null),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  forked_from_conversation_id: z.string().nullish(),
  forked_from_event_id: z.string().nullish(),
  tool_module_qualnames: z.record(z.string(), z.string()).default({}),
});

const StoredMetaSchema = z.looseObject({ created_at: z.string().optional(), updated_at: z.string().optional() });

const hex = (id: string) => id.replaceAll('-', '');

/** The API keys the client itself put in its agent spec (not the server's, which are applied again on load). */
function clientKeys(agent: unknown): ClientKeys {
  const key = (llm: unknown) => {
    const k = (llm as { api_key?: unknown } | undefined)?.api_key;
    return typeof k === 'string' && k !== '' && k !== REDACTED ? k : undefined;
  };
  const a = agent as { llm?: unknown; condenser?: { llm?: unknown } } | undefined;
  return { llm: key(a?.llm), condenser: key(a?.condenser?.llm) };
}

function readJsonIfExists(path: string): unknown {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

export class ConversationService {
  private readonly byId = new Map<string, HostedConversation>();
  private readonly creating = new Map<string, Promise<{ hosted: HostedConversation; created: boolean }>>();
  private sweeper: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly secretStore: SecretStore;

  private touch: () => void = () => undefined;

  constructor(private readonly opts: ConversationServiceOptions) {
    this.secretStore = new SecretStore(opts.secretKey);
  }

  private eventPersisted: () => void = () => undefined;

  /** Conversation activity (API calls, every event) advances the server's idle clock through `touch`. */
  onActivity(touch: () => void): void {
    this.touch = touch;
  }

  /** Called once per event appended to any conversation (metrics). */
  onEventPersisted(hook: () => void): void {
    this.eventPersisted = hook;
  }

  /** Catalog size, loaded conversations and event-socket subscribers, for metrics. */
  stats(): { total: number; loaded: number; subscribers: number } {
    let loaded = 0;
    let subscribers = 0;
    for (const h of this.byId.values()) {
      if (h.loaded) loaded++;
      subscribers += h.subscriberCount;
    }
    return { total: this.byId.size, loaded, subscribers };
  }

  /** Reads the catalog and reopens conversations that were running when the last process stopped. */
  async start(): Promise<void> {
    const { conversationsPath, log } = this.opts;
    let names: string[] = [];
    try {
      names = readdirSync(conversationsPath);
    } catch {
      names = [];
    }
    for (const name of names) {
      const dir = join(conversationsPath, name);
      try {
        const hosted = this.readEntry(dir);
        if (hosted) this.byId.set(hosted.id, hosted);
      } catch (err) {
        log.warn({ dir, err: (err as Error).message }, 'skipping an unreadable conversation directory');
      }
    }
    const interrupted = [...this.byId.values()].filter((h) => h.status === 'running');
    for (const hosted of interrupted) await hosted.load().catch(() => undefined);
    log.info({ conversations: this.byId.size, recovered: interrupted.length }, 'conversation catalog loaded');
    if (this.opts.idleTtlSeconds !== null) {
      const ttlMs = this.opts.idleTtlSeconds * 1000;
      this.sweeper = setInterval(() => void this.evictIdle(ttlMs), Math.min(60_000, Math.max(1000, ttlMs / 2)));
      this.sweeper.unref();
    }
  }

  private readEntry(dir: string): HostedConversation | undefined {
    const statePath = join(dir, 'base_state.json');
    if (!existsSync(statePath)) return undefined;
    const state = PersistedStateSchema.parse(JSON.parse(readFileSync(statePath, 'utf8')));
    const stored = StoredMetaSchema.parse(readJsonIfExists(join(dir, 'meta.json')) ?? {});
    const server = ServerMetaSchema.parse(readJsonIfExists(join(dir, SERVER_META_FILE)) ?? {});
    const created = server.created_at ?? stored.created_at ?? new Date(0).toISOString();
    const updated = [server.updated_at, stored.updated_at, created].filter((v): v is string => !!v).sort().at(-1) as string;
    const id = state.id;
    if (dir !== conversationDir(this.opts.conversationsPath, id)) throw new Error(`base_state.json names conversation ${id}, not this directory`);
    return this.host({ id, dir, state, meta: {
      title: server.title, tags: server.tags, security_analyzer: server.security_analyzer, created_at: created, updated_at: updated,
      forked_from_conversation_id: server.forked_from_conversation_id, forked_from_event_id: server.forked_from_event_id,
      tool_module_qualnames: server.tool_module_qualnames,
    } });
  }

  private host(init: ConstructorParameters<typeof HostedConversation>[0]): HostedConversation {
    return new HostedConversation(init, {
      persistencePath: this.opts.conversationsPath, credentials: this.opts.credentials, log: this.opts.log, llmFactory: this.opts.llmFactory,
      secretStore: this.secretStore, toolEnvironment: this.opts.toolEnvironment,
      touch: () => {
        this.touch();
        this.eventPersisted();
      },
    });
  }

  private async evictIdle(ttlMs: number): Promise<void> {
    const now = Date.now();
    for (const hosted of this.byId.values()) {
      if (hosted.loaded && !hosted.running && hosted.subscriberCount === 0 && now - hosted.lastUsed > ttlMs) {
        await hosted.evict().catch((err: unknown) => this.opts.log.warn({ err, conversation_id: hosted.id }, 'eviction failed'));
      }
    }
  }

  get runningCount(): number {
    let n = 0;
    for (const h of this.byId.values()) if (h.running) n++;
    return n;
  }

  /** The conversation, or a 404 `Conversation not found: <id>`. */
  get(id: string): HostedConversation {
    const hosted = this.find(id);
    if (!hosted) throw new ApiError('not_found', `Conversation not found: ${id}`);
    return hosted;
  }

  find(id: string): HostedConversation | undefined {
    this.touch();
    return this.byId.get(id);
  }

  /** The conversation named by a client's raw id (dashed or 32-hex); undefined when unknown or malformed. */
  lookup(raw: string): HostedConversation | undefined {
    const id = normalizeConversationId(raw);
    return id ? this.find(id) : undefined;
  }

  info(hosted: HostedConversation, includeSkills = false): Record<string, unknown> {
    return infoView(hosted.dump(), hosted.meta, includeSkills);
  }

  // ---- catalog queries ----

  private sorted(sort: ConversationSortOrder, status?: ExecutionStatus): HostedConversation[] {
    const key = sort.startsWith('UPDATED_AT') ? 'updated_at' : 'created_at';
    const desc = sort.endsWith('_DESC');
    const all = [...this.byId.values()].filter((h) => status === undefined || h.status === status);
    return all.sort((a, b) => {
      const c = a.meta[key] < b.meta[key] ? -1 : a.meta[key] > b.meta[key] ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      return desc ? -c : c;
    });
  }

  search(q: { page_id?: string | undefined; limit: number; status?: ExecutionStatus | undefined; sort_order: ConversationSortOrder; include_skills?: boolean | undefined }) {
    const list = this.sorted(q.sort_order, q.status);
    const cursor = q.page_id ? hex(q.page_id).toLowerCase() : undefined;
    const start = cursor ? Math.max(0, list.findIndex((h) => hex(h.id) === cursor)) : 0;
    const page = list.slice(start, start + q.limit);
    const next = list[start + q.limit];
    return { items: page.map((h) => this.info(h, q.include_skills)), next_page_id: next ? hex(next.id) : null };
  }

  count(status?: ExecutionStatus): number {
    let n = 0;
    for (const h of this.byId.values()) if (status === undefined || h.status === status) n++;
    return n;
  }

  // ---- lifecycle ----

  /** Creates a conversation, or returns the existing one with that id (`created: false`; the request is ignored). */
  async create(req: StartConversationRequest): Promise<{ hosted: HostedConversation; created: boolean }> {
    if (this.stopping) throw new ApiError('unavailable', 'Server is shutting down');
    const id = req.conversation_id ?? randomUUID();
    const existing = this.byId.get(id);
    if (existing) return { hosted: existing, created: false };
    const pending = this.creating.get(id);
    if (pending) return { hosted: (await pending).hosted, created: false };
    const work = this.createNew(id, req);
    this.creating.set(id, work);
    try {
      return await work;
    } finally {
      this.creating.delete(id);
    }
  }

  private async createNew(id: string, req: StartConversationRequest): Promise<{ hosted: HostedConversation; created: boolean }> {
    const agentInput = withServerCredentials(req.agent, this.opts.credentials);
    parseOrThrow(z.object({ agent: AgentSpecSchema }), { agent: agentInput }, 'body');
    const workingDir = await this.opts.paths.check(req.workspace.working_dir);
    if (req.initial_message) this.checkMessageSize(req.initial_message);
    if (req.initial_message) this.assertCapacity();
    const now = new Date().toISOString();
    const meta: ServerMeta = {
      title: null, tags: req.tags, security_analyzer: req.security_analyzer, created_at: now, updated_at: now, tool_module_qualnames: req.tool_module_qualnames,
    };
    let conv: LocalConversation;
    let deltas: (d: { content?: string; reasoning_content?: string }) => void = () => undefined;
    try {
      conv = await LocalConversation.create({
        agent: agentInput as never,
        workspace: { kind: 'LocalWorkspace', working_dir: workingDir },
        persistence_dir: this.opts.conversationsPath,
        conversation_id: id,
        confirmation_policy: req.confirmation_policy,
        max_iterations: req.max_iterations,
        stuck_detection: req.stuck_detection,
        secrets: req.secrets,
        logger: this.opts.log.child({ conversation_id: id }),
        onStreamingDelta: (d) => deltas(d),
        toolEnvironment: this.opts.toolEnvironment,
        ...(this.opts.llmFactory ? { llmFactory: this.opts.llmFactory } : {}),
      });
    } catch (err) {
      rmSync(conversationDir(this.opts.conversationsPath, id), { recursive: true, force: true });
      if (err instanceof LLMError && err.code === 'LLMConfigError') {
        throw new ApiError('validation', [{ loc: ['body', 'agent', 'llm'], msg: err.message, type: 'value_error' }]);
      }
      if (err instanceof Error && (err.name === 'ConversationStateError' || err.name === 'AgentSpecError' || err.name === 'ZodError')) {
        throw new ApiError('validation', [{ loc: ['body'], msg: err.message, type: 'value_error' }]);
      }
      throw err;
    }
    const hosted = this.host({
      id, dir: conversationDir(this.opts.conversationsPath, id), state: conv.stateDump(), meta, agentInput,
      secrets: req.secrets as Record<string, SecretSource>, clientKeys: clientKeys(req.agent),
    });
    hosted.adopt(conv);
    deltas = (d) => hosted.publishDelta(d);
    hosted.saveMeta();
    hosted.persistSecrets();
    this.byId.set(id, hosted);
    this.opts.log.info({ conversation_id: id, model: conv.agentSpec.llm.model }, 'conversation created');
    if (req.initial_message) await this.sendMessage(hosted, { ...req.initial_message, run: true });
    return { hosted, created: true };
  }

  /**
   * Copies a conversation (its events up to and including `from_event_id`, or all) into a new one that shares
   * the workspace, credentials and secrets. The fork is `idle` when cut at an event, else it keeps the source's
   * status (`paused` if the source runs). 409 when the id is taken, 404 for an unknown event.
   */
  async fork(source: HostedConversation, req: ForkRequest): Promise<HostedConversation> {
    if (this.stopping) throw new ApiError('unavailable', 'Server is shutting down');
    const conv = await source.load();
    const id = req.id ?? randomUUID();
    if (this.byId.has(id) || this.creating.has(id)) throw new ApiError('conflict', `Conversation already exists: ${id}`);
    let events = conv.events();
    if (req.from_event_id) {
      const at = conv.eventLog.indexOf(req.from_event_id);
      if (at < 0) throw new ApiError('not_found', `Event not found: ${req.from_event_id}`);
      events = events.slice(0, at + 1);
    }
    const dir = conversationDir(this.opts.conversationsPath, id);
    const stored = JSON.parse(readFileSync(join(source.dir, 'base_state.json'), 'utf8')) as Record<string, unknown>;
    const status = req.from_event_id ? 'idle' : conv.status === 'running' ? 'paused' : conv.status;
    const now = new Date().toISOString();
    const state: Record<string, unknown> = {
      ...stored, ...conv.stateDump(), id, persistence_dir: dir, execution_status: status,
      ...(req.reset_metrics ? { stats: { usage_to_metrics: {} } } : {}),
    };
    try {
      mkdirSync(join(dir, 'events'), { recursive: true });
      events.forEach((e, i) => writeJsonAtomic(join(dir, 'events', eventFileName(i, e.id)), e));
      writeJsonAtomic(join(dir, 'base_state.json'), state);
      writeJsonAtomic(join(dir, 'meta.json'), { id: hex(id), workspace: state.workspace, created_at: now, updated_at: now, execution_status: status });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const hosted = this.host({
      id, dir, state, ...source.forkInit(),
      meta: {
        title: req.title ?? null, tags: req.tags ?? { ...source.meta.tags }, security_analyzer: source.meta.security_analyzer,
        created_at: now, updated_at: now, forked_from_conversation_id: source.id, forked_from_event_id: req.from_event_id ?? null,
        tool_module_qualnames: source.meta.tool_module_qualnames,
      },
    });
    hosted.saveMeta();
    hosted.persistSecrets();
    this.byId.set(id, hosted);
    this.opts.log.info({ conversation_id: id, source: source.id, events: events.length }, 'conversation forked');
    return hosted;
  }

  async delete(hosted: HostedConversation): Promise<void> {
    this.byId.delete(hosted.id);
    await hosted.close('deleted');
    rmSync(hosted.dir, { recursive: true, force: true });
    this.opts.log.info({ conversation_id: hosted.id }, 'conversation deleted');
  }

  update(hosted: HostedConversation, patch: { title?: string | null | undefined; tags?: Record<string, string> | null | undefined }): void {
    if (patch.title !== undefined && patch.title !== null) hosted.meta.title = patch.title;
    if (patch.tags !== undefined && patch.tags !== null) hosted.meta.tags = patch.tags;
    hosted.meta.updated_at = new Date().toISOString();
    hosted.saveMeta();
  }

  // ---- runs and messages ----

  /** 503 when `maxConcurrentRuns` conversations already run. */
  private assertCapacity(): void {
    if (this.runningCount >= this.opts.maxConcurrentRuns) throw this.capacityError();
  }

  /** Starts the run now; call in the same tick as the checks that allowed it. */
  private startRun(hosted: HostedConversation, conv: LocalConversation): void {
    this.assertCapacity();
    hosted.startRun(conv, () => {
      this.touch();
      // A message with `run` that landed as the run was ending was never read: run again for it.
      if (this.stopping || !hosted.takeUnansweredRunRequest(conv)) return;
      try {
        this.startRun(hosted, conv);
      } catch (err) {
        this.opts.log.warn({ conversation_id: hosted.id, err: err instanceof Error ? err.message : String(err) }, 'a run asked for while the last one ended was not started');
      }
    });
  }

  private capacityError(): ApiError {
    return new ApiError('too_many_requests', `Too many running conversations: at most ${this.opts.maxConcurrentRuns} may run at once (OH_MAX_CONCURRENT_RUNS). Retry when one finishes.`, { 'Retry-After': '5' });
  }

  private checkMessageSize(message: { content: unknown[] }): void {
    const bytes = Buffer.byteLength(JSON.stringify(message.content));
    if (bytes > this.opts.maxMessageBytes) {
      throw new ApiError('payload_too_large', `Message content is ${bytes} bytes; the limit is ${this.opts.maxMessageBytes} (AGENT_SERVER_MAX_MESSAGE_BYTES)`);
    }
  }

  /** Starts the agent; 409 when it already runs, 503 at the concurrency cap, 400 with nothing to answer. */
  async run(hosted: HostedConversation): Promise<void> {
    if (this.stopping) throw new ApiError('unavailable', 'Server is shutting down');
    const conv = await hosted.load();
    hosted.assertCanRun(conv);
    this.startRun(hosted, conv);
  }

  /**
   * Appends a user message; with `run`, starts the agent unless it already runs (then the running agent
   * reads the message at its next step). The size limit and the run cap are checked before anything is
   * appended, so a refused message leaves no trace.
   */
  async sendMessage(hosted: HostedConversation, req: SendMessageRequest): Promise<void> {
    if (this.stopping) throw new ApiError('unavailable', 'Server is shutting down');
    this.checkMessageSize(req);
    const conv = await hosted.load();
    const willStart = req.run && !hosted.running;
    if (willStart) this.assertCapacity();
    try {
      await conv.sendMessage({ role: 'user', content: req.content });
    } catch (err) {
      if (err instanceof Error && err.name === 'ConversationStateError') throw new ApiError('validation', [{ loc: ['body'], msg: err.message, type: 'value_error' }]);
      throw err;
    }
    this.touch();
    if (req.run && !hosted.running && conv.status !== 'running') {
      hosted.assertCanRun(conv);
      this.startRun(hosted, conv);
    } else if (req.run) hosted.requestRun();
  }

  /** Pauses after the current step, and answers once that step has ended (as OpenHands). */
  async pause(hosted: HostedConversation): Promise<void> {
    const conv = await hosted.load();
    await conv.pause();
    await hosted.settled();
  }

  async interrupt(hosted: HostedConversation): Promise<void> {
    const conv = await hosted.load();
    await conv.interrupt();
    await hosted.settled();
  }

  /** Accept runs the pending actions (a run already under way is left alone); reject answers each with a UserRejectObservation. */
  async respondToConfirmation(hosted: HostedConversation, accept: boolean, reason: string): Promise<void> {
    const conv = await hosted.load();
    if (accept) {
      if (hosted.running || conv.status === 'running') return;
      if (conv.status !== 'waiting_for_confirmation') return;
      this.startRun(hosted, conv);
      return;
    }
    if (conv.status !== 'waiting_for_confirmation') return;
    await conv.reject(reason);
  }

  async setConfirmationPolicy(hosted: HostedConversation, policy: Parameters<LocalConversation['setConfirmationPolicy']>[0]): Promise<void> {
    const conv = await hosted.load();
    await conv.setConfirmationPolicy(policy);
  }

  async setSecurityAnalyzer(hosted: HostedConversation, analyzer: ServerMeta['security_analyzer']): Promise<void> {
    const conv = await hosted.load();
    hosted.meta.security_analyzer = analyzer;
    hosted.saveMeta();
    conv.eventLog.append(makeEvent({ kind: 'ConversationStateUpdateEvent', key: 'security_analyzer', value: analyzer }));
  }

  async updateSecrets(hosted: HostedConversation, secrets: Record<string, SecretSource>): Promise<void> {
    await hosted.replaceSecrets(secrets);
  }

  /** Asks the conversation's LLM about the conversation, without changing it. */
  async askAgent(hosted: HostedConversation, question: string): Promise<string> {
    const conv = await hosted.load();
    const llmConfig = LLMConfigSchema.parse((withServerCredentials({ llm: conv.agentSpec.llm }, this.opts.credentials) as { llm: unknown }).llm);
    const llm = (this.opts.llmFactory ?? createLLM)(llmConfig);
    const messages: Message[] = [...viewToMessages(buildView(conv.events())), { role: 'user', content: [{ type: 'text', text: question, cache_prompt: false }] }];
    try {
      const response = await llm.complete({ messages, tools: [] });
      return contentText(response.message.content);
    } catch (err) {
      throw new ApiError('internal', `ask_agent failed: ${(err as Error).message}`);
    }
  }

  /** Requests condensation; the agent's summarizing condenser applies it at its next step. */
  async condense(hosted: HostedConversation): Promise<void> {
    const conv = await hosted.load();
    const condenser = conv.agentSpec.condenser?.kind;
    if (condenser !== 'LLMSummarizingCondenser') {
      throw new ApiError('conflict', condenser ? `Cannot condense conversation: Condenser ${condenser} does not handle condensation requests` : 'Cannot condense conversation: No condenser configured');
    }
    conv.eventLog.append(makeEvent({ kind: 'CondensationRequest' }));
  }

  /** The text of the last finish action, or else of the last agent message; "" when there is none. */
  async finalResponse(hosted: HostedConversation): Promise<string> {
    const conv = await hosted.load();
    const events = conv.events();
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i] as Event;
      if (e.kind === 'ActionEvent' && e.action?.kind === 'FinishAction') return (e.action as { message?: string }).message ?? '';
      if (e.kind === 'MessageEvent' && e.source === 'agent') return contentText(e.llm_message.content);
    }
    return '';
  }

  /** Graceful stop: runs are interrupted (their conversations end `paused`, never `running`), shells released. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    if (this.sweeper) clearInterval(this.sweeper);
    await Promise.all([...this.byId.values()].map((h) => h.close('shutdown').catch(() => undefined)));
  }
}
