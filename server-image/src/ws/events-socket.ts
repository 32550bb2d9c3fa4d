// WS /sockets/events/{conversation_id} (OpenHands sockets.py): after authentication (dispatcher), the
// first frame is a full-state ConversationStateUpdateEvent; with `resend_mode=all` (or `resend_all=true`)
// every past event follows, with `resend_mode=since&after_timestamp=` those at or after it; then live
// events. A client frame other than an auth frame is a user message, appended with run=true; one that
// cannot be handled is answered with a ServerErrorEvent and the socket stays open.
//
// Close codes: 4004 unknown conversation (fatal for clients); 1013 too many subscribers or a subscriber
// too slow to keep up (clients retry and catch up); 1008 an invalid query; 1001 server shutdown.
import type { RawData, WebSocket } from 'ws';
import { stateView } from '../conversations/conversation-info.js';
import type { HostedConversation } from '../conversations/hosted-conversation.js';
import { EventStream, serverErrorFrame } from '../conversations/event-stream.js';
import { EventsSocketQuerySchema, normalizeConversationId, SocketMessageSchema } from '../conversations/requests.js';
import type { ConversationService } from '../conversations/service.js';
import { NotFoundError } from '../errors.js';
import { toApiError } from '../http/errors.js';
import type { Logger } from '../log.js';
import { parseClientFrame } from './client-frame.js';
import type { SocketHandler } from './dispatcher.js';

export const CLOSE_NOT_FOUND = 4004;
export const CLOSE_TRY_AGAIN = 1013;

export interface EventsSocketOptions {
  maxSubscribers: number;
  maxLagEvents: number;
  /** Bytes a subscriber may have in flight before the stream waits for the socket. */
  highWaterBytes: number;
  /** Protocol ping interval; a client that has not answered the previous ping by the next one is dropped. 0: off. */
  pingIntervalMs: number;
}

/** What a client is told about a message that failed: a refusal as the HTTP API words it; nothing internal. */
export function clientError(err: unknown): { code: string; detail: string } {
  const error = toApiError(err);
  if (error && error.status !== 500) {
    const detail = typeof error.detail === 'string' ? error.detail : JSON.stringify(error.detail);
    return { code: error.code === 'validation' ? 'ValidationError' : error.code, detail };
  }
  return { code: 'InternalError', detail: 'The message could not be handled' };
}

/**
 * Loads a subscriber's conversation, then checks that the socket is still open and the conversation under its
 * subscriber limit (others may have subscribed while this one waited for the load). Otherwise closes the socket as
 * OpenHands does: 4004 gone, 1011 not loadable (logged, naming `socketName`), 1013 with `tooMany`. True when it may
 * subscribe.
 */
export async function loadForSubscriber(socket: WebSocket, hosted: HostedConversation, o: { maxSubscribers: number; tooMany: string; socketName: string; log: Logger }): Promise<boolean> {
  try {
    await hosted.load();
  } catch (err) {
    if (err instanceof NotFoundError) {
      socket.close(CLOSE_NOT_FOUND, 'Conversation not found');
      return false;
    }
    o.log.error({ err, conversation_id: hosted.id }, `conversation could not be loaded for ${o.socketName}`);
    socket.close(1011, 'Conversation could not be loaded');
    return false;
  }
  if (socket.readyState !== socket.OPEN) return false;
  if (hosted.atSubscriberLimit(o.maxSubscribers)) {
    socket.close(CLOSE_TRY_AGAIN, o.tooMany);
    return false;
  }
  return true;
}

/** Pings every `intervalMs`; a client that has not answered the previous ping by the next one is dropped. 0: off. */
export function keepAlive(socket: WebSocket, intervalMs: number): void {
  if (intervalMs <= 0) return;
  let alive = true;
  socket.on('pong', () => {
    alive = true;
  });
  const timer = setInterval(() => {
    if (!alive) {
      socket.terminate();
      return;
    }
    alive = false;
    socket.ping();
  }, intervalMs);
  timer.unref();
  socket.once('close', () => clearInterval(timer));
}

export function eventsSocket(service: ConversationService, opts: EventsSocketOptions): SocketHandler {
  return async ({ socket, url, params, log }) => {
    // A malformed percent-encoding cannot name a conversation: it is an unknown id (4004), not a crash.
    let rawId: string;
    try {
      rawId = decodeURIComponent(params[1] ?? '');
    } catch {
      rawId = '';
    }
    const id = normalizeConversationId(rawId);
    let ready: (stream: EventStream | null) => void = () => undefined;
    const started = new Promise<EventStream | null>((resolve) => (ready = resolve));
    const reply = (code: string, detail: string) => {
      if (socket.readyState === socket.OPEN) socket.send(serverErrorFrame(code, detail));
    };

    // Listeners first: frames that follow the auth frame arrive right after this handler starts.
    socket.on('message', (raw: RawData, isBinary: boolean) => {
      void (async () => {
        if (!(await started)) return;
        const frame = parseClientFrame(raw, isBinary, SocketMessageSchema, '(message)');
        if (!frame) return;
        if (!frame.ok) return reply(frame.code, frame.detail);
        try {
          await service.sendMessage(service.get(id as string), { ...frame.data, run: true });
        } catch (err) {
          const e = clientError(err);
          if (e.code === 'InternalError') log.error({ err }, 'socket message failed');
          reply(e.code, e.detail);
        }
      })().catch((err: unknown) => log.error({ err }, 'socket message failed'));
    });
    let stream: EventStream | null = null;
    socket.once('close', () => {
      stream?.stop();
      ready(null);
    });

    const hosted = id ? service.find(id) : undefined;
    if (!hosted) {
      ready(null);
      return socket.close(CLOSE_NOT_FOUND, 'Conversation not found');
    }
    const query = EventsSocketQuerySchema.safeParse(Object.fromEntries(url.searchParams));
    if (!query.success) {
      ready(null);
      const issue = query.error.issues[0];
      return socket.close(1008, `${issue?.path.join('.') ?? 'query'}: ${issue?.message ?? 'invalid'}`.slice(0, 120));
    }
    if (hosted.atSubscriberLimit(opts.maxSubscribers)) {
      ready(null);
      return socket.close(CLOSE_TRY_AGAIN, 'Too many connections');
    }
    if (!(await loadForSubscriber(socket, hosted, { maxSubscribers: opts.maxSubscribers, tooMany: 'Too many connections', socketName: 'a socket', log }))) return ready(null);

    stream = new EventStream({
      hosted,
      replay: query.data,
      snapshot: () => stateView(hosted.dump(), hosted.meta),
      send: (frame, done) => {
        if (socket.readyState !== socket.OPEN) return done(new Error('socket closed'));
        socket.send(frame, (err) => done(err ?? undefined));
      },
      highWaterBytes: opts.highWaterBytes,
      maxLagEvents: opts.maxLagEvents,
      maxPendingSnapshots: 64,
      onTooSlow: (why) => {
        log.warn({ conversation_id: hosted.id, why }, 'event subscriber too slow; closing');
        socket.close(CLOSE_TRY_AGAIN, 'Subscriber too slow; reconnect and replay');
        setTimeout(() => socket.terminate(), 5000).unref();
      },
      onClosed: (reason) => socket.close(reason === 'deleted' ? CLOSE_NOT_FOUND : 1001, reason === 'deleted' ? 'Conversation deleted' : 'Server shutting down'),
    });
    stream.start();
    keepAlive(socket, opts.pingIntervalMs);
    ready(stream);
    log.debug({ conversation_id: hosted.id, replay: query.data.replay }, 'events socket subscribed');
  };
}
