// The Kubernetes workspace's failure classes, under the SDK's one base class and matched by class. A workspace
// that does not become Ready is a WorkspaceStartError subclass chosen by the Ready condition's stable reason
// (operator/README.md); an API server refusal is a KubernetesAPIError with the status. Classification happens
// here only: `startErrorFor(reason)` and `errorFromKubernetes(err)`.
import { APIError, TimeoutError, WorkspaceStartError } from '../remote/errors.js';

/** Where a workspace was when it failed: its Ready condition's reason and message, as the operator wrote them. */
export interface ReadyState {
  /** The Ready condition's reason (Provisioning, Starting, Unschedulable, ImagePullFailed…); undefined before the operator wrote one. */
  reason: string | undefined;
  /** The condition's message. */
  conditionMessage: string | undefined;
}

/** The workspace reached a reason it does not leave by itself; `reason` and `conditionMessage` say which and why. */
export class WorkspaceNotReadyError extends WorkspaceStartError implements ReadyState {
  override readonly name: string = 'WorkspaceNotReadyError';
  constructor(message: string, readonly workspace: string, readonly reason: string | undefined, readonly conditionMessage: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Reason Unschedulable: no node can take the pod (resources, node selector, taints). */
export class WorkspaceUnschedulableError extends WorkspaceNotReadyError {
  override readonly name: string = 'WorkspaceUnschedulableError';
}

/** Reason ImagePullFailed: the server image cannot be pulled (wrong name or tag, registry access). */
export class WorkspaceImagePullError extends WorkspaceNotReadyError {
  override readonly name: string = 'WorkspaceImagePullError';
}

/** Reason InvalidSpec or ResourceConflict: the spec references something missing, or a child's name is taken. */
export class WorkspaceSpecError extends WorkspaceNotReadyError {
  override readonly name: string = 'WorkspaceSpecError';
}

/** Reason PodFailed, Expired or Suspended, or the workspace was deleted while waiting. */
export class WorkspaceStoppedError extends WorkspaceNotReadyError {
  override readonly name: string = 'WorkspaceStoppedError';
}

/** Not Ready within `readyTimeoutMs`; `reason` is the last one seen (e.g. Starting: the server is slow to answer). */
export class WorkspaceReadyTimeoutError extends TimeoutError implements ReadyState {
  override readonly name: string = 'WorkspaceReadyTimeoutError';
  constructor(message: string, readonly workspace: string, readonly reason: string | undefined, readonly conditionMessage: string | undefined) {
    super(message);
  }
}

/** The Kubernetes API server refused a call (`status`: 403 RBAC, 404 no CRD or object, 409, 422 validation…). */
export class KubernetesAPIError extends APIError {
  override readonly name: string = 'KubernetesAPIError';
}

/** Reasons after which waiting longer cannot help (until someone edits the spec or the cluster). */
export const TERMINAL_REASONS: ReadonlySet<string> = new Set([
  'Unschedulable', 'ImagePullFailed', 'InvalidSpec', 'ResourceConflict', 'PodFailed', 'Expired', 'Suspended',
]);

/** The error for a workspace that stopped at `reason`. */
export function startErrorFor(workspace: string, reason: string, conditionMessage: string): WorkspaceNotReadyError {
  const message = `AgentWorkspace ${workspace} did not become Ready: ${reason}: ${conditionMessage}`;
  switch (reason) {
    case 'Unschedulable': return new WorkspaceUnschedulableError(`${message}. Lower spec.resources or check the nodes (kubectl describe pod).`, workspace, reason, conditionMessage);
    case 'ImagePullFailed': return new WorkspaceImagePullError(`${message}. Check the image name and tag and the registry's credentials.`, workspace, reason, conditionMessage);
    case 'InvalidSpec':
    case 'ResourceConflict': return new WorkspaceSpecError(`${message}. Fix the spec (or remove the conflicting object) and create it again.`, workspace, reason, conditionMessage);
    default: return new WorkspaceStoppedError(`${message}. Read the pod's logs and events (kubectl describe aw ${workspace.split('/').at(-1)}).`, workspace, reason, conditionMessage);
  }
}

/** A client-node failure (ApiException: `code`, `body`) as a KubernetesAPIError; anything else as it is. */
export function errorFromKubernetes(err: unknown, what: string): unknown {
  const e = err as { code?: unknown; body?: unknown };
  if (typeof e?.code !== 'number' || e.code < 400) return err;
  let body: unknown = e.body;
  if (typeof body === 'string') {
    try { body = JSON.parse(body); } catch { /* keep the text */ }
  }
  const said = body && typeof body === 'object' && 'message' in body ? String((body as { message: unknown }).message) : String(body ?? '');
  const hint = e.code === 401 || e.code === 403 ? ' Check the kubeconfig\'s credentials and their RBAC on agentworkspaces, secrets and services/proxy.'
    : e.code === 404 ? ' Check the namespace, the name, and that the AgentWorkspace CRD is installed (helm install the operator).' : '';
  return new KubernetesAPIError(`${what}: ${e.code} ${said}.${hint}`, e.code, body, { cause: err });
}
