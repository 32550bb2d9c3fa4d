// kwok (sigs.k8s.io/kwok) against the local cluster's real API server: fake Nodes it keeps Ready and whose pods
// it moves through their lifecycle (scheduled → running → Ready, deleted) with no containers, so the operator can
// be measured with more workspaces than the one test node runs. Built by kwok.sh; its pods get addresses from
// KWOK_POD_CIDR. The fake nodes are tainted, so only pods that tolerate the taint and select them land there.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { KubeClient, KubeObject } from '../../operator/src/kube/client.js';
import { ROOT } from '../../test/support/server.js';
import { waitFor } from '../../test/support/wait.js';

export const KWOK_LABEL = 'type';
export const KWOK_VALUE = 'kwok';
export const KWOK_TAINT = 'kwok.x-k8s.io/node';
const KWOK_POD_CIDR = '10.200.0.0/16';

/** What a workspace's spec needs to be scheduled to a fake node. */
export const onKwokNodes = {
  nodeSelector: { [KWOK_LABEL]: KWOK_VALUE },
  tolerations: [{ key: KWOK_TAINT, operator: 'Exists', effect: 'NoSchedule' }],
};

export interface Kwok {
  process: ChildProcess;
  logs(): string;
  stop(): Promise<void>;
}

function fakeNode(name: string, pods: number): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { [KWOK_LABEL]: KWOK_VALUE, 'kubernetes.io/hostname': name }, annotations: { 'kwok.x-k8s.io/node': 'fake' } },
    spec: { taints: [{ key: KWOK_TAINT, value: 'fake', effect: 'NoSchedule' }] },
    status: {
      allocatable: { cpu: '1000', memory: '4Ti', pods: String(pods) },
      capacity: { cpu: '1000', memory: '4Ti', pods: String(pods) },
      nodeInfo: { kubeletVersion: 'fake', kubeProxyVersion: 'fake', architecture: 'amd64', operatingSystem: 'linux' },
    },
  };
}

/** Builds kwok if needed, starts it managing the nodes annotated fake, and creates `nodes` of them. */
export async function startKwok(client: KubeClient, kubeconfig: string, nodes: number, podsPerNode: number): Promise<Kwok> {
  const [bin, ...stages] = execFileSync('bash', [join(ROOT, 'bench', 'operator', 'kwok.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n');
  const child = spawn(bin as string, [...stages.flatMap((file) => ['-c', file]), '--kubeconfig', kubeconfig, '--manage-nodes-with-annotation-selector', 'kwok.x-k8s.io/node=fake', '--cidr', KWOK_POD_CIDR,
    '--node-ip', '10.201.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout.on('data', (d: Buffer) => (logs = (logs + d.toString()).slice(-20_000)));
  child.stderr.on('data', (d: Buffer) => (logs = (logs + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  child.on('error', () => undefined); // reported by the wait below (exit)
  for (let i = 0; i < nodes; i++) {
    await client.request('POST', '/api/v1/nodes', { body: fakeNode(`kwok-node-${i}`, podsPerNode) }).catch((err: unknown) => {
      if (!String(err).includes('409')) throw err;
    });
  }
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`kwok exited ${child.exitCode}:\n${logs}`);
    const list = await client.list<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>('/api/v1/nodes', `${KWOK_LABEL}=${KWOK_VALUE}`);
    return list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === nodes;
  }, `${nodes} kwok nodes to be Ready`, { timeoutMs: 120_000, intervalMs: 500 });
  return {
    process: child,
    logs: () => logs,
    stop: async () => {
      for (let i = 0; i < nodes; i++) await client.request('DELETE', `/api/v1/nodes/kwok-node-${i}`).catch(() => undefined);
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
