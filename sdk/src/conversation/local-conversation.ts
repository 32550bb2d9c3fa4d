import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { Agent, type StepContext } from '../agent/agent.js';
import { effectiveToolSpecs, parseAgentSpec, redactAgentSpec, type AgentSpec, type AgentSpecInput } from '../agent/agent-spec.js';
import { LLMSummarizingCondenser } from '../agent/condenser.js';
import { ConfirmationPolicySchema, type ConfirmationPolicy, type ConfirmationPolicyInput } from '../agent/confirmation-policy.js';
import { detectStuck, StuckThresholdsSchema, type StuckThresholds } from '../agent/stuck-detector.js';
import { unresolvedActions } from '../agent/view.js';
import { text } from '../events/content.js';
import type { ErrorClassification } from '../events/error-classification.js';
import { EventSchema, type Event, type EventInput } from '../events/event.js';
import { MessageSchema, type MessageInput } from '../events/llm-message.js';
import { FULL_STATE_KEY } from '../events/state-update-event.js';
import { defaultLLMFactory, type LLMFactory } from '../llm/create-llm.js';
import { LLMError } from '../llm/errors.js';
import { ConversationStatsSchema, recordUsage, type ConversationStats } from '../llm/metrics.js';
import type { CompletionResponse, LLM } from '../llm/types.js';
import { silentLogger, type Logger } from '../logger.js';
import { createTools } from '../tools/registry.js';
import type { Tool } from '../tools/tool.js';
import { ConversationStateError, type Conversation, type ConversationSettings } from './conversation.js';
import { EventLog, type EventListener } from './event-log.js';
import { conversationDir, ensureDir, loadEvents, readJson, writeJsonAtomic } from './persistence.js';
import { SecretRegistry, SecretsSchema } from './secrets.js';
import { PersistedStateSchema, type ExecutionStatus } from './state.js';

/** A user message larger than this is refused (it would not fit any model's context anyway). */
const MAX_MESSAGE_CHARS = 1_000_000;

export const LocalConversationOptionsSchema = z.object({
  workspace: z.union([
    z.string().min(1),
    z.object({ kind: z.literal('LocalWorkspace').optional(), working_dir: z.string().min(1) }),
  ]),
  /** Parent directory of conversation directories; null keeps the conversation in memory only. Default null. */
  persistence_dir: z.string().nullish(),
  conversation_id: z.uuid().optional(),
  confirmation_policy: ConfirmationPolicySchema.default({ kind: 'NeverConfirm' }),
  /** LLM steps per `run()`. Default 500. */
  max_iterations: z.number().int().min(1).default(500),
  stuck_detection: z.boolean().default(true),
  stuck_detection_thresholds: StuckThresholdsSchema.default(() => StuckThresholdsSchema.parse({})),
  secrets: SecretsSchema.default({}),
});

export interface LocalConversationOptions extends ConversationSettings {
  workspace: string | { kind?: 'LocalWorkspace'; working_dir: string };
  persistence_dir?: string | null;
  /** Builds the LLM for a config. Default: `createLLM` (by model prefix). */
  llmFactory?: LLMFactory;
  /** pino-compatible; secrets and API keys are masked before it sees anything. Default: silent. */
  logger?: Logger;
  /** Token deltas of streaming LLMs (not persisted; a server may forward them as `StreamingDeltaEvent`s). */
  onStreamingDelta?: (delta: { content?: string; reasoning_content?: string }) => void;
  /**
   * The environment the tools' processes start from (the secrets are added to it). Default: this process's
   * environment. A server should pass one without its own credentials, which the agent could otherwise read.
   */
  toolEnvironment?: Record<string, string | undefined>;
}

export interface OpenConversationOptions extends Omit<LocalConversationOptions, 'agent' | 'workspace' | 'conversation_id' | 'persistence_dir'> {
  persistence_dir: string;
  conversation_id: string;
  /** The agent to continue with (e.g. to supply the API key, which is never stored). Its tools must match the stored agent's. */
  agent?: AgentSpecInput;
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
  private readonly onDelta: LocalConversationOptions['onStreamingDelta'];
  private running: Promise<ExecutionStatus> | null = null;
  private controller = new AbortController();
  private interrupted = false;
  private readonly createdAt: string;

  private constructor(
    s: Internal,
    opts: Pick<LocalConversationOptions, 'llmFactory' | 'logger' | 'onStreamingDelta' | 'toolEnvironment'>,
    createdAt: string,
  ) {
    this.s = s;
    this.id = s.id;
    this.createdAt = createdAt;
    s.secrets.addMaskOnly(s.spec.llm.api_key);
    if (s.spec.condenser?.kind === 'LLMSummarizingCondenser') s.secrets.addMaskOnly(s.spec.condenser.llm.api_key);
    this.logger = maskingLogger(opts.logger ?? silentLogger, s.secrets);
    this.onDelta = opts.onStreamingDelta;
    this.log = new EventLog(s.dir, s.events, this.logger);
    const factory = opts.llmFactory ?? defaultLLMFactory;
    const llm = factory(s.spec.llm);
    const condenser = s.spec.condenser?.kind === 'LLMSummarizingCondenser'
      ? new LLMSummarizingCondenser(factory(s.spec.condenser.llm), s.spec.condenser.max_size, s.spec.condenser.keep_first)
      : null;
    const dataDir = s.dir ?? mkdtempSync(join(tmpdir(), `conversation-${s.id.slice(0, 8)}-`));
    this.tools = createTools(effectiveToolSpecs(s.spec), {
      workingDir: s.workingDir, dataDir, env: s.secrets.env(), ...(opts.toolEnvironment ? { baseEnv: opts.toolEnvironment } : {}),
    });
    this.agent = new Agent(s.spec, this.tools, llm, condenser, s.workingDir);
  }

  /** Starts a new conversation. Throws `AgentSpecError` / `ZodError` naming the bad field, or `LLMError('LLMConfigError')`. */
  static async create(options: LocalConversationOptions): Promise<LocalConversation> {
    const spec = parseAgentSpec(options.agent);
    // The schema covers the serializable options; the agent, hooks and environment are dropped as unknown keys.
    const o = LocalConversationOptionsSchema.parse(options);
    const wd = typeof o.workspace === 'string' ? o.workspace : o.workspace.working_dir;
    if (!isAbsolute(wd)) throw new ConversationStateError(`workspace.working_dir must be an absolute path, got "${wd}"`);
    mkdirSync(wd, { recursive: true });
    const id = o.conversation_id ?? randomUUID();
    const dir = o.persistence_dir ? conversationDir(resolve(o.persistence_dir), id) : null;
    if (dir && existsSync(join(dir, 'base_state.json'))) throw new ConversationStateError(`conversation ${id} already exists in ${o.persistence_dir}; open it instead`);
    if (dir) ensureDir(dir);
    const s: Internal = {
      id, spec, workingDir: wd, dir, status: 'idle', policy: o.confirmation_policy, maxIterations: o.max_iterations, stuckDetection: o.stuck_detection,
      thresholds: o.stuck_detection_thresholds, stats: ConversationStatsSchema.parse({}), secrets: new SecretRegistry(o.secrets), events: [], lastUserMessageId: null,
    };
    const conv = new LocalConversation(s, options, new Date().toISOString());
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
    const statePath = join(dir, 'base_state.json');
    if (!existsSync(statePath)) throw new ConversationStateError(`conversation ${options.conversation_id} not found in ${options.persistence_dir}`);
    const stored = PersistedStateSchema.parse(readJson(statePath));
    const storedSpec = parseAgentSpec(stored.agent);
    let spec = storedSpec;
    if (options.agent) {
      spec = parseAgentSpec(options.agent);
      const names = (a: AgentSpec) => effectiveToolSpecs(a).map((t) => t.name).sort().join(',');
      if (names(spec) !== names(storedSpec)) {
        throw new ConversationStateError(`agent tools [${names(spec)}] differ from the stored conversation's [${names(storedSpec)}]`);
      }
    }
    const meta = existsSync(join(dir, 'meta.json')) ? (readJson(join(dir, 'meta.json')) as { created_at?: string }) : {};
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

  /** The event log itself (for hosts that page or search it). */
  get eventLog(): EventLog {
    return this.log;
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
    this.s.lastUserMessageId = e.id;
    this.persistState();
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
    };
  }

  private emit<E extends EventInput>(input: E): Extract<Event, { kind: E['kind'] }> {
    const event = EventSchema.parse(this.s.secrets.maskDeep(input));
    return this.log.append(event) as Extract<Event, { kind: E['kind'] }>;
  }

  private setStatus(status: ExecutionStatus): void {
    if (this.s.status === status) return;
    this.s.status = status;
    this.persistState();
    this.emit({ kind: 'ConversationStateUpdateEvent', key: 'execution_status', value: status });
  }

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
    writeJsonAtomic(join(this.s.dir, 'base_state.json'), { ...this.stateDump(), stuck_detection_thresholds: this.s.thresholds });
    writeJsonAtomic(join(this.s.dir, 'meta.json'), {
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
