/**
 * The controller: informers (AgentWorkspaces, and the operator's Pods, Services, PVCs and
 * NetworkPolicies, label-scoped) whose handlers only enqueue "ns/name" keys → a de-duplicating,
 * rate-limited queue → N workers calling reconcile(key). Every workspace is re-queued each resync period.
 *
 * RBAC this needs is in operator/rbac.yaml (the single source; keep the two in step).
 */
import { randomUUID } from 'node:crypto';
import { API_VERSION, KIND, type AgentWorkspaceStatus } from '../api/agentworkspace.js';
import { POOL_KIND } from '../api/agentworkspacepool.js';
import { keyOf, ownerKey } from '../api/keys.js';
import { FIELD_MANAGER, resourcePath, type KubeClient, type KubeObject } from '../kube/client.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { MANAGED_BY_SELECTOR, type DesiredSettings } from '../reconcile/desired.js';
import { reconcile as reconcileKey, type Caches, type Cache, type EventType } from '../reconcile/reconcile.js';
import { readyCondition } from '../reconcile/status.js';
import { PoolExpectations, reconcilePool } from '../pool/reconcile-pool.js';
import { CLAIMED_FROM_ANNOTATION, POOL_LABEL } from '../pool/warm-pod.js';
import type { InformerFactory, WatchedCollection } from './informer.js';
import { WorkQueue, type WorkQueueOptions } from './workqueue.js';

export interface ControllerOptions {
  /** The informers' source: `kubeInformers(kubeConfig, client, log)`; unit tests pass informers they drive. */
  informers: InformerFactory;
  client: KubeClient;
  log: Logger;
  metrics: Metrics;
  settings: DesiredSettings;
  /** Namespaces to watch; empty: all. */
  namespaces: string[];
  workers: number;
  resyncPeriodMs: number;
  /** Reporting instance in Events. */
  identity: string;
  /** The queue's backoff and clock. Default: 5 ms doubling to 5 min, real time. */
  queue?: WorkQueueOptions;
  /** The reconcile of one key. Default: reconcile.ts's (a unit test of the loop alone replaces it). */
  reconcile?: typeof reconcileKey;
}

// No Secrets: the operator holds no read on them (it only creates the session-key Secret).
type ChildKind = 'pods' | 'services' | 'pvcs' | 'networkPolicies';
const CHILD_KINDS: Record<ChildKind, [string, string]> = {
  pods: ['v1', 'Pod'],
  services: ['v1', 'Service'],
  pvcs: ['v1', 'PersistentVolumeClaim'],
  networkPolicies: ['networking.k8s.io/v1', 'NetworkPolicy'],
};

export class Controller {
  readonly queue: WorkQueue;
  /** AgentWorkspacePool keys ("ns/name"), a queue of their own. */
  readonly poolQueue: WorkQueue;
  private readonly poolExpectations = new PoolExpectations();
  /** Pools to replenish once a workspace's pass in flight is over: the pass claimed one of their pods. */
  private readonly replenishAfter = new Map<string, Set<string>>();
  private readonly informers: WatchedCollection[] = [];
  private readonly caches: Caches;
  private readonly byReason = new Map<string, { ready: string; reason: string }>();
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly workspaceInformers: WatchedCollection[];
  private readonly reconcile: typeof reconcileKey;

  constructor(private readonly o: ControllerOptions) {
    this.queue = new WorkQueue(o.queue);
    this.poolQueue = new WorkQueue(o.queue);
    this.reconcile = o.reconcile ?? reconcileKey;
    const scopes = o.namespaces.length ? o.namespaces : [undefined];
    const cacheOf = (informers: WatchedCollection[]): Cache => ({
      get: (name, namespace) => {
        for (const i of informers) {
          const hit = i.cache.get(name, namespace);
          if (hit) return hit;
        }
        return undefined;
      },
      list: (namespace) => informers.flatMap((i) => i.cache.list(namespace)),
    });
    this.workspaceInformers = scopes.map(
      (ns) => o.informers({ path: resourcePath(API_VERSION, KIND, ns), onChange: (obj, verb) => this.onWorkspace(obj, verb) }),
    );
    const children = {} as Record<ChildKind, Cache>;
    for (const [kind, [apiVersion, k]] of Object.entries(CHILD_KINDS) as Array<[ChildKind, [string, string]]>) {
      const informers = scopes.map(
        (ns) => o.informers({ path: resourcePath(apiVersion, k, ns), labelSelector: MANAGED_BY_SELECTOR, onChange: (obj) => this.onChild(obj) }),
      );
      this.informers.push(...informers);
      children[kind] = cacheOf(informers);
    }
    this.poolInformers = scopes.map(
      (ns) => o.informers({ path: resourcePath(API_VERSION, POOL_KIND, ns), onChange: (obj, verb) => this.onPool(obj, verb) }),
    );
    this.informers.push(...this.workspaceInformers, ...this.poolInformers);
    this.caches = { workspaces: cacheOf(this.workspaceInformers), pools: cacheOf(this.poolInformers), ...children };
  }

  private readonly poolInformers: WatchedCollection[];

  private onPool(obj: KubeObject, verb: 'add' | 'update' | 'delete'): void {
    const key = keyOf(obj);
    if (verb === 'delete') {
      this.poolQueue.forget(key);
      this.poolExpectations.forget(key);
      return;
    }
    this.poolQueue.add(key);
  }

  /** Handlers only enqueue. A resync-style update with an unchanged resourceVersion is dropped by ListWatch. */
  private onWorkspace(obj: KubeObject, verb: 'add' | 'update' | 'delete'): void {
    const key = keyOf(obj);
    if (verb === 'delete') {
      this.queue.forget(key);
      this.byReason.delete(key);
      this.updateReasonGauge();
      return;
    }
    this.queue.add(key);
  }

  private onChild(obj: KubeObject): void {
    const key = ownerKey(obj);
    const inFlight = key !== undefined && this.queue.isProcessing(key); // before the add below hands it to a worker
    if (key) this.queue.add(key);
    // A warm pod, or one just claimed from a pool (which replenishes once its cache shows the claim).
    const ns = obj.metadata?.namespace;
    const warm = obj.metadata?.labels?.[POOL_LABEL];
    const pool = warm ?? obj.metadata?.annotations?.[CLAIMED_FROM_ANNOTATION];
    if (pool && obj.kind !== 'Secret') {
      // Claimed by a pass still in flight (its /api/init and status write are next): the replacement's writes and
      // container start would compete with them for the API server and the node, so the pool goes after the pass.
      if (!warm && key && inFlight) {
        let pools = this.replenishAfter.get(key);
        if (!pools) this.replenishAfter.set(key, (pools = new Set()));
        pools.add(`${ns}/${pool}`);
      } else this.poolQueue.add(`${ns}/${pool}`);
    }
    const owner = obj.metadata?.ownerReferences?.find((r) => r.controller);
    if (owner?.kind === POOL_KIND && owner.apiVersion === API_VERSION) this.poolQueue.add(`${ns}/${owner.name}`);
  }

  /** Starts the informers, waits for their first list, then the workers and the resync timer. */
  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
    this.o.log.info({ namespaces: this.o.namespaces.length ? this.o.namespaces : 'all', workers: this.o.workers }, 'caches synced; starting workers');
    this.workers = [
      ...Array.from({ length: this.o.workers }, () => this.runWorker(this.queue, (key) => this.processNextWorkItem(key))),
      ...Array.from({ length: Math.max(1, Math.ceil(this.o.workers / 4)) }, () => this.runWorker(this.poolQueue, (key) => this.processPool(key))),
    ];
    this.resyncTimer = setInterval(() => this.resync(), this.o.resyncPeriodMs);
    this.resyncTimer.unref();
  }

  /** Stops accepting work, lets in-flight reconciles finish, stops the watches. */
  async stop(): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.queue.shutDown();
    this.poolQueue.shutDown();
    await Promise.all(this.workers);
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  hasSynced(): boolean {
    return this.informers.every((i) => i.hasSynced());
  }

  /** The longest time any watch has been broken (0 when all are healthy). */
  brokenForMs(): number {
    return Math.max(0, ...this.informers.map((i) => i.brokenForMs()));
  }

  private resync(): void {
    for (const inf of this.workspaceInformers) for (const ws of inf.cache.list()) this.queue.add(keyOf(ws));
    for (const inf of this.poolInformers) for (const pool of inf.cache.list()) this.poolQueue.add(keyOf(pool));
  }

  private async runWorker(queue: WorkQueue, process: (key: string) => Promise<void>): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      this.o.metrics.queueDepth.set(this.queue.len() + this.poolQueue.len());
      try {
        await process(key);
      } finally {
        queue.done(key);
        this.o.metrics.queueDepth.set(this.queue.len() + this.poolQueue.len());
      }
    }
  }

  /** One pool reconcile: forget on success or terminal, addRateLimited on error. */
  private async processPool(key: string): Promise<void> {
    try {
      await reconcilePool(key, {
        client: this.o.client,
        caches: this.caches,
        settings: this.o.settings,
        log: this.o.log,
        now: () => new Date(),
        attempts: this.poolQueue.numRequeues(key),
        expectations: this.poolExpectations,
      });
      this.poolQueue.forget(key);
    } catch (err) {
      this.o.metrics.reconcileErrors.inc({ kind: 'transient' });
      this.o.log.warn({ pool: key, err: (err as Error).message, attempts: this.poolQueue.numRequeues(key) + 1 }, 'pool reconcile failed; retrying with backoff');
      this.poolQueue.addRateLimited(key);
    }
  }

  /** One reconcile with the queue's bookkeeping: forget on success or terminal, addRateLimited on error. */
  private async processNextWorkItem(key: string): Promise<void> {
    const started = process.hrtime.bigint();
    let result = 'success';
    try {
      const outcome = await this.reconcile(key, {
        client: this.o.client,
        caches: this.caches,
        settings: this.o.settings,
        log: this.o.log,
        now: () => new Date(),
        attempts: this.queue.numRequeues(key),
        recordEvent: (ws, type, reason, message) => this.recordEvent(ws, type, reason, message),
        observeStatus: (k, before, after, ws) => this.observeStatus(k, before, after, ws),
        queuedAt: this.queue.queuedAt(key),
      });
      this.queue.forget(key);
      if (outcome.terminal) {
        result = 'terminal';
        this.o.metrics.reconcileErrors.inc({ kind: 'terminal' });
      } else if (outcome.requeueAfterMs !== undefined) {
        result = 'requeue';
        this.queue.addAfter(key, outcome.requeueAfterMs);
      }
    } catch (err) {
      result = 'error';
      this.o.metrics.reconcileErrors.inc({ kind: 'transient' });
      this.o.log.warn({ workspace: key, err: (err as Error).message, attempts: this.queue.numRequeues(key) + 1 }, 'reconcile failed; retrying with backoff');
      this.queue.addRateLimited(key);
    } finally {
      const pools = this.replenishAfter.get(key);
      this.replenishAfter.delete(key);
      for (const pool of pools ?? []) this.poolQueue.add(pool);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.o.metrics.reconcileTotal.inc({ result });
      this.o.metrics.reconcileDuration.observe({ result }, seconds);
    }
  }

  private observeStatus(key: string, before: AgentWorkspaceStatus | undefined, after: AgentWorkspaceStatus, ws: KubeObject): void {
    const next = readyCondition(after);
    if (!next) return;
    this.byReason.set(key, { ready: next.status, reason: next.reason });
    this.updateReasonGauge();
    const wasReady = readyCondition(before)?.status === 'True' || before?.readyAt !== undefined;
    const created = ws.metadata?.creationTimestamp;
    if (next.status === 'True' && !wasReady && created) {
      this.o.metrics.timeToReady.observe(Math.max(0, (Date.now() - new Date(created).getTime()) / 1000));
    }
  }

  private updateReasonGauge(): void {
    this.o.metrics.workspacesByReason.reset();
    for (const { ready, reason } of this.byReason.values()) this.o.metrics.workspacesByReason.inc({ ready, reason });
  }

  /** Records a core/v1 Event on the workspace; failures are logged, never fatal. */
  private recordEvent(ws: KubeObject, type: EventType, reason: string, message: string): void {
    const now = new Date().toISOString();
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${ws.metadata?.name}.${randomUUID().slice(0, 8)}`, namespace: ws.metadata?.namespace },
      involvedObject: { apiVersion: API_VERSION, kind: KIND, name: ws.metadata?.name, namespace: ws.metadata?.namespace, uid: ws.metadata?.uid },
      type,
      reason,
      message,
      source: { component: FIELD_MANAGER },
      reportingComponent: FIELD_MANAGER,
      reportingInstance: this.o.identity,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.o.client.create(event as KubeObject).catch((err: Error) => this.o.log.warn({ err: err.message, reason }, 'could not record event'));
  }
}
