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
}

export const names = (ws: AgentWorkspace) => {
  const n = ws.metadata.name;
  return { pod: n, service: n, networkPolicy: n, sessionSecret: `${n}-session-key`, pvc: `${n}-data` };
};

/** Labels on every child; the pod selector of the Service and NetworkPolicy is the last two. */
export function labelsOf(ws: AgentWorkspace): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'agent-server',
    'app.kubernetes.io/instance': ws.metadata.name,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    [WORKSPACE_LABEL]: ws.metadata.name,
  };
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
export function desiredPvc(ws: AgentWorkspace): V1PersistentVolumeClaim | undefined {
  const s = ws.spec.storage;
  if (s.type !== 'PersistentVolumeClaim') return undefined;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(ws, names(ws).pvc, s.reclaimPolicy === 'Delete'),
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: String(s.size) } },
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

/** Environment the operator sets; it comes after the user's env, so these names cannot be overridden. */
function operatorEnv(ws: AgentWorkspace): V1EnvVar[] {
  const key = sessionKeyRef(ws);
  const env: V1EnvVar[] = [
    { name: 'OH_SESSION_API_KEYS_0', valueFrom: { secretKeyRef: { name: key.name, key: key.key } } },
    { name: 'OH_CONVERSATIONS_PATH', value: CONVERSATIONS_PATH },
    { name: 'OH_BASH_EVENTS_DIR', value: `${WORKSPACE_MOUNT}/bash_events` },
  ];
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
export function desiredPod(ws: AgentWorkspace, settings: DesiredSettings): V1Pod {
  const s = ws.spec;
  const workspaceVolume: V1Volume =
    s.storage.type === 'PersistentVolumeClaim'
      ? { name: 'workspace', persistentVolumeClaim: { claimName: names(ws).pvc } }
      : { name: 'workspace', emptyDir: {} };
  const spec: V1Pod['spec'] = {
    restartPolicy: 'Always',
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
        env: [...(s.env ?? []), ...operatorEnv(ws)] as V1EnvVar[],
        ...(s.envFrom ? { envFrom: s.envFrom } : {}),
        resources: stringQuantities(s.resources),
        securityContext: {
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        },
        readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 3 },
        livenessProbe: { httpGet: { path: '/alive', port: 'http' }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
        volumeMounts: [
          { name: 'workspace', mountPath: WORKSPACE_MOUNT },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      },
    ],
    volumes: [workspaceVolume, { name: 'tmp', emptyDir: {} }],
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

function stringQuantities(r: AgentWorkspace['spec']['resources']) {
  const conv = (m?: Record<string, string | number>) => (m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)])) : undefined);
  return { ...(r.requests ? { requests: conv(r.requests) } : {}), ...(r.limits ? { limits: conv(r.limits) } : {}) };
}

/** The in-cluster URL of the server (through its Service). */
export function workspaceUrl(ws: AgentWorkspace, clusterDomain: string): string {
  return `http://${names(ws).service}.${ws.metadata.namespace}.svc.${clusterDomain}:${SERVER_PORT}`;
}
