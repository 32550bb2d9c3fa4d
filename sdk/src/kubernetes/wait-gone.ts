// Waiting for a deleted AgentWorkspace to be gone, by following it with a watch (follow-object.ts). With
// foreground deletion the object stays (with a deletionTimestamp) until the garbage collector has removed its
// children (pod, Service, Secret, Delete-policy PVC), so "gone" means nothing of the workspace is left to collide
// with a new one of the same name.
import { TimeoutError } from '../remote/errors.js';
import { followObject, type FollowOptions } from './follow-object.js';

/** Resolves once the AgentWorkspace no longer exists; rejects with a TimeoutError after `timeoutMs`, or a KubernetesAPIError. */
export function waitUntilGone(o: FollowOptions): Promise<void> {
  const id = `${o.namespace}/${o.name}`;
  return followObject<void>(o, (s) => (s.kind === 'object' ? undefined : { value: undefined }), () => new TimeoutError(
    `AgentWorkspace ${id} was still there ${o.timeoutMs} ms after its deletion (a finalizer, or children the garbage collector has not removed); look at kubectl get aw ${o.name} -o yaml.`,
  ));
}
