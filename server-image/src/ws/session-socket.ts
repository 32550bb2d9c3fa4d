// WS /sockets/session/{conversation_id}?after_seq=N (OpenHands 1.58.2 `session_socket.py`, served by default): the
// conversation's events in envelope frames on one ordered channel (conversations/session-frames.ts): `sync`, then
// the log above `after_seq` as `durable` frames, then live frames. Omitting `after_seq` is live only; -1 is the whole log.
//
// Answers, as the official server gives them:
// - a path id that is not a UUID, or an `after_seq` that is not an integer: the handshake is refused (HTTP 403);
// - an unknown conversation: close 4004 "Conversation not found";
// - more subscribers than the limit (shared with /sockets/events): close 1013 "Too many connections for this conversation";
// - a client that does not keep up (over 16 MiB queued) or a frame over 4 MiB: close 1013 `slow_consumer` / `frame_too_large`;
// - a client frame that is not JSON, not a message, or cannot be handled: an `error` frame, the socket stays open;
//   a JSON user message is appended with run=true; a repeated auth frame is ignored.
// Client frames are read one at a time once the stream is live (the socket is paused while one is handled).
import type { RawData } from 'ws';
import { stateView } from '../conversations/conversation-info.js';
import type { HostedConversation } from '../conversations/hosted-conversation.js';
import { SessionConversationIdSchema, SessionSocketQuerySchema, SocketMessageSchema } from '../conversations/requests.js';
import { errorFrame } from '../conversations/session-frames.js';
import { SessionStream } from '../conversations/session-stream.js';
import type { ConversationService } from '../conversations/service.js';
import { parseClientFrame } from './client-frame.js';
import type { HandshakeCheck, SocketHandler } from './dispatcher.js';
import { CLOSE_NOT_FOUND, CLOSE_TRY_AGAIN, clientError, keepAlive, loadForSubscriber } from './events-socket.js';
import { SessionWriter, type SessionWriterOptions } from './session-writer.js';

export interface SessionSocketOptions {
  /** Subscribers per conversation, this socket's and /sockets/events' together. */
  maxSubscribers: number;
  /** Protocol ping interval; a client that has not answered the previous ping by the next one is dropped. 0: off. */
  pingIntervalMs: number;
  /** Frame and pending-bytes limits (OpenHands' constants by default). */
  writer?: Omit<SessionWriterOptions, 'onDrop'>;
}

function pathId(params: RegExpExecArray): string | undefined {
  try {
    const parsed = SessionConversationIdSchema.safeParse(decodeURIComponent(params[1] ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // a malformed percent-encoding
  }
}

const query = (url: URL) => SessionSocketQuerySchema.safeParse(Object.fromEntries(url.searchParams));

/** FastAPI validates the path and query before the endpoint runs: an invalid one is refused at the handshake. */
export const sessionSocketCheck: HandshakeCheck = (url, params) => pathId(params) !== undefined && query(url).success;

export function sessionSocket(service: ConversationService, opts: SessionSocketOptions): SocketHandler {
  return async ({ socket, url, params, log }) => {
    const id = pathId(params) as string;
    const afterSeq = query(url).data?.after_seq ?? null;
    let live: (hosted: HostedConversation | null) => void = () => undefined;
    const started = new Promise<HostedConversation | null>((resolve) => (live = resolve));
    let writer: SessionWriter | null = null;
    const reply = (code: string, detail: string) => writer?.send(errorFrame(code, detail));

    const handle = async (raw: RawData, isBinary: boolean, hosted: HostedConversation) => {
      // Starlette's receive_json reads message["text"]: a binary frame is a KeyError there.
      if (isBinary) return reply('KeyError', "'text'");
      const frame = parseClientFrame(raw, isBinary, SocketMessageSchema, '(message)');
      if (!frame) return;
      if (!frame.ok) return reply(frame.code, frame.detail);
      try {
        await service.sendMessage(hosted, { ...frame.data, run: true });
      } catch (err) {
        const e = clientError(err);
        if (e.code === 'InternalError') log.error({ err }, 'session socket message failed');
        reply(e.code, e.detail);
      }
    };
    // Listeners first: frames that follow the auth frame arrive right after this handler starts.
    socket.on('message', (raw: RawData, isBinary: boolean) => {
      socket.pause();
      void started
        .then((hosted) => (hosted ? handle(raw, isBinary, hosted) : undefined))
        .catch((err: unknown) => log.error({ err }, 'session socket message failed'))
        .finally(() => socket.resume());
    });

    let stream: SessionStream | null = null;
    socket.once('close', () => {
      stream?.stop();
      writer?.close();
      live(null);
    });

    const hosted = service.find(id);
    if (!hosted) {
      live(null);
      return socket.close(CLOSE_NOT_FOUND, 'Conversation not found');
    }
    const tooMany = 'Too many connections for this conversation';
    if (!(await loadForSubscriber(socket, hosted, { maxSubscribers: opts.maxSubscribers, tooMany, socketName: 'a session socket', log }))) return live(null);

    writer = new SessionWriter(socket, {
      ...opts.writer,
      onDrop: (reason, detail) => {
        stream?.stop();
        if (reason !== 'slow_consumer' && reason !== 'frame_too_large') return;
        log.warn({ conversation_id: hosted.id, reason, ...detail }, `session socket dropped: ${reason}`);
        socket.close(CLOSE_TRY_AGAIN, reason);
      },
    });
    stream = new SessionStream({
      hosted, sink: writer, afterSeq,
      snapshot: () => stateView(hosted.dump(), hosted.meta),
      onClosed: (reason) => socket.close(reason === 'deleted' ? CLOSE_NOT_FOUND : 1001, reason === 'deleted' ? 'Conversation not found' : 'Server shutting down'),
    });
    keepAlive(socket, opts.pingIntervalMs);
    log.debug({ conversation_id: hosted.id, after_seq: afterSeq?.toString() ?? null }, 'session socket subscribed');
    live((await stream.start()) ? hosted : null);
  };
}
