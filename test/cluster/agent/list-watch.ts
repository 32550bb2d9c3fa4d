// A list+watch that keeps itself running: client-node's ListWatch stops on a watch error (and its
// start() rejects when the API server is unreachable); this restarts it after a second, resuming the cache.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { ListWatch, Watch } from '@kubernetes/client-node';

export interface WatchHandlers<T> {
  upsert(obj: T): void;
  remove?(obj: T): void;
}

export function keepWatching<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>,
  handlers: WatchHandlers<T>,
  log: (msg: string) => void,
  fieldSelector?: string,
): { stop(): void } {
  let stopped = false;
  const lw = new ListWatch<T>(path, new Watch(kc), list as never, false, undefined, fieldSelector);
  const restart = (err: unknown): void => {
    if (stopped) return;
    log(`watch ${path} failed (${err instanceof Error ? err.message : String(err)}); restarting`);
    setTimeout(() => { if (!stopped) lw.start().catch(restart); }, 1000);
  };
  lw.on('add', (o) => handlers.upsert(o));
  lw.on('update', (o) => handlers.upsert(o));
  if (handlers.remove) { const remove = handlers.remove; lw.on('delete', (o) => remove(o)); }
  lw.on('error', restart);
  lw.start().catch(restart);
  return { stop: () => { stopped = true; void lw.stop(); } };
}
