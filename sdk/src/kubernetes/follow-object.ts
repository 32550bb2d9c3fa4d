// Following one AgentWorkspace with a WATCH (never a polling loop): one GET for the current state and its
// resourceVersion, then a watch on that one object from there. A watch that ends (the server's timeout, a broken
// connection) resumes from the last resourceVersion seen (bookmarks included); one the server answers with 410 Gone
// relists with a GET first. What each sighting means is the caller's: waiting for Ready (wait-ready.ts) and
// waiting for the object to be gone (wait-gone.ts) are both a `see` function over the same follower.
import { backoffMs, sleep } from '../backoff.js';
import type { Logger } from '../logger.js';
import { errorFromKubernetes } from './errors.js';

/** The parts of an AgentWorkspace the SDK reads (operator/src/api/agentworkspace.ts is the schema). */
export interface AgentWorkspaceObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; generation?: number; resourceVersion?: string; uid?: string; labels?: Record<string, string>; deletionTimestamp?: string | Date };
  spec?: Record<string, unknown>;
  status?: {
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    observedGeneration?: number;
    url?: string;
    podName?: string;
    sessionKeySecretName?: string;
    sessionKeySecretKey?: string;
  };
}

/** client-node's `Watch.prototype.watch` shape: the seam the unit tests replace. */
export type WatchFn = (
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: (type: string, object: unknown) => void,
  done: (err: unknown) => void,
) => Promise<{ abort(): void }>;

/** What the follower saw: the object (first GET or a watch event), its deletion, or a GET answered 404 (`err`, classified). */
export type Sighting =
  | { kind: 'object'; obj: AgentWorkspaceObject }
  | { kind: 'deleted' }
  | { kind: 'missing'; initial: boolean; err: unknown };

/** The caller's judgement of a sighting: done with a value, failed, or undefined to keep following. */
export type Verdict<T> = { value: T } | { error: Error } | undefined;

/** Which AgentWorkspace to follow, how, and for how long. */
export interface FollowOptions {
  name: string;
  namespace: string;
  /** The collection path of AgentWorkspaces in the namespace. */
  collectionPath: string;
  get: () => Promise<AgentWorkspaceObject>;
  watch: WatchFn;
  timeoutMs: number;
  logger: Logger;
}

const RESUME_BACKOFF = { retries: Infinity, minWait: 0.2, maxWait: 5, multiplier: 0.2 };

/** Resolves with the first `{value}` verdict, rejects with the first `{error}`, or with `timedOut()` after `timeoutMs`. A failing first GET other than 404 rejects with its KubernetesAPIError. */
export function followObject<T>(o: FollowOptions, see: (s: Sighting) => Verdict<T>, timedOut: () => Error): Promise<T> {
  const id = `${o.namespace}/${o.name}`;
  let resourceVersion: string | undefined;
  let current: { abort(): void } | undefined;
  let settled = false;
  let failures = 0;
  const stop = new AbortController();

  return new Promise<T>((resolve, reject) => {
    const finish = (verdict: NonNullable<Verdict<T>>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop.abort();
      current?.abort();
      if ('error' in verdict) reject(verdict.error); else resolve(verdict.value);
    };
    const judge = (s: Sighting) => {
      if (settled) return;
      const verdict = see(s);
      if (verdict) finish(verdict);
    };
    const timer = setTimeout(() => finish({ error: timedOut() }), o.timeoutMs);

    const observe = (obj: AgentWorkspaceObject) => {
      if (obj.metadata?.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
      judge({ kind: 'object', obj });
    };

    /** GET: the object, or a 404 sighting; other failures throw (classified). */
    const relist = async (initial: boolean) => {
      let obj: AgentWorkspaceObject;
      try {
        obj = await o.get();
      } catch (e) {
        const classified = errorFromKubernetes(e, `GET AgentWorkspace ${id}`);
        if ((classified as { status?: number }).status === 404) return judge({ kind: 'missing', initial, err: classified });
        throw classified;
      }
      observe(obj);
    };

    const start = async (): Promise<void> => {
      if (settled) return;
      let relistNeeded = false;
      const ended = new Promise<unknown>((resolveEnded) => {
        o.watch(
          o.collectionPath,
          { fieldSelector: `metadata.name=${o.name}`, resourceVersion, allowWatchBookmarks: true },
          (type, object) => {
            const obj = object as AgentWorkspaceObject & { code?: number };
            if (type === 'ERROR') {
              // 410 Gone: our resourceVersion is too old to resume from; relist, then watch again.
              relistNeeded = true;
              current?.abort();
              resolveEnded(new Error(`watch error ${obj.code ?? ''}`));
              return;
            }
            failures = 0;
            if (type === 'BOOKMARK') {
              if (obj.metadata?.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
              return;
            }
            if (type === 'DELETED') return judge({ kind: 'deleted' });
            observe(obj);
          },
          (err) => resolveEnded(err),
        ).then((handle) => {
          current = handle;
          if (settled) handle.abort();
        }, (err: unknown) => resolveEnded(err));
      });
      const err = await ended;
      if (settled) return;
      // A watch the server closed cleanly (its timeout) resumes at once; a failing one backs off.
      if (err) {
        failures += 1;
        o.logger.debug({ workspace: id, resourceVersion, err: String(err) }, 'workspace watch ended; resuming');
        await sleep(backoffMs(RESUME_BACKOFF, failures), stop.signal).catch(() => undefined);
      }
      if (relistNeeded || failures > 3) {
        try {
          await relist(false);
        } catch (e) {
          o.logger.debug({ workspace: id, err: String(e) }, 'relist failed; retrying');
        }
      }
      return start();
    };

    relist(true).then(() => start(), (e: unknown) => finish({ error: e instanceof Error ? e : new Error(String(e)) }))
      .catch((e: unknown) => finish({ error: e instanceof Error ? e : new Error(String(e)) }));
  });
}
