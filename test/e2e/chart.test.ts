// The Helm chart (charts/agentworkspace-operator) on the real cluster: lint; renders of default and
// non-default values accepted by the API server (server-side dry-run; the ServiceMonitor, whose CRD
// this cluster lacks, rendered with --api-versions and checked apart); bad values refused at install
// naming the value; then the life of a release in cluster mode (two replicas Ready and one leading, the
// example workspace Ready, an upgrade that rolls the operator while the workspace stays Ready, an
// uninstall that leaves the CRD and the workspace) and in namespaced mode (only the watched namespaces,
// no cluster-wide rights). Both modes check, by impersonating the chart's ServiceAccount, that it holds
// every right of operator/rbac.yaml (the rules the rest of the e2e suite runs the operator under).
//
// The cluster-mode release watches every namespace while it is installed: its settings that shape a
// workspace's pod (server image, grace period) are the e2e testkit's, so it agrees with the operators
// other test files run at the same time.
import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parse, parseAllDocuments, stringify } from 'yaml';
import {
  ROOT, SERVER_IMAGE, applyYaml, createNamespace, getOrUndefined, readyOf, setUpCluster, waitForReason, waitUntil, workspacePath,
  type Workspace,
} from '../../operator/src/e2e.testkit.js';
import { KubeClient, resourcePath, type KubeObject } from '../../operator/src/kube/client.js';
import { OPERATOR_IMAGE, ensureCluster, helm, kubectl, run, type Cluster } from '../support/cluster.js';

const CHART = join(ROOT, 'charts/agentworkspace-operator');
const CHART_NAME = 'agentworkspace-operator';
const RULES = (parse(readFileSync(join(ROOT, 'operator/rbac.yaml'), 'utf8')) as { rules: Rule[] }).rules;
const LEASE_RULES = RULES.filter((r) => r.apiGroups.includes('coordination.k8s.io'));
const tag = OPERATOR_IMAGE.lastIndexOf(':') > OPERATOR_IMAGE.lastIndexOf('/') ? OPERATOR_IMAGE.lastIndexOf(':') : -1;
/** What every install of this file sets: the image under test and the testkit's workspace-pod settings. */
const BASE_VALUES = {
  image: { repository: tag < 0 ? OPERATOR_IMAGE : OPERATOR_IMAGE.slice(0, tag), tag: tag < 0 ? 'latest' : OPERATOR_IMAGE.slice(tag + 1) },
  serverImage: SERVER_IMAGE,
  workspacePods: { terminationGracePeriodSeconds: 10 },
};

/** A safety net for the two release lifecycles (install, workspace, upgrade, uninstall), not a performance bound. */
const LIFECYCLE_TIMEOUT_MS = 15 * 60_000;

interface Rule { apiGroups: string[]; resources: string[]; verbs: string[] }
// Rendered manifests are read field by field in assertions; typing every kind would add nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = KubeObject & { spec?: Record<string, any>; rules?: Rule[]; data?: Record<string, string>; subjects?: unknown[]; roleRef?: { kind: string; name: string } };
type Ns = { name: string; remove: () => Promise<void> };

let client: KubeClient;
let cluster: Cluster;
let tmp: string;
const namespaces: Ns[] = [];
const releases: Array<{ name: string; namespace: string }> = [];

beforeAll(async () => {
  client = await setUpCluster();
  cluster = await ensureCluster();
  // Under CI a missing helm must fail, never skip: helm is part of the cluster prerequisites.
  const version = await helm(['version', '--short']);
  if (version.code !== 0) throw new Error(`helm is not available (test/cluster/build.sh builds it): ${version.stderr}`);
  if (cluster.local) {
    const built = await run('bash', [join(ROOT, 'operator/scripts/image.sh'), OPERATOR_IMAGE], {}, 20 * 60_000);
    if (built.code !== 0) throw new Error(`operator image build failed:\n${built.stderr}`);
  }
  tmp = mkdtempSync(join(tmpdir(), 'aw-chart-'));
}, 30 * 60_000);

afterAll(async () => {
  for (const r of releases) await helm(['uninstall', r.name, '-n', r.namespace, '--wait', '--timeout', '2m']);
  for (const ns of namespaces) await ns.remove();
}, 5 * 60_000);

async function namespace(prefix: string): Promise<string> {
  const ns = await createNamespace(client, prefix);
  namespaces.push(ns);
  return ns.name;
}

/** A values file holding `values` over BASE_VALUES (deep merge of plain objects). */
function valuesFile(values: Record<string, unknown>): string {
  const merge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) {
      const prev = out[k];
      out[k] = prev && v && typeof prev === 'object' && typeof v === 'object' && !Array.isArray(v) ? merge(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
    }
    return out;
  };
  const file = join(tmp, `values-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(merge(BASE_VALUES, values)));
  return file;
}

async function template(release: string, ns: string, values: Record<string, unknown>, extra: string[] = []): Promise<{ text: string; docs: Doc[] }> {
  const r = await helm(['template', release, CHART, '-n', ns, '--include-crds', '-f', valuesFile(values), ...extra]);
  if (r.code !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJSON() as Doc | null).filter((d): d is Doc => d !== null);
  return { text: r.stdout, docs };
}

const find = (docs: Doc[], kind: string, namespace?: string) => docs.filter((d) => d.kind === kind && (namespace === undefined || d.metadata?.namespace === namespace));
const one = (docs: Doc[], kind: string, namespace?: string): Doc => {
  const all = find(docs, kind, namespace);
  expect({ kind, namespace, count: all.length }).toEqual({ kind, namespace, count: 1 });
  return all[0]!;
};

async function serverDryRun(text: string): Promise<void> {
  const r = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], text);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
}

/** A client that impersonates the ServiceAccount (as the e2e suite runs the operator). */
function impersonating(serviceAccount: string, ns: string): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const exported = JSON.parse(kc.exportConfig()) as { users: Array<{ name: string; user: Record<string, unknown> }> };
  for (const u of exported.users) u.user.as = `system:serviceaccount:${ns}:${serviceAccount}`;
  const file = join(tmp, `kubeconfig-${serviceAccount}-${ns}`);
  writeFileSync(file, stringify(exported), { mode: 0o600 });
  const as = new KubeConfig();
  as.loadFromFile(file);
  return new KubeClient(as);
}

/** SelfSubjectAccessReview as the impersonated ServiceAccount. */
async function can(as: KubeClient, verb: string, group: string, resource: string, namespace?: string): Promise<boolean> {
  const [res, sub] = resource.split('/');
  const review = await as.request<KubeObject & { status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb, group, resource: res, subresource: sub, namespace } } },
  });
  return review.status?.allowed === true;
}

/** Every (verb, group, resource) of `rules` that `as` may not do in `namespace`. */
async function missingRights(as: KubeClient, rules: Rule[], namespace: string | undefined): Promise<string[]> {
  const missing: string[] = [];
  for (const r of rules) for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) {
    if (!(await can(as, v, g, res, namespace))) missing.push(`${v} ${g || 'core'}/${res} in ${namespace ?? 'all namespaces'}`);
  }
  return missing;
}

/** The operator-policy test's limits: nothing beyond operator/rbac.yaml. */
async function expectNoExtraRights(as: KubeClient, namespace: string): Promise<void> {
  expect(await can(as, 'list', '', 'nodes')).toBe(false);
  expect(await can(as, 'list', '', 'configmaps', namespace)).toBe(false);
  expect(await can(as, 'list', '', 'secrets', namespace)).toBe(false);
  expect(await can(as, 'get', '', 'secrets', namespace)).toBe(false);
  expect(await can(as, 'patch', 'agentworkspace.dev', 'agentworkspaces', namespace)).toBe(false);
  expect(await can(as, 'delete', '', 'namespaces')).toBe(false);
  expect(await can(as, 'create', 'rbac.authorization.k8s.io', 'rolebindings', namespace)).toBe(false);
}

type Pod = KubeObject & { status?: { podIP?: string; conditions?: Array<{ type: string; status: string }> }; metadata: { name: string; uid: string; deletionTimestamp?: string } };
const podReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function operatorPods(release: string, ns: string): Promise<Pod[]> {
  const list = await client.list<Pod>(resourcePath('v1', 'Pod', ns), `app.kubernetes.io/instance=${release},app.kubernetes.io/name=${CHART_NAME}`);
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

async function leaseHolder(release: string, ns: string): Promise<string | undefined> {
  const lease = await getOrUndefined<KubeObject & { spec?: { holderIdentity?: string } }>(client, resourcePath('coordination.k8s.io/v1', 'Lease', ns, `${release}-${CHART_NAME}`));
  return lease?.spec?.holderIdentity || undefined;
}

/** A metric's value from a pod's /metrics, summed over its label sets (the local cluster's pod IPs answer from the host). */
async function podMetric(pod: Pod, name: string): Promise<number | undefined> {
  const text = await (await fetch(`http://${pod.status!.podIP}:8081/metrics`)).text();
  const values = [...text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))].map((m) => Number(m[2]));
  return values.length ? values.reduce((a, b) => a + b, 0) : undefined;
}

async function install(release: string, ns: string, values: Record<string, unknown>, verb: 'install' | 'upgrade' = 'install', extra: string[] = []): Promise<void> {
  if (verb === 'install') releases.push({ name: release, namespace: ns });
  const r = await helm([verb, release, CHART, '-n', ns, '-f', valuesFile(values), '--wait', '--timeout', '5m', ...extra]);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
}

async function uninstall(release: string, ns: string): Promise<void> {
  const r = await helm(['uninstall', release, '-n', ns, '--wait', '--timeout', '2m']);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  releases.splice(releases.findIndex((x) => x.name === release && x.namespace === ns), 1);
}

const NON_DEFAULT = (watch: string[]) => ({
  fullnameOverride: 'aw-op',
  watchNamespaces: watch,
  replicaCount: 3,
  imagePullSecrets: [{ name: 'regcred' }],
  serviceAccount: { annotations: { 'example.com/role': 'operator' } },
  podAnnotations: { 'example.com/team': 'platform' },
  podLabels: { tier: 'control' },
  extraEnv: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=256' }],
  resources: { requests: { cpu: '100m', memory: '200Mi' }, limits: { memory: '400Mi' } },
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'control', effect: 'NoSchedule' }],
  leaderElection: { leaseDurationMs: 20000, renewDeadlineMs: 15000, retryPeriodMs: 3000 },
  workers: 8,
  logLevel: 'debug',
  metrics: { service: { port: 9090, annotations: { 'prometheus.io/scrape': 'true' } } },
  podDisruptionBudget: { minAvailable: 2 },
});
const SINGLE = {
  nameOverride: 'awo',
  replicaCount: 1,
  leaderElection: { enabled: false },
  rbac: { create: false },
  serviceAccount: { create: false, name: 'existing-operator' },
  metrics: { service: { enabled: false } },
  podDisruptionBudget: { enabled: false },
};

describe('the chart, rendered', () => {
  it('is clean under helm lint --strict, with default and non-default values', async () => {
    for (const values of [{}, NON_DEFAULT(['team-a', 'team-b']), SINGLE]) {
      const r = await helm(['lint', '--strict', CHART, '-f', valuesFile(values)]);
      expect({ values, code: r.code, out: r.stdout + r.stderr }).toMatchObject({ code: 0 });
      expect(r.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    }
  });

  it('renders the default values (cluster mode) into objects the API server accepts', async () => {
    const ns = await namespace('aw-chart-tpl');
    const { text, docs } = await template('rel', ns, {});
    expect(docs.map((d) => d.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'CustomResourceDefinition', 'CustomResourceDefinition', 'Deployment', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
    expect(one(docs, 'ClusterRole').rules).toEqual(RULES);
    expect(one(docs, 'ClusterRoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: `rel-${CHART_NAME}`, namespace: ns }]);
    const crds = find(docs, 'CustomResourceDefinition').sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
    expect(crds).toEqual(['agentworkspacepools', 'agentworkspaces'].map((c) => parse(readFileSync(join(ROOT, `crds/${c}.agentworkspace.dev.yaml`), 'utf8'))));
    const deploy = one(docs, 'Deployment');
    const pod = deploy.spec!.template.spec;
    const c = pod.containers[0];
    expect(deploy.spec!.replicas).toBe(2);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.resources.requests).toEqual({ cpu: '50m', memory: '128Mi' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(deploy.spec!.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    expect(one(docs, 'ConfigMap').data).toMatchObject({ WATCH_NAMESPACES: '', LEADER_ELECT: 'true', LEADER_ELECTION_NAMESPACE: ns, LEADER_ELECTION_NAME: `rel-${CHART_NAME}` });
    expect(one(docs, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 1 });
    await serverDryRun(text);
  });

  it('renders non-default values (namespaced mode: Roles only) and a single replica without RBAC, both accepted', async () => {
    const [ns, a, b] = [await namespace('aw-chart-tpl'), await namespace('aw-chart-a'), await namespace('aw-chart-b')];
    const { text, docs } = await template('rel', ns, NON_DEFAULT([a, b]));
    expect(find(docs, 'ClusterRole').concat(find(docs, 'ClusterRoleBinding'))).toEqual([]);
    expect(one(docs, 'Role', a).rules).toEqual(RULES);
    expect(one(docs, 'Role', b).rules).toEqual(RULES);
    expect(one(docs, 'Role', ns).rules).toEqual(LEASE_RULES);
    for (const n of [a, b, ns]) expect(one(docs, 'RoleBinding', n)).toMatchObject({ roleRef: { kind: 'Role', name: 'aw-op' }, subjects: [{ kind: 'ServiceAccount', name: 'aw-op', namespace: ns }] });
    expect(one(docs, 'ConfigMap').data).toMatchObject({ WATCH_NAMESPACES: `${a},${b}`, WORKERS: '8', LOG_LEVEL: 'debug', LEASE_DURATION_MS: '20000' });
    const deploy = one(docs, 'Deployment');
    expect(deploy.metadata!.name).toBe('aw-op');
    expect(deploy.spec!.replicas).toBe(3);
    expect(deploy.spec!.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(one(docs, 'Service').spec!.ports).toEqual([{ name: 'metrics', port: 9090, targetPort: 'health', protocol: 'TCP' }]);
    await serverDryRun(text);

    const single = await template('rel', ns, SINGLE);
    expect(single.docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'CustomResourceDefinition', 'CustomResourceDefinition', 'Deployment']);
    const spec = one(single.docs, 'Deployment').spec!;
    expect(spec.replicas).toBe(1);
    expect(spec.template.spec.serviceAccountName).toBe('existing-operator');
    expect(one(single.docs, 'ConfigMap').data!.LEADER_ELECT).toBe('false');
    await serverDryRun(single.text);
  });

  it('renders the ServiceMonitor with --api-versions monitoring.coreos.com/v1, selecting the metrics Service (checked apart: no CRD here)', async () => {
    const ns = await namespace('aw-chart-tpl');
    const values = { metrics: { serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'prometheus' } } } };
    const { docs } = await template('rel', ns, values, ['--api-versions', 'monitoring.coreos.com/v1']);
    const sm = one(docs, 'ServiceMonitor');
    const svc = one(docs, 'Service');
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.metadata!.labels).toMatchObject({ release: 'prometheus' });
    expect(sm.spec!.namespaceSelector).toEqual({ matchNames: [ns] });
    expect(svc.metadata!.labels).toMatchObject(sm.spec!.selector.matchLabels);
    expect(sm.spec!.endpoints).toEqual([{ port: svc.spec!.ports[0].name, path: '/metrics', scheme: 'http', interval: '15s' }]);
    // The Service's selector picks the operator pods (and they serve /metrics on the port it targets).
    const pod = one(docs, 'Deployment').spec!.template;
    expect(pod.metadata.labels).toMatchObject(svc.spec!.selector);
    expect(pod.spec.containers[0].ports).toEqual([{ name: svc.spec!.ports[0].targetPort, containerPort: 8081, protocol: 'TCP' }]);
    // Everything but the ServiceMonitor is accepted by the API server.
    await serverDryRun(docs.filter((d) => d.kind !== 'ServiceMonitor').map((d) => stringify(d)).join('---\n'));
    // Without the API the chart refuses, naming the value.
    const r = await helm(['template', 'rel', CHART, '-n', ns, '-f', valuesFile(values)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('metrics.serviceMonitor.enabled needs the monitoring.coreos.com/v1');
  });

  it('refuses bad values at install with a message naming the value', async () => {
    const ns = await namespace('aw-chart-bad');
    const cases: Array<[string[], RegExp]> = [
      [['--set', 'replicaCount=two'], /replicaCount/],
      [['--set', 'logLevel=verbose'], /logLevel/],
      [['--set', 'watchNamespaces[0]=Not_A_Namespace'], /watchNamespaces/],
      [['--set', 'image.pullPolicy=Sometimes'], /image.*pullPolicy|pullPolicy/],
      [['--set', 'replicas=2'], /replicas/],
      [['--set', 'leaderElection.enabled=false'], /replicaCount=2 needs leaderElection\.enabled=true/],
      [['--set', 'leaderElection.renewDeadlineMs=20000'], /leaderElection\.renewDeadlineMs \(20000\) must be less than leaderElection\.leaseDurationMs/],
    ];
    for (const [args, message] of cases) {
      const r = await helm(['install', 'bad', CHART, '-n', ns, ...args]);
      expect({ args, code: r.code === 0 ? 0 : 1, message: message.test(r.stderr) ? 'names the value' : r.stderr }).toEqual({ args, code: 1, message: 'names the value' });
    }
    const status = await helm(['status', 'bad', '-n', ns]);
    expect(status.code).not.toBe(0);
  });
});

describe('a release in cluster mode', () => {
  // A failed test must not leave an operator watching every namespace behind it.
  afterEach(async () => {
    for (const r of [...releases]) await uninstall(r.name, r.namespace);
  }, 5 * 60_000);

  it('runs two replicas, one leading; makes the example workspace Ready; rolls on upgrade while it stays Ready; uninstalls leaving CRD and workspace', async () => {
    const [opNs, wsNs] = [await namespace('aw-chart-op'), await namespace('aw-chart-ws')];
    const release = 'awc';
    await install(release, opNs, {});

    // Two replicas Ready, one of them holding the Lease (and saying so on /metrics).
    const pods = await waitUntil(async () => {
      const ps = await operatorPods(release, opNs);
      return ps.length === 2 && ps.every(podReady) ? ps : undefined;
    }, 'two Ready operator pods');
    const leader = await waitUntil(() => leaseHolder(release, opNs), 'a leader');
    expect(pods.map((p) => p.metadata.name)).toContain(leader);
    if (cluster.local) {
      const leading = await waitUntil(async () => {
        const flags = await Promise.all(pods.map((p) => podMetric(p, 'agentworkspace_leader')));
        return flags.filter((f) => f === 1).length === 1 && flags.filter((f) => f === 0).length === 1 ? flags : undefined;
      }, 'exactly one replica reporting agentworkspace_leader 1');
      expect(leading).toHaveLength(2);
    }

    // The operator's rights: every rule of operator/rbac.yaml, in any namespace; nothing beyond.
    const as = impersonating(`${release}-${CHART_NAME}`, opNs);
    expect(await missingRights(as, RULES, wsNs)).toEqual([]);
    expect(await missingRights(as, RULES, undefined)).toEqual([]);
    await expectNoExtraRights(as, wsNs);

    // The example workspace, reconciled by the chart's operator.
    await applyYaml(client, readFileSync(join(ROOT, 'examples/agentworkspace.yaml'), 'utf8'), wsNs);
    const ready = await waitForReason(client, wsNs, 'example', 'Running');
    expect(ready.status!.url).toBe(`http://example.${wsNs}.svc.cluster.local:8000`);
    const wsPodPath = resourcePath('v1', 'Pod', wsNs, ready.status!.podName);
    const wsPod = await client.get<Pod>(wsPodPath);
    const readySince = readyOf(ready) as { lastTransitionTime?: string } | undefined;

    // Upgrade with a changed value: new operator pods (the config checksum changed), a new leader
    // among them that has reconciled, and the workspace's pod untouched and Ready throughout (the same
    // pod, and the Ready condition never left True: its lastTransitionTime is unchanged).
    const deployPath = `/apis/apps/v1/namespaces/${opNs}/deployments/${release}-${CHART_NAME}`;
    const checksum = (d: Doc) => (d.spec!.template.metadata.annotations as Record<string, string>)['checksum/config'];
    const before = await client.get<Doc>(deployPath);
    await install(release, opNs, { logLevel: 'debug' }, 'upgrade');
    const after = await client.get<Doc>(deployPath);
    expect(checksum(after)).not.toBe(checksum(before));
    const oldNames = new Set(pods.map((p) => p.metadata.name));
    const rolled = await waitUntil(async () => {
      const ps = await operatorPods(release, opNs);
      return ps.length === 2 && ps.every((p) => podReady(p) && !oldNames.has(p.metadata.name)) ? ps : undefined;
    }, 'two new Ready operator pods');
    const newLeader = await waitUntil(async () => {
      const h = await leaseHolder(release, opNs);
      return h && rolled.some((p) => p.metadata.name === h) ? h : undefined;
    }, 'a leader among the new pods');
    if (cluster.local) {
      const leaderPod = rolled.find((p) => p.metadata.name === newLeader)!;
      await waitUntil(async () => ((await podMetric(leaderPod, 'agentworkspace_reconcile_total')) ?? 0) > 0, 'the new leader to reconcile');
    }
    const stillPod = await client.get<Pod>(wsPodPath);
    expect(stillPod.metadata.uid).toBe(wsPod.metadata.uid);
    expect(podReady(stillPod)).toBe(true);
    const stillWs = await client.get<Workspace>(workspacePath(wsNs, 'example'));
    expect(readyOf(stillWs)).toMatchObject({ status: 'True', reason: 'Running', lastTransitionTime: readySince?.lastTransitionTime });

    // Uninstall: the operator and its RBAC go; the CRD, the workspace and its pod stay.
    await uninstall(release, opNs);
    expect(await getOrUndefined(client, deployPath)).toBeUndefined();
    expect(await getOrUndefined(client, `/apis/rbac.authorization.k8s.io/v1/clusterroles/${release}-${CHART_NAME}`)).toBeUndefined();
    expect(await getOrUndefined(client, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/agentworkspaces.agentworkspace.dev')).toBeDefined();
    expect(await getOrUndefined(client, workspacePath(wsNs, 'example'))).toBeDefined();
    expect((await client.get<Pod>(wsPodPath)).metadata.uid).toBe(wsPod.metadata.uid);
  }, LIFECYCLE_TIMEOUT_MS);
});

describe('a release in namespaced mode', () => {
  it('reconciles only the watched namespace, with Roles there and nothing cluster-wide', async () => {
    const [opNs, watched, other] = [await namespace('aw-chart-op'), await namespace('aw-chart-watched'), await namespace('aw-chart-other')];
    const release = 'awn';
    await install(release, opNs, { watchNamespaces: [watched] });
    await waitUntil(async () => {
      const ps = await operatorPods(release, opNs);
      return ps.length === 2 && ps.every(podReady);
    }, 'two Ready operator pods');
    expect(await getOrUndefined(client, `/apis/rbac.authorization.k8s.io/v1/clusterroles/${release}-${CHART_NAME}`)).toBeUndefined();

    const as = impersonating(`${release}-${CHART_NAME}`, opNs);
    expect(await missingRights(as, RULES, watched)).toEqual([]);
    expect(await missingRights(as, LEASE_RULES, opNs)).toEqual([]);
    await expectNoExtraRights(as, watched);
    for (const [verb, group, resource, ns] of [
      ['list', 'agentworkspace.dev', 'agentworkspaces', other], ['create', '', 'pods', other], ['get', '', 'secrets', other],
      ['list', '', 'pods', undefined], ['list', 'agentworkspace.dev', 'agentworkspaces', undefined], ['create', '', 'pods', opNs],
    ] as const) expect({ verb, resource, ns, allowed: await can(as, verb, group, resource, ns) }).toEqual({ verb, resource, ns, allowed: false });

    // A workspace using every child kind the operator writes (PVC, NetworkPolicy, a referenced Secret),
    // suspended (pod deleted) and resumed, in the watched namespace; the other namespace's is left alone.
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'llm', namespace: watched }, stringData: { model: 'openai/gpt-4o', apiKey: 'not-a-real-key' } } as KubeObject);
    const spec = { storage: { type: 'PersistentVolumeClaim', size: '1Gi' }, networkPolicy: { enabled: true }, llm: { secretName: 'llm' } };
    for (const ns of [watched, other]) {
      await client.create({ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name: 'w', namespace: ns }, spec: ns === watched ? spec : {} } as KubeObject);
    }
    const ws = await waitForReason(client, watched, 'w', 'Running');
    expect(await getOrUndefined(client, resourcePath('networking.k8s.io/v1', 'NetworkPolicy', watched, 'w'))).toBeDefined();
    expect(await getOrUndefined(client, resourcePath('v1', 'PersistentVolumeClaim', watched, 'w-data'))).toBeDefined();
    await client.mergePatch(ws, { spec: { suspended: true } });
    await waitForReason(client, watched, 'w', 'Suspended');
    await waitUntil(async () => (await getOrUndefined(client, resourcePath('v1', 'Pod', watched, 'w'))) === undefined, 'the suspended pod to be deleted');
    await client.mergePatch(ws, { spec: { suspended: false } });
    await waitForReason(client, watched, 'w', 'Running');
    expect((await client.get<Workspace>(workspacePath(other, 'w'))).status).toBeUndefined();

    await uninstall(release, opNs);
    expect(await getOrUndefined(client, resourcePath('v1', 'Pod', watched, 'w'))).toBeDefined();
  }, LIFECYCLE_TIMEOUT_MS);
});
