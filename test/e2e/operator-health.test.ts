// The operator process's own contract against the real API server: /healthz and /readyz turn 503 when
// its watches stay broken (here: its RBAC binding is removed) and recover once the watches do
// (informers restarted with backoff); SIGTERM is a graceful exit 0 that releases the Lease; bad
// configuration is refused at start naming the setting.
import { describe, it, expect } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  OPERATOR_NAMESPACE, ROOT, installOperatorRbac, startOperator, waitForReason, waitUntil, useOperatorInNamespace,
} from '../../operator/src/e2e.testkit.js';
import { resourcePath, type KubeObject } from '../../operator/src/kube/client.js';

const SA = 'agent-workspace-operator-health';
// Without leader election: with the RBAC binding removed, a leader could not renew its Lease and
// would exit (by design), which is not what this test looks at.
const cluster = useOperatorInNamespace('aw-health', {
  serviceAccount: SA, env: { WATCH_STALE_MS: '3000', LEADER_ELECT: 'false' }, waitForHealth: false, kill: true,
});

const probe = async (path: string) => (await fetch(`http://127.0.0.1:${await cluster.operator.healthPort()}${path}`)).status;

describe('health endpoints', () => {
  it('are 200 once the caches have synced', async () => {
    await waitUntil(async () => (await probe('/readyz')) === 200, '/readyz 200');
    expect(await probe('/healthz')).toBe(200);
    expect(await probe('/nope')).toBe(404);
  });

  it('turn 503 while the watches stay broken and recover with them', async () => {
    const binding = await cluster.client.get(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${SA}`);
    await cluster.client.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${SA}`);
    // A watch ends at the latest when the API server closes it; the relist is then refused (403).
    await waitUntil(async () => (await probe('/readyz')) === 503, '/readyz 503 with the RBAC binding gone', 600_000, 1000);
    expect(await probe('/healthz')).toBe(503);
    await cluster.client.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      body: { ...binding, metadata: { name: SA } },
    });
    await waitUntil(async () => (await probe('/readyz')) === 200, '/readyz 200 after the binding is back', 120_000, 500);
    expect(await probe('/healthz')).toBe(200);
    // …and it reconciles again.
    await cluster.client.create({ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name: 'after', namespace: cluster.namespace }, spec: {} } as KubeObject);
    await waitForReason(cluster.client, cluster.namespace, 'after', 'Running');
  }, 900_000);

  it('exits 0 on SIGTERM and a leader releases the Lease', async () => {
    await cluster.operator.stop();
    expect(cluster.operator.proc.exitCode).toBe(0);
    cluster.operator = startOperator({ kubeconfig: await installOperatorRbac(cluster.client), namespaces: [cluster.namespace] });
    await waitUntil(async () => (await probe('/metrics')) === 200 && (await cluster.operator.metric('agentworkspace_leader')) === 1, 'leadership');
    await cluster.operator.stop();
    expect(cluster.operator.proc.exitCode).toBe(0);
    const lease = await cluster.client.get<KubeObject & { spec?: { holderIdentity?: string | null } }>(
      resourcePath('coordination.k8s.io/v1', 'Lease', OPERATOR_NAMESPACE, `agent-workspace-operator-${cluster.namespace}`),
    );
    expect(lease.spec?.holderIdentity ?? null).toBeNull();
    expect(cluster.operator.logs()).toContain('"msg":"released leadership"');
  });
});

describe('configuration', () => {
  it('refuses invalid settings at start, naming each one, with exit code 2', () => {
    const r = spawnSync(join(ROOT, 'node_modules/.bin/node'), [join(ROOT, 'operator/bin/agent-operator.js'), '--workers', '0', '--kubeconfig', cluster.kubeconfig], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'chatty' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/WORKERS/);
    expect(r.stderr).toMatch(/LOG_LEVEL/);
  });
});
