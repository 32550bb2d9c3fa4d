import { describe, it, expect } from '@jest/globals';
import { pino } from 'pino';
import { FakeKube } from '../kube/fake.testkit.js';
import { resourcePath } from '../kube/client.js';
import { ManualClock } from './clock.testkit.js';
import { LeaderElector } from './leader.js';

const log = pino({ level: 'silent' });
const leasePath = resourcePath('coordination.k8s.io/v1', 'Lease', 'ops', 'op');
const lease = (kube: FakeKube) => kube.objects.get(leasePath)?.spec as { holderIdentity?: string | null; leaseTransitions?: number } | undefined;

function setup() {
  const kube = new FakeKube();
  const clock = new ManualClock(1_700_000_000_000);
  const elector = (identity: string) =>
    new LeaderElector({ client: kube, namespace: 'ops', name: 'op', identity, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, log, clock });
  return { kube, clock, a: elector('a'), b: elector('b') };
}

describe('LeaderElector', () => {
  it('creates the Lease when there is none and holds it', async () => {
    const { kube, a } = setup();
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(lease(kube)).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
  });

  it('does not take a Lease whose holder renews, judging expiry by its own observation time', async () => {
    const { kube, clock, a, b } = setup();
    await a.tryAcquireOrRenew();
    expect(await b.tryAcquireOrRenew()).toBe(false);
    clock.advance(14_000);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    clock.advance(2_000);
    // 16 s after b first saw the Lease, but the record changed 2 s ago: still held.
    expect(await b.tryAcquireOrRenew()).toBe(false);
    expect(lease(kube)!.holderIdentity).toBe('a');
  });

  it('takes over a Lease not renewed for its duration, counting the transition', async () => {
    const { kube, clock, a, b } = setup();
    await a.tryAcquireOrRenew();
    expect(await b.tryAcquireOrRenew()).toBe(false);
    clock.advance(15_000);
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(lease(kube)).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(await a.tryAcquireOrRenew()).toBe(false);
  });

  it('lets only one of two racing candidates win (resourceVersion precondition)', async () => {
    const { kube, clock, a, b } = setup();
    await a.tryAcquireOrRenew();
    const c = new LeaderElector({ client: kube, namespace: 'ops', name: 'op', identity: 'c', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, log, clock });
    await b.tryAcquireOrRenew();
    await c.tryAcquireOrRenew();
    clock.advance(15_000);
    const results = await Promise.all([b.tryAcquireOrRenew(), c.tryAcquireOrRenew()]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('runs the leader callback, and releases the Lease on stop so a successor need not wait', async () => {
    const { kube, a, b } = setup();
    let started!: () => void;
    const leading = new Promise<void>((r) => (started = r));
    const run = a.run({ onStartedLeading: started, onStoppedLeading: () => undefined });
    await leading;
    expect(a.isLeader).toBe(true);
    await a.stop();
    await run;
    expect(lease(kube)!.holderIdentity).toBeNull();
    expect(await b.tryAcquireOrRenew()).toBe(true);
  });

  it('gives up leadership when it cannot renew within the renew deadline', async () => {
    const { kube, clock, a } = setup();
    let started!: () => void;
    const leading = new Promise<void>((r) => (started = r));
    let stopped = false;
    const run = a.run({ onStartedLeading: started, onStoppedLeading: () => (stopped = true) });
    await leading;
    for (let i = 0; i < 6; i++) {
      kube.failNext('PUT', 'leases', 500);
      clock.advance(2_000);
      await new Promise((r) => setImmediate(r));
    }
    await run;
    expect(stopped).toBe(true);
    expect(a.isLeader).toBe(false);
  });
});
