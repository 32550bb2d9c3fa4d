/**
 * Status computation: pure, from the workspace, its pod (if any) and the reconcile outcome to the
 * status the operator wants stored. The Ready condition's reason is the one contract (see
 * `Reason` in api/agentworkspace.ts); the first matching rule below wins:
 *   terminal error (InvalidSpec, ResourceConflict) > Expired > Suspended > ReconcileError >
 *   pod-derived (Provisioning, PodFailed, ImagePullFailed, Unschedulable, Running, Starting).
 */
import { CONDITION_READY, Reason, type AgentWorkspace, type AgentWorkspaceStatus, type Condition } from '../api/agentworkspace.js';
import { CONTAINER_NAME } from './desired.js';

/** The fields of a pod that status reads (plain API JSON). */
export interface PodView {
  metadata?: { name?: string; creationTimestamp?: string; deletionTimestamp?: string };
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
  now: Date;
}

/** Image-pull failures as the kubelet reports them in a waiting container's reason. */
export const IMAGE_PULL_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable']);
/** Waiting reasons that mean the container cannot run as specified. */
const CONTAINER_FAILURE_REASONS = new Set(['CrashLoopBackOff', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

/** RFC 3339 with second precision, as the API server writes times. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

interface Verdict {
  status: 'True' | 'False' | 'Unknown';
  reason: Reason;
  message: string;
}

function podVerdict(pod: PodView | undefined, serviceReady: boolean, unboundClaim: string | undefined): Verdict {
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
  if (ws.spec.suspended) {
    return {
      status: 'False',
      reason: Reason.Suspended,
      message: input.pod ? 'Suspending: the pod is terminating.' : 'Suspended: the pod is deleted; set spec.suspended to false to resume.',
    };
  }
  if (failure) return { status: 'False', ...failure };
  return podVerdict(input.pod, input.serviceReady, input.unboundClaim);
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
  const status: AgentWorkspaceStatus = {
    conditions: [condition],
    sessionKeySecretName: input.sessionKey.name,
    sessionKeySecretKey: input.sessionKey.key,
  };
  if (generation !== undefined) status.observedGeneration = generation;
  if (input.expiresAt) status.expiresAt = rfc3339(input.expiresAt);
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

/** The Ready condition of a status, if any. */
export function readyCondition(status: AgentWorkspaceStatus | undefined): Condition | undefined {
  return status?.conditions?.find((c) => c.type === CONDITION_READY);
}
