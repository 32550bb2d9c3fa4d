// WS /sockets/bash-events: streams BashCommand/BashOutput events as they are recorded; with
// `resend_mode=all` (or the deprecated `resend_all=true`) first replays every stored event in order.
// Delivery follows a cursor into the store (bash/event-stream.ts), so a reader that does not read costs
// a bounded amount of memory. A client frame that is an ExecuteBashRequest starts a command; a frame
// that cannot be handled is answered with a BashError and the socket stays open.
import type { RawData } from 'ws';
import { type BashError, ExecuteBashRequestSchema, fileStampFromMicros, hexId, isoFromMicros, nowMicros } from '../bash/events.js';
import { BashEventStream } from '../bash/event-stream.js';
import { type BashService, TooManySubscribersError } from '../bash/service.js';
import { parseClientFrame } from './client-frame.js';
import type { SocketHandler } from './dispatcher.js';

function bashError(code: string, detail: string): BashError {
  return { kind: 'BashError', id: hexId(), timestamp: isoFromMicros(nowMicros()), code, detail };
}

export interface BashEventsSocketOptions {
  /** Bytes a reader may have in flight before the stream waits for the socket. */
  highWaterBytes: number;
}

export function bashEventsSocket(bash: BashService, opts: BashEventsSocketOptions): SocketHandler {
  return ({ socket, url, log }) => {
    const reply = (error: BashError) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(error));
    };

    socket.on('message', (raw: RawData, isBinary: boolean) => {
      const frame = parseClientFrame(raw, isBinary, ExecuteBashRequestSchema, '(root)');
      if (!frame) return;
      if (!frame.ok) return reply(bashError(frame.code, frame.detail));
      bash.start(frame.data).catch((err: unknown) => {
        log.warn({ err }, 'bash command from a socket refused');
        reply(bashError((err as Error).name || 'Error', (err as Error).message));
      });
    });

    const mode = url.searchParams.get('resend_mode') ?? (url.searchParams.get('resend_all') === 'true' ? 'all' : null);
    if (mode !== null && mode !== 'all') {
      socket.close(1008, "resend_mode must be 'all'");
      return;
    }

    const stream = new BashEventStream({
      store: bash.store,
      after: mode === 'all' ? '' : fileStampFromMicros(nowMicros()),
      send: (frame, done) => {
        if (socket.readyState !== socket.OPEN) return done(new Error('socket closed'));
        socket.send(frame, (err) => done(err ?? undefined));
      },
      highWaterBytes: opts.highWaterBytes,
      log,
      onFailed: () => socket.close(1011, 'Bash events could not be read'),
    });
    let unsubscribe: () => void;
    try {
      unsubscribe = bash.subscribe((event) => stream.onEvent(event));
    } catch (err) {
      if (err instanceof TooManySubscribersError) return socket.close(1013, 'Too many bash event connections');
      throw err;
    }
    socket.once('close', () => {
      stream.stop();
      unsubscribe();
    });
    stream.start();
  };
}
