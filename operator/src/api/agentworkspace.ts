/**
 * The AgentWorkspace API, group `agentworkspace.dev`, version `v1alpha1`.
 *
 * This file is the single source of truth: the CRD in `crds/` is generated from these zod schemas
 * (`npm run -w operator crds`), and `crd.test.ts` fails when the committed YAML differs.
 *
 * Terminology: the spec says what the user *wants* (a running or suspended server, for how long);
 * the status says what was *observed*, as one `Ready` condition whose reason is a stable word from
 * {@link Reason}. There is no `phase`: the printer columns read the condition.
 */
import { z } from 'zod';

export const GROUP = 'agentworkspace.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'AgentWorkspace';
export const PLURAL = 'agentworkspaces';
export const SINGULAR = 'agentworkspace';
export const SHORT_NAMES = ['aw'];

/** The port the agent server listens on inside the pod (its probes and API). */
export const SERVER_PORT = 8000;

/** A Kubernetes quantity ("500m", "2Gi", 1): int-or-string in the CRD, as core types declare it. */
const QUANTITY_PATTERN = '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+|[numkKMGTPE]i?|Ki|Mi|Gi|Ti|Pi|Ei)?$';
const Quantity = z.union([z.string().max(64).regex(new RegExp(QUANTITY_PATTERN)), z.int()]);

/** An RFC 1123 DNS label-ish object name (what Secrets, ConfigMaps, classes are named with). */
const ObjectName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);

/** A Secret key or env-var style key. */
const DataKey = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/);

const StringMap = z.record(z.string(), z.string());

const LabelSelector = z
  .object({
    matchLabels: StringMap.optional().describe('Labels that must all match. Default: none (matches everything).'),
  })
  .describe('A label selector (matchLabels only).');

// The limits ≥ requests check is left to the pod's own validation (reported as InvalidSpec): CEL's
// quantity() on map values exceeds the CRD cost budget by the API server's estimate.
export const ResourceRequirements = z
  .object({
    requests: z
      .record(z.string().max(253), Quantity)
      .meta({ maxProperties: 16 })
      .optional()
      .describe('Minimum resources the scheduler reserves, e.g. {cpu: 250m, memory: 512Mi}.'),
    limits: z
      .record(z.string().max(253), Quantity)
      .meta({ maxProperties: 16 })
      .optional()
      .describe('Hard caps, e.g. {memory: 2Gi}; not below the requests.'),
  })
  .describe('Container resources. A limit below its request is refused when the pod is created (InvalidSpec).');

const EnvVar = z
  .object({
    name: z.string().min(1).max(256).regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/).describe('Variable name.'),
    value: z.string().optional().describe('Literal value. Exclusive with valueFrom. Default: empty.'),
    valueFrom: z
      .object({
        secretKeyRef: z
          .object({ name: ObjectName, key: DataKey, optional: z.boolean().optional() })
          .optional()
          .describe('A key of a Secret in the workspace namespace.'),
        configMapKeyRef: z
          .object({ name: ObjectName, key: DataKey, optional: z.boolean().optional() })
          .optional()
          .describe('A key of a ConfigMap in the workspace namespace.'),
      })
      .meta({
        'x-kubernetes-validations': [
          {
            rule: '(has(self.secretKeyRef) ? 1 : 0) + (has(self.configMapKeyRef) ? 1 : 0) == 1',
            message: 'valueFrom needs exactly one of secretKeyRef or configMapKeyRef',
          },
        ],
      })
      .optional()
      .describe('Where the value comes from. Exclusive with value.'),
  })
  .meta({
    'x-kubernetes-validations': [
      { rule: '!(has(self.value) && has(self.valueFrom))', message: 'env: value and valueFrom are mutually exclusive' },
    ],
  });

const EnvFromSource = z
  .object({
    prefix: z.string().max(256).optional().describe('Prefix prepended to every key. Default: none.'),
    secretRef: z.object({ name: ObjectName }).optional().describe('A Secret whose keys become variables.'),
    configMapRef: z.object({ name: ObjectName }).optional().describe('A ConfigMap whose keys become variables.'),
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '(has(self.secretRef) ? 1 : 0) + (has(self.configMapRef) ? 1 : 0) == 1',
        message: 'envFrom needs exactly one of secretRef or configMapRef',
      },
    ],
  });

export const LlmCredentials = z
  .object({
    secretName: ObjectName.describe('The Secret (in the workspace namespace) holding the LLM settings.'),
    modelKey: DataKey.default('model').describe('Key whose value becomes LLM_MODEL (optional in the Secret). Default: "model".'),
    apiKeyKey: DataKey.default('apiKey').describe('Key whose value becomes LLM_API_KEY (required in the Secret). Default: "apiKey".'),
    baseUrlKey: DataKey.default('baseUrl').describe('Key whose value becomes LLM_BASE_URL (optional in the Secret). Default: "baseUrl".'),
  })
  .describe('LLM credentials, given to the server as LLM_MODEL, LLM_API_KEY and LLM_BASE_URL. Default: none.');

export const SessionApiKey = z
  .object({
    secretName: ObjectName.describe('An existing Secret holding the session API key; it is not owned or changed by the operator.'),
    key: DataKey.default('sessionApiKey').describe('The key within that Secret. Default: "sessionApiKey".'),
  })
  .describe(
    'The session API key clients must send (X-Session-API-Key). Default: absent, and the operator generates a ' +
      'Secret "<name>-session-key" with 256 random bits, owned by the workspace.',
  );

export const StorageType = z.enum(['Ephemeral', 'PersistentVolumeClaim']);
export const StorageReclaimPolicy = z.enum(['Delete', 'Retain']);

export const Storage = z
  .object({
    type: StorageType.default('Ephemeral').describe(
      'Ephemeral: an emptyDir that dies with the pod. PersistentVolumeClaim: a PVC "<name>-data" that survives ' +
        'pod replacement and suspension. Conversations and the workspace live on it. Default: Ephemeral.',
    ),
    size: Quantity.optional().describe(
      'Size of /workspace: the PVC\'s size, or the emptyDir\'s sizeLimit (Ephemeral: the pod is evicted when /workspace ' +
        'grows past it). Default: the operator\'s WORKSPACE_SIZE setting (10Gi).',
    ),
    storageClassName: ObjectName.optional().describe('PVC storage class (PersistentVolumeClaim only). Default: the cluster default class.'),
    reclaimPolicy: StorageReclaimPolicy.default('Delete').describe(
      'Delete: the PVC is owned by the workspace and garbage-collected with it. Retain: the PVC carries no owner ' +
        'and outlives the workspace; a workspace of the same name adopts it again. Default: Delete.',
    ),
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: "self.type == 'PersistentVolumeClaim' || !has(self.storageClassName)",
        message: 'storage.storageClassName requires storage.type PersistentVolumeClaim',
        fieldPath: '.storageClassName',
      },
      { rule: 'self == oldSelf', message: 'storage is immutable once the workspace exists' },
    ],
  })
  .describe('Where /workspace (and the conversations under it) lives. Default: {type: Ephemeral}. Immutable.');

/** Go-style duration subset ("24h", "90m", "1h30m", "45s") or "Never". */
export const DURATION_PATTERN = '^(Never|([0-9]+(h|m|s))+)$';

export const Lifetime = z
  .object({
    maxLifetime: z
      .string()
      .regex(new RegExp(DURATION_PATTERN))
      .default('24h')
      .describe(
        'How long after creation the workspace may run, as a duration ("24h", "1h30m", "45s") or "Never". ' +
          'Past it the pod is deleted and Ready reads Expired; the object, PVC, Secret and Service stay. Default: 24h.',
      ),
    shutdownTime: z.iso
      .datetime()
      .optional()
      .describe('An absolute RFC 3339 time after which the workspace is Expired. Default: none. The earlier of the two wins.'),
    idleTimeout: z
      .string()
      .regex(new RegExp(DURATION_PATTERN))
      .optional()
      .describe(
        'Suspend the workspace (as spec.suspended: the pod is deleted, the rest stays) after this long without agent ' +
          'activity, as the server reports it (/server_info idle_time: no conversation running, no command, no WebSocket ' +
          'subscriber, no authenticated request). Recorded in status.idleSuspendedAt; any spec change resumes. Default: off.',
      ),
  })
  .describe('When the workspace stops running. Default: {maxLifetime: 24h}, so nothing runs forever by accident.');

export const NetworkPolicySpec = z
  .object({
    enabled: z.boolean().default(false).describe('Render a NetworkPolicy "<name>" selecting the pod. Default: false.'),
    ingressFrom: z
      .array(
        z
          .object({
            podSelector: LabelSelector.optional(),
            namespaceSelector: LabelSelector.optional(),
          })
          .meta({
            'x-kubernetes-validations': [
              { rule: 'has(self.podSelector) || has(self.namespaceSelector)', message: 'ingressFrom entries need a podSelector or a namespaceSelector' },
            ],
          }),
      )
      .max(32)
      .default([])
      .describe('Peers allowed to reach the server port. Empty: no ingress at all. Default: [].'),
    egressCIDRs: z
      .array(z.string().max(64).regex(/^[0-9a-fA-F:.]+\/[0-9]{1,3}$/))
      .max(64)
      .default([])
      .describe('CIDRs the pod may connect to. Empty: no egress except DNS (when allowDNS). Default: [].'),
    allowDNS: z.boolean().default(true).describe('Also allow egress to port 53 (UDP and TCP) anywhere. Default: true.'),
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: 'self.enabled || (size(self.ingressFrom) == 0 && size(self.egressCIDRs) == 0)',
        message: 'networkPolicy.ingressFrom and networkPolicy.egressCIDRs require networkPolicy.enabled: true',
      },
    ],
  })
  .describe('An optional NetworkPolicy (ingress only from the given selectors, egress only to the given CIDRs). Default: off.');

const Toleration = z.object({
  key: z.string().max(316).optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().max(63).optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: z.int().optional(),
});

export const PodMetadata = z
  .object({
    labels: StringMap.optional().describe('Extra pod labels. The operator\'s own labels win on conflict. Default: none.'),
    annotations: StringMap.optional().describe('Extra pod annotations. Default: none.'),
  })
  .describe('Labels and annotations added to the pod. Default: none.');

export const AgentWorkspaceSpec = z
  .object({
    image: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe('The agent-server image. Default: the operator\'s SERVER_IMAGE setting.'),
    imagePullPolicy: z
      .enum(['Always', 'IfNotPresent', 'Never'])
      .default('IfNotPresent')
      .describe('Image pull policy of the server container. Default: IfNotPresent.'),
    resources: ResourceRequirements.default({ requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '2Gi' } }).describe(
      'Server container resources. Default: requests {cpu: 250m, memory: 512Mi}, limits {memory: 2Gi}; limits.cpu and ' +
        'limits.ephemeral-storage absent here come from the operator\'s POD_CPU_LIMIT (2) and POD_EPHEMERAL_STORAGE_LIMIT (12Gi) ' +
        'settings (or the request, when higher).',
    ),
    env: z.array(EnvVar).max(128).optional().describe('Extra environment variables of the server. Default: none.'),
    envFrom: z.array(EnvFromSource).max(32).optional().describe('Secrets/ConfigMaps whose keys become variables. Default: none.'),
    llm: LlmCredentials.optional(),
    sessionApiKey: SessionApiKey.optional(),
    storage: Storage.default({ type: 'Ephemeral', reclaimPolicy: 'Delete' }),
    tmpSize: Quantity.optional().describe(
      'sizeLimit of the /tmp emptyDir (the pod is evicted when /tmp grows past it). Default: the operator\'s POD_TMP_SIZE setting (1Gi).',
    ),
    lifetime: Lifetime.default({ maxLifetime: '24h' }),
    suspended: z
      .boolean()
      .default(false)
      .describe('true: the pod is deleted; PVC, Secret and Service stay; false again resumes. Default: false.'),
    runtimeClassName: ObjectName.optional().describe('RuntimeClass of the pod (e.g. gvisor, kata). Default: the cluster default.'),
    nodeSelector: StringMap.optional().describe('Pod nodeSelector. Default: none.'),
    tolerations: z.array(Toleration).max(64).optional().describe('Pod tolerations. Default: none.'),
    affinity: z
      .looseObject({})
      .optional()
      .describe('Pod affinity, as core/v1 Affinity (not validated by this schema). Default: none.'),
    serviceAccountName: ObjectName.optional().describe('ServiceAccount the pod runs as. Default: the namespace default.'),
    automountServiceAccountToken: z
      .boolean()
      .default(false)
      .describe('Mount the ServiceAccount token into the pod. Default: false (the agent gets no API credentials).'),
    podMetadata: PodMetadata.optional(),
    networkPolicy: NetworkPolicySpec.default({ enabled: false, ingressFrom: [], egressCIDRs: [], allowDNS: true }),
    poolRef: z
      .object({ name: ObjectName.describe('An AgentWorkspacePool in the workspace namespace.') })
      .optional()
      .describe(
        'Claim a warm pod of this pool instead of starting one: the pod\'s shape (image, resources, scheduling) is the ' +
          'pool\'s template, and the fields of this spec that shape a pod are not used; everything per-user (session ' +
          'key, llm, env, envFrom) is delivered by POST /api/init. An empty pool falls back to a cold start (the ' +
          'Pooled condition says ColdStart). Requires Ephemeral storage. Default: none.',
      ),
  })
  .meta({
    'x-kubernetes-validations': [
      { rule: "!has(self.poolRef) || !has(self.storage) || self.storage.type == 'Ephemeral'", message: 'spec.poolRef requires storage.type Ephemeral' },
    ],
  })
  .describe('What the user wants: one agent-server pod with its Service, session-key Secret and optional PVC.');

/** The condition every workspace has. */
export const CONDITION_READY = 'Ready';
/** The condition of a workspace with spec.poolRef: True (Claimed) for a warm pod, False (ColdStart) otherwise. */
export const CONDITION_POOLED = 'Pooled';
export const PooledReason = { Claimed: 'Claimed', ColdStart: 'ColdStart' } as const;

/** Stable reasons of the Ready condition; each value is the reason string itself. */
export const Reason = {
  /** Children are being created; the pod does not exist yet or is pending without a known cause. */
  Provisioning: 'Provisioning',
  /** The scheduler cannot place the pod (PodScheduled=False, Unschedulable). */
  Unschedulable: 'Unschedulable',
  /** The image cannot be pulled (ErrImagePull, ImagePullBackOff, InvalidImageName, ErrImageNeverPull, RegistryUnavailable). */
  ImagePullFailed: 'ImagePullFailed',
  /** The container runs but the server has not passed its readiness probe yet. */
  Starting: 'Starting',
  /** The server is ready; status.url is set. Ready=True only with this reason. */
  Running: 'Running',
  /** spec.suspended is true and the pod is gone. */
  Suspended: 'Suspended',
  /** The lifetime has passed; the pod is gone for good. */
  Expired: 'Expired',
  /** The pod failed or its container keeps crashing. */
  PodFailed: 'PodFailed',
  /** Terminal: what only the operator can judge (a referenced Secret or key is missing, the API server refuses the pod); not retried until a spec edit or the periodic resync. */
  InvalidSpec: 'InvalidSpec',
  /** Terminal until the conflict is removed: an object with a child's name exists and is not ours. */
  ResourceConflict: 'ResourceConflict',
  /** Transient: an API call failed; the operator retries with backoff. */
  ReconcileError: 'ReconcileError',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export const Condition = z.object({
  type: z.string().min(1).max(316).describe('Condition type: "Ready", and "Pooled" for a workspace with spec.poolRef.'),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().min(1).max(1024).describe('One of the stable reasons (see the operator README).'),
  message: z.string().max(32768).describe('A human-readable explanation.'),
  lastTransitionTime: z.iso.datetime().describe('When status last changed.'),
  observedGeneration: z.int().min(0).optional().describe('metadata.generation the condition was computed from.'),
});
export type Condition = z.infer<typeof Condition>;

export const AgentWorkspaceStatus = z
  .object({
    conditions: z
      .array(Condition)
      .max(8)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
    observedGeneration: z.int().min(0).optional().describe('metadata.generation this status describes.'),
    url: z.string().optional().describe('In-cluster URL of the server (Service DNS name, port 8000); set only while Ready.'),
    podName: z.string().optional().describe('Name of the current pod; absent while there is none.'),
    podIP: z.string().optional().describe('IP of the current pod; absent while there is none.'),
    sessionKeySecretName: z.string().optional().describe('Secret holding the session API key.'),
    sessionKeySecretKey: z.string().optional().describe('Key of the session API key within that Secret.'),
    createdAt: z.iso.datetime().optional().describe('When the current pod was created.'),
    scheduledAt: z.iso.datetime().optional().describe('When the current pod was bound to a node.'),
    startedAt: z.iso.datetime().optional().describe('When the server container started.'),
    readyAt: z.iso.datetime().optional().describe('When the workspace last became Ready.'),
    expiresAt: z.iso.datetime().optional().describe('When the lifetime ends; absent for "Never".'),
    lastActivityAt: z.iso.datetime().optional().describe('The server\'s last agent activity (with lifetime.idleTimeout only).'),
    idleSuspendedAt: z.iso.datetime().optional().describe('When lifetime.idleTimeout suspended the workspace; absent once the spec changed.'),
    idleSuspendedGeneration: z.int().min(0).optional().describe('The generation an idle suspension holds for: any spec change resumes.'),
  })
  .describe('What the operator observed.');

export type AgentWorkspaceSpec = z.infer<typeof AgentWorkspaceSpec>;
export type AgentWorkspaceSpecInput = z.input<typeof AgentWorkspaceSpec>;
export type AgentWorkspaceStatus = z.infer<typeof AgentWorkspaceStatus>;

/** The metadata fields the operator reads. */
export const ObjectMeta = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.int().optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: z.union([z.string(), z.date()]).optional(),
  deletionTimestamp: z.union([z.string(), z.date()]).optional(),
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
});

/** A whole AgentWorkspace object as read from the API (spec parsed, defaults applied). */
export const AgentWorkspace = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(KIND),
  metadata: ObjectMeta,
  spec: AgentWorkspaceSpec,
  status: AgentWorkspaceStatus.optional(),
});
export type AgentWorkspace = z.infer<typeof AgentWorkspace>;

/** Parses a duration of {@link DURATION_PATTERN} into milliseconds; `Never` is `undefined`. */
export function durationMs(text: string): number | undefined {
  if (text === 'Never') return undefined;
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000 };
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)([hms])/g)) total += Number(m[1]) * (unit[m[2] as string] ?? 0);
  return total;
}
