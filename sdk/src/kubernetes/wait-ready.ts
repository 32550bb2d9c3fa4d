// Waiting for an AgentWorkspace to become Ready, by following it with a watch (follow-object.ts). Ready means
// Ready=True with status.url for the current generation; a terminal reason (errors.ts) or the object's deletion
// ends the wait with its error class.
import { TERMINAL_REASONS, WorkspaceReadyTimeoutError, WorkspaceStoppedError, startErrorFor } from './errors.js';
import { followObject, type AgentWorkspaceObject, type FollowOptions, type Verdict } from './follow-object.js';

export type { AgentWorkspaceObject, WatchFn } from './follow-object.js';

/** A progress report: the Ready condition as the operator last wrote it. */
export interface ReadyProgress {
  name: string;
  namespace: string;
  /** "True", "False" or "Unknown"; undefined before the operator wrote a status. */
  status: string | undefined;
  reason: string | undefined;
  message: string | undefined;
}

export interface WaitForReadyOptions extends FollowOptions {
  /** true: Unschedulable is waited out until `timeoutMs` (a cluster autoscaler may add a node), then rejects with its class. */
  waitWhileUnschedulable: boolean;
  onProgress?: ((progress: ReadyProgress) => void) | undefined;
}

function judge(obj: AgentWorkspaceObject, id: string, patient: boolean): Verdict<AgentWorkspaceObject> {
  const status = obj.status;
  // A status computed from an older generation says nothing about this spec yet.
  if (!status || status.observedGeneration !== obj.metadata?.generation) return undefined;
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  if (!ready) return undefined;
  if (ready.status === 'True' && status.url) return { value: obj };
  if (patient && ready.reason === 'Unschedulable') return undefined;
  if (ready.reason && TERMINAL_REASONS.has(ready.reason)) return { error: startErrorFor(id, ready.reason, ready.message ?? '') };
  return undefined;
}

/** Resolves with the Ready object; rejects with a WorkspaceNotReadyError subclass, a WorkspaceReadyTimeoutError or a KubernetesAPIError. */
export function waitForReady(o: WaitForReadyOptions): Promise<AgentWorkspaceObject> {
  const id = `${o.namespace}/${o.name}`;
  let last: { status?: string | undefined; reason?: string | undefined; message?: string | undefined } = {};
  return followObject<AgentWorkspaceObject>(o, (s) => {
    if (s.kind === 'deleted') return { error: new WorkspaceStoppedError(`AgentWorkspace ${id} was deleted while waiting for it to become Ready.`, id, last.reason, last.message) };
    if (s.kind === 'missing') {
      return { error: s.initial ? s.err as Error : new WorkspaceStoppedError(`AgentWorkspace ${id} no longer exists.`, id, last.reason, last.message) };
    }
    const ready = s.obj.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready && (ready.reason !== last.reason || ready.status !== last.status || ready.message !== last.message)) {
      last = { status: ready.status, reason: ready.reason, message: ready.message };
      try {
        o.onProgress?.({ name: o.name, namespace: o.namespace, status: ready.status, reason: ready.reason, message: ready.message });
      } catch (err) {
        o.logger.warn({ err: String(err) }, 'onProgress threw; ignored');
      }
    }
    return judge(s.obj, id, o.waitWhileUnschedulable);
  }, () => last.reason === 'Unschedulable'
    // Waited out in vain: the class says why, as it would have at once with waitWhileUnschedulable false.
    ? startErrorFor(id, last.reason, `${last.message ?? ''} (still after ${o.timeoutMs} ms)`)
    : new WorkspaceReadyTimeoutError(
      `AgentWorkspace ${id} was not Ready within ${o.timeoutMs} ms (last reason: ${last.reason ?? 'none'}${last.message ? `: ${last.message}` : ''}); raise readyTimeoutMs or look at kubectl describe aw ${o.name}.`,
      id, last.reason, last.message,
    ));
}
