/** What the pool code needs of the controller: the caches it reads and the client it writes with (reconcile.ts's deps fit). */
import type { KubeClient, KubeObject } from '../kube/client.js';
import type { Logger } from '../log.js';
import type { DesiredSettings } from '../reconcile/desired.js';

/** A read-only informer cache (objects must not be modified). */
export interface CacheView {
  get(name: string, namespace?: string): KubeObject | undefined;
  list(namespace?: string): readonly KubeObject[];
}

export interface PoolDeps {
  client: KubeClient;
  caches: { pools: CacheView; pods: CacheView };
  settings: DesiredSettings;
  log: Logger;
  now: () => Date;
  /** Failures of this key so far. */
  attempts: number;
}

export interface PoolResult {
  requeueAfterMs?: number;
  terminal?: boolean;
}
