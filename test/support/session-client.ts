// A client of WS /sockets/session/{id} for tests: records every frame, checked against the frame schemas, and how
// the socket ended (a close code and reason, or the HTTP status of a refused handshake).
import { WebSocket } from 'ws';
import { SessionFrameSchema, type SessionFrame } from '../../server-image/src/conversations/session-frames.js';
import type { TestServer } from './server.js';
import { waitFor } from './wait.js';

export type Ending = { closed: number; reason: string } | { refused: number } | { error: string };

export class SessionClient {
  readonly frames: SessionFrame[] = [];
  /** Frames that did not match the schema (each a failure of the server under test). */
  readonly invalid: unknown[] = [];
  readonly ended: Promise<Ending>;
  readonly opened: Promise<boolean>;
  readonly ws: WebSocket;

  constructor(server: Pick<TestServer, 'url' | 'key'>, path: string) {
    const url = `${server.url.replace(/^http/, 'ws')}${path}`;
    this.ws = new WebSocket(url, { headers: server.key ? { 'X-Session-API-Key': server.key } : {}, maxPayload: 64 * 1024 * 1024 });
    let end: (e: Ending) => void = () => undefined;
    this.ended = new Promise((resolve) => (end = resolve));
    this.opened = new Promise((resolve) => {
      this.ws.once('open', () => resolve(true));
      this.ws.once('close', () => resolve(false));
    });
    this.ws.on('unexpected-response', (_req, res) => {
      end({ refused: res.statusCode ?? 0 });
      res.resume();
      this.ws.terminate();
    });
    this.ws.on('error', (err) => end({ error: err.message }));
    this.ws.on('message', (data, isBinary) => {
      // An integer past 2^53 (a cursor the client chose) is kept exact, as a bigint.
      const frame: unknown = isBinary ? { binary: true } : JSON.parse(data.toString(), (_key, value: unknown, context?: { source?: string }) =>
        (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source) ? BigInt(context.source) : value));
      const parsed = SessionFrameSchema.safeParse(frame);
      if (parsed.success) this.frames.push(frame as SessionFrame);
      else this.invalid.push(frame);
    });
    this.ws.on('close', (code, reason) => end({ closed: code, reason: reason.toString() }));
  }

  send(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Waits until a frame satisfies `pred` and returns it. */
  waitForFrame(pred: (f: SessionFrame) => boolean, what: string): Promise<SessionFrame> {
    return waitFor(() => this.frames.find(pred), what, { failOn: this.ended.then((e) => `the socket ended: ${JSON.stringify(e)}`) });
  }

  close(): Promise<Ending> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.ended;
  }
}

/** The shape of a frame, what two servers must agree on: its type, seq, and the kind (and state key) of its event. */
export function frameShape(f: SessionFrame): Record<string, unknown> {
  const event = 'event' in f ? (f.event as { kind: string; key?: unknown }) : undefined;
  const { type } = f;
  if (type === 'sync') return { type, from_seq: typeof f.from_seq === 'bigint' ? `${f.from_seq}n` : f.from_seq, through_seq: f.through_seq };
  if (type === 'item_started') return { type, attempt: f.attempt, anchored: f.anchor_seq !== undefined };
  if (type === 'delta') return { type, attempt: f.attempt, order: f.order, kind: f.kind };
  if (type === 'item_aborted') return { type, reason: f.reason };
  if (type === 'error') return { type, code: f.code };
  return {
    type, ...('seq' in f ? { seq: f.seq } : {}),
    ...(event ? { kind: event.kind, ...(event.kind === 'ConversationStateUpdateEvent' ? { key: event.key } : {}) } : {}),
  };
}
