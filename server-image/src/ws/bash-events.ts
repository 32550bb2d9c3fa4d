// WS /sockets/bash-events: streams BashCommand/BashOutput events as they are recorded; with
// `resend_mode=all` (or the deprecated `resend_all=true`) first replays every stored event in order.
// A client frame that is an ExecuteBashRequest starts a command; a frame that cannot be handled is
// answered with a BashError and the socket stays open.
import type { RawData } from 'ws';
import { type BashError, type BashEvent, ExecuteBashRequestSchema, hexId, isoFromMicros, nowMicros } from '../bash/events.js';
import { type BashService, TooManySubscribersError } from '../bash/service.js';
import { parseClientFrame } from './client-frame.js';
import type { SocketHandler } from './dispatcher.js';

function bashError(code: string, detail: string): BashError {
  return { kind: 'BashError', id: hexId(), timestamp: isoFromMicros(nowMicros()), code, detail };
}

export function bashEventsSocket(bash: BashService): SocketHandler {
  return async ({ socket, url, log }) => {
    const send = (payload: BashEvent | BashError) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(payload));
    };

    socket.on('message', (raw: RawData, isBinary: boolean) => {
      void (async () => {
        const frame = parseClientFrame(raw, isBinary, ExecuteBashRequestSchema, '(root)');
        if (!frame) return;
        if (!frame.ok) return send(bashError(frame.code, frame.detail));
        try {
          await bash.start(frame.data);
        } catch (err) {
          send(bashError((err as Error).name || 'Error', (err as Error).message));
        }
      })();
    });

    const mode = url.searchParams.get('resend_mode') ?? (url.searchParams.get('resend_all') === 'true' ? 'all' : null);
    if (mode !== null && mode !== 'all') {
      socket.close(1008, "resend_mode must be 'all'");
      return;
    }

    // Live events are held back while stored ones are replayed, then sent without duplicates.
    let replaying = mode === 'all';
    const held: BashEvent[] = [];
    let unsubscribe: () => void;
    try {
      unsubscribe = bash.subscribe((event) => (replaying ? held.push(event) : send(event)));
    } catch (err) {
      if (err instanceof TooManySubscribersError) return socket.close(1013, 'Too many bash event connections');
      throw err;
    }
    socket.once('close', () => unsubscribe());

    if (replaying) {
      const sent = new Set<string>();
      let pageId: string | undefined;
      do {
        const page = await bash.store.search({ limit: 100, pageId });
        for (const event of page.items) {
          sent.add(event.id);
          send(event);
        }
        pageId = page.next_page_id ?? undefined;
      } while (pageId && socket.readyState === socket.OPEN);
      replaying = false;
      for (const event of held.splice(0)) if (!sent.has(event.id)) send(event);
      log.debug({ replayed: sent.size }, 'bash events replayed');
    }
  };
}
