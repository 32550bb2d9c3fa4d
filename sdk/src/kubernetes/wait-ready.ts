// Waiting for an AgentWorkspace to become Ready with a WATCH (never a polling loop): one GET for the current
// state and its resourceVersion, then a watch on that one object from there. A watch that ends (the server's
// timeout, a broken connection) resumes from the last resourceVersion seen (bookmarks included); one the server
// answers with 410 Gone relists with a GET first. Ready means Ready=True with status.url for the current
// generation; a terminal reason (errors.ts) or the object's deletion ends the wait with its error class.
import { backoffMs, sleep } from '../backoff.js';
import type { Logger } from '../logger.js';
import { TERMINAL_REASONS, WorkspaceReadyTimeoutError, WorkspaceStoppedError, errorFromKubernetes, startErrorFor } from './errors.js';

/** The parts of an AgentWorkspace the SDK reads (operator/src/api/agentworkspace.ts is the schema). */
export interface AgentWorkspaceObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; generation?: number; resourceVersion?: string; uid?: string; labels?: Record<string, string> };
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

/** A progress report: the Ready condition as the operator last wrote it. */
export interface ReadyProgress {
  name: string;
  namespace: string;
  /** "True", "False" or "Unknown"; undefined before the operator wrote a status. */
  status: string | undefined;
  reason: string | undefined;
  message: string | undefined;
}

/** client-node's `Watch.prototype.watch` shape: the seam the unit tests replace. */
export type WatchFn = (
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: (type: string, object: unknown) => void,
  done: (err: unknown) => void,
) => Promise<{ abort(): void }>;

export interface WaitForReadyOptions {
  name: string;
  namespace: string;
  /** The collection path of AgentWorkspaces in the namespace. */
  collectionPath: string;
  get: () => Promise<AgentWorkspaceObject>;
  watch: WatchFn;
  timeoutMs: number;
  onProgress?: ((progress: ReadyProgress) => void) | undefined;
  logger: Logger;
}

const RESUME_BACKOFF = { retries: Infinity, minWait: 0.2, maxWait: 5, multiplier: 0.2 };

type Verdict = { ready: AgentWorkspaceObject } | { error: Error } | undefined;

function judge(obj: AgentWorkspaceObject, id: string): Verdict {
  const status = obj.status;
  // A status computed from an older generation says nothing about this spec yet.
  if (!status || status.observedGeneration !== obj.metadata?.generation) return undefined;
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  if (!ready) return undefined;
  if (ready.status === 'True' && status.url) return { ready: obj };
  if (ready.reason && TERMINAL_REASONS.has(ready.reason)) return { error: startErrorFor(id, ready.reason, ready.message ?? '') };
  return undefined;
}

/** Resolves with the Ready object; rejects with a WorkspaceNotReadyError subclass, a WorkspaceReadyTimeoutError or a KubernetesAPIError. */
export function waitForReady(o: WaitForReadyOptions): Promise<AgentWorkspaceObject> {
  const id = `${o.namespace}/${o.name}`;
  let last: { status?: string | undefined; reason?: string | undefined; message?: string | undefined } = {};
  let resourceVersion: string | undefined;
  let current: { abort(): void } | undefined;
  let settled = false;
  let failures = 0;
  const stop = new AbortController();

  return new Promise<AgentWorkspaceObject>((resolve, reject) => {
    const finish = (err: Error | undefined, obj?: AgentWorkspaceObject) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop.abort();
      current?.abort();
      if (err) reject(err); else resolve(obj!);
    };
    const timer = setTimeout(() => finish(new WorkspaceReadyTimeoutError(
      `AgentWorkspace ${id} was not Ready within ${o.timeoutMs} ms (last reason: ${last.reason ?? 'none'}${last.message ? `: ${last.message}` : ''}); raise readyTimeoutMs or look at kubectl describe aw ${o.name}.`,
      id, last.reason, last.message,
    )), o.timeoutMs);

    const observe = (obj: AgentWorkspaceObject) => {
      if (obj.metadata?.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
      const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready && (ready.reason !== last.reason || ready.status !== last.status || ready.message !== last.message)) {
        last = { status: ready.status, reason: ready.reason, message: ready.message };
        try {
          o.onProgress?.({ name: o.name, namespace: o.namespace, status: ready.status, reason: ready.reason, message: ready.message });
        } catch (err) {
          o.logger.warn({ err: String(err) }, 'onProgress threw; ignored');
        }
      }
      const verdict = judge(obj, id);
      if (verdict && 'ready' in verdict) finish(undefined, verdict.ready);
      else if (verdict) finish(verdict.error);
    };

    const relist = async () => observe(await o.get());

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
            if (type === 'DELETED') {
              finish(new WorkspaceStoppedError(`AgentWorkspace ${id} was deleted while waiting for it to become Ready.`, id, last.reason, last.message));
              return;
            }
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
          await relist();
        } catch (e) {
          const classified = errorFromKubernetes(e, `GET AgentWorkspace ${id}`);
          if ((classified as { status?: number }).status === 404) {
            return finish(new WorkspaceStoppedError(`AgentWorkspace ${id} no longer exists.`, id, last.reason, last.message));
          }
          o.logger.debug({ workspace: id, err: String(e) }, 'relist failed; retrying');
        }
      }
      return start();
    };

    relist().then(() => start(), (e: unknown) => finish(errorFromKubernetes(e, `GET AgentWorkspace ${id}`) as Error))
      .catch((e: unknown) => finish(e instanceof Error ? e : new Error(String(e))));
  });
}
