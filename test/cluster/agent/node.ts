// The Node object this agent stands for: registered with generous capacity (a test node: the scheduler
// should never be the limit) and Ready=True, with a status heartbeat every 10 s. The node lifecycle
// controller is not run, so nothing else changes its conditions.
import { release, hostname } from 'node:os';
import type { CoreV1Api, V1Node } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { isNotFound } from './object-reader.js';

export const NODE_CAPACITY = { cpu: '16', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' };

function nodeStatus(name: string, kubeletVersion: string, podmanVersion: string, kubeletPort: number): Record<string, unknown> {
  const now = new Date().toISOString();
  const c = (type: string, status: string, reason: string, message: string): Record<string, unknown> =>
    ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now });
  return {
    capacity: NODE_CAPACITY,
    allocatable: NODE_CAPACITY,
    conditions: [
      c('Ready', 'True', 'KubeletReady', 'node agent is posting ready status'),
      c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'node agent has sufficient memory available'),
      c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'node agent has no disk pressure'),
      c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'node agent has sufficient PID available'),
    ],
    addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: name }],
    daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
    nodeInfo: {
      machineID: hostname(), systemUUID: hostname(), bootID: String(process.pid),
      kernelVersion: release(), osImage: 'podman-backed test node', containerRuntimeVersion: `podman://${podmanVersion}`,
      kubeletVersion, kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64',
    },
  };
}

export class NodeRegistration {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly core: CoreV1Api,
    private readonly name: string,
    private readonly kubeletVersion: string,
    private readonly podmanVersion: string,
    private readonly kubeletPort: number,
    private readonly log: (msg: string) => void,
  ) {}

  async register(): Promise<void> {
    const node: V1Node = {
      apiVersion: 'v1', kind: 'Node',
      metadata: {
        name: this.name,
        labels: { 'kubernetes.io/hostname': this.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'agentworkspace.dev/podman-node': 'true' },
      },
      spec: {},
    };
    try {
      await this.core.readNode({ name: this.name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.core.createNode({ body: node });
      this.log(`registered node ${this.name}`);
    }
    await this.heartbeat();
    this.timer = setInterval(() => {
      this.heartbeat().catch((err: unknown) => this.log(`node heartbeat failed: ${(err as Error).message}`));
    }, 10_000);
  }

  async heartbeat(): Promise<void> {
    await this.core.patchNodeStatus(
      { name: this.name, body: { status: nodeStatus(this.name, this.kubeletVersion, this.podmanVersion, this.kubeletPort) } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
