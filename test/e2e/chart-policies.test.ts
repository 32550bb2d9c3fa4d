// The chart's optional policies for a shared cluster. workspaceNetworkPolicy: the rendered objects (one
// per namespace, ingress to workspace pods only from the operator's pods, the API server's CIDRs and the
// listed peers), accepted by the API server (this cluster does not enforce NetworkPolicy: rendering and
// acceptance only). admissionPolicy: the ValidatingAdmissionPolicy and its binding installed on the
// real API server (scoped to one namespace so other test files are untouched), refusing a workspace
// that names a ServiceAccount or a Secret outside the allowed lists and admitting one inside them.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT, applyYaml, createNamespace, installCrd, setUpCluster, waitUntil } from '../../operator/src/e2e.testkit.js';
import { KubeApiError, type KubeClient, type KubeObject } from '../../operator/src/kube/client.js';
import { helm, kubectl } from '../support/cluster.js';

const CHART = join(ROOT, 'charts/agentworkspace-operator');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = KubeObject & { spec?: Record<string, any> };

let client: KubeClient;
const cleanup: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  client = await setUpCluster();
  await installCrd(client);
}, 30 * 60_000);

afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined);
}, 120_000);

async function namespace(prefix: string): Promise<string> {
  const ns = await createNamespace(client, prefix);
  cleanup.push(ns.remove);
  return ns.name;
}

async function render(ns: string, sets: string[], only: string): Promise<{ code: number; stderr: string; text: string; docs: Doc[] }> {
  const r = await helm(['template', 'rel', CHART, '-n', ns, '--show-only', only, ...sets.flatMap((s) => ['--set-json', s])]);
  const docs = r.code === 0 ? parseAllDocuments(r.stdout).map((d) => d.toJSON() as Doc | null).filter((d): d is Doc => d !== null) : [];
  return { code: r.code, stderr: r.stderr, text: r.stdout, docs };
}

describe('workspaceNetworkPolicy', () => {
  it('renders, per namespace, an ingress deny except from the operator, the API server and the listed peers; accepted by the API server', async () => {
    const [op, a, b] = [await namespace('aw-np-op'), await namespace('aw-np-a'), await namespace('aw-np-b')];
    const peers = [{ namespaceSelector: { matchLabels: { team: 'ci' } } }, { podSelector: { matchLabels: { role: 'sdk' } } }];
    const r = await render(op, [
      'workspaceNetworkPolicy={"enabled":true,"apiServerCIDRs":["10.245.0.0/16","192.0.2.10/32"],"allowFrom":' + JSON.stringify(peers) + '}',
      `watchNamespaces=${JSON.stringify([a, b])}`,
    ], 'templates/workspace-networkpolicy.yaml');
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(r.docs.map((d) => `${d.kind} ${d.metadata!.namespace}/${d.metadata!.name}`)).toEqual([
      `NetworkPolicy ${a}/rel-agentworkspace-operator-workspaces`, `NetworkPolicy ${b}/rel-agentworkspace-operator-workspaces`,
    ]);
    expect(r.docs[0]!.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/managed-by': 'agent-workspace-operator', 'app.kubernetes.io/name': 'agent-server' } },
      policyTypes: ['Ingress'],
      ingress: [{
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': op } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'agentworkspace-operator', 'app.kubernetes.io/instance': 'rel' } },
          },
          { ipBlock: { cidr: '10.245.0.0/16' } },
          { ipBlock: { cidr: '192.0.2.10/32' } },
          ...peers,
        ],
      }],
    });
    // It selects the workspace pods the operator builds (their labels) and the operator pods match its peer.
    const { desiredPod } = await import('../../operator/src/reconcile/desired.js');
    const { AgentWorkspace } = await import('../../operator/src/api/agentworkspace.js');
    const pod = desiredPod(AgentWorkspace.parse({ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name: 'w', namespace: a, uid: 'u' }, spec: {} }),
      { serverImage: 'x', clusterDomain: 'cluster.local', terminationGracePeriodSeconds: 1, runAsUser: 10001 });
    expect(pod.metadata!.labels).toMatchObject(r.docs[0]!.spec!.podSelector.matchLabels);
    const deploy = (await render(op, [], 'templates/deployment.yaml')).docs[0]!;
    expect(deploy.spec!.template.metadata.labels).toMatchObject(r.docs[0]!.spec!.ingress[0].from[0].podSelector.matchLabels);
    const applied = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], r.text);
    expect({ code: applied.code, stderr: applied.stderr }).toMatchObject({ code: 0 });

    // Explicit namespaces win over watchNamespaces; off by default; cluster mode without namespaces is refused.
    const explicit = await render(op, ['workspaceNetworkPolicy={"enabled":true,"namespaces":["team-x"]}'], 'templates/workspace-networkpolicy.yaml');
    expect(explicit.docs.map((d) => d.metadata!.namespace)).toEqual(['team-x']);
    expect((await helm(['template', 'rel', CHART, '-n', op])).stdout).not.toContain('kind: NetworkPolicy');
    const refused = await render(op, ['workspaceNetworkPolicy={"enabled":true}'], 'templates/workspace-networkpolicy.yaml');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('workspaceNetworkPolicy.enabled needs workspaceNetworkPolicy.namespaces (or watchNamespaces)');
  });
});

describe('admissionPolicy', () => {
  let ns: string;

  beforeAll(async () => {
    ns = await namespace('aw-vap');
    const name = `vap-${ns}`;
    const r = await render(ns, [
      `fullnameOverride="${name}"`,
      'admissionPolicy={"enabled":true,"allowedServiceAccounts":["agent-runner"],"allowedSecrets":["llm","team-env"],' +
        `"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"${ns}"}}}`,
    ], 'templates/admission-policy.yaml');
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(r.docs.map((d) => d.kind)).toEqual(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    await applyYaml(client, r.text);
    cleanup.push(() => client.request('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/${name}-workspaces`));
    cleanup.push(() => client.request('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${name}-workspaces`));
  }, 120_000);

  /** Creates the workspace as a server-side dry run: the message of the refusal, or 'admitted'. */
  async function admit(name: string, spec: Record<string, unknown>): Promise<string> {
    try {
      await client.request('POST', `/apis/agentworkspace.dev/v1alpha1/namespaces/${ns}/agentworkspaces`, {
        body: { apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name, namespace: ns }, spec },
        query: { dryRun: 'All' },
      });
      return 'admitted';
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 403) return err.body?.message ?? '';
      throw err;
    }
  }

  it('refuses a ServiceAccount outside the allowed set (once the binding is in force) and admits one inside', async () => {
    const refused = await waitUntil(async () => {
      const m = await admit('sa-out', { serviceAccountName: 'cluster-admin-ish' });
      return m === 'admitted' ? undefined : m;
    }, 'the admission policy to refuse a workspace');
    expect(refused).toMatch(/ValidatingAdmissionPolicy '.*-workspaces'.*denied request/);
    expect(refused).toContain('spec.serviceAccountName: ServiceAccount "cluster-admin-ish" is not allowed');
    expect(await admit('sa-in', { serviceAccountName: 'agent-runner' })).toBe('admitted');
    expect(await admit('sa-default', { serviceAccountName: 'default' })).toBe('admitted');
    expect(await admit('sa-none', {})).toBe('admitted');
  });

  it('refuses a Secret outside the allowed set, wherever the spec names it, and admits the allowed ones', async () => {
    const outside: Array<[string, Record<string, unknown>]> = [
      ['llm', { llm: { secretName: 'prod-db' } }],
      ['session-key', { sessionApiKey: { secretName: 'prod-db' } }],
      ['env', { env: [{ name: 'A', value: 'x' }, { name: 'DB', valueFrom: { secretKeyRef: { name: 'prod-db', key: 'password' } } }] }],
      ['envfrom', { envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'prod-db' } }] }],
    ];
    for (const [name, spec] of outside) {
      const m = await admit(`secret-${name}`, spec);
      expect({ name, refused: /Secret "prod-db" is not allowed by the admission policy/.test(m) ? 'refused' : m }).toEqual({ name, refused: 'refused' });
    }
    expect(await admit('secrets-in', {
      llm: { secretName: 'llm' },
      env: [{ name: 'DB', valueFrom: { secretKeyRef: { name: 'team-env', key: 'password' } } }, { name: 'C', valueFrom: { configMapKeyRef: { name: 'any-cm', key: 'k' } } }],
      envFrom: [{ secretRef: { name: 'team-env' } }, { configMapRef: { name: 'cfg' } }],
    })).toBe('admitted');
  });

  it('applies only where the binding selects: another namespace admits the same workspace', async () => {
    const other = await namespace('aw-vap-other');
    const created = await client.request('POST', `/apis/agentworkspace.dev/v1alpha1/namespaces/${other}/agentworkspaces`, {
      body: { apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name: 'sa-out', namespace: other }, spec: { serviceAccountName: 'cluster-admin-ish' } },
      query: { dryRun: 'All' },
    });
    expect(created.metadata?.name).toBe('sa-out');
  });
});
