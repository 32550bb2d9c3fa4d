// The conversation service: the catalog of every conversation under OH_CONVERSATIONS_PATH, and the
// operations of the conversations API on them.
//
// At start it lists the stored conversations through the SDK (their state, no events, no shells) and reads
// the server's own metadata beside each; a conversation is opened on first access and released after an idle period when
// nothing runs or listens. Ones that were `running` when the previous process died are opened at once so
// they come back as `error` with their explanatory events. There is no ownership lease: the directory
// belongs to this process (the OpenHands #4192 failure cannot happen).
//
// At most `maxConcurrentRuns` conversations run at a time; starting another is a 429 naming the limit.
import { randomUUID } from 'node:crypto';
import {
  AgentSpecError, AgentSpecSchema, contentText, ConversationExistsError, ConversationNotFoundError, ConversationStateError, EventNotFoundError,
  LLMError, LocalConversation, REDACTED, type Event, type ExecutionStatus, type LLMFactory, type SecretSource, type StreamProgress,
  type ToolHost,
} from '@agentworkspace/sdk';
import { z } from 'zod';
import {
  ConflictError, NotFoundError, OperationFailedError, TooLargeError, TooManyRequestsError, UnavailableError, ValidationError,
} from '../errors.js';
import type { PathPolicy } from '../files/paths.js';
import type { Logger } from '../log.js';
import { parseOrThrow } from '../validation.js';
import { infoView, type ServerMeta } from './conversation-info.js';
import { type ClientKeys, HostedConversation } from './hosted-conversation.js';
import { withServerCredentials, type ServerLLMCredentials } from './llm-credentials.js';
import type { LLMProfileStore } from './llm-profiles.js';
import { SecretStore } from './secret-store.js';
import { readServerMeta } from './server-meta.js';
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
  /** Where the agent's processes run and which files its file editor may touch. */
  toolHost: ToolHost;
  /** OH_SECRET_KEY (else the first session key): encrypts client API keys and secrets kept for restarts. */
  secretKey?: string | undefined;
  /** Where a conversation's `title_llm_profile` is read from. */
  profiles?: LLMProfileStore | undefined;
}

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
    const skip = (dir: string, err: unknown) => log.warn({ dir, err: (err as Error).message }, 'skipping an unreadable conversation directory');
    for (const stored of LocalConversation.list(conversationsPath, skip)) {
      try {
        this.byId.set(stored.id, this.host({ id: stored.id, dir: stored.dir, state: stored.state, meta: readServerMeta(stored.dir, stored) }));
      } catch (err) {
        skip(stored.dir, err);
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

  private host(init: ConstructorParameters<typeof HostedConversation>[0]): HostedConversation {
    return new HostedConversation(init, {
      persistencePath: this.opts.conversationsPath, credentials: this.opts.credentials, log: this.opts.log, llmFactory: this.opts.llmFactory,
      secretStore: this.secretStore, toolEnvironment: this.opts.toolEnvironment, toolHost: this.opts.toolHost, profiles: this.opts.profiles,
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

  /** The conversation, or a NotFoundError `Conversation not found: <id>`. */
  get(id: string): HostedConversation {
    const hosted = this.find(id);
    if (!hosted) throw new NotFoundError(`Conversation not found: ${id}`);
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
    if (this.stopping) throw new UnavailableError('Server is shutting down');
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
      autotitle: req.autotitle, title_llm_profile: req.title_llm_profile,
    };
    let conv: LocalConversation;
    let deltas: (d: { content?: string; reasoning_content?: string }) => void = () => undefined;
    let progress: (p: StreamProgress) => void = () => undefined;
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
        onStreamingDelta: (d) => deltas(d), onStreamProgress: (p) => progress(p),
        toolEnvironment: this.opts.toolEnvironment,
        toolHost: this.opts.toolHost,
        ...(this.opts.llmFactory ? { llmFactory: this.opts.llmFactory } : {}),
      });
    } catch (err) {
      if (err instanceof LLMError && err.code === 'LLMConfigError') {
        throw new ValidationError([{ loc: ['body', 'agent', 'llm'], msg: err.message, type: 'value_error' }]);
      }
      if (err instanceof ConversationExistsError) throw new ConflictError(`Conversation already exists: ${id}`);
      if (err instanceof ConversationStateError || err instanceof AgentSpecError || err instanceof z.ZodError) {
        throw new ValidationError([{ loc: ['body'], msg: err.message, type: 'value_error' }]);
      }
      throw err;
    }
    const hosted = this.host({
      id, dir: conv.persistenceDir as string, state: conv.stateDump(), meta, agentInput,
      secrets: req.secrets as Record<string, SecretSource>, clientKeys: clientKeys(req.agent),
    });
    hosted.adopt(conv);
    deltas = (d) => hosted.publishDelta(d);
    progress = (p) => hosted.publishProgress(p);
    hosted.saveMeta();
    hosted.persistSecrets();
    this.byId.set(id, hosted);
    this.opts.log.info({ conversation_id: id, model: conv.agentSpec.llm.model }, 'conversation created');
    if (req.initial_message) await this.sendMessage(hosted, { ...req.initial_message, run: true });
    return { hosted, created: true };
  }

  /**
   * Forks a conversation through the SDK (its events up to and including `from_event_id`, or all; the same
   * workspace, credentials and secrets). The fork is `idle` when cut at an event, else it keeps the source's
   * status (`paused` if the source runs). ConflictError when the id is taken, NotFoundError for an unknown event.
   */
  async fork(source: HostedConversation, req: ForkRequest): Promise<HostedConversation> {
    if (this.stopping) throw new UnavailableError('Server is shutting down');
    const conv = await source.load();
    const id = req.id ?? randomUUID();
    if (this.byId.has(id) || this.creating.has(id)) throw new ConflictError(`Conversation already exists: ${id}`);
    let deltas: (d: { content?: string; reasoning_content?: string }) => void = () => undefined;
    let progress: (p: StreamProgress) => void = () => undefined;
    let fork: LocalConversation;
    try {
      fork = await conv.fork({
        conversation_id: id, reset_metrics: req.reset_metrics, logger: this.opts.log.child({ conversation_id: id }),
        onStreamingDelta: (d) => deltas(d), onStreamProgress: (p) => progress(p), ...(req.from_event_id ? { up_to_event_id: req.from_event_id } : {}),
      });
    } catch (err) {
      if (err instanceof EventNotFoundError) throw new NotFoundError(`Event not found: ${req.from_event_id}`);
      if (err instanceof ConversationExistsError) throw new ConflictError(`Conversation already exists: ${id}`);
      throw err;
    }
    const now = new Date().toISOString();
    const hosted = this.host({
      id, dir: fork.persistenceDir as string, state: fork.stateDump(), ...source.forkInit(),
      meta: {
        title: req.title ?? null, tags: req.tags ?? { ...source.meta.tags }, security_analyzer: source.meta.security_analyzer,
        created_at: now, updated_at: now, forked_from_conversation_id: source.id, forked_from_event_id: req.from_event_id ?? null,
        tool_module_qualnames: source.meta.tool_module_qualnames, autotitle: source.meta.autotitle, title_llm_profile: source.meta.title_llm_profile ?? null,
      },
    });
    hosted.adopt(fork);
    deltas = (d) => hosted.publishDelta(d);
    progress = (p) => hosted.publishProgress(p);
    hosted.saveMeta();
    hosted.persistSecrets();
    this.byId.set(id, hosted);
    this.opts.log.info({ conversation_id: id, source: source.id, events: fork.events().length }, 'conversation forked');
    return hosted;
  }

  async delete(hosted: HostedConversation): Promise<void> {
    this.byId.delete(hosted.id);
    await hosted.close('deleted');
    try {
      LocalConversation.remove(this.opts.conversationsPath, hosted.id);
    } catch (err) {
      if (!(err instanceof ConversationNotFoundError)) throw err;
    }
    this.opts.log.info({ conversation_id: hosted.id }, 'conversation deleted');
  }

  update(hosted: HostedConversation, patch: { title?: string | null | undefined; tags?: Record<string, string> | null | undefined }): void {
    if (patch.title !== undefined && patch.title !== null) hosted.meta.title = patch.title;
    if (patch.tags !== undefined && patch.tags !== null) hosted.meta.tags = patch.tags;
    hosted.meta.updated_at = new Date().toISOString();
    hosted.saveMeta();
  }

  // ---- runs and messages ----

  /** 429 when `maxConcurrentRuns` conversations already run. */
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

  private capacityError(): TooManyRequestsError {
    return new TooManyRequestsError(`Too many running conversations: at most ${this.opts.maxConcurrentRuns} may run at once (OH_MAX_CONCURRENT_RUNS). Retry when one finishes.`, 5);
  }

  private checkMessageSize(message: { content: unknown[] }): void {
    const bytes = Buffer.byteLength(JSON.stringify(message.content));
    if (bytes > this.opts.maxMessageBytes) {
      throw new TooLargeError(`Message content is ${bytes} bytes; the limit is ${this.opts.maxMessageBytes} (AGENT_SERVER_MAX_MESSAGE_BYTES)`);
    }
  }

  /** Starts the agent; 409 when it already runs, 429 at the concurrency cap, 400 with nothing to answer. */
  async run(hosted: HostedConversation): Promise<void> {
    if (this.stopping) throw new UnavailableError('Server is shutting down');
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
    if (this.stopping) throw new UnavailableError('Server is shutting down');
    this.checkMessageSize(req);
    const conv = await hosted.load();
    const willStart = req.run && !hosted.running;
    if (willStart) this.assertCapacity();
    try {
      await conv.sendMessage({ role: 'user', content: req.content });
    } catch (err) {
      if (err instanceof ConversationStateError) throw new ValidationError([{ loc: ['body'], msg: err.message, type: 'value_error' }]);
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
    conv.emit({ kind: 'ConversationStateUpdateEvent', key: 'security_analyzer', value: analyzer });
  }

  async updateSecrets(hosted: HostedConversation, secrets: Record<string, SecretSource>): Promise<void> {
    await hosted.replaceSecrets(secrets);
  }

  /** Asks the conversation's LLM about the conversation, without changing it (the SDK's `askAgent`). */
  async askAgent(hosted: HostedConversation, question: string): Promise<string> {
    const conv = await hosted.load();
    try {
      return await conv.askAgent(question);
    } catch (err) {
      throw new OperationFailedError(`ask_agent failed for conversation ${hosted.id}`, { cause: err });
    }
  }

  /** Condenses the history now, or at the running agent's next step (the SDK's `condense`). */
  async condense(hosted: HostedConversation): Promise<void> {
    const conv = await hosted.load();
    const condenser = conv.agentSpec.condenser?.kind;
    if (condenser !== 'LLMSummarizingCondenser') {
      throw new ConflictError(condenser ? `Cannot condense conversation: Condenser ${condenser} does not handle condensation requests` : 'Cannot condense conversation: No condenser configured');
    }
    await conv.condense();
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
