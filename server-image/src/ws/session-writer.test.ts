import { describe, expect, it } from '@jest/globals';
import type { WebSocket } from 'ws';
import { errorFrame } from '../conversations/session-frames.js';
import { SessionWriter, type DropReason } from './session-writer.js';

/** A socket whose sends complete only when `flush` is called (a client that reads when told). */
function fakeSocket() {
  const pending: (() => void)[] = [];
  const sent: string[] = [];
  const socket = {
    OPEN: 1, readyState: 1,
    send(payload: string, cb: (err?: Error) => void) {
      sent.push(payload);
      pending.push(() => cb());
    },
    once() { return socket; },
  };
  return { socket: socket as unknown as WebSocket, sent, flush: () => pending.splice(0).forEach((f) => f()) };
}

const frame = (bytes: number) => errorFrame('X', 'y'.repeat(bytes));

describe('SessionWriter', () => {
  it('hands frames to the socket in order while under the high-water mark, the rest as the socket drains', () => {
    const { socket, sent, flush } = fakeSocket();
    const writer = new SessionWriter(socket, { highWaterBytes: 100 });
    expect(writer.send(frame(10))).toBe(true);
    expect(writer.send(frame(200))).toBe(true); // goes out: 40 bytes unflushed < 100
    expect(writer.send(frame(10))).toBe(true); // waits: over the mark
    expect(sent).toHaveLength(2);
    flush();
    expect(sent.map((s) => JSON.parse(s).detail.length)).toEqual([10, 200, 10]);
  });

  it.each<[string, { maxFrameBytes?: number; maxPendingBytes?: number }, number[], DropReason]>([
    ['a frame over the frame limit', { maxFrameBytes: 100 }, [200], 'frame_too_large'],
    ['more queued than the pending budget while the socket does not drain', { maxPendingBytes: 250 }, [100, 100, 100, 100], 'slow_consumer'],
  ])('%s drops the connection, never a frame: every later send is refused', (_what, limits, sizes, reason) => {
    const { socket } = fakeSocket();
    const drops: DropReason[] = [];
    const writer = new SessionWriter(socket, { highWaterBytes: 1, ...limits, onDrop: (r) => drops.push(r) });
    const results = sizes.map((n) => writer.send(frame(n)));
    expect(results.at(-1)).toBe(false);
    expect(writer.send(frame(1))).toBe(false);
    expect(drops).toEqual([reason]);
    expect(writer.dropReason).toBe(reason);
  });

  it('a socket found closed when a frame is due ends the writer as disconnected', () => {
    const { socket } = fakeSocket();
    (socket as unknown as { readyState: number }).readyState = 3;
    const writer = new SessionWriter(socket);
    writer.send(frame(1));
    expect(writer.dropReason).toBe('disconnected');
    expect(writer.send(frame(1))).toBe(false);
  });
});
