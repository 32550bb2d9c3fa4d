import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '../log.js';
import { BashEventStream } from './event-stream.js';
import { type BashOutput, fileStampFromMicros, hexId, isoFromMicros, nowMicros } from './events.js';
import { BashEventStore } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'bash-event-stream-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = createLogger('silent', new Writable({ write(_c, _e, cb) { cb(); } }));

const output = (order: number, stdout: string): BashOutput => ({
  kind: 'BashOutput', id: hexId(), timestamp: isoFromMicros(nowMicros()), command_id: 'c'.repeat(32), order, exit_code: null, stdout, stderr: null,
});

/** A reader whose frames leave only when it says so: `release()` completes every frame sent so far. */
function slowReader() {
  const frames: string[] = [];
  let pending: (() => void)[] = [];
  return {
    frames,
    inFlight: () => pending.length,
    send: (frame: string, done: (err?: Error) => void) => {
      frames.push(frame);
      pending.push(() => done());
    },
    release: () => {
      const now = pending;
      pending = [];
      for (const done of now) done();
    },
  };
}

const until = async (what: () => boolean) => {
  while (!what()) await new Promise((resolve) => setImmediate(resolve));
};

describe('BashEventStream', () => {
  it('holds at most one frame past the high-water mark for a reader that does not read, and delivers everything in order once it does', async () => {
    const store = new BashEventStore(join(dir, 'a'));
    const events = Array.from({ length: 30 }, (_, i) => output(i, 'x'.repeat(1000)));
    for (const e of events.slice(0, 20)) await store.save(e);
    const reader = slowReader();
    const stream = new BashEventStream({ store, after: '', send: reader.send, highWaterBytes: 2500, log, onFailed: () => undefined });
    stream.start();
    await until(() => reader.frames.length === 3);
    for (const e of events.slice(20)) {
      await store.save(e);
      stream.onEvent(e); // live events while the reader is behind stay on disk
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(reader.inFlight()).toBe(3);
    while (reader.frames.length < events.length) {
      reader.release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    reader.release();
    expect(reader.frames.map((f) => (JSON.parse(f) as BashOutput).order)).toEqual(events.map((e) => e.order));
    stream.stop();
  });

  it('sends live events as they are recorded to a reader that keeps up, and none from before it subscribed', async () => {
    const store = new BashEventStore(join(dir, 'b'));
    await store.save(output(0, 'old'));
    const reader = slowReader();
    const stream = new BashEventStream({ store, after: '', send: reader.send, highWaterBytes: 1 << 20, log, onFailed: () => undefined });
    const live = new BashEventStream({
      store, after: fileStampFromMicros(nowMicros()), send: (frame, done) => { liveFrames.push(frame); done(); },
      highWaterBytes: 1 << 20, log, onFailed: () => undefined,
    });
    const liveFrames: string[] = [];
    stream.start();
    live.start();
    await until(() => reader.frames.length === 1);
    const next = output(1, 'new');
    await store.save(next);
    stream.onEvent(next);
    live.onEvent(next);
    expect(reader.frames.map((f) => (JSON.parse(f) as BashOutput).stdout)).toEqual(['old', 'new']);
    expect(liveFrames.map((f) => (JSON.parse(f) as BashOutput).stdout)).toEqual(['new']);
  });
});
