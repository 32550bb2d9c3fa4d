// The operator's rights, by impersonation, in both of the chart's modes: the chart's RBAC (cluster
// mode: a ClusterRole; namespaced mode: a Role per watched namespace and the Lease Role) is rendered
// with helm and applied, and the operator process runs under the impersonated ServiceAccount. It does
// what the e2e suite needs of it (workspaces with a user's LLM Secret Running; a missing Secret reported
// from the pod, InvalidSpec naming the field, then Running once the Secret exists) while holding no read
// on Secrets: get, list and watch of a user's Secret, of its own session-key Secret and of Secrets at
// large are refused, as the real request and as a SubjectAccessReview.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import {
  ROOT, applyYaml, createNamespace, impersonatingKubeconfig, installCrd, readyOf, setUpCluster, startOperator, waitForReason, type OperatorProcess,
} from '../../operator/src/e2e.testkit.js';
import { KubeClient, resourcePath, type KubeObject } from '../../operator/src/kube/client.js';
import { statusCodeOf } from '../../operator/src/kube/errors.js';
import { helm } from '../support/cluster.js';

const CHART = join(ROOT, 'charts/agentworkspace-operator');

let admin: KubeClient;
const cleanup: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  admin = await setUpCluster();
  await installCrd(admin);
}, 30 * 60_000);

afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined);
}, 120_000);

/** The HTTP status of a request (200 when it succeeded). */
async function statusOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
    return 200;
  } catch (err) {
    return statusCodeOf(err);
  }
}

async function allowed(as: KubeClient, verb: string, resource: string, namespace?: string, name?: string): Promise<boolean> {
  const review = await as.request<KubeObject & { status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb, resource, namespace, name } } },
  });
  return review.status?.allowed === true;
}

const workspace = (name: string, ns: string, llmSecret: string): KubeObject => ({
  apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name, namespace: ns },
  spec: { llm: { secretName: llmSecret }, lifetime: { maxLifetime: '1h' } },
} as KubeObject);

const llmSecret = (name: string, ns: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns },
  stringData: { model: 'openai/scripted', apiKey: 'user-llm-key', baseUrl: 'http://10.0.2.2:9' },
} as KubeObject);

describe.each([
  ['cluster mode (ClusterRole)', false],
  ['namespaced mode (Roles)', true],
])('the operator under the chart RBAC, %s', (_mode, namespaced) => {
  let opNs: string;
  let wsNs: string;
  let otherNs: string;
  let operator: OperatorProcess;
  let as: KubeClient;

  beforeAll(async () => {
    const made = [await createNamespace(admin, 'aw-rbac-op'), await createNamespace(admin, 'aw-rbac-ws'), await createNamespace(admin, 'aw-rbac-other')];
    for (const ns of made) cleanup.push(ns.remove);
    [opNs, wsNs, otherNs] = made.map((n) => n.name) as [string, string, string];
    const fullname = `rbac-${opNs}`.slice(0, 63);
    const args = ['template', 'rel', CHART, '-n', opNs, '--set', `fullnameOverride=${fullname}`, '--show-only', 'templates/serviceaccount.yaml', '--show-only', 'templates/rbac.yaml'];
    if (namespaced) args.push('--set', `watchNamespaces={${wsNs}}`);
    const rendered = await helm(args);
    expect({ code: rendered.code, stderr: rendered.stderr }).toMatchObject({ code: 0 });
    const kinds = parseAllDocuments(rendered.stdout).map((d) => (d.toJSON() as KubeObject | null)?.kind).filter(Boolean).sort();
    expect(kinds).toEqual(namespaced ? ['Role', 'Role', 'RoleBinding', 'RoleBinding', 'ServiceAccount'] : ['ClusterRole', 'ClusterRoleBinding', 'ServiceAccount']);
    await applyYaml(admin, rendered.stdout);
    if (!namespaced) {
      cleanup.push(() => admin.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${fullname}`));
      cleanup.push(() => admin.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${fullname}`));
    }
    const kubeconfig = impersonatingKubeconfig(opNs, fullname);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    as = new KubeClient(kc);
    operator = startOperator({ kubeconfig, namespaces: [wsNs], env: { LEADER_ELECTION_NAMESPACE: opNs } });
    cleanup.push(() => operator.stop());
    await operator.healthPort();
  }, 5 * 60_000);

  it("makes a workspace with the user's LLM Secret Running, and creates its session-key Secret", async () => {
    await admin.create(llmSecret('llm', wsNs));
    await admin.create(workspace('with-llm', wsNs, 'llm'));
    const ws = await waitForReason(admin, wsNs, 'with-llm', 'Running');
    const key = await admin.get(resourcePath('v1', 'Secret', wsNs, ws.status!.sessionKeySecretName));
    expect(key.metadata!.ownerReferences).toMatchObject([{ kind: 'AgentWorkspace', name: 'with-llm', uid: ws.metadata!.uid, controller: true }]);
  });

  it('learns of a missing Secret from the pod (InvalidSpec naming the field), and runs once it exists', async () => {
    await admin.create(workspace('late', wsNs, 'late-llm'));
    const waiting = await waitForReason(admin, wsNs, 'late', 'InvalidSpec');
    expect(readyOf(waiting)!.message).toMatch(/^spec\.llm\.secretName: Secret "late-llm" not found/);
    await admin.create(llmSecret('late-llm', wsNs));
    await waitForReason(admin, wsNs, 'late', 'Running');
    expect(operator.logs()).not.toMatch(/forbidden/i);
  });

  it("holds no read on Secrets: a user's, its own session key's, the collection's, here and elsewhere", async () => {
    const secrets = (ns: string) => `/api/v1/namespaces/${ns}/secrets`;
    expect(await statusOf(as.get(`${secrets(wsNs)}/llm`))).toBe(403);
    expect(await statusOf(as.get(`${secrets(wsNs)}/with-llm-session-key`))).toBe(403);
    expect(await statusOf(as.list(secrets(wsNs)))).toBe(403);
    expect(await statusOf(as.list(secrets(wsNs), 'app.kubernetes.io/managed-by=agent-workspace-operator'))).toBe(403);
    expect(await statusOf(as.list('/api/v1/secrets'))).toBe(403);
    expect(await statusOf(as.list(secrets(otherNs)))).toBe(403);
    for (const verb of ['get', 'list', 'watch', 'patch', 'update', 'delete', 'deletecollection']) {
      for (const ns of [wsNs, otherNs, opNs, undefined]) expect({ verb, ns, allowed: await allowed(as, verb, 'secrets', ns, verb === 'get' ? 'llm' : undefined) }).toEqual({ verb, ns, allowed: false });
    }
    // It may create one (the session key) where it reconciles, and only there in namespaced mode.
    expect(await allowed(as, 'create', 'secrets', wsNs)).toBe(true);
    expect(await allowed(as, 'create', 'secrets', otherNs)).toBe(!namespaced);
    // Its residual rights are those of the watched kinds: list pods where it reconciles (RBAC cannot select by label).
    expect(await allowed(as, 'list', 'pods', wsNs)).toBe(true);
    expect(await allowed(as, 'list', 'pods', otherNs)).toBe(!namespaced);
    expect(await allowed(as, 'list', 'configmaps', wsNs)).toBe(false);
  });
});
