/**
 * Pure builders of a workspace's children: same workspace and settings in, same objects out. They
 * carry the controller ownerReference (GC deletes them with the workspace), the common labels (the
 * operator's caches are scoped by them) and a spec-hash annotation (a pod whose hash differs is replaced).
 */
import { createHash } from 'node:crypto';
import type { V1Affinity, V1EnvVar, V1OwnerReference, V1PersistentVolumeClaim, V1Pod, V1Secret, V1Service, V1Volume } from '@kubernetes/client-node';
import { API_VERSION, KIND, SERVER_PORT, type AgentWorkspace } from '../api/agentworkspace.js';
import { WORKSPACE_LABEL } from '../api/keys.js';

export const MANAGED_BY = 'agent-workspace-operator';
/** Label selecting everything this operator manages; the child informers watch only this. */
export const MANAGED_BY_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;
export const SPEC_HASH_ANNOTATION = 'agentworkspace.dev/spec-hash';
export const CONTAINER_NAME = 'agent-server';
/** The key of the generated Secret that holds the session API key. */
export const GENERATED_SESSION_KEY = 'sessionApiKey';
/** Where the server's state lives: /workspace (the PVC or an emptyDir) and /tmp (an emptyDir). */
export const WORKSPACE_MOUNT = '/workspace';
export const CONVERSATIONS_PATH = '/workspace/conversations';
/**
 * The second container: the sandbox runner, same image, its own uid (runAsUser + 1, the group shared), no credential
 * and no service-account token; the server starts every agent process through its socket (server-image README,
 * "The sandbox"). Separate pid namespaces (shareProcessNamespace false), so the agent cannot see the server's /proc.
 */
export const SANDBOX_CONTAINER_NAME = 'sandbox';
export const SANDBOX_SOCKET_DIR = '/run/sandbox';
export const SANDBOX_SOCKET = `${SANDBOX_SOCKET_DIR}/runner.sock`;
/**
 * The server container's requests: the agent's work (and the workspace's requests) are the sandbox container's.
 * Its limits are the workspace's for these three resources only (an extended resource such as a GPU is the sandbox's).
 */
export const SERVER_CONTAINER_REQUESTS: Record<string, string> = { cpu: '50m', memory: '128Mi', 'ephemeral-storage': '0' };
const SERVICE_ACCOUNT_TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Operator settings the builders read. */
export interface DesiredSettings {
  /** Image used when spec.image is absent. */
  serverImage: string;
  /** DNS suffix of the cluster, for status.url. */
  clusterDomain: string;
  /** The server's SIGTERM grace: long enough to persist running conversations. */
  terminationGracePeriodSeconds: number;
  /** UID/GID the server runs as (the image's non-root user). */
  runAsUser: number;
  /** Limits a shared cluster needs, where the spec sets none. Default: {@link DEFAULT_POD_LIMITS}. */
  podLimits?: PodLimits;
}

/** Per-pod defaults the operator settings give (POD_CPU_LIMIT, POD_EPHEMERAL_STORAGE_LIMIT, WORKSPACE_SIZE, POD_TMP_SIZE). */
export interface PodLimits {
  /** limits.cpu of each container without one in spec.resources. */
  cpu: string;
  /** limits.ephemeral-storage of each container without one (the pod's total is the sum: emptyDirs, writable layer, logs). */
  ephemeralStorage: string;
  /** /workspace: the PVC's size, or the emptyDir's sizeLimit, when spec.storage.size is absent. */
  workspaceSize: string;
  /** /tmp's emptyDir sizeLimit when spec.tmpSize is absent. */
  tmpSize: string;
}

export const DEFAULT_POD_LIMITS: PodLimits = { cpu: '2', ephemeralStorage: '12Gi', workspaceSize: '10Gi', tmpSize: '1Gi' };

export const names = (ws: AgentWorkspace) => {
  const n = ws.metadata.name;
  return { pod: n, service: n, networkPolicy: n, sessionSecret: `${n}-session-key`, pvc: `${n}-data` };
};

/** The labels of an agent-server pod and its children, made by this operator for `instance` (a workspace or a pool). */
export function serverLabels(instance: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'agent-server', 'app.kubernetes.io/instance': instance, 'app.kubernetes.io/managed-by': MANAGED_BY };
}

/** Labels on every child; the pod selector of the Service and NetworkPolicy is the last two. */
export function labelsOf(ws: AgentWorkspace): Record<string, string> {
  return { ...serverLabels(ws.metadata.name), [WORKSPACE_LABEL]: ws.metadata.name };
}

function selectorOf(ws: AgentWorkspace): Record<string, string> {
  return { 'app.kubernetes.io/managed-by': MANAGED_BY, [WORKSPACE_LABEL]: ws.metadata.name };
}

export function controllerRef(ws: AgentWorkspace): V1OwnerReference {
  if (!ws.metadata.uid) throw new Error('workspace has no uid');
  return { apiVersion: API_VERSION, kind: KIND, name: ws.metadata.name, uid: ws.metadata.uid, controller: true, blockOwnerDeletion: true };
}

/** sha256 of the canonical JSON of `value`, 16 hex digits. */
export function specHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted and undefined members dropped: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function meta(ws: AgentWorkspace, name: string, owned = true) {
  return {
    name,
    namespace: ws.metadata.namespace,
    labels: labelsOf(ws),
    ...(owned ? { ownerReferences: [controllerRef(ws)] } : {}),
  };
}

/** The Secret and key holding the session API key: the user's, or the generated one. */
export function sessionKeyRef(ws: AgentWorkspace): { name: string; key: string; generated: boolean } {
  const ref = ws.spec.sessionApiKey;
  return ref ? { name: ref.secretName, key: ref.key, generated: false } : { name: names(ws).sessionSecret, key: GENERATED_SESSION_KEY, generated: true };
}

/** The generated session-key Secret; `key` is the caller's 256 random bits (kept pure: no randomness here). */
export function desiredSessionSecret(ws: AgentWorkspace, key: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(ws, names(ws).sessionSecret),
    type: 'Opaque',
    stringData: { [GENERATED_SESSION_KEY]: key },
  };
}

type Peer = { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: { matchLabels?: Record<string, string> } };
type NetworkPolicyRule = { from?: Peer[]; to?: Array<{ ipBlock: { cidr: string } }>; ports?: Array<{ protocol: string; port: number }> };
/** networking.k8s.io/v1 NetworkPolicy as plain JSON. */
export interface NetworkPolicy {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: ReturnType<typeof meta>;
  spec: { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: NetworkPolicyRule[]; egress: NetworkPolicyRule[] };
}

export function desiredService(ws: AgentWorkspace): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(ws, names(ws).service),
    spec: {
      type: 'ClusterIP',
      selector: selectorOf(ws),
      ports: [{ name: 'http', port: SERVER_PORT, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/** The PVC, when spec.storage asks for one. Retain: no ownerReference, so it outlives the workspace. */
export function desiredPvc(ws: AgentWorkspace, limits: PodLimits = DEFAULT_POD_LIMITS): V1PersistentVolumeClaim | undefined {
  const s = ws.spec.storage;
  if (s.type !== 'PersistentVolumeClaim') return undefined;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(ws, names(ws).pvc, s.reclaimPolicy === 'Delete'),
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: String(s.size ?? limits.workspaceSize) } },
      ...(s.storageClassName ? { storageClassName: s.storageClassName } : {}),
    },
  };
}

/**
 * The NetworkPolicy, when enabled: ingress to the server port only from the listed peers; egress only to
 * the CIDRs (and DNS). Plain API JSON (`from`), not client-node's model (`_from`).
 */
export function desiredNetworkPolicy(ws: AgentWorkspace): NetworkPolicy | undefined {
  const np = ws.spec.networkPolicy;
  if (!np.enabled) return undefined;
  const egress: NetworkPolicyRule[] = [];
  if (np.egressCIDRs.length > 0) egress.push({ to: np.egressCIDRs.map((cidr) => ({ ipBlock: { cidr } })) });
  if (np.allowDNS) egress.push({ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(ws, names(ws).networkPolicy),
    spec: {
      podSelector: { matchLabels: selectorOf(ws) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: np.ingressFrom.length > 0
        ? [{ from: np.ingressFrom.map((p) => ({ ...(p.podSelector ? { podSelector: p.podSelector } : {}), ...(p.namespaceSelector ? { namespaceSelector: p.namespaceSelector } : {}) })), ports: [{ protocol: 'TCP', port: SERVER_PORT }] }]
        : [],
      egress,
    },
  };
}

/** A dormant (warm-pool) pod: no user's key or credentials, only the init key, from a Secret only the operator reads. */
export interface DormantInit {
  secretName: string;
  key: string;
}

/** Environment the operator sets; it comes after the user's env, so these names cannot be overridden. */
function operatorEnv(ws: AgentWorkspace, dormant?: DormantInit): V1EnvVar[] {
  const paths: V1EnvVar[] = [
    { name: 'OH_CONVERSATIONS_PATH', value: CONVERSATIONS_PATH },
    { name: 'OH_BASH_EVENTS_DIR', value: `${WORKSPACE_MOUNT}/bash_events` },
    { name: 'OH_SANDBOX_SOCKET', value: SANDBOX_SOCKET },
  ];
  if (dormant) {
    return [
      { name: 'OH_DEFERRED_INIT', value: '1' },
      { name: 'OH_SECRET_KEY', valueFrom: { secretKeyRef: { name: dormant.secretName, key: dormant.key } } },
      ...paths,
    ];
  }
  const key = sessionKeyRef(ws);
  const env: V1EnvVar[] = [{ name: 'OH_SESSION_API_KEYS_0', valueFrom: { secretKeyRef: { name: key.name, key: key.key } } }, ...paths];
  const llm = ws.spec.llm;
  if (llm) {
    env.push(
      { name: 'LLM_MODEL', valueFrom: { secretKeyRef: { name: llm.secretName, key: llm.modelKey, optional: true } } },
      { name: 'LLM_API_KEY', valueFrom: { secretKeyRef: { name: llm.secretName, key: llm.apiKeyKey } } },
      { name: 'LLM_BASE_URL', valueFrom: { secretKeyRef: { name: llm.secretName, key: llm.baseUrlKey, optional: true } } },
    );
  }
  return env;
}

/** The server pod: secure defaults, probes on the server port, /workspace and /tmp the only writable paths. */
export function desiredPod(ws: AgentWorkspace, settings: DesiredSettings, dormant?: DormantInit): V1Pod {
  const s = ws.spec;
  const limits = settings.podLimits ?? DEFAULT_POD_LIMITS;
  const workspaceVolume: V1Volume =
    s.storage.type === 'PersistentVolumeClaim'
      ? { name: 'workspace', persistentVolumeClaim: { claimName: names(ws).pvc } }
      : { name: 'workspace', emptyDir: { sizeLimit: String(s.storage.size ?? limits.workspaceSize) } };
  const containerSecurity = {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
  };
  const resources = containerResources(s.resources, limits);
  const tmpDir = { sizeLimit: String(s.tmpSize ?? limits.tmpSize) };
  const spec: V1Pod['spec'] = {
    restartPolicy: 'Always',
    shareProcessNamespace: false,
    automountServiceAccountToken: s.automountServiceAccountToken,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: settings.terminationGracePeriodSeconds,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: settings.runAsUser,
      runAsGroup: settings.runAsUser,
      fsGroup: settings.runAsUser,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [
      {
        name: CONTAINER_NAME,
        image: s.image ?? settings.serverImage,
        imagePullPolicy: s.imagePullPolicy,
        ports: [{ name: 'http', containerPort: SERVER_PORT, protocol: 'TCP' }],
        env: [...(s.env ?? []), ...operatorEnv(ws, dormant)] as V1EnvVar[],
        ...(s.envFrom ? { envFrom: s.envFrom } : {}),
        // The agent's work runs in the sandbox container, which gets the workspace's requests; the server asks for
        // little (the same limits, so nothing that ran before is now killed for memory).
        resources: serverResources(resources.limits),
        securityContext: containerSecurity,
        readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 3 },
        livenessProbe: { httpGet: { path: '/alive', port: 'http' }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
        volumeMounts: [
          { name: 'workspace', mountPath: WORKSPACE_MOUNT },
          { name: 'tmp', mountPath: '/tmp' },
          { name: 'sandbox-socket', mountPath: SANDBOX_SOCKET_DIR },
        ],
      },
      {
        name: SANDBOX_CONTAINER_NAME,
        image: s.image ?? settings.serverImage,
        imagePullPolicy: s.imagePullPolicy,
        command: ['node', '/app/server-image/dist/sandbox/main.js'],
        env: [{ name: 'OH_SANDBOX_SOCKET', value: SANDBOX_SOCKET }],
        // The agent's commands run here: the workspace's resources apply to this container.
        resources,
        securityContext: { ...containerSecurity, runAsUser: settings.runAsUser + 1 },
        volumeMounts: [
          { name: 'workspace', mountPath: WORKSPACE_MOUNT },
          { name: 'sandbox-tmp', mountPath: '/tmp' },
          { name: 'sandbox-socket', mountPath: SANDBOX_SOCKET_DIR },
          // A mount at the token's path keeps the ServiceAccount admission from mounting the token here.
          { name: 'no-service-account-token', mountPath: SERVICE_ACCOUNT_TOKEN_DIR, readOnly: true },
        ],
      },
    ],
    volumes: [
      workspaceVolume, { name: 'tmp', emptyDir: tmpDir }, { name: 'sandbox-tmp', emptyDir: tmpDir },
      { name: 'sandbox-socket', emptyDir: { sizeLimit: '1Mi' } }, { name: 'no-service-account-token', emptyDir: { sizeLimit: '1Mi' } },
    ],
    ...(s.runtimeClassName ? { runtimeClassName: s.runtimeClassName } : {}),
    ...(s.serviceAccountName ? { serviceAccountName: s.serviceAccountName } : {}),
    ...(s.nodeSelector ? { nodeSelector: s.nodeSelector } : {}),
    ...(s.tolerations ? { tolerations: s.tolerations } : {}),
    ...(s.affinity ? { affinity: s.affinity as V1Affinity } : {}),
  };
  const hash = specHash(spec);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...meta(ws, names(ws).pod),
      labels: { ...(s.podMetadata?.labels ?? {}), ...labelsOf(ws) },
      annotations: { ...(s.podMetadata?.annotations ?? {}), [SPEC_HASH_ANNOTATION]: hash },
    },
    spec,
  };
}

/**
 * A container's resources: the spec's, with the operator's CPU and ephemeral-storage limits where the
 * spec sets none (raised to the spec's request when that is higher, so a bigger request alone is valid).
 */
export function containerResources(r: AgentWorkspace['spec']['resources'], defaults: PodLimits = DEFAULT_POD_LIMITS) {
  const conv = (m?: Record<string, string | number>) => (m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)])) : undefined);
  let requests = conv(r.requests);
  const limits: Record<string, string> = { ...conv(r.limits) };
  for (const [name, value] of [['cpu', defaults.cpu], ['ephemeral-storage', defaults.ephemeralStorage]] as const) {
    if (limits[name] !== undefined) continue;
    const request = requests?.[name];
    limits[name] = request !== undefined && quantityValue(request) > quantityValue(value) ? request : value;
    // Kubernetes takes a missing request to be the limit: a default limit must not become a reservation
    // (12Gi of ephemeral storage per container filled a node with a handful of pods).
    if (request === undefined) requests = { ...requests, [name]: '0' };
  }
  return { ...(requests ? { requests } : {}), limits };
}

/**
 * The server container's resources: the workspace's limits, and {@link SERVER_CONTAINER_REQUESTS} each capped at its
 * limit (a request above its limit makes the pod invalid: a workspace limited to 64Mi asks for 64Mi).
 */
function serverResources(workspaceLimits: Record<string, string>): { requests: Record<string, string>; limits: Record<string, string> } {
  const limits = Object.fromEntries(Object.entries(workspaceLimits).filter(([name]) => name in SERVER_CONTAINER_REQUESTS));
  const requests = Object.fromEntries(Object.entries(SERVER_CONTAINER_REQUESTS).map(([name, request]) => {
    const limit = limits[name];
    return [name, limit !== undefined && quantityValue(limit) < quantityValue(request) ? limit : request];
  }));
  return { requests, limits };
}

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes quantity as a number ("500m" → 0.5, "2Gi" → 2³¹), for comparing a request with a default limit. */
export function quantityValue(q: string): number {
  const m = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:[eE]([+-]?[0-9]+)|([numkKMGTPE]i?))?$/.exec(q);
  if (!m) return Number.NaN;
  return Number(m[1]) * (m[2] !== undefined ? 10 ** Number(m[2]) : (SUFFIX[m[3] ?? ''] ?? Number.NaN));
}

/** The in-cluster URL of the server (through its Service). */
export function workspaceUrl(ws: AgentWorkspace, clusterDomain: string): string {
  return `http://${names(ws).service}.${ws.metadata.namespace}.svc.${clusterDomain}:${SERVER_PORT}`;
}
