// Acceptance: PersistentVolumeClaims bind through the node's provisioner (default StorageClass) and the
// controller-manager's binder; data written through the claim survives deleting and recreating the pod.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { ensureImage, isReady, STORAGE_CLASS, waitForPod, waitForPodGone, withNamespace, type TestNamespace } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

const SLOW = 180_000;

describe('persistent volumes on the podman-backed node', () => {
  let ns: TestNamespace;
  let image: string;

  beforeAll(async () => {
    ns = await withNamespace('pv');
    image = await ensureImage('testapp');
  }, 30 * 60_000);

  afterAll(async () => {
    await ns?.cleanup();
  });

  const podWithClaim = (): Promise<V1Pod> => ns.core.createNamespacedPod({
    namespace: ns.name,
    body: {
      metadata: { name: 'writer' },
      spec: {
        terminationGracePeriodSeconds: 2,
        securityContext: { runAsUser: 10001, runAsGroup: 10001 },
        containers: [{
          name: 'app', image, ports: [{ containerPort: 8080 }],
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'scratch', mountPath: '/scratch' }],
        }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }, { name: 'scratch', emptyDir: {} }],
      },
    },
  });

  it('keeps data written to a PVC across deleting and recreating the pod', async () => {
    await ns.core.createNamespacedPersistentVolumeClaim({
      namespace: ns.name,
      body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    });
    const claim = await waitFor(async () => {
      const c = await ns.core.readNamespacedPersistentVolumeClaim({ namespace: ns.name, name: 'data' });
      return c.status?.phase === 'Bound' ? c : undefined;
    }, 'the claim to be Bound', { timeoutMs: 60_000, intervalMs: 250 });
    expect(claim.spec?.storageClassName).toBe(STORAGE_CLASS);

    await podWithClaim();
    const first = await waitForPod(ns.core, ns.name, 'writer', (p) => isReady(p), 'Ready');
    const base = `http://${first.status?.podIP}:8080`;
    expect((await fetch(`${base}/file?path=/data/note.txt`, { method: 'PUT', body: 'kept' })).status).toBe(204);
    expect((await fetch(`${base}/file?path=/scratch/tmp.txt`, { method: 'PUT', body: 'lost' })).status).toBe(204);

    await ns.core.deleteNamespacedPod({ namespace: ns.name, name: 'writer' });
    await waitForPodGone(ns.core, ns.name, 'writer');

    await podWithClaim();
    const second = await waitForPod(ns.core, ns.name, 'writer', (p) => isReady(p), 'Ready again');
    const base2 = `http://${second.status?.podIP}:8080`;
    expect(await (await fetch(`${base2}/file?path=/data/note.txt`)).text()).toBe('kept');
    // emptyDir belongs to the pod: a new pod starts with an empty one.
    expect((await fetch(`${base2}/file?path=/scratch/tmp.txt`)).status).toBe(404);
  }, SLOW);
});
