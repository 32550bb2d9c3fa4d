// A dynamic provisioner for the default StorageClass "standard": each claim gets a PersistentVolume
// whose hostPath is a directory under <state>/pv/ on this node. The controller-manager's
// persistentvolume-binder binds claim and volume; when a released volume's policy is Delete, this
// provisioner removes its directory and the PV object, as external provisioners do.
import { mkdir, chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CoreV1Api, KubeConfig, StorageV1Api, V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { keepWatching } from './list-watch.js';
import { isNotFound } from './object-reader.js';

export const PROVISIONER = 'agentworkspace.dev/hostpath';
export const STORAGE_CLASS = 'standard';

export class Provisioner {
  private readonly watches: { stop(): void }[] = [];

  constructor(
    private readonly kc: KubeConfig,
    private readonly core: CoreV1Api,
    private readonly storage: StorageV1Api,
    private readonly pvDir: string,
    private readonly log: (msg: string) => void,
  ) {}

  async start(): Promise<void> {
    try {
      await this.storage.createStorageClass({
        body: {
          apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
          metadata: { name: STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
          provisioner: PROVISIONER, reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate',
        },
      });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
    const report = (err: unknown): void => this.log(`provisioner: ${(err as Error).message}`);
    this.watches.push(keepWatching<V1PersistentVolumeClaim>(this.kc, '/api/v1/persistentvolumeclaims',
      () => this.core.listPersistentVolumeClaimForAllNamespaces(), { upsert: (c) => void this.provision(c).catch(report) }, this.log));
    this.watches.push(keepWatching<V1PersistentVolume>(this.kc, '/api/v1/persistentvolumes',
      () => this.core.listPersistentVolume(), { upsert: (v) => void this.reclaim(v).catch(report) }, this.log));
  }

  private async provision(claim: V1PersistentVolumeClaim): Promise<void> {
    if (claim.status?.phase !== 'Pending' || claim.spec?.volumeName || claim.metadata?.deletionTimestamp) return;
    if (claim.spec?.storageClassName !== STORAGE_CLASS) return;
    const name = `pvc-${claim.metadata?.uid}`;
    const dir = join(this.pvDir, name);
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o777);
    try {
      await this.core.createPersistentVolume({
        body: {
          apiVersion: 'v1', kind: 'PersistentVolume',
          metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER } },
          spec: {
            capacity: { storage: claim.spec?.resources?.requests?.storage ?? '1Gi' },
            accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
            persistentVolumeReclaimPolicy: 'Delete',
            storageClassName: STORAGE_CLASS,
            volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
            hostPath: { path: dir, type: 'DirectoryOrCreate' },
            claimRef: {
              apiVersion: 'v1', kind: 'PersistentVolumeClaim',
              namespace: claim.metadata?.namespace, name: claim.metadata?.name, uid: claim.metadata?.uid,
            },
          },
        },
      });
      this.log(`provisioner: created ${name} for ${claim.metadata?.namespace}/${claim.metadata?.name}`);
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }

  private async reclaim(pv: V1PersistentVolume): Promise<void> {
    if (pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'] !== PROVISIONER) return;
    if (pv.status?.phase !== 'Released' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    const path = pv.spec?.hostPath?.path;
    if (path && path.startsWith(this.pvDir)) await rm(path, { recursive: true, force: true });
    try {
      await this.core.deletePersistentVolume({ name: pv.metadata?.name ?? '' });
      this.log(`provisioner: deleted released ${pv.metadata?.name}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  stop(): void {
    for (const w of this.watches) w.stop();
  }
}
