// Test access to a real Kubernetes cluster. By default the local test cluster (test/cluster/cluster.sh:
// etcd, kube-apiserver, controller-manager, scheduler and the podman-backed node), started on first use
// or reused when already running; with AGENTWORKSPACE_KUBECONFIG set, that cluster instead (kind or any
// other), and nothing is started. Tests isolate themselves in their own namespaces (withNamespace).
//
// Pods on the local cluster (test/cluster/README.md, "Networking"): each pod has its own network namespace and
// an address of the pod range (10.244.<N>.0/24, N = CLUSTER_NET_INDEX) on the node's bridge, reachable from the
// host and through the API server's proxy; Services get ClusterIPs (10.96.<N>.0/24, kube-proxy) reachable
// from the host and from pods, and names in cluster DNS (CoreDNS); pods reach the host's loopback at 10.0.2.2.
// Images must be built locally (ensureImage).
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { ROOT } from './server.js';
import { waitFor } from './wait.js';

export const K8S_VERSION = 'v1.36.3';
export const CLUSTER_DIR = process.env.CLUSTER_DIR ?? join(ROOT, '.local', 'cluster');
export const CONTAINERS_CONF = join(ROOT, 'test', 'cluster', 'containers.conf');
/** The agent-server image `make image` builds. */
export const SERVER_IMAGE = process.env.SERVER_IMAGE ?? 'localhost/agentworkspace/agent-server:dev';
/** The operator image `make images` builds; OPERATOR_IMAGE moves it. */
export const OPERATOR_IMAGE = process.env.OPERATOR_IMAGE ?? 'localhost/agentworkspace/operator:dev';
/** The cluster tests' small HTTP server image (test/cluster/testapp), tagged with its sources' hash as image.sh does. */
export const TESTAPP_IMAGE = `localhost/agentworkspace/testapp:${createHash('sha256')
  .update(readFileSync(join(ROOT, 'test', 'cluster', 'testapp', 'Containerfile')))
  .update(readFileSync(join(ROOT, 'test', 'cluster', 'testapp', 'server.ts'))).digest('hex').slice(0, 12)}`;
/** The local node's name (cluster.sh's CLUSTER_NODE_NAME); pods are scheduled to it. */
export const NODE_NAME = process.env.CLUSTER_NODE_NAME ?? 'agentworkspace-node';
/** The local cluster's network index (cluster.sh's CLUSTER_NET_INDEX), from which its ranges derive. */
export const NET_INDEX = Number(process.env.CLUSTER_NET_INDEX ?? '0');
/** The Service range's first three octets: CLUSTER_SERVICE_CIDR's (a.b.c.0/len) when set, as network.sh. */
const SERVICE_PREFIX = /^(\d+\.\d+\.\d+\.)0\/\d+$/.exec(process.env.CLUSTER_SERVICE_CIDR ?? '')?.[1] ?? `10.96.${NET_INDEX}.`;
/** The local cluster's addresses (test/cluster/network.sh). */
export const NETWORK = {
  /** Pod addresses: 10.244.<N>.2–254. */
  podCidr: `10.244.${NET_INDEX}.0/24`,
  podPrefix: `10.244.${NET_INDEX}.`,
  /** Service ClusterIPs: 10.96.<N>.0/24 (or CLUSTER_SERVICE_CIDR); the kubernetes Service is .1, kube-dns .10. */
  servicePrefix: SERVICE_PREFIX,
  kubernetesServiceIP: `${SERVICE_PREFIX}1`,
  dnsServiceIP: `${SERVICE_PREFIX}10`,
  /** Where pods reach a service listening on the host's 127.0.0.1 (any port). */
  hostLoopback: '10.0.2.2',
};
/**
 * Where pods reach a model the tests serve on this machine (E2E_MODEL_HOST; default the local cluster's host
 * loopback address), and where that model listens (E2E_MODEL_BIND; 0.0.0.0 when pods reach the host over a bridge,
 * as on kind).
 */
export const MODEL_HOST = process.env.E2E_MODEL_HOST ?? NETWORK.hostLoopback;
export const MODEL_BIND = process.env.E2E_MODEL_BIND ?? '127.0.0.1';
/** The default StorageClass of the local cluster (hostPath directories under .local/cluster/pv). */
export const STORAGE_CLASS = 'standard';

export interface Cluster {
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** Directory of the built kubectl, helm, kube-apiserver… (undefined for an external cluster). */
  binDir: string;
  /** True when this is the local podman-backed cluster (pod IPs reachable from the host, local images). */
  local: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion; never rejects on a non-zero exit (inspect `code`). */
export function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr: err && !stderr ? err.message : stderr });
    });
  });
}

function binDir(): string {
  const cache = process.env.AGENTWORKSPACE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'agentworkspace');
  return process.env.CLUSTER_BIN_DIR ?? join(cache, `k8s-${K8S_VERSION}-go1.26`);
}

let clusterPromise: Promise<Cluster> | undefined;

/**
 * The cluster for this test run: started once (or reused), memoised per test file. A cold start that
 * must first build the binaries takes minutes; give the calling hook a generous timeout.
 */
export function ensureCluster(): Promise<Cluster> {
  clusterPromise ??= (async () => {
    const external = process.env.AGENTWORKSPACE_KUBECONFIG;
    const kubeconfigPath = external ?? join(CLUSTER_DIR, 'kubeconfig');
    if (!external) {
      const r = await run('bash', [join(ROOT, 'test', 'cluster', 'cluster.sh'), 'up'], {}, 30 * 60_000);
      if (r.code !== 0) throw new Error(`cluster.sh up failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    return { kubeconfigPath, kubeConfig, binDir: binDir(), local: !external };
  })();
  clusterPromise.catch(() => { clusterPromise = undefined; });
  return clusterPromise;
}

/** kubectl (the one built for this cluster) against the test cluster. */
export async function kubectl(args: readonly string[], stdin?: string): Promise<RunResult> {
  const c = await ensureCluster();
  if (stdin === undefined) return run(join(c.binDir, 'kubectl'), ['--kubeconfig', c.kubeconfigPath, ...args]);
  return new Promise((resolve) => {
    const child = execFile(join(c.binDir, 'kubectl'), ['--kubeconfig', c.kubeconfigPath, ...args], { maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }));
    child.stdin?.end(stdin);
  });
}

/** helm (built for this cluster) against the test cluster. */
export async function helm(args: readonly string[]): Promise<RunResult> {
  const c = await ensureCluster();
  return run(join(c.binDir, 'helm'), ['--kubeconfig', c.kubeconfigPath, ...args], {}, 10 * 60_000);
}

/** podman with the cluster's configuration (inspect the containers of the local node's pods). */
export function podman(args: readonly string[]): Promise<RunResult> {
  return run('podman', args, { CONTAINERS_CONF });
}

/**
 * A local image, built when missing: 'server' (server-image/Containerfile; test/cluster/prepare.sh, run
 * by scripts/test.sh before the cluster and e2e tiers, rebuilds it from the current code) or 'testapp'.
 * Uses test/cluster/image.sh; the base image is cached.
 */
export async function ensureImage(which: 'server' | 'testapp'): Promise<string> {
  const ref = which === 'server' ? SERVER_IMAGE : TESTAPP_IMAGE;
  if ((await podman(['image', 'exists', ref])).code === 0) return ref;
  const r = await run('bash', [join(ROOT, 'test', 'cluster', 'image.sh'), which], {}, 20 * 60_000);
  if (r.code !== 0) throw new Error(`image.sh ${which} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return ref;
}

export interface TestNamespace {
  name: string;
  cluster: Cluster;
  core: CoreV1Api;
  /** Deletes the namespace; with `wait`, until it is gone (the namespace controller finished). */
  cleanup(wait?: boolean): Promise<void>;
}

/** A fresh namespace `<prefix>-<random>`, labelled agentworkspace.dev/test=true, with its default ServiceAccount. */
export async function withNamespace(prefix: string): Promise<TestNamespace> {
  const cluster = await ensureCluster();
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString('hex')}`.toLowerCase().slice(0, 63);
  await core.createNamespace({ body: { metadata: { name, labels: { 'agentworkspace.dev/test': 'true' } } } });
  // Pods are refused until the serviceaccount controller has created "default".
  await waitFor(() => core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(() => true, () => false),
    `ServiceAccount ${name}/default`, { timeoutMs: 60_000, intervalMs: 200 });
  return {
    name,
    cluster,
    core,
    async cleanup(wait = false) {
      try {
        await core.deleteNamespace({ name });
      } catch (err) {
        if ((err as { code?: number }).code === 404) return;
        throw err;
      }
      if (wait) {
        await waitFor(() => core.readNamespace({ name }).then(() => false, (e: { code?: number }) => e.code === 404),
          `namespace ${name} to be deleted`, { timeoutMs: 120_000, intervalMs: 250 });
      }
    },
  };
}

/** Polls the pod until `predicate` holds; the error names `what` and the pod's last status. */
export async function waitForPod(core: CoreV1Api, namespace: string, name: string, predicate: (pod: V1Pod) => boolean,
  what: string, timeoutMs = 120_000): Promise<V1Pod> {
  let last: V1Pod | undefined;
  try {
    return await waitFor(async () => {
      last = await core.readNamespacedPod({ name, namespace });
      return predicate(last) ? last : undefined;
    }, `pod ${namespace}/${name}: ${what}`, { timeoutMs, intervalMs: 250 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast status: ${JSON.stringify(last?.status ?? null)}`);
  }
}

export const isReady = (pod: V1Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Resolves once the pod object no longer exists. */
export async function waitForPodGone(core: CoreV1Api, namespace: string, name: string, timeoutMs = 120_000): Promise<void> {
  await waitFor(() => core.readNamespacedPod({ name, namespace }).then(() => false, (e: { code?: number }) => e.code === 404),
    `pod ${namespace}/${name} to be gone`, { timeoutMs, intervalMs: 250 });
}
