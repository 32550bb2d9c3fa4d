/**
 * reconcilePool(key): keeps a pool's warm pods at `spec.replicas` (planPool decides, this carries it out) and writes
 * the counts into its status. A warm pod is created with its init-key Secret first (the pod reads OH_SECRET_KEY
 * from it), then the Secret is handed to the pod (ownerReference), so it lives exactly as long as the pod, claimed
 * or not. Claimed pods have left the pool (label and ownerReference moved) and are never touched here.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { CONDITION_READY } from '../api/agentworkspace.js';
import { AgentWorkspacePool, AgentWorkspacePoolStatus, PoolReason } from '../api/agentworkspacepool.js';
import { parseKey } from '../api/keys.js';
import type { KubeApiError, KubeObject } from '../kube/client.js';
import { isConflict, isNotFound, statusCodeOf } from '../kube/errors.js';
import { SPEC_HASH_ANNOTATION, canonicalJson } from '../reconcile/desired.js';
import type { PoolDeps, PoolResult } from './deps.js';
import { nextCondition } from '../reconcile/status.js';
import { planPool, type WarmPodView } from './plan.js';
import { initSecret, initSecretName, poolSelector, templateHash, warmPod } from './warm-pod.js';

export type PoolReconcileDeps = PoolDeps & {
  expectations: PoolExpectations;
};

/** How long a created pod may be missing from the cache before it is no longer counted (its watch event was lost). */
const EXPECTATION_TTL_MS = 60_000;

/**
 * Pods this operator created (or deleted) whose event the pod cache has not shown yet, per pool: the next pass,
 * which may run before the cache catches up, counts them instead of creating (or deleting) them again.
 */
export class PoolExpectations {
  private readonly created = new Map<string, Map<string, number>>();

  expectCreated(pool: string, pod: string, at: number): void {
    let pods = this.created.get(pool);
    if (!pods) this.created.set(pool, (pods = new Map()));
    pods.set(pod, at);
  }

  /** The pods of `pool` created but not in the cache yet (`cached` names the pods the cache has). */
  pending(pool: string, cached: ReadonlySet<string>, now: number): string[] {
    const pods = this.created.get(pool);
    if (!pods) return [];
    for (const [pod, at] of pods) if (cached.has(pod) || now - at > EXPECTATION_TTL_MS) pods.delete(pod);
    if (pods.size === 0) this.created.delete(pool);
    return [...pods.keys()];
  }

  forget(pool: string): void {
    this.created.delete(pool);
  }
}

/** The API server refused a warm pod: the template is invalid; not retried until the pool changes. */
class InvalidTemplateError extends Error {
  override name = 'InvalidTemplateError';
}

const isPodReady = (pod: KubeObject) =>
  !!(pod.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** The pool's own warm pods in the cache (controller ownerReference to this pool's uid). */
export function warmPodsOf(pool: AgentWorkspacePool, pods: readonly KubeObject[]): KubeObject[] {
  return pods.filter((p) => p.metadata?.ownerReferences?.some((r) => r.controller && r.uid === pool.metadata.uid));
}

export async function reconcilePool(key: string, deps: PoolReconcileDeps): Promise<PoolResult> {
  const { namespace, name } = parseKey(key);
  const raw = deps.caches.pools.get(name, namespace);
  if (!raw || raw.metadata?.deletionTimestamp) return {};
  const log = deps.log.child({ pool: key, reconcileId: randomUUID() });
  const parsed = AgentWorkspacePool.safeParse(raw);
  if (!parsed.success) {
    const message = `Invalid spec: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
    await writeStatus(raw, { conditions: [condition(raw, PoolReason.InvalidTemplate, 'False', message, deps.now())] }, deps);
    return { terminal: true };
  }
  const pool = parsed.data;
  const hash = templateHash(pool, deps.settings);
  const pods = warmPodsOf(pool, deps.caches.pods.list(namespace));
  const pending = deps.expectations.pending(key, new Set(deps.caches.pods.list(namespace).map((p) => p.metadata?.name ?? '')), deps.now().getTime());
  const views: WarmPodView[] = pods.map((p) => {
    const phase = (p.status as { phase?: string } | undefined)?.phase;
    return {
      name: p.metadata?.name ?? '',
      current: p.metadata?.annotations?.[SPEC_HASH_ANNOTATION] === hash,
      ready: isPodReady(p) && !p.metadata?.deletionTimestamp,
      terminating: !!p.metadata?.deletionTimestamp,
      failed: phase === 'Failed' || phase === 'Succeeded',
    };
  });
  for (const podName of pending) views.push({ name: podName, current: true, ready: false, terminating: false, failed: false });
  const plan = planPool(views, pool.spec.replicas);
  let failure: { reason: PoolReason; message: string } | undefined;
  let transient: unknown;
  const created: string[] = [];
  try {
    await Promise.all(plan.remove.map(async (podName) => {
      const pod = pods.find((p) => p.metadata?.name === podName);
      if (!pod) return;
      try {
        // resourceVersion precondition: a pod claimed since the cache saw it is not deleted.
        await deps.client.delete(pod, { uid: pod.metadata?.uid, resourceVersion: pod.metadata?.resourceVersion });
        log.info({ pod: podName }, 'warm pod deleted');
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }));
    await Promise.all(Array.from({ length: plan.create }, async () => {
      const podName = await createWarmPod(pool, deps);
      deps.expectations.expectCreated(key, podName, deps.now().getTime());
      created.push(podName);
    }));
    if (plan.create > 0) log.info({ pods: created }, 'warm pods created');
  } catch (err) {
    if (err instanceof InvalidTemplateError) failure = { reason: PoolReason.InvalidTemplate, message: err.message };
    else {
      transient = err;
      if (deps.attempts + 1 >= 3) failure = { reason: PoolReason.ReconcileError, message: `Retrying after an error: ${(err as Error).message}` };
    }
  }

  const live = views.filter((v) => !v.terminating && !v.failed && !plan.remove.includes(v.name));
  const ready = live.filter((v) => v.ready).length;
  const outdated = live.filter((v) => !v.current).length;
  const verdict = failure
    ?? (ready >= pool.spec.replicas && outdated === 0
      ? { reason: PoolReason.Warm, message: `${ready} warm pod(s) ready to claim.` }
      : outdated > 0
        ? { reason: PoolReason.RollingUpdate, message: `Replacing ${outdated} outdated warm pod(s); ${ready} ready.` }
        : { reason: PoolReason.Warming, message: `${ready} of ${pool.spec.replicas} warm pod(s) ready.` });
  const status: AgentWorkspacePoolStatus = {
    replicas: live.length + created.length,
    readyReplicas: ready,
    warmingReplicas: live.length - ready + created.length,
    updatedReplicas: live.filter((v) => v.current).length + created.length,
    selector: poolSelector(pool),
    ...(pool.metadata.generation !== undefined ? { observedGeneration: pool.metadata.generation } : {}),
    conditions: [condition(raw, verdict.reason, verdict.reason === PoolReason.Warm ? 'True' : 'False', verdict.message, deps.now())],
  };
  await writeStatus(raw, status, deps);
  if (transient) throw transient;
  return failure ? { terminal: true } : {};
}

function condition(raw: KubeObject, reason: PoolReason, status: 'True' | 'False', message: string, now: Date) {
  const prev = AgentWorkspacePoolStatus.safeParse(raw.status).data?.conditions?.find((c) => c.type === CONDITION_READY);
  const generation = raw.metadata?.generation;
  return nextCondition(prev, { type: CONDITION_READY, status, reason, message, ...(generation !== undefined ? { observedGeneration: generation } : {}) }, now);
}

async function writeStatus(raw: KubeObject, status: AgentWorkspacePoolStatus, deps: PoolReconcileDeps): Promise<void> {
  if (canonicalJson(raw.status ?? {}) === canonicalJson(status)) return;
  try {
    await deps.client.mergePatch(raw, { status }, 'status');
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Creates one warm pod and its init-key Secret; returns the pod's name. */
async function createWarmPod(pool: AgentWorkspacePool, deps: PoolReconcileDeps): Promise<string> {
  const podName = `${pool.metadata.name}-${randomBytes(3).toString('hex')}`;
  await deps.client.create(initSecret(pool, podName, randomBytes(32).toString('base64url')) as KubeObject);
  let pod: KubeObject;
  try {
    pod = await deps.client.create(warmPod(pool, podName, deps.settings) as KubeObject);
  } catch (err) {
    await deps.client.delete({ apiVersion: 'v1', kind: 'Secret', metadata: { name: initSecretName(podName), namespace: pool.metadata.namespace } }).catch(() => undefined);
    if (statusCodeOf(err) === 422) throw new InvalidTemplateError(`The API server refused the warm pod: ${(err as KubeApiError).body?.message ?? (err as Error).message}`);
    throw err;
  }
  await deps.client.mergePatch({ apiVersion: 'v1', kind: 'Secret', metadata: { name: initSecretName(podName), namespace: pool.metadata.namespace } }, {
    metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: podName, uid: pod.metadata?.uid, controller: false, blockOwnerDeletion: false }] },
  });
  return podName;
}
