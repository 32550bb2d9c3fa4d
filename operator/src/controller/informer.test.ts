// The informer's own part: a ListWatch that failed is restarted with capped exponential backoff, and the
// informer reports since when it is broken, on a ListWatch the test drives (the `listWatch` seam).
import { describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { createLogger } from '../log.js';
import { ManualClock } from './clock.testkit.js';
import { Informer, type ListWatch } from './informer.js';

/** A ListWatch whose list succeeds or fails as the test says, and that emits what the test tells it. */
class DrivenListWatch implements ListWatch {
  starts = 0;
  failStarts = 0;
  private handlers: Record<string, ((x: never) => void)[]> = {};
  on(verb: string, fn: (x: never) => void): void {
    (this.handlers[verb] ??= []).push(fn);
  }
  emit(verb: 'add' | 'update' | 'delete' | 'error', x: unknown): void {
    for (const fn of this.handlers[verb] ?? []) fn(x as never);
  }
  async start(): Promise<void> {
    this.starts++;
    if (this.failStarts > 0) {
      this.failStarts--;
      this.emit('error', new Error('list failed'));
    }
  }
  async stop(): Promise<void> {}
  get(): KubernetesObject | undefined {
    return undefined;
  }
  list(): readonly KubernetesObject[] {
    return [];
  }
}

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('Informer', () => {
  it('restarts a broken watch after a backoff that doubles up to the cap, and is healthy again once it lists', async () => {
    const clock = new ManualClock();
    const lw = new DrivenListWatch();
    const changes: string[] = [];
    const informer = new Informer({
      path: '/api/v1/pods', listWatch: () => lw, log: createLogger('silent'), clock, baseBackoffMs: 100, maxBackoffMs: 250,
      onChange: (o, verb) => changes.push(`${verb} ${o.metadata?.name}`),
    });
    await informer.start();
    expect([informer.hasSynced(), lw.starts]).toEqual([true, 1]);
    lw.emit('add', { metadata: { name: 'p' } });
    expect(changes).toEqual(['add p']);

    lw.failStarts = 2; // the watch breaks, and the first two restarts fail too
    lw.emit('error', new Error('watch closed'));
    clock.advance(50);
    expect(informer.brokenForMs()).toBe(50);
    clock.advance(49);
    expect(lw.starts).toBe(1);
    clock.advance(1); // 100 ms: the first restart, which fails
    await flush();
    expect(lw.starts).toBe(2);
    clock.advance(199);
    await flush();
    expect(lw.starts).toBe(2);
    clock.advance(1); // 200 ms later: the second, which fails
    await flush();
    expect(lw.starts).toBe(3);
    clock.advance(250); // capped at 250 ms: the third lists
    await flush();
    expect(lw.starts).toBe(4);
    expect(informer.brokenForMs()).toBe(0);
    await informer.stop();
  });

  it('retries a first list that fails before reporting synced', async () => {
    const clock = new ManualClock();
    const lw = new DrivenListWatch();
    lw.failStarts = 1;
    const informer = new Informer({ path: '/api/v1/pods', listWatch: () => lw, log: createLogger('silent'), clock, baseBackoffMs: 100, onChange: () => undefined });
    const started = informer.start();
    await flush();
    expect([informer.hasSynced(), lw.starts]).toEqual([false, 1]);
    clock.advance(100);
    await started;
    expect([informer.hasSynced(), lw.starts]).toEqual([true, 2]);
  });
});
