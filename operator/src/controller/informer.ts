/**
 * A label-scoped informer over client-node's ListWatch that owns what ListWatch leaves to its caller:
 * any error other than 410/timeout stops a ListWatch, so this restarts it with capped exponential
 * backoff, and it reports whether it has synced and since when it has been broken (for /readyz).
 */
import { makeInformer, type KubeConfig, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import type { KubeClient, KubeObject } from '../kube/client.js';
import type { Logger } from '../log.js';
import { realClock, type Clock } from './clock.js';

/** client-node's ListWatch as this informer uses it: events, start/stop, and its cache. */
export interface ListWatch {
  on(verb: 'add' | 'update' | 'delete', fn: (obj: KubernetesObject) => void): void;
  on(verb: 'error', fn: (err: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  get(name: string, namespace?: string): KubernetesObject | undefined;
  list(namespace?: string): readonly KubernetesObject[];
}

/** What the controller uses of an informer: the seam its unit tests fill with informers they drive. */
export interface WatchedCollection {
  readonly cache: Pick<ObjectCache<KubeObject>, 'get' | 'list'>;
  start(): Promise<void>;
  stop(): Promise<void>;
  hasSynced(): boolean;
  brokenForMs(): number;
}

/** Makes the informer of one collection (`path`, optionally label-scoped) that reports each change to `onChange`. */
export type InformerFactory = (o: Pick<InformerOptions, 'path' | 'labelSelector' | 'onChange'>) => WatchedCollection;

/** The production factory: informers over the API server that `kubeConfig` names, listing through `client`. */
export function kubeInformers(kubeConfig: KubeConfig, client: KubeClient, log: Logger): InformerFactory {
  // Objects are plain API JSON (list and watch alike); client-node's KubernetesObject type is only nominal here.
  const listWatch = (path: string, labelSelector?: string) => makeInformer<KubernetesObject>(kubeConfig, path, () => client.list(path, labelSelector) as never, labelSelector);
  return (o) => new Informer({ ...o, log, listWatch: () => listWatch(o.path, o.labelSelector) });
}

export interface InformerOptions {
  /** Builds the ListWatch of this collection (client-node's `makeInformer`, see `kubeInformers`). */
  listWatch: () => ListWatch;
  /** Collection path, e.g. /api/v1/namespaces/ns/pods or /api/v1/pods for all namespaces. */
  path: string;
  labelSelector?: string;
  /** Called with every added, updated or deleted object (handlers only enqueue keys). */
  onChange: (obj: KubeObject, verb: 'add' | 'update' | 'delete') => void;
  log: Logger;
  clock?: Clock;
  /** First restart delay. @default 1000 */
  baseBackoffMs?: number;
  /** Restart delay cap. @default 30_000 */
  maxBackoffMs?: number;
}

export class Informer implements WatchedCollection {
  private readonly inner: ListWatch;
  private synced = false;
  private brokenSince: number | undefined;
  private failures = 0;
  private restartTimer: unknown;
  private stopped = false;
  private readonly clock: Clock;

  constructor(private readonly options: InformerOptions) {
    this.clock = options.clock ?? realClock;
    this.inner = options.listWatch();
    this.inner.on('add', (o) => options.onChange(o as KubeObject, 'add'));
    this.inner.on('update', (o) => options.onChange(o as KubeObject, 'update'));
    this.inner.on('delete', (o) => options.onChange(o as KubeObject, 'delete'));
    this.inner.on('error', (err) => this.onError(err));
  }

  get cache(): ObjectCache<KubeObject> {
    return this.inner as unknown as ObjectCache<KubeObject>;
  }

  /** Lists and starts watching; resolves once the first list succeeded (or the informer was stopped). */
  async start(): Promise<void> {
    this.stopped = false;
    for (;;) {
      const errorsBefore = this.failures;
      await this.inner.start();
      if (this.stopped) return;
      if (this.failures === errorsBefore) {
        this.markHealthy();
        return;
      }
      // The list failed (onError counted it but restarts only a synced informer): try again after the backoff.
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.delayMs(errorsBefore)));
      if (this.stopped) return;
      this.clock.clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.restartTimer);
    await this.inner.stop();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Milliseconds since the watch broke, or 0 while it is healthy. */
  brokenForMs(): number {
    return this.brokenSince === undefined ? 0 : this.clock.now() - this.brokenSince;
  }

  private markHealthy(): void {
    this.synced = true;
    this.brokenSince = undefined;
    this.failures = 0;
  }

  private delayMs(failures: number): number {
    return Math.min(this.options.maxBackoffMs ?? 30_000, (this.options.baseBackoffMs ?? 1_000) * 2 ** failures);
  }

  private onError(err: unknown): void {
    if (this.stopped) return;
    this.brokenSince ??= this.clock.now();
    const delay = this.delayMs(this.failures);
    this.failures++;
    this.options.log.warn({ path: this.options.path, err: (err as Error)?.message ?? String(err), retryInMs: delay }, 'watch failed; restarting');
    if (!this.synced) return; // start() is still looping and restarts by itself
    this.clock.clearTimeout(this.restartTimer);
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopped) return;
      const before = this.failures;
      void this.inner.start().then(() => {
        if (!this.stopped && this.failures === before) this.markHealthy();
      });
    }, delay);
  }
}
