// NetworkPolicy and runtimeClassName rendered and accepted by the real API server (this cluster does
// not enforce NetworkPolicies and runs every RuntimeClass with runc; the test checks rendering and
// acceptance, not isolation), and the operator's RBAC is exactly operator/rbac.yaml.
import { describe, it, expect, beforeAll } from '@jest/globals';
import { getOrUndefined, upsert, waitForReason, waitUntil, useOperatorInNamespace, type Workspace } from '../../operator/src/e2e.testkit.js';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient, resourcePath, type KubeObject } from '../../operator/src/kube/client.js';

const cluster = useOperatorInNamespace('aw-policy');

beforeAll(async () => {
  await upsert(cluster.client, { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'aw-e2e-sandboxed' }, handler: 'runc' } as KubeObject);
}, 60_000);

describe('network policy and runtime class', () => {
  let ws: Workspace;

  it('renders the NetworkPolicy and the runtimeClassName, and the API server accepts both', async () => {
    await cluster.client.create({
      apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name: 'fenced', namespace: cluster.namespace },
      spec: {
        runtimeClassName: 'aw-e2e-sandboxed',
        networkPolicy: { enabled: true, ingressFrom: [{ podSelector: { matchLabels: { role: 'sdk' } } }, { namespaceSelector: { matchLabels: { team: 'a' } } }], egressCIDRs: ['10.0.0.0/8', '192.168.1.0/24'] },
      },
    } as KubeObject);
    ws = await waitForReason(cluster.client, cluster.namespace, 'fenced', 'Running');
    const np = await cluster.client.get(resourcePath('networking.k8s.io/v1', 'NetworkPolicy', cluster.namespace, 'fenced'));
    expect(np.metadata!.ownerReferences).toEqual([{ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', name: 'fenced', uid: ws.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/managed-by': 'agent-workspace-operator', 'agentworkspace.dev/workspace': 'fenced' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{
        from: [{ podSelector: { matchLabels: { role: 'sdk' } } }, { namespaceSelector: { matchLabels: { team: 'a' } } }],
        ports: [{ protocol: 'TCP', port: 8000 }],
      }],
      egress: [
        { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }, { ipBlock: { cidr: '192.168.1.0/24' } }] },
        { ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
      ],
    });
    const pod = await cluster.client.get(resourcePath('v1', 'Pod', cluster.namespace, 'fenced'));
    expect((pod.spec as { runtimeClassName?: string }).runtimeClassName).toBe('aw-e2e-sandboxed');
  });

  it('restores a hand-edited NetworkPolicy', async () => {
    const path = resourcePath('networking.k8s.io/v1', 'NetworkPolicy', cluster.namespace, 'fenced');
    const np = await cluster.client.get(path);
    await cluster.client.mergePatch(np, { spec: { egress: [{}] } });
    await waitUntil(async () => JSON.stringify((await cluster.client.get(path)).spec).includes('10.0.0.0/8'), 'the NetworkPolicy to be restored');
  });

  it('deletes the NetworkPolicy when it is disabled', async () => {
    await cluster.client.mergePatch(ws, { spec: { networkPolicy: { enabled: false, ingressFrom: [], egressCIDRs: [] } } });
    await waitUntil(async () => !(await getOrUndefined(cluster.client, resourcePath('networking.k8s.io/v1', 'NetworkPolicy', cluster.namespace, 'fenced'))), 'the NetworkPolicy to be deleted');
  });

  it('reports a runtimeClassName that does not exist in the Ready condition (pod admission refuses it)', async () => {
    await cluster.client.create({
      apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name: 'no-class', namespace: cluster.namespace },
      spec: { runtimeClassName: 'no-such-class' },
    } as KubeObject);
    const bad = await waitUntil(async () => {
      const w = await cluster.client.get<Workspace>(resourcePath('agentworkspace.dev/v1alpha1', 'AgentWorkspace', cluster.namespace, 'no-class'));
      const ready = w.status?.conditions?.find((c) => c.type === 'Ready');
      return ready && ready.reason !== 'Provisioning' ? ready : undefined;
    }, 'a verdict on the unknown RuntimeClass');
    expect(bad.status).toBe('False');
    expect(bad.message).toMatch(/no-such-class/);
  });
});

describe("the operator's RBAC (operator/rbac.yaml, by impersonation)", () => {
  it('allows what the operator needs and nothing beyond it', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    const asOperator = new KubeClient(kc);
    await expect(asOperator.list(resourcePath('agentworkspace.dev/v1alpha1', 'AgentWorkspace', cluster.namespace))).resolves.toBeDefined();
    await expect(asOperator.list(resourcePath('v1', 'Pod', cluster.namespace))).resolves.toBeDefined();
    const forbidden = async (p: Promise<unknown>) => {
      try {
        await p;
        return 'allowed';
      } catch (err) {
        return (err as { code?: number }).code;
      }
    };
    expect(await forbidden(asOperator.list('/api/v1/nodes'))).toBe(403);
    // No read on Secrets, its own session-key Secret's included (test/e2e/operator-rbac.test.ts has the rest).
    expect(await forbidden(asOperator.list(`/api/v1/namespaces/${cluster.namespace}/secrets`))).toBe(403);
    expect(await forbidden(asOperator.get(`/api/v1/namespaces/${cluster.namespace}/secrets/fenced-session-key`))).toBe(403);
    expect(await forbidden(asOperator.list(`/api/v1/namespaces/${cluster.namespace}/configmaps`))).toBe(403);
    expect(await forbidden(asOperator.mergePatch({ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name: 'fenced', namespace: cluster.namespace } }, { spec: { suspended: true } }))).toBe(403);
    expect(await forbidden(asOperator.request('DELETE', `/api/v1/namespaces/${cluster.namespace}`))).toBe(403);
  });
});
