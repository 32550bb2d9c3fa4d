import { describe, it, expect } from '@jest/globals';
import { WorkQueue } from './workqueue.js';
import { ManualClock } from './clock.testkit.js';

const make = () => {
  const clock = new ManualClock();
  return { clock, q: new WorkQueue({ clock, baseDelayMs: 10, maxDelayMs: 100 }) };
};

describe('WorkQueue', () => {
  it('hands out a key added many times once', async () => {
    const { q } = make();
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
    expect(q.len()).toBe(0);
  });

  it('never gives a key in flight to a second worker, and re-queues it on done when it was added meanwhile', async () => {
    const { q } = make();
    q.add('ns/a');
    const key = await q.get();
    q.add('ns/a');
    expect(q.len()).toBe(0);
    let second: string | undefined = 'unset';
    void q.get().then((k) => (second = k));
    await Promise.resolve();
    expect(second).toBe('unset');
    q.done(key!);
    await Promise.resolve();
    expect(second).toBe('ns/a');
  });

  it('does not re-queue a key on done when nobody added it meanwhile', async () => {
    const { q } = make();
    q.add('ns/a');
    q.done((await q.get())!);
    expect(q.len()).toBe(0);
  });

  it('wakes a blocked worker when a key arrives', async () => {
    const { q } = make();
    const got = q.get();
    q.add('ns/x');
    expect(await got).toBe('ns/x');
  });

  it('adds after a delay, keeping the earliest of several delays', () => {
    const { q, clock } = make();
    q.addAfter('ns/a', 50);
    q.addAfter('ns/a', 20);
    q.addAfter('ns/a', 80);
    expect(clock.pending()).toBe(1);
    clock.advance(19);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    clock.advance(100);
    expect(q.len()).toBe(1);
  });

  it('backs off per key exponentially up to the cap, and forget resets it', () => {
    const { q } = make();
    expect([1, 2, 3, 4, 5].map(() => q.backoffMs('ns/a'))).toEqual([10, 20, 40, 80, 100]);
    expect(q.backoffMs('ns/b')).toBe(10);
    expect(q.numRequeues('ns/a')).toBe(5);
    q.forget('ns/a');
    expect(q.numRequeues('ns/a')).toBe(0);
    expect(q.backoffMs('ns/a')).toBe(10);
  });

  it('addRateLimited queues the key only once its backoff has elapsed', () => {
    const { q, clock } = make();
    q.addRateLimited('ns/a');
    q.addRateLimited('ns/a');
    clock.advance(9);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
  });

  it('on shutdown releases blocked workers with undefined, cancels timers and ignores adds', async () => {
    const { q, clock } = make();
    const blocked = q.get();
    q.addAfter('ns/later', 10);
    q.shutDown();
    expect(await blocked).toBeUndefined();
    expect(clock.pending()).toBe(0);
    q.add('ns/a');
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  it('tells when a key in flight was queued: its first add since it was last taken, not later duplicates', async () => {
    const { q, clock } = make();
    clock.advance(5);
    q.add('ns/a');
    clock.advance(7);
    q.add('ns/a');
    clock.advance(3);
    const key = (await q.get())!;
    expect(q.queuedAt(key)).toBe(5);
    clock.advance(4);
    q.add('ns/a'); // added while in flight: queued again at done, waiting since this add
    q.done(key);
    expect(q.queuedAt(key)).toBeUndefined();
    expect(q.queuedAt((await q.get())!)).toBe(19);
  });
});
