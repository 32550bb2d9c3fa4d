/**
 * Status computation: pure, from the workspace, its pod (if any) and the reconcile outcome to the
 * status the operator wants stored. The Ready condition's reason is the one contract (see
 * `Reason` in api/agentworkspace.ts); the first matching rule below wins:
 *   terminal error (InvalidSpec, ResourceConflict) > Expired > Suspended > ReconcileError >
 *   pod-derived (Provisioning, PodFailed, ImagePullFailed, Unschedulable, Running, Starting).
 */
import { CONDITION_POOLED, CONDITION_READY, PooledReason, Reason, type AgentWorkspace, type AgentWorkspaceStatus, type Condition } from '../api/agentworkspace.js';
import { CONTAINER_NAME, sessionKeyRef } from './desired.js';

/** The fields of a pod that status reads (plain API JSON). */
export interface PodView {
  metadata?: { name?: string; creationTimestamp?: string; deletionTimestamp?: string; annotations?: Record<string, string> };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    podIP?: string;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }>;
    containerStatuses?: Array<{
      name: string;
      ready?: boolean;
      restartCount?: number;
      state?: {
        waiting?: { reason?: string; message?: string };
        running?: { startedAt?: string };
        terminated?: { reason?: string; exitCode?: number; message?: string };
      };
    }>;
  };
}

export interface StatusInput {
  ws: AgentWorkspace;
  pod?: PodView;
  /** The Service exists and is ours. */
  serviceReady: boolean;
  /** The workspace's PVC while it is not Bound: a pod unschedulable for that is still provisioning. */
  unboundClaim?: string | undefined;
  sessionKey: { name: string; key: string };
  /** url the workspace gets while Running. */
  url: string;
  /** A failure of this reconcile pass, if any. */
  failure?: { reason: typeof Reason.InvalidSpec | typeof Reason.ResourceConflict | typeof Reason.ReconcileError; message: string };
  expiresAt?: Date;
  /** A claimed warm pod that has not had the workspace's /api/init for its current container yet. */
  initPending?: boolean;
  /** The server's last activity, when lifetime.idleTimeout is set and it was read in this pass. */
  lastActivityAt?: Date | undefined;
  /** This pass found the server idle past lifetime.idleTimeout: record the suspension. */
  idleSuspendNow?: boolean | undefined;
  now: Date;
}

/** Image-pull failures as the kubelet reports them in a waiting container's reason. */
export const IMAGE_PULL_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable']);
/** Waiting reasons that mean the container cannot run as specified. */
const CONTAINER_FAILURE_REASONS = new Set(['CrashLoopBackOff', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

/** What a container's CreateContainerConfigError message names as missing (the kubelet's wording). */
export interface MissingObject {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  /** The key that is missing; absent when the object itself is. */
  key?: string;
}

/** Parses `secret "x" not found` and `couldn't find key k in Secret ns/x` (and the ConfigMap forms). */
export function parseConfigError(message: string | undefined): MissingObject | undefined {
  if (!message) return undefined;
  const gone = /\b(secret|configmap)s? "([^"]+)" not found/i.exec(message);
  if (gone) return { kind: gone[1]!.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap', name: gone[2]! };
  const noKey = /couldn't find key (\S+) in (Secret|ConfigMap) [^/\s]+\/(\S+)/.exec(message);
  if (noKey) return { kind: noKey[2] as MissingObject['kind'], name: noKey[3]!, key: noKey[1]! };
  return undefined;
}

/** The CreateContainerConfigError of the server container, parsed; undefined when it has none. */
export function podConfigError(pod: PodView | undefined): MissingObject | undefined {
  const waiting = pod?.status?.containerStatuses?.find((c) => c.name === CONTAINER_NAME)?.state?.waiting;
  return waiting?.reason === 'CreateContainerConfigError' ? parseConfigError(waiting.message) : undefined;
}

/** Where the spec names each Secret and ConfigMap (name field, and the key field per key). */
function referencesOf(ws: AgentWorkspace): Array<MissingObject & { field: string }> {
  const s = ws.spec;
  const refs: Array<MissingObject & { field: string }> = [];
  if (s.llm) {
    refs.push({ kind: 'Secret', name: s.llm.secretName, field: 'spec.llm.secretName' });
    refs.push({ kind: 'Secret', name: s.llm.secretName, key: s.llm.apiKeyKey, field: 'spec.llm.apiKeyKey' });
  }
  if (s.sessionApiKey) {
    refs.push({ kind: 'Secret', name: s.sessionApiKey.secretName, field: 'spec.sessionApiKey.secretName' });
    refs.push({ kind: 'Secret', name: s.sessionApiKey.secretName, key: s.sessionApiKey.key, field: 'spec.sessionApiKey.key' });
  }
  (s.env ?? []).forEach((e, i) => {
    for (const [kind, ref] of [['Secret', e.valueFrom?.secretKeyRef], ['ConfigMap', e.valueFrom?.configMapKeyRef]] as const) {
      if (!ref) continue;
      const field = `spec.env[${i}].valueFrom.${kind === 'Secret' ? 'secretKeyRef' : 'configMapKeyRef'}`;
      refs.push({ kind, name: ref.name, field: `${field}.name` }, { kind, name: ref.name, key: ref.key, field: `${field}.key` });
    }
  });
  (s.envFrom ?? []).forEach((e, i) => {
    if (e.secretRef) refs.push({ kind: 'Secret', name: e.secretRef.name, field: `spec.envFrom[${i}].secretRef.name` });
    if (e.configMapRef) refs.push({ kind: 'ConfigMap', name: e.configMapRef.name, field: `spec.envFrom[${i}].configMapRef.name` });
  });
  return refs;
}

/**
 * A Secret or ConfigMap the spec references that the pod reports missing, as InvalidSpec naming the
 * field (the operator reads no Secret it did not create: the kubelet's report is how it learns). It
 * clears by itself once the object exists: the kubelet retries and the pod starts.
 */
function missingReference(ws: AgentWorkspace, message: string | undefined): Omit<Verdict, 'status'> | undefined {
  const missing = parseConfigError(message);
  if (!missing) return undefined;
  const ns = ws.metadata.namespace;
  const ref = referencesOf(ws).find((r) => r.kind === missing.kind && r.name === missing.name && r.key === missing.key);
  if (ref) {
    const what = missing.key === undefined ? `${missing.kind} "${missing.name}" not found in namespace "${ns}"` : `${missing.kind} "${missing.name}" has no key "${missing.key}"`;
    return { reason: Reason.InvalidSpec, message: `${ref.field}: ${what} (the pod waits for it and starts once it exists).` };
  }
  const own = sessionKeyRef(ws);
  if (own.generated && missing.kind === 'Secret' && missing.name === own.name) {
    if (missing.key === undefined) return { reason: Reason.Provisioning, message: `The session-key Secret "${missing.name}" was deleted; it has been created again and the pod starts once the kubelet retries.` };
    return {
      reason: Reason.InvalidSpec,
      message: `The session-key Secret "${missing.name}" has no key "${missing.key}": it was changed outside the operator, which cannot read or repair it; delete it and the operator creates a new one.`,
    };
  }
  return undefined;
}

/** RFC 3339 with second precision, as the API server writes times. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

interface Verdict {
  status: 'True' | 'False' | 'Unknown';
  reason: Reason;
  message: string;
}

function podVerdict(ws: AgentWorkspace, pod: PodView | undefined, serviceReady: boolean, unboundClaim: string | undefined, initPending = false): Verdict {
  if (!pod) return { status: 'False', reason: Reason.Provisioning, message: 'Creating the server pod.' };
  if (pod.metadata?.deletionTimestamp) {
    return { status: 'False', reason: Reason.Provisioning, message: 'Waiting for the previous pod to terminate.' };
  }
  const st = pod.status ?? {};
  if (st.phase === 'Failed' || st.phase === 'Succeeded') {
    return { status: 'False', reason: Reason.PodFailed, message: `The pod ended (${st.phase})${st.reason ? `: ${st.reason}` : ''}${st.message ? ` ${st.message}` : ''}.` };
  }
  const container = st.containerStatuses?.find((c) => c.name === CONTAINER_NAME);
  const waiting = container?.state?.waiting;
  if (waiting?.reason && IMAGE_PULL_REASONS.has(waiting.reason)) {
    return { status: 'False', reason: Reason.ImagePullFailed, message: `The server image cannot be pulled: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}.` };
  }
  const missing = waiting?.reason === 'CreateContainerConfigError' ? missingReference(ws, waiting.message) : undefined;
  if (missing) return { status: 'False', ...missing };
  if (waiting?.reason && CONTAINER_FAILURE_REASONS.has(waiting.reason)) {
    return { status: 'False', reason: Reason.PodFailed, message: `The server container cannot run: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}.` };
  }
  const scheduled = st.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    // A claim still being provisioned (immediate binding) makes the scheduler say "unbound immediate
    // PersistentVolumeClaims": a wait, not a verdict.
    if (unboundClaim) return { status: 'False', reason: Reason.Provisioning, message: `Waiting for PersistentVolumeClaim ${unboundClaim} to be bound.` };
    return { status: 'False', reason: Reason.Unschedulable, message: `The pod cannot be scheduled: ${scheduled.message ?? 'no node fits'}.` };
  }
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True' && container?.ready !== false) {
    if (!serviceReady) return { status: 'False', reason: Reason.Provisioning, message: 'The server is ready; creating its Service.' };
    if (initPending) return { status: 'False', reason: Reason.Starting, message: 'The claimed warm pod is getting the workspace\'s configuration (POST /api/init).' };
    return { status: 'True', reason: Reason.Running, message: 'The agent server is ready.' };
  }
  if (container?.state?.running) {
    return { status: 'False', reason: Reason.Starting, message: 'The server is running and not ready yet (readiness probe /ready).' };
  }
  if (scheduled?.status === 'True') {
    return { status: 'False', reason: Reason.Provisioning, message: 'The pod is scheduled; its container is being created.' };
  }
  return { status: 'False', reason: Reason.Provisioning, message: 'The pod is waiting to be scheduled.' };
}

function verdictOf(input: StatusInput): Verdict {
  const { failure, ws } = input;
  if (failure && failure.reason !== Reason.ReconcileError) return { status: 'False', ...failure };
  if (input.expiresAt && input.now >= input.expiresAt) {
    return { status: 'False', reason: Reason.Expired, message: `The workspace's lifetime ended at ${rfc3339(input.expiresAt)}; its pod was deleted.` };
  }
  const idle = input.idleSuspendNow || (ws.status?.idleSuspendedGeneration !== undefined && ws.status.idleSuspendedGeneration === ws.metadata.generation);
  if (ws.spec.suspended || idle) {
    const resume = idle ? `idle for lifetime.idleTimeout (${ws.spec.lifetime.idleTimeout}); any spec change resumes it` : 'set spec.suspended to false to resume';
    return {
      status: 'False',
      reason: Reason.Suspended,
      message: input.pod ? `Suspending: the pod is terminating (${resume}).` : `Suspended: the pod is deleted; ${resume}.`,
    };
  }
  if (failure) return { status: 'False', ...failure };
  return podVerdict(ws, input.pod, input.serviceReady, input.unboundClaim, input.initPending);
}

/**
 * The Ready condition after `next`: lastTransitionTime moves only when the status value changes
 * (Kubernetes condition convention); reason and message follow the latest observation.
 */
export function nextCondition(prev: Condition | undefined, next: Omit<Condition, 'lastTransitionTime'>, now: Date): Condition {
  const lastTransitionTime = prev && prev.status === next.status ? prev.lastTransitionTime : rfc3339(now);
  return { ...next, lastTransitionTime };
}

function asTime(value: unknown): string | undefined {
  if (value instanceof Date) return rfc3339(value);
  return typeof value === 'string' && value ? value : undefined;
}

/** The status the operator wants stored for `input`. */
export function computeStatus(input: StatusInput): AgentWorkspaceStatus {
  const { ws, pod, now } = input;
  const prev = ws.status;
  const verdict = verdictOf(input);
  const generation = ws.metadata.generation;
  const prevReady = readyCondition(prev);
  const condition = nextCondition(prevReady, { type: CONDITION_READY, ...verdict, ...(generation !== undefined ? { observedGeneration: generation } : {}) }, now);
  const pooled = pooledCondition(input);
  const status: AgentWorkspaceStatus = {
    conditions: pooled ? [condition, pooled] : [condition],
    sessionKeySecretName: input.sessionKey.name,
    sessionKeySecretKey: input.sessionKey.key,
  };
  if (generation !== undefined) status.observedGeneration = generation;
  if (input.expiresAt) status.expiresAt = rfc3339(input.expiresAt);
  if (ws.spec.lifetime.idleTimeout) {
    const lastActivityAt = input.lastActivityAt ? rfc3339(input.lastActivityAt) : prev?.lastActivityAt;
    if (lastActivityAt) status.lastActivityAt = lastActivityAt;
    // An idle suspension holds until the spec changes (a new generation).
    if (input.idleSuspendNow && generation !== undefined) {
      status.idleSuspendedAt = rfc3339(now);
      status.idleSuspendedGeneration = generation;
    } else if (prev?.idleSuspendedGeneration !== undefined && prev.idleSuspendedGeneration === generation && prev.idleSuspendedAt) {
      status.idleSuspendedAt = prev.idleSuspendedAt;
      status.idleSuspendedGeneration = prev.idleSuspendedGeneration;
    }
  }
  const livePod = pod && !pod.metadata?.deletionTimestamp ? pod : undefined;
  if (livePod) {
    if (livePod.metadata?.name) status.podName = livePod.metadata.name;
    if (livePod.status?.podIP) status.podIP = livePod.status.podIP;
    const created = asTime(livePod.metadata?.creationTimestamp);
    if (created) status.createdAt = created;
    const scheduled = livePod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True');
    const scheduledAt = asTime(scheduled?.lastTransitionTime);
    if (scheduledAt) status.scheduledAt = scheduledAt;
    const started = asTime(livePod.status?.containerStatuses?.find((c) => c.name === CONTAINER_NAME)?.state?.running?.startedAt);
    if (started) status.startedAt = started;
  }
  if (verdict.reason === Reason.Running) {
    status.url = input.url;
    const podReady = asTime(livePod?.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime);
    status.readyAt = prevReady?.reason === Reason.Running && prev?.readyAt ? prev.readyAt : (podReady ?? rfc3339(now));
  }
  return status;
}

/** The pod a claim adopted carries this annotation (pool/warm-pod.ts's CLAIMED_FROM_ANNOTATION). */
const CLAIMED_FROM = 'agentworkspace.dev/claimed-from';

/** Pooled (spec.poolRef only): how the current pod came to be; kept as it was while there is no pod. */
function pooledCondition(input: StatusInput): Condition | undefined {
  const ref = input.ws.spec.poolRef;
  if (!ref) return undefined;
  const prev = input.ws.status?.conditions?.find((c) => c.type === CONDITION_POOLED);
  const pod = input.pod && !input.pod.metadata?.deletionTimestamp ? input.pod : undefined;
  if (!pod) return prev;
  const from = pod.metadata?.annotations?.[CLAIMED_FROM];
  const next = from
    ? { type: CONDITION_POOLED, status: 'True' as const, reason: PooledReason.Claimed, message: `Pod ${pod.metadata?.name} is a warm pod claimed from pool ${from}.` }
    : { type: CONDITION_POOLED, status: 'False' as const, reason: PooledReason.ColdStart, message: `Pool ${ref.name} had no ready warm pod; pod ${pod.metadata?.name} was started cold.` };
  return nextCondition(prev, next, input.now);
}

/** The Ready condition of a status, if any. */
export function readyCondition(status: AgentWorkspaceStatus | undefined): Condition | undefined {
  return status?.conditions?.find((c) => c.type === CONDITION_READY);
}
