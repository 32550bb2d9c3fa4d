// Two operator replicas against the real API server: only the Lease holder reconciles; SIGKILL of the
// leader hands the Lease to the other within a bounded wait, and the workspace's children keep their
// UIDs (nothing duplicated, nothing orphaned).
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import {
  OPERATOR_NAMESPACE, setUpCluster, createNamespace, installCrd, installOperatorRbac, startOperator, waitForReason, waitUntil,
  type OperatorProcess,
} from '../../operator/src/e2e.testkit.js';
import { resourcePath, type KubeClient, type KubeObject } from '../../operator/src/kube/client.js';

let client: KubeClient;
let ns: { name: string; remove: () => Promise<void> };
let replicas: OperatorProcess[] = [];

beforeAll(async () => {
  client = await setUpCluster();
  await installCrd(client);
  const kubeconfig = await installOperatorRbac(client);
  ns = await createNamespace(client, 'aw-leader');
  replicas = [startOperator({ kubeconfig, namespaces: [ns.name], identity: 'replica-a' }), startOperator({ kubeconfig, namespaces: [ns.name], identity: 'replica-b' })];
  await Promise.all(replicas.map((r) => r.healthPort()));
}, 30 * 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  if (process.env.E2E_SHOW_LOGS) for (const r of replicas) console.log(r.identity, r.logs());
  await ns?.remove();
}, 60_000);

type Lease = KubeObject & { spec?: { holderIdentity?: string | null; leaseTransitions?: number } };
const leasePath = () => resourcePath('coordination.k8s.io/v1', 'Lease', OPERATOR_NAMESPACE, `agent-workspace-operator-${ns.name}`);
const holder = async () => (await client.get<Lease>(leasePath())).spec?.holderIdentity ?? undefined;

async function childUids(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [v, k] of [['v1', 'Pod'], ['v1', 'Service'], ['v1', 'Secret']] as const) {
    const list = await client.list(resourcePath(v, k, ns.name), 'agentworkspace.dev/workspace=ha');
    out[k] = list.items.filter((o) => !o.metadata?.deletionTimestamp).map((o) => o.metadata!.uid!).sort();
  }
  return out;
}

describe('two operator replicas', () => {
  let leader: OperatorProcess;
  let standby: OperatorProcess;

  it('elect one leader, and only the leader reconciles', async () => {
    const name = await waitUntil(holder, 'a Lease holder');
    leader = replicas.find((r) => r.identity === name)!;
    standby = replicas.find((r) => r.identity !== name)!;
    expect(leader).toBeDefined();
    await client.create({ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name: 'ha', namespace: ns.name }, spec: {} } as KubeObject);
    await waitForReason(client, ns.name, 'ha', 'Running');
    expect(await leader.metric('agentworkspace_leader')).toBe(1);
    expect(await standby.metric('agentworkspace_leader')).toBe(0);
    expect(await leader.metric('agentworkspace_reconcile_total')).toBeGreaterThan(0);
    expect(await standby.metric('agentworkspace_reconcile_total')).toBe(0);
    const standbyReady = await fetch(`http://127.0.0.1:${await standby.healthPort()}/readyz`);
    expect(standbyReady.status).toBe(200);
  });

  it('hands over after SIGKILL of the leader, keeping every child', async () => {
    const before = await childUids();
    expect(before.Pod).toHaveLength(1);
    expect(before.Service).toHaveLength(1);
    expect(before.Secret).toHaveLength(1);
    const keyBefore = (await client.get(resourcePath('v1', 'Secret', ns.name, 'ha-session-key'))).data;

    const killedAt = Date.now();
    await leader.kill();
    await waitUntil(async () => (await holder()) === standby.identity, 'the standby to take the Lease', 60_000);
    const handoverMs = Date.now() - killedAt;
    await waitUntil(async () => (await standby.metric('agentworkspace_reconcile_total')) > 0, 'the new leader to reconcile', 60_000);
    await waitForReason(client, ns.name, 'ha', 'Running');
    console.log(`leader handover after SIGKILL: ${handoverMs} ms (LEASE_DURATION_MS=6000, RETRY_PERIOD_MS=1000)`);

    expect(await childUids()).toEqual(before);
    expect((await client.get(resourcePath('v1', 'Secret', ns.name, 'ha-session-key'))).data).toEqual(keyBefore);
    expect(await standby.metric('agentworkspace_leader')).toBe(1);
    expect((await client.get<Lease>(leasePath())).spec?.leaseTransitions).toBeGreaterThanOrEqual(1);
  });
});
