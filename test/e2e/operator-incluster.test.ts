// The operator from its image (operator/Containerfile), running inside the cluster as a pod under its
// ServiceAccount (real token, rbac.yaml bound), reconciles a workspace to Ready.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { join } from 'node:path';
import {
  OPERATOR_NAMESPACE, OPERATOR_SA, ROOT, SERVER_IMAGE, setUpCluster, createNamespace, getOrUndefined, installCrd, installOperatorRbac,
  waitForReason, waitUntil,
} from '../../operator/src/e2e.testkit.js';
import { OPERATOR_IMAGE, run } from '../support/cluster.js';
import { resourcePath, type KubeClient, type KubeObject } from '../../operator/src/kube/client.js';

let client: KubeClient;
let ns: { name: string; remove: () => Promise<void> };
let podPath = '';

beforeAll(async () => {
  client = await setUpCluster();
  const built = await run('bash', [join(ROOT, 'operator/scripts/image.sh'), OPERATOR_IMAGE], {}, 20 * 60_000);
  if (built.code !== 0) throw new Error(`operator image build failed:\n${built.stderr}`);
  await installCrd(client);
  await installOperatorRbac(client);
  ns = await createNamespace(client, 'aw-incluster');
}, 30 * 60_000);

afterAll(async () => {
  if (podPath) await client.request('DELETE', podPath).catch(() => undefined);
  await ns?.remove();
}, 60_000);

describe('the operator image in the cluster', () => {
  it('runs as a pod with its ServiceAccount and makes a workspace Ready', async () => {
    const name = `operator-${ns.name}`;
    podPath = resourcePath('v1', 'Pod', OPERATOR_NAMESPACE, name);
    await client.create({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: OPERATOR_NAMESPACE, labels: { app: 'agent-workspace-operator' } },
      spec: {
        serviceAccountName: OPERATOR_SA,
        automountServiceAccountToken: true,
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{
          name: 'operator', image: OPERATOR_IMAGE, imagePullPolicy: 'IfNotPresent',
          env: [
            { name: 'WATCH_NAMESPACES', value: ns.name },
            { name: 'SERVER_IMAGE', value: SERVER_IMAGE },
            { name: 'LEADER_ELECTION_NAMESPACE', value: OPERATOR_NAMESPACE },
            { name: 'LEADER_ELECTION_NAME', value: `incluster-${ns.name}` },
            { name: 'IDENTITY', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          ports: [{ name: 'health', containerPort: 8081 }],
          readinessProbe: { httpGet: { path: '/readyz', port: 'health' }, periodSeconds: 2 },
          livenessProbe: { httpGet: { path: '/healthz', port: 'health' }, periodSeconds: 10 },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        }],
      },
    } as KubeObject);
    const pod = await waitUntil(async () => {
      const p = await getOrUndefined(client, podPath);
      const ready = (p?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' ? p : undefined;
    }, 'the operator pod to be Ready');
    await client.create({ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name: 'inside', namespace: ns.name }, spec: {} } as KubeObject);
    const ws = await waitForReason(client, ns.name, 'inside', 'Running');
    expect(ws.status!.url).toBe(`http://inside.${ns.name}.svc.cluster.local:8000`);
    const metrics = await (await fetch(`http://${(pod.status as { podIP: string }).podIP}:8081/metrics`)).text();
    expect(metrics).toMatch(/agentworkspace_leader 1/);
  });
});
