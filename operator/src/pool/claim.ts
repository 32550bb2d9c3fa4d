/**
 * The workspace side of a pool: claiming a warm pod, and delivering the user's configuration to it.
 *
 * Claim: a ready warm pod of the pool is adopted by one merge patch of its metadata (workspace labels instead of the
 * pool label, the workspace as controller) guarded by the resourceVersion the cache showed, so of two workspaces
 * claiming the same pod at once exactly one succeeds; the other gets 409 and tries the next pod.
 *
 * Init: `POST /api/init` on the pod with its init key (the pod's Secret, readable by the operator only) delivers the
 * session key and the user's environment (user-env.ts). The pod records which container start it was initialized
 * for; a restarted container (dormant again, same init key) is initialized again with the same session key.
 */
import { Reason, SERVER_PORT, type AgentWorkspace } from '../api/agentworkspace.js';
import { AgentWorkspacePool } from '../api/agentworkspacepool.js';
import type { KubeObject } from '../kube/client.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import type { Logger } from '../log.js';
import { CONTAINER_NAME, SPEC_HASH_ANNOTATION, controllerRef, labelsOf, sessionKeyRef } from '../reconcile/desired.js';
import { TerminalError } from '../reconcile/errors.js';
import type { PoolDeps } from './deps.js';
import { CLAIMED_FROM_ANNOTATION, INITIALIZED_FOR_ANNOTATION, INIT_KEY, POOL_LABEL, initSecretName, templateHash } from './warm-pod.js';
import { warmPodsOf } from './reconcile-pool.js';
import { initPod, InitRefusedError } from './init-client.js';
import { secretValue, userEnv } from './user-env.js';
import type { Timeline } from '../reconcile/timeline.js';

type PodStatus = {
  phase?: string;
  podIP?: string;
  conditions?: Array<{ type: string; status: string }>;
  containerStatuses?: Array<{ name: string; ready?: boolean; restartCount?: number; state?: { running?: { startedAt?: string } } }>;
};

const statusOf = (pod: KubeObject) => (pod.status ?? {}) as PodStatus;
const containerOf = (pod: KubeObject) => statusOf(pod).containerStatuses?.find((c) => c.name === CONTAINER_NAME);

/** The pod's server container start this is ("<restartCount>@<startedAt>"), undefined while it does not run. */
export function containerStart(pod: KubeObject): string | undefined {
  const c = containerOf(pod);
  const started = c?.state?.running?.startedAt;
  return started ? `${c?.restartCount ?? 0}@${started}` : undefined;
}

export const isClaimed = (pod: KubeObject) => pod.metadata?.annotations?.[CLAIMED_FROM_ANNOTATION] !== undefined;

/** A claimed pod waits for (or is in) /api/init: its current container start has not been initialized yet. */
export function initPending(pod: KubeObject): boolean {
  return isClaimed(pod) && pod.metadata?.annotations?.[INITIALIZED_FOR_ANNOTATION] !== containerStart(pod);
}

function ready(pod: KubeObject): boolean {
  const st = statusOf(pod);
  return !pod.metadata?.deletionTimestamp && st.phase === 'Running' && !!st.podIP && !!st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The ready warm pods a workspace may claim, as the cache shows them, in claim order; none without a pool. */
export interface Candidates {
  pool: AgentWorkspacePool;
  pods: KubeObject[];
}

/**
 * The ready warm pods of the workspace's pool (undefined when the pool does not exist or is going), in claim order:
 * pods built from the current template first, in random order (concurrent claims spread). Reads the caches only.
 */
export function claimCandidates(ws: AgentWorkspace, deps: Pick<PoolDeps, 'caches' | 'settings'>): Candidates | undefined {
  const ref = ws.spec.poolRef;
  const ns = ws.metadata.namespace;
  if (!ref) return undefined;
  const pool = AgentWorkspacePool.safeParse(deps.caches.pools.get(ref.name, ns)).data;
  if (!pool || pool.metadata.deletionTimestamp) return undefined;
  const hash = templateHash(pool, deps.settings);
  const pods = warmPodsOf(pool, deps.caches.pods.list(ns)).filter(ready)
    .map((pod) => ({ pod, order: (pod.metadata?.annotations?.[SPEC_HASH_ANNOTATION] === hash ? 0 : 1) + Math.random() }))
    .sort((a, b) => a.order - b.order)
    .map((c) => c.pod);
  return { pool, pods };
}

/** A claimed pod, and its init key when it was read alongside the claim. */
export interface Claim {
  pod: KubeObject;
  initKey?: Promise<string | undefined>;
}

/**
 * Adopts a ready warm pod of `candidates` (claimCandidates); undefined when none could be had (the caller starts
 * cold). The first candidate's init key is read while its adopting patch is in flight (one round trip instead of
 * two when that pod is won, as it is unless another workspace took it since the cache saw it).
 */
export async function claimWarmPod(ws: AgentWorkspace, candidates: Candidates | undefined, deps: Pick<PoolDeps, 'client'>, log: Logger): Promise<Claim | undefined> {
  if (!candidates) return undefined;
  const { pool, pods } = candidates;
  const ns = ws.metadata.namespace ?? '';
  const first = pods[0]?.metadata?.name;
  const prefetched = first ? secretValue(deps.client, ns, initSecretName(first), INIT_KEY) : undefined;
  prefetched?.catch(() => undefined); // read again below when it failed, or unused when another pod is won
  for (const pod of pods) {
    try {
      const claimed = await deps.client.mergePatch(pod, {
        metadata: {
          resourceVersion: pod.metadata?.resourceVersion,
          labels: { ...labelsOf(ws), [POOL_LABEL]: null },
          annotations: { [CLAIMED_FROM_ANNOTATION]: pool.metadata.name },
          ownerReferences: [controllerRef(ws)],
        },
      });
      log.info({ pod: pod.metadata?.name, pool: pool.metadata.name }, 'warm pod claimed');
      return { pod: claimed, ...(pod.metadata?.name === first && prefetched ? { initKey: prefetched } : {}) };
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) continue; // claimed (or deleted) by someone else since the cache saw it
      throw err;
    }
  }
  return undefined;
}

/** What the caller already has (or is already reading) of what /api/init needs; the rest is read here. */
export interface KnownInit {
  initKey?: Promise<string | undefined> | undefined;
  /** The generated session key this pass created (so it need not be read back). */
  sessionKey?: string | undefined;
  env?: Promise<Record<string, string>> | undefined;
}

/**
 * Delivers the workspace's configuration to its claimed pod when its current container start has not had it.
 * Returns the pod as it is now (with the initialized-for annotation once done); waits (returns it unchanged) while
 * the container is not ready.
 *
 * The initialized-for annotation's patch is returned unawaited (`annotating`) beside the pod as that patch makes it:
 * the caller writes the status meanwhile and awaits both. /api/init has answered, so Ready is already true; if the
 * patch fails, the next pass initializes again and the server answers 400 ("already initialized"), which counts as
 * done.
 */
export async function ensureInitialized(
  ws: AgentWorkspace, pod: KubeObject, deps: Pick<PoolDeps, 'client' | 'caches'>, log: Logger, timeline?: Timeline, known: KnownInit = {},
): Promise<{ pod: KubeObject; annotating?: Promise<unknown> }> {
  if (!initPending(pod)) return { pod };
  const start = containerStart(pod);
  if (!start || !containerOf(pod)?.ready || !statusOf(pod).podIP) return { pod };
  const ns = ws.metadata.namespace ?? '';
  const podName = pod.metadata?.name ?? '';
  const key = sessionKeyRef(ws);
  // The operator's own Secrets (init key, generated session key), read (rbac-warm-pools.yaml): it does not watch Secrets.
  const [initKey, sessionKey, env] = await Promise.all([
    (known.initKey ?? Promise.resolve(undefined)).catch(() => undefined)
      .then((v) => v ?? secretValue(deps.client, ns, initSecretName(podName), INIT_KEY)),
    known.sessionKey ?? secretValue(deps.client, ns, key.name, key.key),
    known.env ?? userEnv(ws, deps.client),
  ]);
  if (!initKey) throw new Error(`the init-key Secret "${initSecretName(podName)}" of pod "${podName}" is missing`);
  if (!sessionKey) throw new TerminalError(Reason.InvalidSpec, `Secret "${key.name}" has no key "${key.key}".`);
  const url = `http://${statusOf(pod).podIP}:${SERVER_PORT}`;
  timeline?.mark('initSent');
  try {
    await initPod(url, initKey, { session_api_keys: [sessionKey], env });
    timeline?.mark('initAnswered');
    log.info({ pod: podName, containerStart: start }, 'pod initialized (/api/init)');
  } catch (err) {
    // Already initialized: this operator initialized it and lost the record (it stopped before the annotation).
    if (!(err instanceof InitRefusedError && err.status === 400)) throw err;
    log.info({ pod: podName, containerStart: start }, 'pod was already initialized');
  }
  const annotating = deps.client.mergePatch(pod, { metadata: { annotations: { [INITIALIZED_FOR_ANNOTATION]: start } } })
    .then((annotated) => {
      timeline?.mark('annotated');
      return annotated;
    });
  annotating.catch(() => undefined); // the caller awaits it (and sees its failure) after the status write
  const md = pod.metadata ?? {};
  return { pod: { ...pod, metadata: { ...md, annotations: { ...md.annotations, [INITIALIZED_FOR_ANNOTATION]: start } } }, annotating };
}
