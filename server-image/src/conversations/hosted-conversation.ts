// One conversation as the server hosts it: the SDK's LocalConversation (loaded lazily, evicted when idle),
// the server's own metadata (title, tags, security analyzer, timestamps — in server_meta.json beside the
// core's files), the in-memory credentials and secrets it was started with, its run, and its subscribers.
//
// Subscribers attach here rather than to the LocalConversation, so they survive the core being reopened
// (new secrets) and never see a half-swapped state. Persisted events come from the core's event log, which
// writes each event before publishing it: a subscriber is only ever told about durable events. Every event
// the server adds (the restart notice) goes through the core's `emit`, so it is masked and persisted as the
// agent's are.
import {
  FULL_STATE_KEY, LocalConversation, makeEvent, messageEventText, naiveTimestamp, newEventId,
  type AgentSpecInput, type Event, type ExecutionStatus, type LLMConfig, type LLMFactory, type SecretSource,
  type ToolHost,
} from '@agentworkspace/sdk';
import { ConflictError, InvalidRequestError, NotFoundError, OperationFailedError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ServerMeta } from './conversation-info.js';
import { withServerCredentials, type ServerLLMCredentials } from './llm-credentials.js';
import type { LLMProfileStore } from './llm-profiles.js';
import type { SecretStore } from './secret-store.js';
import type { ProgressFrame } from './session-frames.js';
import { writeServerMeta } from './server-meta.js';

/** What a subscriber is told: each event (persisted or not), and when the conversation goes away. */
export interface ConversationListener {
  event(event: Event, persisted: boolean): void;
  /** A `StreamingDeltaEvent` (token deltas of a streaming LLM; never persisted). */
  delta(frame: Record<string, unknown>): void;
  /** Stream progress of a streaming LLM (item_started, delta, item_aborted; never persisted). */
  progress?(frame: ProgressFrame): void;
  closed(reason: 'deleted' | 'shutdown'): void;
}

export interface HostedDeps {
  persistencePath: string;
  credentials: ServerLLMCredentials;
  log: Logger;
  llmFactory?: LLMFactory | undefined;
  secretStore: SecretStore;
  /** The agent's shell environment (the server's own without its secrets). */
  toolEnvironment: Record<string, string | undefined>;
  /** Where the agent's processes run and which files its file editor may touch. */
  toolHost: ToolHost;
  /** Called on every persisted event: advances the server's activity clock, counts events. */
  touch: () => void;
  /** Where `title_llm_profile` is read from. */
  profiles?: LLMProfileStore | undefined;
}

export interface HostedInit {
  id: string;
  dir: string;
  meta: ServerMeta;
  /** The last state dump known (base_state.json, or the live core's). */
  state: Record<string, unknown>;
  /** The agent spec with credentials, when this process was given it (never persisted). */
  agentInput?: unknown;
  secrets?: Record<string, SecretSource>;
  /** API keys the client put in its agent spec (kept encrypted for restarts, never in the clear). */
  clientKeys?: ClientKeys;
}

export interface ClientKeys {
  llm?: string | undefined;
  condenser?: string | undefined;
}

const hasUserMessage = (events: readonly Event[]) => events.some((e) => e.kind === 'MessageEvent' && e.source === 'user');
const isUserMessage = (e: Event) => e.kind === 'MessageEvent' && e.source === 'user';
/** Whether the newest user message came after everything the agent did: nothing has answered it yet. */
const endsUnanswered = (events: readonly Event[]) => events.findLastIndex(isUserMessage) > events.findLastIndex((e) => e.source === 'agent');

export class HostedConversation {
  readonly id: string;
  readonly dir: string;
  meta: ServerMeta;
  lastUsed = Date.now();
  private state: Record<string, unknown>;
  private agentInput: unknown;
  private secrets: Record<string, SecretSource>;
  private clientKeys: ClientKeys;
  private conv: LocalConversation | null = null;
  private unsubscribeCore: (() => void) | null = null;
  private opening: Promise<LocalConversation> | null = null;
  private runPromise: Promise<void> | null = null;
  private snapshotDuringRun = false;
  private readonly listeners = new Set<ConversationListener>();
  private readonly log: Logger;
  private gone = false;
  private titling = false;
  private readonly internalSubscribers: number;

  constructor(init: HostedInit, private readonly deps: HostedDeps) {
    this.id = init.id;
    this.dir = init.dir;
    this.meta = init.meta;
    this.state = init.state;
    this.agentInput = init.agentInput;
    this.secrets = init.secrets ?? {};
    this.clientKeys = init.clientKeys ?? {};
    this.log = deps.log.child({ conversation_id: init.id });
    this.internalSubscribers = 1 + (init.meta.autotitle !== false && init.meta.title === null ? 1 : 0);
  }

  get loaded(): boolean {
    return this.conv !== null;
  }

  private runRequested = false;

  get running(): boolean {
    return this.runPromise !== null;
  }

  get status(): ExecutionStatus {
    return this.conv?.status ?? (this.state.execution_status as ExecutionStatus);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /**
   * Whether another socket subscriber would pass `max`. As OpenHands 1.58.2, whose limit counts its own subscribers
   * of the conversation too: one always, one more for the autotitle when the conversation was untitled (with
   * `autotitle`) when this process first hosted it.
   */
  atSubscriberLimit(max: number): boolean {
    return this.listeners.size + this.internalSubscribers >= max;
  }

  /** The core's state dump (live when loaded, else as last persisted). */
  dump(): Record<string, unknown> {
    return this.conv ? this.conv.stateDump() : this.state;
  }

  /** Every persisted event in order. Only valid once loaded. */
  events(): readonly Event[] {
    if (!this.conv) throw new Error(`conversation ${this.id} is not loaded`);
    return this.conv.events();
  }

  /** A persisted event's seq (its index in the log), or undefined for one never persisted. Only valid once loaded. */
  seqOf(id: string): number | undefined {
    const index = this.conv?.eventIndex(id) ?? -1;
    return index < 0 ? undefined : index;
  }

  /** Adopts a core the service created (new conversations, forks). */
  adopt(conv: LocalConversation): void {
    this.attach(conv);
  }

  /** The live core, opened from disk on first use. */
  load(): Promise<LocalConversation> {
    if (this.gone) return Promise.reject(new NotFoundError(`Conversation not found: ${this.id}`));
    this.lastUsed = Date.now();
    if (this.conv) return Promise.resolve(this.conv);
    this.opening ??= this.open().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async open(): Promise<LocalConversation> {
    const wasRunning = this.state.execution_status === 'running';
    let conv: LocalConversation;
    try {
      conv = await LocalConversation.open({
        persistence_dir: this.deps.persistencePath,
        conversation_id: this.id,
        agent: (this.agentInput ?? this.restoredAgent()) as AgentSpecInput,
        secrets: this.secrets,
        logger: this.log,
        onStreamingDelta: (d) => this.publishDelta(d),
        onStreamProgress: (p) => this.publishProgress(p),
        toolEnvironment: this.deps.toolEnvironment,
        toolHost: this.deps.toolHost,
        ...(this.deps.llmFactory ? { llmFactory: this.deps.llmFactory } : {}),
      });
    } catch (err) {
      this.log.error({ err }, 'conversation could not be loaded');
      throw new OperationFailedError(`Conversation ${this.id} could not be loaded`, { cause: err });
    }
    if (wasRunning) {
      // The core marks it `error` with an AgentErrorEvent per interrupted tool call; this says why for the
      // run as a whole (an LLM call may have been in flight, with no tool call to blame).
      conv.emit({
        kind: 'ConversationErrorEvent', source: 'environment', code: 'ServerRestarted',
        detail: 'The agent server restarted while this conversation was running. Send a message or run it to continue.',
      });
      this.log.warn('conversation was running when the server stopped; marked error');
    }
    this.attach(conv);
    return conv;
  }

  /**
   * The stored agent spec (keys redacted on disk) with the client's keys put back from the secret store, then
   * the server's credentials where it still has none. The stored secrets come back too.
   */
  private restoredAgent(): unknown {
    const stored = this.deps.secretStore.load(this.dir);
    if (stored) {
      this.clientKeys = { llm: stored.llm_api_key, condenser: stored.condenser_api_key };
      if (Object.keys(this.secrets).length === 0) {
        this.secrets = Object.fromEntries(Object.entries(stored.secrets).map(([k, value]) => [k, { kind: 'StaticSecret' as const, value, description: null }]));
      }
    }
    const agent = structuredClone(this.state.agent) as Record<string, Record<string, unknown> | undefined>;
    if (this.clientKeys.llm && agent.llm) agent.llm.api_key = this.clientKeys.llm;
    const condenser = agent.condenser as { llm?: Record<string, unknown> } | undefined;
    if (this.clientKeys.condenser && condenser?.llm) condenser.llm.api_key = this.clientKeys.condenser;
    return withServerCredentials(agent, this.deps.credentials);
  }

  /** What a fork of this conversation starts with besides its files: the same credentials and secrets. */
  forkInit(): Pick<HostedInit, 'agentInput' | 'secrets' | 'clientKeys'> {
    return { agentInput: this.agentInput, secrets: { ...this.secrets }, clientKeys: { ...this.clientKeys } };
  }

  /** Keeps the client's keys and the secrets, encrypted, for restarts (nothing without a secret key). */
  persistSecrets(): void {
    if (this.gone) return;
    this.deps.secretStore.save(this.dir, {
      llm_api_key: this.clientKeys.llm,
      condenser_api_key: this.clientKeys.condenser,
      secrets: Object.fromEntries(Object.entries(this.secrets).map(([k, v]) => [k, v.value])),
    });
  }

  private attach(conv: LocalConversation): void {
    this.unsubscribeCore?.();
    this.conv = conv;
    this.state = conv.stateDump();
    this.unsubscribeCore = conv.subscribe((event) => this.onCoreEvent(conv, event));
  }

  private onCoreEvent(conv: LocalConversation, event: Event): void {
    const persisted = conv.event(event.id) !== undefined;
    if (persisted) {
      this.meta.updated_at = new Date().toISOString();
      this.deps.touch();
      if (isUserMessage(event)) this.autotitle(conv, event);
    }
    if (!persisted && event.kind === 'ConversationStateUpdateEvent' && event.key === FULL_STATE_KEY) this.snapshotDuringRun = true;
    this.notify((l) => l.event(event, persisted));
  }

  /**
   * OpenHands' autotitle: a user message of an untitled conversation (with `autotitle`) titles it in the
   * background, through the core's `generateTitle` (its model asked once; the message cut to 50 when that fails,
   * the failure appended as a ConversationErrorEvent). A title set meanwhile (PATCH) wins.
   */
  private autotitle(conv: LocalConversation, event: Event): void {
    if (this.meta.title !== null || this.meta.autotitle === false || this.titling) return;
    const message = messageEventText(event);
    if (!message) return;
    this.titling = true;
    conv.generateTitle({ message, publishErrors: true, ...this.titleLLM() })
      .then((title) => {
        if (this.meta.title !== null || this.gone) return;
        this.meta.title = title;
        this.meta.updated_at = new Date().toISOString();
        this.saveMeta();
        this.log.info({ title }, 'conversation titled');
      })
      .catch((err: unknown) => this.log.warn({ err }, 'autotitle failed'))
      .finally(() => { this.titling = false; });
  }

  /** The `title_llm_profile`'s model when it loads; else (logged) the agent's, as OpenHands falls back. */
  private titleLLM(): { llm?: LLMConfig } {
    const name = this.meta.title_llm_profile;
    if (!name || !this.deps.profiles) return {};
    try {
      return { llm: this.deps.profiles.load(name) };
    } catch (err) {
      this.log.warn({ err: (err as Error).message, profile: name }, 'title LLM profile not loaded; titling with the agent\'s model');
      return {};
    }
  }

  /** Calls `fn` for each subscriber; one that throws is logged and does not stop the others. */
  private notify(fn: (listener: ConversationListener) => void): void {
    for (const l of [...this.listeners]) {
      try {
        fn(l);
      } catch (err) {
        this.log.warn({ err }, 'conversation listener threw');
      }
    }
  }

  /** Forwards a streaming LLM's token delta to the subscribers as a `StreamingDeltaEvent` (not persisted). */
  publishDelta(delta: { content?: string; reasoning_content?: string }): void {
    const frame = {
      kind: 'StreamingDeltaEvent', id: newEventId(), timestamp: naiveTimestamp(), source: 'agent',
      ...(delta.content ? { content: delta.content } : {}), ...(delta.reasoning_content ? { reasoning_content: delta.reasoning_content } : {}),
    };
    this.notify((l) => l.delta(frame));
  }

  /** Forwards stream progress (item_started, delta, item_aborted) to the subscribers that take it (not persisted). */
  publishProgress(progress: ProgressFrame): void {
    this.notify((l) => l.progress?.(progress));
  }

  /** Publishes a `full_state` snapshot to the subscribers (not persisted). */
  publishSnapshot(): void {
    if (!this.conv) return;
    const event = makeEvent({ kind: 'ConversationStateUpdateEvent', key: FULL_STATE_KEY, value: {} });
    this.onCoreEvent(this.conv, event);
  }

  subscribe(listener: ConversationListener): () => void {
    this.listeners.add(listener);
    this.lastUsed = Date.now();
    return () => {
      this.listeners.delete(listener);
      this.lastUsed = Date.now();
    };
  }

  /** Whether a run can start: loaded, not running, and something for the agent to answer. Throws otherwise. */
  assertCanRun(conv: LocalConversation): void {
    if (this.runPromise || conv.status === 'running') throw new ConflictError('Conversation already running. Wait for it to finish, or pause or interrupt it.');
    if (!hasUserMessage(conv.events())) throw new InvalidRequestError('Send a message before running the conversation');
  }

  /**
   * Starts the agent (not awaited). Call right after `assertCanRun` in the same tick. After the run a
   * `full_state` snapshot with the final status reaches every subscriber (the core's own, or ours when the
   * core had nothing to do).
   */
  startRun(conv: LocalConversation, onEnd: () => void): void {
    this.snapshotDuringRun = false;
    this.runPromise = (async () => {
      try {
        const status = await conv.run();
        this.log.info({ status }, 'run ended');
      } catch (err) {
        this.log.error({ err }, 'run failed');
      } finally {
        this.runPromise = null;
        this.lastUsed = Date.now();
        this.state = conv.stateDump();
        if (!this.snapshotDuringRun && this.conv === conv) this.publishSnapshot();
        onEnd();
      }
    })();
  }

  /**
   * Records that a message asked for a run while one was going. The running agent reads it at its next step,
   * unless that run was already ending; `takeUnansweredRunRequest` tells which, once the run has ended.
   */
  requestRun(): void {
    this.runRequested = true;
  }

  /** After a run: whether a message asked for a run that the agent then never answered (clears the request). */
  takeUnansweredRunRequest(conv: LocalConversation): boolean {
    const requested = this.runRequested;
    this.runRequested = false;
    return requested && !this.running && this.conv === conv && (conv.status === 'finished' || conv.status === 'idle') && endsUnanswered(conv.events());
  }

  /** Waits for the current run, if any, to end. */
  async settled(): Promise<void> {
    await this.runPromise;
  }

  /** Replaces the conversation's secrets: the core is reopened with them (its shell restarts). */
  async replaceSecrets(secrets: Record<string, SecretSource>): Promise<void> {
    const old = await this.load();
    if (this.running) throw new ConflictError('Secrets cannot be changed while the conversation is running');
    this.secrets = { ...this.secrets, ...secrets };
    this.persistSecrets();
    this.state = old.stateDump();
    const next = await this.open();
    if (old !== next) await old.close();
  }

  saveMeta(): void {
    if (this.gone) return;
    writeServerMeta(this.dir, this.meta);
  }

  /** Releases the core (its shell) when idle; it reloads from disk on next use. */
  async evict(): Promise<void> {
    const conv = this.conv;
    if (!conv || this.running || this.listeners.size > 0) return;
    this.state = conv.stateDump();
    this.unsubscribeCore?.();
    this.unsubscribeCore = null;
    this.conv = null;
    await conv.close();
    this.log.info('idle conversation released from memory');
  }

  /** Stops any run and releases the core; subscribers are told why. */
  async close(reason: 'deleted' | 'shutdown'): Promise<void> {
    if (reason === 'deleted') this.gone = true;
    const conv = this.conv ?? (this.opening ? await this.opening.catch(() => null) : null);
    if (conv) {
      await conv.close().catch((err: unknown) => this.log.warn({ err }, 'closing the conversation failed'));
      this.state = conv.stateDump();
    }
    await this.runPromise;
    for (const l of [...this.listeners]) l.closed(reason);
    this.listeners.clear();
    this.unsubscribeCore?.();
    this.unsubscribeCore = null;
    this.conv = null;
  }
}
