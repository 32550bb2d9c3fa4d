// The events WebSocket of one conversation (`/sockets/events/{id}`, openhands-protocol.md §4.1) with
// first-frame authentication and reconnects. It only moves frames: what they mean (readiness, catch-up,
// de-duplication) is RemoteConversation's. The WebSocket is the standard global one (Node ≥ 22, browsers):
// no custom headers, hence the auth frame.
import { backoffMs, type RetryPolicy } from '../backoff.js';
import type { AgentWorkspaceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { ConnectionError, FATAL_CLOSE_CODES, errorFromClose } from './errors.js';

/** How the events socket reconnects after a drop. Waits double from `initialDelayMs` up to `maxDelayMs`, less up to 25 % jitter. */
export interface ReconnectOptions {
  /** Consecutive failed connection attempts before giving up (the conversation then fails with ConnectionError). Default 10. */
  maxAttempts?: number;
  /** @unit milliseconds. Default 500. */
  initialDelayMs?: number;
  /** @unit milliseconds. Default 30 000 (the Python client's cap). */
  maxDelayMs?: number;
}

export interface EventsSocketOptions {
  /** The server's HTTP base URL; `http` becomes `ws`, `https` `wss`, and its path is kept. */
  url: string;
  conversationId: string;
  sessionApiKey?: string | undefined;
  reconnect?: ReconnectOptions | undefined;
  /** How long a new connection may take to deliver its first frame (the state snapshot) before it is retried. @unit milliseconds. Default 30 000. */
  readyTimeoutMs?: number | undefined;
  /** Each JSON frame; `first` marks the first frame of a connection (the server's state snapshot). */
  onFrame: (frame: unknown, first: boolean) => void;
  /** Reconnecting cannot help (4001, 4004) or the attempts ran out. Called once; the socket is then closed. */
  onFatal: (err: AgentWorkspaceError) => void;
  logger: Logger;
  /** The WebSocket constructor. Default: the global `WebSocket`. */
  WebSocket?: typeof WebSocket | undefined;
  random?: (() => number) | undefined;
}

export class EventsSocket {
  private ws: WebSocket | undefined;
  private closed = false;
  /** Consecutive connection attempts that never delivered a first frame. */
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly policy: RetryPolicy;
  private readonly maxAttempts: number;
  private readonly wsUrl: string;

  constructor(private readonly o: EventsSocketOptions) {
    const r = o.reconnect ?? {};
    const initial = (r.initialDelayMs ?? 500) / 1000;
    this.policy = { retries: Infinity, minWait: initial, maxWait: (r.maxDelayMs ?? 30_000) / 1000, multiplier: initial };
    this.maxAttempts = r.maxAttempts ?? 10;
    const base = new URL(o.url.replace(/\/+$/, ''));
    base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
    this.wsUrl = `${base.toString().replace(/\/+$/, '')}/sockets/events/${encodeURIComponent(o.conversationId)}`;
  }

  /** Opens the first connection; frames and failures arrive through the callbacks. */
  connect(): void {
    if (this.closed) return;
    const Impl = this.o.WebSocket ?? globalThis.WebSocket;
    const ws = new Impl(this.wsUrl);
    this.ws = ws;
    let first = true;
    // The listener exists from the start: a refused handshake reports here, then closes (handled below).
    ws.addEventListener('error', () => this.o.logger.debug({ conversation_id: this.o.conversationId }, 'events socket error'));
    const readyTimer = setTimeout(() => {
      this.o.logger.warn({ conversation_id: this.o.conversationId }, 'events socket sent no state frame in time; reconnecting');
      ws.close(1000, 'no state frame');
    }, this.o.readyTimeoutMs ?? 30_000);
    ws.addEventListener('open', () => {
      if (this.o.sessionApiKey) ws.send(JSON.stringify({ type: 'auth', session_api_key: this.o.sessionApiKey }));
    });
    ws.addEventListener('message', (msg: MessageEvent) => {
      if (typeof msg.data !== 'string') return;
      let frame: unknown;
      try {
        frame = JSON.parse(msg.data);
      } catch {
        this.o.logger.warn({ conversation_id: this.o.conversationId }, 'events socket frame is not JSON; ignored');
        return;
      }
      const isFirst = first;
      if (first) {
        first = false;
        this.failures = 0;
        clearTimeout(readyTimer);
      }
      this.o.onFrame(frame, isFirst);
    });
    ws.addEventListener('close', (ev: CloseEvent) => {
      clearTimeout(readyTimer);
      if (this.closed || this.ws !== ws) return;
      if (FATAL_CLOSE_CODES.has(ev.code)) return this.fail(errorFromClose(ev.code, ev.reason, this.o.conversationId));
      this.failures++;
      if (this.failures > this.maxAttempts) {
        return this.fail(new ConnectionError(`events socket for ${this.o.conversationId}: lost (close ${ev.code}${ev.reason ? ` ${ev.reason}` : ''}) and ${this.maxAttempts} reconnects failed; check that the server at ${this.o.url} is up, then reattach with resumeConversation.`));
      }
      const wait = backoffMs(this.policy, this.failures, undefined, this.o.random);
      this.o.logger.info({ conversation_id: this.o.conversationId, code: ev.code, attempt: this.failures, wait_ms: wait }, 'events socket closed; reconnecting');
      this.retryTimer = setTimeout(() => this.connect(), wait);
    });
  }

  /** Closes the connection for good (no reconnect, no callbacks). */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const ws = this.ws;
    if (ws && (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING)) ws.close(1000, 'client closed');
  }

  private fail(err: AgentWorkspaceError): void {
    this.close();
    this.o.onFatal(err);
  }
}
