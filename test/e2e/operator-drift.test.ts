// Drift and lifecycle on the real cluster: a deleted pod or Service comes back, a hand-edited Service
// is restored, a spec edit rolls the pod, suspend and resume keep the PVC's data, and a workspace past
// its lifetime loses its pod and reads Expired.
import { describe, it, expect, beforeAll } from '@jest/globals';
import {
  getOrUndefined, readyOf, sessionKeyOf, waitForReason, waitUntil, workspacePath, useOperatorInNamespace,
  type Workspace,
} from '../../operator/src/e2e.testkit.js';
import { resourcePath, type KubeObject } from '../../operator/src/kube/client.js';

const cluster = useOperatorInNamespace('aw-drift');

const create = (name: string, spec: Record<string, unknown>) =>
  cluster.client.create({ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name, namespace: cluster.namespace }, spec } as KubeObject);
const pod = (name: string) => getOrUndefined<KubeObject & { spec?: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> } }>(cluster.client, resourcePath('v1', 'Pod', cluster.namespace, name));
const live = <T extends KubeObject>(o: T | undefined): T | undefined => (o && !o.metadata?.deletionTimestamp ? o : undefined);

/** Runs a command in the workspace through the server's bash API (with the session key). */
async function bash(ws: Workspace, command: string): Promise<string> {
  const res = await fetch(`http://${ws.status!.podIP}:8000/api/bash/execute_bash_command`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-Session-API-Key': await sessionKeyOf(cluster.client, ws) },
    body: JSON.stringify({ command, timeout: 30 }),
  });
  expect(res.status).toBe(200);
  return JSON.stringify(await res.json());
}

describe('drift repair', () => {
  let ws: Workspace;
  beforeAll(async () => {
    await create('drift', {});
    ws = await waitForReason(cluster.client, cluster.namespace, 'drift', 'Running');
  }, 200_000);

  it('recreates the pod when it is deleted', async () => {
    const before = (await pod('drift'))!.metadata!.uid;
    await cluster.client.delete({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'drift', namespace: cluster.namespace } });
    const replacement = await waitUntil(async () => {
      const p = live(await pod('drift'));
      return p && p.metadata!.uid !== before ? p : undefined;
    }, 'a new pod');
    expect(replacement.metadata!.ownerReferences![0]!.uid).toBe(ws.metadata!.uid);
    ws = await waitForReason(cluster.client, cluster.namespace, 'drift', 'Running');
    expect(ws.status!.podName).toBe('drift');
  });

  it('recreates the Service when it is deleted, and restores a hand-edited one', async () => {
    const path = resourcePath('v1', 'Service', cluster.namespace, 'drift');
    const before = await cluster.client.get(path);
    await cluster.client.delete(before);
    const again = await waitUntil(async () => {
      const s = await getOrUndefined(cluster.client, path);
      return s && s.metadata!.uid !== before.metadata!.uid ? s : undefined;
    }, 'a new Service');
    expect((again.spec as { selector: Record<string, string> }).selector).toEqual((before.spec as { selector: Record<string, string> }).selector);

    await cluster.client.mergePatch(again, { spec: { selector: { 'agentworkspace.dev/workspace': 'someone-else', extra: 'key' } } });
    const restored = await waitUntil(async () => {
      const s = await cluster.client.get(path);
      return (s.spec as { selector: Record<string, string> }).selector['agentworkspace.dev/workspace'] === 'drift' ? s : undefined;
    }, 'the Service selector to be restored');
    expect((restored.spec as { selector: Record<string, string> }).selector).toEqual((before.spec as { selector: Record<string, string> }).selector);
    expect(restored.metadata!.uid).toBe(again.metadata!.uid);
  });

  it('rolls the pod when the spec changes', async () => {
    const old = (await pod('drift'))!;
    const oldHash = old.metadata!.annotations!['agentworkspace.dev/spec-hash'];
    await cluster.client.mergePatch(ws, { spec: { env: [{ name: 'ROLLED', value: 'yes' }] } });
    const rolled = await waitUntil(async () => {
      const p = live(await pod('drift'));
      return p && p.metadata!.uid !== old.metadata!.uid ? p : undefined;
    }, 'the rolled pod');
    expect(rolled.metadata!.annotations!['agentworkspace.dev/spec-hash']).not.toBe(oldHash);
    expect(rolled.spec!.containers[0]!.env).toContainEqual({ name: 'ROLLED', value: 'yes' });
    ws = await waitForReason(cluster.client, cluster.namespace, 'drift', 'Running');
    expect(ws.status!.observedGeneration).toBe(2);
  });
});

describe('suspend and resume', () => {
  it('deletes the pod, keeps PVC, Secret and Service, and the data survives the resume', async () => {
    await create('keeper', { storage: { type: 'PersistentVolumeClaim', size: '1Gi' } });
    let ws = await waitForReason(cluster.client, cluster.namespace, 'keeper', 'Running');
    const marker = `persisted-${Date.now()}`;
    // Commands run in the sandbox container, as the server's uid + 1.
    expect(await bash(ws, `echo ${marker} > /workspace/marker.txt && id -u`)).toContain('10002');
    const children = async () =>
      Promise.all([
        cluster.client.get(resourcePath('v1', 'PersistentVolumeClaim', cluster.namespace, 'keeper-data')),
        cluster.client.get(resourcePath('v1', 'Secret', cluster.namespace, 'keeper-session-key')),
        cluster.client.get(resourcePath('v1', 'Service', cluster.namespace, 'keeper')),
      ]).then((objs) => objs.map((o) => o.metadata!.uid));
    const uids = await children();

    await cluster.client.mergePatch(ws, { spec: { suspended: true } });
    ws = await waitForReason(cluster.client, cluster.namespace, 'keeper', 'Suspended');
    await waitUntil(async () => !live(await pod('keeper')), 'the pod to be deleted');
    expect(ws.status!.url).toBeUndefined();
    expect(await children()).toEqual(uids);

    await cluster.client.mergePatch(ws, { spec: { suspended: false } });
    ws = await waitForReason(cluster.client, cluster.namespace, 'keeper', 'Running');
    expect(await bash(ws, 'cat /workspace/marker.txt')).toContain(marker);
    expect(await children()).toEqual(uids);
  });
});

describe('storage reclaim policy Retain', () => {
  it('keeps the PVC after the workspace is deleted, and a new workspace of the same name adopts it with its data', async () => {
    const spec = { storage: { type: 'PersistentVolumeClaim', size: '1Gi', reclaimPolicy: 'Retain' } };
    await create('kept', spec);
    let ws = await waitForReason(cluster.client, cluster.namespace, 'kept', 'Running');
    const marker = `retained-${Date.now()}`;
    await bash(ws, `echo ${marker} > /workspace/retained.txt`);
    const pvcPath = resourcePath('v1', 'PersistentVolumeClaim', cluster.namespace, 'kept-data');
    const pvc = await cluster.client.get(pvcPath);
    expect(pvc.metadata!.ownerReferences).toBeUndefined();

    await cluster.client.request('DELETE', workspacePath(cluster.namespace, 'kept'));
    await waitUntil(async () => !(await getOrUndefined(cluster.client, resourcePath('v1', 'Service', cluster.namespace, 'kept'))), 'garbage collection of the Service');
    await waitUntil(async () => !(await pod('kept')), 'the old pod to be gone');
    expect((await cluster.client.get(pvcPath)).metadata!.uid).toBe(pvc.metadata!.uid);

    await create('kept', spec);
    ws = await waitForReason(cluster.client, cluster.namespace, 'kept', 'Running');
    expect(await bash(ws, 'cat /workspace/retained.txt')).toContain(marker);
    expect((await cluster.client.get(pvcPath)).metadata!.uid).toBe(pvc.metadata!.uid);
  });
});

describe('lifetime', () => {
  it('deletes the pod of a workspace past its lifetime and reads Expired', async () => {
    await create('short', { lifetime: { maxLifetime: '20s' } });
    const ws = await waitForReason(cluster.client, cluster.namespace, 'short', 'Expired', 120_000);
    expect(readyOf(ws)).toMatchObject({ status: 'False', reason: 'Expired' });
    expect(ws.status!.url).toBeUndefined();
    expect(Date.parse(ws.status!.expiresAt as string)).toBe(Date.parse(ws.metadata!.creationTimestamp as string) + 20_000);
    await waitUntil(async () => !live(await pod('short')), 'the expired pod to be deleted');
    // The object, its Service and Secret stay for inspection.
    expect(await getOrUndefined(cluster.client, workspacePath(cluster.namespace, 'short'))).toBeDefined();
    expect(await getOrUndefined(cluster.client, resourcePath('v1', 'Service', cluster.namespace, 'short'))).toBeDefined();
  });

  it('honours an absolute shutdownTime already in the past', async () => {
    await create('past', { lifetime: { shutdownTime: '2020-01-01T00:00:00Z' } });
    const ws = await waitForReason(cluster.client, cluster.namespace, 'past', 'Expired');
    expect(ws.status!.expiresAt).toBe('2020-01-01T00:00:00Z');
    expect(live(await pod('past'))).toBeUndefined();
  });
});
