// Reads the Secrets, ConfigMaps and claims a pod refers to; a missing object is undefined, other
// API failures throw (the pod worker retries on its next sync).
import type { CoreV1Api, V1ConfigMap, V1PersistentVolume, V1PersistentVolumeClaim, V1Secret } from '@kubernetes/client-node';

export interface ObjectReader {
  secret(namespace: string, name: string): Promise<V1Secret | undefined>;
  configMap(namespace: string, name: string): Promise<V1ConfigMap | undefined>;
  claim(namespace: string, name: string): Promise<V1PersistentVolumeClaim | undefined>;
  volume(name: string): Promise<V1PersistentVolume | undefined>;
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 404;
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export function apiObjectReader(core: CoreV1Api): ObjectReader {
  return {
    secret: (namespace, name) => orUndefined(core.readNamespacedSecret({ namespace, name })),
    configMap: (namespace, name) => orUndefined(core.readNamespacedConfigMap({ namespace, name })),
    claim: (namespace, name) => orUndefined(core.readNamespacedPersistentVolumeClaim({ namespace, name })),
    volume: (name) => orUndefined(core.readPersistentVolume({ name })),
  };
}
