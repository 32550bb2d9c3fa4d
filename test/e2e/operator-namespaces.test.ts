// One operator watching several namespaces reconciles workspaces in each of them and leaves the
// workspaces of other namespaces alone.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import {
  setUpCluster, createNamespace, installCrd, installOperatorRbac, startOperator, waitForReason, workspacePath,
  type OperatorProcess, type Workspace,
} from '../../operator/src/e2e.testkit.js';
import type { KubeClient, KubeObject } from '../../operator/src/kube/client.js';

let client: KubeClient;
const namespaces: Array<{ name: string; remove: () => Promise<void> }> = [];
let operator: OperatorProcess;

beforeAll(async () => {
  client = await setUpCluster();
  await installCrd(client);
  const kubeconfig = await installOperatorRbac(client);
  for (const p of ['aw-ns-a', 'aw-ns-b', 'aw-ns-other']) namespaces.push(await createNamespace(client, p));
  operator = startOperator({ kubeconfig, namespaces: [namespaces[0]!.name, namespaces[1]!.name] });
  await operator.healthPort();
}, 30 * 60_000);

afterAll(async () => {
  await operator?.stop();
  for (const ns of namespaces) await ns.remove();
}, 60_000);

const create = (namespace: string) =>
  client.create({ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name: 'w', namespace }, spec: {} } as KubeObject);

describe('an operator watching several namespaces', () => {
  it('reconciles workspaces in each watched namespace and no other', async () => {
    const [a, b, other] = namespaces.map((n) => n.name) as [string, string, string];
    await Promise.all([create(a), create(b), create(other)]);
    await Promise.all([waitForReason(client, a, 'w', 'Running'), waitForReason(client, b, 'w', 'Running')]);
    expect(await operator.metric('agentworkspace_workspaces', { reason: 'Running' })).toBe(2);
    const untouched = await client.get<Workspace>(workspacePath(other, 'w'));
    expect(untouched.status).toBeUndefined();
  });
});
