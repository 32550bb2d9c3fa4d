/**
 * The AgentWorkspacePool API (same group and version as AgentWorkspace): `replicas` warm, dormant agent-server
 * pods (OH_DEFERRED_INIT) shaped by `template`, which an AgentWorkspace with `spec.poolRef` claims; the operator then
 * delivers everything of the user's (session key, LLM credentials, env) through the pod's `POST /api/init`.
 * The CRD in `crds/` is generated from these schemas, as for AgentWorkspace.
 */
import { z } from 'zod';
import { AgentWorkspaceSpec, Condition, ObjectMeta, API_VERSION } from './agentworkspace.js';

export const POOL_KIND = 'AgentWorkspacePool';
export const POOL_PLURAL = 'agentworkspacepools';
export const POOL_SINGULAR = 'agentworkspacepool';
export const POOL_SHORT_NAMES = ['awp'];

/** The pod-shaping part of an AgentWorkspace spec (storage is always Ephemeral for pooled pods). */
export const PoolTemplate = AgentWorkspaceSpec.pick({
  image: true,
  imagePullPolicy: true,
  resources: true,
  runtimeClassName: true,
  nodeSelector: true,
  tolerations: true,
  affinity: true,
  serviceAccountName: true,
  automountServiceAccountToken: true,
  podMetadata: true,
}).describe(
  'The pod-shaping part of an AgentWorkspace spec (image, resources, runtimeClassName, scheduling, pod metadata). ' +
    'Warm pods have Ephemeral storage and nothing of a user: that is delivered by /api/init at the claim.',
);

export const AgentWorkspacePoolSpec = z
  .object({
    replicas: z.int().min(0).max(1000).default(1).describe('Warm (dormant, ready) pods kept ready to claim. Default: 1.'),
    template: PoolTemplate.default(PoolTemplate.parse({})),
  })
  .describe('Warm agent-server pods that AgentWorkspaces with spec.poolRef claim.');

/** The Ready condition's reasons for a pool. */
export const PoolReason = {
  /** readyReplicas ≥ replicas, none outdated. */
  Warm: 'Warm',
  /** Pods are being created or are starting. */
  Warming: 'Warming',
  /** The template changed; outdated idle pods are being replaced. */
  RollingUpdate: 'RollingUpdate',
  /** The API server refused the pod (the template is invalid). */
  InvalidTemplate: 'InvalidTemplate',
  /** Transient: an API call failed; retried with backoff. */
  ReconcileError: 'ReconcileError',
} as const;
export type PoolReason = (typeof PoolReason)[keyof typeof PoolReason];

export const AgentWorkspacePoolStatus = z
  .object({
    replicas: z.int().min(0).optional().describe('Warm pods that exist (not terminating, not claimed).'),
    readyReplicas: z.int().min(0).optional().describe('Warm pods ready to be claimed.'),
    warmingReplicas: z.int().min(0).optional().describe('Warm pods still starting.'),
    updatedReplicas: z.int().min(0).optional().describe('Warm pods built from the current template.'),
    selector: z.string().optional().describe('Label selector of the warm pods (the scale subresource reads it).'),
    observedGeneration: z.int().min(0).optional().describe('metadata.generation this status describes.'),
    conditions: z
      .array(Condition)
      .max(8)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
  })
  .describe('What the operator observed of the warm pods.');

export type AgentWorkspacePoolSpec = z.infer<typeof AgentWorkspacePoolSpec>;
export type AgentWorkspacePoolStatus = z.infer<typeof AgentWorkspacePoolStatus>;
export type PoolTemplate = z.infer<typeof PoolTemplate>;

export const AgentWorkspacePool = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(POOL_KIND),
  metadata: ObjectMeta,
  spec: AgentWorkspacePoolSpec,
  status: AgentWorkspacePoolStatus.optional(),
});
export type AgentWorkspacePool = z.infer<typeof AgentWorkspacePool>;
