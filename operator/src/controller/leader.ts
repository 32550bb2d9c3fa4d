/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules (client-node has no elector):
 * - a candidate takes the Lease only when it is free or its record has not changed for
 *   leaseDurationMs *as observed locally* (no trust in other replicas' clocks);
 * - every write is a PUT carrying the read resourceVersion, so of two racing replicas one wins and the
 *   other gets 409;
 * - the leader renews every retryPeriodMs and gives up when it has not renewed within renewDeadlineMs
 *   (< leaseDurationMs), so it stops before anyone else may start;
 * - on a graceful stop the leader releases the Lease (empty holder) so a successor need not wait.
 */
import { resourcePath, type KubeClient, type KubeObject } from '../kube/client.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import type { Logger } from '../log.js';
import { realClock, type Clock } from './clock.js';

export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  clock?: Clock;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/** RFC 3339 with microseconds (the Lease's MicroTime format). */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private observed: { record: string; at: number } | undefined;
  private leading = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly clock: Clock;

  constructor(private readonly o: LeaderElectorOptions) {
    this.clock = o.clock ?? realClock;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns until this replica leads, then calls `onStartedLeading`, renews until it fails to within
   * the renew deadline (→ `onStoppedLeading`) or `stop()` is called.
   */
  async run(callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void }): Promise<void> {
    while (!this.stopped && !(await this.tryAcquireOrRenew())) await this.sleep(this.o.retryPeriodMs);
    if (this.stopped) return;
    this.leading = true;
    this.o.log.info({ lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity }, 'became leader');
    callbacks.onStartedLeading();
    let lastRenew = this.clock.now();
    while (!this.stopped) {
      await this.sleep(this.o.retryPeriodMs);
      if (this.stopped) break;
      if (await this.tryAcquireOrRenew()) {
        lastRenew = this.clock.now();
      } else if (this.clock.now() - lastRenew >= this.o.renewDeadlineMs) {
        this.leading = false;
        this.o.log.error({ lease: `${this.o.namespace}/${this.o.name}` }, 'lost leadership');
        callbacks.onStoppedLeading();
        return;
      }
    }
  }

  /** Stops campaigning or renewing; a leader releases the Lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.o.client.get<Lease>(this.path());
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      await this.o.client.replace<Lease>({ ...lease, spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(this.clock.now()) } });
      this.o.log.info({ lease: `${this.o.namespace}/${this.o.name}` }, 'released leadership');
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'could not release the lease');
    }
  }

  private path(): string {
    return resourcePath('coordination.k8s.io/v1', 'Lease', this.o.namespace, this.o.name);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const h = this.clock.setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        this.clock.clearTimeout(h);
        resolve();
      };
    });
  }

  /** One attempt; true when this replica holds the Lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const mine: LeaseSpec = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let lease: Lease;
    try {
      lease = await this.o.client.get<Lease>(this.path());
    } catch (err) {
      if (!isNotFound(err)) return this.failed(err);
      try {
        await this.o.client.create<Lease>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.o.name, namespace: this.o.namespace }, spec: mine });
        this.observed = { record: JSON.stringify(mine), at: now };
        return true;
      } catch (createErr) {
        return this.failed(createErr);
      }
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify(spec);
    if (!this.observed || this.observed.record !== record) this.observed = { record, at: now };
    const holder = spec.holderIdentity ?? '';
    const iHold = holder === this.o.identity;
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder && !iHold && this.observed.at + durationMs > now) return false;
    const next: LeaseSpec = iHold
      ? { ...spec, renewTime: mine.renewTime, leaseDurationSeconds: mine.leaseDurationSeconds }
      : { ...mine, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
    try {
      const written = await this.o.client.replace<Lease>({ ...lease, spec: next });
      this.observed = { record: JSON.stringify(written.spec ?? next), at: now };
      if (!iHold) this.o.log.info({ previous: holder || null }, 'lease acquired');
      return true;
    } catch (err) {
      return this.failed(err);
    }
  }

  private failed(err: unknown): false {
    if (!isConflict(err)) this.o.log.warn({ err: (err as Error).message }, 'lease update failed');
    return false;
  }
}
