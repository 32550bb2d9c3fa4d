// The controller loop alone, as sample-controller tests it: informers the test drives (through the
// informer factory seam), the fake API client, a manual clock for the queue, and a reconcile that records
// each key it is given and finishes when the test says so.
import { afterEach, describe, expect, it } from '@jest/globals';
import { API_VERSION, KIND } from '../api/agentworkspace.js';
import { WORKSPACE_LABEL } from '../api/keys.js';
import { FakeKube } from '../kube/fake.testkit.js';
import type { KubeObject } from '../kube/client.js';
import { createLogger } from '../log.js';
import { createMetrics } from '../metrics.js';
import type { ReconcileResult } from '../reconcile/reconcile.js';
import { ManualClock } from './clock.testkit.js';
import { Controller } from './controller.js';
import { CLAIMED_FROM_ANNOTATION } from '../pool/warm-pod.js';
import type { InformerFactory, InformerOptions, WatchedCollection } from './informer.js';

/** An informer whose changes the test makes; its cache is what it was told last. */
class DrivenInformer implements WatchedCollection {
  readonly objects = new Map<string, KubeObject>();
  readonly cache = {
    get: (name: string, namespace?: string) => this.objects.get(`${namespace}/${name}`),
    list: () => [...this.objects.values()],
  };
  constructor(readonly path: string, private readonly onChange: InformerOptions['onChange']) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  hasSynced(): boolean {
    return true;
  }
  brokenForMs(): number {
    return 0;
  }
  change(obj: KubeObject, verb: 'add' | 'update' | 'delete'): void {
    const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
    if (verb === 'delete') this.objects.delete(key);
    else this.objects.set(key, obj);
    this.onChange(obj, verb);
  }
}

/** A reconcile that records its calls; each call waits until the test settles it. */
class ReconcileProbe {
  readonly calls: { key: string; attempts: number; settle: (r: ReconcileResult | Error) => void }[] = [];
  private waiters: (() => void)[] = [];
  readonly fn = (key: string, deps: { attempts: number }): Promise<ReconcileResult> => new Promise((resolve, reject) => {
    this.calls.push({ key, attempts: deps.attempts, settle: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
    for (const w of this.waiters.splice(0)) w();
  });
  /** Resolves once `n` calls were made. */
  async called(n: number): Promise<void> {
    while (this.calls.length < n) await new Promise<void>((r) => this.waiters.push(r));
  }
}

const workspace = (name: string, namespace = 'team'): KubeObject => ({ apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace, uid: `uid-${name}` } });
const pod = (namespace: string, meta: Partial<NonNullable<KubeObject['metadata']>>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace, ...meta } });

// stop() waits for the reconciles in flight: each test settles every call it caused.
let running: Controller | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function startController(probe: ReconcileProbe, clock = new ManualClock()) {
  const informers: DrivenInformer[] = [];
  const factory: InformerFactory = (o) => {
    const inf = new DrivenInformer(o.path, o.onChange);
    informers.push(inf);
    return inf;
  };
  const controller = new Controller({
    informers: factory, client: new FakeKube(), log: createLogger('silent'), metrics: createMetrics(),
    settings: { serverImage: 'server:test', clusterDomain: 'cluster.local', terminationGracePeriodSeconds: 30, runAsUser: 1000 },
    namespaces: [], workers: 2, resyncPeriodMs: 3_600_000, identity: 'test', queue: { clock, baseDelayMs: 100 }, reconcile: probe.fn as never,
  });
  running = controller;
  await controller.start();
  const workspaces = informers.find((i) => i.path.endsWith('/agentworkspaces'))!;
  const pods = informers.find((i) => i.path.endsWith('/pods'))!;
  return { controller, workspaces, pods, clock };
}

/** Lets the workers take what the queue holds (they run on promise callbacks, not timers). */
const settleMicrotasks = () => new Promise<void>((r) => setImmediate(r));

describe('Controller loop', () => {
  it('builds one informer per watched collection through the factory', async () => {
    const probe = new ReconcileProbe();
    const { workspaces, pods, controller } = await startController(probe);
    expect(workspaces.path).toBe(`/apis/${API_VERSION}/agentworkspaces`);
    expect(pods.path).toBe('/api/v1/pods');
    expect(controller.hasSynced()).toBe(true);
  });

  it('de-duplicates: changes of a key before a worker takes it are one reconcile; a change during one queues exactly one more', async () => {
    const probe = new ReconcileProbe();
    const { workspaces } = await startController(probe);
    const ws = workspace('a');
    workspaces.change(ws, 'add');
    workspaces.change(ws, 'update');
    workspaces.change(ws, 'update');
    await probe.called(1);
    // In flight: the next three changes mark it dirty once.
    for (let i = 0; i < 3; i++) workspaces.change(ws, 'update');
    await settleMicrotasks();
    expect(probe.calls.map((c) => c.key)).toEqual(['team/a']);
    probe.calls[0]!.settle({});
    await probe.called(2);
    probe.calls[1]!.settle({});
    await settleMicrotasks();
    expect(probe.calls.map((c) => c.key)).toEqual(['team/a', 'team/a']);
  });

  it('requeues a failing key with growing backoff, telling reconcile the attempts, and forgets them after a success', async () => {
    const probe = new ReconcileProbe();
    const { workspaces, controller, clock } = await startController(probe);
    workspaces.change(workspace('b'), 'add');
    await probe.called(1);
    probe.calls[0]!.settle(new Error('apiserver unavailable'));
    await settleMicrotasks();
    clock.advance(99);
    await settleMicrotasks();
    expect(probe.calls).toHaveLength(1); // not before the first backoff (100 ms)
    clock.advance(1);
    await probe.called(2);
    expect(probe.calls[1]!.attempts).toBe(1);
    probe.calls[1]!.settle(new Error('still unavailable'));
    await settleMicrotasks();
    clock.advance(199);
    await settleMicrotasks();
    expect(probe.calls).toHaveLength(2); // the second backoff doubles
    clock.advance(1);
    await probe.called(3);
    expect(probe.calls[2]!.attempts).toBe(2);
    probe.calls[2]!.settle({});
    await settleMicrotasks();
    expect(controller.queue.numRequeues('team/b')).toBe(0);
  });

  it('requeues after the delay a reconcile asks for (the lifetime deadline), not before', async () => {
    const probe = new ReconcileProbe();
    const { workspaces, clock } = await startController(probe);
    workspaces.change(workspace('c'), 'add');
    await probe.called(1);
    probe.calls[0]!.settle({ requeueAfterMs: 5_000 });
    await settleMicrotasks();
    clock.advance(4_999);
    await settleMicrotasks();
    expect(probe.calls).toHaveLength(1);
    clock.advance(1);
    await probe.called(2);
    expect(probe.calls[1]!.attempts).toBe(0);
    probe.calls[1]!.settle({});
  });

  it("maps a child to its owner's key: the controller reference, else the workspace label; other owners and deletes of workspaces enqueue nothing", async () => {
    const probe = new ReconcileProbe();
    const { workspaces, pods } = await startController(probe);
    pods.change(pod('team', { ownerReferences: [{ apiVersion: API_VERSION, kind: KIND, name: 'owner', uid: 'u', controller: true }] }), 'update');
    await probe.called(1);
    expect(probe.calls[0]!.key).toBe('team/owner');
    pods.change(pod('team', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true }] }), 'update');
    workspaces.change(workspace('gone'), 'delete');
    pods.change(pod('other', { labels: { [WORKSPACE_LABEL]: 'labelled' } }), 'delete');
    await probe.called(2);
    expect(probe.calls.map((c) => c.key)).toEqual(['team/owner', 'other/labelled']);
    for (const c of probe.calls) c.settle({});
  });

  it('replenishes the pool of a pod claimed by a pass in flight once that pass is over, and at once otherwise', async () => {
    const probe = new ReconcileProbe();
    const { workspaces, pods, controller } = await startController(probe);
    const queued: string[] = [];
    const add = controller.poolQueue.add.bind(controller.poolQueue);
    controller.poolQueue.add = (key: string) => (queued.push(key), add(key));
    const claimed = pod('team', {
      ownerReferences: [{ apiVersion: API_VERSION, kind: KIND, name: 'a', uid: 'uid-a', controller: true }],
      annotations: { [CLAIMED_FROM_ANNOTATION]: 'warm' },
    });
    workspaces.change(workspace('a'), 'add');
    await probe.called(1);
    pods.change(claimed, 'update'); // the claim's own patch, seen while its pass is still in flight
    await settleMicrotasks();
    expect(queued).toEqual([]);
    probe.calls[0]!.settle({});
    await settleMicrotasks();
    expect(queued).toEqual(['team/warm']);
    await probe.called(2); // the pod's event queued the workspace again
    probe.calls[1]!.settle({});
    await settleMicrotasks();
    pods.change(claimed, 'update'); // no pass in flight: at once
    expect(queued).toEqual(['team/warm', 'team/warm']);
    await probe.called(3);
    probe.calls[2]!.settle({});
  });
});

