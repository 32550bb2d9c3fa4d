/**
 * Support for the operator's tests and benchmarks against a real cluster (test/e2e/operator-*.test.ts,
 * bench/operator): an admin
 * client, per-test namespaces, the operator's RBAC installed from operator/rbac.yaml and an
 * impersonating kubeconfig so the operator runs under exactly those rules, and the operator itself
 * started as a process (`bin/agent-operator.js`), as a user would run it outside the cluster.
 *
 * The cluster comes from test/support/cluster.ts (the local one, started or reused, or
 * AGENTWORKSPACE_KUBECONFIG's). The server image is SERVER_IMAGE when set, else the one `make image`
 * builds, rebuilt once per test file so it holds the current code. Free of jest (the benchmarks run it outside
 * jest); e2e.testkit.ts adds the jest hooks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { API_VERSION, KIND } from './api/agentworkspace.js';
import { KubeClient, resourcePath, type KubeObject } from './kube/client.js';
import { isConflict, isNotFound } from './kube/errors.js';
import { SERVER_IMAGE, ensureCluster, ensureImage, run } from '../../test/support/cluster.js';
import { waitFor, type Truthy } from '../../test/support/wait.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export { SERVER_IMAGE };
export const OPERATOR_NAMESPACE = 'agent-workspace-system';
export const OPERATOR_SA = 'agent-workspace-operator';

let kubeconfigPath = '';

/**
 * Builds the operator (the tests run its bin), starts (or reuses) the cluster, builds the server image
 * unless SERVER_IMAGE names one, and returns
 * the admin client. Call it first, in beforeAll with a generous timeout (a cold start builds binaries).
 */
export async function setUpCluster(): Promise<KubeClient> {
  const built = await run(join(ROOT, 'node_modules/.bin/tsc'), ['-b', join(ROOT, 'operator')]);
  if (built.code !== 0) throw new Error(`building the operator failed:\n${built.stdout}${built.stderr}`);
  const cluster = await ensureCluster();
  kubeconfigPath = cluster.kubeconfigPath;
  if (!process.env.SERVER_IMAGE && cluster.local) await ensureImage('server');
  return new KubeClient(cluster.kubeConfig);
}

/** Applies every document of a YAML text (create, or replace when it exists) with the admin client. */
export async function applyYaml(client: KubeClient, text: string, namespace?: string): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    const obj = doc.toJSON() as KubeObject | null;
    if (!obj) continue;
    if (namespace && obj.metadata) obj.metadata.namespace ??= namespace;
    out.push(await upsert(client, obj));
  }
  return out;
}

const CLUSTER_SCOPED: Record<string, string> = {
  'rbac.authorization.k8s.io/v1/ClusterRole': '/apis/rbac.authorization.k8s.io/v1/clusterroles',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
  'v1/Namespace': '/api/v1/namespaces',
  'node.k8s.io/v1/RuntimeClass': '/apis/node.k8s.io/v1/runtimeclasses',
  'apiextensions.k8s.io/v1/CustomResourceDefinition': '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy': '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies',
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding': '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings',
};
const NAMESPACED_EXTRA: Record<string, [string, string]> = {
  'v1/ServiceAccount': ['/api/v1', 'serviceaccounts'],
  'v1/ConfigMap': ['/api/v1', 'configmaps'],
  'rbac.authorization.k8s.io/v1/Role': ['/apis/rbac.authorization.k8s.io/v1', 'roles'],
  'rbac.authorization.k8s.io/v1/RoleBinding': ['/apis/rbac.authorization.k8s.io/v1', 'rolebindings'],
};

/** Collection path of any kind the tests use. */
export function collectionPath(obj: KubeObject): string {
  const gvk = `${obj.apiVersion}/${obj.kind}`;
  if (CLUSTER_SCOPED[gvk]) return CLUSTER_SCOPED[gvk];
  const extra = NAMESPACED_EXTRA[gvk];
  if (extra) return `${extra[0]}/namespaces/${obj.metadata?.namespace}/${extra[1]}`;
  return resourcePath(obj.apiVersion ?? '', obj.kind ?? '', obj.metadata?.namespace);
}

/** Creates `obj`, or replaces it when it exists (retrying when a parallel test file wrote it meanwhile). */
export async function upsert(client: KubeClient, obj: KubeObject): Promise<KubeObject> {
  const path = collectionPath(obj);
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.request('POST', path, { body: obj });
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
    try {
      const existing = await client.get(`${path}/${obj.metadata?.name}`);
      return await client.request('PUT', `${path}/${obj.metadata?.name}`, { body: { ...obj, metadata: { ...obj.metadata, resourceVersion: existing.metadata?.resourceVersion } } });
    } catch (err) {
      if (!(isConflict(err) || isNotFound(err)) || attempt >= 4) throw err;
    }
  }
}

/** Installs the CRDs (from crds/) and waits until they are Established. */
export async function installCrd(client: KubeClient): Promise<void> {
  for (const file of ['agentworkspaces.agentworkspace.dev.yaml', 'agentworkspacepools.agentworkspace.dev.yaml']) {
    const [crd] = await applyYaml(client, readFileSync(join(ROOT, 'crds', file), 'utf8'));
    await waitUntil(async () => {
      const c = await client.get<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd!.metadata!.name}`);
      return c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True');
    }, `the CRD ${crd!.metadata!.name} to be Established`);
  }
}

/**
 * Installs operator/rbac.yaml's ClusterRole, a ServiceAccount and a ClusterRoleBinding, and returns a
 * kubeconfig that impersonates that ServiceAccount (so the operator has exactly those permissions).
 */
export async function installOperatorRbac(client: KubeClient, serviceAccount = OPERATOR_SA, options: { warmPools?: boolean } = {}): Promise<string> {
  await upsert(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: OPERATOR_NAMESPACE } });
  await upsert(client, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: serviceAccount, namespace: OPERATOR_NAMESPACE } });
  // With warmPools, operator/rbac-warm-pools.yaml's rules too (the chart's warmPools.enabled), bound by a second binding.
  const files = ['operator/rbac.yaml', ...(options.warmPools ? ['operator/rbac-warm-pools.yaml'] : [])];
  for (const [i, file] of files.entries()) {
    const [role] = await applyYaml(client, readFileSync(join(ROOT, file), 'utf8'));
    await upsert(client, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: i === 0 ? serviceAccount : `${serviceAccount}-warm-pools` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role!.metadata!.name },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace: OPERATOR_NAMESPACE }],
    } as KubeObject);
  }
  return impersonatingKubeconfig(OPERATOR_NAMESPACE, serviceAccount);
}

/** A kubeconfig file whose user is the admin impersonating `system:serviceaccount:<namespace>:<serviceAccount>`. */
export function impersonatingKubeconfig(namespace: string, serviceAccount: string): string {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const exported = JSON.parse(kc.exportConfig()) as { users: Array<{ name: string; user: Record<string, unknown> }> };
  for (const u of exported.users) u.user.as = `system:serviceaccount:${namespace}:${serviceAccount}`;
  const file = join(mkdtempSync(join(tmpdir(), 'aw-operator-')), 'kubeconfig');
  writeFileSync(file, stringify(exported), { mode: 0o600 });
  return file;
}

/** A fresh namespace; `remove()` deletes it. */
export async function createNamespace(client: KubeClient, prefix: string): Promise<{ name: string; remove: () => Promise<void> }> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await upsert(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await waitUntil(() => client.get(`/api/v1/namespaces/${name}/serviceaccounts/default`).then(() => true), `the default ServiceAccount in ${name}`);
  return { name, remove: () => client.request('DELETE', `/api/v1/namespaces/${name}`).then(() => undefined, () => undefined) };
}

/** test/support/wait.ts's waitFor with the e2e tier's pace: the API server and pods are slower than a process. */
export function waitUntil<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 120_000, intervalMs = 250): Promise<Truthy<T>> {
  return waitFor(probe, what, { timeoutMs, intervalMs });
}

export interface OperatorProcess {
  proc: ChildProcess;
  identity: string;
  healthPort: () => Promise<number>;
  logs: () => string;
  metric: (name: string, labels?: Record<string, string>) => Promise<number>;
  /** SIGTERM and wait for exit. */
  stop: () => Promise<void>;
  /** SIGKILL and wait for exit. */
  kill: () => Promise<void>;
}

/** Starts `bin/agent-operator.js` (the built package) with the given kubeconfig and settings. */
export function startOperator(options: { kubeconfig: string; namespaces: string[]; identity?: string; env?: Record<string, string>; args?: string[] }): OperatorProcess {
  const identity = options.identity ?? `e2e-${randomBytes(3).toString('hex')}`;
  const proc = spawn(
    join(ROOT, 'node_modules/.bin/node'),
    [join(ROOT, 'operator/bin/agent-operator.js'), '--kubeconfig', options.kubeconfig, '--namespaces', options.namespaces.join(','), '--health-addr', '127.0.0.1', '--health-port', '0', '--identity', identity, ...(options.args ?? [])],
    {
      env: {
        PATH: process.env.PATH ?? '',
        SERVER_IMAGE,
        LEADER_ELECTION_NAMESPACE: OPERATOR_NAMESPACE,
        LEADER_ELECTION_NAME: `agent-workspace-operator-${options.namespaces.join('-')}`.slice(0, 63),
        LEASE_DURATION_MS: '6000',
        RENEW_DEADLINE_MS: '4000',
        RETRY_PERIOD_MS: '1000',
        POD_TERMINATION_GRACE_SECONDS: '10',
        LOG_LEVEL: 'debug',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const healthPort = () =>
    waitUntil(() => {
      const m = /"port":(\d+)[^\n]*"msg":"operator started"/.exec(out);
      if (proc.exitCode !== null) throw new Error(`operator exited: ${out.slice(-2000)}`);
      return m ? Number(m[1]) : undefined;
    }, 'the operator to start', 30_000);
  return {
    proc,
    identity,
    healthPort,
    logs: () => out,
    metric: async (name, labels = {}) => {
      const port = await healthPort();
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      let total = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith(name)) continue;
        const m = /^([a-z_:]+)(\{([^}]*)\})? ([0-9.e+-]+|NaN)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const have = Object.fromEntries([...(m[3] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
        if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(m[4]);
      }
      return total;
    },
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

export type Workspace = KubeObject & {
  spec?: Record<string, unknown>;
  status?: {
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
    url?: string;
    podName?: string;
    podIP?: string;
    sessionKeySecretName?: string;
    sessionKeySecretKey?: string;
    observedGeneration?: number;
    [k: string]: unknown;
  };
};

export const workspacePath = (namespace: string, name?: string) => resourcePath(API_VERSION, KIND, namespace, name);

export function readyOf(ws: Workspace): { status: string; reason: string; message: string } | undefined {
  return ws.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Waits until the workspace's Ready condition has `reason` (and the status is current). */
export function waitForReason(client: KubeClient, namespace: string, name: string, reason: string, timeoutMs = 180_000): Promise<Workspace> {
  return waitUntil(async () => {
    const ws = await client.get<Workspace>(workspacePath(namespace, name));
    const ready = readyOf(ws);
    if (ready?.reason === reason && ws.status?.observedGeneration === ws.metadata?.generation) return ws;
    throw new Error(`Ready is ${ready ? `${ready.status}/${ready.reason}: ${ready.message}` : 'absent'}`);
  }, `workspace ${namespace}/${name} to read ${reason}`, timeoutMs);
}

/** The object at `path`, or undefined when it does not exist. */
export async function getOrUndefined<T extends KubeObject = KubeObject>(client: KubeClient, path: string): Promise<T | undefined> {
  try {
    return await client.get<T>(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The session key of a Ready workspace, read from the Secret its status names. */
export async function sessionKeyOf(client: KubeClient, ws: Workspace): Promise<string> {
  const secret = await client.get<KubeObject & { data?: Record<string, string> }>(resourcePath('v1', 'Secret', ws.metadata?.namespace, ws.status?.sessionKeySecretName));
  return Buffer.from(secret.data?.[ws.status?.sessionKeySecretKey ?? ''] ?? '', 'base64').toString('utf8');
}
