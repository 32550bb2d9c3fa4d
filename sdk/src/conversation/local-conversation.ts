import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { Agent, type StepContext } from '../agent/agent.js';
import { effectiveToolSpecs, parseAgentSpec, redactAgentSpec, type AgentSpec, type AgentSpecInput } from '../agent/agent-spec.js';
import { LLMSummarizingCondenser } from '../agent/condenser.js';
import { ConfirmationPolicySchema, type ConfirmationPolicy, type ConfirmationPolicyInput } from '../agent/confirmation-policy.js';
import type { StreamProgress } from '../agent/stream-slot.js';
import { detectStuck, StuckThresholdsSchema, type StuckThresholds } from '../agent/stuck-detector.js';
import { buildView, unresolvedActions, viewToMessages } from '../agent/view.js';
import { contentText, text } from '../events/content.js';
import type { ErrorClassification } from '../events/error-classification.js';
import { EventSchema, type Event, type EventInput } from '../events/event.js';
import { MessageSchema, type MessageInput } from '../events/llm-message.js';
import { FULL_STATE_KEY } from '../events/state-update-event.js';
import { LLMConfigSchema, type LLMConfigInput } from '../llm/config.js';
import { defaultLLMFactory, type LLMFactory } from '../llm/create-llm.js';
import { LLMError } from '../llm/errors.js';
import { ConversationStatsSchema, recordUsage, type ConversationStats } from '../llm/metrics.js';
import type { CompletionResponse, LLM } from '../llm/types.js';
import { silentLogger, type Logger } from '../logger.js';
import { createTools } from '../tools/registry.js';
import type { Tool, ToolHost } from '../tools/tool.js';
import { ConversationSettingsSchema, type Conversation, type ConversationSettings } from './conversation.js';
import { ConversationExistsError, ConversationNotFoundError, ConversationStateError, EventNotFoundError } from './errors.js';
import { EventLog, type EventListener } from './event-log.js';
import { conversationDir, ensureDir, isStored, loadEvents, PersistenceError, readMeta, readState, removeDir, writeState } from './persistence.js';
import { SecretRegistry, SecretsSchema } from './secrets.js';
import { firstUserMessageText, generateTitle } from './title.js';
import type { ExecutionStatus, PersistedState } from './state.js';

/** A user message larger than this is refused (it would not fit any model's context anyway). */
const MAX_MESSAGE_CHARS = 1_000_000;

/** The serializable options of `LocalConversation.create`, with their defaults (the settings' and these). */
export const LocalConversationOptionsSchema = ConversationSettingsSchema.extend({
  workspace: z.union([
    z.string().min(1),
    z.object({ kind: z.literal('LocalWorkspace').optional(), working_dir: z.string().min(1) }),
  ]),
  /** Parent directory of conversation directories; null keeps the conversation in memory only. Default null. */
  persistence_dir: z.string().nullish(),
});

/** What a host plugs into a conversation: none of it is persisted. */
export interface LocalConversationHooks {
  /** Builds the LLM for a config. Default: `createLLM` (by model prefix). */
  llmFactory?: LLMFactory;
  /** pino-compatible; secrets and API keys are masked before it sees anything. Default: silent. */
  logger?: Logger;
  /** Token deltas of streaming LLMs (not persisted; a server may forward them as `StreamingDeltaEvent`s). */
  onStreamingDelta?: (delta: { content?: string; reasoning_content?: string }) => void;
  /**
   * Stream progress of streaming LLMs (OpenHands' `StreamProgress`, a session socket's item_started, delta and
   * item_aborted frames; not persisted). Given, each step's first event carries the id its progress announced.
   */
  onStreamProgress?: (progress: StreamProgress) => void;
  /**
   * The environment the tools' processes start from (the secrets are added to it). Default: this process's
   * environment. A server should pass one without its own credentials, which the agent could otherwise read.
   */
  toolEnvironment?: Record<string, string | undefined>;
  /** Where the tools' processes run and which files they may touch (`ToolRuntime.launcher`, `checkPath`). Default: here, any. */
  toolHost?: ToolHost;
}

export type LocalConversationOptions = ConversationSettings & z.input<typeof LocalConversationOptionsSchema> & LocalConversationHooks;

export type OpenConversationOptions = Omit<LocalConversationOptions, 'agent' | 'workspace' | 'conversation_id' | 'persistence_dir'> & {
  persistence_dir: string;
  conversation_id: string;
  /** The agent to continue with (e.g. to supply the API key, which is never stored). Its tools must match the stored agent's. */
  agent?: AgentSpecInput;
};

/** `fork` options. The fork keeps the agent (with its keys), the secrets, the workspace and the LLM factory. */
export interface ForkOptions extends Pick<LocalConversationHooks, 'logger' | 'onStreamingDelta' | 'onStreamProgress'> {
  /** Default: a new id. */
  conversation_id?: string;
  /** Copy the events up to and including this one (default: all); the fork is then `idle`. */
  up_to_event_id?: string;
  /** Start the fork's usage metrics at zero. Default false. */
  reset_metrics?: boolean;
}

/** A conversation persisted under a persistence directory, as `LocalConversation.list` reads it (no events). */
export interface StoredConversation {
  id: string;
  /** Its directory. A host may keep files of its own there; they go with `remove`. */
  dir: string;
  /** The persisted `ConversationState` (API keys redacted). */
  state: PersistedState;
  created_at: string;
  updated_at: string;
}

interface Internal {
  id: string;
  spec: AgentSpec;
  workingDir: string;
  dir: string | null;
  status: ExecutionStatus;
  policy: ConfirmationPolicy;
  maxIterations: number;
  stuckDetection: boolean;
  thresholds: StuckThresholds;
  stats: ConversationStats;
  secrets: SecretRegistry;
  events: Event[];
  lastUserMessageId: string | null;
}

function maskingLogger(inner: Logger, secrets: SecretRegistry): Logger {
  const wrap = (level: keyof Logger) => (obj: object, msg?: string) => inner[level](secrets.maskDeep(obj), msg === undefined ? undefined : secrets.mask(msg));
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}

function classify(err: unknown): ErrorClassification {
  if (err instanceof LLMError) {
    switch (err.code) {
      case 'LLMAuthenticationError': return { kind: 'auth', retryable: false, user_action: 'settings' };
      case 'LLMRateLimitError': return { kind: 'rate_limit', retryable: true, user_action: 'retry' };
      case 'LLMServiceUnavailableError':
      case 'LLMTimeoutError':
      case 'LLMConnectionError': return { kind: 'transient', retryable: true, user_action: 'retry' };
      case 'LLMConfigError': return { kind: 'config', retryable: false, user_action: 'settings' };
      default: return { kind: 'unknown', retryable: false, user_action: 'none' };
    }
  }
  return { kind: 'internal', retryable: false, user_action: 'none' };
}

/**
 * The agent core running in this process, persisted to `<persistence_dir>/<id-hex>/` as it goes (OpenHands layout).
 * A server hosts many of these: each has its own event log, state and run loop, and `subscribe` streams its events.
 */
export class LocalConversation implements Conversation {
  readonly id: string;
  private readonly s: Internal;
  private readonly log: EventLog;
  private readonly agent: Agent;
  private readonly tools: Tool[];
  private readonly logger: Logger;
  private readonly llm: LLM;
  private readonly hooks: LocalConversationHooks;
  private readonly onDelta: LocalConversationHooks['onStreamingDelta'];
  private readonly onProgress: LocalConversationHooks['onStreamProgress'];
  private running: Promise<ExecutionStatus> | null = null;
  private controller = new AbortController();
  private interrupted = false;
  private readonly createdAt: string;

  private constructor(
    s: Internal,
    opts: LocalConversationHooks,
    createdAt: string,
  ) {
    this.s = s;
    this.hooks = { llmFactory: opts.llmFactory, logger: opts.logger, toolEnvironment: opts.toolEnvironment, toolHost: opts.toolHost };
    this.id = s.id;
    this.createdAt = createdAt;
    s.secrets.addMaskOnly(s.spec.llm.api_key);
    if (s.spec.condenser?.kind === 'LLMSummarizingCondenser') s.secrets.addMaskOnly(s.spec.condenser.llm.api_key);
    this.logger = maskingLogger(opts.logger ?? silentLogger, s.secrets);
    this.onDelta = opts.onStreamingDelta;
    this.onProgress = opts.onStreamProgress;
    this.log = new EventLog(s.dir, s.events, this.logger);
    const factory = opts.llmFactory ?? defaultLLMFactory;
    const llm = (this.llm = factory(s.spec.llm));
    const condenser = s.spec.condenser?.kind === 'LLMSummarizingCondenser'
      ? new LLMSummarizingCondenser(factory(s.spec.condenser.llm), s.spec.condenser.max_size, s.spec.condenser.keep_first)
      : null;
    const dataDir = s.dir ?? mkdtempSync(join(tmpdir(), `conversation-${s.id.slice(0, 8)}-`));
    this.tools = createTools(effectiveToolSpecs(s.spec), {
      workingDir: s.workingDir, dataDir, persistent: s.dir !== null, env: s.secrets.env(), ...(opts.toolEnvironment ? { baseEnv: opts.toolEnvironment } : {}), ...opts.toolHost,
    });
    this.agent = new Agent(s.spec, this.tools, llm, condenser, s.workingDir);
  }

  /**
   * Starts a new conversation. Throws `AgentSpecError` / `ZodError` naming the bad field, `LLMError('LLMConfigError')`,
   * or `ConversationExistsError`; a conversation that fails to start leaves nothing on disk.
   */
  static async create(options: LocalConversationOptions): Promise<LocalConversation> {
    const spec = parseAgentSpec(options.agent);
    // The schema covers the serializable options; the agent, hooks and environment are dropped as unknown keys.
    const o = LocalConversationOptionsSchema.parse(options);
    const wd = typeof o.workspace === 'string' ? o.workspace : o.workspace.working_dir;
    if (!isAbsolute(wd)) throw new ConversationStateError(`workspace.working_dir must be an absolute path, got "${wd}"`);
    mkdirSync(wd, { recursive: true });
    const id = o.conversation_id ?? randomUUID();
    const dir = o.persistence_dir ? conversationDir(resolve(o.persistence_dir), id) : null;
    if (dir && isStored(dir)) throw new ConversationExistsError(`conversation ${id} already exists in ${o.persistence_dir}; open it instead`);
    const s: Internal = {
      id, spec, workingDir: wd, dir, status: 'idle', policy: o.confirmation_policy, maxIterations: o.max_iterations, stuckDetection: o.stuck_detection,
      thresholds: o.stuck_detection_thresholds, stats: ConversationStatsSchema.parse({}), secrets: new SecretRegistry(o.secrets), events: [], lastUserMessageId: null,
    };
    const conv = new LocalConversation(s, options, new Date().toISOString());
    if (dir) ensureDir(dir);
    conv.persistState();
    conv.publishFullState();
    conv.logger.info({ conversation_id: id, model: spec.llm.model, persistent: dir !== null }, 'conversation created');
    return conv;
  }

  /**
   * Reopens a persisted conversation with every event. One that was `running` when its process died comes back as
   * `error`, with an `AgentErrorEvent` for each tool call that never got a result; a new message continues it.
   */
  static async open(options: OpenConversationOptions): Promise<LocalConversation> {
    const dir = conversationDir(resolve(options.persistence_dir), options.conversation_id);
    if (!isStored(dir)) throw new ConversationNotFoundError(`conversation ${options.conversation_id} not found in ${options.persistence_dir}`);
    const stored = readState(dir);
    const storedSpec = parseAgentSpec(stored.agent);
    let spec = storedSpec;
    if (options.agent) {
      spec = parseAgentSpec(options.agent);
      const names = (a: AgentSpec) => effectiveToolSpecs(a).map((t) => t.name).sort().join(',');
      if (names(spec) !== names(storedSpec)) {
        throw new ConversationStateError(`agent tools [${names(spec)}] differ from the stored conversation's [${names(storedSpec)}]`);
      }
    }
    const meta = readMeta(dir);
    const s: Internal = {
      id: stored.id, spec, workingDir: stored.workspace.working_dir, dir, status: stored.execution_status,
      policy: ConfirmationPolicySchema.parse(options.confirmation_policy ?? stored.confirmation_policy),
      maxIterations: options.max_iterations ?? stored.max_iterations,
      stuckDetection: options.stuck_detection ?? stored.stuck_detection,
      thresholds: StuckThresholdsSchema.parse({ ...(stored.stuck_detection_thresholds as object | undefined), ...options.stuck_detection_thresholds }),
      stats: ConversationStatsSchema.parse(stored.stats),
      secrets: new SecretRegistry(SecretsSchema.parse(options.secrets ?? {})),
      events: loadEvents(dir),
      lastUserMessageId: stored.last_user_message_id ?? null,
    };
    mkdirSync(s.workingDir, { recursive: true });
    const conv = new LocalConversation(s, options, meta.created_at ?? new Date().toISOString());
    if (s.status === 'running') {
      for (const a of unresolvedActions(s.events)) {
        conv.emit({
          kind: 'AgentErrorEvent', tool_name: a.tool_name, tool_call_id: a.tool_call_id,
          error: 'A restart occurred while this tool was in progress. The tool may or may not have completed; check its effects before retrying.',
        });
      }
      conv.setStatus('error');
      conv.logger.warn({ conversation_id: s.id }, 'conversation was running when its process stopped; marked error');
    }
    conv.persistState();
    return conv;
  }

  /**
   * The conversations persisted under `persistence_dir` (state and timestamps; no events are read), in no order.
   * A directory that is not a conversation is passed over; one that does not read is reported to `onUnreadable`.
   */
  static list(persistence_dir: string, onUnreadable: (dir: string, err: unknown) => void = () => undefined): StoredConversation[] {
    const root = resolve(persistence_dir);
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      return [];
    }
    const found: StoredConversation[] = [];
    for (const name of names) {
      const dir = join(root, name);
      try {
        if (!isStored(dir)) continue;
        const state = readState(dir);
        if (dir !== conversationDir(root, state.id)) throw new PersistenceError(`the state in ${dir} names conversation ${state.id}, not this directory`);
        const meta = readMeta(dir);
        const created = meta.created_at ?? new Date(0).toISOString();
        found.push({ id: state.id, dir, state, created_at: created, updated_at: meta.updated_at ?? created });
      } catch (err) {
        onUnreadable(dir, err);
      }
    }
    return found;
  }

  /** Deletes a persisted conversation's directory (close it first). Throws `ConversationNotFoundError`. */
  static remove(persistence_dir: string, conversation_id: string): void {
    const dir = conversationDir(resolve(persistence_dir), conversation_id);
    if (!isStored(dir)) throw new ConversationNotFoundError(`conversation ${conversation_id} not found in ${persistence_dir}`);
    removeDir(dir);
  }

  get status(): ExecutionStatus {
    return this.s.status;
  }

  get workingDir(): string {
    return this.s.workingDir;
  }

  get persistenceDir(): string | null {
    return this.s.dir;
  }

  get agentSpec(): AgentSpec {
    return this.s.spec;
  }

  get confirmationPolicy(): ConfirmationPolicy {
    return this.s.policy;
  }

  get stats(): ConversationStats {
    return this.s.stats;
  }

  events(): readonly Event[] {
    return this.log.all();
  }

  /** The persisted event with this id. A `full_state` snapshot a subscriber saw is never one (it is not persisted). */
  event(id: string): Event | undefined {
    return this.log.get(id);
  }

  /** The position of a persisted event in the log (its file's `{idx:05d}`, a session socket's `seq`), or -1. */
  eventIndex(id: string): number {
    return this.log.indexOf(id);
  }

  /**
   * Appends an event of the host's (a server's restart notice, a setting it changed): the one way an event enters
   * the log, for the agent too. It is masked with the secrets and API keys, validated, and persisted before any
   * subscriber sees it.
   */
  emit<E extends EventInput>(input: E): Extract<Event, { kind: E['kind'] }> {
    const event = EventSchema.parse(this.s.secrets.maskDeep(input));
    return this.log.append(event) as Extract<Event, { kind: E['kind'] }>;
  }

  /**
   * A new conversation with this one's events (up to `up_to_event_id`, or all), agent, secrets and workspace,
   * persisted beside it. Each event is masked again with the secrets known now (a secret added after an event was
   * written does not carry over unmasked). Status: `idle` when cut at an event, else this one's (`paused` while it
   * runs). Throws `EventNotFoundError` or `ConversationExistsError`.
   */
  async fork(options: ForkOptions = {}): Promise<LocalConversation> {
    let events = this.log.all();
    if (options.up_to_event_id !== undefined) {
      const at = this.log.indexOf(options.up_to_event_id);
      if (at < 0) throw new EventNotFoundError(`event ${options.up_to_event_id} not found in conversation ${this.id}`);
      events = events.slice(0, at + 1);
    }
    const id = options.conversation_id ?? randomUUID();
    const dir = this.s.dir ? conversationDir(dirname(this.s.dir), id) : null;
    if (id === this.id || (dir && isStored(dir))) throw new ConversationExistsError(`conversation ${id} already exists`);
    const status: ExecutionStatus = options.up_to_event_id !== undefined ? 'idle' : this.s.status === 'running' ? 'paused' : this.s.status;
    const lastUser = events.findLast((e) => e.kind === 'MessageEvent' && e.source === 'user');
    const s: Internal = {
      ...this.s, id, dir, status, secrets: this.s.secrets.copy(), events: [], lastUserMessageId: lastUser?.id ?? null,
      stats: options.reset_metrics ? ConversationStatsSchema.parse({}) : structuredClone(this.s.stats),
    };
    const fork = new LocalConversation(s, { ...this.hooks, logger: options.logger ?? this.hooks.logger, onStreamingDelta: options.onStreamingDelta, onStreamProgress: options.onStreamProgress }, new Date().toISOString());
    try {
      if (dir) ensureDir(dir);
      for (const e of events) fork.emit(e);
      fork.persistState();
    } catch (err) {
      if (dir) removeDir(dir);
      throw err;
    }
    this.logger.info({ conversation_id: this.id, fork: id, events: events.length }, 'conversation forked');
    return fork;
  }

  /**
   * Asks the conversation's LLM about the conversation so far (OpenHands `ask_agent`), without changing it: no event,
   * no state. The answer is masked. Throws what the LLM throws (`LLMError`).
   */
  async askAgent(question: string): Promise<string> {
    const messages = [...viewToMessages(buildView(this.log.all())), { role: 'user' as const, content: [text(question)] }];
    const response = await this.llm.complete({ messages, tools: [] });
    return this.s.secrets.mask(contentText(response.message.content));
  }

  /**
   * A title for this conversation (OpenHands `generate_title`): its LLM asked once, without tools, about the first
   * user message (or `message`), falling back to that message cut to `maxLength` (default 50). Sets no title; with
   * `publishErrors` a failed LLM call is also appended as a `ConversationErrorEvent` (as the official server's
   * autotitle does). The call's tokens are added to the stats (a `stats` state update follows), as the agent's LLM
   * counts them in OpenHands. `llm`: another model for the title (OpenHands' `title_llm_profile`), built by the
   * conversation's LLM factory; as there, its tokens are not counted. Throws `ConversationStateError` when there is
   * no user message to title, `ZodError` for an invalid `llm`.
   */
  async generateTitle(options: { message?: string; maxLength?: number; publishErrors?: boolean; llm?: LLMConfigInput } = {}): Promise<string> {
    const message = options.message ?? firstUserMessageText(this.log.all());
    if (!message) throw new ConversationStateError('no user message to generate a title from');
    const llm = options.llm ? (this.hooks.llmFactory ?? defaultLLMFactory)(LLMConfigSchema.parse(options.llm)) : this.llm;
    const title = await generateTitle(message, llm, {
      ...(options.maxLength !== undefined ? { maxLength: options.maxLength } : {}),
      ...(llm === this.llm ? { onResponse: (response: CompletionResponse) => this.recordUsage(llm, response) } : {}),
      onError: (err) => {
        const code = err instanceof LLMError ? err.code : err instanceof Error ? err.name : 'Error';
        const detail = this.s.secrets.mask(err instanceof Error ? err.message : String(err));
        this.logger.warn({ conversation_id: this.id, code, detail }, 'title generation failed; the message is the title');
        if (options.publishErrors) this.emit({ kind: 'ConversationErrorEvent', source: 'environment', code, detail });
      },
    });
    return this.s.secrets.mask(title);
  }

  subscribe(listener: EventListener): () => void {
    return this.log.subscribe(listener);
  }

  /** OpenHands `ConversationState` as JSON (`full_state`): secrets and API keys redacted. */
  stateDump(): Record<string, unknown> {
    return {
      id: this.s.id,
      agent: redactAgentSpec(this.s.spec),
      workspace: { kind: 'LocalWorkspace', working_dir: this.s.workingDir },
      persistence_dir: this.s.dir,
      max_iterations: this.s.maxIterations,
      stuck_detection: this.s.stuckDetection,
      execution_status: this.s.status,
      confirmation_policy: this.s.policy,
      security_analyzer: null,
      activated_knowledge_skills: [],
      invoked_skills: [],
      blocked_actions: {},
      blocked_messages: {},
      last_user_message_id: this.s.lastUserMessageId,
      leaf_event_id: this.log.leafId,
      stats: this.s.stats,
      secret_registry: this.s.secrets.dump(),
      tags: {},
      agent_state: {},
    };
  }

  async sendMessage(message: string | MessageInput): Promise<void> {
    const parsed = MessageSchema.safeParse(typeof message === 'string' ? { role: 'user', content: [text(message)] } : message);
    if (!parsed.success) throw new ConversationStateError(`invalid message: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const msg = parsed.data;
    if (msg.role !== 'user') throw new ConversationStateError(`message.role must be "user", got "${msg.role}"`);
    const size = msg.content.reduce((n, c) => n + (c.type === 'text' ? c.text.length : 0), 0);
    if (size > MAX_MESSAGE_CHARS) throw new ConversationStateError(`message is ${size} characters; the limit is ${MAX_MESSAGE_CHARS}`);
    this.ensureInitialized();
    if (this.s.status === 'finished' || this.s.status === 'stuck') this.setStatus('idle');
    // A new message instead of a confirmation rejects the waiting actions, so each tool call keeps a result.
    if (this.s.status === 'waiting_for_confirmation') {
      for (const a of unresolvedActions(this.log.all())) {
        this.emit({ kind: 'UserRejectObservation', tool_name: a.tool_name, tool_call_id: a.tool_call_id, action_id: a.id, rejection_reason: 'The user sent a new message instead of confirming' });
      }
      this.setStatus('idle');
    }
    const suffix = this.s.spec.agent_context?.user_message_suffix;
    const e = this.emit({
      kind: 'MessageEvent', source: 'user', llm_message: msg,
      ...(suffix ? { extended_content: [text(suffix)] } : {}),
    });
    // As OpenHands: the field's change is a state update, after the message that caused it.
    this.s.lastUserMessageId = e.id;
    this.persistState();
    this.emit({ kind: 'ConversationStateUpdateEvent', key: 'last_user_message_id', value: e.id });
  }

  run(): Promise<ExecutionStatus> {
    if (!this.running) this.running = this.loop().finally(() => { this.running = null; });
    return this.running;
  }

  /** As OpenHands: only an idle or running conversation pauses; a run stops before its next step. */
  async pause(): Promise<void> {
    if (this.s.status !== 'idle' && this.s.status !== 'running') return;
    this.setStatus('paused');
    this.emit({ kind: 'PauseEvent' });
    if (!this.running) this.publishFullState();
  }

  /** Cancels a run at once (in-flight LLM call, running command); without a run it is `pause`. */
  async interrupt(): Promise<void> {
    if (!this.running) return this.pause();
    this.interrupted = true;
    this.controller.abort();
    await this.running.catch(() => undefined);
  }

  async confirm(): Promise<ExecutionStatus> {
    if (this.s.status !== 'waiting_for_confirmation') throw new ConversationStateError(`nothing waits for confirmation (status ${this.s.status})`);
    return this.run();
  }

  /** As OpenHands: clears `waiting_for_confirmation` (to idle), then rejects every action still without a result. */
  async reject(reason = 'User rejected the action'): Promise<void> {
    if (this.s.status === 'waiting_for_confirmation') this.setStatus('idle');
    const pending = unresolvedActions(this.log.all());
    if (pending.length === 0) {
      this.logger.warn({ conversation_id: this.id }, 'no pending actions to reject');
      return;
    }
    for (const a of pending) {
      this.emit({ kind: 'UserRejectObservation', tool_name: a.tool_name, tool_call_id: a.tool_call_id, action_id: a.id, rejection_reason: reason });
    }
    this.publishFullState();
  }

  /**
   * Forces a condensation (OpenHands `condense()`): appends a `CondensationRequest`; when no run is in progress the
   * condenser runs now, otherwise the run's next step handles it. Throws without an LLMSummarizingCondenser.
   */
  async condense(): Promise<void> {
    if (this.s.spec.condenser?.kind !== 'LLMSummarizingCondenser') {
      throw new ConversationStateError('cannot condense: no LLMSummarizingCondenser is configured in agent.condenser');
    }
    this.emit({ kind: 'CondensationRequest' });
    if (this.running) return;
    this.controller = new AbortController();
    await this.agent.condense(this.stepContext());
  }

  async setConfirmationPolicy(policy: ConfirmationPolicyInput): Promise<void> {
    this.s.policy = ConfirmationPolicySchema.parse(policy);
    this.emit({ kind: 'ConversationStateUpdateEvent', key: 'confirmation_policy', value: this.s.policy });
    this.persistState();
  }

  async close(): Promise<void> {
    if (this.running) await this.interrupt();
    await Promise.all(this.tools.map((t) => t.close?.()));
  }

  private ensureInitialized(): void {
    if (!this.log.all().some((e) => e.kind === 'SystemPromptEvent')) this.emit(this.agent.systemPromptEvent());
  }

  private async loop(): Promise<ExecutionStatus> {
    const start = this.s.status;
    if (start === 'finished' || start === 'deleting') return start;
    if (!this.log.all().some((e) => e.kind === 'MessageEvent' && e.source === 'user')) {
      throw new ConversationStateError('send a message before running the conversation');
    }
    this.interrupted = false;
    this.controller = new AbortController();
    // Actions without results run first: those waiting for confirmation (running accepts them), and those a pause
    // left behind, so the history the model sees never has a tool call without its result.
    const pending = unresolvedActions(this.log.all());
    const ctx = this.stepContext();
    this.setStatus('running');
    this.logger.info({ conversation_id: this.id, pending_actions: pending.length }, 'run started');
    let iterations = 0;
    try {
      if (pending.length) await this.agent.execute(pending, ctx);
      while (this.s.status === 'running' && !this.interrupted) {
        if (this.s.stuckDetection) {
          const pattern = detectStuck(this.log.all(), this.s.thresholds);
          if (pattern) {
            this.logger.warn({ conversation_id: this.id, pattern }, 'agent is stuck');
            this.setStatus('stuck');
            break;
          }
        }
        if (iterations >= this.s.maxIterations) {
          this.setStatus('error');
          this.emit({
            kind: 'ConversationErrorEvent', source: 'environment', code: 'MaxIterationsReached',
            detail: `Agent reached maximum iterations limit (${this.s.maxIterations}).`,
          });
          break;
        }
        iterations++;
        await this.agent.step(ctx);
      }
    } catch (err) {
      if (!this.interrupted) {
        const code = err instanceof LLMError ? err.code : err instanceof Error ? err.name : 'Error';
        const detail = this.s.secrets.mask(err instanceof Error ? err.message : String(err));
        this.logger.error({ conversation_id: this.id, code, detail }, 'run failed');
        this.setStatus('error');
        this.emit({ kind: 'ConversationErrorEvent', source: 'environment', code, detail, classification: classify(err) });
      }
    } finally {
      if (this.interrupted) {
        this.setStatus('paused');
        this.emit({ kind: 'InterruptEvent' });
        this.interrupted = false;
      }
      this.logger.info({ conversation_id: this.id, status: this.s.status, iterations }, 'run ended');
      this.publishFullState();
    }
    return this.s.status;
  }

  private stepContext(): StepContext {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getters read live state
    const self = this;
    return {
      get events() { return self.log.all(); },
      emit: (e) => this.emit(e) as never,
      setStatus: (st) => this.setStatus(st),
      recordUsage: (llm, r) => this.recordUsage(llm, r),
      get confirmationPolicy() { return self.s.policy; },
      signal: this.controller.signal,
      ...(this.onDelta ? { onDelta: this.onDelta } : {}),
      ...(this.onProgress ? { onProgress: this.onProgress } : {}),
      mask: (s) => this.s.secrets.mask(s),
    };
  }

  private setStatus(status: ExecutionStatus): void {
    if (this.s.status === status) return;
    this.s.status = status;
    this.persistState();
    this.emit({ kind: 'ConversationStateUpdateEvent', key: 'execution_status', value: status });
  }

  /** Adds a completion's usage to the stats; their state update follows. */
  private recordUsage(llm: LLM, r: CompletionResponse): void {
    this.s.stats = recordUsage(this.s.stats, llm.config.usage_id, llm.config.model, r.usage, r.id, r.latency_ms, {
      input: llm.config.input_cost_per_token, output: llm.config.output_cost_per_token,
    });
    this.persistState();
    this.emit({ kind: 'ConversationStateUpdateEvent', key: 'stats', value: this.s.stats });
  }

  private publishFullState(): void {
    this.log.publish(EventSchema.parse({ kind: 'ConversationStateUpdateEvent', key: FULL_STATE_KEY, value: this.stateDump() }));
  }

  private persistState(): void {
    if (!this.s.dir) return;
    const now = new Date().toISOString();
    writeState(this.s.dir, { ...this.stateDump(), stuck_detection_thresholds: this.s.thresholds }, {
      id: this.s.id.replaceAll('-', ''),
      workspace: { kind: 'LocalWorkspace', working_dir: this.s.workingDir },
      title: null,
      tags: {},
      created_at: this.createdAt,
      updated_at: now,
      confirmation_policy: this.s.policy,
      execution_status: this.s.status,
    });
  }
}
