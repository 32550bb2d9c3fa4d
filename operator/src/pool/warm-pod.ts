/**
 * Builders of a pool's warm pods: the workspace pod builder (reconcile/desired.ts) applied to the pool's template
 * with the dormant environment (OH_DEFERRED_INIT, OH_SECRET_KEY from the pod's init-key Secret), then relabelled
 * and owned by the pool. Pure: the pod name and init key come from the caller.
 */
import type { V1OwnerReference, V1Pod, V1Secret } from '@kubernetes/client-node';
import { API_VERSION, AgentWorkspace, KIND } from '../api/agentworkspace.js';
import { POOL_KIND, type AgentWorkspacePool } from '../api/agentworkspacepool.js';
import { MANAGED_BY, SPEC_HASH_ANNOTATION, desiredPod, serverLabels, specHash, type DesiredSettings } from '../reconcile/desired.js';

/** The label naming the pool a warm pod belongs to; a claim removes it. */
export const POOL_LABEL = 'agentworkspace.dev/pool';
/** On a claimed pod: the pool it came from. */
export const CLAIMED_FROM_ANNOTATION = 'agentworkspace.dev/claimed-from';
/** On a claimed pod: the container start time the last successful /api/init was for (a restart needs another). */
export const INITIALIZED_FOR_ANNOTATION = 'agentworkspace.dev/initialized-for';
/** The key of the init-key Secret "<pod>-init". */
export const INIT_KEY = 'initKey';

export const initSecretName = (podName: string) => `${podName}-init`;

/** Labels of a warm pod (and the pool's status.selector). */
export function warmLabels(pool: AgentWorkspacePool): Record<string, string> {
  return { ...serverLabels(pool.metadata.name), [POOL_LABEL]: pool.metadata.name };
}

export function poolSelector(pool: AgentWorkspacePool): string {
  return `app.kubernetes.io/managed-by=${MANAGED_BY},${POOL_LABEL}=${pool.metadata.name}`;
}

export function poolRef(pool: AgentWorkspacePool): V1OwnerReference {
  if (!pool.metadata.uid) throw new Error('pool has no uid');
  return { apiVersion: API_VERSION, kind: POOL_KIND, name: pool.metadata.name, uid: pool.metadata.uid, controller: true, blockOwnerDeletion: true };
}

/** The template's hash (with the image it resolves to): a warm pod whose hash differs is outdated. */
export function templateHash(pool: AgentWorkspacePool, settings: DesiredSettings): string {
  return specHash({ template: pool.spec.template, image: pool.spec.template.image ?? settings.serverImage, runAsUser: settings.runAsUser });
}

/** The workspace the pod builder sees for a warm pod: the template, Ephemeral storage, nothing of a user. */
function templateWorkspace(pool: AgentWorkspacePool, podName: string): AgentWorkspace {
  return AgentWorkspace.parse({
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: podName, namespace: pool.metadata.namespace, uid: pool.metadata.uid },
    spec: { ...pool.spec.template, storage: { type: 'Ephemeral' } },
  });
}

/** The warm, dormant pod `podName` of `pool`. */
export function warmPod(pool: AgentWorkspacePool, podName: string, settings: DesiredSettings): V1Pod {
  const pod = desiredPod(templateWorkspace(pool, podName), settings, { secretName: initSecretName(podName), key: INIT_KEY });
  const t = pool.spec.template;
  return {
    ...pod,
    metadata: {
      name: podName,
      namespace: pool.metadata.namespace,
      labels: { ...(t.podMetadata?.labels ?? {}), ...warmLabels(pool) },
      annotations: { ...(t.podMetadata?.annotations ?? {}), [SPEC_HASH_ANNOTATION]: templateHash(pool, settings) },
      ownerReferences: [poolRef(pool)],
    },
  };
}

/** The Secret holding a warm pod's init key, owned by the pool until the pod exists (then by the pod). */
export function initSecret(pool: AgentWorkspacePool, podName: string, initKey: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: initSecretName(podName),
      namespace: pool.metadata.namespace,
      labels: { 'app.kubernetes.io/managed-by': MANAGED_BY, [POOL_LABEL]: pool.metadata.name },
      ownerReferences: [{ ...poolRef(pool), controller: false }],
    },
    type: 'Opaque',
    stringData: { [INIT_KEY]: initKey },
  };
}
