// Kubernetes Events for a pod, as the kubelet records them (source component "kubelet"): Started,
// Killing, Unhealthy (probe failures), Failed (image pull), BackOff. Best effort: a failure to record
// an event never affects the pod.
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';

export type EventRecorder = (pod: V1Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string) => void;

export function eventRecorder(core: CoreV1Api, nodeName: string, log: (msg: string) => void): EventRecorder {
  let seq = 0;
  return (pod, type, reason, message, fieldPath) => {
    const ns = pod.metadata?.namespace ?? 'default';
    const now = new Date();
    const body = {
      metadata: { name: `${pod.metadata?.name}.${now.getTime().toString(16)}${(seq++).toString(16)}`, namespace: ns },
      involvedObject: {
        apiVersion: 'v1', kind: 'Pod', namespace: ns, name: pod.metadata?.name, uid: pod.metadata?.uid,
        ...(fieldPath ? { fieldPath } : {}),
      },
      type, reason, message,
      source: { component: 'kubelet', host: nodeName },
      firstTimestamp: now, lastTimestamp: now, count: 1,
      reportingComponent: 'kubelet', reportingInstance: nodeName,
    };
    core.createNamespacedEvent({ namespace: ns, body }).catch((err: unknown) => {
      const code = (err as { code?: number }).code;
      // 403/404: the namespace is being deleted or gone; the event has no reader left.
      if (code !== 403 && code !== 404) log(`event ${reason} for ${ns}/${pod.metadata?.name} not recorded (HTTP ${code ?? '?'})`);
    });
  };
}
