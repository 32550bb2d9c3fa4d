// A container's environment as the kubelet builds it: service variables for the `kubernetes` service,
// then envFrom, then env (later entries win), with $(VAR) references expanded against earlier ones.
import type { V1Container, V1ObjectFieldSelector, V1Pod, V1ResourceFieldSelector } from '@kubernetes/client-node';
import { parseQuantity } from './quantity.js';
import type { ObjectReader } from './object-reader.js';

/** A pod that cannot start because of its configuration (kubelet: CreateContainerConfigError). */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

export interface ApiServerAddress {
  host: string;
  port: number;
}

export async function containerEnv(
  pod: V1Pod,
  container: V1Container,
  podIP: string,
  apiserver: ApiServerAddress,
  objects: ObjectReader,
): Promise<Map<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const env = new Map<string, string>();
  const { host, port } = apiserver;
  env.set('KUBERNETES_SERVICE_HOST', host);
  env.set('KUBERNETES_SERVICE_PORT', String(port));
  env.set('KUBERNETES_SERVICE_PORT_HTTPS', String(port));
  env.set('KUBERNETES_PORT', `tcp://${host}:${port}`);
  env.set(`KUBERNETES_PORT_${port}_TCP`, `tcp://${host}:${port}`);
  env.set(`KUBERNETES_PORT_${port}_TCP_PROTO`, 'tcp');
  env.set(`KUBERNETES_PORT_${port}_TCP_PORT`, String(port));
  env.set(`KUBERNETES_PORT_${port}_TCP_ADDR`, host);

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.secretRef) {
      const s = await objects.secret(ns, from.secretRef.name ?? '');
      if (!s) {
        if (from.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${from.secretRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(s.data ?? {})) env.set(prefix + k, Buffer.from(v, 'base64').toString());
    }
    if (from.configMapRef) {
      const c = await objects.configMap(ns, from.configMapRef.name ?? '');
      if (!c) {
        if (from.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${from.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(c.data ?? {})) env.set(prefix + k, v);
    }
  }

  for (const e of container.env ?? []) {
    if (e.valueFrom === undefined) {
      env.set(e.name, expand(e.value ?? '', env));
      continue;
    }
    const { secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef } = e.valueFrom;
    if (secretKeyRef) {
      const s = await objects.secret(ns, secretKeyRef.name ?? '');
      const v = s?.data?.[secretKeyRef.key];
      if (v === undefined) {
        if (secretKeyRef.optional) continue;
        throw new ContainerConfigError(
          s ? `couldn't find key ${secretKeyRef.key} in Secret ${ns}/${secretKeyRef.name}` : `secret "${secretKeyRef.name}" not found`,
        );
      }
      env.set(e.name, Buffer.from(v, 'base64').toString());
    } else if (configMapKeyRef) {
      const c = await objects.configMap(ns, configMapKeyRef.name ?? '');
      const v = c?.data?.[configMapKeyRef.key];
      if (v === undefined) {
        if (configMapKeyRef.optional) continue;
        throw new ContainerConfigError(
          c ? `couldn't find key ${configMapKeyRef.key} in ConfigMap ${ns}/${configMapKeyRef.name}` : `configmap "${configMapKeyRef.name}" not found`,
        );
      }
      env.set(e.name, v);
    } else if (fieldRef) {
      env.set(e.name, podField(pod, fieldRef, podIP));
    } else if (resourceFieldRef) {
      env.set(e.name, resourceField(pod, container, resourceFieldRef));
    }
  }
  return env;
}

/** $(VAR) expands to VAR's earlier value; $$(VAR) escapes; unknown references stay as written. */
export function expand(text: string, env: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (all, name: string | undefined) => {
    if (all === '$$') return '$';
    return name !== undefined && env.has(name) ? (env.get(name) as string) : all;
  });
}

/** The downward API's pod fields (env fieldRef and downwardAPI volumes). */
export function podField(pod: V1Pod, ref: V1ObjectFieldSelector, podIP: string): string {
  const path = ref.fieldPath;
  const meta = pod.metadata ?? {};
  const mapKey = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (mapKey) return (mapKey[1] === 'labels' ? meta.labels : meta.annotations)?.[mapKey[2] as string] ?? '';
  switch (path) {
    case 'metadata.name': return meta.name ?? '';
    case 'metadata.namespace': return meta.namespace ?? '';
    case 'metadata.uid': return meta.uid ?? '';
    case 'metadata.labels': return formatMap(meta.labels);
    case 'metadata.annotations': return formatMap(meta.annotations);
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP': case 'status.hostIPs': return '127.0.0.1';
    case 'status.podIP': case 'status.podIPs': return podIP;
    default: throw new ContainerConfigError(`unsupported fieldRef.fieldPath ${JSON.stringify(path)}`);
  }
}

function formatMap(m: Record<string, string> | undefined): string {
  return Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n');
}

function resourceField(pod: V1Pod, container: V1Container, ref: V1ResourceFieldSelector): string {
  const target = ref.containerName ? pod.spec?.containers.find((c) => c.name === ref.containerName) ?? container : container;
  const [kind, resource] = ref.resource.split('.') as [string, string | undefined];
  const q = (kind === 'limits' ? target.resources?.limits : target.resources?.requests)?.[resource ?? ''];
  const divisor = ref.divisor ? parseQuantity(String(ref.divisor)) : 1;
  // Unset limits report the node's allocatable, as the kubelet does; the node advertises 16 CPUs, 32Gi.
  const value = q !== undefined ? parseQuantity(String(q)) : resource === 'cpu' ? 16 : 32 * 2 ** 30;
  return String(Math.ceil(value / divisor));
}
