// A conversation whose agent runs on an agent server (ours or the official Python one), driven over the
// OpenHands protocol: REST for commands, the events socket for the stream (openhands-protocol.md §8.2).
//
// events() is kept equal to the server's event log, in the server's order, without gaps or duplicates:
// - live frames are appended in the order they arrive (the server sends them in log order);
// - on every (re)connect the first frame is the state snapshot; from then on live frames are buffered
//   while a REST catch-up fetches the log from the last event held (the search cursor is inclusive), and
//   the buffer is applied after it, both de-duplicated by event id. The subscription starts before the
//   catch-up request, so catch-up and buffer together cover everything;
// - after each call that changes the conversation, the same catch-up runs, so the call's events are in
//   events() when its promise resolves.
// run() resolves when a state snapshot with a status other than `running` has arrived since the call (the
// server sends one after every run; a per-field `finished` is only a hint, OpenHands #3294), the REST
// status confirms it, and a last catch-up has brought every event of the run.
import type { ConfirmationPolicyInput } from '../agent/confirmation-policy.js';
import type { Conversation, ConversationSettings } from '../conversation/conversation.js';
import { ConversationStateError } from '../conversation/errors.js';
import { EventListeners, type EventListener } from '../conversation/event-listeners.js';
import { ExecutionStatusSchema, type ExecutionStatus } from '../conversation/state.js';
import { AgentWorkspaceError } from '../errors.js';
import type { Event } from '../events/event.js';
import { FULL_STATE_KEY } from '../events/state-update-event.js';
import type { MessageInput } from '../events/llm-message.js';
import { silentLogger, type Logger } from '../logger.js';
import { ConflictError, ConnectionError, ServerError } from './errors.js';
import { EventsSocket, type ReconnectOptions } from './events-socket.js';
import type { HttpClient } from './http-client.js';
import { ConversationInfoSchema, EventPageSchema, SuccessSchema } from './protocol.js';
import { parseWireEvent } from './wire-event.js';

/** What a remote conversation needs from its workspace (a `RemoteWorkspace` is one). */
export interface RemoteEndpoint {
  readonly url: string;
  readonly sessionApiKey: string | undefined;
  /** The directory on the server the agent works in. */
  readonly workingDir: string;
  readonly http: HttpClient;
}

/** Options of the remote client itself (the conversation options are `LocalConversation.create`'s). */
export interface RemoteClientOptions {
  /** pino-compatible. Default: silent. */
  logger?: Logger;
  /** Token deltas of a streaming LLM (`StreamingDeltaEvent` frames; not persisted). */
  onStreamingDelta?: (delta: { content?: string; reasoning_content?: string }) => void;
  /** How the events socket reconnects. Defaults: 10 attempts, 500 ms doubling to 30 s, less up to 25 % jitter. */
  reconnect?: ReconnectOptions;
  /** How long a connection may take to deliver the server's state snapshot before it is retried. @unit milliseconds. Default 30 000. */
  readyTimeoutMs?: number;
  /** The WebSocket constructor. Default: the global `WebSocket` (Node ≥ 22, browsers). */
  WebSocket?: typeof WebSocket;
}

export interface CreateRemoteConversationOptions extends RemoteClientOptions, ConversationSettings {
  workspace: RemoteEndpoint;
}

export interface OpenRemoteConversationOptions extends RemoteClientOptions {
  workspace: RemoteEndpoint;
  conversation_id: string;
}

const hasId = (e: Event): boolean => typeof (e as { id?: unknown }).id === 'string';

export class RemoteConversation implements Conversation {
  readonly id: string;
  private readonly http: HttpClient;
  private readonly logger: Logger;
  private readonly list: Event[] = [];
  private readonly ids = new Set<string>();
  private readonly listeners: EventListeners;
  private readonly socket: EventsSocket;
  private current: ExecutionStatus;
  /** Live frames held back while a (re)connect's catch-up runs. */
  private buffer: Event[] | null = null;
  /** Connections that delivered their state frame; only the newest one's catch-up releases the buffer. */
  private connections = 0;
  /** Catch-ups run one after another. */
  private catchUps: Promise<void> = Promise.resolve();
  /** Snapshots with a status other than `running` received so far (run() waits for a new one). */
  private endSignals = 0;
  private fatal: AgentWorkspaceError | undefined;
  private closed = false;
  private wakers: (() => void)[] = [];
  private firstSync: { resolve: () => void; reject: (err: unknown) => void } | undefined;

  private constructor(id: string, status: ExecutionStatus, workspace: RemoteEndpoint, o: RemoteClientOptions) {
    this.id = id;
    this.current = status;
    this.http = workspace.http;
    this.logger = o.logger ?? silentLogger;
    this.listeners = new EventListeners(this.logger);
    this.socket = new EventsSocket({
      url: workspace.url, conversationId: id, sessionApiKey: workspace.sessionApiKey, reconnect: o.reconnect, readyTimeoutMs: o.readyTimeoutMs,
      logger: this.logger, WebSocket: o.WebSocket,
      onFrame: (frame, first) => this.onFrame(frame, first, o.onStreamingDelta),
      onFatal: (err) => this.onFatal(err),
    });
  }

  /** Creates a conversation on the server (the agent, with its LLM key, travels in the request) and attaches to it. */
  static async create(options: CreateRemoteConversationOptions): Promise<RemoteConversation> {
    const secrets = Object.fromEntries(Object.entries(options.secrets ?? {}).map(([k, v]) => [k, typeof v === 'string' ? { kind: 'StaticSecret', value: v } : v]));
    const info = await options.workspace.http.request('POST', '/api/conversations', {
      json: {
        agent: { kind: 'Agent', ...options.agent },
        workspace: { kind: 'LocalWorkspace', working_dir: options.workspace.workingDir },
        ...(options.conversation_id ? { conversation_id: options.conversation_id } : {}),
        confirmation_policy: options.confirmation_policy ?? { kind: 'NeverConfirm' },
        max_iterations: options.max_iterations ?? 500,
        stuck_detection: options.stuck_detection ?? true,
        ...(options.stuck_detection_thresholds ? { stuck_detection_thresholds: options.stuck_detection_thresholds } : {}),
        secrets,
        initial_message: null,
      },
      schema: ConversationInfoSchema,
      // With a given id the server answers an existing conversation instead of making a second one.
      idempotent: options.conversation_id !== undefined,
    });
    return RemoteConversation.attach(info.id, info.execution_status, options.workspace, options);
  }

  /** Attaches to an existing conversation (after a client or server restart): every event, then the live stream. */
  static async open(options: OpenRemoteConversationOptions): Promise<RemoteConversation> {
    const info = await options.workspace.http.request('GET', `/api/conversations/${encodeURIComponent(options.conversation_id)}`, { schema: ConversationInfoSchema });
    return RemoteConversation.attach(info.id, info.execution_status, options.workspace, options);
  }

  private static async attach(id: string, status: ExecutionStatus, workspace: RemoteEndpoint, o: RemoteClientOptions): Promise<RemoteConversation> {
    const conv = new RemoteConversation(id, status, workspace, o);
    const synced = new Promise<void>((resolve, reject) => (conv.firstSync = { resolve, reject }));
    conv.socket.connect();
    try {
      await synced;
    } catch (err) {
      conv.socket.close();
      throw err;
    }
    return conv;
  }

  /** The status last reported by the server. */
  get status(): ExecutionStatus {
    return this.current;
  }

  events(): readonly Event[] {
    return this.list;
  }

  subscribe(listener: EventListener): () => void {
    return this.listeners.subscribe(listener);
  }

  async sendMessage(message: string | MessageInput): Promise<void> {
    const msg = typeof message === 'string' ? { role: 'user', content: [{ type: 'text', text: message }] } : message;
    await this.post('/events', { ...msg, run: false });
  }

  async run(): Promise<ExecutionStatus> {
    const mark = this.endSignals;
    try {
      await this.post('/run', undefined, false);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // already running: wait for that run
    }
    return this.waitForRunEnd(mark);
  }

  async pause(): Promise<void> {
    await this.post('/pause');
  }

  async interrupt(): Promise<void> {
    await this.post('/interrupt');
  }

  async confirm(): Promise<ExecutionStatus> {
    if (this.current !== 'waiting_for_confirmation') throw new ConversationStateError(`nothing waits for confirmation (status ${this.current})`);
    const mark = this.endSignals;
    await this.post('/events/respond_to_confirmation', { accept: true }, false);
    return this.waitForRunEnd(mark);
  }

  async reject(reason = 'User rejected the action'): Promise<void> {
    await this.post('/events/respond_to_confirmation', { accept: false, reason });
  }

  async setConfirmationPolicy(policy: ConfirmationPolicyInput): Promise<void> {
    await this.post('/confirmation_policy', { policy });
  }

  async condense(): Promise<void> {
    await this.post('/condense');
  }

  /**
   * Detaches: closes the events socket. The conversation goes on on the server (a run keeps running; `interrupt()`
   * first to stop it) and `resumeConversation` reattaches. A `run()` still waiting rejects.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
    this.wake();
  }

  /** POSTs to the conversation's route, then catches up so the call's events are in events() (unless `sync` is false). */
  private async post(route: string, json?: unknown, sync = true): Promise<void> {
    this.assertUsable();
    await this.http.request('POST', `/api/conversations/${this.id}${route}`, { ...(json !== undefined ? { json } : {}), schema: SuccessSchema });
    if (sync) await this.catchUp();
  }

  private assertUsable(): void {
    if (this.fatal) throw this.fatal;
    if (this.closed) throw new ConversationStateError(`conversation ${this.id} is closed; reattach with resumeConversation`);
  }

  private onFrame(frame: unknown, first: boolean, onDelta: RemoteClientOptions['onStreamingDelta']): void {
    const wire = parseWireEvent(frame);
    if (!wire) {
      this.logger.warn({ conversation_id: this.id }, 'events socket frame is not an event; ignored');
      return;
    }
    const { event, persisted } = wire;
    if (first) {
      // The state frame (never appended: a Python server without a live conversation sends a bare
      // execution_status update instead of full_state, and that one is not in its log either).
      this.buffer = [];
      const connection = ++this.connections;
      if (event.kind === 'ConversationStateUpdateEvent') this.noteSnapshot(event.key === FULL_STATE_KEY ? event.value : { execution_status: event.value });
      this.listeners.publish(event);
      this.catchUp(connection).then(() => {
        this.firstSync?.resolve();
        this.firstSync = undefined;
      }, (err: unknown) => this.onCatchUpFailed(err));
      return;
    }
    if (persisted) {
      if (this.buffer) this.buffer.push(event);
      else this.accept(event);
    } else {
      if (event.kind === 'ConversationStateUpdateEvent') this.noteSnapshot(event.value);
      if ((event.kind as string) === 'StreamingDeltaEvent') onDelta?.(event as unknown as { content?: string; reasoning_content?: string });
      this.listeners.publish(event);
    }
  }

  private noteSnapshot(value: unknown): void {
    const status = ExecutionStatusSchema.safeParse((value as { execution_status?: unknown } | null)?.execution_status);
    if (!status.success) return;
    this.current = status.data;
    if (status.data !== 'running') this.endSignals++;
    this.wake();
  }

  private accept(event: Event): void {
    if (!hasId(event) || this.ids.has(event.id)) return;
    this.ids.add(event.id);
    this.list.push(event);
    if (event.kind === 'ConversationStateUpdateEvent' && event.key === 'execution_status') {
      const status = ExecutionStatusSchema.safeParse(event.value);
      if (status.success) this.current = status.data;
    }
    this.listeners.publish(event);
  }

  /**
   * Fetches the server's log from the last event held (inclusive cursor; an unknown cursor restarts from the
   * beginning, which de-duplication absorbs), appends what is new. The catch-up of the newest connection then
   * applies its buffered live frames: an older connection's or a call's catch-up may have read the log before
   * that connection subscribed, so releasing the buffer after it could leave a gap.
   */
  private catchUp(connection?: number): Promise<void> {
    const run = async () => {
      let page: string | undefined = this.list.at(-1)?.id;
      for (;;) {
        const res = await this.http.request('GET', `/api/conversations/${this.id}/events/search`, {
          query: { limit: 100, page_id: page }, schema: EventPageSchema,
        });
        for (const item of res.items) {
          const wire = parseWireEvent(item);
          if (!wire) throw new ServerError(`GET /api/conversations/${this.id}/events/search: an item is not an event (${JSON.stringify(item).slice(0, 200)})`, 200, item);
          if (wire.persisted) this.accept(wire.event);
        }
        if (!res.next_page_id) break;
        page = res.next_page_id;
      }
      if (connection !== undefined && connection === this.connections) {
        const held = this.buffer;
        this.buffer = null;
        for (const e of held ?? []) this.accept(e);
      }
      this.wake();
    };
    const next = this.catchUps.then(run);
    this.catchUps = next.catch(() => undefined);
    return next;
  }

  /** A catch-up after a (re)connect failed: the connection is dropped so the socket reconnects and tries again. */
  private onCatchUpFailed(err: unknown): void {
    if (this.firstSync) {
      // the attach itself: its caller gets the error
      this.firstSync.reject(err);
      this.firstSync = undefined;
      return;
    }
    this.logger.warn({ conversation_id: this.id, err: err instanceof Error ? err.message : String(err) }, 'catch-up after reconnect failed; retrying');
    this.catchUp(this.connections).catch((again: unknown) => this.onFatal(again instanceof AgentWorkspaceError ? again
      : new ConnectionError(`conversation ${this.id}: catching up with the server failed (${String(again)}); reattach with resumeConversation.`, { cause: again })));
  }

  private onFatal(err: AgentWorkspaceError): void {
    this.fatal = err;
    this.socket.close();
    this.logger.error({ conversation_id: this.id, err: err.message }, 'events socket gave up');
    this.firstSync?.reject(err);
    this.firstSync = undefined;
    this.wake();
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const w of wakers) w();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.wakers.push(resolve));
  }

  /** Waits for a run that started after `mark` to stop; resolves with the status it stopped in. */
  private async waitForRunEnd(mark: number): Promise<ExecutionStatus> {
    let seen = mark;
    for (;;) {
      this.assertUsable();
      if (this.endSignals > seen && this.buffer === null) {
        seen = this.endSignals;
        const info = await this.http.request('GET', `/api/conversations/${this.id}`, { schema: ConversationInfoSchema });
        if (info.execution_status !== 'running') {
          await this.catchUp();
          this.current = info.execution_status;
          return info.execution_status;
        }
        continue;
      }
      await this.changed();
    }
  }
}
