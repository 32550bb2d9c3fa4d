// A pod's volumes as host directories bind-mounted into its containers: secret, configMap, downwardAPI,
// projected (service-account tokens from the TokenRequest API, kube-root-ca.crt…), emptyDir,
// persistentVolumeClaim (the bound PV's hostPath) and hostPath. Files are replaced atomically (write,
// then rename), so a refreshed token appears inside running containers.
import { mkdir, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import type { V1DownwardAPIVolumeFile, V1KeyToPath, V1Pod, V1Volume } from '@kubernetes/client-node';
import { ContainerConfigError, podField } from './env.js';
import type { ObjectReader } from './object-reader.js';

/** A volume that is not ready yet (e.g. its ConfigMap does not exist): the kubelet keeps the pod in ContainerCreating. */
export class VolumeNotReadyError extends Error {
  override readonly name = 'VolumeNotReadyError';
}

export interface TokenIssuer {
  /** A token for the pod's service account bound to the pod (TokenRequest), and its expiry. */
  request(pod: V1Pod, audience: string | undefined, expirationSeconds: number): Promise<{ token: string; expires: Date }>;
}

export interface MountableVolume {
  hostPath: string;
  /** Secret-like volumes are always mounted read-only. */
  forceReadOnly: boolean;
}

export interface PreparedVolumes {
  volumes: Map<string, MountableVolume>;
  /** When projected tokens must be rewritten (80% of their lifetime), if any. */
  refreshAt: Date | undefined;
}

export async function prepareVolumes(
  pod: V1Pod,
  podIP: string,
  podDir: string,
  objects: ObjectReader,
  tokens: TokenIssuer,
): Promise<PreparedVolumes> {
  const volumes = new Map<string, MountableVolume>();
  let refreshAt: Date | undefined;
  const ns = pod.metadata?.namespace ?? 'default';
  const noteExpiry = (expires: Date): void => {
    const at = new Date(Date.now() + 0.8 * (expires.getTime() - Date.now()));
    if (!refreshAt || at < refreshAt) refreshAt = at;
  };
  for (const v of pod.spec?.volumes ?? []) {
    const dir = join(podDir, 'volumes', v.name);
    if (v.emptyDir) {
      await mkdir(dir, { recursive: true });
      await chmod(dir, 0o777);
      volumes.set(v.name, { hostPath: dir, forceReadOnly: false });
    } else if (v.hostPath) {
      if (v.hostPath.type === 'DirectoryOrCreate' || !v.hostPath.type) await mkdir(v.hostPath.path, { recursive: true });
      volumes.set(v.name, { hostPath: v.hostPath.path, forceReadOnly: false });
    } else if (v.persistentVolumeClaim) {
      volumes.set(v.name, { hostPath: await claimPath(ns, v, objects), forceReadOnly: false });
    } else if (v.secret || v.configMap || v.downwardAPI || v.projected) {
      const files = await volumeFiles(pod, podIP, v, objects, tokens, noteExpiry);
      if (files === undefined) continue; // optional source absent: an empty directory
      await writeAtomically(dir, files);
      volumes.set(v.name, { hostPath: dir, forceReadOnly: true });
    } else {
      throw new ContainerConfigError(`volume ${v.name}: unsupported volume type on this node`);
    }
  }
  return { volumes, refreshAt };
}

async function claimPath(ns: string, v: V1Volume, objects: ObjectReader): Promise<string> {
  const claimName = v.persistentVolumeClaim?.claimName ?? '';
  const claim = await objects.claim(ns, claimName);
  if (!claim) throw new VolumeNotReadyError(`persistentvolumeclaim "${claimName}" not found`);
  const pvName = claim.spec?.volumeName;
  if (claim.status?.phase !== 'Bound' || !pvName) throw new VolumeNotReadyError(`persistentvolumeclaim "${claimName}" is not bound`);
  const pv = await objects.volume(pvName);
  const path = pv?.spec?.hostPath?.path ?? pv?.spec?.local?.path;
  if (!path) throw new ContainerConfigError(`persistentvolume "${pvName}" has no hostPath on this node`);
  await mkdir(path, { recursive: true });
  return path;
}

type Files = Map<string, { content: Buffer; mode: number }>;

async function volumeFiles(
  pod: V1Pod,
  podIP: string,
  v: V1Volume,
  objects: ObjectReader,
  tokens: TokenIssuer,
  noteExpiry: (d: Date) => void,
): Promise<Files | undefined> {
  const ns = pod.metadata?.namespace ?? 'default';
  const files: Files = new Map();
  const add = (path: string, content: Buffer, mode: number): void => {
    const clean = normalize(path);
    if (clean.startsWith('..') || clean.startsWith('/')) throw new ContainerConfigError(`volume ${v.name}: invalid path ${path}`);
    files.set(clean, { content, mode });
  };
  const fromData = (
    data: Record<string, Buffer>, items: V1KeyToPath[] | undefined, mode: number, what: string, optional: boolean,
  ): void => {
    if (!items) {
      for (const [k, content] of Object.entries(data)) add(k, content, mode);
      return;
    }
    for (const it of items) {
      const content = data[it.key];
      if (content === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(`volume ${v.name}: ${what} has no key ${it.key}`);
      }
      add(it.path, content, it.mode ?? mode);
    }
  };
  const secretData = async (name: string, optional: boolean): Promise<Record<string, Buffer> | undefined> => {
    const s = await objects.secret(ns, name);
    if (!s && !optional) throw new VolumeNotReadyError(`secret "${name}" not found`);
    return s ? Object.fromEntries(Object.entries(s.data ?? {}).map(([k, b]) => [k, Buffer.from(b, 'base64')])) : undefined;
  };
  const configMapData = async (name: string, optional: boolean): Promise<Record<string, Buffer> | undefined> => {
    const c = await objects.configMap(ns, name);
    if (!c && !optional) throw new VolumeNotReadyError(`configmap "${name}" not found`);
    if (!c) return undefined;
    return {
      ...Object.fromEntries(Object.entries(c.data ?? {}).map(([k, s]) => [k, Buffer.from(s)])),
      ...Object.fromEntries(Object.entries(c.binaryData ?? {}).map(([k, b]) => [k, Buffer.from(b, 'base64')])),
    };
  };
  const downward = (items: V1DownwardAPIVolumeFile[], mode: number): void => {
    for (const it of items) {
      if (it.fieldRef) add(it.path, Buffer.from(podField(pod, it.fieldRef, podIP)), it.mode ?? mode);
      else throw new ContainerConfigError(`volume ${v.name}: downwardAPI resourceFieldRef is not supported on this node`);
    }
  };

  if (v.secret) {
    const data = await secretData(v.secret.secretName ?? '', v.secret.optional ?? false);
    if (!data) return undefined;
    fromData(data, v.secret.items, v.secret.defaultMode ?? 0o644, `secret ${v.secret.secretName}`, v.secret.optional ?? false);
  } else if (v.configMap) {
    const data = await configMapData(v.configMap.name ?? '', v.configMap.optional ?? false);
    if (!data) return undefined;
    fromData(data, v.configMap.items, v.configMap.defaultMode ?? 0o644, `configmap ${v.configMap.name}`, v.configMap.optional ?? false);
  } else if (v.downwardAPI) {
    downward(v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? 0o644);
  } else if (v.projected) {
    const mode = v.projected.defaultMode ?? 0o644;
    for (const src of v.projected.sources ?? []) {
      if (src.serviceAccountToken) {
        const t = src.serviceAccountToken;
        const { token, expires } = await tokens.request(pod, t.audience, t.expirationSeconds ?? 3600);
        noteExpiry(expires);
        add(t.path, Buffer.from(token), mode);
      } else if (src.secret) {
        const data = await secretData(src.secret.name ?? '', src.secret.optional ?? false);
        if (data) fromData(data, src.secret.items, mode, `secret ${src.secret.name}`, src.secret.optional ?? false);
      } else if (src.configMap) {
        const data = await configMapData(src.configMap.name ?? '', src.configMap.optional ?? false);
        if (data) fromData(data, src.configMap.items, mode, `configmap ${src.configMap.name}`, src.configMap.optional ?? false);
      } else if (src.downwardAPI) {
        downward(src.downwardAPI.items ?? [], mode);
      } else {
        throw new ContainerConfigError(`volume ${v.name}: unsupported projected source`);
      }
    }
  }
  return files;
}

async function writeAtomically(dir: string, files: Files): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  for (const [path, { content, mode }] of files) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}`;
    await writeFile(tmp, content, { mode });
    await chmod(tmp, mode);
    await rename(tmp, target);
  }
}

export async function removePodDir(podDir: string): Promise<void> {
  await rm(podDir, { recursive: true, force: true });
}
