// The example AgentWorkspace on the real local cluster, with the operator running outside it under
// exactly its RBAC (impersonating its ServiceAccount) and the real agent-server image in a container:
// applies → children exactly as expected → Ready + status.url → the server answers at the pod's
// address with the generated key and refuses without it → deleting the workspace removes every child.
import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  ROOT, SERVER_IMAGE, getOrUndefined, readyOf, sessionKeyOf, upsert, waitForReason, waitUntil, workspacePath,
  useOperatorInNamespace, type Workspace,
} from '../../operator/src/e2e.testkit.js';
import { resourcePath, type KubeObject } from '../../operator/src/kube/client.js';

const cluster = useOperatorInNamespace('aw-example');

const owner = (ws: Workspace) => [{ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', name: 'example', uid: ws.metadata!.uid, controller: true, blockOwnerDeletion: true }];
const labels = {
  'app.kubernetes.io/name': 'agent-server',
  'app.kubernetes.io/instance': 'example',
  'app.kubernetes.io/managed-by': 'agent-workspace-operator',
  'agentworkspace.dev/workspace': 'example',
};

describe('the example AgentWorkspace', () => {
  let ws: Workspace;

  it('applies, with the defaults the CRD documents', async () => {
    const example = parse(readFileSync(join(ROOT, 'examples/agentworkspace.yaml'), 'utf8')) as KubeObject;
    ws = (await upsert(cluster.client, { ...example, metadata: { ...example.metadata, namespace: cluster.namespace } })) as Workspace;
    expect(ws.spec).toEqual({
      imagePullPolicy: 'IfNotPresent',
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '2Gi' } },
      storage: { type: 'PersistentVolumeClaim', size: '1Gi', reclaimPolicy: 'Delete' },
      lifetime: { maxLifetime: '24h' },
      suspended: false,
      automountServiceAccountToken: false,
      networkPolicy: { enabled: false, ingressFrom: [], egressCIDRs: [], allowDNS: true },
    });
  });

  it('becomes Ready with status.url once the server passes its readiness probe', async () => {
    ws = await waitForReason(cluster.client, cluster.namespace, 'example', 'Running');
    expect(readyOf(ws)).toMatchObject({ status: 'True', reason: 'Running' });
    expect(ws.status).toMatchObject({
      url: `http://example.${cluster.namespace}.svc.cluster.local:8000`,
      podName: 'example',
      sessionKeySecretName: 'example-session-key',
      sessionKeySecretKey: 'sessionApiKey',
      observedGeneration: 1,
    });
    for (const t of ['createdAt', 'scheduledAt', 'startedAt', 'readyAt', 'expiresAt']) expect(typeof ws.status![t]).toBe('string');
    const times = ['createdAt', 'scheduledAt', 'startedAt', 'readyAt'].map((t) => Date.parse(ws.status![t] as string));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const t0 = Date.parse(ws.metadata!.creationTimestamp as string);
    console.log(`workspace created → pod created/scheduled/started/ready (s, 1 s resolution): ${times.map((t) => (t - t0) / 1000).join(' / ')}`);
  });

  it('creates exactly the expected children, field by field', async () => {
    const secret = await cluster.client.get<KubeObject & { type?: string; data?: Record<string, string> }>(resourcePath('v1', 'Secret', cluster.namespace, 'example-session-key'));
    expect(secret.metadata).toMatchObject({ labels, ownerReferences: owner(ws) });
    expect(secret.type).toBe('Opaque');
    expect(Object.keys(secret.data!)).toEqual(['sessionApiKey']);
    expect(Buffer.from(Buffer.from(secret.data!.sessionApiKey!, 'base64').toString(), 'base64url')).toHaveLength(32);

    const svc = await cluster.client.get<KubeObject & { spec: Record<string, unknown> }>(resourcePath('v1', 'Service', cluster.namespace, 'example'));
    expect(svc.metadata).toMatchObject({ labels, ownerReferences: owner(ws) });
    expect(svc.spec).toMatchObject({
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/managed-by': 'agent-workspace-operator', 'agentworkspace.dev/workspace': 'example' },
      ports: [{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' }],
    });

    const pod = await cluster.client.get<KubeObject & { spec: Record<string, unknown> & { containers: Array<Record<string, unknown>> } }>(resourcePath('v1', 'Pod', cluster.namespace, 'example'));
    expect(pod.metadata).toMatchObject({ labels, ownerReferences: owner(ws) });
    expect(pod.metadata!.annotations!['agentworkspace.dev/spec-hash']).toMatch(/^[0-9a-f]{16}$/);
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Always',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 10,
      securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      shareProcessNamespace: false,
      volumes: [
        { name: 'workspace', persistentVolumeClaim: { claimName: 'example-data' } }, { name: 'tmp', emptyDir: {} }, { name: 'sandbox-tmp', emptyDir: {} },
        { name: 'sandbox-socket', emptyDir: { sizeLimit: '1Mi' } }, { name: 'no-service-account-token', emptyDir: { sizeLimit: '1Mi' } },
      ],
    });
    expect(pod.spec.containers.map((x) => x.name)).toEqual(['agent-server', 'sandbox']);
    expect(pod.spec.containers[1]).toMatchObject({
      image: SERVER_IMAGE, command: ['node', '/app/server-image/dist/sandbox/main.js'], env: [{ name: 'OH_SANDBOX_SOCKET', value: '/run/sandbox/runner.sock' }],
      // The workspace's requests are the sandbox's, where the agent works; the server container asks for little.
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '2Gi' } },
      securityContext: { runAsUser: 10002, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    });
    const c = pod.spec.containers[0]!;
    expect(c).toMatchObject({
      name: 'agent-server',
      image: SERVER_IMAGE,
      imagePullPolicy: 'IfNotPresent',
      ports: [{ name: 'http', containerPort: 8000, protocol: 'TCP' }],
      resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '2Gi' } },
      securityContext: { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
      readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
      livenessProbe: { httpGet: { path: '/alive', port: 'http' } },
      volumeMounts: [{ name: 'workspace', mountPath: '/workspace' }, { name: 'tmp', mountPath: '/tmp' }, { name: 'sandbox-socket', mountPath: '/run/sandbox' }],
    });
    expect(c.env).toEqual([
      { name: 'OH_SESSION_API_KEYS_0', valueFrom: { secretKeyRef: { name: 'example-session-key', key: 'sessionApiKey' } } },
      { name: 'OH_CONVERSATIONS_PATH', value: '/workspace/conversations' },
      { name: 'OH_BASH_EVENTS_DIR', value: '/workspace/bash_events' },
      { name: 'OH_SANDBOX_SOCKET', value: '/run/sandbox/runner.sock' },
    ]);

    const pvc = await cluster.client.get<KubeObject & { spec: Record<string, unknown> }>(resourcePath('v1', 'PersistentVolumeClaim', cluster.namespace, 'example-data'));
    expect(pvc.metadata).toMatchObject({ labels, ownerReferences: owner(ws) });
    expect(pvc.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
    expect(await getOrUndefined(cluster.client, resourcePath('networking.k8s.io/v1', 'NetworkPolicy', cluster.namespace, 'example'))).toBeUndefined();
    const managed = await cluster.client.list(resourcePath('v1', 'Pod', cluster.namespace), 'app.kubernetes.io/managed-by=agent-workspace-operator');
    expect(managed.items.map((p) => p.metadata!.name)).toEqual(['example']);
  });

  it('serves the agent server at the pod address with the generated key, and refuses without it', async () => {
    const key = await sessionKeyOf(cluster.client, ws);
    expect(key.length).toBeGreaterThanOrEqual(43);
    const base = `http://${ws.status!.podIP}:8000`;
    const ok = await fetch(`${base}/api/bash/bash_events/search`, { headers: { 'X-Session-API-Key': key } });
    expect(ok.status).toBe(200);
    const refused = await fetch(`${base}/api/bash/bash_events/search`);
    expect(refused.status).toBe(401);
    const wrong = await fetch(`${base}/api/bash/bash_events/search`, { headers: { 'X-Session-API-Key': 'not-the-key' } });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
  });

  it('reports Ready in metrics and recorded Events on the transitions', async () => {
    expect(await cluster.operator.metric('agentworkspace_workspaces', { ready: 'True', reason: 'Running' })).toBe(1);
    expect(await cluster.operator.metric('agentworkspace_time_to_ready_seconds_count')).toBeGreaterThanOrEqual(1);
    const events = await cluster.client.list(`/api/v1/namespaces/${cluster.namespace}/events`);
    const reasons = events.items.filter((e) => (e.involvedObject as { kind?: string }).kind === 'AgentWorkspace').map((e) => e.reason);
    expect(reasons).toContain('Running');
  });

  it('removes every child when the workspace is deleted', async () => {
    await cluster.client.request('DELETE', workspacePath(cluster.namespace, 'example'));
    const kinds = [['v1', 'Pod'], ['v1', 'Service'], ['v1', 'Secret'], ['v1', 'PersistentVolumeClaim'], ['networking.k8s.io/v1', 'NetworkPolicy']] as const;
    // Garbage collection deletes every child. A pod is "deleted" once it carries a deletionTimestamp:
    // its final removal after SIGTERM is the node's (kubelet's) part, not the operator's or GC's.
    const remaining = async () => {
      const lists = await Promise.all(kinds.map(([v, k]) => cluster.client.list(resourcePath(v, k, cluster.namespace), 'agentworkspace.dev/workspace=example')));
      return lists.flatMap((l) => l.items).filter((o) => !(o.kind === 'Pod' && o.metadata?.deletionTimestamp));
    };
    await waitUntil(async () => (await remaining()).length === 0, 'garbage collection of the children');
    expect(await remaining()).toEqual([]);
    expect(await getOrUndefined(cluster.client, workspacePath(cluster.namespace, 'example'))).toBeUndefined();
  });
});
